package retry

import (
	"math"
	"time"
)

// FullJitter returns the delay before retry number attempt (1 for the first
// retry) under capped exponential backoff with full jitter:
//
//	delay = r × min(maxDelay, base × 2^(attempt-1))
//
// r must be in [0, 1); it is the only source of randomness, so the function is
// pure. A non-positive base or attempt gives 0.
func FullJitter(base, maxDelay time.Duration, attempt int, r float64) time.Duration {
	if base <= 0 || attempt <= 0 {
		return 0
	}
	ceiling := float64(base) * math.Pow(2, float64(attempt-1))
	if maxDelay > 0 && ceiling > float64(maxDelay) {
		ceiling = float64(maxDelay)
	}
	if r < 0 {
		r = 0
	}
	if r >= 1 {
		r = math.Nextafter(1, 0)
	}
	return time.Duration(r * ceiling)
}
