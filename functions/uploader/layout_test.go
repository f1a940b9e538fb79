package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/s3uploader/s3uploader"

// shipped are the packages the function is built from: what ends up in
// the Lambda. The local twin (pkg/twin) and the harnesses (pkg/harness)
// must never be among them.
var shipped = []string{
	module + "/pkg/batch",
	module + "/pkg/emf",
	module + "/pkg/lambdalog",
	module + "/pkg/retry",
	module + "/pkg/s3store",
	module + "/pkg/uploader",
}

type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// goList runs `go list -json` (without test files) on patterns.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("go not runnable here: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(out)
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	return pkgs
}

// TestFunctionShipsOnlyItsPackages: the bootstrap is built from
// functions/uploader and the six function packages, nothing else of this
// module.
func TestFunctionShipsOnlyItsPackages(t *testing.T) {
	for _, p := range goList(t, "-deps", "./functions/uploader") {
		if !strings.HasPrefix(p.ImportPath, module+"/") || p.ImportPath == module+"/functions/uploader" {
			continue
		}
		if !slices.Contains(shipped, p.ImportPath) {
			t.Errorf("functions/uploader depends on %s; the function may only use %v", p.ImportPath, shipped)
		}
	}
}

// TestImportsPointInward: nothing under pkg/ imports functions/ or infra/;
// the function's packages import neither the twin nor the harnesses; the
// retry package imports only the standard library.
func TestImportsPointInward(t *testing.T) {
	for _, p := range goList(t, "./pkg/...") {
		function := slices.Contains(shipped, p.ImportPath)
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, module+"/functions/"), strings.HasPrefix(imp, module+"/infra"):
				t.Errorf("%s imports %s: packages under pkg/ never import functions/ or infra/", p.ImportPath, imp)
			case function && (strings.HasPrefix(imp, module+"/pkg/twin/") || strings.HasPrefix(imp, module+"/pkg/harness/")):
				t.Errorf("%s (shipped in the function) imports %s", p.ImportPath, imp)
			case p.ImportPath == module+"/pkg/retry" && strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				t.Errorf("pkg/retry imports %s: it keeps to the standard library", imp)
			}
		}
	}
}
