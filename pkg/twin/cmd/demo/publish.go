package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/record"
)

// batcher is where the sender's batches go: the queue itself
// (*sqs.Client), or a source that feeds it.
type batcher = loadgen.SQS

// snsPublisher is the SNS call topicBatches makes (*sns.Client).
type snsPublisher interface {
	PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// eventPutter is the EventBridge call eventBatches makes
// (*eventbridge.Client).
type eventPutter interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// topicBatches publishes the sender's batches to an SNS topic: each
// SendMessageBatch becomes one PublishBatch of the same entries (body,
// message attributes, FIFO group and deduplication ID), so the queue gets
// the notifications moto's SNS writes. Its answer names each entry's SNS
// MessageId; an entry SNS neither published nor refused is failed.
type topicBatches struct {
	sns      snsPublisher
	topicArn string
}

func (t topicBatches) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	entries := make([]snstypes.PublishBatchRequestEntry, len(in.Entries))
	for i, e := range in.Entries {
		attrs := make(map[string]snstypes.MessageAttributeValue, len(e.MessageAttributes))
		for k, a := range e.MessageAttributes {
			attrs[k] = snstypes.MessageAttributeValue{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
		entries[i] = snstypes.PublishBatchRequestEntry{Id: e.Id, Message: e.MessageBody, MessageAttributes: attrs,
			MessageGroupId: e.MessageGroupId, MessageDeduplicationId: e.MessageDeduplicationId}
	}
	res, err := t.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(t.topicArn), PublishBatchRequestEntries: entries})
	if err != nil {
		return nil, err
	}
	published := map[string]string{}
	for _, p := range res.Successful {
		published[aws.ToString(p.Id)] = aws.ToString(p.MessageId)
	}
	refused := map[string]snstypes.BatchResultErrorEntry{}
	for _, f := range res.Failed {
		refused[aws.ToString(f.Id)] = f
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		id := aws.ToString(e.Id)
		if mid, ok := published[id]; ok {
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String(mid)})
		} else if f, ok := refused[id]; ok {
			out.Failed = append(out.Failed, failedEntry(id, aws.ToString(f.Code), aws.ToString(f.Message)))
		} else {
			out.Failed = append(out.Failed, failedEntry(id, "", ""))
		}
	}
	return out, nil
}

// eventBatches puts the sender's batches on the default event bus: each
// entry becomes an event of source eventSource and type eventDetailType
// whose detail carries its key and body (eventDetail), so the queue gets
// the events moto's EventBridge writes. Its answer names each entry's
// event ID.
type eventBatches struct{ events eventPutter }

func (b eventBatches) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	entries := make([]ebtypes.PutEventsRequestEntry, len(in.Entries))
	for i, e := range in.Entries {
		a := e.MessageAttributes
		b64 := aws.ToString(a[record.AttrContentEncoding].StringValue) == "base64"
		entries[i] = ebtypes.PutEventsRequestEntry{Source: aws.String(eventSource), DetailType: aws.String(eventDetailType),
			Detail: aws.String(string(eventDetail(aws.ToString(a["key"].StringValue), aws.ToString(e.MessageBody), b64)))}
	}
	res, err := b.events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return nil, err
	}
	if len(res.Entries) != len(entries) {
		return nil, fmt.Errorf("events PutEvents: %d entries answered for %d events", len(res.Entries), len(entries))
	}
	out := &sqs.SendMessageBatchOutput{}
	for i, e := range in.Entries {
		r := res.Entries[i]
		if r.ErrorCode != nil || r.EventId == nil {
			out.Failed = append(out.Failed, failedEntry(aws.ToString(e.Id), aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)))
			continue
		}
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: r.EventId})
	}
	return out, nil
}

// failedEntry is the SendMessageBatch failure of entry id that a source
// refused with code and msg ("": no answer for the entry).
func failedEntry(id, code, msg string) sqstypes.BatchResultErrorEntry {
	if code == "" {
		code, msg = "Unknown", cmp.Or(msg, "no answer for the entry")
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
