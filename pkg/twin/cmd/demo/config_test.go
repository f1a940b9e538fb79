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
	tests := map[string]struct {
		ctx  contextFlags
		want []string
	}{
		"local defaults": {want: []string{"-c", "arch=x86_64", "-c", "dev=true", "-c", "local=true", "-c", "stackName=S"}},
		"caller wins": {ctx: contextFlags{"dev": "false", "batchSize": "5"},
			want: []string{"-c", "arch=x86_64", "-c", "batchSize=5", "-c", "dev=false", "-c", "local=true", "-c", "stackName=S"}},
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
