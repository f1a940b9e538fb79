package s3sim

import "time"

// Partition is the write rate of one S3 prefix: a token bucket refilled at
// Rate per second and holding Burst tokens, whose rate and burst double
// when it has refused requests continuously for SplitAfter (no gap of a
// second without a refusal), up to a ceiling, the way S3 splits a prefix
// that stays above its request rate. With Fall, its capacity also drops
// once, at a set time after its first request. The Throttle keeps one per
// prefix; pkg/harness/fleet uses it on a virtual clock. A Partition is not
// safe for concurrent use.
type Partition struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	splitAfter  time.Duration
	ceiling     float64
	hotSince    time.Time // start of the current run of refusals; zero: none yet
	lastRefusal time.Time
	splits      int

	first  time.Time     // the first Admit; zero: none yet
	fallAt time.Duration // after first; 0: no fall
	fallTo float64
	fallen bool
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

// Fall makes the partition's capacity fall once: at after past its first
// Admit, its rate becomes to and its burst to/10 (at least 1), whatever
// splits came before; it may split again from there, up to the same
// ceiling. after ≤ 0 or to ≤ 0: no fall. Call it before the first Admit.
//
// S3 promises a prefix "at least" its request rate, not a fixed one, and
// does not say how its partitions are placed or moved. A rate that drops
// mid-run is this harness's stand-in for what a client could meet without
// changing anything itself: a partition rebalanced or merged, or one
// shared with other load (another tenant's, or the same account's other
// prefixes). It is a picture to test a retry law against, not a
// documented behaviour of S3.
func (b *Partition) Fall(after time.Duration, to float64) {
	if after <= 0 || to <= 0 {
		return
	}
	b.fallAt, b.fallTo = after, to
}

// Admit takes a token at now and reports true, or reports false: the
// request is refused (SlowDown), and the refusal counts towards a split.
func (b *Partition) Admit(now time.Time) bool {
	if b.first.IsZero() {
		b.first = now
	}
	if b.fallAt > 0 && !b.fallen {
		if at := b.first.Add(b.fallAt); !now.Before(at) {
			b.refill(at) // at the old rate up to the fall
			b.fallen = true
			b.rate, b.burst = b.fallTo, max(1, b.fallTo/10)
			b.tokens = min(b.tokens, b.burst)
		}
	}
	if b.rate <= 0 {
		return true
	}
	b.refill(now)
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

// refill adds the tokens earned from the last refill to now, up to the
// burst.
func (b *Partition) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		if b.rate > 0 {
			b.tokens = min(b.burst, b.tokens+dt*b.rate)
		}
		b.last = now
	}
}

// Rate returns the current rate, after any splits and fall; ≤ 0 means
// unlimited.
func (b *Partition) Rate() float64 { return b.rate }

// Splits returns how many times the rate doubled.
func (b *Partition) Splits() int { return b.splits }
