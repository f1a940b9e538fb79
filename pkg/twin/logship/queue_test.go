package logship

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// sends records what a Queue hands to its send function.
type sends struct {
	mu    sync.Mutex
	calls [][]int
	err   error
	sent  chan struct{}
}

func (s *sends) send(_ context.Context, items []int) error {
	s.mu.Lock()
	s.calls = append(s.calls, items)
	s.mu.Unlock()
	if s.sent != nil {
		s.sent <- struct{}{}
	}
	return s.err
}

func (s *sends) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.calls)
}

// TestQueue: items go out in order, on a tick, on Flush and on Close;
// nothing is sent for an empty queue or added after Close.
func TestQueue(t *testing.T) {
	tick := make(chan time.Time)
	s := &sends{sent: make(chan struct{}, 1)}
	q := NewQueue(tick, s.send)
	q.Add(1, 2)
	q.Add(3)
	tick <- time.Time{}
	select {
	case <-s.sent:
	case <-time.After(10 * time.Second):
		t.Fatal("no send after a tick")
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Errorf("Flush of an empty queue = %v; want nil", err)
	}
	q.Add(4)
	_ = q.Flush(context.Background())
	<-s.sent
	q.Add(5)
	s.err = errors.New("refused")
	if err := q.Close(context.Background()); err == nil || err.Error() != "refused" {
		t.Errorf("Close = %v; want the last send's error", err)
	}
	<-s.sent
	q.Add(6)
	_ = q.Flush(context.Background())
	if got, want := s.String(), "[[1 2 3] [4] [5]]"; got != want {
		t.Errorf("sends = %s; want %s", got, want)
	}
}

// TestQueueConcurrent: every item added from many goroutines, while ticks
// and Flushes run, is sent exactly once.
func TestQueueConcurrent(t *testing.T) {
	ticker := time.NewTicker(time.Millisecond)
	defer ticker.Stop()
	s := &sends{}
	q := NewQueue(ticker.C, s.send)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				q.Add(g*100 + i)
				if i%25 == 0 {
					_ = q.Flush(context.Background())
				}
			}
		})
	}
	wg.Wait()
	_ = q.Close(context.Background())
	var all []int
	for _, c := range s.calls {
		all = append(all, c...)
	}
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("sent %d items, item %d is %d; want 0..799 once each", len(all), i, v)
		}
	}
	if len(all) != 800 {
		t.Errorf("sent %d items; want 800", len(all))
	}
}
