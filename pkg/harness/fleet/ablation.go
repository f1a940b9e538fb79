package fleet

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
	"github.com/s3uploader/s3uploader/pkg/retry"
)

// ablations are the share law's mechanisms the ablation takes out in
// turn, with their names.
var ablations = []struct {
	A    retry.Ablation
	Name string
}{
	{retry.Heavy, "heavy share to start pacing"}, {retry.FirstOK, "hot keys left out"}, {retry.NoSuccess, "no success, no change"},
	{retry.Halving, "at most halve"}, {retry.Doubling, "doubling climb"}, {retry.DemandCap, "climb capped at 2 × sent"},
}

// AblationCell is one variant of the share law on one matrix row: the
// medians over the seeds.
type AblationCell struct {
	Throughput, Waste float64
	GaveUp            int // the most in any seed
}

// AblationRow is one matrix row: the law as it ships, then without each of
// ablations in turn.
type AblationRow struct {
	ID      string
	Shipped AblationCell
	Without []AblationCell // in the order of ablations
}

// RunAblation simulates every row of the matrix the simulation models
// (FromBench) with this project's law as it ships and with each of its
// mechanisms taken out, over seeds, on workers at once.
func RunAblation(rows []bench.Row, seeds, workers int) ([]AblationRow, error) {
	type job struct {
		row, variant, seed int
		cfg                Config
	}
	var jobs []job
	var out []AblationRow
	for _, row := range rows {
		if _, ok := FromBench(row.Scenario, "project", 1); !ok {
			continue
		}
		i := len(out)
		out = append(out, AblationRow{ID: row.ID, Without: make([]AblationCell, len(ablations))})
		for v := range len(ablations) + 1 {
			for seed := 1; seed <= seeds; seed++ {
				cfg, _ := FromBench(row.Scenario, "project", uint64(seed))
				if v > 0 {
					cfg.Function.Without = ablations[v-1].A
				}
				jobs = append(jobs, job{i, v, seed, cfg})
			}
		}
	}
	results := make([]Result, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, workers))
	for k, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[k], errs[k] = Run(j.cfg)
		})
	}
	wg.Wait()
	for k, j := range jobs {
		if errs[k] != nil {
			return nil, fmt.Errorf("%s, variant %d, seed %d: %w", out[j.row].ID, j.variant, j.seed, errs[k])
		}
	}
	for i := range out {
		for v := range len(ablations) + 1 {
			var rs []Result
			for k, j := range jobs {
				if j.row == i && j.variant == v {
					rs = append(rs, results[k])
				}
			}
			c := AblationCell{
				Throughput: medianOf(rs, Result.Goodput),
				Waste:      medianOf(rs, Result.Waste),
			}
			for _, r := range rs {
				c.GaveUp = max(c.GaveUp, r.GaveUp+r.DeadLettered)
			}
			if v == 0 {
				out[i].Shipped = c
			} else {
				out[i].Without[v-1] = c
			}
		}
	}
	return out, nil
}

// Loses reports whether c is clearly worse than the law as it ships: 5 %
// less throughput, records given up where none were (or 5 % more), or
// waste higher by 0.05 and by a fifth.
func (c AblationCell) Loses(shipped AblationCell) bool {
	return c.Throughput < 0.95*shipped.Throughput || c.GaveUp > shipped.GaveUp+shipped.GaveUp/20 ||
		c.Waste > shipped.Waste+0.05 && c.Waste > 1.2*shipped.Waste
}

// WriteAblation writes the table: per row, the shipped law's throughput
// and waste, then each variant's throughput over the shipped law's and
// its waste, in bold where it loses; then, per mechanism, the rows it
// wins.
func WriteAblation(w io.Writer, rows []AblationRow) error {
	var b strings.Builder
	b.WriteString("| row | as shipped: objects/s, waste |")
	for _, a := range ablations {
		fmt.Fprintf(&b, " without %s |", a.Name)
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(ablations)) + "\n")
	wins := make([][]string, len(ablations))
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %.0f, %.3f%s |", row.ID, row.Shipped.Throughput, row.Shipped.Waste, gaveUpText(row.Shipped.GaveUp))
		for i, c := range row.Without {
			cell := fmt.Sprintf("%.2f ×, %.3f%s", c.Throughput/max(row.Shipped.Throughput, 1e-9), c.Waste, gaveUpText(c.GaveUp))
			if c.Loses(row.Shipped) {
				cell = "**" + cell + "**"
				wins[i] = append(wins[i], row.ID)
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nRows each mechanism wins (taking it out loses 5 % of throughput, gives records up, or adds a fifth and 0.05 to the waste):\n\n")
	for i, a := range ablations {
		won := "none"
		if len(wins[i]) > 0 {
			won = strings.Join(wins[i], ", ")
		}
		fmt.Fprintf(&b, "- %s: %s\n", a.Name, won)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func gaveUpText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d given up", n)
}
