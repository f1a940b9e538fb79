// Command bench runs the same throttled S3 workload for no retry, the AWS
// SDK's retry modes and this project's handler, prints a Markdown table,
// writes BENCHMARKS.md and draws the charts; then the sharding, overhead and
// cold-start comparisons. Run it from the module root (make bench):
//
//	go run ./pkg/harness/bench/cmd/bench [-rate 400 -burst 40 -objects 4000 -instances 8 ...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
	"github.com/s3uploader/s3uploader/pkg/rie"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	main, hard      bench.Scenario
	repeats         int
	hardRepeats     int
	shardPrefixes   []int
	shardRate       float64
	shardSeconds    float64
	shardInstances  int
	shardBy         map[string]bool
	overheadObjects int
	overheadRepeats int
	coldRuns        int
	matrixRepeats   int
	matrixRows      map[string]bool
	matrixScale     float64
	only            map[string]bool
	out, charts     string
}

func parse() (options, error) {
	var o options
	fs := flag.CommandLine
	rate := fs.Float64("rate", 400, "throttle: PUTs per second per prefix")
	burst := fs.Int("burst", 40, "throttle: token bucket size per prefix")
	objects := fs.Int("objects", 4000, "objects to store")
	size := fs.Int("size", 1024, "bytes per object")
	instances := fs.Int("instances", 8, "independent instances (simulated concurrent Lambda invocations)")
	conc := fs.Int("concurrency", 0, "uploads in flight per instance (UPLOAD_CONCURRENCY); 0: the function's default, 8")
	errRate := fs.Float64("errors", 0, "share of admitted PUTs answered 500 InternalError, 0 to 1")
	seed := fs.Uint64("seed", 1, "seed of the 500-error draws")
	fs.IntVar(&o.repeats, "repeats", 3, "runs per strategy of the main scenario (median and min/max reported)")
	hardInstances := fs.Int("hard-instances", 16, "instances of the harder scenario; 0 skips it")
	hardRate := fs.Float64("hard-rate", 200, "throttle rate of the harder scenario")
	fs.IntVar(&o.hardRepeats, "hard-repeats", 1, "runs per strategy of the harder scenario")
	prefixes := fs.String("shard-prefixes", "1,4,16", "prefix counts of the sharding scenario")
	fs.Float64Var(&o.shardRate, "shard-rate", 100, "sharding: PUTs per second per prefix")
	fs.Float64Var(&o.shardSeconds, "shard-seconds", 10, "sharding: ideal seconds per run (objects = prefixes × rate × seconds)")
	fs.IntVar(&o.shardInstances, "shard-instances", 8, "sharding: instances")
	shardBy := fs.String("shard-by", "sender,function", "sharding: who spreads the keys, comma-separated: sender (pNN/ in the key attribute), function (KEY_TEMPLATE p{shard:N}/{key}, from 2 prefixes)")
	fs.IntVar(&o.overheadObjects, "overhead-objects", 4000, "no-throttle scenario: objects per run")
	fs.IntVar(&o.overheadRepeats, "overhead-repeats", 3, "no-throttle scenario: runs")
	fs.IntVar(&o.coldRuns, "cold-runs", 5, "cold starts per function")
	fs.IntVar(&o.matrixRepeats, "matrix-repeats", 3, "runs per strategy of each row of the scenario matrix")
	rows := fs.String("matrix-rows", "", "rows of the scenario matrix to run, comma-separated IDs (empty: all)")
	fs.Float64Var(&o.matrixScale, "matrix-scale", 1, "scenario matrix: factor on every row's object count")
	only := fs.String("only", "matrix,shard,overhead,cold", "parts to run, comma-separated: matrix,main,hard,shard,overhead,cold")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "report file; empty: none")
	fs.StringVar(&o.charts, "charts", "pkg/harness/bench/charts", "folder of the chart PNGs; empty: none")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: make bench BENCH_ARGS=\"[flags]\" (go run ./pkg/harness/bench/cmd/bench [flags])\n\nRuns the throttled S3 workload matrix through each retry strategy, prints the tables, writes BENCHMARKS.md and the charts.")
		flag.PrintDefaults()
	}
	flag.Parse()

	if *errRate < 0 || *errRate > 1 {
		return o, errors.New("-errors must be between 0 and 1")
	}
	if o.repeats < 1 || o.hardRepeats < 1 {
		return o, errors.New("-repeats and -hard-repeats must be at least 1")
	}
	sim := bench.SimConfig{Rate: *rate, Burst: *burst, ErrorRate: *errRate, Seed: *seed, Tick: 250 * time.Millisecond}
	o.main = bench.Scenario{Objects: *objects, Size: *size, Instances: *instances, Concurrency: *conc, Sim: sim}
	hardSim := sim
	hardSim.Rate = *hardRate
	hardSim.Burst = max(1, int(float64(*burst)**hardRate / *rate)) // the same burst in seconds
	o.hard = bench.Scenario{Objects: *objects, Size: *size, Instances: *hardInstances, Concurrency: *conc, Sim: hardSim}
	for f := range strings.SplitSeq(*prefixes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-shard-prefixes: %q is not a positive number", f)
		}
		o.shardPrefixes = append(o.shardPrefixes, n)
	}
	o.shardBy = map[string]bool{}
	for by := range strings.SplitSeq(*shardBy, ",") {
		by = strings.TrimSpace(by)
		if by != "sender" && by != "function" {
			return o, fmt.Errorf("-shard-by: %q: want sender or function", by)
		}
		o.shardBy[by] = true
	}
	o.only = map[string]bool{}
	for p := range strings.SplitSeq(*only, ",") {
		o.only[strings.TrimSpace(p)] = true
	}
	if *rows != "" {
		o.matrixRows = map[string]bool{}
		for r := range strings.SplitSeq(*rows, ",") {
			o.matrixRows[strings.TrimSpace(r)] = true
		}
	}
	if *hardInstances <= 0 {
		delete(o.only, "hard")
	}
	return o, nil
}

