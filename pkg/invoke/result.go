package invoke

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/rie"
	"github.com/s3uploader/s3uploader/pkg/sqsroute"
	"github.com/s3uploader/s3uploader/pkg/sqssim"
)

// Result is what came of one invocation.
type Result struct {
	Event Event
	// Env is the function's environment but the local endpoints, the
	// credentials and the default DEAD_LETTER_QUEUE_URL.
	Env map[string]string
	// Response is the function's answer (the partial batch response);
	// nil when Err is set.
	Response []byte
	// Err is set when the function failed: it returned an error,
	// crashed, or ran past its timeout.
	Err *rie.FunctionError
	// Log is the function's log, line by line, from the emulator's
	// output: START, the function's own lines, END and REPORT, as a
	// CloudWatch log stream holds them.
	Log []string
	// Emulator is the emulator's own diagnostics ("(rapid)" lines): how
	// it started the bootstrap, why a crashed runtime stopped.
	Emulator []string
	// Objects are the objects the function wrote, in the order S3 took
	// them.
	Objects []Object
	// DeadLetters are the messages it sent to the dead-letter queue.
	DeadLetters []sqssim.Message
	DLQ         string // the dead-letter queue's name
	// Delays are the redelivery delays it set on the source queues.
	Delays []Delay

	s3URL, sqsURL string // the local S3 and SQS, stopped once Run returns
	pid           int    // the emulator's process id, stopped likewise
}

// Object is an object the function wrote.
type Object struct {
	Bucket, Key string
	ContentType string
	Body        []byte
	// Copy is the path of the copy of Body written under Options.Out;
	// empty when the key cannot name a file there.
	Copy string
}

// Delay is a record the function hid in its queue for Seconds, to come
// back then (a transient failure).
type Delay struct {
	Queue     string
	MessageID string
	Seconds   int
}

// Reason is why a dead letter was dead-lettered: its failure.reason and
// failure.detail attributes.
func Reason(m sqssim.Message) string {
	r, d := m.Attributes[sqsroute.AttrReason].String, m.Attributes[sqsroute.AttrDetail].String
	switch {
	case r == "":
		return "(no failure.reason attribute: the message had no room left for it)"
	case d == "":
		return r
	case strings.HasPrefix(d, r+":"): // an input error's detail names its reason
		return d
	}
	return r + ": " + d
}

// collect reads what the function left: the objects it wrote (each
// copied to out/s3/BUCKET/KEY, the folder emptied first), the dead
// letters in dlq and the visibility changes of the source queues.
func (res *Result) collect(ctx context.Context, out string, s3l *localS3, sqsl *localSQS, dlq string) error {
	dir := filepath.Join(out, "s3")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, ref := range s3l.writes() {
		got, err := s3l.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)})
		if err != nil {
			return fmt.Errorf("read s3://%s/%s back: %w", ref.Bucket, ref.Key, err)
		}
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil {
			return fmt.Errorf("read s3://%s/%s back: %w", ref.Bucket, ref.Key, err)
		}
		obj := Object{Bucket: ref.Bucket, Key: ref.Key, ContentType: aws.ToString(got.ContentType), Body: body}
		obj.Copy = writeCopy(dir, ref, body)
		res.Objects = append(res.Objects, obj)
	}
	res.DLQ = dlq
	res.DeadLetters = sqsl.sim.Sent(dlq)
	ids := map[string]string{} // receipt handle → messageId
	queues := map[string]bool{}
	for _, r := range res.Event.SQS.Records {
		ids[r.ReceiptHandle] = r.MessageId
		queues[queueName(r.EventSourceARN)] = true
	}
	for _, q := range slices.Sorted(maps.Keys(queues)) {
		for _, v := range sqsl.sim.Visibilities(q) {
			res.Delays = append(res.Delays, Delay{Queue: q, MessageID: ids[v.ReceiptHandle], Seconds: v.Seconds})
		}
	}
	return nil
}

// writeCopy writes body to dir/BUCKET/KEY and returns that path, or ""
// when the key cannot name a file there: it has a "." or ".." segment,
// ends in '/', or is the folder of another key (a/b and a/b/c). The copy
// is a convenience: the object itself is in Object.Body.
func writeCopy(dir string, ref objectRef, body []byte) string {
	rel := filepath.Join(ref.Bucket, filepath.FromSlash(ref.Key))
	if !filepath.IsLocal(rel) || rel != ref.Bucket+"/"+ref.Key {
		return ""
	}
	path := filepath.Join(dir, rel)
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil || os.WriteFile(path, body, 0o644) != nil {
		return ""
	}
	return path
}
