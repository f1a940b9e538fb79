package fleet

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
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
		"fall and outages": {Seed: 6, Messages: 20_000, Fleet: FleetConfig{Instances: 50},
			S3: S3Config{Capacity: 1000, FallAt: 3 * time.Second, FallTo: 300, OutageEvery: 2 * time.Second, OutageFor: 300 * time.Millisecond}},
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
		"fall to nothing": {Config{S3: S3Config{FallAt: time.Second}}, "fall at 1s"},
		"fall, no limit":  {Config{S3: S3Config{Capacity: -1, FallAt: time.Second, FallTo: 100}}, "fall at 1s"},
		"endless outage":  {Config{S3: S3Config{OutageEvery: time.Second, OutageFor: time.Second}}, "outage for 1s"},
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

// TestBucketFallAndOutages drives one prefix at 1,000 PUTs a second on the
// virtual clock: its capacity of 100 PUT/s falls to 20 after 3 s, and
// outages refuse everything for the last 500 ms of every 2 s.
func TestBucketFallAndOutages(t *testing.T) {
	cfg := S3Config{Capacity: 100, Burst: 10, MaxCapacity: 1600, FallAt: 3 * time.Second, FallTo: 20,
		OutageEvery: 2 * time.Second, OutageFor: 500 * time.Millisecond}
	b := newBucket(cfg, 1, 6000, rand.New(rand.NewPCG(1, 2)))
	stored := map[time.Duration]int{} // per 500 ms
	for i := range 6000 {
		now := time.Duration(i) * time.Millisecond
		if a := b.put(now, 0, i); a.err == nil {
			stored[now/(500*time.Millisecond)*(500*time.Millisecond)]++
		}
	}
	for _, at := range []time.Duration{1500 * time.Millisecond, 3500 * time.Millisecond, 5500 * time.Millisecond} {
		if n := stored[at]; n != 0 {
			t.Errorf("stored %d in the outage from %v; want 0", n, at)
		}
	}
	tests := []struct {
		at   time.Duration
		want int // about
	}{{0, 10 + 50}, {500 * time.Millisecond, 50}, {4 * time.Second, 10}, {4500 * time.Millisecond, 10}}
	for _, tc := range tests {
		if n := stored[tc.at]; n < tc.want-2 || n > tc.want+2 {
			t.Errorf("stored %d in the 500 ms from %v; want about %d", n, tc.at, tc.want)
		}
	}
	var caps []float64
	for _, tk := range b.ticks {
		caps = append(caps, tk.Capacity)
	}
	if want := []float64{100, 100, 100, 20, 20, 20}; !reflect.DeepEqual(caps, want) {
		t.Errorf("capacity per second %v; want %v", caps, want)
	}
	if c := b.capacitySeconds(6 * time.Second); c < 3*100+3*20-1 || c > 3*100+3*20+1 {
		t.Errorf("capacity-seconds %.1f; want 360", c)
	}
}

