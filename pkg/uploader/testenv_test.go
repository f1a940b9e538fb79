package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

const testBucket = "uploads-test"

// pointerBucket is the second bucket of the in-process S3: where a sender
// using the Extended Client Library leaves its large payloads.
const pointerBucket = "payloads-test"

// testEnv is the real handler and the real S3 client, over HTTP, against an
// in-process S3 with scripted faults in front.
type testEnv struct {
	t       *testing.T
	srv     *httptest.Server
	client  *s3.Client
	handler *Handler
	cfg     Config
	logs    *syncBuffer

	mu       sync.Mutex
	requests []string // "METHOD key" in arrival order, faults included
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// offlineAWS gives the SDK dummy credentials and a region, and keeps it off
// the instance metadata service and the user's AWS files.
func offlineAWS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

// newEnv starts the server. script picks a fault per request (nil: none);
// env holds extra environment for ConfigFromEnv.
func newEnv(t *testing.T, script func(n int64, r *http.Request) s3sim.Fault, env map[string]string) *testEnv {
	t.Helper()
	return newEnvWith(t, func(next http.Handler) http.Handler {
		return s3sim.NewFaults(next, s3sim.FaultConfig{Script: script, HangFor: 0})
	}, env)
}

// newEnvWith starts the server with wrap (s3sim handlers) in front of the
// in-memory S3; env as for newEnv.
func newEnvWith(t *testing.T, wrap func(http.Handler) http.Handler, env map[string]string) *testEnv {
	t.Helper()
	offlineAWS(t)
	mem, err := s3sim.NewMemory(testBucket, pointerBucket)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, logs: &syncBuffer{}}
	front := wrap(mem)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.requests = append(e.requests, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/"))
		e.mu.Unlock()
		front.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)

	vars := map[string]string{"BUCKET_NAME": testBucket, "S3_USE_PATH_STYLE": "true",
		"RETRY_BASE_DELAY": "1ms", "RETRY_MAX_DELAY": "20ms", "AWS_LAMBDA_FUNCTION_NAME": "uploader-test"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	e.client, err = NewS3Client(context.Background(), cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.srv.URL)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.handler = New(cfg, e.client, e.logs)
	e.cfg = cfg
	return e
}

// puts returns how many PUT requests reached the server for key (under the
// default prefix), faults included.
func (e *testEnv) puts(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.requests {
		if r == "PUT "+key {
			n++
		}
	}
	return n
}

func (e *testEnv) putOrder() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, r := range e.requests {
		if k, ok := strings.CutPrefix(r, "PUT "); ok {
			out = append(out, k)
		}
	}
	return out
}

// object reads key back, or reports it missing.
func (e *testEnv) object(key string) (body []byte, contentType string, ok bool) {
	e.t.Helper()
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		return nil, "", false
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatalf("read %s: %v", key, err)
	}
	return b, aws.ToString(out.ContentType), true
}

// requestsTo returns the requests that reached the server for bucket
// ("METHOD key"), faults included.
func (e *testEnv) requestsTo(bucket string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, r := range e.requests {
		method, path, _ := strings.Cut(r, " ")
		if bucket == testBucket && !strings.HasPrefix(path, "/") {
			out = append(out, r)
		} else if k, ok := strings.CutPrefix(path, "/"+bucket+"/"); ok {
			out = append(out, method+" "+k)
		}
	}
	return out
}

func (e *testEnv) keys() []string {
	e.t.Helper()
	out, err := e.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// logLines parses the captured output: every line must be JSON.
func (e *testEnv) logLines() []map[string]any {
	e.t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			e.t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func (e *testEnv) linesWith(message string) []map[string]any {
	var out []map[string]any
	for _, l := range e.logLines() {
		if l["message"] == message {
			out = append(out, l)
		}
	}
	return out
}

func failedIDs(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// msg builds an SQS record. attrs are name, value pairs of String attributes.
func msg(id, body string, attrs ...string) events.SQSMessage {
	m := events.SQSMessage{
		MessageId:         id,
		Body:              body,
		EventSource:       "aws:sqs",
		EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:uploads",
		Attributes:        map[string]string{"ApproximateReceiveCount": "1"},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		m.MessageAttributes[attrs[i]] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(attrs[i+1])}
	}
	return m
}

func event(msgs ...events.SQSMessage) events.SQSEvent { return events.SQSEvent{Records: msgs} }

// keyed returns a script answering fault to the first n PUTs of each key
// accepted by match, and passing everything else on.
func keyed(fault s3sim.Fault, n int, match func(key string) bool) func(int64, *http.Request) s3sim.Fault {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(_ int64, r *http.Request) s3sim.Fault {
		if r.Method != http.MethodPut {
			return s3sim.None
		}
		key := strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")
		if !match(key) {
			return s3sim.None
		}
		mu.Lock()
		defer mu.Unlock()
		seen[key]++
		if seen[key] <= n {
			return fault
		}
		return s3sim.None
	}
}

func all(string) bool { return true }

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}
