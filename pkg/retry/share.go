package retry

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// The share law's constants. The law and the measurements behind each are
// in the README ("The pacing law") and BENCHMARKS.md ("Ablation").
const (
	// tolerance is the share of refusals a paced prefix aims at: S3 keeps
	// seeing demand above its rate (it scales a prefix on sustained
	// demand) and one request in 25 is wasted.
	tolerance = 0.04
	// heavy is the share of refusals at which an open prefix starts
	// pacing: more requests refused than let through, which random 503s
	// do not reach but a fleet over a rate limit does at once.
	heavy = 0.5
	// roundAnswers is the answers a round holds: enough to tell a share
	// of 4 % from 15 %, few enough to judge several times a second at the
	// rates one instance gets from a busy prefix.
	roundAnswers = 20
	// growth is the first step of the climb, per round within the
	// tolerance; it doubles with each such round in a row.
	growth = 0.05
	// minRate is the least rate, requests per second: a batch of ten
	// records paced at it still ends well within a Lambda timeout.
	minRate = 1
)

// Mode is what a ShareLaw is doing.
type Mode int

// The modes of a ShareLaw.
const (
	Open  Mode = iota // not pacing: S3 has not refused most of a round yet
	Paced             // pacing at a rate
)

func (m Mode) String() string {
	if m == Paced {
		return "paced"
	}
	return "open"
}

// LawState is a ShareLaw's state.
type LawState struct {
	Mode  Mode
	Rate  float64 // requests per second, when Paced
	Climb int     // rounds in a row within the tolerance
}

func (s LawState) String() string {
	if s.Mode == Open {
		return "open"
	}
	return fmt.Sprintf("paced at %.1f/s, climb %d", s.Rate, s.Climb)
}

// ShareLaw paces one S3 prefix by the share of its answers that are
// refusals (503 SlowDown), judged over rounds of answers:
//
//   - Open, it does not pace, until a round has most requests refused.
//   - Paced, each round sets the rate: when more than the tolerance was
//     refused, to the rate S3 let through over that round divided by
//     (1 − tolerance), where the share would be the tolerance if S3 keeps
//     letting that much through (but at most halving it); otherwise the
//     rate climbs by a step that doubles with each such round in a row,
//     up to twice what was sent.
//
// A round holds the answers to requests sent since it began. Attempts that
// never succeeded in a round do not count in its share (keys refused on
// their first writes and let through on a retry, "hot keys", say nothing
// about the prefix's rate), and a round without a single success changes
// nothing (S3 refusing everything for a moment, or only first writes).
//
// Because the share is the same for every instance writing to a prefix,
// the law does not change with the number of instances: each paces at its
// own part of what S3 accepts, and together they hold the refusals at the
// tolerance. Unlike the AWS SDKs' adaptive mode (CUBIC, a cut on every
// throttle), a single refusal or a steady share of random ones does not
// slow it; unlike Vector's adaptive concurrency it needs no latency
// signal, which S3's fast refusals do not give.
//
// Use NewShareLaw. A ShareLaw is safe for concurrent use; times are passed
// in, so it holds no clock.
type ShareLaw struct {
	without Ablation // mechanisms taken out, for the benchmark

	mu     sync.Mutex
	st     LawState
	tokens float64
	last   time.Time // last refill
	round  round
}

// round counts the answers to requests sent since it started.
type round struct {
	start   time.Time
	sent    int
	answers int
	refused int
	// byAttempt counts answers by attempt: [a-1] holds attempt a's.
	byAttempt []tally
}

type tally struct{ ok, refused int }

// NewShareLaw returns a ShareLaw that does not pace until throttled, as a
// Pacer.
func NewShareLaw() Pacer { return &ShareLaw{} }

// Ablation is a set of the share law's mechanisms, each of which the
// benchmark takes out in turn to show what it wins (BENCHMARKS.md,
// "Ablation").
type Ablation int

