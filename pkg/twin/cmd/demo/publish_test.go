package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
)

// TestEventStored: an object holds what -source eventbridge must leave
// when it is the event moto delivered for the message: the id PutEvents
// gave, the source and detail-type put, and the detail sent byte for byte
// once compact (moto writes it with Python's spacing).
func TestEventStored(t *testing.T) {
	m := loadgen.Message{Key: "demo/r/1.txt", Body: "AP8=", Base64: true}
	event := func(id, source, detail string) []byte {
		return []byte(`{"version": "0", "id": "` + id + `", "detail-type": "Demo Upload", "source": "` + source +
			`", "account": "123456789012", "time": "2026-12-03T14:00:00Z", "region": "us-east-1", "resources": [], "detail": ` + detail +
			`, "ingestion-time": 1796308545.1}`)
	}
	moto := `{"key": "demo/r/1.txt", "body": "AP8=", "base64": true}`
	tests := map[string]struct {
		got  []byte
		want bool
	}{
		"moto's event":       {event("e-1", eventSource, moto), true},
		"other id":           {event("e-2", eventSource, moto), false},
		"other source":       {event("e-1", "aws.s3", moto), false},
		"one byte differs":   {event("e-1", eventSource, `{"key": "demo/r/1.txt", "body": "AP9=", "base64": true}`), false},
		"fields reordered":   {event("e-1", eventSource, `{"body": "AP8=", "key": "demo/r/1.txt", "base64": true}`), false},
		"the payload itself": {[]byte{0, 0xff}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := eventStored(m, "e-1", tc.got); got != tc.want {
				t.Errorf("eventStored(%s) = %v; want %v", tc.got, got, tc.want)
			}
		})
	}
	if d := string(eventDetail("a<b>&", "x", false)); d != `{"key":"a<b>&","body":"x","base64":false}` {
		t.Errorf("eventDetail = %s; want the key unescaped, fields in order", d)
	}
}

// TestOrigin: a message read back from the queue or the DLQ is told by
// the ID it was sent with: the SQS messageId (or the failure.messageId a
// dead letter names) from the sender, the notification's MessageId from
// SNS, the event's id from EventBridge.
func TestOrigin(t *testing.T) {
	str := func(v string) events.SQSMessageAttribute {
		return events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
	}
	notification := `{"Type":"Notification","MessageId":"sns-1","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"hi",` +
		`"Timestamp":"2026-12-03T14:00:00.000Z","MessageAttributes":{"key":{"Type":"String","Value":"../poison/3"}}}`
	event := `{"version":"0","id":"ev-1","detail-type":"Demo Upload","source":"s3uploader.demo","time":"2026-12-03T14:00:00Z","detail":{"key":"a/2"}}`
	tests := map[string]struct {
		o       origin
		rec     events.SQSMessage
		id, key string
	}{
		"sender":      {origin{}, events.SQSMessage{MessageId: "sqs-1", MessageAttributes: map[string]events.SQSMessageAttribute{"key": str("a/1")}}, "sqs-1", "a/1"},
		"dead letter": {origin{}, events.SQSMessage{MessageId: "dlq-1", MessageAttributes: map[string]events.SQSMessageAttribute{"key": str("a/1"), "failure.messageId": str("sqs-1")}}, "sqs-1", "a/1"},
		"sns":         {newOrigin(Config{Source: sourceSNS}), events.SQSMessage{MessageId: "sqs-2", Body: notification}, "sns-1", "../poison/3"},
		"sns dead letter": {newOrigin(Config{Source: sourceSNS}), events.SQSMessage{MessageId: "dlq-2", Body: notification,
			MessageAttributes: map[string]events.SQSMessageAttribute{"failure.messageId": str("sqs-2")}}, "sns-1", "../poison/3"},
		"eventbridge":     {newOrigin(Config{Source: sourceEventBridge}), events.SQSMessage{MessageId: "sqs-3", Body: event}, "ev-1", "a/2"},
		"not an envelope": {newOrigin(Config{Source: sourceSNS}), events.SQSMessage{MessageId: "sqs-4", Body: "plain"}, "sqs-4", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if id, key := tc.o.of(tc.rec); id != tc.id || key != tc.key {
				t.Errorf("of = %q, %q; want %q, %q", id, key, tc.id, tc.key)
			}
		})
	}
	if !strings.Contains(formText(Config{Source: sourceSNS, Groups: 2}), "s3uploader-demo.fifo") {
		t.Errorf("formText(-source sns -groups 2) = %q; want the FIFO topic named", formText(Config{Source: sourceSNS, Groups: 2}))
	}
}
