package invoke

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/proc"
	"github.com/s3uploader/s3uploader/pkg/s3sim"

	"github.com/s3uploader/s3uploader/pkg/rie"
)

// root is the module's root, from this package's folder.
const root = "../.."

// emulator finds aws-lambda-rie as the command does, or skips.
func emulator(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rie.FindEmulator(abs)
	if err != nil {
		t.Skipf("%v", err)
	}
	return p
}

// check is what a sample's documented outcome says, checked on res.
type check func(t *testing.T, res *Result, o Options)

// outcomes are the README table's outcomes, one per sample event.
var outcomes = map[string]check{
	"sqs-text.json": func(t *testing.T, res *Result, o Options) {
		recs := res.Event.SQS.Records
		wantObjects(t, res, map[string]string{
			"uploads/" + recs[0].MessageId:            recs[0].Body,
			"uploads/notes/2026-12-02/order-1002.txt": recs[1].Body,
		}, "text/plain; charset=utf-8")
		wantPrinted(t, res, o.Out)
	},
	"sqs-binary.json": func(t *testing.T, res *Result, _ Options) {
		png, err := base64.StdEncoding.DecodeString(res.Event.SQS.Records[0].Body)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) != 70 {
			t.Fatalf("the sample's body is not a 70-byte PNG in base64 (%v)", err)
		}
		wantObjects(t, res, map[string]string{"uploads/images/2026-12-02/pixel.png": string(png)}, "image/png")
	},
	"sns.json": func(t *testing.T, res *Result, _ Options) {
		var note struct{ Message string }
		if err := json.Unmarshal([]byte(res.Event.SQS.Records[0].Body), &note); err != nil || note.Message == "" {
			t.Fatalf("the sample's body is not an SNS notification: %v", err)
		}
		wantObjects(t, res, map[string]string{"uploads/orders/1003/created.json": note.Message}, "application/json")
	},
	"eventbridge.json": func(t *testing.T, res *Result, _ Options) {
		body := res.Event.SQS.Records[0].Body
		var ev struct{ ID string }
		if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.ID == "" {
			t.Fatalf("the sample's body is not an EventBridge event: %v", err)
		}
		wantObjects(t, res, map[string]string{"uploads/" + ev.ID: body}, "application/json")
	},
	"pointer.json": func(t *testing.T, res *Result, o Options) {
		if len(o.Objects) != 1 {
			t.Fatalf("the command seeds %d objects; want the pointer's payload", len(o.Objects))
		}
		payload, err := os.ReadFile(o.Objects[0].File)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Event.SQS.Records[0].Body, `"s3Key":"`+o.Objects[0].Key+`"`) {
			t.Errorf("-object seeds %s; the pointer names another key", o.Objects[0].Key)
		}
		wantObjects(t, res, map[string]string{"uploads/reports/2026-11/sales.csv": string(payload)}, "text/csv")
	},
	"poison.json": func(t *testing.T, res *Result, _ Options) {
		wantObjects(t, res, nil, "")
		rec := res.Event.SQS.Records[0]
		if len(res.DeadLetters) != 1 {
			t.Fatalf("dead letters = %d; want the poison message", len(res.DeadLetters))
		}
		m := res.DeadLetters[0]
		if m.Body != rec.Body || m.Attributes["key"].String != "../../etc/passwd" {
			t.Errorf("dead letter = %q with key %q; want the message as received", m.Body, m.Attributes["key"].String)
		}
		if got := m.Attributes["failure.reason"].String; got != "InvalidKey" {
			t.Errorf("failure.reason = %q; want InvalidKey", got)
		}
		if got := m.Attributes["failure.messageId"].String; got != rec.MessageId {
			t.Errorf("failure.messageId = %q; want %q", got, rec.MessageId)
		}
		if r := Reason(m); !strings.Contains(r, `".." segment`) {
			t.Errorf("Reason = %q; want the detail naming the \"..\" segment", r)
		}
	},
	"fifo.json": func(t *testing.T, res *Result, _ Options) {
		want := map[string]string{}
		order := map[string][]string{} // group → keys in sequence order
		for _, r := range res.Event.SQS.Records {
			key := "uploads/" + *r.MessageAttributes["key"].StringValue
			want[key] = r.Body
			order[r.Attributes["MessageGroupId"]] = append(order[r.Attributes["MessageGroupId"]], key)
		}
		wantObjects(t, res, want, "application/json")
		for group, keys := range order {
			var got []string
			for _, o := range res.Objects {
				if slices.Contains(keys, o.Key) {
					got = append(got, o.Key)
				}
			}
			if !slices.Equal(got, keys) {
				t.Errorf("group %s written in the order %v; want %v", group, got, keys)
			}
		}
	},
}

