package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/retry"
)

// instance is one Lambda execution environment: its retry machinery lives
// as long as it does, as the function's handler does while warm.
type instance struct {
	id       int
	retrier  retrier
	inFlight int // requests out now
	conns    int // connections open: a request beyond them opens one
}

// invocation is one call of the handler, modelled on pkg/batch.Processor:
// the batch's records go to Concurrency upload slots round-robin by prefix;
// no wait or request runs past the deadline minus Margin (a record still
// waiting then fails with DeadlineReached, an attempt in flight is cut off
// by the context); the records that failed are returned as
// batchItemFailures and the others deleted.
type invocation struct {
	w      *world
	inst   *instance
	order  []*message
	next   int // order[next:] not started
	active int
	failed []*message
	ok     []*message
	// deadLettered went to the DLQ from the function: deleted from the
	// queue with the successes.
	deadLettered []*message
	start        time.Duration
	init         time.Duration
	deadline     time.Duration // of the work: the function's deadline − Margin
	then         func()
}

func (w *world) handle(inst *instance, msgs []*message, init time.Duration, then func()) {
	w.running++
	w.invocations++
	iv := &invocation{w: w, inst: inst, order: batch.RoundRobin(msgs, func(m *message) int { return m.prefix }), start: w.l.now, init: init, then: then,
		deadline: w.l.now + w.cfg.Function.Timeout - w.cfg.Function.Margin}
	for range min(w.cfg.Function.Concurrency, len(msgs)) {
		iv.active++
		iv.work()
	}
}

// work is one upload slot taking the next record, or ending.
func (iv *invocation) work() {
	for iv.next < len(iv.order) {
		m := iv.order[iv.next]
		iv.next++
		if iv.w.l.now >= iv.deadline {
			iv.failed = append(iv.failed, m)
			iv.w.reasons["DeadlineReached"]++ // never tried
			continue
		}
		if m.poison {
			// Refused before any S3 call: the function dead-letters it
			// at once, or, without routing, reports it failed.
			iv.w.reasons["InvalidKey"]++
			if iv.w.cfg.Function.NoRouting || iv.w.cfg.Bench {
				iv.failed = append(iv.failed, m)
			} else {
				iv.deadLettered = append(iv.deadLettered, m)
			}
			continue
		}
		iv.step(&record{m: m, c: iv.inst.retrier.begin(m.prefix)})
		return
	}
	iv.active--
	if iv.active == 0 {
		iv.finish()
	}
}

type record struct {
	m *message
	c caller
}

// step sends the record's next attempt once its send slot comes.
func (iv *invocation) step(r *record) {
	w := iv.w
	deadline := epoch.Add(iv.deadline)
	wait, err := r.c.take(w.l.time(), deadline)
	if err != nil {
		w.reasons[reason(err)]++
		iv.end(r, false)
		return
	}
	if wait > 0 {
		w.l.after(wait+w.cfg.Function.Wake.draw(w.rng), func() { iv.step(r) })
		return
	}
	inst := iv.inst
	inst.inFlight++
	var connect time.Duration
	if inst.inFlight > inst.conns {
		// The HTTP client opens a connection (kept after), paid before the
		// request reaches S3.
		inst.conns++
		connect = w.cfg.S3.Connect.draw(w.rng)
	}
	// The request reaches S3 after the connection's set-up and its way
	// there; S3 decides then, and its answer takes the latency to come back.
	up := connect + w.cfg.S3.Arrival.draw(w.rng)
	w.l.after(up, func() { iv.arrive(r, up) })
}

// arrive is S3 deciding on the record's attempt, up after it was sent.
func (iv *invocation) arrive(r *record, up time.Duration) {
	w, inst := iv.w, iv.inst
	deadline := epoch.Add(iv.deadline)
	a := w.s3.put(w.l.now, r.m.prefix, r.m.id)
	lat, aerr := a.latency, a.err
	if at := w.attemptTimeout; at > 0 && up+lat > at {
		lat, aerr = max(0, at-up), errAttemptTimeout
	}
	if w.l.now+lat >= iv.deadline {
		// The context ends first: the attempt is cut off, the record failed
		// (whether or not S3 stored it).
		w.l.after(iv.deadline-w.l.now, func() {
			inst.inFlight--
			r.c.answer(w.l.time(), context.DeadlineExceeded)
			w.reasons["DeadlineReached"]++
			iv.end(r, false)
		})
		return
	}
	w.l.after(lat, func() {
		inst.inFlight--
		now := w.l.time()
		r.c.answer(now, aerr)
		if aerr == nil {
			iv.end(r, true)
			return
		}
		delay, stop := r.c.retry(now, aerr, deadline)
		if stop != nil {
			w.reasons[reason(stop)]++
			w.l.after(delay, func() { iv.end(r, false) })
			return
		}
		w.retries++
		w.l.after(delay+w.cfg.Function.Wake.draw(w.rng), func() { iv.step(r) })
	})
}

// end closes a record and frees its slot.
func (iv *invocation) end(r *record, ok bool) {
	if ok {
		iv.ok = append(iv.ok, r.m)
	} else {
		iv.failed = append(iv.failed, r.m)
	}
	iv.work()
}

// finish returns the partial batch response: the mapping deletes the
// successes; the failures wait out their visibility timeout.
func (iv *invocation) finish() {
	w := iv.w
	w.running--
	billed := (w.l.now - iv.start + iv.init + time.Millisecond - 1).Truncate(time.Millisecond)
	w.billed += billed
	for _, m := range iv.ok {
		w.q.delete(m)
	}
	for _, m := range iv.deadLettered {
		w.q.deadLetter(m)
	}
	for _, m := range iv.failed {
		w.failedRecords++
		w.q.failed(m)
	}
	w.idle = append(w.idle, iv.inst)
	iv.then()
}

// reason names why a record's call stopped, as the function's log does.
func reason(err error) string {
	var re *retry.Error
	if !errors.As(err, &re) {
		return "Unknown"
	}
	return batch.StopReason(re.Cause)
}
