package chaos

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// check reads the bucket back and records every broken invariant in
// rep.Violations.
func check(ctx context.Context, rep *Report, client *s3.Client, srv *server, q *Queue, sq *sqsFront, msgs []*message, logs []byte) error {
	stored, err := readBack(ctx, rep, client)
	if err != nil {
		return err
	}
	checkObjects(rep, stored, msgs)
	checkWrites(rep, stored, srv.rec)
	checkMessages(rep, stored, q, msgs, lastReasons(logs))
	for _, p := range sq.problemList() {
		rep.violation("SQS: %s", p)
	}
	// Every body that reached the store was checksummed and verified.
	if st := srv.checksum.Stats(); st.Unchecked > 0 {
		rep.violation("%d PUT bodies reached the store without a checksum", st.Unchecked)
	}
	checkLogs(rep, msgs, logs)
	sort.Strings(rep.Violations)
	return nil
}

// violation records a broken invariant; past 200 it drops them.
func (r *Report) violation(format string, args ...any) {
	if len(r.Violations) < 200 {
		r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
	}
}

// readBack returns the objects in the bucket, counted in rep.Stored; an
// object that cannot be read is a violation.
func readBack(ctx context.Context, rep *Report, client *s3.Client) (map[string][]byte, error) {
	stored, unreadable, err := readAll(ctx, client)
	if err != nil {
		return nil, err
	}
	rep.Stored = len(stored) + len(unreadable)
	for key, err := range unreadable {
		rep.violation("object %q cannot be read back: %v", key, err)
		rep.WrongBytes++
	}
	return stored, nil
}

// checkObjects: no object that no message asked for, and none with bytes no
// message sent.
func checkObjects(rep *Report, stored map[string][]byte, msgs []*message) {
	asked := map[string][]*message{} // key → the well-formed messages asking for it
	for _, m := range msgs {
		if m.kind != Malformed {
			asked[m.key] = append(asked[m.key], m)
		}
	}
	for key, b := range stored {
		ms, ok := asked[key]
		if !ok {
			rep.violation("object %q exists but no message asked for it", key)
			rep.WrongBytes++
			continue
		}
		match := false
		for _, m := range ms {
			match = match || sum(m.body) == sum(b)
		}
		if !match {
			rep.violation("object %q holds %d bytes (sha256 %x) that no message sent", key, len(b), sum(b))
			rep.WrongBytes++
		}
	}
}

// checkWrites: never written twice; the object is what was first written.
func checkWrites(rep *Report, stored map[string][]byte, rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for path, writes := range rec.writes {
		key := path[len("/"+bucket+"/"):]
		if len(writes) > 1 {
			rep.violation("object %q was written %d times: %v", key, len(writes), writes)
		}
		if b, ok := stored[key]; ok && fmt.Sprintf("%x", sum(b)) != writes[0] {
			rep.violation("object %q changed after its first write", key)
		}
	}
}

// checkMessages counts how each message ended: every message stored
// byte-exact or dead-lettered; done means stored.
func checkMessages(rep *Report, stored map[string][]byte, q *Queue, msgs []*message, reasons map[string]string) {
	for _, m := range msgs {
		o := q.Outcome(m.sqs.MessageId)
		if o.InDLQ() {
			rep.deadLettered(m, o.Letters, reasons[m.sqs.MessageId])
			checkLetters(rep, m, o.Letters)
		}
		if o.Done {
			rep.Done++
		}
		b, ok := stored[m.key]
		exact := ok && m.kind != Malformed && bytes.Equal(b, m.body)
		switch {
		case o.State != Deleted && o.State != DeadLetter:
			rep.violation("message %s (%s) ended %v after %d receives: neither deleted nor dead-lettered", m.sqs.MessageId, m.kind, o.State, o.Receives)
			rep.Lost++
		case m.kind == Malformed && !o.InDLQ():
			rep.violation("malformed message %s ended %v; want the DLQ", m.sqs.MessageId, o.State)
		case !exact && !o.InDLQ():
			rep.violation("message %s (%s) deleted but its object %q is missing or holds other bytes", m.sqs.MessageId, m.kind, m.key)
			rep.Lost++
		}
		if o.Done && !exact {
			also := ""
			if o.InDLQ() && o.Letters[0].Route == ByFunction {
				also = ", and the function dead-lettered it"
			}
			rep.violation("message %s (%s) reported done but its object %q is missing or holds other bytes%s", m.sqs.MessageId, m.kind, m.key, also)
			if ok {
				rep.WrongBytes++
			}
		}
		if o.HiddenDone > 0 {
			rep.violation("message %s: its visibility was changed in %d receives that did not report it failed", m.sqs.MessageId, o.HiddenDone)
		}
	}
}

