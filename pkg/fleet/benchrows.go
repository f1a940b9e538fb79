package fleet

import (
	"time"

	"github.com/s3uploader/s3uploader/pkg/bench"
)

// BenchLatency and BenchThrottleLatency are the in-process benchmark's
// request latencies, measured through the function's S3 client against
// pkg/bench's server on 2 cores (bucket-8 and bucket-16 rows, 7,000
// answers): admitted PUTs p50 0.16 ms, p99 2.5 ms; SlowDown answers p50
// 0.23 ms, p99 8 to 40 ms (the SDK reads and parses the error body).
var (
	BenchLatency         = Dist{P50: 160 * time.Microsecond, P99: 2500 * time.Microsecond}
	BenchThrottleLatency = Dist{P50: 230 * time.Microsecond, P99: 20 * time.Millisecond}
)

// FromBench is the simulation of one of pkg/bench's scenarios, run the way
// bench.Run runs it (Config.Bench): the same objects, instances, batch
// size, timeout, cutoff and S3, with the benchmark's measured latencies.
// ok is false for what the simulation does not model (per-prefix rates,
// weighted prefixes).
func FromBench(sc bench.Scenario, strategy string, seed uint64) (cfg Config, ok bool) {
	if len(sc.Sim.PrefixRates) > 0 || len(sc.Shares) > 0 {
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
			Latency: BenchLatency, ThrottleLatency: BenchThrottleLatency},
	}, true
}
