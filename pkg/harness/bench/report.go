package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report gathers every part of a benchmark run for BENCHMARKS.md.
type Report struct {
	Date     time.Time
	Command  string
	Duration time.Duration

	Main, Hard         Scenario
	MainSums, HardSums []Summary
	Matrix             []RowResult
	Shards             []Result
	Overhead           []OverheadResult
	Cold               *ColdStartResult
	ColdErr            error
	Charts             []Chart
}

// Chart is a chart file written for the report, with its path relative to
// the report and a caption.
type Chart struct{ Path, Caption string }

// Machine describes the machine: OS, architecture, CPUs, CPU model, Go.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

// Describe is a scenario's settings in one line.
func (s Scenario) Describe() string {
	s = s.withDefaults()
	b := fmt.Sprintf("%d objects of %d B, %d instance(s) × %s uploads in flight, SQS batches of %d, %d prefix(es) at %.0f PUT/s each (burst %d)",
		s.Objects, s.Size, s.Instances, concurrencyText(s.Concurrency), s.BatchSize, s.Prefixes, s.Sim.Rate, s.Sim.Burst)
	if s.Sim.ErrorRate > 0 {
		b += fmt.Sprintf(", %.1f %% of admitted PUTs answered 500 (seed %d)", 100*s.Sim.ErrorRate, s.Sim.Seed)
	}
	return b + fmt.Sprintf("; ideal time %.1f s", s.Ideal().Seconds())
}

func concurrencyText(c int) string {
	if c <= 0 {
		return "8"
	}
	return fmt.Sprint(c)
}

// Targets checks the targets against the report and returns one
// line per target, each starting with "met" or "MISSED".
func (r *Report) Targets() []string {
	out := MatrixTargets(r.Matrix)
	check := func(ok bool, format string, args ...any) {
		mark := "met"
		if !ok {
			mark = "MISSED"
		}
		out = append(out, mark+": "+fmt.Sprintf(format, args...))
	}
	if p, ok := find(r.MainSums, Project().Name); ok {
		eff := statOf(p.Runs, Result.Efficiency).med
		waste := statOf(p.Runs, Result.Waste).med
		gave := mostGivenUp(p.Runs)
		lost := statOf(p.Runs, func(r Result) float64 { return float64(r.Lost) }).hi
		check(eff >= 0.95, "efficiency ≥ 0.95 with %d instances: %.3f (median)", r.Main.withDefaults().Instances, eff)
		check(waste <= 0.05, "waste ≤ 0.05: %.3f (median)", waste)
		check(gave == 0 && lost == 0, "0 gave up, 0 lost: at most %.0f gave up, %.0f lost in any run", gave, lost)
		check(ahead(r.MainSums), "ahead of every SDK mode on efficiency and on waste: %s", rank(r.MainSums))
	}
	if len(r.HardSums) > 0 {
		check(ahead(r.HardSums), "same ranking with %d instances at %.0f PUT/s: %s",
			r.Hard.withDefaults().Instances, r.Hard.Sim.Rate, rank(r.HardSums))
	}
	for _, s := range r.Shards {
		ideal := s.Scenario.Sim.Rate * float64(s.Scenario.Prefixes)
		check(s.Throughput() >= 0.9*ideal, "sharding over %d prefix(es), %s: %.0f objects/s ≥ 0.9 × %.0f: %.2f ×",
			s.Scenario.Prefixes, s.Scenario.shardedBy(), s.Throughput(), ideal, s.Throughput()/ideal)
	}
	if len(r.Overhead) > 0 {
		ratio := medianOf(r.Overhead, OverheadResult.Ratio)
		check(ratio <= 1.2, "handler overhead ≤ 1.2 × a bare PutObject loop: %.2f × (median; %.2f × a bare loop run batch by batch)",
			ratio, medianOf(r.Overhead, OverheadResult.BatchedRatio))
	}
	if r.Cold != nil {
		check(r.Cold.Ratio() <= 1.5, "cold start (init duration) ≤ 1.5 × hello-world: %.2f × (%s against %s, medians; first invoke, init included: %.2f ×)",
			r.Cold.Ratio(), ms(median(r.Cold.FunctionInit)), ms(median(r.Cold.HelloInit)), r.Cold.InvokeRatio())
	}
	return out
}

func find(sums []Summary, name string) (Summary, bool) {
	for _, s := range sums {
		if s.Strategy == name {
			return s, true
		}
	}
	return Summary{}, false
}

