package uploader

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
	"github.com/s3uploader/s3uploader/pkg/sqsroute"
	"github.com/s3uploader/s3uploader/pkg/sqssim"
)

// routed is a test environment whose handler routes failed records through
// the real SQS client against an in-process SQS holding the source queue
// "uploads" and the dead-letter queue dlq.
type routed struct {
	*testEnv
	sqs *sqssim.Server
	dlq string
}

func newRouted(t *testing.T, dlq string, script func(n int64, r *http.Request) s3sim.Fault, env map[string]string) *routed {
	t.Helper()
	var sim *sqssim.Server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sim.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sim = sqssim.New(srv.URL, "uploads", "uploads.fifo", dlq)
	vars := map[string]string{"DEAD_LETTER_QUEUE_URL": sim.URL(dlq)}
	for k, v := range env {
		vars[k] = v
	}
	e := newEnv(t, script, vars)
	client, err := NewSQSClient(context.Background(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	if err != nil {
		t.Fatal(err)
	}
	e.handler = New(e.cfg, e.client, e.logs, WithSQS(client))
	return &routed{testEnv: e, sqs: sim, dlq: dlq}
}

// TestPoisonIsDeadLetteredAtOnce: a record that can never be stored goes
// to the dead-letter queue in the invocation that first sees it, body and
// attributes as sent, with its reason; it is not reported failed (the
// source deletes it), and it has one ERROR line. Good records are stored.
func TestPoisonIsDeadLetteredAtOnce(t *testing.T) {
	e := newRouted(t, "dlq", nil, nil)
	if _, err := New(e.cfg, e.client, e.logs).proc.Store.Put(context.Background(), "uploads/taken", []byte("old"), ""); err != nil {
		t.Fatal(err)
	}
	escape := msg("p-key", "payload-1", "key", "../escape", "tenant", "t1")
	b64 := msg("p-b64", "not base64!", "key", "b", "content-encoding", "base64")
	conflict := msg("p-conflict", "new bytes", "key", "taken")
	conflict.Attributes["ApproximateReceiveCount"] = "3"
	resp, err := e.handler.Handle(context.Background(), event(msg("good", "hello", "key", "g"), escape, b64, conflict))
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); len(got) != 0 {
		t.Errorf("BatchItemFailures = %v; want none: every poison record is dead-lettered", got)
	}
	if body, _, ok := e.object("uploads/g"); !ok || string(body) != "hello" {
		t.Errorf("object g = %q, %v; want hello", body, ok)
	}
	want := map[string]struct{ reason, code, body string }{
		"p-key":      {"InvalidKey", "", "payload-1"},
		"p-b64":      {"InvalidBase64", "", "not base64!"},
		"p-conflict": {"PermanentError", "Conflict", "new bytes"},
	}
	sent := e.sqs.Sent("dlq")
	if len(sent) != len(want) {
		t.Fatalf("dead letters = %d; want %d", len(sent), len(want))
	}
	for _, m := range sent {
		id := m.Attributes[sqsroute.AttrMessageID].String
		w, ok := want[id]
		if !ok {
			t.Errorf("dead letter with %s = %q; want one of the poison records", sqsroute.AttrMessageID, id)
			continue
		}
		if m.Body != w.body || m.Attributes[sqsroute.AttrReason].String != w.reason || m.Attributes[sqsroute.AttrErrorCode].String != w.code {
			t.Errorf("dead letter of %s = body %q reason %q code %q; want %q %q %q", id, m.Body,
				m.Attributes[sqsroute.AttrReason].String, m.Attributes[sqsroute.AttrErrorCode].String, w.body, w.reason, w.code)
		}
		if m.Attributes[sqsroute.AttrFunction].String != "uploader-test" || m.Attributes[sqsroute.AttrDetail].String == "" {
			t.Errorf("dead letter of %s has function %q, detail %q; want uploader-test and a detail", id,
				m.Attributes[sqsroute.AttrFunction].String, m.Attributes[sqsroute.AttrDetail].String)
		}
		if a := m.Attributes[sqsroute.AttrReceiveCount]; a.DataType != "Number" || (id == "p-conflict") != (a.String == "3") {
			t.Errorf("dead letter of %s: receive count %+v; want a Number, 3 for p-conflict and 1 for the others", id, a)
		}
	}
	for _, m := range sent {
		if m.Attributes[sqsroute.AttrMessageID].String == "p-key" {
			if m.Attributes["tenant"].String != "t1" || m.Attributes["key"].String != "../escape" {
				t.Errorf("dead letter of p-key lost its attributes: %+v", m.Attributes)
			}
		}
	}
	lines := e.linesWith("upload failed")
	if len(lines) != 3 {
		t.Errorf("%d upload failed lines; want 1 per poison record, 3", len(lines))
	}
	for _, l := range lines {
		if l["then"] != "deadLettered" {
			t.Errorf("failure line %v: then = %v; want deadLettered", l["messageId"], l["then"])
		}
		if _, ok := l["receiveCount"].(float64); !ok {
			t.Errorf("failure line %v: receiveCount = %#v; want a number", l["messageId"], l["receiveCount"])
		}
	}
	if l := e.linesWith("batch done"); len(l) != 1 || l[0]["deadLettered"] != 3.0 || l[0]["failed"] != 0.0 {
		t.Errorf("batch done = %v; want deadLettered 3, failed 0", l)
	}
}

// TestTransientFailuresComeBackAfterABackoff: a record that failed for now
// stays reported failed, and is hidden for a delay that grows with its
// receive count: between half and all of 2 s × 2^(receives−1).
func TestTransientFailuresComeBackAfterABackoff(t *testing.T) {
	e := newRouted(t, "dlq", keyed(s3sim.SlowDownF, 1000, all), map[string]string{"RETRY_MAX_ATTEMPTS": "2"})
	var recs []events.SQSMessage
	for i, receives := range []int{1, 2, 4, 20} {
		m := msg(fmt.Sprint("t", i), "x", "key", fmt.Sprint("k", i))
		m.ReceiptHandle = fmt.Sprint("rh-", i)
		m.Attributes["ApproximateReceiveCount"] = strconv.Itoa(receives)
		recs = append(recs, m)
	}
	resp, err := e.handler.Handle(context.Background(), event(recs...))
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); len(got) != 4 {
		t.Fatalf("BatchItemFailures = %v; want all four", got)
	}
	if len(e.sqs.Sent("dlq")) != 0 {
		t.Errorf("a transient failure was dead-lettered: %+v", e.sqs.Sent("dlq"))
	}
	got := map[string]int{}
	for _, v := range e.sqs.Visibilities("uploads") {
		got[v.ReceiptHandle] = v.Seconds
	}
	for i, bounds := range [][2]int{{1, 2}, {2, 4}, {8, 16}, {450, 900}} {
		s, ok := got[fmt.Sprint("rh-", i)]
		if !ok || s < bounds[0] || s > bounds[1] {
			t.Errorf("record %d: visibility %d s (set: %v); want %d to %d s", i, s, ok, bounds[0], bounds[1])
		}
	}
	for _, l := range e.linesWith("upload failed") {
		if l["then"] != "redelivered" || l["redeliveryS"] == nil {
			t.Errorf("failure line %v: then %v, redeliveryS %v; want redelivered with a delay", l["messageId"], l["then"], l["redeliveryS"])
		}
	}
}

