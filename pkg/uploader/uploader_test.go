package uploader

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

func TestRecordToObject(t *testing.T) {
	e := newEnv(t, nil, nil)
	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0x80}
	resp, err := e.handler.Handle(context.Background(), event(
		msg("m-plain", "hello, S3 \u00e9\r\n"),
		msg("m-keyed", `{"a":1}`, "key", "reports/2026/a.json", "content-type", "application/json"),
		msg("m-b64", base64.StdEncoding.EncodeToString(binary), "content-encoding", "base64", "key", "bin/blob"),
		msg("m-empty", ""),
	))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v; want no failures", failedIDs(resp), err)
	}
	tests := []struct {
		key, body, contentType string
	}{
		{"uploads/m-plain", "hello, S3 \u00e9\r\n", ""},
		{"uploads/reports/2026/a.json", `{"a":1}`, "application/json"},
		{"uploads/bin/blob", string(binary), ""},
		{"uploads/m-empty", "", ""},
	}
	for _, tc := range tests {
		body, ct, ok := e.object(tc.key)
		if !ok {
			t.Errorf("object %q missing", tc.key)
			continue
		}
		if string(body) != tc.body {
			t.Errorf("object %q = %q; want %q", tc.key, body, tc.body)
		}
		if tc.contentType != "" && ct != tc.contentType {
			t.Errorf("object %q Content-Type = %q; want %q", tc.key, ct, tc.contentType)
		}
	}
	if got := e.keys(); len(got) != len(tests) {
		t.Errorf("bucket holds %v; want exactly the %d objects asked for", got, len(tests))
	}
}

func TestCustomKeyPrefix(t *testing.T) {
	e := newEnv(t, nil, map[string]string{"KEY_PREFIX": "in/tenant-a/"})
	if resp, err := e.handler.Handle(context.Background(), event(msg("m1", "x"), msg("m2", "y", "key", "k"))); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("Handle = %v, %v", failedIDs(resp), err)
	}
	if got, want := e.keys(), []string{"in/tenant-a/k", "in/tenant-a/m1"}; !slices.Equal(got, want) {
		t.Errorf("keys = %v; want %v", got, want)
	}
}

