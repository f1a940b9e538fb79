package chaos

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestQueueRedrive(t *testing.T) {
	q := NewQueue(queueARN, 2)
	q.Send(events.SQSMessage{MessageId: "a"})
	q.Send(events.SQSMessage{MessageId: "b"})
	for round := 1; round <= 2; round++ {
		batch := q.Receive(10)
		if len(batch) != 2 || batch[0].Attributes["ApproximateReceiveCount"] != string(rune('0'+round)) || batch[0].EventSource != "aws:sqs" {
			t.Fatalf("round %d: Receive = %+v; want a and b, receive count %d", round, batch, round)
		}
		done := map[string]bool{}
		if round == 2 {
			done["b"] = true
		}
		q.Finish(batch, done, nil)
	}
	if batch := q.Receive(10); batch != nil {
		t.Fatalf("third Receive = %+v; want nil: a moves to the DLQ, b is deleted", batch)
	}
	if st, done, n := q.Outcome("a"); st != DeadLetter || done || n != 2 {
		t.Errorf("a: %v done=%v receives=%d; want DeadLetter after 2 receives", st, done, n)
	}
	if st, done, _ := q.Outcome("b"); st != Deleted || !done {
		t.Errorf("b: %v done=%v; want Deleted", st, done)
	}
	if r, re := q.Counts(); r != 4 || re != 2 {
		t.Errorf("Counts() = %d, %d; want 4 receives, 2 redeliveries", r, re)
	}
}

func TestQueueDeliversAgain(t *testing.T) {
	q := NewQueue(queueARN, 5)
	q.Send(events.SQSMessage{MessageId: "a"})
	q.Finish(q.Receive(1), map[string]bool{"a": true}, map[string]bool{"a": true})
	if batch := q.Receive(1); len(batch) != 1 || batch[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("Receive after a lost delete = %+v; want a again, receive count 2", batch)
	}
}

func TestScheduleIsAFunctionOfItsInputs(t *testing.T) {
	s := Schedule{Seed: 7, Rates: DefaultRates, DeadlineRate: 0.5, KillRate: 0.5, StormRate: 0.5}
	kinds := map[string]bool{}
	for n := 1; n <= 3000; n++ {
		f := s.Fault("PUT", "uploads/k", n, false)
		if g := s.Fault("PUT", "uploads/k", n, false); g != f {
			t.Fatalf("Fault(#%d) = %v then %v", n, f, g)
		}
		kinds[faultName(f)] = true
	}
	if len(kinds) != 11 { // none and the ten faults
		t.Errorf("3000 draws gave faults %v; want all ten and none", kinds)
	}
	plans := map[Plan]int{}
	for n := 1; n <= 200; n++ {
		p := s.Invocation(n, 50*time.Millisecond, timeout)
		if again := s.Invocation(n, 50*time.Millisecond, timeout); again != p {
			t.Fatalf("Invocation(%d) = %v then %v", n, p, again)
		}
		if p.Deadline < timeout && (p.Deadline < 55*time.Millisecond || p.Deadline > 115*time.Millisecond) {
			t.Errorf("Invocation(%d) deadline %v; want margin + 5ms to 65ms", n, p.Deadline)
		}
		plans[Plan{Deadline: min(p.Deadline, time.Second), Kill: min(p.Kill, time.Nanosecond), Storm: p.Storm}]++
	}
	if len(plans) < 6 {
		t.Errorf("200 plans at rates 0.5 gave only %d kinds: %v", len(plans), plans)
	}
}
