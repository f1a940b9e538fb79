package esm

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Invoker runs the function synchronously. It returns the function's
// response payload, or an error when the invocation failed for any reason
// (function error, timeout, transport). It must be safe for concurrent use
// by Config.Concurrency goroutines.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// SQS is the part of the SQS client the poller uses; *sqs.Client
// satisfies it.
type SQS interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Config mirrors the settings of an event source mapping. The zero value
// of each optional field means Lambda's default.
type Config struct {
	QueueURL string // required
	QueueARN string // eventSourceARN of the records
	Region   string // awsRegion of the records

	// BatchSize is the most records per invocation (default 10).
	BatchSize int
	// MaxBatchingWindow is how long to keep gathering records before
	// invoking with fewer than BatchSize (default 0: invoke with what the
	// first receive returns).
	MaxBatchingWindow time.Duration
	// ReportBatchItemFailures enables partial batch responses.
	ReportBatchItemFailures bool
	// Concurrency is the number of pollers, each invoking one batch at a
	// time: the mapping's maximum concurrency (default 2).
	Concurrency int
	// FunctionTimeout bounds each invocation, plus a margin (default 3s).
	FunctionTimeout time.Duration
	// WaitTime is the long-poll wait of a receive (default and most 20s).
	WaitTime time.Duration

	// OnBatch, if set, is called after each invocation with its outcome,
	// from the poller's goroutine.
	OnBatch func(Batch)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Outcome classifies an invocation as the event source sees it.
type Outcome int

const (
	Success         Outcome = iota // every record deleted
	Partial                        // some records reported as failed
	FunctionError                  // the function returned an error, panicked or crashed
	Timeout                        // the function ran past its timeout
	InvalidResponse                // the partial batch response could not be honoured
	InvokeError                    // the invocation could not be made
)

var outcomeNames = [...]string{"success", "partial", "function-error", "timeout", "invalid-response", "invoke-error"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Batch is the result of one invocation.
type Batch struct {
	MessageIDs []string // every record of the batch, in order
	// Records are the batch's records as the event handed them to the
	// function (message and system attributes included), in order.
	Records  []events.SQSMessage
	Failed   []string      // records left on the queue for redelivery
	Deleted  int           // records deleted
	Outcome  Outcome       //
	Err      error         // why the batch failed, for the failing outcomes
	Duration time.Duration // of the invocation
}

// Stats are counters since the poller started.
type Stats struct {
	Invocations      int64
	Records          int64 // records delivered, redeliveries included
	Deleted          int64
	FailedRecords    int64 // records left for redelivery
	PartialBatches   int64
	FunctionErrors   int64
	Timeouts         int64
	InvalidResponses int64
	InvokeErrors     int64
	DeleteErrors     int64
	ReceiveErrors    int64
}

// Poller runs the pollers of one mapping. Create it with New.
type Poller struct {
	sqs SQS
	fn  Invoker
	cfg Config

	invocations, records, deleted, failed, partial         atomic.Int64
	functionErrors, timeouts, invalid, invokeErrs, delErrs atomic.Int64
	receiveErrs                                            atomic.Int64
}

// New returns a poller for cfg. Run starts it.
func New(client SQS, fn Invoker, cfg Config) *Poller {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.FunctionTimeout <= 0 {
		cfg.FunctionTimeout = 3 * time.Second
	}
	if cfg.WaitTime <= 0 || cfg.WaitTime > 20*time.Second {
		cfg.WaitTime = 20 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Poller{sqs: client, fn: fn, cfg: cfg}
}

// Stats returns the counters so far. It is safe to call while running.
func (p *Poller) Stats() Stats {
	return Stats{
		Invocations: p.invocations.Load(), Records: p.records.Load(), Deleted: p.deleted.Load(),
		FailedRecords: p.failed.Load(), PartialBatches: p.partial.Load(),
		FunctionErrors: p.functionErrors.Load(), Timeouts: p.timeouts.Load(),
		InvalidResponses: p.invalid.Load(), InvokeErrors: p.invokeErrs.Load(), DeleteErrors: p.delErrs.Load(),
		ReceiveErrors: p.receiveErrs.Load(),
	}
}

// Run polls until ctx is done, then waits for the invocations in flight
// and returns nil. Receive errors are retried after a second, as the
// service does; Stats counts them.
func (p *Poller) Run(ctx context.Context) error {
	if p.cfg.QueueURL == "" {
		return errors.New("esm: QueueURL is required")
	}
	var wg sync.WaitGroup
	for range p.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.poll(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (p *Poller) poll(ctx context.Context) {
	for ctx.Err() == nil {
		msgs := p.gather(ctx)
		if len(msgs) == 0 {
			continue
		}
		// Once received, a batch is invoked and settled even if ctx is
		// cancelled meanwhile, as Lambda would: stop polling, not work.
		b := p.invoke(context.WithoutCancel(ctx), msgs)
		if p.cfg.OnBatch != nil {
			p.cfg.OnBatch(b)
		}
	}
}

// gather receives up to BatchSize messages within the batching window.
func (p *Poller) gather(ctx context.Context) []types.Message {
	var msgs []types.Message
	size := 0
	var deadline time.Time
	for len(msgs) < p.cfg.BatchSize && size < maxPayload {
		wait := p.cfg.WaitTime
		if len(msgs) > 0 {
			left := deadline.Sub(p.cfg.Now())
			if left < time.Second {
				if left > 0 { // finish the window without a receive
					select {
					case <-time.After(left):
					case <-ctx.Done():
					}
				}
				break
			}
			wait = min(wait, left)
		}
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.cfg.QueueURL),
			MaxNumberOfMessages:         int32(min(10, p.cfg.BatchSize-len(msgs))),
			WaitTimeSeconds:             int32(wait / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if ctx.Err() != nil {
				return msgs // invoked by the caller: never strand received messages
			}
			p.receiveErrs.Add(1)
			select { // back off on errors, as the service does
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			continue
		}
		if len(msgs) == 0 && len(out.Messages) > 0 {
			deadline = p.cfg.Now().Add(p.cfg.MaxBatchingWindow)
		}
		for _, m := range out.Messages {
			msgs = append(msgs, m)
			size += len(aws.ToString(m.Body))
		}
		if len(msgs) > 0 && p.cfg.MaxBatchingWindow == 0 {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	return msgs
}

// maxPayload is Lambda's synchronous invocation payload limit.
const maxPayload = 6 << 20

func (p *Poller) invoke(ctx context.Context, msgs []types.Message) Batch {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = aws.ToString(m.MessageId)
	}
	b := Batch{MessageIDs: ids}
	p.invocations.Add(1)
	p.records.Add(int64(len(msgs)))

	ev, payload, err := marshalEvent(msgs, p.cfg.QueueARN, p.cfg.Region)
	b.Records = ev.Records
	if err != nil {
		b.Outcome, b.Err = InvokeError, err
	} else {
		ictx, cancel := context.WithTimeout(ctx, p.cfg.FunctionTimeout+15*time.Second)
		start := p.cfg.Now()
		resp, err := p.fn.Invoke(ictx, payload)
		b.Duration = p.cfg.Now().Sub(start)
		cancel()
		switch {
		case err != nil:
			b.Outcome, b.Err = classifyInvokeError(err), err
		case p.cfg.ReportBatchItemFailures:
			failed, err := parseResponse(resp, ids)
			if err != nil {
				b.Outcome, b.Err = InvalidResponse, err
			} else if len(failed) > 0 {
				b.Outcome, b.Failed = Partial, failed
			}
		}
	}
	if b.Outcome != Success && b.Outcome != Partial {
		b.Failed = ids
	}
	p.count(b.Outcome)
	p.failed.Add(int64(len(b.Failed)))
	b.Deleted = p.deleteAllBut(ctx, msgs, b.Failed)
	p.deleted.Add(int64(b.Deleted))
	return b
}

func (p *Poller) count(o Outcome) {
	switch o {
	case Partial:
		p.partial.Add(1)
	case FunctionError:
		p.functionErrors.Add(1)
	case Timeout:
		p.timeouts.Add(1)
	case InvalidResponse:
		p.invalid.Add(1)
	case InvokeError:
		p.invokeErrs.Add(1)
	}
}

// classifyInvokeError tells function errors and timeouts from invocations
// that could not be made, by behaviour: an error in the chain with
// FunctionError() bool reporting true failed in the function, and one
// whose Timeout() also reports true ran out of time (*rie.FunctionError
// has both). Anything else is an InvokeError.
func classifyInvokeError(err error) Outcome {
	var fe interface {
		FunctionError() bool
	}
	if !errors.As(err, &fe) || !fe.FunctionError() {
		return InvokeError
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return Timeout
	}
	return FunctionError
}

// deleteAllBut deletes every message not in keep and returns how many
// were deleted.
func (p *Poller) deleteAllBut(ctx context.Context, msgs []types.Message, keep []string) int {
	skip := make(map[string]bool, len(keep))
	for _, id := range keep {
		skip[id] = true
	}
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if skip[aws.ToString(m.MessageId)] {
			continue
		}
		entries = append(entries, types.DeleteMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle,
		})
	}
	deleted := 0
	for len(entries) > 0 {
		n := min(10, len(entries))
		out, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(p.cfg.QueueURL), Entries: entries[:n],
		})
		if err != nil {
			p.delErrs.Add(int64(n))
		} else {
			deleted += len(out.Successful)
			p.delErrs.Add(int64(len(out.Failed)))
		}
		entries = entries[n:]
	}
	return deleted
}