func TestBadRecordsFailAloneWithoutS3Call(t *testing.T) {
	e := newEnv(t, nil, nil)
	long := strings.Repeat("k", 1024-len("uploads/")+1)
	bad := map[string]events.SQSMessage{
		"traversal":      msg("bad-traversal", "x", "key", "a/../../etc/passwd"),
		"leading slash":  msg("bad-slash", "x", "key", "/abs"),
		"control char":   msg("bad-ctrl", "x", "key", "a\x00b"),
		"invalid utf-8":  msg("bad-utf8", "x", "key", "a\xffb"),
		"too long":       msg("bad-long", "x", "key", long),
		"bad base64":     msg("bad-b64", "not base64!", "content-encoding", "base64"),
		"unknown coding": msg("bad-gzip", "x", "content-encoding", "gzip"),
		"empty key":      msg("bad-emptykey", "x", "key", ""),
	}
	recs := []events.SQSMessage{msg("good-1", "one")}
	var wantFailed []string
	for _, m := range bad {
		recs = append(recs, m)
		wantFailed = append(wantFailed, m.MessageId)
	}
	recs = append(recs, msg("good-2", "two"))
	resp, err := e.handler.Handle(context.Background(), event(recs...))
	if err != nil {
		t.Fatalf("Handle error = %v; want nil (bad records are not a systemic fault)", err)
	}
	got := failedIDs(resp)
	slices.Sort(got)
	slices.Sort(wantFailed)
	if !slices.Equal(got, wantFailed) {
		t.Errorf("failed = %v; want %v", got, wantFailed)
	}
	for _, k := range []string{"uploads/good-1", "uploads/good-2"} {
		if _, _, ok := e.object(k); !ok {
			t.Errorf("good record %s not stored", k)
		}
	}
	if puts := e.putOrder(); len(puts) != 2 {
		t.Errorf("S3 got PUTs %v; want only the 2 good records", puts)
	}
	errLines := e.linesWith("upload failed")
	if len(errLines) != len(bad) {
		t.Fatalf("%d ERROR lines; want %d", len(errLines), len(bad))
	}
	for _, l := range errLines {
		if l["level"] != "ERROR" || l["reason"] == "" || l["messageId"] == "" {
			t.Errorf("failure line %v lacks level ERROR, reason or messageId", l)
		}
	}
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	e := newEnv(t, nil, nil)
	ev := event(msg("m1", "first"), msg("m2", "second", "key", "shared/k"))
	for round := range 2 {
		resp, err := e.handler.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("round %d: Handle = %v, %v; want success", round, failedIDs(resp), err)
		}
	}
	sums := e.linesWith("batch done")
	if len(sums) != 2 || sums[1]["duplicates"] != 2.0 || sums[1]["uploaded"] != 0.0 {
		t.Fatalf("summaries %v; want the second to count 2 duplicates, 0 uploaded", sums)
	}
	// Another message claiming the same key with other bytes: a conflict.
	resp, err := e.handler.Handle(context.Background(), event(msg("m3", "DIFFERENT", "key", "shared/k")))
	if err != nil || !slices.Equal(failedIDs(resp), []string{"m3"}) {
		t.Fatalf("conflict: Handle = %v, %v; want m3 failed", failedIDs(resp), err)
	}
	if body, _, _ := e.object("uploads/shared/k"); string(body) != "second" {
		t.Errorf("object overwritten: %q; want %q", body, "second")
	}
	fails := e.linesWith("upload failed")
	if len(fails) != 1 || fails[0]["errorCode"] != "Conflict" || fails[0]["level"] != "ERROR" {
		t.Errorf("conflict log lines %v; want one ERROR with errorCode Conflict", fails)
	}
	if n := e.puts("uploads/shared/k"); n != 3 {
		t.Errorf("%d PUTs of the conflicting key; want 3 (no retry of a conflict)", n)
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	faults := map[string]s3sim.Fault{
		"SlowDown":                   s3sim.SlowDownF,
		"InternalError":              s3sim.Internal,
		"ConnectionError":            s3sim.Reset,
		"ConditionalRequestConflict": s3sim.Conflict409,
		"BadGateway":                 s3sim.BadGateway, // the SDK names empty 5xx answers by status
		"GatewayTimeout":             s3sim.GatewayTimeout,
		"AttemptTimeout":             s3sim.Hang,
	}
	for code, fault := range faults {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, keyed(fault, 2, all), map[string]string{"ATTEMPT_TIMEOUT": "200ms"})
			resp, err := e.handler.Handle(context.Background(), event(msg("m1", "payload-1"), msg("m2", "payload-2")))
			if err != nil || len(resp.BatchItemFailures) > 0 {
				t.Fatalf("Handle = %v, %v; want all stored after retries", failedIDs(resp), err)
			}
			for _, id := range []string{"m1", "m2"} {
				if body, _, ok := e.object("uploads/" + id); !ok || !strings.HasPrefix(string(body), "payload-") {
					t.Errorf("object %s = %q, %v", id, body, ok)
				}
				if n := e.puts("uploads/" + id); n != 3 {
					t.Errorf("%s: %d PUTs; want 3 (2 faults, then success)", id, n)
				}
			}
			retries := e.linesWith("upload retry")
			if len(retries) != 4 {
				t.Fatalf("%d retry lines; want 4", len(retries))
			}
			for _, l := range retries {
				if l["level"] != "WARN" || l["errorCode"] != code || l["messageId"] == nil || l["key"] == nil ||
					l["attempt"] == nil || l["delayMs"] == nil {
					t.Errorf("retry line %v; want WARN with messageId, key, attempt, delayMs and errorCode %s", l, code)
				}
			}
			sum := e.linesWith("batch done")[0]
			if sum["retries"] != 4.0 || sum["uploaded"] != 2.0 {
				t.Errorf("summary %v; want retries 4, uploaded 2", sum)
			}
			wantThrottles := 0.0
			if fault == s3sim.SlowDownF {
				wantThrottles = 4
			}
			if sum["throttles"] != wantThrottles {
				t.Errorf("summary throttles = %v; want %v", sum["throttles"], wantThrottles)
			}
		})
	}
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	e := newEnv(t, keyed(s3sim.Forbidden, 100, func(k string) bool { return k == "uploads/denied" }), nil)
	resp, err := e.handler.Handle(context.Background(), event(msg("denied", "x"), msg("fine", "y")))
	if err != nil || !slices.Equal(failedIDs(resp), []string{"denied"}) {
		t.Fatalf("Handle = %v, %v; want only 'denied' failed", failedIDs(resp), err)
	}
	if n := e.puts("uploads/denied"); n != 1 {
		t.Errorf("403: %d PUTs; want 1", n)
	}
	f := e.linesWith("upload failed")
	if len(f) != 1 || f[0]["errorCode"] != "AccessDenied" || f[0]["reason"] != "PermanentError" {
		t.Errorf("failure lines %v; want one with errorCode AccessDenied, reason PermanentError", f)
	}
}

