package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The contract's build line gives a binary that fails at init, naming the
// variable and the problem, when BUCKET_NAME is missing or KEY_TEMPLATE is
// bad.
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
	tests := map[string]struct {
		env  []string
		want string
	}{
		"no bucket":    {nil, "BUCKET_NAME is required"},
		"bad template": {[]string{"BUCKET_NAME=b", "KEY_TEMPLATE={date}/{key}"}, `KEY_TEMPLATE="{date}/{key}": unknown placeholder {date}`},
		"strftime":     {[]string{"BUCKET_NAME=b", "KEY_TEMPLATE={sent:%Y/%m}/{key}"}, `KEY_TEMPLATE="{sent:%Y/%m}/{key}": {sent:%Y/%m} looks like a strftime layout`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Env = append([]string{"PATH=/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"}, tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("bootstrap with %v exited 0; output %s", tc.env, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("init error output %q; want it to contain %q", out, tc.want)
			}
		})
	}
}
