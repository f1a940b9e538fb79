package main

import (
	"context"
	"sync"
	"time"

	"github.com/s3uploader/s3uploader/pkg/deployed"
)

// sample is what the local AWS and the S3 throttle said at one moment of
// the run: the queues' approximate counts (GetQueueAttributes) and the
// throttle's running totals.
type sample struct {
	At                     time.Duration // since the first message was sent
	Visible, InFlight, DLQ int
	Admitted, Throttled    int64 // PUTs let through and answered 503 SlowDown, so far
}

// recorder samples the queues and the throttle on an interval, from the
// first message sent to the end of the drain, for the run's chart.
type recorder struct {
	begin time.Time
	stop  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	samples []sample
}

const recordEvery = 500 * time.Millisecond

func startRecorder(c clients, st *deployed.Stack, front *s3Front) *recorder {
	r := &recorder{begin: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(recordEvery)
		defer t.Stop()
		for {
			r.take(c, st, front)
			select {
			case <-t.C:
			case <-r.stop:
				r.take(c, st, front)
				return
			}
		}
	}()
	return r
}

func (r *recorder) take(c clients, st *deployed.Stack, front *s3Front) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s := sample{At: time.Since(r.begin)}
	s.Visible, s.InFlight = queueDepth(ctx, c, st.QueueURL)
	s.DLQ, _ = queueDepth(ctx, c, st.DLQURL)
	if s.Visible < 0 || s.DLQ < 0 {
		return // the local AWS did not answer: leave a gap
	}
	ts := front.Stats()
	s.Admitted, s.Throttled = ts.Admitted, ts.Throttled
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// Stop takes a last sample and returns them all; call it once.
func (r *recorder) Stop() []sample {
	close(r.stop)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.samples
}
