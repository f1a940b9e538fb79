package fleet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Dist is a log-normal distribution of durations given by its median and
// its 99th percentile: request latencies have a long right tail, which a
// constant would hide (a retry or a slow straggler is what holds a batch
// up). P99 ≤ P50 means the constant P50.
type Dist struct {
	P50, P99 time.Duration
}

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// draw returns one duration.
func (d Dist) draw(r *rand.Rand) time.Duration {
	if d.P50 <= 0 {
		return 0
	}
	if d.P99 <= d.P50 {
		return d.P50
	}
	sigma := math.Log(float64(d.P99)/float64(d.P50)) / z99
	return time.Duration(float64(d.P50) * math.Exp(sigma*r.NormFloat64()))
}

func (d Dist) String() string {
	if d.P99 <= d.P50 {
		return d.P50.String()
	}
	return fmt.Sprintf("p50 %v, p99 %v", d.P50, d.P99)
}
