package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/retry"
)

// fakeStore is a Store (and Copier) whose answers the test scripts; it
// records every call.
type fakeStore struct {
	put  func(ctx context.Context, key string, body []byte) (bool, error) // nil: store it
	mu   sync.Mutex
	objs map[string]string
	puts []string // keys, in call order, attempts included
	copy []string // "srcBucket/srcKey size -> key"

	inFlight, maxInFlight atomic.Int64
}

func (s *fakeStore) Put(ctx context.Context, key string, body []byte, contentType string) (bool, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	s.mu.Lock()
	s.puts = append(s.puts, key)
	s.mu.Unlock()
	if s.put != nil {
		return s.put(ctx, key, body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objs == nil {
		s.objs = map[string]string{}
	}
	_, existed := s.objs[key]
	s.objs[key] = string(body)
	return existed, nil
}

func (s *fakeStore) Copy(ctx context.Context, srcBucket, srcKey string, size int64, key, contentType string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.copy = append(s.copy, fmt.Sprintf("%s/%s %d -> %s", srcBucket, srcKey, size, key))
	return false, nil
}

// errThrottle is a retryable throttling answer, as s3store classifies SlowDown.
type errThrottle struct{}

func (errThrottle) Error() string        { return "SlowDown" }
func (errThrottle) ErrorCode() string    { return "SlowDown" }
func (errThrottle) RetryableError() bool { return true }
func (errThrottle) ThrottleError() bool  { return true }

// errConflict is a permanent answer.
type errConflict struct{}

func (errConflict) Error() string        { return "Conflict" }
func (errConflict) ErrorCode() string    { return "Conflict" }
func (errConflict) RetryableError() bool { return false }

func sqsMsg(id, key, body string, group ...string) events.SQSMessage {
	m := events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:q",
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
	if key != "" {
		m.MessageAttributes = map[string]events.SQSMessageAttribute{"key": strAttr(key)}
	}
	if len(group) > 0 {
		m.EventSourceARN += ".fifo"
		m.Attributes["MessageGroupId"] = group[0]
	}
	return m
}

// newProc returns a Processor on store with no backoff to wait out, and
// the buffer its JSON log lines go to.
func newProc(store *fakeStore) (*Processor, *bytes.Buffer) {
	var logs bytes.Buffer // slog's JSON handler serialises its writes
	return &Processor{
		Store:  store,
		Parser: record.Parser{Prefix: "up/"},
		Policy: &retry.Policy{MaxAttempts: 3, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}, &logs
}

// failures returns the "upload failed" lines: messageId → reason.
func failures(t *testing.T, logs *bytes.Buffer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l["msg"] == "upload failed" {
			if _, dup := out[l["messageId"].(string)]; dup {
				t.Errorf("two failure lines for %s", l["messageId"])
			}
			out[l["messageId"].(string)] = l["reason"].(string)
		}
	}
	return out
}

func failedIDs(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// TestHandleStoresEachRecordOnce: every good record is stored under its key,
// once; a redelivered one counts as a duplicate; the response lists no
// failure (an empty list, not null).
func TestHandleStoresEachRecordOnce(t *testing.T) {
	store := &fakeStore{objs: map[string]string{"up/b": "2"}}
	p, _ := newProc(store)
	resp, sum, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("1", "a", "1"), sqsMsg("2", "b", "2"), sqsMsg("3", "", "3"),
	}})
	if err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v; want no failures", resp, err)
	}
	want := map[string]string{"up/a": "1", "up/b": "2", "up/3": "3"}
	if fmt.Sprint(store.objs) != fmt.Sprint(want) || len(store.puts) != 3 {
		t.Errorf("stored %v with %d puts; want %v with 3", store.objs, len(store.puts), want)
	}
	if sum != (Summary{Received: 3, Uploaded: 2, Duplicates: 1}) {
		t.Errorf("Summary = %+v; want 3 received, 2 uploaded, 1 duplicate", sum)
	}
}

