package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// instances builds n handlers of st against the server at url, each with
// its own client and state, as n execution environments would.
func instances(ctx context.Context, st Strategy, url string, cfg uploader.Config, n int) ([]HandlerFunc, error) {
	handlers := make([]HandlerFunc, n)
	for i := range handlers {
		var err error
		if handlers[i], err = st.New(ctx, url, cfg); err != nil {
			return nil, fmt.Errorf("%s: instance %d: %w", st.Name, i, err)
		}
	}
	return handlers, nil
}

// tally is what the instances of a run saw, as they go. It is safe for
// concurrent use.
type tally struct {
	mu      sync.Mutex
	failed  map[string]bool      // message IDs reported failed
	handed  map[string]time.Time // message ID → when its batch was handed over
	invokes int
	errs    int // handler calls that returned an error
}

func newTally(msgs int) *tally {
	return &tally{failed: make(map[string]bool), handed: make(map[string]time.Time, msgs)}
}

// serve is one instance: it takes batches from q until q is empty, the
// scenario's Cutoff after start has passed or ctx ends, and hands each to h
// under a deadline of sc.Timeout.
func (t *tally) serve(ctx context.Context, sc Scenario, start time.Time, q *queue, h HandlerFunc) error {
	for {
		if sc.Cutoff > 0 && time.Since(start) >= sc.Cutoff {
			return nil
		}
		b := q.take(sc.BatchSize)
		if len(b) == 0 || ctx.Err() != nil {
			return ctx.Err()
		}
		t.handedOver(b, time.Now())
		ictx, cancel := context.WithTimeout(ctx, sc.Timeout)
		resp, err := h(ictx, events.SQSEvent{Records: b})
		cancel()
		t.answered(b, resp, err)
	}
}

func (t *tally) handedOver(b []events.SQSMessage, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range b {
		t.handed[m.MessageId] = at
	}
	t.invokes++
}

func (t *tally) answered(b []events.SQSMessage, resp events.SQSEventResponse, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		// The whole batch fails: Lambda would retry all of it.
		t.errs++
		for _, m := range b {
			t.failed[m.MessageId] = true
		}
	}
	for _, f := range resp.BatchItemFailures {
		t.failed[f.ItemIdentifier] = true
	}
}

// result accounts a run of strategy name that took wall, once every
// instance is done: what the server recorded, the bucket as listed, keys
// (the key each of q's messages should be stored at) and the tally.
func (t *tally) result(ctx context.Context, sim *Sim, sc Scenario, name string, q *queue, keys []string, wall time.Duration) (Result, error) {
	snap := sim.rec.snapshot()
	listed, err := sim.List(ctx)
	if err != nil {
		return Result{}, err
	}
	msgs := q.msgs
	keyOf := make(map[string]string, len(msgs))
	for i, m := range msgs {
		keyOf[m.MessageId] = keys[i]
	}
	for _, m := range msgs[q.next:] {
		t.failed[m.MessageId] = true // never handed out: back in the queue
	}
	r := account(sc, name, msgs, keyOf, listed, t.failed, t.handed, snap)
	r.NotRun = len(msgs) - q.next
	r.Wall = wall
	r.Invocations = t.invokes
	r.InvokeErrors = t.errs
	r.Throttle = sim.throttle.Stats()
	return r, nil
}
