package fleet

import (
	"fmt"
	"io"
	"math"
)

// Target is one of the targets, judged.
type Target struct {
	Met  bool
	Text string
}

// Targets judges the table against the targets: on 1,000 instances and one
// prefix, this project's goodput ≥ 0.9 × capacity, waste ≤ 0.2, nothing
// dead-lettered and cost ≤ 1.2 × the ideal's; with the event source
// scaling on its own, the drain ≤ 1.1 × the ideal time; on a prefix that
// splits, its top capacity reached no later than under any other
// strategy; with 5 % random SlowDown, goodput ≥ 0.9 × the ideal's.
// Medians over seeds; dead letters at most over seeds.
func Targets(rrs []RowResult) []Target {
	var out []Target
	add := func(met bool, format string, args ...any) {
		out = append(out, Target{met, fmt.Sprintf(format, args...)})
	}
	for _, rr := range rrs {
		p, ideal := rr.Cell("project"), rr.Cell("oracle")
		if p == nil || ideal == nil {
			continue
		}
		id := rr.Row.ID()
		switch {
		case rr.Row.picture() == Splitting.ID:
			mine := p.Median(topCapacitySeconds)
			met, others := !math.IsInf(mine, 1), ""
			for _, c := range rr.Cells {
				if c.Strategy == "project" {
					continue
				}
				t := c.Median(topCapacitySeconds)
				met = met && mine <= t
				others += fmt.Sprintf(", %s %s", c.Strategy, secondsOrNever(t))
			}
			add(met, "%s: top capacity reached, at %s, no later than under any other strategy (%s)", id, secondsOrNever(mine), others[2:])
		case rr.Row.picture() == SlowDown5.ID:
			g, gi := p.Median(Result.Goodput), ideal.Median(Result.Goodput)
			add(g >= 0.9*gi, "%s: goodput %.0f/s ≥ 0.9 × the ideal's %.0f/s: %.2f ×", id, g, gi, g/gi)
		case rr.Row.picture() != "": // no other target on another picture of S3
		case rr.Row.Instances == 1000 && rr.Row.Prefixes == 1:
			g := p.Median(Result.OfCapacity)
			add(g >= 0.9, "%s: goodput %.3f × capacity ≥ 0.9", id, g)
			w := p.Median(Result.Waste)
			add(w <= 0.2, "%s: waste %.3f ≤ 0.2", id, w)
			d := p.Max(func(r Result) float64 { return float64(r.DeadLettered) })
			add(d == 0, "%s: dead-lettered %.0f (most in any seed) = 0", id, d)
			c := p.Median(Result.CostPerMillion) / ideal.Median(Result.CostPerMillion)
			add(c <= 1.2, "%s: cost %.2f × the ideal ≤ 1.2", id, c)
		case rr.Row.Instances == 0:
			t := p.Median(drainSeconds) / ideal.Median(drainSeconds)
			add(t <= 1.1, "%s: drain %.0f s = %.2f × the ideal %.0f s ≤ 1.1", id, p.Median(drainSeconds), t, ideal.Median(drainSeconds))
		}
	}
	return out
}

func drainSeconds(r Result) float64 { return r.Drain.Seconds() }

// topCapacitySeconds is TopCapacityAt in seconds, +Inf for never.
func topCapacitySeconds(r Result) float64 {
	if at, ok := r.TopCapacityAt(); ok {
		return at.Seconds()
	}
	return math.Inf(1)
}

// secondsOrNever formats s seconds, "never" for +Inf.
func secondsOrNever(s float64) string {
	if math.IsInf(s, 1) {
		return "never"
	}
	return fmt.Sprintf("%.0f s", s)
}

// strategyNames are the table's names of the strategies.
var strategyNames = map[string]string{
	"project":  "this project",
	"plain":    "plain backoff, no limiter",
	"sdk":      "SDK standard",
	"oracle":   "ideal (paced at capacity)",
	"previous": "previous limiter",
}

// WriteTable writes the table as Markdown.
func WriteTable(w io.Writer, rrs []RowResult) {
	fmt.Fprintln(w, "| fleet | strategy | goodput / capacity | waste | p50 | p99 | drain | redelivered | dead-lettered | GB-s | $ per million |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, rr := range rrs {
		ideal := rr.Cell("oracle")
		for i := range rr.Cells {
			c := &rr.Cells[i]
			fleet := ""
			if i == 0 {
				fleet = rr.Row.Name()
			}
			name := strategyNames[c.Strategy]
			if c.Strategy == "project" {
				name = "**" + name + "**"
			}
			drain := fmt.Sprintf("%.0f s", c.Median(drainSeconds))
			cost := fmt.Sprintf("%.2f", c.Median(Result.CostPerMillion))
			if ideal != nil && c.Strategy != "oracle" {
				drain += fmt.Sprintf(" (%.2f ×)", c.Median(drainSeconds)/ideal.Median(drainSeconds))
				cost += fmt.Sprintf(" (%.2f ×)", c.Median(Result.CostPerMillion)/ideal.Median(Result.CostPerMillion))
			}
			fmt.Fprintf(w, "| %s | %s | %.3f | %.3f | %.0f s | %.0f s | %s | %.0f | %.0f | %.0f | %s |\n",
				fleet, name, c.Median(Result.OfCapacity), c.Median(Result.Waste),
				c.Median(func(r Result) float64 { return r.P50.Seconds() }),
				c.Median(func(r Result) float64 { return r.P99.Seconds() }),
				drain, c.Median(func(r Result) float64 { return float64(r.Redeliveries) }),
				c.Max(func(r Result) float64 { return float64(r.DeadLettered) }),
				c.Median(Result.GBSeconds), cost)
		}
	}
}

