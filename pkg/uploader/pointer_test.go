package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// pointerMsg builds the SQS message the Extended Client Library sends for a
// payload it left at s3://bucket/key.
func pointerMsg(id, bucket, key string, size int, attrs ...string) events.SQSMessage {
	body, _ := json.Marshal([]any{record.PointerClass, map[string]string{"s3BucketName": bucket, "s3Key": key}})
	m := msg(id, string(body), attrs...)
	m.MessageAttributes[record.AttrExtendedPayloadSize] = events.SQSMessageAttribute{DataType: "Number", StringValue: aws.String(strconv.Itoa(size))}
	return m
}

// putSource leaves a payload in the pointer bucket, as the sender's
// Extended Client Library does.
func (e *testEnv) putSource(key string, body []byte) {
	e.t.Helper()
	if _, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(pointerBucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("application/octet-stream")}); err != nil {
		e.t.Fatal(err)
	}
}

// TestPointerCopy runs Extended Client Library pointers through the
// handler and the real S3 client against the in-process S3: the payload is
// copied server-side to the record's key, never downloaded, the source
// left in place; a redelivery is a duplicate decided from metadata; other
// bytes at the key are a Conflict; a missing source, a size that does not
// match and a bucket not in POINTER_BUCKETS fail permanently; throttled
// copies are retried by the retry policy.
func TestPointerCopy(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16+3) // 2 MiB + 48 bytes: over SQS's 1 MiB
	other := []byte("other bytes already at the key")
	tests := map[string]struct {
		script    func(n int64, r *http.Request) s3sim.Fault
		env       map[string]string
		before    map[string][]byte // objects in the uploads bucket beforehand
		records   []events.SQSMessage
		wantStore map[string][]byte // the uploads bucket afterwards
		wantFail  map[string]string // messageId → reason/errorCode
		retries   float64
		throttles float64
	}{
		"copy": {
			records:   []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/p1", len(big)), msg("m2", "a plain sibling")},
			wantStore: map[string][]byte{"uploads/m1": big, "uploads/m2": []byte("a plain sibling")},
		},
		"key and content type from the record": {
			records:   []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/p1", len(big), "key", "in/big.bin", "content-type", "image/png")},
			wantStore: map[string][]byte{"uploads/in/big.bin": big},
		},
		"conflict": {
			before:    map[string][]byte{"uploads/m1": other},
			records:   []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/p1", len(big))},
			wantStore: map[string][]byte{"uploads/m1": other},
			wantFail:  map[string]string{"m1": "Conflict"},
		},
		"missing source": {
			records:  []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/gone", 10), msg("m2", "sibling")},
			wantFail: map[string]string{"m1": "SourceNotFound"}, wantStore: map[string][]byte{"uploads/m2": []byte("sibling")},
		},
		"size does not match": {
			records:  []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/p1", len(big)-1)},
			wantFail: map[string]string{"m1": "SizeMismatch"}, wantStore: map[string][]byte{},
		},
		"bucket not allowed": {
			records:  []events.SQSMessage{pointerMsg("m1", "someone-elses-bucket", "large/p1", len(big)), msg("m2", "sibling")},
			wantFail: map[string]string{"m1": "PointerNotAllowed"}, wantStore: map[string][]byte{"uploads/m2": []byte("sibling")},
		},
		"throttled copies": {
			script:    keyed(s3sim.SlowDownF, 3, func(k string) bool { return k == "uploads/m1" }),
			records:   []events.SQSMessage{pointerMsg("m1", pointerBucket, "large/p1", len(big))},
			wantStore: map[string][]byte{"uploads/m1": big},
			retries:   3, throttles: 3,
		},
		"inside an SNS notification": {
			env: map[string]string{"ENVELOPE": "sns"},
			records: []events.SQSMessage{msg("m1", snsNotificationAttrs("sns-1",
				`["`+record.PointerClass+`",{"s3BucketName":"`+pointerBucket+`","s3Key":"large/p1"}]`,
				map[string]any{record.AttrExtendedPayloadSize: map[string]string{"Type": "Number", "Value": strconv.Itoa(len(big))}}))},
			wantStore: map[string][]byte{"uploads/sns-1": big},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"POINTER_BUCKETS": pointerBucket}
			for k, v := range tc.env {
				env[k] = v
			}
			e := newEnv(t, tc.script, env)
			e.putSource("large/p1", big)
			for k, b := range tc.before {
				if _, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
					t.Fatal(err)
				}
			}
			ev := event(tc.records...)
			for round := range 2 { // the second round is SQS redelivering the batch
				resp, err := e.handler.Handle(context.Background(), ev)
				if err != nil {
					t.Fatalf("Handle error = %v", err)
				}
				want := []string{}
				for id := range tc.wantFail {
					want = append(want, id)
				}
				slices.Sort(want)
				if got := failedIDs(resp); !slices.Equal(got, want) {
					t.Errorf("round %d: failed = %v; want %v", round, got, want)
				}
			}
			// The payload never passed through the function: the pointer
			// bucket saw only HEADs, and no copy was read back (m2, a plain
			// sibling where there is one, is read back on its redelivery).
			for _, r := range e.requestsTo(pointerBucket) {
				if !strings.HasPrefix(r, "HEAD ") && r != "PUT large/p1" {
					t.Errorf("request %q to the pointer bucket; want only HEADs (never a GET of the payload)", r)
				}
			}
			for _, r := range e.requestsTo(testBucket) {
				if strings.HasPrefix(r, "GET ") && r != "GET uploads/m2" {
					t.Errorf("request %q read an object back; a copy is compared by its metadata", r)
				}
			}
			var wantKeys []string
			for k, b := range tc.wantStore {
				wantKeys = append(wantKeys, k)
				if got, _, ok := e.object(k); !ok || !bytes.Equal(got, b) {
					t.Errorf("object %s = %d bytes (%v); want %d bytes", k, len(got), ok, len(b))
				}
			}
			slices.Sort(wantKeys)
			if keys := e.keys(); !slices.Equal(keys, wantKeys) {
				t.Errorf("bucket holds %v; want exactly %v", keys, wantKeys)
			}
			if name == "key and content type from the record" {
				if _, ct, _ := e.object("uploads/in/big.bin"); ct != "image/png" {
					t.Errorf("copy's Content-Type = %q; want image/png from the record", ct)
				}
			}
			if got, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(pointerBucket), Key: aws.String("large/p1")}); err != nil || aws.ToInt64(got.ContentLength) != int64(len(big)) {
				t.Errorf("source after the copy: %v; want it left in place", err)
			}

			lines := e.linesWith("upload failed")
			if len(lines) != 2*len(tc.wantFail) {
				t.Errorf("%d failure lines; want %d (one per failed record and round)", len(lines), 2*len(tc.wantFail))
			}
			for _, l := range lines {
				want := tc.wantFail[l["messageId"].(string)]
				if l["level"] != "ERROR" || (l["reason"] != want && l["errorCode"] != want) {
					t.Errorf("failure line %v; want ERROR with reason or errorCode %s", l, want)
				}
			}
			sums := e.linesWith("batch done")
			if sums[0]["retries"] != tc.retries || sums[0]["throttles"] != tc.throttles {
				t.Errorf("first summary %v; want %v retries, %v throttles", sums[0], tc.retries, tc.throttles)
			}
			if good := len(tc.records) - len(tc.wantFail); sums[1]["duplicates"] != float64(good) || sums[1]["uploaded"] != 0.0 {
				t.Errorf("redelivery summary %v; want %d duplicates, nothing uploaded", sums[1], good)
			}
		})
	}
}

