package prevlimiter

import (
	"math/rand/v2"
	"testing"
	"time"
)

// server answers a request sent at t, the attempt-th of its call: true for
// a success.
type server func(t time.Time, call, attempt int) bool

// drive plays calls through l on a virtual clock: c callers, each making
// calls one after another, each attempt paced by l and answered by srv 5ms
// later; a refused attempt is retried at once (backoff plays no part
// here). It returns the calls completed in d and the requests sent.
func drive(l *Limiter, srv server, c int, d time.Duration) (calls, requests int) {
	return driveFrom(l, srv, c, time.Unix(1000, 0), d)
}

// driveFrom is drive from t0 on.
func driveFrom(l *Limiter, srv server, c int, t0 time.Time, d time.Duration) (calls, requests int) {
	type caller struct {
		next    time.Time
		call    int
		attempt int
	}
	cs := make([]caller, c)
	seq := 0
	for i := range cs {
		cs[i] = caller{next: t0, call: seq, attempt: 1}
		seq++
	}
	const latency = 5 * time.Millisecond
	for {
		// The caller due first goes next.
		k := 0
		for i := range cs {
			if cs[i].next.Before(cs[k].next) {
				k = i
			}
		}
		cl := &cs[k]
		if cl.next.Sub(t0) >= d {
			return calls, requests
		}
		if wait := l.Take(cl.next); wait > 0 {
			cl.next = cl.next.Add(wait)
			continue
		}
		sent := cl.next
		requests++
		done := sent.Add(latency)
		if srv(sent, cl.call, cl.attempt) {
			l.Succeeded(sent, done, cl.attempt)
			calls++
			cl.call, cl.attempt = seq, 1
			seq++
		} else {
			l.Throttled(sent, done, cl.attempt)
			cl.attempt++
		}
		cl.next = done
	}
}

func TestLimiterLeavesHotKeysToBackoff(t *testing.T) {
	for _, first := range []int{1, 3} {
		l := NewLimiter(LimiterConfig{})
		// The first `first` writes of every key are refused, at any rate.
		srv := func(_ time.Time, _, attempt int) bool { return attempt > first }
		calls, _ := drive(l, srv, 8, 10*time.Second)
		if _, on := l.Rate(); on {
			t.Errorf("first %d writes per key refused: limiter limiting; want it left to each key's backoff", first)
		}
		// Unlimited: 8 callers × (first+1) round trips of 5ms per call.
		if want := int(10 * time.Second / (time.Duration(first+1) * 5 * time.Millisecond) * 8 * 9 / 10); calls < want {
			t.Errorf("first %d writes per key refused: %d calls in 10s; want at least %d", first, calls, want)
		}
	}
}

func TestLimiterUndoesCutsForRandomThrottles(t *testing.T) {
	for _, share := range []float64{0.05, 0.2} {
		l := NewLimiter(LimiterConfig{})
		rng := rand.New(rand.NewPCG(1, 2))
		srv := func(time.Time, int, int) bool { return rng.Float64() >= share }
		calls, _ := drive(l, srv, 8, 30*time.Second)
		// Unlimited, 8 callers at 5ms a request: 1600 requests/s, of
		// which (1 − share) succeed.
		ideal := 30 * 1600 * (1 - share)
		if float64(calls) < 0.85*ideal {
			t.Errorf("%.0f %% refused at random: %d calls in 30s; want at least 0.85 × %.0f (verdicts %+v)", 100*share, calls, ideal, l.Verdicts())
		}
		if r, on := l.Rate(); on && r < 100 {
			t.Errorf("%.0f %% refused at random: limiting at %.1f/s; want no limit or far above the floor", 100*share, r)
		}
	}
}

// TestLimiterHoldEndsWhenThrottlesRise: a hold granted because throttles
// kept their share through a cut (random 503s) ends as soon as they grow
// well past that share, as when many clients of one prefix each find their
// own cut changes nothing, yet all of them together overload it.
func TestLimiterHoldEndsWhenThrottlesRise(t *testing.T) {
	l := NewLimiter(LimiterConfig{})
	rng := rand.New(rand.NewPCG(3, 4))
	share := 0.15
	srv := func(time.Time, int, int) bool { return rng.Float64() >= share }
	t0 := time.Unix(1000, 0)
	driveFrom(l, srv, 8, t0, 30*time.Second)
	if v := l.Verdicts(); v.Share == 0 {
		t.Fatalf("15 %% refused at random for 30s: verdicts %+v; want a hold (not the rate)", v)
	}
	if _, on := l.Rate(); on {
		t.Fatal("15 % refused at random: limiting after the hold was granted")
	}
	share = 0.45 // under the heavy share, far above the one held for
	driveFrom(l, srv, 8, t0.Add(30*time.Second), time.Second)
	if _, on := l.Rate(); !on {
		t.Errorf("throttles up from 15 %% to 45 %% of answers while holding: not limiting; want the hold ended and a cut (verdicts %+v)", l.Verdicts())
	}
}

func TestLimiterFindsATokenBucket(t *testing.T) {
	// 8 callers able to send 1600/s against a server admitting 200/s.
	const rate = 200.0
	tokens, last := 20.0, time.Time{}
	srv := func(at time.Time, _, _ int) bool {
		if !last.IsZero() {
			tokens = min(20, tokens+at.Sub(last).Seconds()*rate)
		}
		last = at
		if tokens >= 1 {
			tokens--
			return true
		}
		return false
	}
	l := NewLimiter(LimiterConfig{})
	calls, requests := drive(l, srv, 8, 30*time.Second)
	if got := float64(calls) / 30; got < 0.9*rate {
		t.Errorf("token bucket at %.0f/s: %.0f calls/s; want at least 0.9 × the rate", rate, got)
	}
	if waste := float64(requests-calls) / float64(calls); waste > 0.1 {
		t.Errorf("token bucket at %.0f/s: waste %.3f (%d requests for %d calls); want ≤ 0.1 (verdicts %+v)", rate, waste, requests, calls, l.Verdicts())
	}
	if v := l.Verdicts(); v.Share > v.Rate+v.Undecided {
		t.Errorf("token bucket: verdicts %+v; want mostly the rate", v)
	}
}
