package fleet

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// bucket is the simulated S3 bucket: a conditional PUT meets, in the order
// of pkg/harness/bench's in-process server, the prefix's request rate, the key's
// own throttle, then outages and random faults, then the store.
//
//   - Rate: S3 supports "at least 3,500 PUT/COPY/POST/DELETE requests per
//     second per partitioned prefix" and answers the excess with 503 Slow
//     Down while it scales; it "scales gradually" a prefix whose demand
//     stays high (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
//     A prefix is an s3sim.Partition: a token bucket that doubles after
//     SplitAfter of continuous refusals, and whose capacity may fall to
//     FallTo at FallAt (the harness's picture of a partition rebalanced or
//     shared with other load, not a documented behaviour).
//   - Per key: S3 may throttle writes to one key on their own ("hot"
//     keys); the first HotKeyFirst PUTs of each key are refused.
//   - Faults: a share of PUTs is answered 503, 500 or a dropped connection,
//     as S3 does while it rebalances; the retry guidance is to retry them
//     with backoff (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html).
//     Outages refuse every PUT with 503 for the last OutageFor of every
//     OutageEvery from the first PUT (s3sim.InOutage).
//   - Conditional writes: a PUT with If-None-Match: * on a key already
//     written answers 412, and the function's store then reads the object
//     to tell a duplicate from a conflict: two requests
//     (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
//   - Latency: log-normal, median and p99 set; a refused PUT has its own.
type bucket struct {
	cfg      S3Config
	rng      *rand.Rand
	parts    []*s3sim.Partition
	writes   []uint8         // PUTs seen per message key, for HotKeyFirst
	stored   []bool          // per message: the object exists
	storedAt []time.Duration // per message: when S3 finished storing it

	requests, throttled, faults, duplicates int
	capacity                                []capacityStep // in time order
	capNow                                  float64        // the sum of capacity's steps so far
	ticks                                   []Tick         // per second since the start
	first                                   time.Duration  // the first PUT; -1: none yet
}

// Tick counts what S3 saw in one second of the run.
type Tick struct {
	Requests, Throttled, Stored int
	// Capacity is the PUT/s S3 allowed at the end of the second, all
	// prefixes together; 0 without a limit.
	Capacity float64
}

// tick returns the Tick holding now.
func (b *bucket) tick(now time.Duration) *Tick {
	i := int(now / tickSize)
	for len(b.ticks) <= i {
		b.ticks = append(b.ticks, Tick{Capacity: b.capNow})
	}
	return &b.ticks[i]
}

// TopCapacityAt returns when the run's capacity, all prefixes together,
// first reached its ceiling (MaxCapacity on every prefix), to the end of
// that second of Ticks, and false if it never did or the run had no limit
// or no Ticks.
func (r Result) TopCapacityAt() (time.Duration, bool) {
	s := r.Config.S3
	if s.Capacity <= 0 || s.MaxCapacity <= 0 {
		return 0, false
	}
	top := s.MaxCapacity * float64(max(1, r.Config.Prefixes))
	for i, t := range r.Ticks {
		if t.Capacity >= top {
			return time.Duration(i+1) * tickSize, true
		}
	}
	return 0, false
}

// capacityStep is a change of the bucket's capacity, all prefixes
// together, at At.
type capacityStep struct {
	At    time.Duration
	Delta float64
}

func newBucket(cfg S3Config, prefixes, messages int, rng *rand.Rand) *bucket {
	b := &bucket{cfg: cfg, rng: rng, stored: make([]bool, messages), storedAt: make([]time.Duration, messages), first: -1}
	if cfg.HotKeyFirst > 0 {
		b.writes = make([]uint8, messages)
	}
	if cfg.Capacity > 0 {
		b.parts = make([]*s3sim.Partition, prefixes)
		for i := range b.parts {
			b.parts[i] = s3sim.NewPartition(cfg.Capacity, cfg.Burst, cfg.SplitAfter, cfg.MaxCapacity, epoch)
			b.parts[i].Fall(cfg.FallAt, cfg.FallTo)
			b.capacity = append(b.capacity, capacityStep{0, cfg.Capacity})
			b.capNow += cfg.Capacity
		}
	}
	return b
}

// answer is what a PUT gets back, and when.
type answer struct {
	latency time.Duration
	err     error // nil: stored
	dup     bool  // the object was already there with the same bytes
}

