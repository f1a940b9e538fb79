// Command fleet runs the fleet simulation (package fleet). With -table it
// runs the report's grid (make fleet): every fleet of fleet.TableRows with
// each strategy over seeds, the honesty check against the in-process
// benchmark, the targets and the charts, and writes them into the fleet
// section of BENCHMARKS.md. Without it, it runs one simulation with the
// flags given and prints its summary.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
	"github.com/s3uploader/s3uploader/pkg/harness/fleet"
)

func main() {
	var cfg fleet.Config
	fs := flag.NewFlagSet("fleet", flag.ExitOnError)
	cfg.Flags(fs)
	every := fs.Duration("timeline", 0, "one run: print S3's answers summed over this interval, e.g. 10s")
	table := fs.Bool("table", false, "run the report's grid instead of one simulation")
	seeds := fs.Int("seeds", 3, "table: seeds per strategy and fleet")
	workers := fs.Int("workers", runtime.NumCPU(), "table: simulations run at once")
	checkRuns := fs.Int("check-runs", 3, "table: runs of each honesty check (0 skips it)")
	out := fs.String("out", "BENCHMARKS.md", "table: report whose fleet section is rewritten; empty: none")
	charts := fs.String("charts", "pkg/harness/fleet/charts", "table: folder of the chart PNGs; empty: none")
	ablation := fs.Bool("ablation", false, "print the ablation table alone (the matrix rows, the share law without each mechanism)")
	routing := fs.Bool("routing", false, "print the failure-routing table alone (with and without the function's routing)")
	_ = fs.Parse(os.Args[1:])
	if err := cfg.Check(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(2)
	}
	if *ablation {
		rows, err := fleet.RunAblation(bench.MatrixRows(1), *seeds, *workers)
		if err == nil {
			err = fleet.WriteAblation(os.Stdout, rows)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	if *routing {
		rows, err := fleet.RunRouting(fleet.RoutingRows(), *seeds, *workers)
		fleet.WriteRouting(os.Stdout, rows)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	if *table {
		if err := runTable(cfg, *seeds, *workers, *checkRuns, *out, *charts); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	r, err := fleet.Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
	fmt.Println(r.Summary())
	if len(r.Reasons) > 0 {
		fmt.Println("failed records:", r.Reasons)
	}
	if n := int(every.Seconds()); n > 0 {
		for i := 0; i < len(r.Ticks); i += n {
			var sum fleet.Tick
			for _, t := range r.Ticks[i:min(len(r.Ticks), i+n)] {
				sum.Requests += t.Requests
				sum.Throttled += t.Throttled
				sum.Stored += t.Stored
			}
			last := r.Ticks[min(len(r.Ticks), i+n)-1]
			fmt.Printf("%5ds  requests %7.0f/s  throttled %7.0f/s  stored %7.0f/s  capacity %7.0f/s\n", i,
				float64(sum.Requests)/float64(n), float64(sum.Throttled)/float64(n), float64(sum.Stored)/float64(n), last.Capacity)
		}
	}
}

func runTable(base fleet.Config, seeds, workers, checkRuns int, out, charts string) error {
	start := time.Now()
	g, err := runGrid(base, seeds, workers, checkRuns)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	writeHeader(&b, base, g, start, seeds, workers)
	if err := writeResults(&b, g, seeds, checkRuns); err != nil {
		return err
	}
	if charts != "" {
		if err := addCharts(&b, base, g.rows, charts); err != nil {
			return err
		}
	}
	fmt.Print(b.String())
	if out == "" {
		return nil
	}
	old, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	if doc == "" {
		doc = "# Benchmarks\n"
	}
	return os.WriteFile(out, []byte(bench.SetSection(doc, "fleet", b.String())), 0o644)
}

// grid is what the report's runs found.
type grid struct {
	checks    []fleet.Check     // the honesty check, when run
	rows      []fleet.RowResult // the table: fleet.TableRows, every strategy
	sweepBase fleet.Config      // the sweep's base: half the messages
	sweep     []fleet.RowResult // fleet.SweepRows, this project only
	ablation  []fleet.AblationRow
	routing   []fleet.RoutingResult
}

// runGrid runs the honesty check (checkRuns times; 0 skips it), then the
// table, the sweep and the ablation over seeds.
func runGrid(base fleet.Config, seeds, workers, checkRuns int) (grid, error) {
	var g grid
	var err error
	progress := func(s string) { fmt.Fprintln(os.Stderr, s) }
	if checkRuns > 0 {
		// First, alone on the machine: the in-process benchmark is timed.
		if g.checks, err = fleet.RunChecks(context.Background(), fleet.CheckRows, []string{"project", "plain"}, checkRuns, progress); err != nil {
			return g, err
		}
	}
	if g.rows, err = fleet.RunTable(base, fleet.TableRows(), fleet.Strategies, seeds, workers, progress); err != nil {
		return g, err
	}
	g.sweepBase = base
	g.sweepBase.Messages = messagesOf(base) / 2
	if g.sweep, err = fleet.RunTable(g.sweepBase, fleet.SweepRows(), []string{"project"}, seeds, workers, progress); err != nil {
		return g, err
	}
	if g.ablation, err = fleet.RunAblation(bench.MatrixRows(1), seeds, workers); err != nil {
		return g, err
	}
	g.routing, err = fleet.RunRouting(fleet.RoutingRows(), seeds, workers)
	return g, err
}

// writeHeader writes the section's title, what the simulation is, its
// settings and the targets, met or missed.
func writeHeader(b *bytes.Buffer, base fleet.Config, g grid, start time.Time, seeds, workers int) {
	fmt.Fprintf(b, "## Fleet simulation\n\nWritten by `make fleet` on %s, in %s (%d simulations on %d workers, %d seeds each; %d CPUs).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), time.Since(start).Round(time.Second), (len(g.rows)*len(fleet.Strategies)+len(g.sweep))*seeds, workers, seeds, runtime.NumCPU())
	fmt.Fprintln(b, "A discrete-event simulation on a virtual clock (pkg/harness/fleet): the function's real retry code (pkg/retry, through the same policy the function builds) in every instance, S3 prefixes as token buckets, the SQS queue and the event source mapping modelled after their documentation (sources beside the code). Figures are medians over the seeds; dead-lettered is the most in any seed.")
	fmt.Fprintln(b)
	fleet.WriteSettings(b, base)
	fmt.Fprintln(b, "\n### Targets")
	fmt.Fprintln(b)
	for _, t := range fleet.Targets(g.rows) {
		state := "met"
		if !t.Met {
			state = "MISSED"
		}
		fmt.Fprintf(b, "- %s: %s\n", state, t.Text)
	}
}

// writeResults writes the honesty check, the table, the sweep and the
// ablation.
func writeResults(b *bytes.Buffer, g grid, seeds, checkRuns int) error {
	if len(g.checks) > 0 {
		fmt.Fprintln(b, "\n### Honesty check: the simulation against the in-process benchmark")
		fmt.Fprintln(b)
		fmt.Fprintf(b, "The same scenarios of `make bench`'s matrix, %d runs each: the real handler and S3 client over HTTP against pkg/harness/bench's server, and the simulation of it (`fleet.FromBench`: the benchmark's batches handed over at once, failures given up, its measured latencies).\n\n", checkRuns)
		fleet.WriteChecks(b, g.checks)
	}
	fmt.Fprintln(b, "\n### Draining a backlog: fleets of 10 to 1,000 instances")
	fmt.Fprintln(b)
	fmt.Fprintln(b, "**goodput / capacity** = objects stored ÷ ∫ capacity dt over the drain; **waste** = extra S3 requests per object stored; **p50/p99** = from send (all at time 0) to stored; **drain** = to the last message stored or dead-lettered, and × the ideal's; **GB-s** = Lambda billed duration × memory, init included; **$ per million** = Lambda and S3 request cost per million objects stored, and × the ideal's.")
	fmt.Fprintln(b)
	fleet.WriteTable(b, g.rows)
	fmt.Fprintf(b, "\n### Instances per prefix\n\nThis project only, %d messages on one prefix: the sweep behind the README's advice (`maxConcurrency` ≤ 200 × the prefixes; the synth warns past twice that).\n\n", messagesOf(g.sweepBase))
	fleet.WriteSweep(b, g.sweep, "project")
	fmt.Fprintf(b, "\n### Failure routing\n\nThis project, %d seeds (medians; good messages in the DLQ: the most in any seed), with the function's own routing of failed records (`DEAD_LETTER_QUEUE_URL`: poison dead-lettered at once, transient failures back after `batch.RedeliveryDelay`) and without it (the visibility timeout, %s, and the redrive policy alone). **last 1 %%** = from the moment 99 %% of the messages had left the queue to the drain's end. The refusing rows: 10 instances, 2,000 messages, 100 PUT/s, S3 refusing every PUT from its first second on.\n\n", seeds, "6 × the function timeout")
	fleet.WriteRouting(b, g.routing)
	fmt.Fprintf(b, "\n### Ablation: the share law without each of its mechanisms\n\nThe matrix of `make bench`, simulated (`fleet.FromBench`, %d seeds, medians): this project's law as it ships, then with one mechanism taken out (`retry.NewShareLawWithout`). Each variant's throughput is given over the shipped law's; bold where it loses.\n\n", seeds)
	return fleet.WriteAblation(b, g.ablation)
}

// addCharts draws the charts into dir and links them from b.
func addCharts(b *bytes.Buffer, base fleet.Config, rrs []fleet.RowResult, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := writeCharts(base, rrs, dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(b)
	for _, f := range files {
		fmt.Fprintf(b, "![%s](%s)\n\n", strings.TrimSuffix(filepath.Base(f), ".png"), f)
	}
	return nil
}

// writeCharts draws the table's charts and a timeline of the 1,000-instance
// one-prefix fleet, and returns their paths.
func writeCharts(base fleet.Config, rrs []fleet.RowResult, dir string) ([]string, error) {
	capFile := filepath.Join(dir, "fleet-capacity.png")
	if err := fleet.BarChart(capFile, "Goodput over capacity, 1 million messages", "objects stored ÷ what S3 allowed",
		rrs, fleet.Result.OfCapacity, 0); err != nil {
		return nil, err
	}
	reqFile := filepath.Join(dir, "fleet-waste.png")
	if err := fleet.BarChart(reqFile, "Waste: extra S3 requests per object stored, 1 million messages", "extra requests per object (cut at 2)",
		rrs, fleet.Result.Waste, 2); err != nil {
		return nil, err
	}
	var runs []fleet.Result
	for _, st := range []string{"project", "plain", "sdk"} {
		cfg := base
		cfg.Seed, cfg.Strategy, cfg.Prefixes, cfg.Fleet.Instances = 1, st, 1, 1000
		r, err := fleet.Run(cfg)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	tlFile := filepath.Join(dir, "fleet-timeline.png")
	if err := fleet.TimelineChart(tlFile, "1,000 instances on one prefix: objects stored per second (seed 1)", runs); err != nil {
		return nil, err
	}
	return []string{capFile, reqFile, tlFile}, nil
}

// messagesOf is cfg's message count, its default when unset.
func messagesOf(cfg fleet.Config) int {
	if cfg.Messages > 0 {
		return cfg.Messages
	}
	return 1_000_000
}
