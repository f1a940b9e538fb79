package fleet

import (
	"time"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
)

// BenchLatency, BenchThrottleLatency and BenchWake are the in-process
// benchmark's, measured on 2 cores in its bucket-8 and bucket-16 rows
// (7,000 answers, 39,000 sleeps): a store's PUT through the function's S3
// client to pkg/harness/bench's server, p50 0.4 ms, p99 7 ms admitted and p50 0.5
// ms, p99 20 to 60 ms refused (the SDK reads and parses the error); a
// sleep of the retry policy ends p50 0.8 ms, p99 3 ms late (64 goroutines
// and the server on 2 cores).
var (
	BenchWake            = Dist{P50: 800 * time.Microsecond, P99: 3 * time.Millisecond}
	BenchConnect         = Dist{P50: 1 * time.Millisecond, P99: 30 * time.Millisecond}
	BenchStart           = Dist{P50: 700 * time.Microsecond, P99: 30 * time.Millisecond}
	BenchLatency         = Dist{P50: 400 * time.Microsecond, P99: 1700 * time.Microsecond}
	BenchThrottleLatency = Dist{P50: 500 * time.Microsecond, P99: 2 * time.Millisecond}
)

// FromBench is the simulation of one of pkg/harness/bench's scenarios, run the way
// bench.Run runs it (Config.Bench): the same objects, instances, batch
// size, timeout, cutoff and S3, with the benchmark's measured latencies.
// ok is false for what the simulation does not model (per-prefix rates,
// weighted prefixes, a capacity falling from no limit at all).
func FromBench(sc bench.Scenario, strategy string, seed uint64) (cfg Config, ok bool) {
	if len(sc.Sim.PrefixRates) > 0 || len(sc.Shares) > 0 {
		return Config{}, false
	}
	if sc.Sim.Rate <= 0 && sc.Sim.FallAt > 0 && sc.Sim.FallTo > 0 {
		return Config{}, false
	}
	capacity := sc.Sim.Rate
	if capacity <= 0 {
		capacity = -1
	}
	return Config{
		Seed: seed, Strategy: strategy, Bench: true, Cutoff: sc.Cutoff,
		Messages: sc.Objects, Size: sc.Size, Prefixes: sc.Prefixes,
		Fleet:    FleetConfig{Instances: sc.Instances, BatchSize: sc.BatchSize},
		Function: FunctionConfig{Timeout: sc.Timeout, Concurrency: sc.Concurrency},
		S3: S3Config{Capacity: capacity, Burst: float64(sc.Sim.Burst),
			SplitAfter: sc.Sim.SplitAfter, MaxCapacity: sc.Sim.MaxRate, HotKeyFirst: sc.Sim.HotKeyFirst,
			SlowDownRate: sc.Sim.SlowDownRate, ErrorRate: sc.Sim.ErrorRate, ResetRate: sc.Sim.ResetRate,
			FallAt: sc.Sim.FallAt, FallTo: sc.Sim.FallTo, OutageEvery: sc.Sim.OutageEvery, OutageFor: sc.Sim.OutageFor,
			Latency: BenchLatency, ThrottleLatency: BenchThrottleLatency, Start: BenchStart, StartFor: time.Second},
	}, true
}
