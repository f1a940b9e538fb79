package main

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// dlqAPI is the part of the SQS client that reading the DLQ uses;
// *sqs.Client satisfies it.
type dlqAPI interface {
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

const (
	// dlqHold is the visibility timeout of the DLQ's messages while they
	// are counted: longer than any count takes (at most dlqMaxWaits
	// seconds of waiting, and a few milliseconds a receive), so none
	// reappears mid-count and is taken for more. They are made visible
	// again at the end.
	dlqHold = 120
	// dlqConfirmEmpty empty receives in a row, once the queue's count is
	// reached, say the DLQ is read: a short poll of SQS asks only some of
	// its servers, so one empty answer does not.
	dlqConfirmEmpty = 3
	// dlqMaxWaits empty long polls of a second in a row, short of the
	// queue's count, end the reading anyway: the rest is held by someone
	// else, and the summary shows the difference.
	dlqMaxWaits = 30
	// redriveReason is the reason of a DLQ message without
	// failure.reason: SQS moved it after maxReceiveCount receives.
	redriveReason = "redrive (maxReceiveCount)"
)

// dlqMessage is one message of the DLQ. The function, when it dead-letters
// a message itself, sets failure.reason, failure.errorCode,
// failure.messageId (the messageId it was sent with), failure.receiveCount,
// failure.function and failure.detail; SQS's redrive keeps the messageId
// and sets none of them.
type dlqMessage struct {
	MessageID  string // its own, in the DLQ
	OriginalID string // the ID of the message sent (origin): failure.messageId, or MessageID, or its envelope's
	Key        string // its key attribute
	Reason     string // failure.reason, or redriveReason
}

// newDLQMessage reads m, telling the message sent by o.
func newDLQMessage(m sqstypes.Message, o origin) dlqMessage {
	var reason string
	if a, ok := m.MessageAttributes["failure.reason"]; ok {
		reason = aws.ToString(a.StringValue)
	}
	id, key := o.ofMessage(m)
	return dlqMessage{
		MessageID:  aws.ToString(m.MessageId),
		OriginalID: id,
		Key:        key,
		Reason:     cmp.Or(reason, redriveReason),
	}
}

// readQueue receives every message of the queue at url once, told apart by
// MessageId, and returns them with the number of messages the queue says
// it holds (visible and in flight) once they are all received: the two
// are equal unless some were held by another reader throughout. Receiving
// goes on until the queue's count is reached and then dlqConfirmEmpty
// receives in a row come back empty. The messages are made visible again
// at the end, for the aws CLI or the next reader. A stack without a DLQ
// (url "") holds none. o tells the message sent each one is.
func readQueue(ctx context.Context, q dlqAPI, url string, o origin) (msgs []dlqMessage, held int, err error) {
	if url == "" {
		return nil, 0, nil
	}
	want, err := countOf(ctx, q, url)
	if err != nil {
		return nil, 0, err
	}
	var handles []string
	defer func() { release(context.WithoutCancel(ctx), q, url, handles) }()
	seen := map[string]bool{}
	for empties := 0; ; {
		reached := len(msgs) >= want
		if reached && empties >= dlqConfirmEmpty || !reached && empties >= dlqMaxWaits {
			break
		}
		in := &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: dlqHold,
			MessageAttributeNames: []string{"All"},
		}
		if !reached {
			in.WaitTimeSeconds = 1 // a long poll asks every server
		}
		out, err := q.ReceiveMessage(ctx, in)
		if err != nil {
			return msgs, 0, fmt.Errorf("read %s: %w", url, err)
		}
		if len(out.Messages) == 0 {
			empties++
			continue
		}
		empties = 0
		for _, m := range out.Messages {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id] = true
				msgs = append(msgs, newDLQMessage(m, o))
			}
		}
	}
	n, err := countOf(ctx, q, url)
	return msgs, n, err
}

// depthOf returns how many messages the queue at url holds, visible and
// in flight.
func depthOf(ctx context.Context, q dlqAPI, url string) (visible, inflight int, err error) {
	names := []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return 0, 0, fmt.Errorf("count %s: %w", url, err)
	}
	var n [2]int
	for i, name := range names {
		if n[i], err = strconv.Atoi(a.Attributes[string(name)]); err != nil {
			return 0, 0, fmt.Errorf("count %s: %s = %q", url, name, a.Attributes[string(name)])
		}
	}
	return n[0], n[1], nil
}

// countOf is depthOf, summed.
func countOf(ctx context.Context, q dlqAPI, url string) (int, error) {
	visible, inflight, err := depthOf(ctx, q, url)
	return visible + inflight, err
}

// release makes the received messages visible again, ten at a time. A
// failure only leaves them hidden until dlqHold has passed.
func release(ctx context.Context, q dlqAPI, url string, handles []string) {
	for len(handles) > 0 {
		n := min(len(handles), 10)
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, n)
		for i, h := range handles[:n] {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			}
		}
		_, _ = q.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
		handles = handles[n:]
	}
}