// fronts put something in front of the local S3 for a sample. For the
// FIFO batch, the first write of each group is held back: a function that
// did not keep a group's order would write the second one first.
var fronts = map[string]func(http.Handler) http.Handler{
	"fifo.json": func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/1-created.json") {
				time.Sleep(300 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	},
}

// TestSamples invokes each sample event with the command its README row
// gives, through the real bootstrap under the emulator, and checks the
// outcome the row documents. Every record is handled: no
// batchItemFailures.
func TestSamples(t *testing.T) {
	rie := emulator(t)
	samples, err := ReadSamples(filepath.Join(root, SamplesDir))
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir() // one bootstrap for all, built once
	t.Chdir(abs)       // the commands' paths are relative to the root
	for _, s := range samples {
		t.Run(s.File, func(t *testing.T) {
			check, ok := outcomes[s.File]
			if !ok {
				t.Fatalf("no test of the outcome of %s", s.File)
			}
			o := parseCommand(t, s)
			o.Emulator, o.Root, o.Out, o.s3Front = rie, abs, out, fronts[s.File]
			res, err := Run(t.Context(), o)
			if err != nil {
				t.Fatalf("Run(%s) = %v", s.Command, err)
			}
			if res.Err != nil {
				t.Fatalf("the function failed: %v\n%s", res.Err, strings.Join(res.Log, "\n"))
			}
			if got := failures(t, res); len(got) != 0 {
				t.Errorf("batchItemFailures = %v; want none", got)
			}
			check(t, res, o)
			if s.File != "poison.json" && len(res.DeadLetters) != 0 {
				t.Errorf("dead letters: %v; want none", res.DeadLetters)
			}
			wantStopped(t, res)
		})
	}
}

// parseCommand reads s's command as the command line would.
func parseCommand(t *testing.T, s Sample) Options {
	t.Helper()
	args, err := s.Args()
	if err != nil {
		t.Fatal(err)
	}
	var o Options
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	o.Flags(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		t.Fatalf("flags of %q: %v, %v left over", s.Command, err, fs.Args())
	}
	return o
}

