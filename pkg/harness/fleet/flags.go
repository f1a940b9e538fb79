package fleet

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Flags registers every field of c on fs, under the names the help lists.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of every random draw")
	fs.StringVar(&c.Strategy, "strategy", c.Strategy, "retry strategy: "+strings.Join(Strategies, ", "))
	fs.IntVar(&c.Messages, "messages", c.Messages, "messages to drain (default 1000000)")
	fs.IntVar(&c.Size, "size", c.Size, "bytes per message (default 1024)")
	fs.IntVar(&c.Prefixes, "prefixes", c.Prefixes, "key prefixes the messages spread over (default 1)")
	fs.IntVar(&c.PoisonEvery, "poison-every", c.PoisonEvery, "every Nth message can never be stored (0: none)")
	fs.BoolVar(&c.Bench, "bench", c.Bench, "run as pkg/harness/bench does: fixed fleet, batches handed over at once, failures given up")
	fs.DurationVar(&c.Cutoff, "cutoff", c.Cutoff, "stop handing out batches after this long (0: never)")
	fs.DurationVar(&c.Horizon, "horizon", c.Horizon, "virtual time limit (default 2h)")

	f := &c.Fleet
	fs.IntVar(&f.Instances, "instances", f.Instances, "fixed concurrency; 0: the event source scales from -scale-start")
	fs.IntVar(&f.MaxConcurrency, "max-concurrency", f.MaxConcurrency, "the mapping's MaximumConcurrency, 2-1000 (default 1000)")
	fs.IntVar(&f.ScaleStart, "scale-start", f.ScaleStart, "concurrent batches the event source starts with (default 5)")
	fs.IntVar(&f.ScalePerMinute, "scale-per-minute", f.ScalePerMinute, "concurrency the event source adds per minute (default 300)")
	fs.IntVar(&f.BatchSize, "batch-size", f.BatchSize, "batch size (default 10)")
	fs.DurationVar(&f.BatchWindow, "batch-window", f.BatchWindow, "maximum batching window")
	fs.DurationVar(&f.Visibility, "visibility", f.Visibility, "visibility timeout (default 6 × the function timeout)")
	fs.IntVar(&f.MaxReceiveCount, "max-receive-count", f.MaxReceiveCount, "receives before the DLQ (default 15, the stack's)")
	distVar(fs, &f.Poll, "poll", "ReceiveMessage latency (default 15ms/60ms)")
	distVar(fs, &f.Invoke, "invoke", "invoke latency on a warm instance (default 5ms/20ms)")
	distVar(fs, &f.ColdStart, "cold-start", "init duration of a new instance (default 120ms/300ms)")

	fn := &c.Function
	fs.DurationVar(&fn.Timeout, "timeout", fn.Timeout, "function timeout (default 30s)")
	fs.DurationVar(&fn.Margin, "margin", fn.Margin, "DEADLINE_MARGIN (default 2s)")
	fs.IntVar(&fn.Concurrency, "upload-concurrency", fn.Concurrency, "UPLOAD_CONCURRENCY (default 8)")
	fs.IntVar(&fn.MemoryMB, "memory", fn.MemoryMB, "function memory, MB (default 256)")
	fs.DurationVar(&fn.AttemptTimeout, "attempt-timeout", fn.AttemptTimeout, "ATTEMPT_TIMEOUT (default 5s)")
	fs.IntVar(&fn.RetryBudget, "retry-budget", fn.RetryBudget, "RETRY_BUDGET (default 500)")
	fs.DurationVar(&fn.RedeliveryBase, "redelivery-base", fn.RedeliveryBase, "REDELIVERY_BASE_DELAY (default 2s)")
	fs.DurationVar(&fn.RedeliveryMax, "redelivery-max", fn.RedeliveryMax, "REDELIVERY_MAX_DELAY (default 15m)")
	fs.BoolVar(&fn.NoRouting, "no-routing", fn.NoRouting, "the function without DEAD_LETTER_QUEUE_URL: failed records wait out the visibility timeout, poison waits for the redrive")
	distVar(fs, &fn.Wake, "wake", "how late a sleeping upload wakes (default 50µs/500µs; -bench: 800µs/3ms)")
	fs.IntVar(&fn.MaxAttempts, "max-attempts", fn.MaxAttempts, "RETRY_MAX_ATTEMPTS (default: the function's, 14)")

	s := &c.S3
	fs.Float64Var(&s.Capacity, "capacity", s.Capacity, "PUT/s per prefix; negative: unlimited (default 3500)")
	fs.Float64Var(&s.Burst, "burst", s.Burst, "token bucket size per prefix (default capacity/10)")
	fs.DurationVar(&s.SplitAfter, "split-after", s.SplitAfter, "double a prefix's capacity after this long of continuous SlowDown (0: never)")
	fs.Float64Var(&s.MaxCapacity, "max-capacity", s.MaxCapacity, "ceiling of the splitting (default 16 × capacity)")
	fs.DurationVar(&s.FallAt, "fall-at", s.FallAt, "drop each prefix's capacity to -fall-to this long after its first PUT (0: never)")
	fs.Float64Var(&s.FallTo, "fall-to", s.FallTo, "PUT/s per prefix after -fall-at")
	fs.IntVar(&s.HotKeyFirst, "hot-key-first", s.HotKeyFirst, "refuse the first N PUTs of every key")
	fs.Float64Var(&s.SlowDownRate, "slowdown-rate", s.SlowDownRate, "share of PUTs answered 503 SlowDown at random")
	fs.Float64Var(&s.ErrorRate, "error-rate", s.ErrorRate, "share of PUTs answered 500 at random")
	fs.Float64Var(&s.ResetRate, "reset-rate", s.ResetRate, "share of PUTs whose connection drops")
	fs.DurationVar(&s.OutageEvery, "outage-every", s.OutageEvery, "period of the outages: every PUT refused for the last -outage-for of each (0: none)")
	fs.DurationVar(&s.OutageFor, "outage-for", s.OutageFor, "length of each outage")
	distVar(fs, &s.Latency, "latency", "PUT latency (default 20ms/150ms)")
	distVar(fs, &s.ThrottleLatency, "throttle-latency", "latency of a refused PUT (default: -latency)")
	distVar(fs, &s.Connect, "connect", "set-up of a new connection (default 15ms/60ms)")
	distVar(fs, &s.Start, "start-latency", "latency of every answer during -start-for (default: none)")
	fs.DurationVar(&s.StartFor, "start-for", s.StartFor, "how long from the start -start-latency applies")
	distVar(fs, &s.Arrival, "arrival", "from a request sent to S3 deciding on it (default 0: the latency is all on the way back)")
}

// distVar registers a Dist as "P50/P99", e.g. 20ms/150ms, or one duration.
func distVar(fs *flag.FlagSet, d *Dist, name, usage string) {
	fs.Func(name, usage+`, as "p50/p99" or one duration`, func(s string) error {
		p50, p99, two := strings.Cut(s, "/")
		a, err := time.ParseDuration(p50)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		b := a
		if two {
			if b, err = time.ParseDuration(p99); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if b < a {
				return fmt.Errorf("%s: p99 %v under p50 %v", name, b, a)
			}
		}
		*d = Dist{P50: a, P99: b}
		return nil
	})
}
