package fleet

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// small is a fleet small enough for a test: 20,000 messages.
func small(strategy string, seed uint64) Config {
	return Config{Seed: seed, Strategy: strategy, Messages: 20_000, Fleet: FleetConfig{Instances: 100}}
}

func TestNothingLost(t *testing.T) {
	tests := map[string]Config{
		"token bucket":     small("project", 1),
		"plain":            small("plain", 1),
		"sdk":              small("sdk", 1),
		"oracle":           small("oracle", 1),
		"event source":     {Seed: 1, Messages: 20_000},
		"ten prefixes":     {Seed: 1, Messages: 20_000, Prefixes: 10, Fleet: FleetConfig{Instances: 300}},
		"faults and split": {Seed: 2, Messages: 20_000, Fleet: FleetConfig{Instances: 50}, S3: S3Config{Capacity: 500, SplitAfter: 2 * time.Second, ErrorRate: 0.02, ResetRate: 0.01, SlowDownRate: 0.05}},
		"hot keys":         {Seed: 3, Messages: 5_000, Fleet: FleetConfig{Instances: 20}, S3: S3Config{HotKeyFirst: 2}},
		// S3 refuses nearly everything: records fail, are redelivered and
		// end in the DLQ.
		"dead letters": {Seed: 4, Messages: 2_000, Fleet: FleetConfig{Instances: 50, MaxReceiveCount: 2, Visibility: 10 * time.Second},
			Function: FunctionConfig{Timeout: 3 * time.Second, Margin: time.Second}, S3: S3Config{Capacity: 5, Burst: 1}},
		"bench": {Seed: 5, Bench: true, Messages: 4_000, Fleet: FleetConfig{Instances: 8}, Cutoff: 2 * time.Second,
			S3: S3Config{Capacity: 400, Burst: 40, Latency: BenchLatency, ThrottleLatency: BenchThrottleLatency}},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := Run(cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			n := r.Config.Messages
			if r.Left != 0 || r.Lost != 0 {
				t.Errorf("%d left, %d lost; want 0 (%s)", r.Left, r.Lost, r.Summary())
			}
			if r.Stored+r.DeadLettered+r.GaveUp < n {
				t.Errorf("stored %d + dead-lettered %d + gave up %d < %d messages", r.Stored, r.DeadLettered, r.GaveUp, n)
			}
			if r.Stored > n || r.Requests < r.Stored {
				t.Errorf("stored %d of %d with %d requests", r.Stored, n, r.Requests)
			}
			if name == "dead letters" && r.DeadLettered == 0 {
				t.Errorf("nothing dead-lettered against 5 PUT/s and a 3 s timeout: %s", r.Summary())
			}
			if name == "oracle" && r.Throttled != 0 {
				t.Errorf("the oracle was throttled %d times; it paces at capacity", r.Throttled)
			}
			if name == "bench" && r.NotRun == 0 {
				t.Errorf("nothing left unrun after a 2 s cutoff of a 10 s drain: %s", r.Summary())
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, st := range []string{"project", "plain", "oracle"} {
		t.Run(st, func(t *testing.T) {
			a, err := Run(small(st, 7))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Run(small(st, 7))
			if !reflect.DeepEqual(a, b) {
				t.Errorf("seed 7 twice:\n%s\n%s", a.Summary(), b.Summary())
			}
			c, _ := Run(small(st, 8))
			if reflect.DeepEqual(a.Ticks, c.Ticks) {
				t.Errorf("seeds 7 and 8 gave the same timeline: the seed is not used")
			}
		})
	}
}

// TestLimiterMatters checks the simulation tells strategies apart where it
// matters: 1,000 instances on one prefix.
func TestLimiterMatters(t *testing.T) {
	cfg := Config{Seed: 1, Messages: 30_000, Fleet: FleetConfig{Instances: 1000}}
	proj, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Strategy = "plain"
	plain, _ := Run(cfg)
	if proj.Waste() >= plain.Waste() {
		t.Errorf("waste: project %.3f, plain backoff %.3f; want the limiter's lower", proj.Waste(), plain.Waste())
	}
}

func TestCheck(t *testing.T) {
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"strategy":        {Config{Strategy: "adaptive"}, `strategy "adaptive"`},
		"max concurrency": {Config{Fleet: FleetConfig{MaxConcurrency: 2000}}, "max concurrency 2000"},
		"instances":       {Config{Fleet: FleetConfig{Instances: 5000}}, "instances 5000"},
		"margin":          {Config{Function: FunctionConfig{Timeout: time.Second, Margin: 2 * time.Second}}, "deadline margin 2s"},
		"faults":          {Config{S3: S3Config{ErrorRate: 0.6, SlowDownRate: 0.5}}, "fault rates"},
		"prefixes":        {Config{Messages: 10, Prefixes: 20}, "prefixes 20"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := tt.cfg.Check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v; want an error naming %q", err, tt.want)
			}
			if _, rerr := Run(tt.cfg); rerr == nil {
				t.Errorf("Run ran a config Check refuses")
			}
		})
	}
	if err := (Config{}).Check(); err != nil {
		t.Errorf("Check() of the defaults = %v", err)
	}
}
