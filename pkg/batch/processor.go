package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// Store writes one object in one attempt. It reports existed = true when the
// very same bytes were already stored at key. Errors tell the retry loop how
// to behave (see package retry); they may carry an ErrorCode() string.
// A Store must be safe for concurrent use.
type Store interface {
	Put(ctx context.Context, key string, body []byte, contentType string) (existed bool, err error)
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
	Store       Store
	Policy      *retry.Policy // nil: a zero Policy
	Prefix      string        // prepended to every key
	Concurrency int           // uploads in flight; 0: DefaultConcurrency
	// Margin is kept free before the context's deadline: no wait or request
	// runs past deadline − Margin, so the response is returned in time.
	// 0: DefaultMargin.
	Margin time.Duration
	Logger *slog.Logger // nil: slog.Default()
	// Scope names the retry scope of a key: the policy's send-rate limiter
	// of that scope paces its uploads. Nil: Prefix, the key up to and
	// including its last '/', as S3 limits each prefix on its own.
	Scope func(key string) string
	// KeyTemplate names each record's object under Prefix; nil:
	// DefaultKeyTemplate (the key attribute, else the message ID).
	KeyTemplate *KeyTemplate
	// Envelope is what every body arrives in (see Parser).
	Envelope Envelope
	// PointerBuckets are the buckets an Extended Client Library pointer may
	// name; its payload is copied through Copier. Empty: pointers are plain
	// bodies.
	PointerBuckets []string
	// Copier makes the server-side copies of pointers; nil, a pointer
	// record fails permanently (reason PointerUnsupported).
	Copier Copier

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
	Failed     int // listed in BatchItemFailures
	Retries    int // retries made, all records together
	Throttles  int // attempts S3 answered with a throttling error
}

// ErrNotSQS is returned for an event whose records do not come from SQS.
var ErrNotSQS = errors.New("event is not an SQS event")

// Handle stores every record of ev and returns the IDs of the records it
// could not store. Its error is reserved for faults of the whole event:
// records that are not from SQS, or a failure that has no message ID to
// report (Lambda then retries the whole batch, as it would anyway).
func (p *Processor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, Summary, error) {
	var resp events.SQSEventResponse
	sum := Summary{Received: len(ev.Records)}
	for i, rec := range ev.Records {
		if rec.EventSource != "aws:sqs" {
			return resp, sum, fmt.Errorf("record %d: eventSource %q: %w", i, truncate(rec.EventSource, 64), ErrNotSQS)
		}
	}
	workCtx, cancel := p.workContext(ctx)
	defer cancel()

	fifo := len(ev.Records) > 0 && strings.HasSuffix(ev.Records[0].EventSourceARN, ".fifo")
	var (
		mu     sync.Mutex
		failed = make([]bool, len(ev.Records))
		counts counters
	)
	fail := func(i int) { mu.Lock(); failed[i] = true; mu.Unlock() }

	// Workers take whole groups, so a FIFO group runs in order in one worker.
	var wg sync.WaitGroup
	for _, group := range p.interleave(ev.Records, groups(ev.Records, fifo)) {
		wg.Add(1)
		p.submit(func() {
			defer wg.Done()
			p.runGroup(workCtx, ctx, ev.Records, group, fifo, &counts, fail)
		})
	}
	wg.Wait()

	resp.BatchItemFailures = []events.SQSBatchItemFailure{}
	for i, f := range failed {
		if !f {
			continue
		}
		id := ev.Records[i].MessageId
		if id == "" {
			return events.SQSEventResponse{}, sum, fmt.Errorf("record %d failed and has no messageId to report", i)
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	sum.Uploaded = int(counts.uploaded.Load())
	sum.Duplicates = int(counts.duplicates.Load())
	sum.Retries = int(counts.retries.Load())
	sum.Throttles = int(counts.throttles.Load())
	sum.Failed = len(resp.BatchItemFailures)
	return resp, sum, nil
}

// runGroup stores the records of one group in order. Once one fails in a
// FIFO group, or the time is up, the rest are failed without being tried.
func (p *Processor) runGroup(ctx, logCtx context.Context, recs []events.SQSMessage, group []int, fifo bool, c *counters, fail func(int)) {
	for n, i := range group {
		if ctx.Err() != nil {
			for _, j := range group[n:] {
				reason, detail := "DeadlineReached", "no time left before the function's deadline"
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					reason, detail = "Canceled", "the invocation was canceled"
				}
				p.logFailure(logCtx, recs[j], p.keyOf(recs[j]), reason, "", detail)
				fail(j)
			}
			return
		}
		if p.one(ctx, logCtx, recs[i], c) {
			continue
		}
		fail(i)
		if fifo {
			for _, j := range group[n+1:] {
				p.logFailure(logCtx, recs[j], p.keyOf(recs[j]), "EarlierInGroupFailed", "",
					"an earlier message of its FIFO group failed; not uploaded, to keep the group's order")
				fail(j)
			}
			return
		}
	}
}

type counters struct {
	uploaded, duplicates, retries, throttles atomic.Int64
}

// one stores one record and reports whether it is done.
func (p *Processor) one(ctx, logCtx context.Context, rec events.SQSMessage, c *counters) bool {
	it, err := p.parser().Parse(rec)
	if err == nil && it.Pointer != nil && p.Copier == nil {
		err = inputErr("PointerUnsupported", "the record is a pointer and this processor has no Copier")
	}
	if err != nil {
		p.logFailure(logCtx, rec, it.Key, ErrorCode(err), "", err.Error())
		return false
	}
	var existed bool
	attempts, err := p.policy().DoScoped(ctx, p.scope(it.Key), func(ctx context.Context) error {
		var err error
		if ptr := it.Pointer; ptr != nil {
			existed, err = p.Copier.Copy(ctx, ptr.Bucket, ptr.Key, ptr.Size, it.Key, it.ContentType)
		} else {
			existed, err = p.Store.Put(ctx, it.Key, it.Body, it.ContentType)
		}
		if retry.Throttle(err) {
			c.throttles.Add(1)
		}
		return err
	}, func(r retry.Retry) {
		c.retries.Add(1)
		p.logger().LogAttrs(logCtx, slog.LevelWarn, "upload retry",
			slog.String("messageId", it.MessageID),
			slog.String("key", it.Key),
			slog.Int("attempt", r.Attempt),
			slog.Int64("delayMs", r.Delay.Milliseconds()),
			slog.String("errorCode", ErrorCode(r.Err)),
			slog.String("error", r.Err.Error()))
	})
	if err != nil {
		reason := "RetriesExhausted"
		var re *retry.Error
		if errors.As(err, &re) {
			reason = StopReason(re.Cause)
		}
		if reason == "DeadlineReached" && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			reason = "Canceled"
		}
		p.logFailure(logCtx, rec, it.Key, reason, ErrorCode(err), fmt.Sprintf("after %d attempts: %v", attempts, err))
		return false
	}
	if existed {
		c.duplicates.Add(1)
	} else {
		c.uploaded.Add(1)
	}
	return true
}

