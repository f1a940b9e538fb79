package s3sim

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ThrottleConfig sets a Throttle. Zero Rate means no limit (until a fall,
// with FallAt).
type ThrottleConfig struct {
	Rate  float64 // write requests per second per prefix
	Burst int     // bucket size; 0: max(1, Rate/10)
	// RateOf, when set, gives each prefix its own starting rate instead of
	// Rate; a rate ≤ 0 leaves that prefix unlimited.
	RateOf func(prefix string) float64
	// SplitAfter, when positive, models S3 splitting a hot prefix: once a
	// prefix has answered SlowDown continuously for SplitAfter (no gap of a
	// second without a throttle), its rate and burst double, up to MaxRate.
	// S3 documents that it scales a prefix that stays above its request
	// rate, gradually, and answers 503s meanwhile
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
	SplitAfter time.Duration
	MaxRate    float64 // ceiling of the splitting; 0: 16 × the prefix's starting rate
	// FallAt and FallTo, both positive, make every prefix's capacity fall
	// mid-run: FallAt after the prefix's first limited request its rate
	// becomes FallTo and its burst FallTo/10 (see Partition.Fall).
	FallAt time.Duration
	FallTo float64
	// Prefix maps a request path ("/bucket/key") to the partition it counts
	// against. Nil: the bucket plus the key up to and including its last '/'.
	Prefix func(path string) string
	// Reads also counts GET and HEAD (by default only writes are limited).
	Reads bool
	// Now is the clock, for testing; nil means time.Now.
	Now func() time.Time
}

// Throttle limits requests per key prefix with a token bucket, the way an S3
// partition does, answering the excess with 503 SlowDown. Requests it admits
// go to the next handler. Use NewThrottle.
type Throttle struct {
	cfg  ThrottleConfig
	next http.Handler

	mu      sync.Mutex
	buckets map[string]*Partition

	requests, throttled, admitted, splits atomic.Int64
}

// ThrottleStats counts what a Throttle saw.
type ThrottleStats struct {
	Requests  int64 // all requests
	Throttled int64 // answered 503 SlowDown
	Admitted  int64 // limited requests passed on
	Splits    int64 // times a prefix's rate doubled (SplitAfter)
}

// NewThrottle returns a Throttle in front of next.
func NewThrottle(next http.Handler, cfg ThrottleConfig) *Throttle {
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate/10))
	}
	if cfg.Prefix == nil {
		cfg.Prefix = PathPrefix
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg, next: next, buckets: make(map[string]*Partition)}
}

// PathPrefix returns the partition of a path-style request path: the bucket
// and the key up to and including its last '/'.
func PathPrefix(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return path
}

// ServeHTTP admits r or answers SlowDown.
func (t *Throttle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.requests.Add(1)
	limited := t.cfg.Rate > 0 || t.cfg.RateOf != nil || t.cfg.FallAt > 0 && t.cfg.FallTo > 0
	if limited && (isWrite(r) || t.cfg.Reads) {
		if !t.take(t.cfg.Prefix(r.URL.Path)) {
			t.throttled.Add(1)
			SlowDown(w, r)
			return
		}
		t.admitted.Add(1)
	}
	t.next.ServeHTTP(w, r)
}

func (t *Throttle) take(prefix string) bool {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[prefix]
	if b == nil {
		rate, burst := t.cfg.Rate, float64(t.cfg.Burst)
		if t.cfg.RateOf != nil {
			rate = t.cfg.RateOf(prefix)
			burst = max(1, rate/10)
		}
		ceiling := t.cfg.MaxRate
		if ceiling <= 0 {
			ceiling = 16 * rate // of this prefix's own starting rate
		}
		b = NewPartition(rate, burst, t.cfg.SplitAfter, ceiling, now)
		b.Fall(t.cfg.FallAt, t.cfg.FallTo)
		t.buckets[prefix] = b
	}
	before := b.Splits()
	ok := b.Admit(now)
	t.splits.Add(int64(b.Splits() - before))
	return ok
}

// RateOfPrefix returns the current rate of prefix (after any splits or
// fall), and false when the prefix has seen no limited request yet.
func (t *Throttle) RateOfPrefix(prefix string) (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[prefix]
	if !ok {
		return 0, false
	}
	return b.Rate(), true
}

// Stats returns the counts so far.
func (t *Throttle) Stats() ThrottleStats {
	return ThrottleStats{Requests: t.requests.Load(), Throttled: t.throttled.Load(), Admitted: t.admitted.Load(), Splits: t.splits.Load()}
}
