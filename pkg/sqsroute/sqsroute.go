// Package sqsroute is batch's Router over Amazon SQS: it sends a record
// that failed for good to the dead-letter queue, byte for byte, with the
// failure as message attributes, and hides a record that failed for now
// in its queue until its redelivery delay is over.
package sqsroute

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/keys"
)

// The message attributes a dead letter carries, in the order they take
// the slots the original message leaves free (SQS allows 10 in all):
// when the original has more than 4, the last ones are left out, and
// with 10, none: the reason is then in the function's log line only.
// Attributes of the original with these names (a dead letter that came
// back and failed again) are replaced; failure.messageId keeps the first
// message's ID.
const (
	AttrReason       = "failure.reason"       // e.g. InvalidKey, PermanentError
	AttrErrorCode    = "failure.errorCode"    // S3's error code, when there is one
	AttrMessageID    = keys.AttrOriginalID    // the original SQS messageId (kept from a redriven dead letter)
	AttrReceiveCount = "failure.receiveCount" // Number: its receives when it failed
	AttrFunction     = "failure.function"     // the function's name
	AttrDetail       = "failure.detail"       // what went wrong, at most 256 bytes, never the payload
)

const maxAttributes = 10

// API is the part of the SQS client a Router uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// Router routes failed records through client: dead letters to
// deadLetterURL, named as sent by function. It is safe for concurrent use.
type Router struct {
	client        API
	deadLetterURL string
	function      string

	mu   sync.Mutex
	urls map[string]string // queue URL by queue ARN
}

// New returns a Router sending dead letters to the queue at deadLetterURL.
func New(client API, deadLetterURL, function string) *Router {
	return &Router{client: client, deadLetterURL: deadLetterURL, function: function, urls: map[string]string{}}
}

// DeadLetter sends rec to the dead-letter queue: its body and attributes
// as received, with f's attributes (see AttrReason). To a FIFO
// dead-letter queue it goes in the record's message group, deduplicated by
// the record's messageId.
func (r *Router) DeadLetter(ctx context.Context, rec events.SQSMessage, f batch.Failure) error {
	in := &sqs.SendMessageInput{
		QueueUrl:          aws.String(r.deadLetterURL),
		MessageBody:       aws.String(rec.Body),
		MessageAttributes: r.attributes(rec, f),
	}
	if strings.HasSuffix(r.deadLetterURL, ".fifo") {
		in.MessageGroupId = aws.String(rec.Attributes["MessageGroupId"])
		in.MessageDeduplicationId = aws.String(rec.MessageId)
	}
	if _, err := r.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send %s to the dead-letter queue: %w", rec.MessageId, err)
	}
	return nil
}

// attributes returns rec's attributes, without failure.* ones, and then
// as many of f's as fit.
func (r *Router) attributes(rec events.SQSMessage, f batch.Failure) map[string]types.MessageAttributeValue {
	out := make(map[string]types.MessageAttributeValue, maxAttributes)
	for name, a := range rec.MessageAttributes {
		if strings.HasPrefix(name, "failure.") {
			continue
		}
		out[name] = types.MessageAttributeValue{DataType: aws.String(a.DataType), StringValue: a.StringValue,
			BinaryValue: a.BinaryValue, StringListValues: a.StringListValues, BinaryListValues: a.BinaryListValues}
	}
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	ours := []struct {
		name string
		v    types.MessageAttributeValue
		ok   bool
	}{
		{AttrReason, str(f.Reason), f.Reason != ""},
		{AttrErrorCode, str(f.ErrorCode), f.ErrorCode != ""},
		{AttrMessageID, str(keys.FieldsOf(rec).ID), rec.MessageId != ""},
		{AttrReceiveCount, types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(f.Receives))}, true},
		{AttrFunction, str(r.function), r.function != ""},
		{AttrDetail, str(truncate(f.Detail, 256)), f.Detail != ""},
	}
	for _, a := range ours {
		if a.ok && len(out) < maxAttributes {
			out[a.name] = a.v
		}
	}
	return out
}

// Delay sets each record's visibility timeout to its delay, through
// ChangeMessageVisibilityBatch, ten at a time, per source queue. Its error
// names the records it could not delay.
func (r *Router) Delay(ctx context.Context, recs []events.SQSMessage, delays []time.Duration) error {
	byQueue := map[string][]int{}
	for i, rec := range recs {
		byQueue[rec.EventSourceARN] = append(byQueue[rec.EventSourceARN], i)
	}
	var errs []error
	for _, arn := range slices.Sorted(maps.Keys(byQueue)) {
		url, err := r.queueURL(ctx, arn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for chunk := range slices.Chunk(byQueue[arn], 10) {
			errs = append(errs, r.delay(ctx, url, recs, delays, chunk))
		}
	}
	return errors.Join(errs...)
}

func (r *Router) delay(ctx context.Context, url string, recs []events.SQSMessage, delays []time.Duration, idx []int) error {
	in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url)}
	for _, i := range idx {
		in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			ReceiptHandle:     aws.String(recs[i].ReceiptHandle),
			VisibilityTimeout: int32(min(delays[i], 12*time.Hour) / time.Second),
		})
	}
	out, err := r.client.ChangeMessageVisibilityBatch(ctx, in)
	if err != nil {
		return fmt.Errorf("change the visibility of %d records: %w", len(idx), err)
	}
	var errs []error
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		errs = append(errs, fmt.Errorf("change the visibility of %s: %s: %s", recs[i].MessageId, aws.ToString(f.Code), aws.ToString(f.Message)))
	}
	return errors.Join(errs...)
}

// queueURL returns the URL of the queue arn names, asking SQS once per
// queue (the URL's host depends on the endpoint in use).
func (r *Router) queueURL(ctx context.Context, arn string) (string, error) {
	r.mu.Lock()
	url, ok := r.urls[arn]
	r.mu.Unlock()
	if ok {
		return url, nil
	}
	// arn:aws:sqs:REGION:ACCOUNT:NAME
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[2] != "sqs" {
		return "", fmt.Errorf("eventSourceARN %q is not an SQS queue's ARN", truncate(arn, 256))
	}
	out, err := r.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", fmt.Errorf("get the URL of queue %s: %w", parts[5], err)
	}
	url = aws.ToString(out.QueueUrl)
	r.mu.Lock()
	r.urls[arn] = url
	r.mu.Unlock()
	return url, nil
}

// truncate cuts s to at most n bytes on a character boundary, marking the
// cut, and replaces what SQS refuses in an attribute (control characters
// but tab and newlines, invalid UTF-8) with U+FFFD.
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
