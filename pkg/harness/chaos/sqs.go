package chaos

import (
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/s3uploader/s3uploader/pkg/sqsroute"
	"github.com/s3uploader/s3uploader/pkg/sqssim"
)

// dlqName is the dead-letter queue the function sends to; the source
// queue's name is the last part of queueARN.
const dlqName = "uploads-dlq"

// sqsFront is the SQS the function routes its failures through: sqssim
// over HTTP on 127.0.0.1, failing calls as the schedule says. A dead
// letter it takes becomes a Letter of the queue's message its
// failure.messageId names; a visibility change, a Hide.
type sqsFront struct {
	sim *sqssim.Server
	hs  *httptest.Server
	q   *Queue
	sch Schedule

	mu         sync.Mutex
	faults     map[string]int // fault name → requests failed (the SDK retries a 500)
	log        []string       // the faults injected, in order
	sends      int            // dead letters taken
	visCalls   int            // visibility calls taken
	visRecords int            // visibility changes in them
	problems   []string       // calls no correct function makes
}

// startSQS serves the source queue of q and the dead-letter queue; Close
// stops it.
func startSQS(q *Queue, sch Schedule) *sqsFront {
	f := &sqsFront{q: q, sch: sch, faults: map[string]int{}}
	f.hs = httptest.NewUnstartedServer(nil) // listening on 127.0.0.1 already
	f.sim = sqssim.New("http://"+f.hs.Listener.Addr().String(), queueARN[strings.LastIndexByte(queueARN, ':')+1:], dlqName)
	f.sim.Script = f.script
	f.sim.Served = f.served
	f.hs.Config.Handler = f.sim
	f.hs.Start()
	return f
}

// URL is the endpoint of the SQS.
func (f *sqsFront) URL() string { return f.hs.URL }

// DLQ is the dead-letter queue's URL.
func (f *sqsFront) DLQ() string { return f.sim.URL(dlqName) }

// Close stops the server once the calls under way are answered: nothing
// reaches the queue after it returns.
func (f *sqsFront) Close() { f.hs.Close() }

// script decides the fault of call c.
func (f *sqsFront) script(c sqssim.Call) string {
	var records string
	receive := 0
	switch {
	case c.Action == "SendMessage" && c.Queue == dlqName:
		records = c.Message.Attributes[sqsroute.AttrMessageID].String
		receive, _ = strconv.Atoi(c.Message.Attributes[sqsroute.AttrReceiveCount].String)
	case strings.HasPrefix(c.Action, "ChangeMessageVisibility"):
		var hs []string
		for _, v := range c.Visibility {
			hs = append(hs, v.ReceiptHandle)
		}
		slices.Sort(hs)
		records = strings.Join(hs, ",")
	default:
		return ""
	}
	code := f.sch.SQSFault(c.Action, records, receive)
	if code != "" {
		name := "dlq-send " + code
		if c.Action != "SendMessage" {
			name = "visibility " + code
		}
		f.mu.Lock()
		f.faults[name]++
		f.log = append(f.log, fmt.Sprintf("sqs %s %s receive=%d %s", c.Action, records, receive, code))
		f.mu.Unlock()
	}
	return code
}

// served hands what the SQS took to the queue.
func (f *sqsFront) served(c sqssim.Call) {
	switch {
	case c.Action == "SendMessage" && c.Queue == dlqName:
		f.deadLetter(c.Message)
	case c.Action == "SendMessage":
		f.problem("the function sent a message to %s", c.Queue)
	case strings.HasPrefix(c.Action, "ChangeMessageVisibility"):
		f.mu.Lock()
		f.visCalls++
		f.visRecords += len(c.Visibility)
		f.mu.Unlock()
		for _, v := range c.Visibility {
			if known, _ := f.q.Hide(v.ReceiptHandle); !known {
				f.problem("visibility change for receipt handle %q, no delivery's", v.ReceiptHandle)
			}
			if v.Seconds < 1 {
				f.problem("visibility change of %d s for %q: the record comes straight back", v.Seconds, v.ReceiptHandle)
			}
		}
	}
}

// deadLetter gives m to the queue as a Letter of the message its
// failure.messageId names.
func (f *sqsFront) deadLetter(m sqssim.Message) {
	attrs := map[string]string{}
	for k, a := range m.Attributes {
		attrs[k] = a.String
	}
	l := Letter{Reason: attrs[sqsroute.AttrReason], Body: m.Body, Attributes: attrs}
	if code := attrs[sqsroute.AttrErrorCode]; code != "" {
		l.Reason += "/" + code
	}
	l.Receive, _ = strconv.Atoi(attrs[sqsroute.AttrReceiveCount])
	f.mu.Lock()
	f.sends++
	f.mu.Unlock()
	if id := attrs[sqsroute.AttrMessageID]; !f.q.DeadLetter(id, l) {
		f.problem("dead letter with %s %q matches no message sent", sqsroute.AttrMessageID, id)
	}
}

// problem records a call no correct function makes; past 50 it drops them.
func (f *sqsFront) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) < 50 {
		f.problems = append(f.problems, fmt.Sprintf(format, args...))
	}
}

func (f *sqsFront) problemList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

// counts returns the faults injected by name, the dead letters taken, the
// visibility calls and the changes in them.
func (f *sqsFront) counts() (faults map[string]int, sends, visCalls, visRecords int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.faults), f.sends, f.visCalls, f.visRecords
}

func (f *sqsFront) faultLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}
