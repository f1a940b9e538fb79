package s3sim

import "time"

// Partition is the write rate of one S3 prefix: a token bucket refilled at
// Rate per second and holding Burst tokens, whose rate and burst double
// when it has refused requests continuously for SplitAfter (no gap of a
// second without a refusal), up to a ceiling, the way S3 splits a prefix
// that stays above its request rate. The Throttle keeps one per prefix;
// pkg/harness/fleet uses it on a virtual clock. A Partition is not safe for
// concurrent use.
type Partition struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	splitAfter  time.Duration
	ceiling     float64
	hotSince    time.Time // start of the current run of refusals; zero: none yet
	lastRefusal time.Time
	splits      int
}

// NewPartition returns a full Partition at now. rate ≤ 0 admits everything;
// splitAfter ≤ 0 never splits; ceiling ≤ 0 means 16 × rate.
func NewPartition(rate, burst float64, splitAfter time.Duration, ceiling float64, now time.Time) *Partition {
	if ceiling <= 0 {
		ceiling = 16 * rate
	}
	burst = max(1, burst)
	return &Partition{rate: rate, burst: burst, tokens: burst, last: now, splitAfter: splitAfter, ceiling: ceiling}
}

// Admit takes a token at now and reports true, or reports false: the
// request is refused (SlowDown), and the refusal counts towards a split.
func (b *Partition) Admit(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	if b.hotSince.IsZero() || now.Sub(b.lastRefusal) > time.Second {
		b.hotSince = now // a new run of refusals: demand fell below capacity in between
	}
	b.lastRefusal = now
	if b.splitAfter > 0 && now.Sub(b.hotSince) >= b.splitAfter {
		if b.rate < b.ceiling {
			f := min(2, b.ceiling/b.rate)
			b.rate *= f
			b.burst *= f
			b.splits++
		}
		b.hotSince = now
	}
	return false
}

// Rate returns the current rate, after any splits; ≤ 0 means unlimited.
func (b *Partition) Rate() float64 { return b.rate }

// Splits returns how many times the rate doubled.
func (b *Partition) Splits() int { return b.splits }
