package chaos

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// LostAck is a fault of this package, not of s3sim: the request is served
// (the object is stored) but the connection is closed before the answer.
const LostAck s3sim.Fault = 100

func faultName(f s3sim.Fault) string {
	if f == LostAck {
		return "lost-ack"
	}
	return f.String()
}

// Rates are per-request fault probabilities, drawn in the order of the
// fields. A write that is not faulted is stored.
type Rates struct {
	SlowDown, Internal, Reset, Hang, Forbidden, Corrupt, Conflict, BadGateway, GatewayTimeout, LostAck float64
}

// DefaultRates: about one write in seven is faulted.
var DefaultRates = Rates{
	SlowDown: 0.01, Internal: 0.03, Reset: 0.02, Hang: 0.005, Forbidden: 0.003, Corrupt: 0.03,
	Conflict: 0.01, BadGateway: 0.005, GatewayTimeout: 0.005, LostAck: 0.02,
}

// SQSRates are the chances that the function's SQS calls fail: its
// SendMessage to the dead-letter queue with 500 InternalError or 403
// AccessDenied, its ChangeMessageVisibilityBatch with either. Such a fault
// is decided once per delivery of the records the call is about, and holds
// for every attempt of the call (the SDK retries a 500): the function sees
// the call fail, and the record comes back. SendRefused is decided once
// per message: the dead-letter queue refuses every send of it (403), as a
// queue whose policy or size limit refuses that message would, and only
// the redrive can move it.
type SQSRates struct {
	SendInternal, SendDenied, SendRefused, VisibilityInternal, VisibilityDenied float64
}

// DefaultSQSRates: about one dead-letter send and one visibility change in
// five fails; one message in twenty that the function dead-letters is left
// to the redrive.
var DefaultSQSRates = SQSRates{SendInternal: 0.15, SendDenied: 0.03, SendRefused: 0.05, VisibilityInternal: 0.15, VisibilityDenied: 0.05}

// DefaultStormSlowDown is the SlowDown rate during a storm.
const DefaultStormSlowDown = 0.3

// Schedule decides faults and invocation plans from a seed.
type Schedule struct {
	Seed  uint64
	Rates Rates
	// Per invocation: the chance of a deadline hit mid-batch, of the
	// execution environment being killed mid-batch, and of a SlowDown storm
	// at S3 while it runs.
	DeadlineRate, KillRate, StormRate float64
	// StormSlowDown is the SlowDown rate during a storm (it replaces
	// Rates.SlowDown); 0: DefaultStormSlowDown.
	StormSlowDown float64
	SQS           SQSRates
}

// rng returns a generator that depends only on the seed and parts.
func (s Schedule) rng(parts ...any) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return rand.New(rand.NewPCG(s.Seed, h.Sum64()))
}

// Fault returns the fault for the nth (from 1) request with this method and
// key. GETs (the read-back after a 412) get no body faults.
func (s Schedule) Fault(method, key string, nth int, storm bool) s3sim.Fault {
	x := s.rng("fault", method, key, nth).Float64()
	r := s.Rates
	slow := r.SlowDown
	if storm {
		slow = s.StormSlowDown
		if slow == 0 {
			slow = DefaultStormSlowDown
		}
	}
	table := []struct {
		rate  float64
		fault s3sim.Fault
	}{
		{slow, s3sim.SlowDownF}, {r.Internal, s3sim.Internal}, {r.Reset, s3sim.Reset}, {r.Hang, s3sim.Hang},
		{r.Forbidden, s3sim.Forbidden}, {r.Corrupt, s3sim.Corrupt}, {r.Conflict, s3sim.Conflict409},
		{r.BadGateway, s3sim.BadGateway}, {r.GatewayTimeout, s3sim.GatewayTimeout}, {r.LostAck, LostAck},
	}
	for _, c := range table {
		if x < c.rate {
			if method != "PUT" && (c.fault == s3sim.Corrupt || c.fault == LostAck || c.fault == s3sim.Conflict409) {
				return s3sim.None
			}
			return c.fault
		}
		x -= c.rate
	}
	return s3sim.None
}

// SQSFault returns the error code (or "") for the function's SQS call
// action about records: the dead-letter send of the message with this ID
// on this receive, the visibility change of the deliveries with these
// receipt handles (the receive is then 0).
func (s Schedule) SQSFault(action, records string, receive int) string {
	internal, denied := s.SQS.VisibilityInternal, s.SQS.VisibilityDenied
	if action == "SendMessage" {
		if s.rng("sqs refused", records).Float64() < s.SQS.SendRefused {
			return "AccessDenied"
		}
		internal, denied = s.SQS.SendInternal, s.SQS.SendDenied
	}
	switch x := s.rng("sqs", action, records, receive).Float64(); {
	case x < internal:
		return "InternalError"
	case x < internal+denied:
		return "AccessDenied"
	}
	return ""
}

// Plan is what happens to one invocation.
type Plan struct {
	Deadline time.Duration // time left before the function's deadline
	Kill     time.Duration // > 0: the environment dies this long after the start
	Storm    bool          // S3 answers most writes SlowDown meanwhile
}

func (p Plan) String() string {
	s := fmt.Sprintf("deadline=%v", p.Deadline)
	if p.Kill > 0 {
		s += fmt.Sprintf(" kill-after=%v", p.Kill)
	}
	if p.Storm {
		s += " storm"
	}
	return s
}

// Invocation returns the plan of invocation n (from 1). margin is the
// function's deadline margin; timeout its normal time limit.
func (s Schedule) Invocation(n int, margin, timeout time.Duration) Plan {
	g := s.rng("invocation", n)
	p := Plan{Deadline: timeout}
	if g.Float64() < s.DeadlineRate {
		p.Deadline = margin + time.Duration(5+g.IntN(60))*time.Millisecond
	}
	if g.Float64() < s.KillRate {
		p.Kill = time.Duration(1+g.IntN(40)) * time.Millisecond
	}
	p.Storm = g.Float64() < s.StormRate
	return p
}
