package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3uploader/s3uploader/infra/s3uploader"
)

// repoRoot is the module root, where cdk.json lives (tests run in infra/).
const repoRoot = ".."

// cdkJSONContext returns the "context" object of the repository's cdk.json,
// feature flags included, so that tests synthesize what `cdk synth` does.
func cdkJSONContext(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	return f.Context
}

// testTemp is a folder for the whole test binary, removed by TestMain.
var testTemp string

func TestMain(m *testing.M) {
	var err error
	testTemp, err = os.MkdirTemp("", "infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(testTemp)
	os.Exit(code)
}

// fakeCodeDir returns a folder holding a stand-in bootstrap: Code_FromAsset
// only hashes and zips it, and moto never runs it. (The real binary is built
// by the app itself, and by `make synth`.)
func fakeCodeDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(testTemp, "code")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\necho stand-in bootstrap for tests\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// synthesized is an app defined as `cdk synth` defines it.
type synthesized struct {
	app      awscdk.App
	stack    awscdk.Stack
	cfg      s3uploader.Config
	template assertions.Template
}

// synthCache holds the apps synthesized so far by their overrides: tests
// only read them, and each synthesis costs a few seconds.
var synthCache = map[string]*synthesized{}

// synthOnce is synth with a temporary outdir, shared between tests.
func synthOnce(t testing.TB, overrides map[string]any) *synthesized {
	t.Helper()
	key := asJSON(overrides) // map keys come out sorted
	if s, ok := synthCache[key]; ok {
		return s
	}
	s := synth(t, overrides, "")
	synthCache[key] = s
	return s
}

// synth defines the app with cdk.json's context plus overrides (values as
// `-c` gives them: strings) and outdir ("" for a temporary one), and
// synthesizes the stack's template.
func synth(t testing.TB, overrides map[string]any, outdir string) *synthesized {
	t.Helper()
	ctx := cdkJSONContext(t)
	for k, v := range overrides {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	app := awscdk.NewApp(props)
	cfg, err := s3uploader.ConfigFromContext(contextLookup(app), contextKeys(app))
	if err != nil {
		t.Fatalf("s3uploader.ConfigFromContext(%v): %v", overrides, err)
	}
	stack := defineApp(app, cfg, fakeCodeDir(t))
	s := &synthesized{app: app, stack: stack, cfg: cfg}
	func() {
		// Template_FromStack synthesizes; an unsuppressed cdk-nag error fails
		// that synthesis with a panic naming the validation report.
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synthesize with %v: %v%s", overrides, r, validationReport(fmt.Sprint(r)))
			}
		}()
		s.template = assertions.Template_FromStack(stack, nil)
	}()
	return s
}

// validationReport returns the report a failed synthesis names, for the
// failure message.
func validationReport(msg string) string {
	m := regexp.MustCompile(`found in: (\S+validation-report\.json)`).FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	b, err := os.ReadFile(m[1])
	if err != nil {
		return ""
	}
	return "\n" + string(b)
}

// check runs one CDK assertion, which panics on failure, and turns the panic
// into a test error so the other assertions still run.
func check(t testing.TB, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s:\n%v", what, r)
		}
	}()
	assertion()
}

// resources returns the template's resources of one type, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	found := s.template.FindResources(jsii.String(typ), nil)
	out := map[string]map[string]any{}
	for id, r := range *found {
		out[id] = *r
	}
	return out
}

// templateJSON returns the whole template, as CloudFormation reads it.
func (s *synthesized) templateJSON() map[string]any {
	return *s.template.ToJSON()
}

// asJSON renders v for failure messages.
func asJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// obj and arr shorten assertion patterns.
type obj = map[string]any
type arr = []any
