package fleet

import (
	"context"
	"fmt"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
)

// CheckRows are the scenarios of the honesty check: pkg/harness/bench's token
// buckets met by 8 and 16 instances.
var CheckRows = []string{"bucket-8", "bucket-16"}

// RunChecks runs each of pkg/harness/bench's matrix rows named in ids through the
// real in-process benchmark (bench.Run: the function's handler and S3
// client over HTTP) and through the simulation, runs times each, for each
// strategy; progress, if not nil, gets a line per run.
func RunChecks(ctx context.Context, ids []string, strategies []string, runs int, progress func(string)) ([]Check, error) {
	rows := map[string]bench.Row{}
	for _, r := range bench.MatrixRows(1) {
		rows[r.ID] = r
	}
	benchStrategy := map[string]bench.Strategy{"project": bench.Project(), "plain": bench.Plain()}
	var out []Check
	for _, id := range ids {
		row, ok := rows[id]
		if !ok {
			return nil, fmt.Errorf("no bench row %q", id)
		}
		for _, st := range strategies {
			bst, ok := benchStrategy[st]
			if !ok {
				return nil, fmt.Errorf("strategy %q has no in-process benchmark", st)
			}
			c := Check{Row: id, Strategy: st}
			for i := range runs {
				r, err := bench.Run(ctx, row.Scenario, bst)
				if err != nil {
					return nil, fmt.Errorf("%s, %s: %w", id, st, err)
				}
				cfg, _ := FromBench(row.Scenario, st, uint64(i+1))
				s, err := Run(cfg)
				if err != nil {
					return nil, fmt.Errorf("%s, %s, simulated: %w", id, st, err)
				}
				c.Bench = append(c.Bench, Agreement{r.Throughput(), r.Waste()})
				c.Sim = append(c.Sim, Agreement{s.Goodput(), s.Waste()})
				if progress != nil {
					progress(fmt.Sprintf("check %-9s %-8s run %d: bench %.0f/s waste %.3f, simulated %.0f/s waste %.3f",
						id, st, i+1, r.Throughput(), r.Waste(), s.Goodput(), s.Waste()))
				}
			}
			c.BenchThr, c.BenchWaste = medianOf(c.Bench, agreementThroughput), medianOf(c.Bench, agreementWaste)
			c.SimThr, c.SimWaste = medianOf(c.Sim, agreementThroughput), medianOf(c.Sim, agreementWaste)
			out = append(out, c)
		}
	}
	return out, nil
}

func agreementThroughput(a Agreement) float64 { return a.Throughput }
func agreementWaste(a Agreement) float64      { return a.Waste }