// put is message msg's PUT to prefix, reaching S3 at now: the answer
// comes back latency later.
func (b *bucket) put(now time.Duration, prefix, msg int) answer {
	b.requests++
	if b.first < 0 {
		b.first = now
	}
	t := b.tick(now)
	t.Requests++
	if b.parts != nil {
		p := b.parts[prefix]
		before := p.Rate()
		ok := p.Admit(epoch.Add(now))
		if d := p.Rate() - before; d != 0 {
			b.capacity = append(b.capacity, capacityStep{now, d})
			b.capNow += d
			t.Capacity = b.capNow
		}
		if !ok {
			t.Throttled++
			return b.refuse(now)
		}
	}
	if b.writes != nil && int(b.writes[msg]) < b.cfg.HotKeyFirst {
		b.writes[msg]++
		t.Throttled++
		return b.refuse(now)
	}
	if s3sim.InOutage(now-b.first, b.cfg.OutageEvery, b.cfg.OutageFor) {
		t.Throttled++
		return b.refuse(now)
	}
	lat := b.latency(now)
	if f := b.cfg.SlowDownRate + b.cfg.ErrorRate + b.cfg.ResetRate; f > 0 {
		switch u := b.rng.Float64(); {
		case u < b.cfg.SlowDownRate:
			t.Throttled++
			return b.refuse(now)
		case u < b.cfg.SlowDownRate+b.cfg.ErrorRate:
			b.faults++
			return answer{latency: lat, err: errInternal}
		case u < f:
			b.faults++
			return answer{latency: lat, err: errReset}
		}
	}
	if b.stored[msg] {
		// 412, then the store reads the object back to compare.
		b.requests++
		b.duplicates++
		return answer{latency: lat + b.latency(now), dup: true}
	}
	b.stored[msg] = true
	b.storedAt[msg] = now + lat
	t.Stored++
	return answer{latency: lat}
}

func (b *bucket) refuse(now time.Duration) answer {
	b.throttled++
	if now < b.cfg.StartFor {
		return answer{latency: b.cfg.Start.draw(b.rng), err: errSlowDown}
	}
	return answer{latency: b.cfg.ThrottleLatency.draw(b.rng), err: errSlowDown}
}

// latency draws an admitted PUT's latency at now.
func (b *bucket) latency(now time.Duration) time.Duration {
	if now < b.cfg.StartFor {
		return b.cfg.Start.draw(b.rng)
	}
	return b.cfg.Latency.draw(b.rng)
}

// capacitySeconds is ∫ capacity dt over [0, end], all prefixes together.
func (b *bucket) capacitySeconds(end time.Duration) float64 {
	total, last, cur := 0.0, time.Duration(0), 0.0
	for _, s := range b.capacity {
		if s.At > end {
			break
		}
		total += cur * (s.At - last).Seconds()
		last, cur = s.At, cur+s.Delta
	}
	return total + cur*(end-last).Seconds()
}

// capacityAt is the capacity at t, all prefixes together.
func (b *bucket) capacityAt(t time.Duration) float64 {
	cur := 0.0
	for _, s := range b.capacity {
		if s.At > t {
			break
		}
		cur += s.Delta
	}
	return cur
}

// s3Error is an S3 error answer, classified the ways both this project's
// retry package (RetryableError, ThrottleError) and the SDK's retryer
// (ErrorCode, HTTPStatusCode, ConnectionError) read errors.
type s3Error struct {
	code   string
	status int
	conn   bool
}

var (
	errSlowDown = &s3Error{code: "SlowDown", status: 503}
	errInternal = &s3Error{code: "InternalError", status: 500}
	errReset    = &s3Error{code: "RequestError", conn: true}
)

func (e *s3Error) Error() string {
	if e.conn {
		return "connection reset by peer"
	}
	return fmt.Sprintf("api error %s: status %d", e.code, e.status)
}
func (e *s3Error) ErrorCode() string     { return e.code }
func (e *s3Error) HTTPStatusCode() int   { return e.status }
func (e *s3Error) RetryableError() bool  { return true }
func (e *s3Error) ThrottleError() bool   { return e.code == "SlowDown" }
func (e *s3Error) ConnectionError() bool { return e.conn }

// errAttemptTimeout is an attempt that outlived ATTEMPT_TIMEOUT, as the
// retry package reports it.
var errAttemptTimeout = fmt.Errorf("put: %w", retry.ErrAttemptTimeout)

// tickSize is the resolution of Result.Ticks.
const tickSize = time.Second