// Check is one row of the honesty check: one strategy through one of
// pkg/harness/bench's scenarios, in the real in-process benchmark and in the
// simulation.
type Check struct {
	Row, Strategy        string
	Bench, Sim           []Agreement // per run
	BenchThr, SimThr     float64     // medians, objects/s
	BenchWaste, SimWaste float64
}

// Agreement is one run's throughput and waste.
type Agreement struct{ Throughput, Waste float64 }

// Within reports whether the medians agree within tol (0.1: 10 %).
func (c Check) Within(tol float64) bool {
	return within(c.SimThr, c.BenchThr, tol) && within(c.SimWaste, c.BenchWaste, tol)
}

func within(got, want, tol float64) bool {
	if want == 0 {
		return got == 0
	}
	d := got/want - 1
	return d >= -tol && d <= tol
}

// WriteChecks writes the honesty check as Markdown: medians, [min–max]
// over the runs.
func WriteChecks(w io.Writer, checks []Check) {
	fmt.Fprintln(w, "| scenario | strategy | throughput, bench | throughput, simulation | waste, bench | waste, simulation | within 10 % |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
	for _, c := range checks {
		ok := "yes"
		if !c.Within(0.1) {
			ok = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f /s %s | %.0f /s %s (%+.0f %%) | %.3f %s | %.3f %s (%+.0f %%) | %s |\n",
			c.Row, strategyNames[c.Strategy],
			c.BenchThr, span(c.Bench, agreementThroughput, "%.0f"), c.SimThr, span(c.Sim, agreementThroughput, "%.0f"), pct(c.SimThr, c.BenchThr),
			c.BenchWaste, span(c.Bench, agreementWaste, "%.3f"), c.SimWaste, span(c.Sim, agreementWaste, "%.3f"), pct(c.SimWaste, c.BenchWaste), ok)
	}
}

// span is "[min–max]" of f over runs.
func span(runs []Agreement, f func(Agreement) float64, format string) string {
	if len(runs) == 0 {
		return ""
	}
	lo, hi := f(runs[0]), f(runs[0])
	for _, r := range runs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return "[" + fmt.Sprintf(format, lo) + "–" + fmt.Sprintf(format, hi) + "]"
}

func pct(got, want float64) float64 {
	if want == 0 {
		return 0
	}
	return (got/want - 1) * 100
}

// WriteSettings describes the simulated world of base.
func WriteSettings(w io.Writer, base Config) {
	c := base.withDefaults()
	f, fn, s := c.Fleet, c.Function, c.S3
	lines := []string{
		fmt.Sprintf("%d messages of %d bytes, all sent at time 0, spread evenly over the prefixes", c.Messages, c.Size),
		fmt.Sprintf("S3: %.0f PUT/s per prefix (token bucket of %.0f), latency %v, refusals %v", s.Capacity, s.Burst, s.Latency, s.ThrottleLatency),
		fmt.Sprintf("event source: batches of %d, window %v, starts at %d and adds %d a minute up to %d (auto rows); visibility %v, DLQ after %d receives; poll %v, invoke %v, cold start %v",
			f.BatchSize, f.BatchWindow, f.ScaleStart, f.ScalePerMinute, f.MaxConcurrency, f.Visibility, f.MaxReceiveCount, f.Poll, f.Invoke, f.ColdStart),
		fmt.Sprintf("function: timeout %v, deadline margin %v, upload concurrency %d, %d MB, attempt timeout %v, retry budget %d",
			fn.Timeout, fn.Margin, fn.Concurrency, fn.MemoryMB, fn.AttemptTimeout, fn.RetryBudget),
		fmt.Sprintf("prices (%s, us-east-1): Lambda arm64 $%.10f per GB-s and $%.2f per million requests; S3 PUT $%.3f and GET $%.4f per 1,000, every request counted",
			Prices.Date, Prices.LambdaGBSecond, Prices.LambdaRequest*1e6, Prices.S3Put*1000, Prices.S3Get*1000),
	}
	for _, l := range lines {
		fmt.Fprintln(w, "- "+l)
	}
}

// WriteSweep writes the sweep (one strategy's cells) as Markdown.
func WriteSweep(w io.Writer, rrs []RowResult, strategy string) {
	fmt.Fprintln(w, "| instances on one prefix | waste | goodput / capacity | redelivered | dead-lettered |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|")
	for _, rr := range rrs {
		c := rr.Cell(strategy)
		if c == nil {
			continue
		}
		fmt.Fprintf(w, "| %d | %.3f | %.3f | %.0f | %.0f |\n", rr.Row.Instances, c.Median(Result.Waste), c.Median(Result.OfCapacity),
			c.Median(func(r Result) float64 { return float64(r.Redeliveries) }), c.Max(func(r Result) float64 { return float64(r.DeadLettered) }))
	}
}
