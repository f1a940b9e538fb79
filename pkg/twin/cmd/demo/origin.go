package main

import (
	"cmp"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/record"
)

// origin tells which message of the run a message read from a queue is
// (a record the function got, a dead letter, a message left queued): the
// ID it was sent with, and its key attribute. The sender sends to the
// queue and gets each SQS messageId back; SNS and EventBridge give their
// own IDs (the notification's MessageId, the event's id), which the
// envelopes they write into the queue carry. The zero origin is the
// sender's.
type origin struct {
	// envelope is the one the source writes: EnvelopeNone when the
	// sender sends to the queue (with -envelope, its envelopes carry IDs
	// of its own, and the SQS messageId is the one it got back).
	envelope record.Envelope
}

func newOrigin(cfg Config) origin {
	switch cfg.Source {
	case sourceSNS:
		return origin{envelope: record.EnvelopeSNS}
	case sourceEventBridge:
		return origin{envelope: record.EnvelopeEventBridge}
	}
	return origin{}
}

// of returns the ID rec was sent with and its key attribute ("" if none).
// A dead letter keeps the body and attributes of the message it was, and
// names its SQS messageId (failure.messageId).
func (o origin) of(rec events.SQSMessage) (id, key string) {
	if o.envelope != record.EnvelopeNone {
		if m, err := o.envelope.Open(rec); err == nil {
			return m.ID, cmp.Or(stringAttr(m.Attributes[keys.AttrKey]), detailKey(m.Body, o.envelope))
		}
	}
	return keys.FieldsOf(rec).ID, stringAttr(rec.MessageAttributes[keys.AttrKey])
}

// ofMessage is of for a message received from a queue.
func (o origin) ofMessage(m sqstypes.Message) (id, key string) {
	rec := events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), Attributes: m.Attributes,
		MessageAttributes: map[string]events.SQSMessageAttribute{}}
	for k, a := range m.MessageAttributes {
		rec.MessageAttributes[k] = events.SQSMessageAttribute{DataType: aws.ToString(a.DataType), StringValue: a.StringValue}
	}
	return o.of(rec)
}

func stringAttr(a events.SQSMessageAttribute) string { return aws.ToString(a.StringValue) }

// detailKey is the key the detail of an EventBridge event the demo put
// carries (eventDetail), or "".
func detailKey(body string, e record.Envelope) string {
	if e != record.EnvelopeEventBridge {
		return ""
	}
	var ev struct {
		Detail struct {
			Key string `json:"key"`
		} `json:"detail"`
	}
	_ = json.Unmarshal([]byte(body), &ev)
	return ev.Detail.Key
}