// TestHandleFailsOnlyTheBadRecord: a record that can never be stored (an
// invalid key, a conflict) is reported alone, with its reason, in one log
// line; a bad key never reaches the store; its siblings are stored.
func TestHandleFailsOnlyTheBadRecord(t *testing.T) {
	store := &fakeStore{put: func(_ context.Context, key string, _ []byte) (bool, error) {
		if key == "up/conflict" {
			return false, errConflict{}
		}
		return false, nil
	}}
	p, logs := newProc(store)
	resp, sum, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("good", "ok", "x"), sqsMsg("bad", "../escape", "x"), sqsMsg("conf", "conflict", "x"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failedIDs(resp), []string{"bad", "conf"}; !slices.Equal(got, want) {
		t.Errorf("BatchItemFailures = %v; want %v", got, want)
	}
	if got, want := failures(t, logs), map[string]string{"bad": "InvalidKey", "conf": ReasonPermanent}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failure reasons = %v; want %v", got, want)
	}
	if slices.Contains(store.puts, "up/../escape") || len(store.puts) != 2 {
		t.Errorf("puts = %v; want only up/ok and up/conflict, once each", store.puts)
	}
	if sum.Failed != 2 || sum.Uploaded != 1 {
		t.Errorf("Summary = %+v; want 2 failed, 1 uploaded", sum)
	}
}

// TestHandleRetriesThrottles: a throttled attempt is retried and counted.
func TestHandleRetriesThrottles(t *testing.T) {
	var n atomic.Int64
	store := &fakeStore{put: func(context.Context, string, []byte) (bool, error) {
		if n.Add(1) <= 2 {
			return false, errThrottle{}
		}
		return false, nil
	}}
	p, _ := newProc(store)
	resp, sum, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{sqsMsg("1", "a", "x")}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v; want it stored on the third attempt", resp, err)
	}
	if sum.Retries != 2 || sum.Throttles != 2 || sum.Uploaded != 1 {
		t.Errorf("Summary = %+v; want 2 retries, 2 throttles, 1 uploaded", sum)
	}
}

// TestHandleKeepsFIFOOrder: records of one group are stored in order; once
// one fails, the group's later records fail untried (EarlierInGroupFailed),
// and other groups go on.
func TestHandleKeepsFIFOOrder(t *testing.T) {
	store := &fakeStore{put: func(_ context.Context, key string, _ []byte) (bool, error) {
		if key == "up/g1-2" {
			return false, errConflict{}
		}
		return false, nil
	}}
	p, logs := newProc(store)
	p.Concurrency = 4
	resp, _, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("a1", "g1-1", "x", "g1"), sqsMsg("b1", "g2-1", "x", "g2"), sqsMsg("a2", "g1-2", "x", "g1"),
		sqsMsg("b2", "g2-2", "x", "g2"), sqsMsg("a3", "g1-3", "x", "g1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failedIDs(resp), []string{"a2", "a3"}; !slices.Equal(got, want) {
		t.Errorf("BatchItemFailures = %v; want %v", got, want)
	}
	if got := failures(t, logs); got["a3"] != ReasonGroup || got["a2"] != ReasonPermanent {
		t.Errorf("failure reasons = %v; want a2 %s, a3 %s", got, ReasonPermanent, ReasonGroup)
	}
	var g1, g2 []string
	for _, k := range store.puts {
		switch {
		case strings.HasPrefix(k, "up/g1"):
			g1 = append(g1, k)
		case strings.HasPrefix(k, "up/g2"):
			g2 = append(g2, k)
		}
	}
	if !slices.Equal(g1, []string{"up/g1-1", "up/g1-2"}) || !slices.Equal(g2, []string{"up/g2-1", "up/g2-2"}) {
		t.Errorf("puts by group = %v, %v; want g1-1, g1-2 (g1-3 untried) and g2-1, g2-2, in order", g1, g2)
	}
}