// snsNotificationAttrs is snsNotification with message attributes of any
// type.
func snsNotificationAttrs(id, message string, attrs map[string]any) string {
	var n map[string]any
	_ = json.Unmarshal([]byte(snsNotification(id, message)), &n)
	n["MessageAttributes"] = attrs
	b, _ := json.Marshal(n)
	return string(b)
}

// TestPointerSourceReplacedDuringCopy: a source replaced between the
// function's look at it and its copy is not copied unchecked: the copy,
// conditional on the ETag it looked at, is refused; the key is found free,
// so the attempt is retried (SourceChanged), looks again and copies what
// the bucket holds then, whose size the pointer promised.
func TestPointerSourceReplacedDuringCopy(t *testing.T) {
	first, second := bytes.Repeat([]byte("a"), 4096), bytes.Repeat([]byte("b"), 4096)
	var (
		e       *testEnv
		once    sync.Once
		replErr error
	)
	script := func(_ int64, r *http.Request) s3sim.Fault {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
			once.Do(func() {
				_, replErr = e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(pointerBucket),
					Key: aws.String("large/p1"), Body: bytes.NewReader(second)})
			})
		}
		return s3sim.None
	}
	e = newEnv(t, script, map[string]string{"POINTER_BUCKETS": pointerBucket})
	e.putSource("large/p1", first)
	resp, err := e.handler.Handle(context.Background(), event(pointerMsg("m1", pointerBucket, "large/p1", len(first))))
	if err != nil || len(resp.BatchItemFailures) > 0 || replErr != nil {
		t.Fatalf("Handle = %v, %v (replacing the source: %v); want m1 stored", failedIDs(resp), err, replErr)
	}
	if got, _, ok := e.object("uploads/m1"); !ok || !bytes.Equal(got, second) {
		t.Errorf("object = %.8q… (%v); want the source as it is after the replacement", got, ok)
	}
	retries := e.linesWith("upload retry")
	if len(retries) != 1 || retries[0]["errorCode"] != "SourceChanged" {
		t.Errorf("retry lines %v; want one, errorCode SourceChanged", retries)
	}
}
