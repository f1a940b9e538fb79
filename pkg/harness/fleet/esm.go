package fleet

import "time"

// The event source mapping: pollers receive batches and invoke the
// function, one invocation per poller at a time.
//
//   - Scaling: "When messages are available, Lambda starts processing five
//     batches at a time with five concurrent invocations. If messages are
//     still available, Lambda increases the number of processes that are
//     reading batches by up to 300 more instances per minute", up to 1,250
//     concurrent invocations, or the mapping's MaximumConcurrency (2 to
//     1,000) (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
//     Here the pollers grow by one every minute/ScalePerMinute while
//     messages are visible.
//   - Batching: a poll takes up to BatchSize messages; one that finds fewer
//     waits up to MaximumBatchingWindow for more
//     (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
//   - Instances: an invocation runs on an idle warm instance when there is
//     one (the most recently used, so the fleet stays as small as the
//     concurrency), else on a new one, which pays a cold start and starts
//     with a fresh retry budget and pacing laws (the function builds them at
//     init). Lambda bills the duration, rounded up to the millisecond, and
//     the init phase (https://aws.amazon.com/lambda/pricing/).

// startPollers starts the mapping: a fixed fleet or the scaling one.
func (w *world) startPollers() {
	n := w.cfg.Fleet.Instances
	if n <= 0 {
		n = min(w.cfg.Fleet.ScaleStart, w.cfg.Fleet.MaxConcurrency)
		w.scale()
	}
	for range n {
		w.addPoller()
	}
}

// scale adds a poller every minute/ScalePerMinute while messages wait.
func (w *world) scale() {
	step := time.Minute / time.Duration(w.cfg.Fleet.ScalePerMinute)
	w.l.after(step, func() {
		if w.q.visible() > 0 && w.pollers < w.cfg.Fleet.MaxConcurrency {
			w.addPoller()
		}
		if w.q.pending() {
			w.scale()
		}
	})
}

func (w *world) addPoller() {
	w.pollers++
	w.peakPollers = max(w.peakPollers, w.pollers)
	w.poll()
}

// poll is one poller's loop: receive a batch, invoke, repeat. A poller
// that finds nothing visible waits until messages are visible again.
func (w *world) poll() {
	if w.cfg.Cutoff > 0 && w.l.now >= w.cfg.Cutoff {
		return
	}
	if w.q.visible() == 0 {
		if w.q.pending() {
			w.waiting = append(w.waiting, w.poll)
		}
		return
	}
	w.l.after(w.cfg.Fleet.Poll.draw(w.rng), func() {
		batch := w.q.receive(w.cfg.Fleet.BatchSize)
		if len(batch) < w.cfg.Fleet.BatchSize && w.cfg.Fleet.BatchWindow > 0 && w.q.pending() {
			w.l.after(w.cfg.Fleet.BatchWindow, func() {
				w.dispatch(append(batch, w.q.receive(w.cfg.Fleet.BatchSize-len(batch))...))
			})
			return
		}
		w.dispatch(batch)
	})
}

// wake resumes the pollers waiting for visible messages.
func (w *world) wake() {
	ws := w.waiting
	w.waiting = nil
	for _, f := range ws {
		w.l.after(0, f)
	}
}

// dispatch invokes the function with batch, or polls again if it is empty.
func (w *world) dispatch(batch []*message) {
	if len(batch) == 0 {
		w.poll()
		return
	}
	inst, init := w.instance()
	w.l.after(init+w.cfg.Fleet.Invoke.draw(w.rng), func() {
		w.handle(inst, batch, init, w.poll)
	})
}

// instance returns an idle warm instance, or a new one and its init time.
func (w *world) instance() (*instance, time.Duration) {
	if n := len(w.idle); n > 0 {
		inst := w.idle[n-1]
		w.idle = w.idle[:n-1]
		return inst, 0
	}
	w.coldStarts++
	inst := &instance{id: w.coldStarts}
	inst.retrier = w.newRetrier(inst.id)
	w.instances = append(w.instances, inst)
	return inst, w.cfg.Fleet.ColdStart.draw(w.rng)
}