// TestDeadLetterFailureFallsBack: when the dead-letter queue refuses the
// send, the poison record is reported failed, as without routing, and its
// line says why.
func TestDeadLetterFailureFallsBack(t *testing.T) {
	e := newRouted(t, "dlq", nil, nil)
	e.sqs.Fault = func(action, _ string) string {
		if action == "SendMessage" {
			return "AccessDenied"
		}
		return ""
	}
	resp, err := e.handler.Handle(context.Background(), event(msg("p", "x", "key", "../p")))
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); !slices.Equal(got, []string{"p"}) {
		t.Errorf("BatchItemFailures = %v; want [p]", got)
	}
	if l := e.linesWith("upload failed"); len(l) != 1 || l[0]["deadLetterError"] == nil || l[0]["then"] != "redelivered" {
		t.Errorf("failure lines = %v; want one, redelivered, with deadLetterError", l)
	}
}

// TestDeadLetterAttributeSlots: the failure's attributes take the slots
// the original leaves (10 in all), reason first; failure.* attributes of
// the original are replaced.
func TestDeadLetterAttributeSlots(t *testing.T) {
	for name, tc := range map[string]struct {
		extra    int // original attributes beside "key"
		stale    bool
		wantOurs []string
	}{
		"room for all":   {extra: 2, wantOurs: []string{sqsroute.AttrReason, sqsroute.AttrMessageID, sqsroute.AttrReceiveCount, sqsroute.AttrFunction, sqsroute.AttrDetail}},
		"room for two":   {extra: 7, wantOurs: []string{sqsroute.AttrReason, sqsroute.AttrMessageID}},
		"no room":        {extra: 9},
		"a stale reason": {extra: 2, stale: true, wantOurs: []string{sqsroute.AttrReason, sqsroute.AttrMessageID, sqsroute.AttrReceiveCount, sqsroute.AttrFunction, sqsroute.AttrDetail}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newRouted(t, "dlq", nil, nil)
			attrs := []string{"key", "../p"}
			for i := range tc.extra {
				attrs = append(attrs, fmt.Sprint("a", i), "v")
			}
			if tc.stale {
				attrs = append(attrs, sqsroute.AttrReason, "OldReason", sqsroute.AttrMessageID, "first-id")
			}
			if _, err := e.handler.Handle(context.Background(), event(msg("p", "x", attrs...))); err != nil {
				t.Fatal(err)
			}
			sent := e.sqs.Sent("dlq")
			if len(sent) != 1 {
				t.Fatalf("dead letters = %d; want 1", len(sent))
			}
			var ours []string
			for n := range sent[0].Attributes {
				if len(n) > 8 && n[:8] == "failure." {
					ours = append(ours, n)
				}
			}
			slices.Sort(ours)
			want := slices.Sorted(slices.Values(tc.wantOurs))
			if !slices.Equal(ours, want) || len(sent[0].Attributes) != min(10, 1+tc.extra+len(want)) {
				t.Errorf("dead letter attributes %v (%d in all); want the original's and %v", ours, len(sent[0].Attributes), want)
			}
			if tc.stale && (sent[0].Attributes[sqsroute.AttrReason].String != "InvalidKey" || sent[0].Attributes[sqsroute.AttrMessageID].String != "first-id") {
				t.Errorf("reason, messageId = %q, %q; want InvalidKey, not the stale reason, and the first message's ID, first-id",
					sent[0].Attributes[sqsroute.AttrReason].String, sent[0].Attributes[sqsroute.AttrMessageID].String)
			}
		})
	}
}

// TestFIFODeadLetter: from a FIFO queue, a dead letter keeps its message
// group and is deduplicated by its messageId; once the poison is out, the
// group's later records are stored, in order.
func TestFIFODeadLetter(t *testing.T) {
	e := newRouted(t, "dlq.fifo", nil, nil)
	fifo := func(id, key string) events.SQSMessage {
		m := msg(id, "body-"+id, "key", key)
		m.EventSourceARN += ".fifo"
		m.Attributes["MessageGroupId"] = "g1"
		return m
	}
	resp, err := e.handler.Handle(context.Background(), event(fifo("1", "a"), fifo("2", "../bad"), fifo("3", "c")))
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); len(got) != 0 {
		t.Errorf("BatchItemFailures = %v; want none", got)
	}
	sent := e.sqs.Sent("dlq.fifo")
	if len(sent) != 1 || sent[0].GroupID != "g1" || sent[0].Deduplication != "2" || sent[0].Body != "body-2" {
		t.Errorf("dead letters = %+v; want record 2 in group g1, deduplicated by its messageId", sent)
	}
	if got := e.putOrder(); !slices.Equal(got, []string{"uploads/a", "uploads/c"}) {
		t.Errorf("stored in order %v; want [a c]", got)
	}
}
