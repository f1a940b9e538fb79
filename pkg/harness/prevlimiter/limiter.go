package prevlimiter

import (
	"math"
	"sync"
	"time"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// Limiter paces the requests of every caller sharing it once the server has
// throttled them: an adaptive send rate (additive and proportional increase,
// multiplicative decrease), in the spirit of the AWS SDKs' adaptive retry
// mode but driven by the rate the server actually accepted, and cut only on
// evidence that the rate is what the server objects to.
//
// Mechanics. Until its first cut a Limiter does not limit. A cut sets the
// rate to Beta times the rate of successes measured over the last Window
// (never above the current rate); only a request sent after the last cut can
// cut again, so one burst of throttles answered to requests already in
// flight counts once. Each success raises the rate by (Alpha + Gamma×rate)
// per second elapsed; from a cut that ends a quiet spell until the next
// throttle, by (Alpha + StartGamma×rate), so a cut that landed below what
// the server accepts is climbed back fast. After Quiet without a throttle
// the climb is fast again.
//
// Evidence. A throttle is a request refused; it is not always the rate's
// fault (hot keys, random 503s while the server rebalances). So a throttle
// only cuts the rate on evidence:
//
//   - Per key. While no request got through on its first attempt in the
//     last Window, a throttle is left to its own request's backoff: either
//     keys are refused on their first writes and get through on a retry
//     (hot keys, which no send rate cures), or everything is refused, and a
//     request refused ColdAttempts times in a row says so.
//   - Rare. While throttles are under a tenth of the answers in the Window,
//     backoff absorbs them and no cut is made.
//   - Heavy. When most answers are throttles, the rate is taken as the
//     cause at once.
//   - Tested. Otherwise the cut is a test, judged on the answers to the
//     requests sent after it. A server admitting so many requests a second
//     keeps admitting that rate however many are sent; a fault striking a
//     share of requests (first attempts and retries each at their own
//     share) keeps that share. The binomial likelihood ratio of the
//     successes seen under the two decides, once it reaches 100 to 1 (and,
//     for "not the rate", not before TestMin, so that other clients cutting
//     at the same time are seen). Not the rate: the cut is undone, and
//     throttles are only backed off for Hold, doubling on each such verdict
//     in a row up to MaxHold. The rate: confirmed, and every throttle of a
//     request sent after the last cut cuts again, until Quiet passes
//     without a throttle. No verdict within TestFor counts as the rate.
//
// Callers ask for a send slot with Take right before each request. A caller
// told to wait asks again when the wait is over, so waiting callers always
// go at the current rate.
//
// Methods take the current time, so the Limiter holds no clock of its own.
// A Limiter is safe for concurrent use. Use NewLimiter; zero fields of the
// LimiterConfig take their defaults.
type Limiter struct {
	cfg LimiterConfig

	mu        sync.Mutex
	enabled   bool
	rate      float64 // requests per second
	tokens    float64
	last      time.Time // last refill
	lastRaise time.Time
	lastCut   time.Time
	ring      [limiterSlots]counts // answers per slot over Window
	slotStart time.Time
	slotIndex int
	firstOK   time.Time // first success
	firstTake time.Time // first request
	starting  bool      // climbing fast until the next throttle
	throttled time.Time // last throttle seen, counted or not

	confirmed bool      // the rate is the cause, until a quiet spell
	holdUntil time.Time // not the rate: throttles ignored until then
	holdShare float64   // the share of throttles the hold was granted for
	hold      time.Duration
	test      *cutTest // the cut being judged, if any
	verdicts  Verdicts
}

// LimiterConfig holds the Limiter's settings; the zero value means defaults.
type LimiterConfig struct {
	Beta  float64 // factor applied on a cut; default 0.85
	Alpha float64 // additive increase, requests/s per second; default 0.5
	Gamma float64 // proportional increase per second; default 0.05
	// StartGamma is the proportional increase per second after a cut that
	// ends a quiet spell, until the next throttle; default 0.5, never below
	// Gamma.
	StartGamma float64
	// Quiet is how long without any throttle puts the Limiter back to its
	// fast climb, and forgets that the rate was confirmed as the cause;
	// default 5s.
	Quiet   time.Duration
	MinRate float64       // floor, requests/s; default 1
	Burst   float64       // tokens the bucket holds; default 1
	Window  time.Duration // success-rate window; default 1s
	// Hold is how long throttles are only backed off after a test found the
	// rate was not their cause; it doubles on each such verdict in a row, up
	// to MaxHold. Defaults 1s and 30s.
	Hold, MaxHold time.Duration
	// TestFor bounds a test: without a verdict by then the rate is taken as
	// the cause; default 5s. TestMin is the least time a test lasts before
	// it may find the rate was not the cause, so that other clients of the
	// same server, throttled at the same moment and cutting too, are seen
	// in its answers; default 500ms.
	TestFor, TestMin time.Duration
	// ColdAttempts is how many times in a row a request must be refused,
	// before anything has succeeded, to count as evidence of the rate;
	// default 4.
	ColdAttempts int
}

// NewLimiter returns a Limiter that does not limit until its first cut.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.Beta <= 0 || cfg.Beta >= 1 {
		cfg.Beta = 0.85
	}
	if cfg.Alpha <= 0 {
		cfg.Alpha = 0.5
	}
	if cfg.Gamma < 0 {
		cfg.Gamma = 0
	} else if cfg.Gamma == 0 {
		cfg.Gamma = 0.05
	}
	if cfg.StartGamma <= 0 {
		cfg.StartGamma = 0.5
	}
	cfg.StartGamma = max(cfg.StartGamma, cfg.Gamma)
	if cfg.MinRate <= 0 {
		cfg.MinRate = 1
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 5 * time.Second
	}
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	if cfg.Hold <= 0 {
		cfg.Hold = time.Second
	}
	if cfg.MaxHold < cfg.Hold {
		cfg.MaxHold = max(cfg.Hold, 30*time.Second)
	}
	if cfg.TestFor <= 0 {
		cfg.TestFor = 5 * time.Second
	}
	if cfg.TestMin <= 0 {
		cfg.TestMin = 500 * time.Millisecond
	}
	if cfg.ColdAttempts <= 0 {
		cfg.ColdAttempts = 4
	}
	return &Limiter{cfg: cfg, hold: cfg.Hold}
}

