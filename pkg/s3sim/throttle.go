package s3sim

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ThrottleConfig sets a Throttle. Zero Rate means no limit.
type ThrottleConfig struct {
	Rate  float64 // write requests per second per prefix
	Burst int     // bucket size; 0: max(1, Rate/10)
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
	buckets map[string]*bucket

	requests, throttled, admitted atomic.Int64
}

type bucket struct {
	tokens float64
	last   time.Time
}

// ThrottleStats counts what a Throttle saw.
type ThrottleStats struct {
	Requests  int64 // all requests
	Throttled int64 // answered 503 SlowDown
	Admitted  int64 // limited requests passed on
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
	return &Throttle{cfg: cfg, next: next, buckets: make(map[string]*bucket)}
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
	if t.cfg.Rate > 0 && (isWrite(r) || t.cfg.Reads) {
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
		b = &bucket{tokens: float64(t.cfg.Burst), last: now}
		t.buckets[prefix] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(float64(t.cfg.Burst), b.tokens+dt*t.cfg.Rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Stats returns the counts so far.
func (t *Throttle) Stats() ThrottleStats {
	return ThrottleStats{Requests: t.requests.Load(), Throttled: t.throttled.Load(), Admitted: t.admitted.Load()}
}
