package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// functionPackage is the function's main package, relative to the module root.
const functionPackage = "./functions/uploader"

// buildBootstrap compiles the function for Lambda (linux, the GOARCH of arch,
// CGO off, -tags lambda.norpc, -trimpath, stripped: the flags of `make build`,
// which writes the same file for arm64) into codeDir(root, arch)/bootstrap
// and returns that folder, absolute. The Go build cache makes a rebuild of an
// unchanged function take about a second.
func buildBootstrap(root, arch string) (string, error) {
	dir, err := filepath.Abs(codeDir(root, arch))
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
