package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The contract's build line gives a binary that fails at init, naming the
// variable, when BUCKET_NAME is missing.
func TestBuildAndInitError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("bootstrap without BUCKET_NAME exited 0; output %s", out)
	}
	if !strings.Contains(string(out), "BUCKET_NAME is required") {
		t.Errorf("init error output %q does not name BUCKET_NAME", out)
	}
}
