package uploader

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// snsNotification is a body as SNS delivers it to a queue without raw
// message delivery. attrs are name, value pairs of String attributes.
func snsNotification(id, message string, attrs ...string) string {
	n := map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
		"Message": message, "Timestamp": "2026-12-02T03:04:05.678Z", "SignatureVersion": "1", "Signature": "c2ln",
		"SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem", "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	}
	if len(attrs) > 0 {
		ma := map[string]any{}
		for i := 0; i+1 < len(attrs); i += 2 {
			ma[attrs[i]] = map[string]string{"Type": "String", "Value": attrs[i+1]}
		}
		n["MessageAttributes"] = ma
	}
	b, _ := json.Marshal(n)
	return string(b)
}

// eventBridgeEvent is a body as an EventBridge rule delivers it to a queue.
func eventBridgeEvent(id, detail string) string {
	return `{"version":"0","id":"` + id + `","detail-type":"Order Placed","source":"com.example.orders","account":"123456789012",` +
		`"time":"2026-12-02T03:04:05Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/r"],"detail":` + detail + `}`
}

// TestEnvelopes runs each ENVELOPE through the handler and the real S3
// client against the in-process S3: the payload is stored byte for byte
// at the key the envelope names (its attributes, else its own ID, so one
// notification delivered twice is stored once); a body that is not the
// envelope fails alone with reason InvalidEnvelope, an ERROR line naming
// what is missing, no S3 call and no payload bytes in the log.
func TestEnvelopes(t *testing.T) {
	type object struct{ body, contentType string }
	ev1 := eventBridgeEvent("6a7e8feb-0001", `{"order":"S3CR3T-1","total":12.5}`)
	tests := map[string]struct {
		env      map[string]string
		records  []events.SQSMessage
		want     map[string]object // every object in the bucket
		wantBad  map[string]string // messageId → a part of its error
		wantDups int               // duplicates in the first round
	}{
		"sns": {
			env: map[string]string{"ENVELOPE": "sns"},
			records: []events.SQSMessage{
				msg("m1", snsNotification("sns-0001", `{"S3CR3T":"é\n\"quoted\""}`, "key", "orders/1.json", "content-type", "application/json"),
					"key", "sqs-attributes/are-not-read"),
				msg("m2", snsNotification("sns-0002", "S3CR3T two")),
				// SNS delivered notification sns-0002 into the queue twice.
				msg("m3", snsNotification("sns-0002", "S3CR3T two")),
				msg("m4", snsNotification("sns-0004", "AP8=", "content-encoding", "base64")),
				msg("m5", "S3CR3T plain body"),
				msg("m6", `{"Type":"Notification","Message":"S3CR3T"}`),
				msg("m7", ev1),
			},
			want: map[string]object{
				"uploads/orders/1.json": {`{"S3CR3T":"é\n\"quoted\""}`, "application/json"},
				"uploads/sns-0002":      {"S3CR3T two", ""},
				"uploads/sns-0004":      {"\x00\xff", ""},
			},
			wantBad: map[string]string{
				"m5": "not JSON",
				"m6": "missing MessageId, TopicArn, Timestamp",
				"m7": "missing Type, MessageId, TopicArn, Message, Timestamp",
			},
			wantDups: 1,
		},
		"eventbridge": {
			env: map[string]string{"ENVELOPE": "eventbridge"},
			records: []events.SQSMessage{
				msg("m1", ev1),
				msg("m2", eventBridgeEvent("6a7e8feb-0002", `{"S3CR3T":[1,2,3]}`), "content-encoding", "base64"),
				msg("m3", eventBridgeEvent("6a7e8feb-0003", `"S3CR3T"`)),
				msg("m4", snsNotification("sns-0001", "S3CR3T")),
			},
			want: map[string]object{
				"uploads/6a7e8feb-0001": {ev1, "application/json"},
				"uploads/6a7e8feb-0002": {eventBridgeEvent("6a7e8feb-0002", `{"S3CR3T":[1,2,3]}`), "application/json"},
			},
			wantBad: map[string]string{
				"m3": "detail is not a JSON object",
				"m4": "missing version, id, detail-type, source, time, detail",
			},
		},
		"sns, send time from the notification": {
			env: map[string]string{"ENVELOPE": "sns", "KEY_TEMPLATE": "{sent:2006/01/02/15}/{messageId}"},
			records: []events.SQSMessage{
				sent(msg("m1", snsNotification("sns-0001", "S3CR3T")), "1700000000000"), // SQS's time is 2023
			},
			want: map[string]object{"uploads/2026/12/02/03/sns-0001": {"S3CR3T", ""}},
		},
		"none: a notification is stored as sent": {
			records: []events.SQSMessage{msg("m1", snsNotification("sns-0001", "S3CR3T"))},
			want:    map[string]object{"uploads/m1": {snsNotification("sns-0001", "S3CR3T"), ""}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil, tc.env)
			ev := event(tc.records...)
			resp, err := e.handler.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("Handle error = %v", err)
			}
			var wantFailed []string
			for id := range tc.wantBad {
				wantFailed = append(wantFailed, id)
			}
			slices.Sort(wantFailed)
			if wantFailed == nil {
				wantFailed = []string{}
			}
			got := failedIDs(resp)
			slices.Sort(got)
			if !slices.Equal(got, wantFailed) {
				t.Errorf("failed = %v; want %v", got, wantFailed)
			}
			var wantKeys []string
			for key, w := range tc.want {
				wantKeys = append(wantKeys, key)
				body, ct, ok := e.object(key)
				switch {
				case !ok:
					t.Errorf("object %q missing", key)
				case string(body) != w.body:
					t.Errorf("object %q = %q; want %q", key, body, w.body)
				case w.contentType != "" && ct != w.contentType:
					t.Errorf("object %q Content-Type = %q; want %q", key, ct, w.contentType)
				}
			}
			slices.Sort(wantKeys)
			if keys := e.keys(); !slices.Equal(keys, wantKeys) {
				t.Errorf("bucket holds %v; want exactly %v", keys, wantKeys)
			}
			for _, l := range e.linesWith("upload failed") {
				id, _ := l["messageId"].(string)
				want, bad := tc.wantBad[id]
				if !bad || l["reason"] != "InvalidEnvelope" || l["level"] != "ERROR" || !strings.Contains(l["error"].(string), want) {
					t.Errorf("failure line %v; want ERROR, reason InvalidEnvelope and %q", l, want)
				}
			}
			if n := len(e.linesWith("upload failed")); n != len(tc.wantBad) {
				t.Errorf("%d failure lines; want %d", n, len(tc.wantBad))
			}
			if puts := e.putOrder(); len(puts) != len(tc.records)-len(tc.wantBad) {
				t.Errorf("S3 got PUTs %v; want one per good record, none for the bad ones", puts)
			}
			if strings.Contains(e.logs.String(), "S3CR3T") {
				t.Errorf("payload bytes in the logs:\n%s", e.logs.String())
			}
			// Redelivery of the whole batch: every good record is a
			// duplicate, nothing new is written.
			if _, err := e.handler.Handle(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			sums := e.linesWith("batch done")
			good := len(tc.records) - len(tc.wantBad)
			if sums[0]["duplicates"] != float64(tc.wantDups) || sums[1]["duplicates"] != float64(good) || sums[1]["uploaded"] != 0.0 {
				t.Errorf("summaries %v, %v; want %d then %d duplicates, nothing uploaded again", sums[0], sums[1], tc.wantDups, good)
			}
			if keys := e.keys(); !slices.Equal(keys, wantKeys) {
				t.Errorf("after redelivery the bucket holds %v; want %v", keys, wantKeys)
			}
		})
	}
}

func TestEnvelopeConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string {
			if k == "BUCKET_NAME" {
				return "b"
			}
			return kv[k]
		}
	}
	for v, want := range map[string]string{"": "none", "none": "none", "SNS": "sns", "eventbridge": "eventbridge"} {
		c, err := ConfigFromEnv(env(map[string]string{"ENVELOPE": v}))
		if err != nil || c.Envelope.String() != want {
			t.Errorf("ConfigFromEnv(ENVELOPE=%q) = %v, %v; want %s", v, c.Envelope, err, want)
		}
	}
	if _, err := ConfigFromEnv(env(map[string]string{"ENVELOPE": "auto"})); err == nil ||
		!strings.Contains(err.Error(), `ENVELOPE="auto" is not an envelope: want none, sns or eventbridge`) {
		t.Errorf("ConfigFromEnv(ENVELOPE=auto) error = %v; want one naming ENVELOPE and the choices", err)
	}
	c, err := ConfigFromEnv(env(map[string]string{"POINTER_BUCKETS": " payloads-a, payloads.b ,,payloads-a"}))
	if err != nil || !slices.Equal(c.PointerBuckets, []string{"payloads-a", "payloads.b"}) {
		t.Errorf("ConfigFromEnv(POINTER_BUCKETS) = %v, %v; want [payloads-a payloads.b]", c.PointerBuckets, err)
	}
	if _, err := ConfigFromEnv(env(map[string]string{"POINTER_BUCKETS": "ok-bucket,Bad_Bucket"})); err == nil ||
		!strings.Contains(err.Error(), `POINTER_BUCKETS="ok-bucket,Bad_Bucket": "Bad_Bucket" is not a bucket name`) {
		t.Errorf("ConfigFromEnv(POINTER_BUCKETS bad) error = %v; want one naming the variable and the bad name", err)
	}
}
