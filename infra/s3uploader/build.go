package s3uploader

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// functionPackage is the function's main package. By its import path, so
// that an app in another module that imports this one builds it too.
const functionPackage = "github.com/s3uploader/s3uploader/functions/uploader"

// BuildBootstrap compiles the function for Lambda (linux, the GOARCH of
// arch, CGO off, -tags lambda.norpc, -trimpath, stripped: the flags of
// `make build`) into root/.build/uploader/linux-<goarch>/bootstrap and
// returns that folder, absolute. The Go build cache makes a rebuild of an
// unchanged function take about a second.
func BuildBootstrap(root, arch string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(root, ".build", "uploader", "linux-"+goarch(arch)))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(dir, "bootstrap"), functionPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch(arch), "CGO_ENABLED=0")
	cmd.Stdout = os.Stderr // stdout belongs to the CDK CLI
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s for linux/%s: %w", functionPackage, goarch(arch), err)
	}
	return dir, nil
}

// goarch maps a Lambda architecture name to GOARCH.
func goarch(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return "arm64"
}
