package main

import (
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/twin/esm"
)

// tracker counts deliveries per message, to tell redeliveries, and keeps
// each message's first record as the function got it, to render its key.
// Messages are told by the ID they were sent with (origin).
type tracker struct {
	origin     origin
	mu         sync.Mutex
	deliveries map[string]int
	records    map[string]events.SQSMessage
}

func newTracker(o origin) *tracker {
	return &tracker{origin: o, deliveries: map[string]int{}, records: map[string]events.SQSMessage{}}
}

func (t *tracker) batch(b esm.Batch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range b.Records {
		id, _ := t.origin.of(r)
		t.deliveries[id]++
		if _, ok := t.records[id]; !ok {
			t.records[id] = r
		}
	}
}

// record returns the first record of message id (as sent) the function
// got.
func (t *tracker) record(id string) (events.SQSMessage, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.records[id]
	return r, ok
}

func (t *tracker) deliveriesOf(id string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.deliveries[id]
}

// redeliveries is the number of deliveries beyond the first, over all
// messages, and the largest number of deliveries of one message.
func (t *tracker) redeliveries() (total, most int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.deliveries {
		total += n - 1
		most = max(most, n)
	}
	return total, most
}