func TestOneRetryLayer(t *testing.T) {
	// With RETRY_MAX_ATTEMPTS=1 a 500 must reach S3 once: the SDK's own
	// retryer would otherwise try it 3 times.
	e := newEnv(t, keyed(s3sim.Internal, 100, all), map[string]string{"RETRY_MAX_ATTEMPTS": "1"})
	resp, _ := e.handler.Handle(context.Background(), event(msg("m1", "x")))
	if !slices.Equal(failedIDs(resp), []string{"m1"}) {
		t.Fatalf("failed = %v; want [m1]", failedIDs(resp))
	}
	if n := e.puts("uploads/m1"); n != 1 {
		t.Errorf("%d PUTs with one attempt allowed; want 1 (a second retry layer is at work)", n)
	}
	e2 := newEnv(t, keyed(s3sim.Internal, 100, all), map[string]string{"RETRY_MAX_ATTEMPTS": "4"})
	e2.handler.Handle(context.Background(), event(msg("m1", "x")))
	if n := e2.puts("uploads/m1"); n != 4 {
		t.Errorf("%d PUTs with 4 attempts allowed; want exactly 4", n)
	}
}

func TestDeadline(t *testing.T) {
	for name, fault := range map[string]s3sim.Fault{"hang": s3sim.Hang, "slowdown": s3sim.SlowDownF, "500": s3sim.Internal} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, keyed(fault, 1<<30, all), map[string]string{
				"DEADLINE_MARGIN": "300ms", "ATTEMPT_TIMEOUT": "10s", "RETRY_BASE_DELAY": "50ms",
				"RETRY_MAX_DELAY": "400ms", "RETRY_MAX_ATTEMPTS": "100", "RETRY_BUDGET": "100000", "UPLOAD_CONCURRENCY": "2",
			})
			var recs []events.SQSMessage
			for _, id := range ids("m", 10) {
				recs = append(recs, msg(id, "x"))
			}
			start := time.Now()
			deadline := start.Add(1500 * time.Millisecond)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			resp, err := e.handler.Handle(ctx, event(recs...))
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Handle error = %v; want a proper response", err)
			}
			if len(resp.BatchItemFailures) != 10 {
				t.Errorf("failed %d records; want all 10 listed", len(resp.BatchItemFailures))
			}
			// Stop at deadline − margin (1.2s), with a little slack for the
			// scheduler, and well before the deadline itself.
			if elapsed > 1350*time.Millisecond {
				t.Errorf("Handle returned after %v; want by deadline − margin (1.2s)", elapsed)
			}
			for _, l := range e.linesWith("upload failed") {
				if l["reason"] != "DeadlineReached" || l["key"] == "" {
					t.Errorf("failure line %v; want reason DeadlineReached and the record's key", l)
				}
			}
		})
	}
}

