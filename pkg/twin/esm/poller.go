package esm

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
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
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
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

	// FIFO says the queue is a FIFO queue (default: its URL ends in
	// ".fifo"). The pollers then receive one at a time (see Poller).
	FIFO bool

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
//
// On a FIFO queue, SQS hands out a message group's messages only while
// none of them is in flight, so a group is never in two batches at once,
// and Lambda's pollers rely on that. moto's SQS checks the groups in
// flight once at the start of each receive, without a lock, so two
// receives at the same time can take the same group; the pollers of a
// FIFO queue therefore receive one at a time (receiveMu), each receive's
// messages marked in flight before the next receive starts, and in short
// receives, since a long one would not see a group freed while it waits
// (fifoPollEvery). The twin's poller is for moto: against SQS itself
// that costs only the overlap of the receives, and more requests.
//
// moto also delivers a group out of order when several of its messages in
// flight turn visible before one receive: the receive skips the first
// (the others are still in flight when it looks) and delivers a later one.
// So of each group's failed records only the first is left to its
// visibility timeout (or the redelivery delay the function set); the
// later ones are made visible at once (releaseBehind). SQS holds them back
// anyway while the first is in flight, then delivers the group in order;
// moto does too, once they are visible before the first. The group then
// resumes when its first failed record comes back, not its last.
type Poller struct {
	sqs       SQS
	fn        Invoker
	cfg       Config
	receiveMu sync.Mutex // held around each receive of a FIFO queue

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
	if strings.HasSuffix(cfg.QueueURL, ".fifo") {
		cfg.FIFO = true
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