// Take takes a send slot at now and returns 0 when the caller may send at
// once. Otherwise it takes nothing and returns how long the caller should
// wait before calling Take again.
func (l *Limiter) Take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.firstTake.IsZero() {
		l.firstTake = now
	}
	if !l.enabled {
		return 0
	}
	l.refill(now)
	const slack = 1e-9 // float rounding: a caller that waited as told gets its slot
	if l.tokens >= 1-slack {
		l.tokens--
		return 0
	}
	return time.Duration(math.Ceil((1 - l.tokens) / l.rate * float64(time.Second)))
}

// Throttled records that a request sent at sentAt, the attempt-th attempt
// of its call (from 1), was throttled, seen at now.
func (l *Limiter) Throttled(sentAt, now time.Time, attempt int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(now)
	l.ring[l.slotIndex].add(attempt, false)
	if now.Sub(l.throttled) >= l.cfg.Quiet {
		l.confirmed = false
	}
	l.throttled = now
	l.observe(sentAt, now, attempt, false)
	win := l.window()
	switch {
	case now.Before(l.holdUntil) && (win.heavy() || win.n() >= minAnswers && win.share() >= l.holdShare+holdRise):
		// Holding, but refusals are now far more frequent than when the
		// test found they were not the rate's doing (many clients of one
		// prefix, each seeing its own cut change nothing, look like that):
		// the rate is too high now.
		l.holdUntil, l.confirmed = time.Time{}, true
		l.cut(now)
		return
	case now.Before(l.holdUntil):
		return // not the rate, as tested: back off this request only
	case l.enabled && sentAt.Before(l.lastCut):
		return // sent before the last cut: already accounted for
	case l.test != nil:
		// A cut is being judged: cut again only while most requests sent
		// since are refused (the cut fell short, whatever the verdict).
		if l.test.after.heavy() {
			l.cut(now)
		}
		return
	}
	switch {
	case win.firstOK == 0 && attempt < l.cfg.ColdAttempts:
		// No new key got through on its first try lately: either
		// everything is refused (then retries will be, and say so) or
		// keys are refused on their first writes (hot keys) and get
		// through on a retry. Until a retry is refused ColdAttempts times,
		// it is each request's own backoff.
		return
	case win.firstOK == 0:
		l.confirmed = true // refused again and again, nothing new admitted
	case !l.confirmed:
		if win.n() < minAnswers || float64(win.refused) < rareShare*float64(win.n()) {
			// Too little seen to judge a cut by, or throttles too rare to
			// be worth one: each request's backoff absorbs them.
			return
		}
		if win.heavy() {
			l.confirmed = true // most requests refused: slow down, no test
			break
		}
		from := now.Add(-l.cfg.Window)
		if l.firstTake.After(from) {
			from = l.firstTake
		}
		l.test = &cutTest{at: now, rateBefore: l.rate, enabledBefore: l.enabled,
			before: win, spanBefore: max(now.Sub(from), time.Millisecond)}
	}
	l.cut(now)
}