func run() error {
	o, err := parse()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := rie.ModuleRoot(".")
	if err != nil {
		return err
	}
	rep := &bench.Report{Date: time.Now(), Command: "go run ./pkg/harness/bench/cmd/bench " + strings.Join(os.Args[1:], " "),
		Main: o.main, Hard: o.hard}
	if len(os.Args) == 1 {
		rep.Command = "make bench"
	}
	begin := time.Now()
	if err := measure(ctx, o, root, rep); err != nil {
		return err
	}
	rep.Duration = time.Since(begin)

	if o.charts != "" {
		if err := charts(o, rep); err != nil {
			return err
		}
	}
	fmt.Println("\n## Targets")
	for _, t := range rep.Targets() {
		fmt.Println("- " + t)
	}
	if o.out != "" {
		return writeReport(o.out, rep)
	}
	return nil
}

// measure runs the parts of o.only into rep, printing the tables as they
// come.
func measure(ctx context.Context, o options, root string, rep *bench.Report) error {
	var err error
	if o.only["matrix"] {
		if rep.Matrix, err = matrix(ctx, o); err != nil {
			return err
		}
	}
	if o.only["main"] {
		if rep.MainSums, err = comparison(ctx, o.main, o.repeats); err != nil {
			return err
		}
	}
	if o.only["hard"] {
		if rep.HardSums, err = comparison(ctx, o.hard, o.hardRepeats); err != nil {
			return err
		}
	}
	if o.only["shard"] {
		if rep.Shards, err = sharding(ctx, o); err != nil {
			return err
		}
	}
	if o.only["overhead"] {
		if rep.Overhead, err = overhead(ctx, o); err != nil {
			return err
		}
	}
	if o.only["cold"] {
		rep.Cold, rep.ColdErr = coldStart(ctx, root, o.coldRuns)
	}
	return nil
}

