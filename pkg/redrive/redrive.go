// Package redrive moves dead letters back to the queue they came from once
// the cause of their failure is fixed, so that the function tries them
// again.
//
// Each message goes back with its body and attributes, less the failure.*
// attributes the function added, but with failure.messageId: the ID of the
// message it first was (the dead letter's own messageId when SQS's redrive
// moved it, which keeps it). The function names a message without a key
// attribute by that ID (keys.AttrOriginalID), so the message keeps its key,
// and the conditional write recognises an object stored before the message
// was dead-lettered instead of storing it twice. A message is deleted from
// the dead-letter queue only once the source queue has taken it.
package redrive

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/keys"
)

// API is the part of the SQS client Move uses.
type API interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Result is what Move did.
type Result struct {
	Moved   int
	Reasons map[string]int // moved messages by failure.reason ("" : moved by SQS's redrive)
}

// Move moves up to limit messages (0: all there are) from the dead-letter
// queue at dlqURL to the queue at queueURL. It stops at the first error,
// having moved what Result says; a message whose send failed stays in the
// dead-letter queue and comes back there after its visibility timeout.
func Move(ctx context.Context, client API, dlqURL, queueURL string, limit int) (Result, error) {
	res := Result{Reasons: map[string]int{}}
	for empty := 0; empty < 2 && (limit == 0 || res.Moved < limit); {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId},
		})
		if err != nil {
			return res, fmt.Errorf("receive from the dead-letter queue: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++ // twice in a row: long polls that found nothing
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			if limit > 0 && res.Moved >= limit {
				break // left invisible for a minute, then back in the DLQ
			}
			if err := move(ctx, client, dlqURL, queueURL, m); err != nil {
				return res, err
			}
			res.Moved++
			res.Reasons[aws.ToString(m.MessageAttributes["failure.reason"].StringValue)]++
		}
	}
	return res, nil
}

// move sends m to queueURL, then deletes it from dlqURL.
func move(ctx context.Context, client API, dlqURL, queueURL string, m types.Message) error {
	attrs := back(m)
	in := &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: m.Body, MessageAttributes: attrs}
	if strings.HasSuffix(queueURL, ".fifo") {
		in.MessageGroupId = aws.String(m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)])
		in.MessageDeduplicationId = aws.String(aws.ToString(attrs[keys.AttrOriginalID].StringValue) + "-redriven")
	}
	if _, err := client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send %s back to its queue: %w", aws.ToString(m.MessageId), err)
	}
	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		return fmt.Errorf("delete %s from the dead-letter queue (it is back in its queue too; the function stores it once): %w", aws.ToString(m.MessageId), err)
	}
	return nil
}

// back returns the attributes m goes back with: its own, without the
// failure.* ones but failure.messageId, which it gets when it has none
// and there is room (SQS allows 10).
func back(m types.Message) map[string]types.MessageAttributeValue {
	attrs := maps.Clone(m.MessageAttributes)
	if attrs == nil {
		attrs = map[string]types.MessageAttributeValue{}
	}
	for name := range attrs {
		if strings.HasPrefix(name, "failure.") && name != keys.AttrOriginalID {
			delete(attrs, name)
		}
	}
	if _, ok := attrs[keys.AttrOriginalID]; !ok && len(attrs) < 10 {
		attrs[keys.AttrOriginalID] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: m.MessageId}
	}
	return attrs
}
