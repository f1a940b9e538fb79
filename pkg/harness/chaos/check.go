package chaos

import (
	"bytes"
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
func check(ctx context.Context, rep *Report, client *s3.Client, srv *server, q *Queue, msgs []*message, logs []byte) error {
	bad := func(format string, args ...any) {
		if len(rep.Violations) < 200 {
			rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
		}
	}
	stored, unreadable, err := readAll(ctx, client)
	if err != nil {
		return err
	}
	rep.Stored = len(stored) + len(unreadable)
	for key, err := range unreadable {
		bad("object %q cannot be read back: %v", key, err)
		rep.WrongBytes++
	}

	asked := map[string][]*message{} // key → the well-formed messages asking for it
	for _, m := range msgs {
		if m.kind != Malformed {
			asked[m.key] = append(asked[m.key], m)
		}
	}

	// No object that no message asked for, and none with bytes no message sent.
	for key, b := range stored {
		ms, ok := asked[key]
		if !ok {
			bad("object %q exists but no message asked for it", key)
			rep.WrongBytes++
			continue
		}
		match := false
		for _, m := range ms {
			match = match || sum(m.body) == sum(b)
		}
		if !match {
			bad("object %q holds %d bytes (sha256 %x) that no message sent", key, len(b), sum(b))
			rep.WrongBytes++
		}
	}

	// Never written twice; the object is what was first written.
	srv.rec.mu.Lock()
	for path, writes := range srv.rec.writes {
		key := path[len("/"+bucket+"/"):]
		if len(writes) > 1 {
			bad("object %q was written %d times: %v", key, len(writes), writes)
		}
		if b, ok := stored[key]; ok && fmt.Sprintf("%x", sum(b)) != writes[0] {
			bad("object %q changed after its first write", key)
		}
	}
	srv.rec.mu.Unlock()

	reasons := lastReasons(logs)
	// Every message stored byte-exact or dead-lettered; done means stored.
	for _, m := range msgs {
		state, done, receives := q.Outcome(m.sqs.MessageId)
		if state == DeadLetter {
			rep.DLQ++
			rep.DLQByKind[m.kind.String()]++
			r := reasons[m.sqs.MessageId]
			if r == "" {
				r = "killed" // its environment died every time: no line
			}
			rep.DLQByReason[r]++
		}
		if done {
			rep.Done++
		}
		b, ok := stored[m.key]
		exact := ok && m.kind != Malformed && bytes.Equal(b, m.body)
		switch {
		case state != Deleted && state != DeadLetter:
			bad("message %s (%s) ended %v after %d receives: neither deleted nor dead-lettered", m.sqs.MessageId, m.kind, state, receives)
			rep.Lost++
		case m.kind == Malformed && state != DeadLetter:
			bad("malformed message %s ended %v; want the DLQ", m.sqs.MessageId, state)
		case !exact && state != DeadLetter:
			bad("message %s (%s) deleted but its object %q is missing or holds other bytes", m.sqs.MessageId, m.kind, m.key)
			rep.Lost++
		}
		if done && !exact {
			bad("message %s (%s) reported done but its object %q is missing or holds other bytes", m.sqs.MessageId, m.kind, m.key)
			if ok {
				rep.WrongBytes++
			}
		}
	}

	// Every body that reached the store was checksummed and verified.
	if st := srv.checksum.Stats(); st.Unchecked > 0 {
		bad("%d PUT bodies reached the store without a checksum", st.Unchecked)
	}

	checkLogs(rep, msgs, logs, bad)
	sort.Strings(rep.Violations)
	return nil
}

// checkLogs: every line is JSON, and no line holds a payload marker, a body
// as sent, or the secret key.
func checkLogs(rep *Report, msgs []*message, logs []byte, bad func(string, ...any)) {
	for line := range bytes.Lines(logs) {
		rep.LogLines++
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			bad("log line is not JSON: %.200q", line)
		}
		if m["level"] == "ERROR" && m["message"] == "upload failed" && (m["reason"] == nil || m["reason"] == "") {
			bad("failure line without a reason: %.300s", line)
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
			bad("the logs hold payload or secret bytes %.40q at offset %d", s, i)
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