// matrix runs the rows of the scenario matrix o selects and prints the
// table.
func matrix(ctx context.Context, o options) ([]bench.RowResult, error) {
	var rows []bench.Row
	for _, r := range bench.MatrixRows(o.matrixScale) {
		if o.matrixRows == nil || o.matrixRows[r.ID] {
			rows = append(rows, r)
		}
	}
	results, err := bench.RunMatrix(ctx, rows, bench.Strategies(), o.matrixRepeats, func(s string) { progress("%s", s) })
	if err != nil {
		return nil, err
	}
	fmt.Printf("\n## Scenario matrix\n\n")
	return results, bench.WriteMatrix(os.Stdout, results)
}

// comparison compares the strategies in sc and prints the table.
func comparison(ctx context.Context, sc bench.Scenario, repeats int) ([]bench.Summary, error) {
	sums, err := compare(ctx, sc, repeats)
	if err != nil {
		return nil, err
	}
	fmt.Printf("\n## %d instances: %s\n\n", sc.Instances, sc.Describe())
	return sums, bench.WriteTable(os.Stdout, sums)
}

// sharding runs this project's handler over each prefix count, sharded by
// the sender and by the function as o asks, and prints the table.
func sharding(ctx context.Context, o options) ([]bench.Result, error) {
	var shards []bench.Result
	for _, n := range o.shardPrefixes {
		for _, by := range []string{"sender", "function"} {
			inFunction := by == "function"
			if !o.shardBy[by] || inFunction && n < 2 {
				continue // {shard:N} needs N ≥ 2
			}
			sc := bench.Scenario{Prefixes: n, Instances: o.shardInstances, Concurrency: o.main.Concurrency,
				Size: o.main.Size, Objects: int(float64(n) * o.shardRate * o.shardSeconds), ShardInFunction: inFunction,
				Sim: bench.SimConfig{Rate: o.shardRate, Burst: max(1, int(o.shardRate/10)), Tick: 250 * time.Millisecond}}
			r, err := bench.Run(ctx, sc, bench.Project())
			if err != nil {
				return nil, err
			}
			if inFunction {
				by += " " + sc.KeyTemplate()
			}
			progress("sharding by the %s, %d prefix(es): %.0f objects/s of %.0f (stored %d, gave up %d, lost %d)",
				by, n, r.Throughput(), o.shardRate*float64(n), r.Stored, r.GaveUp, r.Lost)
			shards = append(shards, r)
		}
	}
	fmt.Printf("\n## Sharding\n\n")
	bench.WriteShardTable(os.Stdout, shards)
	return shards, nil
}

// overhead measures the handler against a bare loop of PUTs on a server
// without a throttle.
func overhead(ctx context.Context, o options) ([]bench.OverheadResult, error) {
	srv := bench.StartInstant()
	defer srv.Close()
	var out []bench.OverheadResult
	for range o.overheadRepeats {
		r, err := bench.Overhead(ctx, srv.URL, o.overheadObjects, o.main.Size, 10)
		if err != nil {
			return nil, err
		}
		progress("overhead: handler %.0f records/s, bare loop %.0f PUT/s: %.2f ×", r.HandlerRate(), r.BareRate(), r.Ratio())
		out = append(out, r)
	}
	return out, nil
}

// coldStart measures the uploader's cold start against a hello-world's in
// the emulator; its error says why it could not.
func coldStart(ctx context.Context, root string, runs int) (*bench.ColdStartResult, error) {
	emu, err := rie.FindEmulator(root)
	var c bench.ColdStartResult
	if err == nil {
		c, err = bench.ColdStart(ctx, root, emu, runs)
	}
	if err != nil {
		progress("cold start not measured: %v", err)
		return nil, err
	}
	progress("cold start: uploader %.2f × hello-world", c.Ratio())
	return &c, nil
}

// writeReport writes rep to the report file out, keeping its fleet section (make
// fleet's own).
func writeReport(out string, rep *bench.Report) error {
	var b strings.Builder
	if err := rep.WriteMarkdown(&b); err != nil {
		return err
	}
	old, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(out, []byte(bench.KeepSection(b.String(), string(old), "fleet")), 0o644); err != nil {
		return err
	}
	progress("wrote %s", out)
	return nil
}