// ahead reports whether this project's median efficiency and waste beat
// every SDK mode's (no retry excluded: it does not finish the work).
func ahead(sums []Summary) bool {
	p, ok := find(sums, Project().Name)
	if !ok {
		return false
	}
	eff, waste := statOf(p.Runs, Result.Efficiency).med, statOf(p.Runs, Result.Waste).med
	for _, s := range sums {
		if s.Strategy == p.Strategy || s.Strategy == NoRetry().Name {
			continue
		}
		if statOf(s.Runs, Result.Efficiency).med >= eff || statOf(s.Runs, Result.Waste).med <= waste {
			return false
		}
	}
	return true
}

// rank names the best SDK mode on each figure next to this project's.
func rank(sums []Summary) string {
	p, ok := find(sums, Project().Name)
	if !ok {
		return "no run of this project"
	}
	bestEff, bestWaste := Summary{}, Summary{}
	be, bw := -1.0, 1e18
	for _, s := range sums {
		if s.Strategy == p.Strategy || s.Strategy == NoRetry().Name {
			continue
		}
		if e := statOf(s.Runs, Result.Efficiency).med; e > be {
			be, bestEff = e, s
		}
		if w := statOf(s.Runs, Result.Waste).med; w < bw {
			bw, bestWaste = w, s
		}
	}
	return fmt.Sprintf("efficiency %.3f against the best SDK mode's %.3f (%s), waste %.3f against %.3f (%s)",
		statOf(p.Runs, Result.Efficiency).med, be, bestEff.Strategy, statOf(p.Runs, Result.Waste).med, bw, bestWaste.Strategy)
}

func medianOf[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return statOfValues(v).med
}

