package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// The buckets of the in-process S3: where a Store writes, and where the
// payloads it copies from are.
const (
	testBucket   = "uploads-test"
	sourceBucket = "payloads-test"
)

// testS3 is the real S3 client, over HTTP on the loopback, against the
// in-memory S3 of package s3sim. It logs every request the server answered.
type testS3 struct {
	client *s3.Client

	mu       sync.Mutex
	requests []request
}

// request is one request as the server saw and answered it.
type request struct {
	method     string
	path       string // bucket/key, unescaped
	status     int
	contentMD5 string // the Content-MD5 header sent, if any
}

// serverOptions change startS3's defaults: plain HTTP, the SDK's default
// checksums, nothing in front of the in-memory S3.
type serverOptions struct {
	tls                  bool
	checksumWhenRequired bool // S3_CHECKSUM=when_required: no flexible checksum
	wrap                 func(http.Handler) http.Handler
}

// startS3 starts the server on 127.0.0.1, closed when the test ends, and a
// client for it that makes one attempt per call, as a Store expects.
func startS3(t *testing.T, o serverOptions) *testS3 {
	t.Helper()
	mem, err := s3sim.NewMemory(testBucket, sourceBucket)
	if err != nil {
		t.Fatal(err)
	}
	front := copyDirective(mem)
	if o.wrap != nil {
		front = o.wrap(front)
	}
	ts := &testS3{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := request{method: r.Method, path: strings.TrimPrefix(r.URL.Path, "/"), contentMD5: r.Header.Get("Content-MD5")}
		lw := &logWriter{ResponseWriter: w, log: func(status int) {
			req.status = status
			ts.mu.Lock()
			ts.requests = append(ts.requests, req)
			ts.mu.Unlock()
		}}
		front.ServeHTTP(lw, r)
		lw.record(http.StatusOK) // what net/http answers for a handler that wrote nothing
	})
	var srv *httptest.Server
	if o.tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	opts := s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
		DisableLogOutputChecksumValidationSkipped: true,
	}
	if o.checksumWhenRequired {
		opts.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		opts.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	ts.client = s3.New(opts)
	return ts
}

// copyDirective makes a CopyObject keep the source's Content-Type unless
// it says x-amz-metadata-directive: REPLACE, as S3 does and gofakes3 does
// not (it takes a copy's Content-Type whatever the directive).
func copyDirective(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Copy-Source") != "" && !strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
			r.Header.Del("Content-Type")
		}
		next.ServeHTTP(w, r)
	})
}

// logWriter logs a request's status as the handler answers it, before the
// client can see the answer.
type logWriter struct {
	http.ResponseWriter
	log  func(status int)
	done bool
}

func (w *logWriter) record(status int) {
	if !w.done {
		w.done = true
		w.log(status)
	}
}

func (w *logWriter) WriteHeader(code int) {
	w.record(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// mark returns the number of requests so far, for since.
func (ts *testS3) mark() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.requests)
}

// since returns the requests answered after mark.
func (ts *testS3) since(mark int) []request {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]request(nil), ts.requests[mark:]...)
}

// writes returns how many of reqs wrote bucket/key: PUTs answered 200.
func writes(reqs []request, bucket, key string) int {
	n := 0
	for _, r := range reqs {
		if r.method == http.MethodPut && r.path == bucket+"/"+key && r.status == http.StatusOK {
			n++
		}
	}
	return n
}

// object is what a key holds.
type object struct {
	body        string
	contentType string
}

// put stores o at bucket/key directly, not through a Store.
func (ts *testS3) put(t *testing.T, bucket, key string, o object) {
	t.Helper()
	_, err := ts.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(o.body), ContentType: aws.String(o.contentType),
	})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// get reads bucket/key back; nil when there is no such key.
func (ts *testS3) get(t *testing.T, bucket, key string) *object {
	t.Helper()
	out, err := ts.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return nil
	}
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, out.Body); err != nil {
		t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return &object{body: b.String(), contentType: aws.ToString(out.ContentType)}
}

// errorWant is the classification a call's error should have; the zero
// value wants no error.
type errorWant struct {
	code      string // ErrorCode()
	kind      Kind
	status    int
	retryable bool // RetryableError(), as a retry loop sees it
	conflict  bool // errors.Is(err, ErrConflict)
}

// checkError reports how err differs from want, or "" when it does not.
func checkError(err error, want errorWant) string {
	if want.code == "" {
		if err != nil {
			return "want no error"
		}
		return ""
	}
	if err == nil {
		return "want an error " + want.code
	}
	var e *Error
	if !errors.As(err, &e) {
		return "want an *Error"
	}
	var coded interface{ ErrorCode() string }
	var retryable interface{ RetryableError() bool }
	var problems []string
	if !errors.As(err, &coded) || coded.ErrorCode() != want.code {
		problems = append(problems, fmt.Sprintf("ErrorCode() = %q, want %q", e.Code, want.code))
	}
	if !errors.As(err, &retryable) || retryable.RetryableError() != want.retryable {
		problems = append(problems, fmt.Sprintf("RetryableError() = %v, want %v", e.RetryableError(), want.retryable))
	}
	if KindOf(err) != want.kind {
		problems = append(problems, fmt.Sprintf("kind %v, want %v", KindOf(err), want.kind))
	}
	if e.Status != want.status {
		problems = append(problems, fmt.Sprintf("status %d, want %d", e.Status, want.status))
	}
	if errors.Is(err, ErrConflict) != want.conflict {
		problems = append(problems, fmt.Sprintf("errors.Is(err, ErrConflict) = %v, want %v", !want.conflict, want.conflict))
	}
	return strings.Join(problems, "; ")
}