func (p *Processor) logFailure(ctx context.Context, rec events.SQSMessage, key, reason, code, detail string) {
	attrs := []slog.Attr{
		slog.String("messageId", rec.MessageId),
		slog.String("key", key),
		slog.String("reason", reason),
	}
	if code != "" {
		attrs = append(attrs, slog.String("errorCode", code))
	}
	if n := rec.Attributes["ApproximateReceiveCount"]; n != "" {
		attrs = append(attrs, slog.String("receiveCount", n))
	}
	attrs = append(attrs, slog.String("error", detail))
	p.logger().LogAttrs(ctx, slog.LevelError, "upload failed", attrs...)
}

// keyOf returns the key a record would be stored under, or "" when its
// attributes (or envelope) are invalid; for log lines of records that are
// not tried. It does not decode the payload.
func (p *Processor) keyOf(rec events.SQSMessage) string {
	key, err := p.parser().Key(rec)
	if err != nil {
		return ""
	}
	return key
}

func (p *Processor) parser() Parser {
	return Parser{Prefix: p.Prefix, KeyTemplate: p.KeyTemplate, Envelope: p.Envelope, PointerBuckets: p.PointerBuckets}
}

// ErrorCode names err for logs: its ErrorCode() when it has one, else a
// name for what the retry package saw.
func ErrorCode(err error) string {
	if errors.Is(err, retry.ErrAttemptTimeout) {
		return "AttemptTimeout"
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "DeadlineReached"
	}
	return "Unknown"
}

// StopReason is the reason a record's log line and metrics give for a
// retry.Error's Cause: PermanentError, RetriesExhausted, DeadlineReached
// (the deadline or a cancel), RetryBudgetExhausted, or Unknown.
func StopReason(cause error) string {
	switch cause {
	case retry.ErrPermanent:
		return "PermanentError"
	case retry.ErrAttempts:
		return "RetriesExhausted"
	case retry.ErrDeadline, retry.ErrCanceled:
		return "DeadlineReached"
	case retry.ErrBudget:
		return "RetryBudgetExhausted"
	}
	return "Unknown"
}

// workContext ends Margin before ctx's deadline.
func (p *Processor) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-p.margin()))
}

// Prefix returns key up to and including its last '/', or "" for a key
// without one.
func Prefix(key string) string {
	return key[:strings.LastIndexByte(key, '/')+1]
}

func (p *Processor) scope(key string) string {
	if p.Scope != nil {
		return p.Scope(key)
	}
	return Prefix(key)
}

func (p *Processor) concurrency() int {
	if p.Concurrency > 0 {
		return p.Concurrency
	}
	return DefaultConcurrency
}

func (p *Processor) margin() time.Duration {
	if p.Margin > 0 {
		return p.Margin
	}
	return DefaultMargin
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
