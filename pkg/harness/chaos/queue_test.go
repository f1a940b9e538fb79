package chaos

import (
	"fmt"
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
	if o := q.Outcome("a"); o.State != DeadLetter || o.Done || o.Receives != 2 || len(o.Letters) != 1 || o.Letters[0].Route != ByRedrive || o.Letters[0].Receive != 2 {
		t.Errorf("a: %+v; want DeadLetter after 2 receives, one letter by the redrive", o)
	}
	if o := q.Outcome("b"); o.State != Deleted || !o.Done || o.InDLQ() {
		t.Errorf("b: %+v; want Deleted, done, not in the DLQ", o)
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

// TestQueueDeadLetterByFunction: a letter the function sends during a
// receive whose invocation does not report the message failed deletes it
// from the source, and it is not done; nothing later undoes the letter. A
// letter from an earlier receive does not stand for a later one.
func TestQueueDeadLetterByFunction(t *testing.T) {
	q := NewQueue(queueARN, 5)
	q.Send(events.SQSMessage{MessageId: "a", Body: "body-a"})
	q.Send(events.SQSMessage{MessageId: "b"})
	batch := q.Receive(10)
	if batch[0].ReceiptHandle != ReceiptHandle("a", 1) {
		t.Fatalf("receipt handle %q; want %q", batch[0].ReceiptHandle, ReceiptHandle("a", 1))
	}
	if !q.DeadLetter("a", Letter{Reason: "InvalidKey", Receive: 1, Body: "body-a"}) || q.DeadLetter("x", Letter{Receive: 1}) {
		t.Fatal("DeadLetter(a) = false or DeadLetter(x) = true; want a known, x not")
	}
	both := map[string]bool{"a": true, "b": true}
	if done, dead := q.Finish(batch, both, map[string]bool{"a": true}); done != 1 || dead != 1 {
		t.Errorf("Finish = %d done, %d dead-lettered; want 1 and 1", done, dead)
	}
	if o := q.Outcome("a"); o.State != Visible || o.Done || len(o.Letters) != 1 || o.Letters[0].Route != ByFunction || o.Letters[0].Reason != "InvalidKey" {
		t.Fatalf("a after its letter, delivered again: %+v; want Visible, not done, one letter by the function for InvalidKey", o)
	}
	again := q.Receive(10) // a's second receive: stored this time
	if done, dead := q.Finish(again, map[string]bool{"a": true}, nil); done != 1 || dead != 0 {
		t.Errorf("second Finish = %d done, %d dead-lettered; want 1 done: the letter was of receive 1", done, dead)
	}
	if o := q.Outcome("a"); o.State != Deleted || !o.Done || !o.InDLQ() || o.Receives != 2 {
		t.Errorf("a: %+v; want Deleted, done and still in the DLQ after 2 receives", o)
	}
}

// TestQueueHide: a visibility change for the delivery in flight counts
// against the message, and is flagged when its invocation then does not
// report it failed; one for an earlier delivery is stale; an unknown
// handle is not known.
func TestQueueHide(t *testing.T) {
	q := NewQueue(queueARN, 5)
	q.Send(events.SQSMessage{MessageId: "a"})
	batch := q.Receive(1)
	if known, current := q.Hide(ReceiptHandle("a", 1)); !known || !current {
		t.Errorf("Hide(a#1) = %v, %v; want known and current", known, current)
	}
	q.Finish(batch, nil, nil)
	batch = q.Receive(1)
	if known, current := q.Hide(ReceiptHandle("a", 1)); !known || current {
		t.Errorf("Hide(a#1) during receive 2 = %v, %v; want known, stale", known, current)
	}
	for _, h := range []string{"", "a", "a#3", "x#1"} {
		if known, _ := q.Hide(h); known {
			t.Errorf("Hide(%q) known; want not", h)
		}
	}
	q.Hide(ReceiptHandle("a", 2))
	q.Finish(batch, map[string]bool{"a": true}, nil)
	if o := q.Outcome("a"); o.Hides != 2 || o.HiddenDone != 1 || q.Stale() != 1 {
		t.Errorf("a: %+v, stale %d; want 2 hides, 1 in a receive reported done, 1 stale", o, q.Stale())
	}
}

func TestScheduleIsAFunctionOfItsInputs(t *testing.T) {
	s := Schedule{Seed: 7, Rates: DefaultRates, DeadlineRate: 0.5, KillRate: 0.5, StormRate: 0.5, SQS: DefaultSQSRates}
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
	codes, refused := map[string]int{}, 0
	for n := range 2000 {
		id := fmt.Sprint("m", n)
		c := s.SQSFault("SendMessage", id, 1)
		if again := s.SQSFault("SendMessage", id, 1); again != c {
			t.Fatalf("SQSFault(SendMessage, %s, 1) = %q then %q", id, c, again)
		}
		codes[c]++
		if c == "AccessDenied" && s.SQSFault("SendMessage", id, 2) == c && s.SQSFault("SendMessage", id, 3) == c {
			refused++
		}
	}
	if codes["InternalError"] == 0 || codes["AccessDenied"] == 0 || codes[""] < 1000 || refused < 50 || refused > 150 {
		t.Errorf("2000 draws at DefaultSQSRates gave %v, %d refused every time; want every code, mostly none, and about 100 refused", codes, refused)
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
