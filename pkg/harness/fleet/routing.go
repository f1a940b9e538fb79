package fleet

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// RoutingRow is one picture of the world run with the function's own
// routing of failed records (poison dead-lettered at once, transient
// failures back after batch.RedeliveryDelay) and without it (the queue's
// visibility timeout and redrive policy alone).
type RoutingRow struct {
	Name   string
	Config Config // this project's strategy; Function.NoRouting is set per run
}

// RoutingRows are the pictures `make fleet` reports routing on: poison in
// a backlog, a capacity that falls under it, and an S3 that refuses every
// PUT from its first second on, at two maxReceiveCounts.
func RoutingRows() []RoutingRow {
	refuseAll := func(receives int) Config {
		c := Config{Messages: 2000, Prefixes: 1, Horizon: 24 * time.Hour,
			Fleet: FleetConfig{Instances: 10, MaxReceiveCount: receives},
			S3:    S3Config{Capacity: 100, OutageEvery: 100 * time.Hour, OutageFor: 100*time.Hour - time.Second}}
		return c
	}
	return []RoutingRow{
		{"1,000 instances, 10 prefixes, 1 message in 10,000 poison", Config{Prefixes: 10, PoisonEvery: 10_000, Fleet: FleetConfig{Instances: 1000}}},
		{"1,000 instances, 1 prefix, capacity falls to 1,000 PUT/s at 5 s", Config{Messages: 200_000, Prefixes: 1,
			Fleet: FleetConfig{Instances: 1000}, S3: S3Config{FallAt: 5 * time.Second, FallTo: 1000}}},
		{"S3 refuses every PUT from 1 s on; maxReceiveCount 5", refuseAll(5)},
		{"S3 refuses every PUT from 1 s on; maxReceiveCount 15", refuseAll(15)},
	}
}

// RoutingResult is a row's runs, seed by seed, with routing and without.
type RoutingResult struct {
	Row         RoutingRow
	On, Without Cell
}

// RunRouting runs every row seeds times, with routing and without, on
// workers goroutines.
func RunRouting(rows []RoutingRow, seeds, workers int) ([]RoutingResult, error) {
	out := make([]RoutingResult, len(rows))
	type job struct{ row, seed int }
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for j := range jobs {
				for _, off := range []bool{false, true} {
					cfg := rows[j.row].Config
					cfg.Seed, cfg.Strategy, cfg.Function.NoRouting = uint64(j.seed+1), "project", off
					r, err := Run(cfg)
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", rows[j.row].Name, err)
					}
					cell := &out[j.row].On
					if off {
						cell = &out[j.row].Without
					}
					cell.Runs = append(cell.Runs, r)
					mu.Unlock()
				}
			}
		})
	}
	for i := range rows {
		out[i].Row = rows[i]
		for s := range seeds {
			jobs <- job{i, s}
		}
	}
	close(jobs)
	wg.Wait()
	return out, firstErr
}

// WriteRouting writes the table: per row, with and without routing, the
// drain and its last percent, when poison reached the dead-letter queue,
// and the good messages that did (when the first did).
func WriteRouting(w io.Writer, rrs []RoutingResult) {
	fmt.Fprintln(w, "| picture | routing | drain | last 1 % | poison to DLQ, median (max) | good messages in the DLQ (first at) | failed records |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|")
	secs := func(f func(Result) time.Duration) func(Result) float64 {
		return func(r Result) float64 { return f(r).Seconds() }
	}
	for _, rr := range rrs {
		for _, c := range []struct {
			name string
			cell Cell
		}{{"**on**", rr.On}, {"off", rr.Without}} {
			good := c.cell.Max(func(r Result) float64 { return float64(r.DeadLettered - poisonOf(r)) })
			first := "–"
			if g := c.cell.Median(secs(func(r Result) time.Duration { return r.GoodToDLQ })); good > 0 {
				first = fmt.Sprintf("%.0f s", g)
			}
			poison := "–"
			if rr.Row.Config.PoisonEvery > 0 {
				poison = fmt.Sprintf("%.1f s (%.1f s)", c.cell.Median(secs(func(r Result) time.Duration { return r.PoisonToDLQ })),
					c.cell.Max(secs(func(r Result) time.Duration { return r.PoisonToDLQMax })))
			}
			fmt.Fprintf(w, "| %s | %s | %.1f s | %.1f s | %s | %.0f (%s) | %.0f |\n", rr.Row.Name, c.name,
				c.cell.Median(secs(func(r Result) time.Duration { return r.Drain })), c.cell.Median(secs(func(r Result) time.Duration { return r.Tail })),
				poison, good, first, c.cell.Median(func(r Result) float64 { return float64(r.FailedRecords) }))
		}
	}
}

// poisonOf counts the poison messages of r's workload.
func poisonOf(r Result) int {
	if r.Config.PoisonEvery <= 0 {
		return 0
	}
	return r.Config.Messages / r.Config.PoisonEvery
}
