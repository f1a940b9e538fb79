package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	flagSeeds    = flag.Int("chaos.seeds", 3, "seeds to run (make chaos runs many)")
	flagSeed     = flag.Uint64("chaos.seed", 1, "first seed; replay a failure with -chaos.seed=N -chaos.seeds=1")
	flagMessages = flag.Int("chaos.messages", 1000, "messages per seed")
	flagPollers  = flag.Int("chaos.pollers", 4, "concurrent execution environments (with 1, a seed replays its batches too)")
	flagStorm    = flag.Float64("chaos.storm", DefaultStormSlowDown, "SlowDown rate during a storm")
	flagReport   = flag.String("chaos.report", "", "write the totals as a Markdown table to this file")
)

// TestFaultSchedule runs seeds through the simulated queue and the function
// with random faults, and fails on any broken invariant, printing the seed
// and the path of its full fault schedule.
func TestFaultSchedule(t *testing.T) {
	var (
		mu  sync.Mutex
		tot Totals
	)
	start := time.Now()
	t.Cleanup(func() { report(t, &tot, start) })
	for i := range *flagSeeds {
		seed := *flagSeed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel() // the runs mostly wait (backoff, limiter, hangs)
			rep, err := Run(context.Background(), Config{Seed: seed, Messages: *flagMessages, Pollers: *flagPollers, StormSlowDown: *flagStorm})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			tot.Add(rep)
			mu.Unlock()
			t.Log(rep)
			if len(rep.Violations) == 0 {
				return
			}
			path := filepath.Join(os.TempDir(), fmt.Sprintf("chaos-seed-%d.txt", seed))
			_ = os.WriteFile(path, []byte(strings.Join(rep.Schedule, "\n")+"\n"), 0o644)
			head := rep.Schedule[:min(30, len(rep.Schedule))]
			t.Errorf("seed %d broke %d invariants:\n  %s\nreplay: go test ./pkg/harness/chaos -run 'TestFaultSchedule' -args -chaos.seed=%d -chaos.seeds=1 -chaos.messages=%d -chaos.pollers=%d -chaos.storm=%g\n"+
				"fault schedule (%d lines) in %s; first lines:\n  %s",
				seed, len(rep.Violations), strings.Join(rep.Violations, "\n  "), seed, *flagMessages, *flagPollers, *flagStorm,
				len(rep.Schedule), path, strings.Join(head, "\n  "))
		})
	}
}

// report runs once every seed's subtest is over.
func report(t *testing.T, tot *Totals, start time.Time) {
	tot.Wall = time.Since(start)
	t.Logf("totals:\n%s", tot.Markdown())
	if *flagReport != "" {
		if err := os.WriteFile(*flagReport, []byte(tot.Markdown()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if tot.Seeds > 1 && (tot.Faults["corrupt"] == 0 || tot.Faults["lost-ack"] == 0 || tot.Kills == 0 || tot.Deadlines == 0 || tot.Redelivered == 0 || tot.DLQ == 0) {
		t.Errorf("the schedule exercised too little: %+v", tot)
	}
	// The function's own routing: both routes to the DLQ, S3's permanent
	// refusals dead-lettered by the function in most seeds, failed sends
	// and visibility changes, and both failing.
	if tot.Seeds > 1 && (tot.DLQByRoute[ByFunction.String()] == 0 || tot.DLQByRoute[ByRedrive.String()] == 0 || 2*tot.PermanentRuns <= tot.Seeds ||
		tot.SendFallbacks == 0 || tot.Visibility == 0 || tot.DelayNotSet == 0) {
		t.Errorf("the schedule exercised the function's routing too little: %+v", tot)
	}
}
