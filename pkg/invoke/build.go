package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// FunctionPackage is the function's main package, relative to the root.
const FunctionPackage = "./functions/uploader"

// Build compiles FunctionPackage under root for Linux on this machine's
// architecture, with the flags of the deployed build (CGO off,
// -tags lambda.norpc, -trimpath, stripped; infra/s3uploader/build.go), into
// out/bootstrap, and returns that path. The Go build cache makes it about
// a second when nothing changed. Its error holds the compiler's output.
func Build(ctx context.Context, root, out string) (string, error) {
	bootstrap := filepath.Join(out, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
		"-o", bootstrap, FunctionPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s for linux/%s: %v\n%s", FunctionPackage, runtime.GOARCH, err, bytes.TrimSpace(b))
	}
	return bootstrap, nil
}

// FindRoot returns the folder of the go.mod at or above dir: the module's
// root.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s: run from the module's folder", dir)
		}
	}
}

// FindEmulator returns the path of aws-lambda-rie: path when set, else
// $RIE, else root/.tools/bin/aws-lambda-rie, else the one on PATH.
func FindEmulator(path, root string) (string, error) {
	if path == "" {
		path = os.Getenv("RIE")
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("aws-lambda-rie: %w", err)
		}
		return path, nil
	}
	local := filepath.Join(root, ".tools", "bin", "aws-lambda-rie")
	if _, err := os.Stat(local); err == nil {
		return local, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	return "", errors.New("aws-lambda-rie not found (not in $RIE, .tools/bin or PATH): install it with make rie")
}
