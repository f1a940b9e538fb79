package logship

import (
	"context"
	"sync"
	"time"
)

// Queue holds items for a send function and hands them over in order: on
// every tick of a clock, on Flush, and a last time on Close. A Shipper
// queues its log events in one; emfmetrics.Publisher its EMF lines.
//
// Add may be called from any goroutine, with other locks held: it only
// appends. One send runs at a time, never with the queue's lock held.
// Build a Queue with NewQueue; call Close once.
type Queue[T any] struct {
	send func(context.Context, []T) error

	mu     sync.Mutex
	items  []T
	closed bool

	flushMu    sync.Mutex // one send at a time, in order
	stop, done chan struct{}
}

// NewQueue starts a Queue that hands what it holds to send on every value
// of tick (a nil channel never ticks). The owner of tick stops its clock.
func NewQueue[T any](tick <-chan time.Time, send func(ctx context.Context, items []T) error) *Queue[T] {
	q := &Queue[T]{send: send, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(q.done)
		for {
			select {
			case <-tick:
				_ = q.Flush(context.Background()) // send counts its own failures
			case <-q.stop:
				return
			}
		}
	}()
	return q
}

// Add queues items. Add after Close does nothing.
func (q *Queue[T]) Add(items ...T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.items = append(q.items, items...)
	}
}

// Flush hands everything queued to send now and returns send's error; with
// nothing queued it returns nil without calling send.
func (q *Queue[T]) Flush(ctx context.Context) error {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	if len(items) == 0 {
		return nil
	}
	return q.send(ctx, items)
}

// Close stops the ticking, refuses further Adds and flushes what is left,
// returning that flush's error.
func (q *Queue[T]) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.stop)
	<-q.done
	return q.Flush(ctx)
}
