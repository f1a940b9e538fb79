package batch

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Failure is why a record was not stored, as its log line and its
// dead letter give it.
type Failure struct {
	Reason    string // e.g. InvalidKey, PermanentError, DeadlineReached
	ErrorCode string // S3's or the retry's code for the last error; may be empty
	Detail    string // what went wrong; never quotes the payload
	Receives  int    // the record's ApproximateReceiveCount; 0: unknown
}

// Permanent reports whether no retry can store the record: it was refused
// before any S3 call (an input reason), or S3 refused it for good
// (PermanentError: a conflict, access denied), or it is a pointer and
// there is no Copier. Every other failure is transient.
func (f Failure) Permanent() bool {
	switch f.Reason {
	case ReasonAttempts, ReasonDeadline, ReasonCanceled, ReasonBudget, ReasonGroup, ReasonUnknown:
		return false
	}
	return true
}

// Router sends failed records on their way instead of leaving them to the
// queue's redrive policy. A Router must be safe for concurrent use.
type Router interface {
	// DeadLetter sends rec, body and attributes as received, to the
	// dead-letter queue with f as its reason. Once it returns nil the
	// record is handled: the source deletes it.
	DeadLetter(ctx context.Context, rec events.SQSMessage, f Failure) error
	// Delay keeps each record hidden in its queue for its delay (whole
	// seconds), so that SQS delivers it again then rather than after the
	// queue's visibility timeout. Records it could not delay come back
	// after the visibility timeout, as without a Router.
	Delay(ctx context.Context, recs []events.SQSMessage, delays []time.Duration) error
}

// Defaults of the redelivery delay.
const (
	DefaultRedeliveryBase = 2 * time.Second
	DefaultRedeliveryMax  = 15 * time.Minute
)

// RedeliveryDelay is how long a record that failed for a transient reason
// on its receive-th delivery stays hidden: between half and all of
// base × 2^(receive−1), capped at max, in whole seconds (SQS's unit),
// at least one. Half is fixed so that a record never comes straight back;
// the other half is jitter (r, in [0, 1)), so records that failed
// together do not return together.
func RedeliveryDelay(receive int, base, limit time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < receive && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d = d/2 + time.Duration(r*float64(d/2))
	return max(d.Round(time.Second), time.Second)
}

// receiveCount is the record's ApproximateReceiveCount; 0 when it has
// none.
func receiveCount(rec events.SQSMessage) int {
	n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// route sends the record of job i, failed for f, on its way, and reports
// whether it is handled (dead-lettered: the source may delete it). A
// permanent failure is dead-lettered; a transient one, or one the
// dead-letter queue did not take, gets its redelivery delay, set by
// delays once the uploads are over.
func (r *run) route(i int, f Failure) (deadLettered bool, redeliver time.Duration, err error) {
	p := r.p
	if p.Router == nil {
		return false, 0, nil
	}
	rec := r.jobs[i].rec
	if f.Permanent() {
		ctx, cancel := p.routeContext(r.logCtx)
		err = p.Router.DeadLetter(ctx, rec, f)
		cancel()
		if err == nil {
			return true, 0, nil
		}
	}
	d := RedeliveryDelay(max(f.Receives, 1), cmp.Or(p.RedeliveryBase, DefaultRedeliveryBase),
		cmp.Or(p.RedeliveryMax, DefaultRedeliveryMax), rand.Float64())
	return false, d, err
}

// delays asks the Router to hide the records that failed for a transient
// reason for their redelivery delays. It runs after the uploads, in the
// first half of the Margin, bounded by the policy's attempt timeout.
func (r *run) delays(ctx context.Context) {
	p := r.p
	if p.Router == nil {
		return
	}
	var recs []events.SQSMessage
	var delays []time.Duration
	for i, d := range r.redeliver {
		if d > 0 {
			recs, delays = append(recs, r.jobs[i].rec), append(delays, d)
		}
	}
	if len(recs) == 0 {
		return
	}
	ctx, cancel := r.p.routeContext(ctx)
	defer cancel()
	if err := p.Router.Delay(ctx, recs, delays); err != nil {
		r.p.logger().LogAttrs(r.logCtx, slog.LevelWarn, "redelivery delay not set",
			slog.Int("records", len(recs)), slog.String("error", err.Error()))
	}
}

// routeContext bounds a call to the Router: the policy's attempt timeout,
// and half the Margin before ctx's deadline.
func (p *Processor) routeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	limit := time.Now().Add(cmp.Or(p.policy().AttemptTimeout, 5*time.Second))
	if deadline, ok := ctx.Deadline(); ok {
		if d := deadline.Add(-cmp.Or(p.Margin, DefaultMargin) / 2); d.Before(limit) {
			limit = d
		}
	}
	return context.WithDeadline(ctx, limit)
}