func failures(t *testing.T, res *Result) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Response, &resp); err != nil {
		t.Fatalf("response %s is not a partial batch response: %v", res.Response, err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// wantObjects checks that the function wrote exactly want (key → body) to
// the default bucket, each with contentType, and that each copy holds the
// body.
func wantObjects(t *testing.T, res *Result, want map[string]string, contentType string) {
	t.Helper()
	got := map[string]string{}
	for _, o := range res.Objects {
		got[o.Key] = string(o.Body)
		if o.Bucket != DefaultBucket {
			t.Errorf("object %s written to bucket %s; want %s", o.Key, o.Bucket, DefaultBucket)
		}
		if o.ContentType != contentType {
			t.Errorf("object %s has Content-Type %q; want %q", o.Key, o.ContentType, contentType)
		}
		if b, err := os.ReadFile(o.Copy); err != nil || !bytes.Equal(b, o.Body) {
			t.Errorf("copy %s of %s = %q, %v; want the object's bytes", o.Copy, o.Key, b, err)
		}
		if w := filepath.Join("s3", o.Bucket, o.Key); !strings.HasSuffix(o.Copy, w) {
			t.Errorf("copy of %s is %s; want it under .../%s", o.Key, o.Copy, w)
		}
	}
	for k, body := range want {
		if g, ok := got[k]; !ok || g != body {
			t.Errorf("object %s = %q (stored: %t); want %q", k, g, ok, body)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("object %s written; want only %v", k, slices.Sorted(maps.Keys(want)))
		}
	}
}

// wantStopped checks that the emulator and both servers are gone once Run
// has returned.
func wantStopped(t *testing.T, res *Result) {
	t.Helper()
	if res.pid == 0 || proc.GroupAlive(res.pid) {
		t.Errorf("emulator (process group %d) alive after Run", res.pid)
	}
	for _, u := range []string{res.s3URL, res.sqsURL} {
		host := strings.TrimPrefix(u, "http://")
		if !strings.HasPrefix(host, "127.0.0.1:") {
			t.Errorf("server at %q; want it on 127.0.0.1", u)
		}
		if c, err := net.Dial("tcp", host); err == nil {
			c.Close()
			t.Errorf("server %s still listening after Run", u)
		}
	}
}

// wantPrinted checks what Print shows of res: the response, the log with
// START, END and REPORT but not the emulator's own lines, and each
// object with its copy, relative to out.
func wantPrinted(t *testing.T, res *Result, out string) {
	t.Helper()
	var b strings.Builder
	res.Print(&b, out)
	text := b.String()
	want := []string{"== response\n" + string(res.Response) + "\n", "\nSTART RequestId: ", "\nEND RequestId: ", "\nREPORT RequestId: ",
		`"message":"batch done"`, "== dead letters: 0 in " + DefaultDLQ}
	for _, o := range res.Objects {
		want = append(want, "s3://"+o.Bucket+"/"+o.Key+"  ", "copy: "+filepath.Join("s3", o.Bucket, o.Key)+"\n")
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("Print lacks %q; it wrote:\n%s", w, text)
		}
	}
	if strings.Contains(text, "(rapid)") {
		t.Errorf("Print shows the emulator's own lines for a function that did not fail:\n%s", text)
	}
}

// TestTransientFailureIsDelayed: when S3 fails every put, each record is
// a batch item failure, and the function hides it in its source queue
// (found by the name in eventSourceARN) for its redelivery delay, rather
// than dead-lettering it.
func TestTransientFailureIsDelayed(t *testing.T) {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Event: filepath.Join(abs, SamplesDir, "sqs-text.json"), Emulator: emulator(t), Root: abs, Out: t.TempDir(),
		Env: Vars{{"RETRY_MAX_ATTEMPTS", "2"}, {"RETRY_BASE_DELAY", "1ms"}},
		s3Front: func(next http.Handler) http.Handler {
			return s3sim.NewFaults(next, s3sim.FaultConfig{Script: func(_ int64, r *http.Request) s3sim.Fault {
				if r.Method == http.MethodPut {
					return s3sim.Internal
				}
				return s3sim.None
			}})
		},
	}
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("the function failed: %v", res.Err)
	}
	var ids []string
	for _, r := range res.Event.SQS.Records {
		ids = append(ids, r.MessageId)
	}
	if got := failures(t, res); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ids))) {
		t.Errorf("batchItemFailures = %v; want every record, %v", got, ids)
	}
	var delayed []string
	for _, d := range res.Delays {
		delayed = append(delayed, d.MessageID)
		if d.Queue != "uploads" || d.Seconds < 1 {
			t.Errorf("delay %+v; want one of at least 1 s on the source queue uploads", d)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(delayed)), slices.Sorted(slices.Values(ids))) {
		t.Errorf("records delayed: %v; want every record, %v", delayed, ids)
	}
	if len(res.Objects) != 0 || len(res.DeadLetters) != 0 {
		t.Errorf("objects %d, dead letters %d; want none", len(res.Objects), len(res.DeadLetters))
	}
	var b strings.Builder
	res.Print(&b, abs)
	if !strings.Contains(b.String(), "== redelivery delays: 2\n") {
		t.Errorf("Print does not show the delays:\n%s", b.String())
	}
}
