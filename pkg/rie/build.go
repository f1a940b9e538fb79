package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildBootstrap compiles the Go main package pkg (an import path, or a
// path relative to root) into the file out as a Lambda bootstrap for
// linux/goarch, with the flags of the deployed build: CGO off, -tags
// lambda.norpc, -trimpath, stripped. The Go build cache makes it about a
// second when nothing changed. Its error holds the compiler's output.
func BuildBootstrap(ctx context.Context, root, pkg, goarch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s for linux/%s: %v\n%s", pkg, goarch, err, bytes.TrimSpace(b))
	}
	return nil
}

// ModuleRoot returns the folder of the go.mod at or above dir: the
// module's root.
func ModuleRoot(dir string) (string, error) {
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

// FindEmulator returns the path of aws-lambda-rie: $RIE when set, else
// root/.tools/bin/aws-lambda-rie (where `make rie` installs it), else the
// one on PATH.
func FindEmulator(root string) (string, error) {
	if p := os.Getenv("RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("aws-lambda-rie ($RIE): %w", err)
		}
		return p, nil
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
