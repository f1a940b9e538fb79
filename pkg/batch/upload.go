package batch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// run is one Handle call's uploads in progress.
type run struct {
	p      *Processor
	ctx    context.Context // the work's: ends Margin before the deadline
	logCtx context.Context // the invocation's, for log lines
	jobs   []job

	mu        sync.Mutex
	failed    []bool          // by record index
	redeliver []time.Duration // by record index: the delay to ask the Router for

	uploaded, duplicates, deadLettered, retries, throttles atomic.Int64
}

// group stores the records of one group in order. Once one fails in a
// FIFO group, or the time is up, the rest are failed without being tried.
func (r *run) group(group []int, fifo bool) {
	for n, i := range group {
		if r.ctx.Err() != nil {
			reason := untried(r.ctx)
			detail := "no time left before the function's deadline"
			if reason == ReasonCanceled {
				detail = "the invocation was canceled"
			}
			for _, j := range group[n:] {
				r.fail(j, Failure{Reason: reason, Detail: detail})
			}
			return
		}
		if r.one(i) {
			continue
		}
		if fifo {
			for _, j := range group[n+1:] {
				r.fail(j, Failure{Reason: ReasonGroup, Detail: "an earlier message of its FIFO group failed; not uploaded, to keep the group's order"})
			}
			return
		}
	}
}

// one stores the record of job i and reports whether it is handled:
// stored, or dead-lettered with its reason.
func (r *run) one(i int) bool {
	j := &r.jobs[i]
	if j.err != nil {
		return r.fail(i, Failure{Reason: ErrorCode(j.err), Detail: j.err.Error()})
	}
	var existed bool
	it := j.item
	attempts, err := r.p.policy().DoScoped(r.ctx, j.scope, func(ctx context.Context) error {
		var err error
		if ptr := it.Pointer; ptr != nil {
			existed, err = r.p.Copier.Copy(ctx, ptr.Bucket, ptr.Key, ptr.Size, it.Key, it.ContentType)
		} else {
			existed, err = r.p.Store.Put(ctx, it.Key, it.Body, it.ContentType)
		}
		if retry.Throttle(err) {
			r.throttles.Add(1)
		}
		return err
	}, func(rt retry.Retry) {
		r.retries.Add(1)
		r.p.logger().LogAttrs(r.logCtx, slog.LevelWarn, "upload retry",
			slog.String("messageId", it.MessageID),
			slog.String("key", it.Key),
			slog.Int("attempt", rt.Attempt),
			slog.Int64("delayMs", rt.Delay.Milliseconds()),
			slog.String("errorCode", ErrorCode(rt.Err)),
			slog.String("error", rt.Err.Error()))
	})
	if err != nil {
		return r.fail(i, Failure{Reason: stopped(r.ctx, err), ErrorCode: ErrorCode(err), Detail: fmt.Sprintf("after %d attempts: %v", attempts, err)})
	}
	if existed {
		r.duplicates.Add(1)
	} else {
		r.uploaded.Add(1)
	}
	return true
}

// fail routes record i, failed for f, and logs its one "upload failed"
// line, saying where the record goes: dead-lettered, or back to its queue
// (after redeliveryS seconds when a Router sets the delay). It reports
// whether the record is handled (dead-lettered).
func (r *run) fail(i int, f Failure) (handled bool) {
	j := &r.jobs[i]
	f.Receives = receiveCount(j.rec)
	deadLettered, delay, routeErr := r.route(i, f)
	attrs := []slog.Attr{
		slog.String("messageId", j.rec.MessageId),
		slog.String("key", j.item.Key),
		slog.String("reason", f.Reason),
	}
	if f.ErrorCode != "" {
		attrs = append(attrs, slog.String("errorCode", f.ErrorCode))
	}
	if f.Receives > 0 {
		attrs = append(attrs, slog.Int("receiveCount", f.Receives))
	}
	attrs = append(attrs, slog.String("error", f.Detail))
	switch {
	case deadLettered:
		r.deadLettered.Add(1)
		attrs = append(attrs, slog.String("then", "deadLettered"))
	case delay > 0:
		attrs = append(attrs, slog.String("then", "redelivered"), slog.Int64("redeliveryS", int64(delay/time.Second)))
	default:
		attrs = append(attrs, slog.String("then", "redelivered"))
	}
	if routeErr != nil {
		attrs = append(attrs, slog.String("deadLetterError", routeErr.Error()))
	}
	r.p.logger().LogAttrs(r.logCtx, slog.LevelError, "upload failed", attrs...)
	if deadLettered {
		return true
	}
	r.mu.Lock()
	r.failed[i] = true
	r.redeliver[i] = delay
	r.mu.Unlock()
	return false
}

// count fills in sum what the run did.
func (r *run) count(sum *Summary) {
	sum.Uploaded = int(r.uploaded.Load())
	sum.Duplicates = int(r.duplicates.Load())
	sum.DeadLettered = int(r.deadLettered.Load())
	sum.Retries = int(r.retries.Load())
	sum.Throttles = int(r.throttles.Load())
}