// checkLetters: every copy of m in the dead-letter queue has the body m
// was sent with, byte for byte; a copy the function sent also has m's
// attributes as sent and a failure.reason that no retry can cure.
func checkLetters(rep *Report, m *message, letters []Letter) {
	for i, l := range letters {
		if l.Body != m.sqs.Body {
			rep.violation("dead letter %d of %s (%s, %v) holds a body of %d bytes; want the %d sent", i+1, m.sqs.MessageId, m.kind, l.Route, len(l.Body), len(m.sqs.Body))
		}
		if l.Route != ByFunction {
			continue
		}
		if reason, _, _ := strings.Cut(l.Reason, "/"); reason == "" || transient[reason] {
			rep.violation("dead letter %d of %s (%s) sent by the function for %q; want a reason no retry can cure", i+1, m.sqs.MessageId, m.kind, l.Reason)
		}
		for k, a := range m.sqs.MessageAttributes {
			if a.StringValue != nil && l.Attributes[k] != carried(*a.StringValue) {
				rep.violation("dead letter %d of %s (%s) has attribute %s = %q; want %q as sent", i+1, m.sqs.MessageId, m.kind, k, l.Attributes[k], *a.StringValue)
			}
		}
	}
}

// carried is s as the SDK sends it in JSON: each byte of invalid UTF-8
// replaced by U+FFFD. Some malformed messages' attributes hold such bytes,
// which no message SQS delivers does (their bodies are what SQS can carry).
func carried(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// deadLettered counts m in the DLQ, by kind, by the route of its first
// copy, and by its reason: the function's failure.reason, or the reason
// of its last failure when the queue moved it (last).
func (r *Report) deadLettered(m *message, letters []Letter, last string) {
	r.DLQ++
	r.DLQByKind[m.kind.String()]++
	r.DLQCopies += len(letters) - 1
	first := letters[0]
	r.DLQByRoute[first.Route.String()]++
	reason := first.Reason
	if first.Route == ByRedrive {
		reason = cmp.Or(last, "killed") // its environment died every time: no line
	}
	r.DLQByReason[reason]++
	if first.Route == ByFunction && strings.HasPrefix(reason, "PermanentError") {
		r.PermanentByFunction++
	}
}

// checkLogs: every line is JSON, and no line holds a payload marker, a body
// as sent, or the secret key. It counts the failed dead-letter sends and
// visibility calls the lines tell of.
func checkLogs(rep *Report, msgs []*message, logs []byte) {
	for line := range bytes.Lines(logs) {
		rep.LogLines++
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			rep.violation("log line is not JSON: %.200q", line)
		}
		if m["level"] == "ERROR" && m["message"] == "upload failed" && (m["reason"] == nil || m["reason"] == "") {
			rep.violation("failure line without a reason: %.300s", line)
		}
		if m["message"] == "upload failed" && m["deadLetterError"] != nil {
			rep.SendFallbacks++
			if m["then"] != "redelivered" {
				rep.violation("failed dead-letter send, yet the record is not redelivered: %.300s", line)
			}
		}
		if m["message"] == "redelivery delay not set" {
			rep.DelayNotSet++
		}
	}
	secrets := [][]byte{[]byte(Secret)}
	for _, m := range msgs {
		if m.token != "" {
			secrets = append(secrets, []byte(m.token))
		}
		if len(m.sqs.Body) >= 24 {
			secrets = append(secrets, []byte(m.sqs.Body[:24]))
		}
		if len(m.body) >= 24 {
			secrets = append(secrets, []byte(base64.StdEncoding.EncodeToString(m.body[:24])))
		}
	}
	for _, s := range secrets {
		if i := bytes.Index(logs, s); i >= 0 {
			rep.violation("the logs hold payload or secret bytes %.40q at offset %d", s, i)
		}
	}
}

// lastReasons maps message IDs to the reason of their last failure line
// (with its errorCode when the reason is a PermanentError), or of their last
// permanent one.
func lastReasons(logs []byte) map[string]string {
	out := map[string]string{}
	for line := range bytes.Lines(logs) {
		var l struct{ Message, MessageID, Reason, ErrorCode string }
		if json.Unmarshal(line, &l) != nil || l.Message != "upload failed" {
			continue
		}
		r := l.Reason
		if r == "PermanentError" && l.ErrorCode != "" {
			r += "/" + l.ErrorCode
		}
		if prev := out[l.MessageID]; prev != "" && decisive(prev) && !decisive(r) {
			continue // a later deadline or kill does not hide why it could never succeed
		}
		out[l.MessageID] = r
	}
	return out
}

// transient are the reasons a record fails for now: a retry may store it,
// so it is never dead-lettered by the function.
var transient = map[string]bool{"RetriesExhausted": true, "DeadlineReached": true, "RetryBudgetExhausted": true,
	"Canceled": true, "EarlierInGroupFailed": true, "Unknown": true}

func decisive(reason string) bool {
	return strings.HasPrefix(reason, "PermanentError") || strings.HasPrefix(reason, "Invalid") || strings.HasPrefix(reason, "Unsupported")
}

// readAll returns every object in the bucket, read back through the client
// (which verifies the CRC32 the server kept, when it returns one), and the
// objects that could not be read, with why.
func readAll(ctx context.Context, client *s3.Client) (map[string][]byte, map[string]error, error) {
	out, unreadable := map[string][]byte{}, map[string]error{}
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list: %w", err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			g, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				unreadable[key] = err
				continue
			}
			b, err := io.ReadAll(g.Body)
			g.Body.Close()
			if err != nil {
				unreadable[key] = err
				continue
			}
			out[key] = b
		}
	}
	return out, unreadable, nil
}
