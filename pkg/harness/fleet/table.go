package fleet

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Row is one fleet of the report's table: a fixed number of instances (0:
// the event source scaling on its own from 5) on a number of prefixes,
// meeting the base's S3 or, with Picture, another.
type Row struct {
	Instances int
	Prefixes  int
	Picture   *Picture // nil: the base's S3
}

// Picture is a picture of S3 other than the base's, for a row of the table.
type Picture struct {
	ID, Name string // ID is short, for the row's ID; Name for its description
	// Set changes the base's S3 settings, their defaults filled in.
	Set func(*S3Config)
}

// The table's pictures of S3 beyond the base's.
var (
	// Splitting is a prefix that splits under sustained demand: its
	// capacity doubles after 20 s of continuous SlowDown, up to 8 × (3,500
	// to 28,000 PUT/s by default). At 3,500, 7,000 and 14,000 PUT/s for
	// 20 s each, a fleet that keeps the prefix hot reaches the top after
	// about 60 s and 490,000 messages, and drains the other half of a
	// million there: it is paid for keeping the pressure on, and a
	// strategy that reaches the top later shows it. (With 16 ×, the
	// default, a million messages are gone about when the top is reached.)
	Splitting = Picture{ID: "split", Name: "splitting under sustained demand (doubling after 20 s hot, up to 8 ×)",
		Set: func(s *S3Config) {
			s.SplitAfter = 20 * time.Second
			s.MaxCapacity = 8 * s.Capacity
		}}
	// SlowDown5 answers SlowDown to 5 % of the PUTs the prefix's rate
	// admits, at random: refusals that say nothing about the rate.
	SlowDown5 = Picture{ID: "slowdown-5", Name: "5 % random SlowDown on top of its rate",
		Set: func(s *S3Config) { s.SlowDownRate = 0.05 }}
)

// ID names the row, as "1000×1", "auto×10" or "1000×1 split".
func (r Row) ID() string {
	n := "auto"
	if r.Instances > 0 {
		n = fmt.Sprint(r.Instances)
	}
	id := fmt.Sprintf("%s×%d", n, r.Prefixes)
	if r.Picture != nil {
		id += " " + r.Picture.ID
	}
	return id
}

// Name describes the row.
func (r Row) Name() string {
	fleet := "the event source's own scaling from 5"
	if r.Instances > 0 {
		fleet = fmt.Sprintf("%d instances", r.Instances)
	}
	p := "1 prefix"
	if r.Prefixes != 1 {
		p = fmt.Sprintf("%d prefixes", r.Prefixes)
	}
	name := fleet + ", " + p
	if r.Picture != nil {
		name += ", " + r.Picture.Name
	}
	return name
}

// picture is the ID of the row's Picture, "" for the base's S3.
func (r Row) picture() string {
	if r.Picture == nil {
		return ""
	}
	return r.Picture.ID
}

// config is base set for the row.
func (r Row) config(base Config) Config {
	cfg := base
	cfg.Prefixes = r.Prefixes
	cfg.Fleet.Instances = r.Instances
	if r.Picture != nil {
		cfg = cfg.withDefaults()
		r.Picture.Set(&cfg.S3)
	}
	return cfg
}

// TableRows are the report's fleets: 10, 100 and 1,000 instances and the
// event source's own scaling, on 1 and on 10 prefixes; then 1,000
// instances on one prefix that splits under sustained demand, and on one
// with 5 % random SlowDown.
func TableRows() []Row {
	var rows []Row
	for _, p := range []int{1, 10} {
		for _, n := range []int{10, 100, 1000, 0} {
			rows = append(rows, Row{Instances: n, Prefixes: p})
		}
	}
	rows = append(rows, Row{Instances: 1000, Prefixes: 1, Picture: &Splitting},
		Row{Instances: 1000, Prefixes: 1, Picture: &SlowDown5})
	return rows
}

// SweepRows are the fleets of the sweep behind the advice on instances per
// prefix: 50 to 1,000 instances on one prefix.
func SweepRows() []Row {
	var rows []Row
	for _, n := range []int{50, 100, 200, 300, 500, 1000} {
		rows = append(rows, Row{Instances: n, Prefixes: 1})
	}
	return rows
}

// Cell is one strategy's runs of one row, one per seed.
type Cell struct {
	Strategy string
	Runs     []Result
}

// RowResult is every strategy's cell of one row.
type RowResult struct {
	Row   Row
	Cells []Cell
}

// Cell returns the row's cell of strategy, or nil.
func (rr RowResult) Cell(strategy string) *Cell {
	for i := range rr.Cells {
		if rr.Cells[i].Strategy == strategy {
			return &rr.Cells[i]
		}
	}
	return nil
}

// RunTable runs every strategy through every row of base (its Messages, S3
// and function settings, the S3 changed by a row's Picture), seeds times each with seeds 1, 2, ..., on
// workers goroutines; progress, if not nil, gets a line per run, in the
// order they end. The results do not depend on workers.
func RunTable(base Config, rows []Row, strategies []string, seeds, workers int, progress func(string)) ([]RowResult, error) {
	type job struct{ row, cell, seed int }
	out := make([]RowResult, len(rows))
	var jobs []job
	for i, row := range rows {
		out[i].Row = row
		for j, st := range strategies {
			out[i].Cells = append(out[i].Cells, Cell{Strategy: st, Runs: make([]Result, seeds)})
			for s := range seeds {
				jobs = append(jobs, job{i, j, s})
			}
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan job)
	)
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				cfg := base
				cfg.Seed = uint64(j.seed + 1)
				cfg.Strategy = strategies[j.cell]
				cfg = rows[j.row].config(cfg)
				start := time.Now()
				r, err := Run(cfg)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s, %s, seed %d: %w", rows[j.row].ID(), cfg.Strategy, cfg.Seed, err)
				}
				// The run's Ticks stay: a few thousand at most (one a
				// second), and TopCapacityAt reads them.
				out[j.row].Cells[j.cell].Runs[j.seed] = r
				if progress != nil && err == nil {
					progress(fmt.Sprintf("%-9s %-8s seed %d: %s (%.1fs)", rows[j.row].ID(), cfg.Strategy, cfg.Seed, r.Short(), time.Since(start).Seconds()))
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return out, firstErr
}

// Median returns the median of f over the cell's runs.
func (c *Cell) Median(f func(Result) float64) float64 { return medianOf(c.Runs, f) }

// Max returns the largest f over the cell's runs.
func (c *Cell) Max(f func(Result) float64) float64 {
	m := 0.0
	for _, r := range c.Runs {
		m = max(m, f(r))
	}
	return m
}

// medianOf is the median of f over runs.
func medianOf[T any](runs []T, f func(T) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
