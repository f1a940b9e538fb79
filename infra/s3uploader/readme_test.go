package s3uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeApp returns the Go app the README shows: the code block after the
// "readme-app" marker.
func readmeApp(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "<!-- readme-app:")
	if !ok {
		t.Fatal("README.md has no <!-- readme-app: ... --> marker before the construct's example app")
	}
	_, code, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("no ```go block after the readme-app marker")
	}
	code, _, _ = strings.Cut(code, "```\n")
	return code
}

// TestReadmeApp builds and runs the README's app, as `cdk synth` would,
// and checks it is under 30 lines and that its template writes to the
// existing bucket from the existing queue without creating either.
func TestReadmeApp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips building the README's app")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: the CDK's Go bindings need Node.js 20 or later")
	}
	code := readmeApp(t)
	if n := strings.Count(code, "\n"); n >= 30 {
		t.Errorf("the README's app has %d lines; the promise is under 30", n)
	}
	// Inside the module (a testdata folder, which ./... leaves out), so it
	// imports this package as a user's module would import the release.
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "readme-app-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./infra/s3uploader/"+filepath.ToSlash(dir))
	cmd.Dir = filepath.Join("..", "..") // where cdk runs an app: the project root
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run the README's app: %v\n%s", err, log.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "Ingest.template.json"))
	if err != nil {
		t.Fatalf("the README's app wrote no Ingest template: %v", err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, r := range tmpl.Resources {
		types[r.Type]++
		switch r.Type {
		case "AWS::Lambda::EventSourceMapping":
			if got := r.Properties["EventSourceArn"]; got != "arn:aws:sqs:eu-west-1:123456789012:incoming" {
				t.Errorf("event source on %v; want the existing queue", got)
			}
		case "AWS::Lambda::Function":
			env, _ := json.Marshal(r.Properties["Environment"])
			if !strings.Contains(string(env), `"BUCKET_NAME":"my-data-lake"`) || !strings.Contains(string(env), `"KEY_PREFIX":"incoming/"`) {
				t.Errorf("function environment %s; want the existing bucket and the prefix", env)
			}
		}
	}
	if types["AWS::Lambda::Function"] != 1 || types["AWS::S3::Bucket"] != 0 || types["AWS::SQS::Queue"] != 0 {
		t.Errorf("the README's app defines %v; want one function and no bucket or queue", types)
	}
}