// The mechanisms of the share law.
const (
	Heavy     Ablation = 1 << iota // open until most of a round is refused (without: until the tolerance is passed)
	FirstOK                        // attempts never let through do not count (without: every answer counts)
	NoSuccess                      // a round without a success changes nothing (without: it cuts)
	Halving                        // a round cuts the rate at most by half (without: to the measured rate)
	Doubling                       // the climb's step doubles with each calm round (without: it stays 5 %)
	DemandCap                      // the rate climbs to twice what was sent at most (without: no bound)
)

// NewShareLawWithout returns a ShareLaw with the mechanisms of without
// taken out: for the benchmark's ablation, never for the function.
func NewShareLawWithout(without Ablation) Pacer { return &ShareLaw{without: without} }

// State returns the law's state.
func (l *ShareLaw) State() LawState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// Take implements Pacer: a token bucket of one token, refilled at the rate.
func (l *ShareLaw) Take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.round.start.IsZero() {
		l.round.start = now
	}
	if l.st.Mode == Open {
		l.round.sent++
		return 0
	}
	if dt := now.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(1, l.tokens+dt*l.st.Rate)
		l.last = now
	}
	const slack = 1e-9 // float rounding: a caller that waited as told gets its slot
	if l.tokens >= 1-slack {
		l.tokens--
		l.round.sent++
		return 0
	}
	return time.Duration(math.Ceil((1 - l.tokens) / l.st.Rate * float64(time.Second)))
}

// Observe implements Pacer.
func (l *ShareLaw) Observe(a Answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.round
	if a.Sent.Before(r.start) {
		return // sent before this round: its answer was judged already
	}
	for len(r.byAttempt) < max(a.Attempt, 1) {
		r.byAttempt = append(r.byAttempt, tally{})
	}
	t := &r.byAttempt[max(a.Attempt, 1)-1]
	r.answers++
	if a.Throttled {
		t.refused++
		r.refused++
	} else {
		t.ok++
	}
	sure := l.st.Mode == Open && float64(r.refused) > l.heavy()*roundAnswers // the verdict cannot change
	if r.answers >= roundAnswers || sure {
		l.endRound(a.Seen)
	}
}

// endRound applies the law to the round ending at now.
func (l *ShareLaw) endRound(now time.Time) {
	r := l.round
	l.round = round{start: now, byAttempt: r.byAttempt[:0]}
	secs := max(now.Sub(r.start).Seconds(), 1e-3)
	share, ok := r.share(l.without&FirstOK == 0)
	st := &l.st
	switch {
	case ok == 0 && l.without&NoSuccess == 0:
		// Not one request let through: neither S3 refusing everything for
		// a moment nor keys refused on their first writes says what rate
		// S3 accepts; each request's backoff rides it out.
	case st.Mode == Open:
		if share > l.heavy() {
			l.start(LawState{Mode: Paced, Rate: max(float64(ok)/secs/(1-tolerance), minRate)}, now)
		}
	case share > tolerance:
		floor := st.Rate / 2
		if l.without&Halving != 0 {
			floor = 0
		}
		st.Rate = max(float64(ok)/secs/(1-tolerance), floor, minRate)
		st.Climb = 0
	default:
		step := growth * math.Exp2(float64(min(st.Climb, 3)))
		if l.without&Doubling != 0 {
			step = growth
		}
		st.Rate *= 1 + step
		if l.without&DemandCap == 0 {
			st.Rate = max(min(st.Rate, 2*float64(r.sent)/secs), minRate)
		}
		st.Climb++
	}
}

func (l *ShareLaw) heavy() float64 {
	if l.without&Heavy != 0 {
		return tolerance
	}
	return heavy
}

// share returns the share of the round's answers refused, counting only
// the attempts from the first that succeeded on (all, without firstOK),
// and the successes.
func (r *round) share(firstOK bool) (share float64, ok int) {
	var counted, refused int
	for _, t := range r.byAttempt {
		if firstOK && ok == 0 && t.ok == 0 {
			continue // an attempt never let through, before any that was
		}
		ok += t.ok
		refused += t.refused
		counted += t.ok + t.refused
	}
	if counted == 0 {
		return 1, 0
	}
	return float64(refused) / float64(counted), ok
}

func (l *ShareLaw) start(st LawState, now time.Time) {
	l.st = st
	l.tokens = 0
	l.last = now
}
