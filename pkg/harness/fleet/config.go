package fleet

import (
	"fmt"
	"time"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// Config is one simulated run. Zero fields take the defaults below, which
// are the function's and the stack's defaults and S3's documented
// figures; Check names the first field out of range.
type Config struct {
	Seed     uint64 // all randomness is drawn from it
	Strategy string // "project" (default), "plain", "sdk" or "oracle"; see Strategies

	// The workload: Messages messages of Size bytes, all sent at time 0 (a
	// backlog to drain), spread evenly over Prefixes key prefixes.
	Messages int // default 1,000,000
	Size     int // default 1024; sets nothing but the report
	Prefixes int // default 1
	// PoisonEvery makes every PoisonEvery-th message one the function can
	// never store (a bad key: refused before any S3 call); 0: none.
	PoisonEvery int

	Fleet    FleetConfig
	Function FunctionConfig
	S3       S3Config

	// Bench makes the run the in-process benchmark's (pkg/harness/bench.Run): a
	// fixed fleet handed batches at once, no cold start, and records that
	// fail counted as given up instead of redelivered.
	Bench bool
	// Cutoff, when positive, stops handing out batches that long after the
	// start (Bench runs), as pkg/harness/bench's Scenario.Cutoff.
	Cutoff time.Duration
	// Horizon bounds the virtual time; default 2 hours.
	Horizon time.Duration
}

// FleetConfig is the queue and the event source mapping.
type FleetConfig struct {
	// Instances, when positive, holds the mapping's concurrency at that many
	// concurrent invocations from the start; 0 lets it scale on its own
	// from ScaleStart by ScalePerMinute up to MaxConcurrency.
	Instances      int
	MaxConcurrency int // the mapping's MaximumConcurrency, 2 to 1,000; default 1,000
	ScaleStart     int // default 5
	ScalePerMinute int // default 300
	BatchSize      int // default 10
	// BatchWindow is the mapping's MaximumBatchingWindow: a poll that finds
	// fewer than BatchSize messages waits up to this long for more.
	BatchWindow     time.Duration
	Visibility      time.Duration // the queue's visibility timeout; default 6 × the function timeout
	MaxReceiveCount int           // redrive to the DLQ after this many receives; default 15, the stack's
	Poll            Dist          // ReceiveMessage, from the request to the batch in hand; default p50 15ms, p99 60ms
	Invoke          Dist          // from the batch in hand to the handler running on a warm instance; default p50 5ms, p99 20ms
	ColdStart       Dist          // init of a new instance; default p50 120ms, p99 300ms
}

// FunctionConfig is the function's settings.
type FunctionConfig struct {
	Timeout     time.Duration // default 30s
	Margin      time.Duration // DEADLINE_MARGIN; default 2s
	Concurrency int           // UPLOAD_CONCURRENCY; default 8
	MemoryMB    int           // default 256
	// AttemptTimeout is ATTEMPT_TIMEOUT (this project's and plain); default 5s.
	AttemptTimeout time.Duration
	RetryBudget    int // RETRY_BUDGET; default 500
	MaxAttempts    int // RETRY_MAX_ATTEMPTS; 0: the function's default
	// Wake is how late a sleeping upload wakes (a pacer's wait, a
	// backoff): the runtime's timers and scheduler; default p50 50µs, p99
	// 500µs.
	Wake Dist
	// Without takes mechanisms out of this project's share law, for the
	// ablation (retry.NewShareLawWithout); zero: the law as it ships.
	Without retry.Ablation
	// RedeliveryBase and RedeliveryMax are REDELIVERY_BASE_DELAY and
	// REDELIVERY_MAX_DELAY: a record that failed for now comes back after
	// batch.RedeliveryDelay, and a poison one is dead-lettered at once;
	// 0: the function's defaults. NoRouting: the function without
	// DEAD_LETTER_QUEUE_URL, failed records wait out the visibility
	// timeout and only the redrive policy dead-letters.
	RedeliveryBase, RedeliveryMax time.Duration
	NoRouting                     bool
}

// S3Config is the bucket.
type S3Config struct {
	// Capacity is each prefix's PUT/s; default 3,500, S3's documented
	// figure per partitioned prefix. Negative: unlimited.
	Capacity float64
	Burst    float64 // token bucket size; default Capacity/10
	// SplitAfter, when positive, doubles a prefix's capacity after that
	// long of continuous SlowDown, up to MaxCapacity (default 16 ×).
	SplitAfter  time.Duration
	MaxCapacity float64
	// FallAt, when positive, makes every prefix's capacity fall to FallTo
	// (burst FallTo/10) that long after its first PUT (s3sim.Partition.Fall);
	// it needs a Capacity and a positive FallTo.
	FallAt time.Duration
	FallTo float64
	// HotKeyFirst refuses the first HotKeyFirst PUTs of every key with
	// SlowDown, whatever the rate.
	HotKeyFirst int
	// Shares of the PUTs that pass the rate answered with a fault: 503
	// SlowDown, 500 InternalError, connection reset.
	SlowDownRate, ErrorRate, ResetRate float64
	// OutageEvery and OutageFor, both positive, refuse every PUT that
	// passes the rate with 503 SlowDown for the last OutageFor of every
	// OutageEvery from the first PUT (s3sim.InOutage).
	OutageEvery, OutageFor time.Duration
	Latency                Dist // a PUT's answer; default p50 20ms, p99 150ms
	// ThrottleLatency is a refused PUT's answer; zero: Latency.
	ThrottleLatency Dist
	// Start, for the first StartFor of the run, replaces both latencies: the
	// in-process benchmark's first second is slow (every instance starting
	// at once on 2 cores); 0: none.
	Start    Dist
	StartFor time.Duration
	// Arrival is how long a request takes to reach S3 once sent (the
	// client's signing and the way there), before S3 decides on it; the
	// latency then is the rest. Zero: at once.
	Arrival Dist
	// Connect is the set-up of a new connection, paid by the first request
	// over it: an instance opens one per upload in flight and keeps them
	// (TCP and TLS to S3 from Lambda: p50 15ms, p99 60ms by default).
	Connect Dist
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDist := func(v *Dist, d Dist) {
		if v.P50 <= 0 && v.P99 <= 0 {
			*v = d
		}
	}
	if c.Strategy == "" {
		c.Strategy = "project"
	}
	def(&c.Messages, 1_000_000)
	def(&c.Size, 1024)
	def(&c.Prefixes, 1)
	defDur(&c.Horizon, 2*time.Hour)
	f := &c.Fleet
	def(&f.MaxConcurrency, 1000)
	def(&f.ScaleStart, 5)
	def(&f.ScalePerMinute, 300)
	def(&f.BatchSize, 10)
	def(&f.MaxReceiveCount, 15)
	fn := &c.Function
	defDur(&fn.Timeout, 30*time.Second)
	defDur(&fn.Margin, 2*time.Second)
	def(&fn.Concurrency, 8)
	def(&fn.MemoryMB, 256)
	defDur(&fn.AttemptTimeout, 5*time.Second)
	def(&fn.RetryBudget, 500)
	defDur(&f.Visibility, 6*fn.Timeout+f.BatchWindow)
	if c.Bench {
		// pkg/harness/bench.Run hands batches over in-process: nothing between them.
		f.Poll, f.Invoke, f.ColdStart = Dist{}, Dist{}, Dist{}
		defDist(&fn.Wake, BenchWake)
	} else {
		defDist(&fn.Wake, Dist{50 * time.Microsecond, 500 * time.Microsecond})
		defDist(&f.Poll, Dist{15 * time.Millisecond, 60 * time.Millisecond})
		defDist(&f.Invoke, Dist{5 * time.Millisecond, 20 * time.Millisecond})
		defDist(&f.ColdStart, Dist{120 * time.Millisecond, 300 * time.Millisecond})
	}
	s := &c.S3
	if s.Capacity == 0 {
		s.Capacity = 3500
	}
	if s.Burst <= 0 {
		s.Burst = max(1, s.Capacity/10)
	}
	if s.MaxCapacity <= 0 {
		s.MaxCapacity = 16 * s.Capacity
	}
	defDist(&s.Latency, Dist{20 * time.Millisecond, 150 * time.Millisecond})
	defDist(&s.ThrottleLatency, s.Latency)
	if c.Bench {
		defDist(&s.Connect, BenchConnect)
	} else {
		defDist(&s.Connect, Dist{15 * time.Millisecond, 60 * time.Millisecond})
	}
	return c
}

// Check reports the first setting out of range, naming it.
func (c Config) Check() error {
	c = c.withDefaults()
	switch {
	case !validStrategy(c.Strategy):
		return fmt.Errorf("strategy %q: want one of %v", c.Strategy, Strategies)
	case c.Fleet.MaxConcurrency < 2 || c.Fleet.MaxConcurrency > 1000:
		return fmt.Errorf("max concurrency %d: an SQS event source allows 2 to 1,000", c.Fleet.MaxConcurrency)
	case c.Fleet.Instances > 1250:
		return fmt.Errorf("instances %d: an SQS event source scales to at most 1,250", c.Fleet.Instances)
	case c.Fleet.BatchSize > 10000:
		return fmt.Errorf("batch size %d: an SQS event source takes 1 to 10,000", c.Fleet.BatchSize)
	case c.Function.Margin >= c.Function.Timeout:
		return fmt.Errorf("deadline margin %v: must be under the function timeout %v", c.Function.Margin, c.Function.Timeout)
	case c.Prefixes > c.Messages:
		return fmt.Errorf("prefixes %d: more than the %d messages", c.Prefixes, c.Messages)
	case c.S3.SlowDownRate+c.S3.ErrorRate+c.S3.ResetRate >= 1:
		return fmt.Errorf("fault rates %.2f+%.2f+%.2f: must sum to under 1", c.S3.SlowDownRate, c.S3.ErrorRate, c.S3.ResetRate)
	case c.S3.FallAt > 0 && (c.S3.FallTo <= 0 || c.S3.Capacity <= 0):
		return fmt.Errorf("fall at %v to %.0f PUT/s: needs a positive fall-to and a capacity (have %.0f)", c.S3.FallAt, c.S3.FallTo, c.S3.Capacity)
	case c.S3.OutageFor > 0 && c.S3.OutageFor >= c.S3.OutageEvery:
		return fmt.Errorf("outage for %v: must be under outage-every %v", c.S3.OutageFor, c.S3.OutageEvery)
	}
	return nil
}
