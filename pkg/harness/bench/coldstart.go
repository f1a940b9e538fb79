package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/rie"
	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// ColdStartResult times the start of the function and of a hello-world
// function under the emulator, Runs times each.
type ColdStartResult struct {
	Runs int
	// Init is the emulator's INIT REPORT duration, each run: from starting
	// the bootstrap to the runtime asking for its first event (Lambda's
	// "Init Duration").
	FunctionInit, HelloInit []time.Duration
	// Cold is the first invocation as the caller sees it, init included.
	Function, Hello []time.Duration
	// Warm is the invocation after it.
	FunctionWarm, HelloWarm []time.Duration
	FunctionSize, HelloSize int64 // bytes of each bootstrap
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 0.5) }

// Ratio is the function's median init duration over hello-world's: the
// cold start as Lambda reports it.
func (c ColdStartResult) Ratio() float64 {
	return median(c.FunctionInit).Seconds() / median(c.HelloInit).Seconds()
}

// InvokeRatio is the function's median first invocation over
// hello-world's, as callers see them: init plus the handler's work (the
// uploader's includes one PutObject).
func (c ColdStartResult) InvokeRatio() float64 {
	return median(c.Function).Seconds() / median(c.Hello).Seconds()
}

// build builds the bootstrap of the Go package pkg (a path relative to
// the module root, like ./functions/uploader) for Linux on this machine's
// architecture, as the function is built for Lambda, into dir.
func build(ctx context.Context, root, pkg, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg), "bootstrap")
	return out, rie.BuildBootstrap(ctx, root, pkg, runtime.GOARCH, out)
}

// ColdStart builds ./functions/uploader and the hello-world function under
// root and times, runs times each and alternating, the first and the second
// invocation of each under a fresh aws-lambda-rie (emulator is its path).
// The uploader gets a one-record SQS event and writes to an in-process S3;
// hello-world gets the same event and answers at once.
func ColdStart(ctx context.Context, root, emulator string, runs int) (ColdStartResult, error) {
	res := ColdStartResult{Runs: runs}
	dir, err := os.MkdirTemp("", "bench-coldstart-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	fn, err := build(ctx, root, "./functions/uploader", dir)
	if err != nil {
		return res, err
	}
	hello, err := build(ctx, root, "./pkg/harness/bench/testdata/hello", dir)
	if err != nil {
		return res, err
	}
	if res.FunctionSize, err = size(fn); err != nil {
		return res, err
	}
	if res.HelloSize, err = size(hello); err != nil {
		return res, err
	}

	mem, err := s3sim.NewMemory(Bucket)
	if err != nil {
		return res, err
	}
	s3srv := httptest.NewServer(mem)
	defer s3srv.Close()
	env := []string{
		"BUCKET_NAME=" + Bucket, "S3_USE_PATH_STYLE=true",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_ENDPOINT_URL_S3=" + s3srv.URL, "AWS_LAMBDA_FUNCTION_NAME=uploader",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for i := range runs {
		payload, err := json.Marshal(coldEvent(i))
		if err != nil {
			return res, err
		}
		t, err := invokeTwice(ctx, rie.Config{Emulator: emulator, Bootstrap: fn, Env: env, Timeout: 10 * time.Second}, payload)
		if err != nil {
			return res, fmt.Errorf("uploader: %w", err)
		}
		res.FunctionInit, res.Function, res.FunctionWarm = append(res.FunctionInit, t.init), append(res.Function, t.cold), append(res.FunctionWarm, t.warm)
		t, err = invokeTwice(ctx, rie.Config{Emulator: emulator, Bootstrap: hello, Env: env, Timeout: 10 * time.Second}, payload)
		if err != nil {
			return res, fmt.Errorf("hello: %w", err)
		}
		res.HelloInit, res.Hello, res.HelloWarm = append(res.HelloInit, t.init), append(res.Hello, t.cold), append(res.HelloWarm, t.warm)
	}
	return res, nil
}

func size(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// coldEvent is a one-record SQS event with a key of its own per run, so
// every cold invocation really writes.
func coldEvent(i int) events.SQSEvent {
	key := fmt.Sprintf("cold/obj-%03d", i)
	return events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: fmt.Sprintf("cold-%d", i), Body: "hello", EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bench", AWSRegion: "us-east-1",
		MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: &key}},
	}}}
}

type timings struct{ init, cold, warm time.Duration }

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// invokeTwice starts an emulator, times its first invocation (the cold
// start: the emulator starts the bootstrap on the first invoke) and a second
// one, stops it and reads the init duration from its output.
func invokeTwice(ctx context.Context, cfg rie.Config, payload []byte) (timings, error) {
	var t timings
	var out bytes.Buffer
	cfg.Output = &out
	e, err := rie.Start(ctx, cfg)
	if err != nil {
		return t, err
	}
	var d [2]time.Duration
	for i := range d {
		start := time.Now()
		body, err := e.Invoke(ctx, payload)
		d[i] = time.Since(start)
		if err != nil {
			e.Stop()
			return t, err
		}
		var resp events.SQSEventResponse
		if json.Unmarshal(body, &resp) == nil && len(resp.BatchItemFailures) > 0 {
			e.Stop()
			return t, errors.New("the function reported a batch item failure: " + string(body))
		}
	}
	e.Stop() // the output is complete once the emulator is reaped
	m := initReport.FindSubmatch(out.Bytes())
	if m == nil {
		return t, errors.New("no INIT REPORT line in the emulator's output")
	}
	msInit, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return t, err
	}
	return timings{init: time.Duration(msInit * float64(time.Millisecond)), cold: d[0], warm: d[1]}, nil
}
