package main

import "sort"

// objectState is what S3 holds for a message sent.
type objectState int

const (
	noObject      objectState = iota // no key renders, or nothing is stored at it
	objectExact                      // the payload sent, byte for byte
	objectDiffers                    // something else
)

// sentMessage is one message SQS accepted, and what S3 holds for it.
type sentMessage struct {
	ID        string // its SQS messageId
	Key       string // the key it was sent with
	Group     string // its FIFO message group, or ""
	Poison    bool
	ObjectKey string // the key its record renders as delivered; "" if none
	Object    objectState
}

// reconcile puts every message sent in one place: stored (byte-exact),
// dead-lettered (by its reason), both (a cut-off attempt was stored and the
// message was still dead-lettered), still in the queue (queued: a run that
// did not drain), or lost; a message whose object holds
// something else is Wrong. It counts the DLQ, whole, by reason. A DLQ
// message is matched to the message sent by its OriginalID: a second one
// for the same message (dead-lettered again after a redelivery: SQS
// delivers at least once) is counted in DLQCopies, one that matches no
// message of the run in DLQForeign.
func (s *Summary) reconcile(sent []sentMessage, dlq, queued []dlqMessage) {
	inQueue := map[string]bool{}
	for _, m := range queued {
		inQueue[m.OriginalID] = true
	}
	s.InDLQ = len(dlq)
	s.DLQReasons = map[string]int{}
	inDLQ := map[string]dlqMessage{}
	for _, m := range dlq {
		s.DLQReasons[m.Reason]++
		s.DLQKeys = append(s.DLQKeys, m.Key)
		if _, again := inDLQ[m.OriginalID]; again {
			s.DLQCopies++
			continue
		}
		inDLQ[m.OriginalID] = m
	}
	sort.Strings(s.DLQKeys)
	s.DeadLettered = map[string]int{}
	matched := 0
	for _, m := range sent {
		d, dead := inDLQ[m.ID]
		if dead {
			matched++
		}
		switch {
		case m.Object == objectExact:
			s.Uploaded++
			if dead {
				s.StoredAndDLQ++
			}
		case m.Object == objectDiffers:
			s.Wrong = append(s.Wrong, m.ObjectKey)
		case dead:
			s.DeadLettered[d.Reason]++
			if m.Poison {
				s.PoisonDLQ++
			} else {
				s.GoodDLQ++
			}
		case inQueue[m.ID]:
			s.Queued++
		default:
			s.Lost++
			s.Missing = append(s.Missing, m.Key)
		}
	}
	s.DLQForeign = len(inDLQ) - matched
}
