package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// Store writes one object in one attempt. It reports existed = true when the
// very same bytes were already stored at key. Errors tell the retry loop how
// to behave (see package retry); they may carry an ErrorCode() string.
// A Store must be safe for concurrent use.
type Store interface {
	Put(ctx context.Context, key string, body []byte, contentType string) (existed bool, err error)
}

// Copier copies an object that S3 already holds to key, server-side, in one
// attempt, never overwriting: it reports existed = true when key already
// holds the same content (a redelivery). size is the size the pointer
// promises (the copy fails permanently when the source differs); a
// non-empty contentType replaces the source's Content-Type. Errors behave
// as a Store's. A Copier must be safe for concurrent use.
type Copier interface {
	Copy(ctx context.Context, srcBucket, srcKey string, size int64, key, contentType string) (existed bool, err error)
}

// Defaults of a Processor's zero fields.
const (
	DefaultConcurrency = 8
	DefaultMargin      = 2 * time.Second
)

// Processor stores the records of SQS events. Set its fields before the
// first call and do not change them after; Handle is then safe for
// concurrent use. Concurrency bounds the uploads in flight of the Processor
// as a whole (Lambda runs one invocation at a time per process, so that is
// per invocation there). Its workers are never stopped: build one Processor
// per process and reuse it.
type Processor struct {
	Store Store
	// Copier makes the server-side copies of pointers; nil, a pointer
	// record fails permanently (reason PointerUnsupported).
	Copier Copier
	// Parser decodes each record and names its object: the key prefix, the
	// key template, the envelope and the buckets pointers may name.
	Parser      record.Parser
	Policy      *retry.Policy // nil: a zero Policy
	Concurrency int           // uploads in flight; 0: DefaultConcurrency
	// Margin is kept free before the context's deadline: no wait or request
	// runs past deadline − Margin, so the response is returned in time.
	// 0: DefaultMargin.
	Margin time.Duration
	Logger *slog.Logger // nil: slog.Default()
	// Scope names the retry scope of a key: the policy's pacer of that
	// scope paces its uploads. Nil: s3store.Prefix, as S3 limits each
	// prefix on its own.
	Scope func(key string) string
	// Router, when set, sends failed records on their way: a permanent
	// failure to the dead-letter queue at once, with its reason; a
	// transient one back to its queue after a redelivery delay that grows
	// with its receive count (RedeliveryBase × 2^(receives−1), capped at
	// RedeliveryMax, the second half of it jitter). Nil: every failed
	// record is left to the queue's visibility timeout and redrive policy.
	Router Router
	// 0: DefaultRedeliveryBase and DefaultRedeliveryMax.
	RedeliveryBase, RedeliveryMax time.Duration

	// The workers live as long as the Processor, as a warm Lambda process
	// does: started on first use, they keep the stacks they grew through the
	// SDK instead of growing new ones on every invocation.
	startWorkers sync.Once
	jobs         chan func()
}

// Summary counts what one Handle call did.
type Summary struct {
	Received   int
	Uploaded   int // new objects written
	Duplicates int // already stored with the same bytes: success, nothing written
	// DeadLettered failed for good and were sent to the dead-letter
	// queue by the Router: handled, not listed in BatchItemFailures.
	DeadLettered int
	Failed       int // listed in BatchItemFailures
	Retries      int // retries made, all records together
	Throttles    int // attempts S3 answered with a throttling error
}

// ErrNotSQS is returned for an event whose records do not come from SQS.
var ErrNotSQS = errors.New("event is not an SQS event")

// job is one record worked out once, before anything is scheduled: what
// is stored, under which key and scope, or why it cannot be. The
// scheduler, the upload and the failure's log line all read it.
type job struct {
	rec   events.SQSMessage
	item  record.Item
	err   error  // why it can never be stored, decided before any S3 call
	scope string // the retry scope of its key
}

// Handle stores every record of ev and returns the IDs of the records it
// could not store. Its error is reserved for faults of the whole event:
// records that are not from SQS, or a failure that has no message ID to
// report (Lambda then retries the whole batch, as it would anyway).
func (p *Processor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, Summary, error) {
	sum := Summary{Received: len(ev.Records)}
	for i, rec := range ev.Records {
		if rec.EventSource != "aws:sqs" {
			return events.SQSEventResponse{}, sum, fmt.Errorf("record %d: eventSource %q: %w", i, keys.Truncate(rec.EventSource, 64), ErrNotSQS)
		}
	}
	workCtx, cancel := p.workContext(ctx)
	defer cancel()

	jobs := p.prepare(ev.Records)
	fifo := len(jobs) > 0 && strings.HasSuffix(jobs[0].rec.EventSourceARN, ".fifo")
	run := &run{p: p, ctx: workCtx, logCtx: ctx, jobs: jobs,
		failed: make([]bool, len(jobs)), redeliver: make([]time.Duration, len(jobs))}
	var wg sync.WaitGroup
	// Workers take whole groups, so a FIFO group runs in order in one worker.
	for _, group := range interleave(jobs, groups(jobs, fifo)) {
		wg.Add(1)
		p.submit(func() {
			defer wg.Done()
			run.group(group, fifo)
		})
	}
	wg.Wait()
	run.delays(ctx)

	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, f := range run.failed {
		if !f {
			continue
		}
		id := jobs[i].rec.MessageId
		if id == "" {
			return events.SQSEventResponse{}, sum, fmt.Errorf("record %d failed and has no messageId to report", i)
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	run.count(&sum)
	sum.Failed = len(resp.BatchItemFailures)
	return resp, sum, nil
}

// prepare decodes every record and names its object, once.
func (p *Processor) prepare(recs []events.SQSMessage) []job {
	jobs := make([]job, len(recs))
	for i, rec := range recs {
		it, err := p.Parser.Parse(rec)
		if err == nil && it.Pointer != nil && p.Copier == nil {
			err = &record.InputError{Reason: ReasonNoCopier, Detail: "the record is a pointer and this processor has no Copier"}
		}
		jobs[i] = job{rec: rec, item: it, err: err, scope: p.scope(it.Key)}
	}
	return jobs
}

// workContext ends Margin before ctx's deadline.
func (p *Processor) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-cmp.Or(p.Margin, DefaultMargin)))
}

func (p *Processor) scope(key string) string {
	if p.Scope != nil {
		return p.Scope(key)
	}
	return s3store.Prefix(key)
}

func (p *Processor) policy() *retry.Policy {
	if p.Policy != nil {
		return p.Policy
	}
	return &retry.Policy{}
}

func (p *Processor) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}
