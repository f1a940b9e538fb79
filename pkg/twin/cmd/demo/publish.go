package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/twin/feeds"
)

// batcher is where the sender's batches go: the queue itself
// (*sqs.Client), or a source that feeds it.
type batcher = loadgen.SQS

// topicBatches publishes the sender's batches to an SNS topic: each
// SendMessageBatch becomes one PublishBatch of the same entries (body,
// message attributes, FIFO group and deduplication ID), so the queue gets
// the notifications moto's SNS writes. Its answer names each entry's SNS
// MessageId.
type topicBatches struct {
	sns      *feeds.SNS
	topicArn string
}

func (t topicBatches) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	pubs := make([]feeds.Publication, len(in.Entries))
	for i, e := range in.Entries {
		attrs := map[string]feeds.Attribute{}
		for k, a := range e.MessageAttributes {
			attrs[k] = feeds.Attribute{DataType: aws.ToString(a.DataType), StringValue: aws.ToString(a.StringValue)}
		}
		pubs[i] = feeds.Publication{ID: aws.ToString(e.Id), Message: aws.ToString(e.MessageBody), Attributes: attrs,
			GroupID: aws.ToString(e.MessageGroupId), DeduplicationID: aws.ToString(e.MessageDeduplicationId)}
	}
	res, err := t.sns.PublishBatch(ctx, t.topicArn, pubs)
	if err != nil {
		return nil, err
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, p := range pubs {
		if id, ok := res.MessageIDs[p.ID]; ok {
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: aws.String(p.ID), MessageId: aws.String(id)})
		} else {
			out.Failed = append(out.Failed, failedEntry(p.ID, res.Failed[p.ID]))
		}
	}
	return out, nil
}

// eventBatches puts the sender's batches on the default event bus: each
// entry becomes an event of source eventSource and type eventDetailType
// whose detail carries its key and body (eventDetail), so the queue gets
// the events moto's EventBridge writes. Its answer names each entry's
// event ID.
type eventBatches struct{ events *feeds.EventBridge }

func (b eventBatches) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	evs := make([]feeds.Event, len(in.Entries))
	for i, e := range in.Entries {
		a := e.MessageAttributes
		b64 := aws.ToString(a[record.AttrContentEncoding].StringValue) == "base64"
		evs[i] = feeds.Event{Source: eventSource, DetailType: eventDetailType,
			Detail: string(eventDetail(aws.ToString(a["key"].StringValue), aws.ToString(e.MessageBody), b64))}
	}
	res, err := b.events.PutEvents(ctx, evs)
	if err != nil {
		return nil, err
	}
	out := &sqs.SendMessageBatchOutput{}
	for i, e := range in.Entries {
		if res.Failed[i] != nil {
			out.Failed = append(out.Failed, failedEntry(aws.ToString(e.Id), res.Failed[i]))
			continue
		}
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String(res.EventIDs[i])})
	}
	return out, nil
}

func failedEntry(id string, err error) sqstypes.BatchResultErrorEntry {
	code, msg := "Unknown", "no answer for the entry"
	var ae *feeds.APIError
	if errors.As(err, &ae) {
		code, msg = ae.Code, ae.Message
	}
	return sqstypes.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String(code), Message: aws.String(msg), SenderFault: true}
}

// eventDetail is the detail of the event -source eventbridge puts for a
// message: its key, its body as sent (text or base64) and whether it is
// base64, as the sender-made events of -envelope eventbridge carry them.
func eventDetail(key, body string, b64 bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Key    string `json:"key"`
		Body   string `json:"body"`
		Base64 bool   `json:"base64"`
	}{key, body, b64})
	return bytes.TrimSpace(buf.Bytes())
}

// eventStored reports whether got, the object of message m put with
// event ID id, is the event moto's EventBridge delivered for it: the
// function stores an event as received, and moto writes its envelope (id,
// time), so the bytes are not known in advance. The event's id must be
// id, its source and detail-type the ones put, and its detail, once both
// are compact JSON, the detail sent byte for byte.
func eventStored(m loadgen.Message, id string, got []byte) bool {
	var ev struct {
		ID         string          `json:"id"`
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(got, &ev) != nil || ev.ID != id || ev.Source != eventSource || ev.DetailType != eventDetailType {
		return false
	}
	var stored, sent bytes.Buffer
	if json.Compact(&stored, ev.Detail) != nil || json.Compact(&sent, eventDetail(m.Key, m.Body, m.Base64)) != nil {
		return false
	}
	return bytes.Equal(stored.Bytes(), sent.Bytes())
}

// exactPayload reports whether got is m's payload, byte for byte.
func exactPayload(m loadgen.Message, _ string, got []byte) bool { return bytes.Equal(got, m.Payload) }

// sendTarget is where the run's messages go: the batcher, what the story
// calls it, and the check of what each message leaves in S3.
func (d *demo) sendTarget() (b batcher, where string, match func(loadgen.Message, string, []byte) bool) {
	switch d.cfg.Source {
	case sourceSNS:
		topic := arn("sns", topicName(d.cfg))
		return topicBatches{sns: d.c.sns, topicArn: topic}, "published with SNS PublishBatch to " + topic, exactPayload
	case sourceEventBridge:
		return eventBatches{events: d.c.events}, "put with EventBridge PutEvents on the default bus", eventStored
	}
	return d.c.sqs, "sent with SendMessageBatch", exactPayload
}
