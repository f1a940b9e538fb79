package fleet

import (
	"container/heap"
	"time"
)

// epoch is virtual time zero, as wall time for the code that takes a
// time.Time (the retry package's Pacers and Call).
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// loop is the event queue on the virtual clock. Events at the same instant
// run in the order they were scheduled, so a run is a function of its seed.
type loop struct {
	now    time.Duration
	events eventHeap
	seq    uint64
	ran    int
}

type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = event{}
	*h = old[:len(old)-1]
	return e
}

// after schedules fn at d from now (d < 0 counts as 0).
func (l *loop) after(d time.Duration, fn func()) {
	l.seq++
	heap.Push(&l.events, event{at: l.now + max(0, d), seq: l.seq, fn: fn})
}

// run runs events in time order until none is left, done reports true or
// the clock would pass horizon.
func (l *loop) run(horizon time.Duration, done func() bool) {
	for l.events.Len() > 0 && !done() {
		e := heap.Pop(&l.events).(event)
		if e.at > horizon {
			l.now = horizon
			return
		}
		l.now = e.at
		l.ran++
		e.fn()
	}
}

// time is the virtual now as a time.Time.
func (l *loop) time() time.Time { return epoch.Add(l.now) }
