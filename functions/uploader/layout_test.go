package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/s3uploader/s3uploader"

// shipped are the packages the function is built from (what ends up in the
// Lambda), each with its layer: a package imports only packages of lower
// layers. Each concept has one room:
//
//	s3store  S3's rules (key length, bucket names, what a prefix is) and its API
//	keys     where a record's key is computed (the key template)
//	record   how a record is decoded (envelopes, encodings, pointers)
//	batch    how a batch is scheduled, and where a failure's reason and route are decided
//	sqsroute how a failed record is routed over SQS (dead-letter queue, redelivery delay)
//	uploader the configuration and the wiring
var shipped = map[string]int{
	module + "/pkg/retry":     0,
	module + "/pkg/emf":       0,
	module + "/pkg/lambdalog": 0,
	module + "/pkg/s3store":   1,
	module + "/pkg/keys":      2,
	module + "/pkg/record":    3,
	module + "/pkg/batch":     4,
	module + "/pkg/sqsroute":  5,
	module + "/pkg/uploader":  6,
}

type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
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
// functions/uploader and the function packages, nothing else of this
// module.
func TestFunctionShipsOnlyItsPackages(t *testing.T) {
	for _, p := range goList(t, "-deps", "./functions/uploader") {
		if !strings.HasPrefix(p.ImportPath, module+"/") || p.ImportPath == module+"/functions/uploader" {
			continue
		}
		if _, ok := shipped[p.ImportPath]; !ok {
			t.Errorf("functions/uploader depends on %s; the function may only use %v", p.ImportPath, slices.Sorted(maps.Keys(shipped)))
		}
	}
}

// TestImportsPointInward: nothing under pkg/ imports functions/ or infra/;
// the function's packages import only lower layers of their own, never the
// twin or the harnesses, and only s3store and uploader (which builds the
// client) talk to S3's SDK, only sqsroute and uploader to SQS's; the retry package keeps to the standard
// library. The local twin (pkg/twin) and the harnesses (pkg/harness) do
// not import each other: what they share (pkg/s3sim, the fake S3;
// pkg/deployed and pkg/loadgen, which serve real stacks too) sits beside
// them and imports neither.
func TestImportsPointInward(t *testing.T) {
	for _, p := range goList(t, "./pkg/...") {
		layer, function := shipped[p.ImportPath]
		room := func(imp string) string { // "twin", "harness" or ""
			for _, r := range []string{"twin", "harness"} {
				if imp == module+"/pkg/"+r || strings.HasPrefix(imp, module+"/pkg/"+r+"/") {
					return r
				}
			}
			return ""
		}
		for _, imp := range p.Imports {
			l, lower := shipped[imp]
			switch {
			case strings.HasPrefix(imp, module+"/functions/"), strings.HasPrefix(imp, module+"/infra"):
				t.Errorf("%s imports %s: packages under pkg/ never import functions/ or infra/", p.ImportPath, imp)
			case function && strings.HasPrefix(imp, module+"/") && (!lower || l >= layer):
				t.Errorf("%s (layer %d of the function) imports %s: only lower layers of the function", p.ImportPath, layer, imp)
			case function && strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2/service/s3") &&
				p.ImportPath != module+"/pkg/s3store" && p.ImportPath != module+"/pkg/uploader":
				t.Errorf("%s imports %s: only s3store and uploader talk to S3's SDK", p.ImportPath, imp)
			case function && strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2/service/sqs") &&
				p.ImportPath != module+"/pkg/sqsroute" && p.ImportPath != module+"/pkg/uploader":
				t.Errorf("%s imports %s: only sqsroute and uploader talk to SQS's SDK", p.ImportPath, imp)
			case p.ImportPath == module+"/pkg/retry" && strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				t.Errorf("pkg/retry imports %s: it keeps to the standard library", imp)
			case room(imp) != "" && room(p.ImportPath) != room(imp):
				t.Errorf("%s imports %s: only pkg/%s itself uses it", p.ImportPath, imp, room(imp))
			}
		}
	}
}

// TestInfraIsTheCDKApp: every package under infra/ is CDK code (it
// imports aws-cdk-go); the twin's driver and the tools live under pkg/.
func TestInfraIsTheCDKApp(t *testing.T) {
	for _, p := range goList(t, "./infra/...") {
		if !slices.ContainsFunc(p.Imports, func(imp string) bool { return strings.HasPrefix(imp, "github.com/aws/aws-cdk-go/") }) {
			t.Errorf("%s is under infra/ and is not CDK code: it belongs under pkg/", p.ImportPath)
		}
	}
}

// TestNoLongFunctions: no function outside tests is over 80 lines; a
// longer one is cut into its phases.
func TestNoLongFunctions(t *testing.T) {
	const limit = 80
	fset := token.NewFileSet()
	for _, p := range goList(t, "./...") {
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				if n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; n > limit {
					t.Errorf("%s/%s: %s is %d lines; at most %d outside tests",
						strings.TrimPrefix(p.ImportPath, module+"/"), name, fd.Name.Name, n, limit)
				}
			}
		}
	}
}
