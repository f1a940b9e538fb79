package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/record"
)

// TestFormsAreWhatTheFunctionReads: each form the demo sends, opened by the
// function's own parser with the envelope the demo deploys, gives back the
// payload it must store (a pointer to it, for -pointer) at the message's
// key.
func TestFormsAreWhatTheFunctionReads(t *testing.T) {
	text := loadgen.Message{Key: "demo/r/1.txt", Payload: []byte("message 1\nabc"), Body: "message 1\nabc"}
	b64 := loadgen.Message{Key: "demo/r/2.bin", Payload: []byte{0, 0xff}, Body: "AP8=", Base64: true}
	ptr := `["` + record.PointerClass + `",{"s3BucketName":"` + pointerBucket + `","s3Key":"payloads/r/3"}]`
	pointed := loadgen.Message{Key: "demo/r/3.bin", Payload: []byte("big"), Body: ptr,
		Numbers: map[string]string{record.AttrExtendedPayloadSize: "2000000"}}
	tests := map[string]struct {
		envelope record.Envelope
		m        loadgen.Message
		body     string
		wantBody string
		pointer  bool
	}{
		"sns text":    {envelope: record.EnvelopeSNS, m: text, body: snsNotification("r-1", text), wantBody: "message 1\nabc"},
		"sns base64":  {envelope: record.EnvelopeSNS, m: b64, body: snsNotification("r-2", b64), wantBody: "\x00\xff"},
		"sns pointer": {envelope: record.EnvelopeSNS, m: pointed, body: snsNotification("r-3", pointed), pointer: true},
		"eventbridge": {envelope: record.EnvelopeEventBridge, m: text, body: eventBridgeEvent("r-1", text)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := events.SQSMessage{MessageId: "sqs-1", Body: tc.body, Attributes: map[string]string{},
				MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: aws.String(tc.m.Key)}}}
			p := record.Parser{Prefix: "uploads/", Envelope: tc.envelope, PointerBuckets: []string{pointerBucket}}
			it, err := p.Parse(rec)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			want := tc.wantBody
			if tc.envelope == record.EnvelopeEventBridge {
				want = tc.body // stored as received
				var ev map[string]any
				if json.Unmarshal([]byte(tc.body), &ev) != nil || !strings.Contains(tc.body, `"detail":{`) {
					t.Errorf("event %s is not an EventBridge event with a detail object", tc.body)
				}
			}
			switch {
			case it.Key != "uploads/"+tc.m.Key:
				t.Errorf("key = %q; want uploads/%s", it.Key, tc.m.Key)
			case tc.pointer && (it.Pointer == nil || it.Pointer.Key != "payloads/r/3" || it.Pointer.Size != 2000000):
				t.Errorf("pointer = %+v; want payloads/r/3, 2000000 bytes", it.Pointer)
			case !tc.pointer && string(it.Body) != want:
				t.Errorf("body = %q; want %q", it.Body, want)
			}
		})
	}
}

func TestCheckForms(t *testing.T) {
	tests := map[string]struct {
		cfg     Config
		wantErr string
		wantCtx contextFlags
	}{
		"plain":                   {cfg: Config{Size: 10}, wantCtx: contextFlags{}},
		"sns pointer":             {cfg: Config{Envelope: "sns", Pointer: true, Size: sqsMaxBody + 1}, wantCtx: contextFlags{"envelope": "sns", "pointerBuckets": pointerBucket}},
		"eventbridge":             {cfg: Config{Envelope: "eventbridge", Size: 10}, wantCtx: contextFlags{"envelope": "eventbridge"}},
		"pointer too small":       {cfg: Config{Pointer: true, Size: sqsMaxBody}, wantErr: "fits in an SQS message"},
		"eventbridge and pointer": {cfg: Config{Envelope: "eventbridge", Pointer: true, Size: sqsMaxBody + 1}, wantErr: "no Extended Client Library pointer"},
		"unknown envelope":        {cfg: Config{Envelope: "kinesis"}, wantErr: "want none, sns or eventbridge"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := tc.cfg
			err := checkForms(&cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("checkForms = %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(cfg.Ctx) != len(tc.wantCtx) {
				t.Errorf("checkForms = %v, context %v; want %v", err, cfg.Ctx, tc.wantCtx)
			}
			for k, v := range tc.wantCtx {
				if cfg.Ctx[k] != v {
					t.Errorf("context %s = %q; want %q", k, cfg.Ctx[k], v)
				}
			}
		})
	}
}