func TestCanceledInvocation(t *testing.T) {
	e := newEnv(t, keyed(s3sim.Hang, 1<<30, all), map[string]string{"UPLOAD_CONCURRENCY": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	resp, err := e.handler.Handle(ctx, event(msg("m1", "x"), msg("m2", "y")))
	if err != nil || len(resp.BatchItemFailures) != 2 {
		t.Fatalf("Handle = %v, %v; want both records failed", failedIDs(resp), err)
	}
	for _, l := range e.linesWith("upload failed") {
		if l["reason"] != "Canceled" {
			t.Errorf("failure line %v; want reason Canceled", l)
		}
	}
}

func TestFIFOGroupsKeepOrder(t *testing.T) {
	// The second message of group A is refused: A's later messages must not
	// be uploaded; group B is unaffected and stays in order.
	e := newEnv(t, keyed(s3sim.Forbidden, 100, func(k string) bool { return k == "uploads/a2" }), nil)
	fifo := func(id, group string) events.SQSMessage {
		m := msg(id, "body-"+id)
		m.EventSourceARN = "arn:aws:sqs:us-east-1:123456789012:uploads.fifo"
		m.Attributes["MessageGroupId"] = group
		return m
	}
	resp, err := e.handler.Handle(context.Background(), event(
		fifo("a1", "A"), fifo("b1", "B"), fifo("a2", "A"), fifo("b2", "B"), fifo("a3", "A"), fifo("b3", "B"), fifo("a4", "A"),
	))
	if err != nil {
		t.Fatal(err)
	}
	got := failedIDs(resp)
	slices.Sort(got)
	if want := []string{"a2", "a3", "a4"}; !slices.Equal(got, want) {
		t.Errorf("failed = %v; want %v", got, want)
	}
	for _, k := range []string{"uploads/a3", "uploads/a4"} {
		if n := e.puts(k); n != 0 {
			t.Errorf("%s uploaded %d times after its group failed; want 0", k, n)
		}
	}
	var a, b []string
	for _, k := range e.putOrder() {
		switch {
		case strings.HasPrefix(k, "uploads/a"):
			a = append(a, k)
		case strings.HasPrefix(k, "uploads/b"):
			b = append(b, k)
		}
	}
	if want := []string{"uploads/a1", "uploads/a2"}; !slices.Equal(a, want) {
		t.Errorf("group A PUT order %v; want %v", a, want)
	}
	if want := []string{"uploads/b1", "uploads/b2", "uploads/b3"}; !slices.Equal(b, want) {
		t.Errorf("group B PUT order %v; want %v", b, want)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak int64
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	e := newEnv(t, func(_ int64, r *http.Request) s3sim.Fault {
		if r.Method != http.MethodPut {
			return s3sim.None
		}
		<-mu
		inFlight++
		peak = max(peak, inFlight)
		mu <- struct{}{}
		time.Sleep(20 * time.Millisecond)
		<-mu
		inFlight--
		mu <- struct{}{}
		return s3sim.None
	}, map[string]string{"UPLOAD_CONCURRENCY": "3"})
	var recs []events.SQSMessage
	for _, id := range ids("m", 12) {
		recs = append(recs, msg(id, "x"))
	}
	start := time.Now()
	if resp, err := e.handler.Handle(context.Background(), event(recs...)); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("Handle = %v, %v", failedIDs(resp), err)
	}
	if peak != 3 {
		t.Errorf("peak uploads in flight = %d; want 3 (UPLOAD_CONCURRENCY)", peak)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Logf("note: 12 uploads at 3 in flight took %v", d)
	}
}

func TestLogsAndMetrics(t *testing.T) {
	e := newEnv(t, keyed(s3sim.SlowDownF, 1, all), nil)
	secret := "TOP-SECRET-PAYLOAD-0123456789"
	lc := &lambdacontext.LambdaContext{AwsRequestID: "req-42"}
	ctx := lambdacontext.NewContext(context.Background(), lc)
	if _, err := e.handler.Handle(ctx, event(msg("m1", secret), msg("m2", base64.StdEncoding.EncodeToString([]byte(secret)), "content-encoding", "base64"))); err != nil {
		t.Fatal(err)
	}
	out := e.logs.String()
	if strings.Contains(out, secret) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(secret))) {
		t.Errorf("payload bytes appear in the logs:\n%s", out)
	}
	var emfDocs int
	for _, l := range e.logLines() {
		if aws, ok := l["_aws"].(map[string]any); ok {
			emfDocs++
			cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
			if cwm["Namespace"] != "S3Uploader" {
				t.Errorf("EMF namespace %v; want S3Uploader", cwm["Namespace"])
			}
			if l["Uploaded"] != 2.0 || l["Retries"] != 2.0 || l["Throttles"] != 2.0 || l["Failed"] != 0.0 || l["FunctionName"] != "uploader-test" {
				t.Errorf("EMF values %v; want Uploaded 2, Retries 2, Throttles 2, Failed 0, FunctionName uploader-test", l)
			}
			var names []string
			for _, m := range cwm["Metrics"].([]any) {
				names = append(names, m.(map[string]any)["Name"].(string))
			}
			if want := []string{"Received", "Uploaded", "Duplicates", "DeadLettered", "Failed", "Retries", "Throttles"}; !slices.Equal(names, want) {
				t.Errorf("EMF metrics %v; want %v", names, want)
			}
			continue
		}
		for _, k := range []string{"timestamp", "level", "message"} {
			if _, ok := l[k]; !ok {
				t.Errorf("log line %v has no %q", l, k)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(l["timestamp"])); err != nil {
			t.Errorf("timestamp %v is not RFC 3339", l["timestamp"])
		}
		if l["requestId"] != "req-42" {
			t.Errorf("log line %v lacks requestId req-42", l)
		}
	}
	if emfDocs != 1 {
		t.Errorf("%d EMF documents; want 1 per invocation", emfDocs)
	}
	sum := e.linesWith("batch done")
	if len(sum) != 1 || sum[0]["level"] != "INFO" || sum[0]["received"] != 2.0 {
		t.Errorf("summary %v; want one INFO line with received 2", sum)
	}
}

func TestLogLevelFromLambda(t *testing.T) {
	e := newEnv(t, keyed(s3sim.SlowDownF, 1, all), map[string]string{"AWS_LAMBDA_LOG_LEVEL": "ERROR"})
	e.handler.Handle(context.Background(), event(msg("m1", "x"), msg("bad", "x", "key", "../x")))
	if n := len(e.linesWith("upload retry")); n != 0 {
		t.Errorf("%d WARN lines at level ERROR; want 0", n)
	}
	if n := len(e.linesWith("batch done")); n != 0 {
		t.Errorf("%d INFO lines at level ERROR; want 0", n)
	}
	if n := len(e.linesWith("upload failed")); n != 1 {
		t.Errorf("%d ERROR lines; want 1", n)
	}
}

func TestNotSQSEventIsAnError(t *testing.T) {
	e := newEnv(t, nil, nil)
	m := msg("m1", "x")
	m.EventSource = "aws:kinesis"
	_, err := e.handler.Handle(context.Background(), event(m))
	if !errors.Is(err, batch.ErrNotSQS) {
		t.Errorf("Handle error = %v; want ErrNotSQS", err)
	}
	if len(e.putOrder()) != 0 {
		t.Errorf("S3 was called for a non-SQS event")
	}
}

func TestResponseJSONShape(t *testing.T) {
	e := newEnv(t, nil, nil)
	resp, _ := e.handler.Handle(context.Background(), event(msg("ok", "x"), msg("bad", "x", "key", "/x")))
	b, _ := json.Marshal(resp)
	if want := `{"batchItemFailures":[{"itemIdentifier":"bad"}]}`; string(b) != want {
		t.Errorf("response JSON %s; want %s", b, want)
	}
	resp, _ = e.handler.Handle(context.Background(), event(msg("ok2", "x")))
	b, _ = json.Marshal(resp)
	if want := `{"batchItemFailures":[]}`; string(b) != want {
		t.Errorf("all-success response JSON %s; want %s", b, want)
	}
}
