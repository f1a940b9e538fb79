package chaos

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// State is where a message is in the source queue's life.
type State int

// The states of a message.
const (
	Visible    State = iota // waiting to be received
	InFlight                // received, not yet deleted nor back
	Deleted                 // deleted: reported done, or dead-lettered by the function
	DeadLetter              // moved to the dead-letter queue by the redrive
)

// Route is how a copy of a message reached the dead-letter queue.
type Route int

// The routes to the dead-letter queue.
const (
	ByFunction Route = iota // the function sent it (SendMessage) and did not report it failed
	ByRedrive               // the queue moved it after MaxReceiveCount receives
)

func (r Route) String() string {
	return [...]string{"function", "redrive"}[r]
}

// Letter is one copy of a message in the dead-letter queue.
type Letter struct {
	Route Route
	// Reason is the failure.reason attribute, with failure.errorCode
	// after a slash when there is one; "" from the redrive.
	Reason string
	// Receive is the receive during which it was sent: its
	// failure.receiveCount attribute, or the receives when redriven.
	Receive    int
	Body       string
	Attributes map[string]string // the string attributes as sent
}

// Queue is an in-process SQS standard queue with a redrive policy. Messages
// come back, in arrival order behind what is already visible, when a receive
// ends without their deletion (the visibility timeout, or the delay the
// function set through ChangeMessageVisibility, taken as elapsed at once).
// A message received MaxReceiveCount times and not deleted moves to the
// dead-letter queue on its next receive, as SQS does. A message the
// function sent to the dead-letter queue itself (DeadLetter) is deleted
// from the source when its invocation does not report it failed. It is
// safe for concurrent use.
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
	stale                  int // visibility changes with a receipt handle no longer in flight
}

type entry struct {
	msg        events.SQSMessage
	receives   int
	state      State
	done       bool     // reported done at least once
	letters    []Letter // copies in the dead-letter queue, in order
	hidden     int      // the last receive whose visibility the function changed
	hides      int      // visibility changes in receives that were in flight
	hiddenDone int      // of them, in receives not reported failed
}

// Outcome is how a message's life in the queue went.
type Outcome struct {
	State    State // in the source queue
	Done     bool  // reported done (not failed, not dead-lettered) at least once
	Receives int
	Letters  []Letter // its copies in the dead-letter queue, in order
	// Hides counts the visibility changes asked for it while it was in
	// flight; HiddenDone those in receives its invocation did not report
	// failed.
	Hides, HiddenDone int
}

// InDLQ reports whether a copy of the message is in the dead-letter queue.
func (o Outcome) InDLQ() bool { return len(o.Letters) > 0 }

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
// those already received MaxReceiveCount times. Each delivery has its own
// receipt handle, the message ID and the receive number (ReceiptHandle).
// It blocks while nothing is visible but messages are in flight, and
// returns nil once the queue is drained.
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
				e.letters = append(e.letters, Letter{Route: ByRedrive, Receive: e.receives, Body: e.msg.Body, Attributes: stringAttributes(e.msg)})
				continue
			}
			e.receives++
			q.receives++
			if e.receives > 1 {
				q.redeliveries++
			}
			e.state = InFlight
			m := e.msg
			m.ReceiptHandle = ReceiptHandle(m.MessageId, e.receives)
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

// ReceiptHandle is the receipt handle of the receive-th delivery of
// message id.
func ReceiptHandle(id string, receive int) string { return id + "#" + strconv.Itoa(receive) }

func parseReceiptHandle(h string) (id string, receive int, ok bool) {
	i := strings.LastIndexByte(h, '#')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(h[i+1:])
	return h[:i], n, err == nil
}

// DeadLetter records l, sent by the function, as a copy of message id in
// the dead-letter queue; false if there is no such message. A copy sent
// during the message's current receive makes the source delete it at the
// end of the receive if the invocation does not report it failed
// (Finish). Nothing later undoes it.
func (q *Queue) DeadLetter(id string, l Letter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byID[id]
	if e == nil {
		return false
	}
	l.Route = ByFunction
	e.letters = append(e.letters, l)
	return true
}

// Hide records a visibility change for the delivery with receipt handle
// h. known reports that h names a delivery of a message of the queue;
// current that it is the message's delivery now in flight (a change for
// another is stale: counted, not held against the message). The queue
// takes the delay as elapsed at once.
func (q *Queue) Hide(h string) (known, current bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id, receive, ok := parseReceiptHandle(h)
	e := q.byID[id]
	if !ok || e == nil || receive < 1 || receive > e.receives {
		return false, false
	}
	if e.state != InFlight || e.receives != receive {
		q.stale++
		return true, false
	}
	e.hidden = receive
	e.hides++
	return true, true
}

// Finish ends the receive of batch. Messages in ok (not reported failed)
// are deleted, except those in again (SQS delivering a deleted message
// once more); each is done, unless the function sent it to the dead-letter
// queue during this receive. The others become visible again. It returns
// how many of batch were done and how many dead-lettered by the function.
func (q *Queue) Finish(batch []events.SQSMessage, ok, again map[string]bool) (done, deadLettered int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range batch {
		e := q.byID[m.MessageId]
		q.inFlight--
		if ok[m.MessageId] {
			if e.hidden == e.receives {
				e.hiddenDone++
			}
			if e.letteredIn(e.receives) {
				deadLettered++
			} else {
				e.done = true
				done++
			}
			if !again[m.MessageId] {
				e.state = Deleted
				continue
			}
		}
		e.state = Visible
		q.visible = append(q.visible, e)
	}
	q.cond.Broadcast()
	return done, deadLettered
}

// letteredIn reports whether the function sent e to the dead-letter queue
// during its receive-th delivery.
func (e *entry) letteredIn(receive int) bool {
	for _, l := range e.letters {
		if l.Route == ByFunction && l.Receive == receive {
			return true
		}
	}
	return false
}

// Counts returns the receives and the redeliveries (receives after the
// first) so far.
func (q *Queue) Counts() (receives, redeliveries int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.receives, q.redeliveries
}

// Stale returns the visibility changes so far that named no delivery in
// flight.
func (q *Queue) Stale() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stale
}

// Outcome returns how message id's life in the queue went.
func (q *Queue) Outcome(id string) Outcome {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byID[id]
	if e == nil {
		return Outcome{}
	}
	return Outcome{State: e.state, Done: e.done, Receives: e.receives, Letters: slices.Clone(e.letters), Hides: e.hides, HiddenDone: e.hiddenDone}
}

// stringAttributes returns m's string message attributes.
func stringAttributes(m events.SQSMessage) map[string]string {
	out := make(map[string]string, len(m.MessageAttributes))
	for k, a := range m.MessageAttributes {
		if a.StringValue != nil {
			out[k] = *a.StringValue
		}
	}
	return out
}
