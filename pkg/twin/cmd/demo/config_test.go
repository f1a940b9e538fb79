package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/s3uploader/s3uploader/pkg/deployed"
)

func TestContextArgs(t *testing.T) {
	local := func(extra ...string) []string {
		args := []string{"-c", "arch=x86_64", "-c", "attemptTimeout=1s", "-c", "deadlineMargin=500ms", "-c", "dev=true",
			"-c", "functionTimeout=2s", "-c", "local=true", "-c", "redeliveryBaseDelay=1s", "-c", "redeliveryMaxDelay=30s",
			"-c", "stackName=S", "-c", "visibilityTimeout=4s"}
		return append(args, extra...)
	}
	tests := map[string]struct {
		ctx  contextFlags
		want []string
	}{
		"local defaults": {want: local()},
		"caller wins": {ctx: contextFlags{"dev": "false", "batchSize": "5"},
			want: []string{"-c", "arch=x86_64", "-c", "attemptTimeout=1s", "-c", "batchSize=5", "-c", "deadlineMargin=500ms",
				"-c", "dev=false", "-c", "functionTimeout=2s", "-c", "local=true", "-c", "redeliveryBaseDelay=1s",
				"-c", "redeliveryMaxDelay=30s", "-c", "stackName=S", "-c", "visibilityTimeout=4s"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := contextArgs(Config{Arch: "x86_64", Stack: "S", Ctx: tc.ctx})
			if !slices.Equal(got, tc.want) {
				t.Errorf("contextArgs = %q; want %q", got, tc.want)
			}
		})
	}
}

// TestLocalContext: the demo's local settings follow the ones given, a
// given value is kept as given, and nothing is derived from a value the
// stack refuses (so its synth reports that value alone).
func TestLocalContext(t *testing.T) {
	tests := map[string]struct {
		given contextFlags
		want  map[string]string // "": the key must be absent
	}{
		"defaults": {want: map[string]string{"functionTimeout": "2s", "visibilityTimeout": "4s",
			"attemptTimeout": "1s", "deadlineMargin": "500ms"}},
		"longer timeout raises the visibility timeout": {given: contextFlags{"functionTimeout": "5s"},
			want: map[string]string{"functionTimeout": "5s", "visibilityTimeout": "10s", "attemptTimeout": "1s", "deadlineMargin": "500ms"}},
		"batching window counts": {given: contextFlags{"functionTimeout": "3s", "maxBatchingWindow": "2s"},
			want: map[string]string{"visibilityTimeout": "8s"}},
		"short timeout keeps the knobs below it": {given: contextFlags{"functionTimeout": "1s"},
			want: map[string]string{"visibilityTimeout": "2s", "attemptTimeout": "500ms", "deadlineMargin": "250ms"}},
		"given values kept": {given: contextFlags{"functionTimeout": "5s", "visibilityTimeout": "7s", "deadlineMargin": "2s"},
			want: map[string]string{"visibilityTimeout": "7s", "deadlineMargin": "2s", "attemptTimeout": "1s"}},
		"refused timeout passed on alone": {given: contextFlags{"functionTimeout": "0s"},
			want: map[string]string{"functionTimeout": "0s", "visibilityTimeout": "", "attemptTimeout": "", "deadlineMargin": ""}},
		"not whole seconds": {given: contextFlags{"functionTimeout": "1500ms"},
			want: map[string]string{"functionTimeout": "1500ms", "visibilityTimeout": ""}},
		"refused window derives no visibility": {given: contextFlags{"maxBatchingWindow": "1h"},
			want: map[string]string{"functionTimeout": "2s", "visibilityTimeout": ""}},
		"longest redelivery not below the first": {given: contextFlags{"redeliveryBaseDelay": "1m"},
			want: map[string]string{"redeliveryBaseDelay": "1m", "redeliveryMaxDelay": "1m0s"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := localContext(tc.given)
			for k, want := range tc.want {
				v, ok := got[k]
				switch {
				case want == "" && ok:
					t.Errorf("localContext(%v)[%q] = %q; want it left out", tc.given, k, v)
				case want != "" && v != want:
					t.Errorf("localContext(%v)[%q] = %q; want %q", tc.given, k, v, want)
				}
			}
		})
	}
}

func TestContextFlagsSet(t *testing.T) {
	var f contextFlags
	if err := f.Set("functionTimeout=5s"); err != nil || f["functionTimeout"] != "5s" {
		t.Errorf("Set(functionTimeout=5s) = %v, %v; want the key set", err, f)
	}
	if err := f.Set("novalue"); err == nil {
		t.Errorf("Set(novalue) = nil; want an error")
	}
}

func TestFunctionEnv(t *testing.T) {
	st := &deployed.Stack{
		FunctionName: "fn", Region: "us-east-1", MemoryMB: 256, LogGroup: "lg", LogFormat: "JSON", LogLevel: "INFO",
		Env: map[string]string{"BUCKET_NAME": "b", "AWS_ENDPOINT_URL_S3": "from-function"},
		Function: lambdatypes.FunctionConfiguration{
			Handler: aws.String("bootstrap"), Runtime: lambdatypes.RuntimeProvidedal2023,
		},
	}
	env := functionEnv(st, "http://localhost:1", "http://127.0.0.1:2", "stream")
	want := []string{
		"AWS_ENDPOINT_URL=http://localhost:1",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME=fn",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_LAMBDA_LOG_STREAM_NAME=stream",
		"BUCKET_NAME=b",
		"S3_USE_PATH_STYLE=true",
		// The local endpoints win over the function's own variables.
		"AWS_ENDPOINT_URL_S3=http://127.0.0.1:2",
	}
	for _, w := range want {
		if !slices.Contains(env, w) {
			t.Errorf("functionEnv lacks %q:\n%s", w, strings.Join(env, "\n"))
		}
	}
}