// TestHandleStopsBeforeTheDeadline: with uploads that never finish, Handle
// returns by deadline − Margin, reporting every record failed with
// DeadlineReached; a canceled invocation says Canceled.
func TestHandleStopsBeforeTheDeadline(t *testing.T) {
	hang := func(ctx context.Context, _ string, _ []byte) (bool, error) {
		<-ctx.Done()
		return false, ctx.Err()
	}
	for name, tc := range map[string]struct {
		ctx  func() (context.Context, context.CancelFunc)
		want string
	}{
		"deadline": {func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 400*time.Millisecond)
		}, ReasonDeadline},
		"canceled": {func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, ReasonCanceled},
	} {
		t.Run(name, func(t *testing.T) {
			p, logs := newProc(&fakeStore{put: hang})
			p.Concurrency, p.Margin = 1, 200*time.Millisecond
			ctx, cancel := tc.ctx()
			defer cancel()
			deadline, hasDeadline := ctx.Deadline()
			resp, _, err := p.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
				sqsMsg("1", "a", "x"), sqsMsg("2", "b", "x"), sqsMsg("3", "c", "x"),
			}})
			if err != nil {
				t.Fatal(err)
			}
			if hasDeadline && time.Now().After(deadline.Add(-p.Margin/2)) {
				t.Errorf("Handle returned %v after deadline − Margin", time.Since(deadline.Add(-p.Margin)))
			}
			if got := failedIDs(resp); !slices.Equal(got, []string{"1", "2", "3"}) {
				t.Errorf("BatchItemFailures = %v; want all three", got)
			}
			for id, reason := range failures(t, logs) {
				if reason != tc.want {
					t.Errorf("record %s failed with %s; want %s", id, reason, tc.want)
				}
			}
		})
	}
}

// TestHandleBoundsConcurrency: never more than Concurrency uploads in flight.
func TestHandleBoundsConcurrency(t *testing.T) {
	store := &fakeStore{}
	store.put = func(context.Context, string, []byte) (bool, error) {
		time.Sleep(time.Millisecond)
		return false, nil
	}
	p, _ := newProc(store)
	p.Concurrency = 3
	var recs []events.SQSMessage
	for i := range 40 {
		recs = append(recs, sqsMsg(fmt.Sprint(i), fmt.Sprintf("p%d/k%d", i%4, i), "x"))
	}
	if _, sum, err := p.Handle(context.Background(), events.SQSEvent{Records: recs}); err != nil || sum.Uploaded != 40 {
		t.Fatalf("Handle = %+v, %v; want 40 uploaded", sum, err)
	}
	if m := store.maxInFlight.Load(); m > 3 {
		t.Errorf("%d uploads in flight at once; want at most Concurrency = 3", m)
	}
}

// TestHandleCopiesPointers: a pointer record is a server-side copy through
// the Copier; without a Copier it fails permanently.
func TestHandleCopiesPointers(t *testing.T) {
	ptr := sqsMsg("p", "big", `["`+record.PointerClass+`",{"s3BucketName":"payloads","s3Key":"large/1"}]`)
	ptr.MessageAttributes[record.AttrExtendedPayloadSize] = events.SQSMessageAttribute{DataType: "Number", StringValue: new("2048")}
	store := &fakeStore{}
	p, logs := newProc(store)
	p.Parser.PointerBuckets = []string{"payloads"}
	p.Copier = store
	if resp, _, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{ptr}}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle(pointer) with a Copier = %+v, %v", resp, err)
	}
	if want := []string{"payloads/large/1 2048 -> up/big"}; !slices.Equal(store.copy, want) {
		t.Errorf("copies = %v; want %v", store.copy, want)
	}
	p.Copier = nil
	resp, _, _ := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{ptr}})
	if got := failures(t, logs); len(resp.BatchItemFailures) != 1 || got["p"] != ReasonNoCopier {
		t.Errorf("Handle(pointer) without a Copier: failures %v, reasons %v; want p with %s", resp.BatchItemFailures, got, ReasonNoCopier)
	}
}

// TestHandleRefusesWholeEventFaults: records not from SQS, and a failed
// record with no messageId to report, fail the whole event.
func TestHandleRefusesWholeEventFaults(t *testing.T) {
	p, _ := newProc(&fakeStore{})
	notSQS := sqsMsg("1", "a", "x")
	notSQS.EventSource = "aws:kinesis"
	if _, _, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{notSQS}}); !errors.Is(err, ErrNotSQS) {
		t.Errorf("Handle(kinesis record) error = %v; want ErrNotSQS", err)
	}
	if _, _, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{sqsMsg("", "../x", "x")}}); err == nil {
		t.Error("Handle(failed record without messageId) error = nil; want an error for the whole event")
	}
}