// WriteMarkdown writes the whole report.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `%s` on %s, in %s.\n\n", r.Command, r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Duration.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s. Everything in-process on 127.0.0.1: gofakes3 behind a per-prefix token bucket answering S3's exact `503 SlowDown`. ", Machine())
	b.WriteString("Each instance is one handler with its own S3 client, connections, retry budget and pacing laws, taking SQS batches from a shared queue until it is empty, each call under a 30 s deadline like the function's timeout. ")
	b.WriteString("Figures are medians over the runs, [min–max] where runs differ.\n\n")
	b.WriteString("Definitions: **stored** = objects found by listing the bucket afterwards; **gave up** = reported in `batchItemFailures` and not stored (SQS would redeliver them); **lost** = neither stored nor reported (must be 0); **requests** = every request the server saw; **waste** = (requests − stored) / stored; **efficiency** = (stored / allowed rate) / wall time; **p50/p99** = from the batch handed to the handler to the object stored.\n\n")
	if len(r.Targets()) > 0 {
		b.WriteString("## Targets\n\n")
		for _, t := range r.Targets() {
			fmt.Fprintf(&b, "- %s\n", t)
		}
		b.WriteString("\n")
	}
	if len(r.Matrix) > 0 {
		b.WriteString("## Scenario matrix\n\nEvery row through every strategy, interleaved. **× best** is the strategy's median throughput (objects stored per second of wall time) over the best median of the row among the strategies that gave nothing up (all of them, no retry excepted, when every one gave something up). Runs stop taking batches after 20 s (40 s in the two steady random rows); what was not handed out by then counts as given up.\n\n")
		if err := WriteMatrix(&b, r.Matrix); err != nil {
			return err
		}
	}
	if len(r.MainSums) > 0 {
		fmt.Fprintf(&b, "## Throttled, %d instances\n\n%s; %d run(s) per strategy.\n\n", r.Main.withDefaults().Instances, r.Main.Describe(), len(r.MainSums[0].Runs))
		if err := WriteTable(&b, r.MainSums); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	if len(r.HardSums) > 0 {
		fmt.Fprintf(&b, "## Throttled harder, %d instances\n\n%s; %d run(s) per strategy.\n\n", r.Hard.withDefaults().Instances, r.Hard.Describe(), len(r.HardSums[0].Runs))
		if err := WriteTable(&b, r.HardSums); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	for _, c := range r.Charts {
		fmt.Fprintf(&b, "![%s](%s)\n\n", c.Caption, c.Path)
	}
	if len(r.Shards) > 0 {
		fmt.Fprintf(&b, "## Sharding\n\nThis project's handler; keys spread over the prefixes (`uploads/pNN/…`), each prefix throttled on its own, as S3 partitions are: by the sender, evenly (`pNN/` written into the `key` attribute), or by the function (`KEY_TEMPLATE` `p{shard:N}/{key}`, a hash of the bare `key` attribute `obj-NNNNNN`). %s.\n\n", r.Shards[0].Scenario.shardText())
		WriteShardTable(&b, r.Shards)
		b.WriteString("\n")
	}
	if len(r.Overhead) > 0 {
		o := r.Overhead
		fmt.Fprintf(&b, "## No throttle: handler overhead\n\nAn S3 stand-in that answers every request at once (so only client cost shows): %d objects of 1 KiB through one handler (SQS batches of 10, %d uploads in flight) against a bare loop of `PutObject` calls with %d goroutines on the same S3 client settings; %d run(s).\n\n",
			o[0].Objects, o[0].Concurrency, o[0].Concurrency, len(o))
		b.WriteString("| path | records/s | time ÷ bare loop |\n|---|---:|---:|\n")
		fmt.Fprintf(&b, "| bare PutObject loop, %d goroutines for the whole run | %.0f | 1.00 |\n", o[0].Concurrency, medianOf(o, OverheadResult.BareRate))
		fmt.Fprintf(&b, "| bare PutObject loop, batch by batch (fresh goroutines per 10, wait for the slowest) | %.0f | %.2f |\n", medianOf(o, OverheadResult.BatchedRate),
			medianOf(o, func(r OverheadResult) float64 { return r.BareBatched.Seconds() / r.Bare.Seconds() }))
		fmt.Fprintf(&b, "| handler (`uploader.Handler.Handle`, SQS batches of 10) | %.0f | %.2f |\n\n", medianOf(o, OverheadResult.HandlerRate), medianOf(o, OverheadResult.Ratio))
	}
	if r.Cold != nil {
		c := r.Cold
		fmt.Fprintf(&b, "## Cold start\n\nFirst invocation of a fresh `aws-lambda-rie` (it starts the bootstrap on the first invoke), one-record SQS event, %d runs each, alternating; binaries built as for Lambda (`CGO_ENABLED=0 -tags lambda.norpc -trimpath -ldflags=\"-s -w\"`, %s).\n\n", c.Runs, runtime.GOARCH)
		b.WriteString("| function | bootstrap size | init duration | first invoke, init included | warm invoke |\n|---|---:|---:|---:|---:|\n")
		row := func(name string, size int64, init, cold, warm []time.Duration) {
			fmt.Fprintf(&b, "| %s | %.1f MiB | %s | %s | %s |\n", name, float64(size)/(1<<20), spread(init), spread(cold), spread(warm))
		}
		row("uploader (`functions/uploader`)", c.FunctionSize, c.FunctionInit, c.Function, c.FunctionWarm)
		row("hello world (aws-lambda-go only)", c.HelloSize, c.HelloInit, c.Hello, c.HelloWarm)
		fmt.Fprintf(&b, "\nInit duration is the emulator's `INIT REPORT` (Lambda's \"Init Duration\": from starting the bootstrap to its first request for an event). The first invoke is what the caller waits, the handler's work included: the uploader stores one object, hello-world answers at once. Ratios of the medians: init %.2f, first invoke %.2f.\n\n", c.Ratio(), c.InvokeRatio())
	} else if r.ColdErr != nil {
		fmt.Fprintf(&b, "## Cold start\n\nNot measured: %v\n\n", r.ColdErr)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// spread is the median [min–max] of ds.
func spread(ds []time.Duration) string {
	return fmt.Sprintf("%s [%s–%s]", ms(median(ds)), ms(percentile(ds, 0)), ms(percentile(ds, 1)))
}

func (s Scenario) shardText() string {
	s = s.withDefaults()
	return fmt.Sprintf("%d instance(s) × %s uploads in flight, %.0f PUT/s per prefix (burst %d), %d objects per prefix",
		s.Instances, concurrencyText(s.Concurrency), s.Sim.Rate, s.Sim.Burst, s.Objects/s.Prefixes)
}

// shardedBy names who spreads the keys over the prefixes.
func (s Scenario) shardedBy() string {
	if t := s.KeyTemplate(); t != "" {
		return "function (`" + t + "`)"
	}
	return "sender (`pNN/` in `key`)"
}

// WriteShardTable writes the sharding runs as a Markdown table.
func WriteShardTable(w io.Writer, runs []Result) {
	fmt.Fprintf(w, "| prefixes | sharded by | objects | stored | gave up | lost | 503s | waste | wall s | objects/s | ideal/s | throughput / ideal | most objects in a prefix |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		ideal := r.Scenario.Sim.Rate * float64(r.Scenario.Prefixes)
		most := 0
		for _, p := range r.Prefixes {
			most = max(most, p.Objects)
		}
		fmt.Fprintf(w, "| %d | %s | %d | %d | %d | %d | %d | %.3f | %.1f | %.0f | %.0f | %.2f | %d |\n",
			r.Scenario.Prefixes, r.Scenario.shardedBy(), r.Objects, r.Stored, r.GaveUp, r.Lost, r.Throttled, r.Waste(), r.Wall.Seconds(), r.Throughput(), ideal, r.Throughput()/ideal, most)
	}
}
