package fleet

import "time"

// message is one SQS message of the workload.
type message struct {
	id       int
	prefix   int
	receives int           // ApproximateReceiveCount
	fate     fate          // queued until deleted, dead-lettered or given up
	lease    int           // the token of its current invisibility: a stale expiry is ignored
	poison   bool          // can never be stored
	doneAt   time.Duration // when it left the queue
}

// done reports whether the message has left the queue.
func (m *message) done() bool { return m.fate != queued }

// fate is how a message left the queue.
type fate uint8

const (
	queued fate = iota
	deleted
	deadLettered
	gaveUp
)

// queue is the SQS queue and its dead-letter queue, as the event source
// mapping sees them:
//
//   - A received message is invisible for the visibility timeout; the
//     mapping deletes the batch's successes when the function returns, and
//     the items it reports in batchItemFailures become visible again when
//     their timeout ends (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
//   - Each receive adds one to the receive count; a message received
//     maxReceiveCount times and still not deleted is moved to the DLQ by
//     the redrive policy instead of being delivered again
//     (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
//   - Order: a standard queue is best-effort ordered; here visible messages
//     are handed out oldest visible first.
type queue struct {
	l          *loop
	ready      []*message // visible, in order; ready[head:] are live
	head       int
	visibility time.Duration
	maxReceive int
	noRedrive  bool // Bench: a failure is final (given up), not redelivered
	// redelivery, when set, is the delay the function sets on a failed
	// message (ChangeMessageVisibility) for its receive count; nil: it
	// waits out the visibility timeout.
	redelivery func(receives int) time.Duration
	onVisible  func()
	leases     int // tokens handed out

	inFlight, deadLettered, gaveUp, redelivered int
	byFunction                                  int           // of deadLettered: sent by the function
	done, p99                                   int           // messages that left the queue; 99 % of them all
	at99                                        time.Duration // when the 99th percent left

}

func (q *queue) visible() int { return len(q.ready) - q.head }

// receive takes up to n visible messages.
func (q *queue) receive(n int) []*message {
	var out []*message
	for len(out) < n && q.head < len(q.ready) {
		m := q.ready[q.head]
		q.ready[q.head] = nil
		q.head++
		if m.receives >= q.maxReceive {
			// The redrive policy moves it instead of delivering it.
			q.leave(m, deadLettered)
			q.deadLettered++
			continue
		}
		if m.receives > 0 {
			q.redelivered++
		}
		m.receives++
		q.inFlight++
		out = append(out, m)
		q.hide(m, q.visibility)
	}
	if q.head > 4096 && q.head*2 > len(q.ready) {
		q.ready = append(q.ready[:0], q.ready[q.head:]...)
		q.head = 0
	}
	return out
}

// hide makes m invisible for d, replacing any invisibility it had.
func (q *queue) hide(m *message, d time.Duration) {
	q.leases++
	lease := q.leases
	m.lease = lease
	q.l.after(d, func() { q.expire(m, lease) })
}

// expire ends a receive's visibility timeout: the message is visible again
// unless it was deleted, or received again meanwhile.
func (q *queue) expire(m *message, lease int) {
	if m.done() || m.lease != lease {
		return
	}
	m.lease = -1
	q.inFlight--
	q.ready = append(q.ready, m)
	if q.onVisible != nil {
		q.onVisible()
	}
}

// delete removes a message the function stored.
func (q *queue) delete(m *message) {
	q.leave(m, deleted)
	q.inFlight--
}

// deadLetter is a message the function sent to the dead-letter queue
// itself: the mapping then deletes it from the queue.
func (q *queue) deadLetter(m *message) {
	q.leave(m, deadLettered)
	q.inFlight--
	q.deadLettered++
	q.byFunction++
}

// leave records how and when m left the queue.
func (q *queue) leave(m *message, f fate) {
	m.fate, m.doneAt = f, q.l.now
	q.done++
	if q.done == q.p99 {
		q.at99 = q.l.now
	}
}

// failed is a message listed in batchItemFailures: it waits out its
// redelivery delay when the function sets one, else its visibility
// timeout; without redrive, it is given up.
func (q *queue) failed(m *message) {
	switch {
	case q.noRedrive:
		q.leave(m, gaveUp)
		q.inFlight--
		q.gaveUp++
	case q.redelivery != nil:
		q.hide(m, q.redelivery(m.receives))
	}
}

// pending reports whether any message is still to be handled.
func (q *queue) pending() bool { return q.visible() > 0 || q.inFlight > 0 }
