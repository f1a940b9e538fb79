package chaos

import (
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// State is where a message is in the queue's life.
type State int

// The states of a message.
const (
	Visible    State = iota // waiting to be received
	InFlight                // received, not yet deleted nor back
	Deleted                 // deleted after the function reported it done
	DeadLetter              // moved to the dead-letter queue
)

// Queue is an in-process SQS standard queue with a redrive policy. Messages
// come back, in arrival order behind what is already visible, when a receive
// ends without their deletion (the visibility timeout, taken as elapsed at
// once). A message received MaxReceiveCount times and not deleted moves to
// the dead-letter queue on its next receive, as SQS does. It is safe for
// concurrent use.
type Queue struct {
	MaxReceiveCount int
	ARN             string

	mu       sync.Mutex
	cond     *sync.Cond
	msgs     []*entry
	byID     map[string]*entry
	visible  []*entry
	inFlight int

	receives, redeliveries int
}

type entry struct {
	msg      events.SQSMessage
	receives int
	state    State
	done     bool // reported done at least once
}

// NewQueue returns an empty queue.
func NewQueue(arn string, maxReceiveCount int) *Queue {
	q := &Queue{MaxReceiveCount: maxReceiveCount, ARN: arn, byID: map[string]*entry{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Send adds m. Its EventSource and EventSourceARN are set by the queue.
func (q *Queue) Send(m events.SQSMessage) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m.EventSource = "aws:sqs"
	m.EventSourceARN = q.ARN
	e := &entry{msg: m}
	q.msgs = append(q.msgs, e)
	q.byID[m.MessageId] = e
	q.visible = append(q.visible, e)
	q.cond.Broadcast()
}

// Receive takes up to max visible messages, moving to the dead-letter queue
// those already received MaxReceiveCount times. It blocks while nothing is
// visible but messages are in flight, and returns nil once the queue is
// drained.
func (q *Queue) Receive(max int) []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		var out []events.SQSMessage
		for len(q.visible) > 0 && len(out) < max {
			e := q.visible[0]
			q.visible = q.visible[1:]
			if e.receives >= q.MaxReceiveCount {
				e.state = DeadLetter
				continue
			}
			e.receives++
			q.receives++
			if e.receives > 1 {
				q.redeliveries++
			}
			e.state = InFlight
			m := e.msg
			m.Attributes = map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(e.receives),
				"SentTimestamp":                    "1795900000000",
				"ApproximateFirstReceiveTimestamp": "1795900000000",
			}
			out = append(out, m)
		}
		if len(out) > 0 {
			q.inFlight += len(out)
			return out
		}
		if q.inFlight == 0 {
			return nil
		}
		q.cond.Wait()
	}
}

// Finish ends the receive of batch: done messages are deleted, except those
// in again (SQS delivering a deleted message once more); the others become
// visible again.
func (q *Queue) Finish(batch []events.SQSMessage, done map[string]bool, again map[string]bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range batch {
		e := q.byID[m.MessageId]
		q.inFlight--
		if done[m.MessageId] {
			e.done = true
			if !again[m.MessageId] {
				e.state = Deleted
				continue
			}
		}
		e.state = Visible
		q.visible = append(q.visible, e)
	}
	q.cond.Broadcast()
}

// Counts returns the receives and the redeliveries (receives after the
// first) so far.
func (q *Queue) Counts() (receives, redeliveries int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.receives, q.redeliveries
}

// Outcome returns the state of message id, whether it was ever reported done,
// and how many times it was received.
func (q *Queue) Outcome(id string) (State, bool, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byID[id]
	if e == nil {
		return Visible, false, 0
	}
	return e.state, e.done, e.receives
}