// cut lowers the rate to Beta × the success rate measured at now.
func (l *Limiter) cut(now time.Time) {
	l.starting = !l.enabled || now.Sub(l.lastCut) >= l.cfg.Quiet
	measured := l.successRate(now)
	if l.enabled {
		l.refill(now)
		measured = min(measured, l.rate)
	} else {
		l.enabled = true
		l.tokens = 0
		l.last = now
	}
	l.rate = max(l.cfg.MinRate, measured*l.cfg.Beta)
	l.tokens = min(l.tokens, l.cfg.Burst)
	l.lastCut = now
	l.lastRaise = now
}

// Succeeded records that a request sent at sentAt, the attempt-th attempt
// of its call, succeeded, seen at now.
func (l *Limiter) Succeeded(sentAt, now time.Time, attempt int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(now)
	l.ring[l.slotIndex].add(attempt, true)
	if l.firstOK.IsZero() {
		l.firstOK = now
	}
	l.observe(sentAt, now, attempt, true)
	if !l.enabled {
		return
	}
	l.refill(now)
	if now.Before(l.holdUntil) {
		// Holding: throttles do not cut the rate, so successes do not
		// raise it either.
		l.lastRaise = now
		return
	}
	if dt := now.Sub(l.lastRaise).Seconds(); dt > 0 {
		if now.Sub(l.throttled) >= l.cfg.Quiet {
			l.starting = true // quiet for a while: probe fast again
		}
		gamma := l.cfg.Gamma
		if l.starting {
			gamma = l.cfg.StartGamma
		}
		l.rate += dt * (l.cfg.Alpha + gamma*l.rate)
		l.lastRaise = now
	}
}

// Rate returns the current send rate in requests per second, and false when
// the Limiter is not limiting.
func (l *Limiter) Rate() (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate, l.enabled
}

// Verdicts returns how the Limiter's tests of its cuts ended so far.
func (l *Limiter) Verdicts() Verdicts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.verdicts
}

func (l *Limiter) refill(now time.Time) {
	if dt := now.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(l.cfg.Burst, l.tokens+dt*l.rate)
		l.last = now
	}
}

// Observe records a's answer: it implements retry.Pacer.
func (l *Limiter) Observe(a retry.Answer) {
	if a.Throttled {
		l.Throttled(a.Sent, a.Seen, a.Attempt)
	} else {
		l.Succeeded(a.Sent, a.Seen, a.Attempt)
	}
}

// NewPacer returns a Limiter at its defaults, as a retry.Pacer.
func NewPacer() retry.Pacer { return NewLimiter(LimiterConfig{}) }