func TestTopCapacityAt(t *testing.T) {
	ticks := func(caps ...float64) []Tick {
		var out []Tick
		for _, c := range caps {
			out = append(out, Tick{Capacity: c})
		}
		return out
	}
	split := S3Config{Capacity: 100, MaxCapacity: 400}
	tests := map[string]struct {
		r      Result
		want   time.Duration
		wantOK bool
	}{
		"reached in the third second": {Result{Config: Config{Prefixes: 1, S3: split}, Ticks: ticks(100, 200, 400, 400)}, 3 * time.Second, true},
		"all prefixes":                {Result{Config: Config{Prefixes: 2, S3: split}, Ticks: ticks(200, 400, 600, 800)}, 4 * time.Second, true},
		"never":                       {Result{Config: Config{Prefixes: 1, S3: split}, Ticks: ticks(100, 200, 200)}, 0, false},
		"no limit":                    {Result{Config: Config{Prefixes: 1, S3: S3Config{Capacity: -1, MaxCapacity: -16}}, Ticks: ticks(0, 0)}, 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got, ok := tc.r.TopCapacityAt(); got != tc.want || ok != tc.wantOK {
				t.Errorf("TopCapacityAt() = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestPictureTargets checks the targets of the table's two pictures of S3
// on made-up runs: the splitting prefix's top capacity reached no later
// than under any other strategy, and goodput with random SlowDown ≥ 0.9 ×
// the ideal's.
func TestPictureTargets(t *testing.T) {
	split := Config{Prefixes: 1, S3: S3Config{Capacity: 100, MaxCapacity: 200}}
	reachedAt := func(strategy string, s int) Result {
		r := Result{Config: split, Ticks: make([]Tick, 10)}
		r.Config.Strategy = strategy
		for i := range r.Ticks {
			r.Ticks[i].Capacity = 100
			if s > 0 && i >= s-1 {
				r.Ticks[i].Capacity = 200
			}
		}
		return r
	}
	goodput := func(strategy string, perSecond int) Result {
		return Result{Config: Config{Strategy: strategy}, Stored: perSecond * 100, Drain: 100 * time.Second}
	}
	row := func(p *Picture, runs ...Result) RowResult {
		rr := RowResult{Row: Row{Instances: 1000, Prefixes: 1, Picture: p}}
		for _, r := range runs {
			rr.Cells = append(rr.Cells, Cell{Strategy: r.Config.Strategy, Runs: []Result{r}})
		}
		return rr
	}
	tests := map[string]struct {
		rr   RowResult
		want bool
	}{
		"split first":      {row(&Splitting, reachedAt("project", 3), reachedAt("plain", 4), reachedAt("oracle", 0)), true},
		"split tied":       {row(&Splitting, reachedAt("project", 3), reachedAt("plain", 3), reachedAt("oracle", 0)), true},
		"split later":      {row(&Splitting, reachedAt("project", 5), reachedAt("plain", 4), reachedAt("oracle", 0)), false},
		"split never":      {row(&Splitting, reachedAt("project", 0), reachedAt("plain", 0), reachedAt("oracle", 0)), false},
		"slowdown, 0.95 ×": {row(&SlowDown5, goodput("project", 3150), goodput("oracle", 3320)), true},
		"slowdown, 0.85 ×": {row(&SlowDown5, goodput("project", 2820), goodput("oracle", 3320)), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Targets([]RowResult{tc.rr})
			if len(got) != 1 {
				t.Fatalf("Targets = %v; want one target", got)
			}
			if got[0].Met != tc.want || !strings.HasPrefix(got[0].Text, tc.rr.Row.ID()+":") {
				t.Errorf("Targets = %+v; want met %v, about %s", got[0], tc.want, tc.rr.Row.ID())
			}
		})
	}
}

// TestFromBenchModelsTheWiderMatrix checks that the benchmark's rows that
// outlast their start (random SlowDown over 40,000 objects, the splitting
// prefix under sustained demand, the capacity that falls, the outages) are
// simulated, with their S3, and that the simulation of each loses nothing.
func TestFromBenchModelsTheWiderMatrix(t *testing.T) {
	rows := map[string]bench.Row{}
	for _, r := range bench.MatrixRows(0.1) {
		rows[r.ID] = r
	}
	for _, id := range []string{"random-5-steady", "random-20-steady", "split-sustained", "capacity-fall", "outages"} {
		t.Run(id, func(t *testing.T) {
			row, ok := rows[id]
			if !ok {
				t.Fatalf("no bench row %q", id)
			}
			cfg, ok := FromBench(row.Scenario, "project", 1)
			if !ok {
				t.Fatalf("FromBench(%s) not modelled", id)
			}
			sim := row.Scenario.Sim
			if s := cfg.S3; s.FallAt != sim.FallAt || s.FallTo != sim.FallTo || s.OutageEvery != sim.OutageEvery ||
				s.OutageFor != sim.OutageFor || s.SlowDownRate != sim.SlowDownRate || s.SplitAfter != sim.SplitAfter {
				t.Errorf("FromBench(%s).S3 = %+v; want the row's %+v", id, s, sim)
			}
			r, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Lost != 0 || r.Stored+r.GaveUp < r.Config.Messages {
				t.Errorf("stored %d + gave up %d of %d, lost %d", r.Stored, r.GaveUp, r.Config.Messages, r.Lost)
			}
		})
	}
}