// compare runs every strategy through sc, repeats times, interleaved so
// that a noisy moment of the machine does not hit one strategy only.
func compare(ctx context.Context, sc bench.Scenario, repeats int) ([]bench.Summary, error) {
	strategies := bench.Strategies()
	sums := make([]bench.Summary, len(strategies))
	for i, st := range strategies {
		sums[i].Strategy = st.Name
	}
	for rep := range repeats {
		for i, st := range strategies {
			r, err := bench.Run(ctx, sc, st)
			if err != nil {
				return nil, err
			}
			progress("%d instances at %.0f PUT/s, run %d/%d, %-36s stored %4d gave up %4d lost %d, 503s %5d, waste %.3f, %5.1f s, efficiency %.3f",
				sc.Instances, sc.Sim.Rate, rep+1, repeats, st.Name+":", r.Stored, r.GaveUp, r.Lost, r.Throttled, r.Waste(), r.Wall.Seconds(), r.Efficiency())
			sums[i].Runs = append(sums[i].Runs, r)
		}
	}
	return sums, nil
}

func charts(o options, rep *bench.Report) error {
	if err := os.MkdirAll(o.charts, 0o755); err != nil {
		return err
	}
	base := "."
	if o.out != "" {
		base = filepath.Dir(o.out)
	}
	add := func(name, caption string, draw func(file string) error) error {
		file := filepath.Join(o.charts, name)
		if err := draw(file); err != nil {
			return fmt.Errorf("chart %s: %w", name, err)
		}
		rel, err := filepath.Rel(base, file)
		if err != nil {
			rel = file
		}
		rep.Charts = append(rep.Charts, bench.Chart{Path: filepath.ToSlash(rel), Caption: caption})
		progress("wrote %s", file)
		return nil
	}
	if len(rep.Matrix) > 0 {
		title := "Throughput relative to the best strategy of each row"
		if err := add("matrix.png", title, func(f string) error { return bench.MatrixChart(f, title, rep.Matrix) }); err != nil {
			return err
		}
		for _, rr := range rep.Matrix {
			if rr.Row.ID != "bucket-8" {
				continue
			}
			title := "Objects stored over time: " + rr.Row.Name
			if err := add("stored.png", title, func(f string) error { return bench.StoredChart(f, title, rr.Sums) }); err != nil {
				return err
			}
			title2 := "Requests sent per second: " + rr.Row.Name
			if err := add("requests.png", title2, func(f string) error { return bench.RequestsChart(f, title2, rr.Sums) }); err != nil {
				return err
			}
		}
	}
	if len(rep.MainSums) > 0 {
		title := fmt.Sprintf("Objects stored over time: %d instances, one prefix at %.0f PUT/s", o.main.Instances, o.main.Sim.Rate)
		if err := add("stored.png", title, func(f string) error { return bench.StoredChart(f, title, rep.MainSums) }); err != nil {
			return err
		}
		title2 := fmt.Sprintf("Requests sent per second: %d instances against %.0f PUT/s allowed", o.main.Instances, o.main.Sim.Rate)
		if err := add("requests.png", title2, func(f string) error { return bench.RequestsChart(f, title2, rep.MainSums) }); err != nil {
			return err
		}
	}
	if len(rep.HardSums) > 0 {
		title := fmt.Sprintf("Objects stored over time: %d instances, one prefix at %.0f PUT/s", o.hard.Instances, o.hard.Sim.Rate)
		if err := add("stored-hard.png", title, func(f string) error { return bench.StoredChart(f, title, rep.HardSums) }); err != nil {
			return err
		}
	}
	if len(rep.Shards) > 0 {
		if err := add("sharding.png", "Throughput against the number of prefixes", func(f string) error { return bench.ShardChart(f, rep.Shards) }); err != nil {
			return err
		}
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}
