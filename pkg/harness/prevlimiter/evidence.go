package prevlimiter

import (
	"math"
	"time"
)

type counts struct{ ok, refused, firstOK, firstRefused int }

func (c counts) n() int       { return c.ok + c.refused }
func (c counts) firstN() int  { return c.firstOK + c.firstRefused }
func (c counts) retryOK() int { return c.ok - c.firstOK }
func (c counts) retryN() int  { return c.n() - c.firstN() }

// share is the share of answers that were refused (0 without answers).
func (c counts) share() float64 { return float64(c.refused) / float64(max(1, c.n())) }

// heavy reports whether enough answers were seen and most were refused.
func (c counts) heavy() bool {
	return c.n() >= minAnswers && float64(c.refused) >= heavyShare*float64(c.n())
}

func (c *counts) add(attempt int, ok bool) {
	switch {
	case ok && attempt <= 1:
		c.ok++
		c.firstOK++
	case ok:
		c.ok++
	case attempt <= 1:
		c.refused++
		c.firstRefused++
	default:
		c.refused++
	}
}

// cutTest is the evidence gathered on one cut made while the cause was
// unknown: the answers before it and to requests sent after it.
type cutTest struct {
	at            time.Time
	rateBefore    float64
	enabledBefore bool
	before        counts // answers in the window before the cut
	spanBefore    time.Duration
	after         counts // answers to requests sent after the cut
}

// Verdicts counts the judgements of a Limiter's cut tests.
type Verdicts struct {
	Rate      int // confirmed: the rate was the cause
	Share     int // successes kept their share: not the rate
	Undecided int // no verdict in TestFor: kept as the rate
}

const (

	// evidence is the likelihood ratio a test needs for a verdict.
	evidence = 100.0
	// minAnswers is the fewest answers after a cut a verdict rests on.
	minAnswers = 8
	// rareShare is the share of throttles below which they are not worth
	// a cut until the rate is known to be their cause.
	rareShare = 0.1
	// holdRise is how much the share of throttles may rise above the share
	// a hold was granted for before the hold ends.
	holdRise = 0.1
	// heavyShare is the share of throttles above which the rate is taken
	// as their cause without a test.
	heavyShare = 0.5
)

// observe adds an answer to the running test and judges it when the
// evidence suffices.
func (l *Limiter) observe(sentAt, now time.Time, attempt int, ok bool) {
	t := l.test
	if t == nil {
		return
	}
	if !sentAt.Before(t.at) {
		t.after.add(attempt, ok)
	}
	v := t.verdict(now)
	if v == verdictShare && now.Sub(t.at) < l.cfg.TestMin {
		v = undecided // too soon to rule the rate out
	}
	switch v {
	case verdictRate:
		l.verdicts.Rate++
		l.confirmed, l.test, l.hold = true, nil, l.cfg.Hold
	case verdictShare:
		// Undo the cut and leave throttles to each request's backoff.
		l.enabled, l.rate, l.test = t.enabledBefore, t.rateBefore, nil
		l.tokens = l.cfg.Burst
		l.verdicts.Share++
		l.holdUntil = now.Add(l.hold)
		l.holdShare = counts{ok: t.before.ok + t.after.ok, refused: t.before.refused + t.after.refused}.share()
		l.hold = min(2*l.hold, l.cfg.MaxHold)
	default:
		if now.Sub(t.at) >= l.cfg.TestFor {
			l.verdicts.Undecided++
			l.confirmed, l.test = true, nil
		}
	}
}

type verdict int

const (
	undecided verdict = iota
	verdictRate
	verdictShare
)

// verdict weighs the answers since the cut. Given the successes before and
// after it, a server that admits a steady rate puts them in proportion to
// the time each period lasted; a fault striking a steady share of requests
// puts them in proportion to the requests answered. The likelihood ratio of
// the two, for the successes seen, decides once it passes evidence either
// way.
func (t *cutTest) verdict(now time.Time) verdict {
	a, b := t.after, t.before
	if a.n() < minAnswers {
		return undecided
	}
	// The share of answers after the cut expected to be successes: the
	// share each kind of attempt (first, retry) had before it, or, for a
	// server admitting the rate it admitted before, that rate over what
	// was sent (all of it when less was sent).
	share := func(ok, n int) float64 { return (float64(ok) + 0.5) / (float64(n) + 1) }
	n := float64(a.n())
	pShare := (float64(a.firstN())*share(b.firstOK, b.firstN()) + float64(a.retryN())*share(b.retryOK(), b.retryN())) / n
	pRate := float64(b.ok) / t.spanBefore.Seconds() * now.Sub(t.at).Seconds() / n
	clamp := func(p float64) float64 { return min(max(p, 0.01), 0.99) }
	pShare, pRate = clamp(pShare), clamp(pRate)
	// Binomial log-likelihood ratio of the successes seen.
	ok := float64(a.ok)
	llr := ok*math.Log(pRate/pShare) + (n-ok)*math.Log((1-pRate)/(1-pShare))
	switch {
	case llr > math.Log(evidence):
		return verdictRate
	case llr < -math.Log(evidence):
		return verdictShare
	}
	return undecided
}
