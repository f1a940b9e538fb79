package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS is the part of the SQS client a Sender uses; *sqs.Client satisfies
// it.
type SQS interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Sender sends messages to one queue. Its zero value is not usable: set
// SQS and QueueURL.
type Sender struct {
	SQS      SQS
	QueueURL string
	// Concurrency is the number of SendMessageBatch calls in flight
	// (default 4).
	Concurrency int
	// ContentType is the "content-type" attribute (default text/plain for
	// text, application/octet-stream for base64).
	ContentType string
	// OnSent, if set, is called with the number of messages of each batch
	// accepted, from the sending goroutines.
	OnSent func(n int)
}

// Result says what was sent.
type Result struct {
	IDs    []string // SQS message ID of each message, "" if not sent
	Sent   int
	Failed []error // entries SQS refused, one error each
}

// batchBytes is SendMessageBatch's limit on the sum of the bodies and
// attributes of one call (256 KiB).
const batchBytes = 256 << 10

// Send sends msgs with SendMessageBatch, ten at most per call and within
// the call's size limit. Entries SQS refuses are retried once and then
// reported in Result.Failed; a failed call stops the send with an error.
func (s *Sender) Send(ctx context.Context, msgs []Message) (Result, error) {
	res := Result{IDs: make([]string, len(msgs))}
	var batches [][]int
	var cur []int
	size := 0
	for i, m := range msgs {
		sz := len(m.Body) + len(m.Key) + 64
		if len(cur) == 10 || (len(cur) > 0 && size+sz > batchBytes) {
			batches = append(batches, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += sz
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = 4
	}
	var (
		mu       sync.Mutex
		firstErr error
		sent     atomic.Int64
		wg       sync.WaitGroup
		work     = make(chan []int)
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				ids, failed, err := s.sendBatch(ctx, msgs, b)
				mu.Lock()
				for k, v := range ids {
					res.IDs[k] = v
				}
				res.Failed = append(res.Failed, failed...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				sent.Add(int64(len(ids)))
				if s.OnSent != nil && len(ids) > 0 {
					s.OnSent(len(ids))
				}
			}
		}()
	}
	for _, b := range batches {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		work <- b
	}
	close(work)
	wg.Wait()
	res.Sent = int(sent.Load())
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

func (s *Sender) sendBatch(ctx context.Context, msgs []Message, idx []int) (map[int]string, []error, error) {
	ids := map[int]string{}
	todo := idx
	var failed []error
	for attempt := 0; attempt < 2 && len(todo) > 0; attempt++ {
		entries := make([]types.SendMessageBatchRequestEntry, len(todo))
		for j, i := range todo {
			entries[j] = s.entry(strconv.Itoa(i), msgs[i])
		}
		out, err := s.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.QueueURL), Entries: entries})
		if err != nil {
			return ids, failed, fmt.Errorf("send message batch: %w", err)
		}
		for _, ok := range out.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			ids[i] = aws.ToString(ok.MessageId)
		}
		var again []int
		failed = failed[:0]
		for _, f := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			again = append(again, i)
			failed = append(failed, fmt.Errorf("message %d (%s): %s: %s", i, msgs[i].Key, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		todo = again
	}
	return ids, failed, nil
}

func (s *Sender) entry(id string, m Message) types.SendMessageBatchRequestEntry {
	ct := s.ContentType
	if ct == "" {
		ct = "text/plain"
		if m.Base64 {
			ct = "application/octet-stream"
		}
	}
	attrs := map[string]types.MessageAttributeValue{
		"key":          {DataType: aws.String("String"), StringValue: aws.String(m.Key)},
		"content-type": {DataType: aws.String("String"), StringValue: aws.String(ct)},
	}
	if m.Base64 {
		attrs["content-encoding"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("base64")}
	}
	for k, v := range m.Numbers {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
	}
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(m.Body), MessageAttributes: attrs}
	if m.Group != "" {
		e.MessageGroupId = aws.String(m.Group)
		e.MessageDeduplicationId = aws.String(m.DedupID)
	}
	return e
}
