package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// ledger is what reconcile found, in one line.
func ledger(s *Summary) string {
	out := fmt.Sprintf("uploaded %d (both %d) · dead-lettered %v (good %d, poison %d) · wrong %q · lost %d %q · DLQ %d %v, copies %d, foreign %d",
		s.Uploaded, s.StoredAndDLQ, s.DeadLettered, s.GoodDLQ, s.PoisonDLQ, s.Wrong, s.Lost, s.Missing, s.InDLQ, s.DLQReasons, s.DLQCopies, s.DLQForeign)
	if s.Queued > 0 {
		out += fmt.Sprintf(" · queued %d", s.Queued)
	}
	return out
}

func TestReconcile(t *testing.T) {
	good := func(id string, o objectState) sentMessage {
		return sentMessage{ID: id, Key: "k/" + id, ObjectKey: "obj/" + id, Object: o}
	}
	poison := func(id string) sentMessage { return sentMessage{ID: id, Key: "../poison/" + id, Poison: true} }
	redriven := func(id string) dlqMessage {
		return dlqMessage{MessageID: id, OriginalID: id, Reason: redriveReason}
	}
	// deadLettered is a message the function sent to the DLQ itself: a new
	// messageId, the one sent in failure.messageId.
	deadLettered := func(id, reason string) dlqMessage {
		return dlqMessage{MessageID: "dlq-" + id, OriginalID: id, Reason: reason}
	}
	// atScale is the run of the issue: 1,000 good messages and 3 poison
	// ones; 572 messages in the DLQ, 29 of them stored as well.
	var scaleSent []sentMessage
	var scaleDLQ []dlqMessage
	for i := range 1000 {
		id := fmt.Sprint(i)
		switch {
		case i < 540:
			scaleSent = append(scaleSent, good(id, noObject))
			scaleDLQ = append(scaleDLQ, redriven(id))
		case i < 569:
			scaleSent = append(scaleSent, good(id, objectExact))
			scaleDLQ = append(scaleDLQ, redriven(id))
		default:
			scaleSent = append(scaleSent, good(id, objectExact))
		}
	}
	for _, id := range []string{"p0", "p1", "p2"} {
		scaleSent = append(scaleSent, poison(id))
		scaleDLQ = append(scaleDLQ, deadLettered(id, "InvalidKey"))
	}

	tests := map[string]struct {
		sent   []sentMessage
		dlq    []dlqMessage
		queued []dlqMessage // what a run that did not drain left in the queue
		want   string
	}{
		"stored": {
			sent: []sentMessage{good("a", objectExact)},
			want: `uploaded 1 (both 0) · dead-lettered map[] (good 0, poison 0) · wrong [] · lost 0 [] · DLQ 0 map[], copies 0, foreign 0`,
		},
		"poison dead-lettered by the function, under a new messageId": {
			sent: []sentMessage{poison("p")},
			dlq:  []dlqMessage{deadLettered("p", "InvalidKey")},
			want: `uploaded 0 (both 0) · dead-lettered map[InvalidKey:1] (good 0, poison 1) · wrong [] · lost 0 [] · DLQ 1 map[InvalidKey:1], copies 0, foreign 0`,
		},
		"poison moved by redrive": {
			sent: []sentMessage{poison("p")},
			dlq:  []dlqMessage{redriven("p")},
			want: `uploaded 0 (both 0) · dead-lettered map[redrive (maxReceiveCount):1] (good 0, poison 1) · wrong [] · lost 0 [] · DLQ 1 map[redrive (maxReceiveCount):1], copies 0, foreign 0`,
		},
		"good message redriven, not stored": {
			sent: []sentMessage{good("a", noObject)},
			dlq:  []dlqMessage{redriven("a")},
			want: `uploaded 0 (both 0) · dead-lettered map[redrive (maxReceiveCount):1] (good 1, poison 0) · wrong [] · lost 0 [] · DLQ 1 map[redrive (maxReceiveCount):1], copies 0, foreign 0`,
		},
		"a cut-off attempt stored, the message still dead-lettered": {
			sent: []sentMessage{good("a", objectExact)},
			dlq:  []dlqMessage{redriven("a")},
			want: `uploaded 1 (both 1) · dead-lettered map[] (good 0, poison 0) · wrong [] · lost 0 [] · DLQ 1 map[redrive (maxReceiveCount):1], copies 0, foreign 0`,
		},
		"lost": {
			sent: []sentMessage{good("a", noObject), poison("p")},
			want: `uploaded 0 (both 0) · dead-lettered map[] (good 0, poison 0) · wrong [] · lost 2 ["k/a" "../poison/p"] · DLQ 0 map[], copies 0, foreign 0`,
		},
		"wrong content": {
			sent: []sentMessage{good("a", objectDiffers)},
			want: `uploaded 0 (both 0) · dead-lettered map[] (good 0, poison 0) · wrong ["obj/a"] · lost 0 [] · DLQ 0 map[], copies 0, foreign 0`,
		},
		"a second copy (dead-lettered again after a redelivery), and a message of another run": {
			sent: []sentMessage{good("a", noObject)},
			dlq:  []dlqMessage{deadLettered("a", "InvalidKey"), redriven("a"), redriven("old")},
			want: `uploaded 0 (both 0) · dead-lettered map[InvalidKey:1] (good 1, poison 0) · wrong [] · lost 0 [] · DLQ 3 map[InvalidKey:1 redrive (maxReceiveCount):2], copies 1, foreign 1`,
		},
		"a run that did not drain: what is still queued is not lost": {
			sent:   []sentMessage{good("a", noObject), good("b", noObject)},
			queued: []dlqMessage{redriven("a")},
			want:   `uploaded 0 (both 0) · dead-lettered map[] (good 0, poison 0) · wrong [] · lost 1 ["k/b"] · DLQ 0 map[], copies 0, foreign 0 · queued 1`,
		},
		"1,000 messages, 572 in the DLQ": {
			sent: scaleSent, dlq: scaleDLQ,
			want: `uploaded 460 (both 29) · dead-lettered map[InvalidKey:3 redrive (maxReceiveCount):540] (good 540, poison 3) · wrong [] · lost 0 [] · DLQ 572 map[InvalidKey:3 redrive (maxReceiveCount):569], copies 0, foreign 0`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := &Summary{}
			s.reconcile(tt.sent, tt.dlq, tt.queued)
			if got := ledger(s); got != tt.want {
				t.Errorf("reconcile =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

// TestPrintDLQ: the summary shows the DLQ by reason, against the queue's
// own count.
func TestPrintDLQ(t *testing.T) {
	s := &Summary{Drained: true, Poison: 3, InDLQ: 572, DLQDepth: 572, GoodDLQ: 540, PoisonDLQ: 3, StoredAndDLQ: 29,
		DLQReasons:   map[string]int{"InvalidKey": 3, redriveReason: 569},
		DeadLettered: map[string]int{"InvalidKey": 3, redriveReason: 540},
		DLQKeys:      []string{"../poison/0", "../poison/1", "../poison/2", "demo/1.txt", "demo/2.txt"},
	}
	var out bytes.Buffer
	s.printDLQ(&out)
	for _, want := range []string{
		"  in DLQ                572  of 572 the queue holds ✓ · by reason: InvalidKey×3 redrive (maxReceiveCount)×569\n",
		"keys: ../poison/0 ../poison/1 ../poison/2 demo/1.txt\n",
		"  dead-lettered         543  sent, not stored: 3 of 3 poison, 540 good · by reason: InvalidKey×3 redrive (maxReceiveCount)×540\n",
		"  stored and in DLQ      29  stored byte-exact, and still dead-lettered\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printDLQ lacks %q:\n%s", want, out.String())
		}
	}
	if !s.OK() {
		t.Errorf("OK() = false for a DLQ read whole, nothing lost; want true")
	}
	s.DLQDepth = 573
	out.Reset()
	s.printDLQ(&out)
	if !strings.Contains(out.String(), "572  of 573 the queue holds ✗") || s.OK() {
		t.Errorf("a DLQ read short: %q, OK() = %v; want ✗ and not OK", out.String(), s.OK())
	}
}
