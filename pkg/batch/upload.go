package batch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// run is one Handle call's uploads in progress.
type run struct {
	p      *Processor
	ctx    context.Context // the work's: ends Margin before the deadline
	logCtx context.Context // the invocation's, for log lines
	jobs   []job

	mu     sync.Mutex
	failed []bool // by record index

	uploaded, duplicates, retries, throttles atomic.Int64
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
				r.fail(j, reason, "", detail)
			}
			return
		}
		if r.one(i) {
			continue
		}
		if fifo {
			for _, j := range group[n+1:] {
				r.fail(j, ReasonGroup, "", "an earlier message of its FIFO group failed; not uploaded, to keep the group's order")
			}
			return
		}
	}
}

// one stores the record of job i and reports whether it is done.
func (r *run) one(i int) bool {
	j := &r.jobs[i]
	if j.err != nil {
		r.fail(i, ErrorCode(j.err), "", j.err.Error())
		return false
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
		r.fail(i, stopped(r.ctx, err), ErrorCode(err), fmt.Sprintf("after %d attempts: %v", attempts, err))
		return false
	}
	if existed {
		r.duplicates.Add(1)
	} else {
		r.uploaded.Add(1)
	}
	return true
}

// fail marks record i failed and logs its one "upload failed" line.
func (r *run) fail(i int, reason, code, detail string) {
	r.mu.Lock()
	r.failed[i] = true
	r.mu.Unlock()
	j := &r.jobs[i]
	attrs := []slog.Attr{
		slog.String("messageId", j.rec.MessageId),
		slog.String("key", j.item.Key),
		slog.String("reason", reason),
	}
	if code != "" {
		attrs = append(attrs, slog.String("errorCode", code))
	}
	if n := j.rec.Attributes["ApproximateReceiveCount"]; n != "" {
		attrs = append(attrs, slog.String("receiveCount", n))
	}
	attrs = append(attrs, slog.String("error", detail))
	r.p.logger().LogAttrs(r.logCtx, slog.LevelError, "upload failed", attrs...)
}

// count fills in sum what the run did.
func (r *run) count(sum *Summary) {
	sum.Uploaded = int(r.uploaded.Load())
	sum.Duplicates = int(r.duplicates.Load())
	sum.Retries = int(r.retries.Load())
	sum.Throttles = int(r.throttles.Load())
}
