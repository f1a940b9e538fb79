package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

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

type fakeSNS func(*sns.PublishBatchInput) (*sns.PublishBatchOutput, error)

func (f fakeSNS) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	return f(in)
}

type fakeEvents func(*eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)

func (f fakeEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return f(in)
}

// sqsEntry is a sender's batch entry: body, key and, for FIFO, group and
// deduplication ID.
func sqsEntry(id, body, key, group string) sqstypes.SendMessageBatchRequestEntry {
	e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"key":              {DataType: aws.String("String"), StringValue: aws.String(key)},
			"content-encoding": {DataType: aws.String("String"), StringValue: aws.String("base64")},
		}}
	if group != "" {
		e.MessageGroupId, e.MessageDeduplicationId = aws.String(group), aws.String("d"+id)
	}
	return e
}

// TestTopicBatches: a SendMessageBatch goes out as one PublishBatch of
// the same entries (body, attributes, group, deduplication ID), and its
// answer comes back by entry ID: published with the SNS MessageId,
// refused with SNS's code, unanswered as Unknown; an error of the whole
// call is returned as it is.
func TestTopicBatches(t *testing.T) {
	var got *sns.PublishBatchInput
	pub := fakeSNS(func(in *sns.PublishBatchInput) (*sns.PublishBatchOutput, error) {
		got = in
		if aws.ToString(in.TopicArn) == "missing" {
			return nil, errors.New("NotFound")
		}
		return &sns.PublishBatchOutput{
			Successful: []snstypes.PublishBatchResultEntry{{Id: aws.String("0"), MessageId: aws.String("m-0")}},
			Failed:     []snstypes.BatchResultErrorEntry{{Id: aws.String("1"), Code: aws.String("InvalidParameter"), Message: aws.String("bad")}},
		}, nil
	})
	in := &sqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{
		sqsEntry("0", "AP8=", "a/b.txt", "g1"), sqsEntry("1", "x", "a/1", ""), sqsEntry("2", "y", "a/2", "")}}
	out, err := topicBatches{sns: pub, topicArn: "arn:t.fifo"}.SendMessageBatch(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.TopicArn) != "arn:t.fifo" || len(got.PublishBatchRequestEntries) != 3 {
		t.Fatalf("PublishBatch(%s, %d entries); want arn:t.fifo, 3", aws.ToString(got.TopicArn), len(got.PublishBatchRequestEntries))
	}
	e0, e1 := got.PublishBatchRequestEntries[0], got.PublishBatchRequestEntries[1]
	if aws.ToString(e0.Id) != "0" || aws.ToString(e0.Message) != "AP8=" || aws.ToString(e0.MessageGroupId) != "g1" ||
		aws.ToString(e0.MessageDeduplicationId) != "d0" || aws.ToString(e0.MessageAttributes["key"].StringValue) != "a/b.txt" ||
		aws.ToString(e0.MessageAttributes["content-encoding"].DataType) != "String" {
		t.Errorf("entry 0: id %q, message %q, group %q, deduplication %q, key %q; want 0, AP8=, g1, d0, a/b.txt (String)",
			aws.ToString(e0.Id), aws.ToString(e0.Message), aws.ToString(e0.MessageGroupId), aws.ToString(e0.MessageDeduplicationId),
			aws.ToString(e0.MessageAttributes["key"].StringValue))
	}
	if e1.MessageGroupId != nil || e1.MessageDeduplicationId != nil {
		t.Errorf("entry 1 sent group %v, deduplication %v; want neither", e1.MessageGroupId, e1.MessageDeduplicationId)
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "0" || aws.ToString(out.Successful[0].MessageId) != "m-0" {
		t.Errorf("%d successful; want entry 0 alone, as m-0", len(out.Successful))
	}
	codes := map[string]string{}
	for _, f := range out.Failed {
		codes[aws.ToString(f.Id)] = aws.ToString(f.Code)
	}
	if len(codes) != 2 || codes["1"] != "InvalidParameter" || codes["2"] != "Unknown" {
		t.Errorf("Failed codes = %v; want 1 InvalidParameter, 2 Unknown", codes)
	}
	if _, err := (topicBatches{sns: pub, topicArn: "missing"}).SendMessageBatch(context.Background(), in); err == nil || err.Error() != "NotFound" {
		t.Errorf("SendMessageBatch(missing topic) = %v; want the call's error", err)
	}
}

// TestEventBatches: each entry goes out as an event of the demo's source
// and type whose detail is eventDetail of its key and body; the answer
// comes back in order, a refused event failed with EventBridge's code; an
// answer of another length is an error.
func TestEventBatches(t *testing.T) {
	var got *eventbridge.PutEventsInput
	answer := []ebtypes.PutEventsResultEntry{{EventId: aws.String("ev-0")},
		{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")}}
	put := fakeEvents(func(in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		got = in
		return &eventbridge.PutEventsOutput{Entries: answer, FailedEntryCount: 1}, nil
	})
	in := &sqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{
		sqsEntry("0", "AP8=", "a/b.txt", ""), sqsEntry("1", "x", "a/1", "")}}
	out, err := eventBatches{events: put}.SendMessageBatch(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	e0 := got.Entries[0]
	if aws.ToString(e0.Source) != eventSource || aws.ToString(e0.DetailType) != eventDetailType || e0.EventBusName != nil ||
		aws.ToString(e0.Detail) != string(eventDetail("a/b.txt", "AP8=", true)) {
		t.Errorf("event 0: source %q, type %q, bus %v, detail %s; want %s, %s, the default, %s", aws.ToString(e0.Source), aws.ToString(e0.DetailType),
			e0.EventBusName, aws.ToString(e0.Detail), eventSource, eventDetailType, eventDetail("a/b.txt", "AP8=", true))
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].MessageId) != "ev-0" ||
		len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "1" || aws.ToString(out.Failed[0].Code) != "InternalFailure" {
		t.Errorf("SendMessageBatch: %d successful, %d failed; want 0 as ev-0, 1 failed InternalFailure", len(out.Successful), len(out.Failed))
	}
	answer = answer[:1]
	if _, err := (eventBatches{events: put}).SendMessageBatch(context.Background(), in); err == nil {
		t.Errorf("SendMessageBatch with one answer for two events = nil; want an error")
	}
}
