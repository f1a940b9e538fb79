package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Summary is a strategy's results over repeated runs of one scenario.
type Summary struct {
	Strategy string
	Runs     []Result
}

// Median returns the run of median efficiency (the lower middle one for an
// even count); it is the run the charts draw.
func (s Summary) Median() Result {
	runs := slices.Clone(s.Runs)
	slices.SortFunc(runs, func(a, b Result) int { return cmpFloat(a.Efficiency(), b.Efficiency()) })
	return runs[(len(runs)-1)/2]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stat is the median, min and max of one figure over the runs.
type stat struct{ med, lo, hi float64 }

func statOf(runs []Result, f func(Result) float64) stat {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return statOfValues(v)
}

// mostGivenUp is the most records given up in any of the runs.
func mostGivenUp(runs []Result) float64 {
	return statOf(runs, func(r Result) float64 { return float64(r.GaveUp) }).hi
}

func statOfValues(v []float64) stat {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return stat{med, v[0], v[n-1]}
}

// format prints the median, and [min–max] when the runs differ.
func (s stat) format(verb string) string {
	m := fmt.Sprintf(verb, s.med)
	if fmt.Sprintf(verb, s.lo) == fmt.Sprintf(verb, s.hi) {
		return m
	}
	return fmt.Sprintf("%s ["+verb+"–"+verb+"]", m, s.lo, s.hi)
}

func secs(d time.Duration) float64 { return d.Seconds() }

// WriteTable writes one Markdown table of the summaries: medians over the
// runs, with [min–max] where the runs differ.
func WriteTable(w io.Writer, sums []Summary) error {
	var b strings.Builder
	b.WriteString("| strategy | stored | gave up | lost | requests | 503s | waste | wall s | efficiency | p50 ms | p99 ms |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range sums {
		r := s.Runs
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.Strategy,
			statOf(r, func(r Result) float64 { return float64(r.Stored) }).format("%.0f"),
			statOf(r, func(r Result) float64 { return float64(r.GaveUp) }).format("%.0f"),
			statOf(r, func(r Result) float64 { return float64(r.Lost) }).format("%.0f"),
			statOf(r, func(r Result) float64 { return float64(r.Requests) }).format("%.0f"),
			statOf(r, func(r Result) float64 { return float64(r.Throttled) }).format("%.0f"),
			statOf(r, Result.Waste).format("%.3f"),
			statOf(r, func(r Result) float64 { return secs(r.Wall) }).format("%.1f"),
			statOf(r, Result.Efficiency).format("%.2f"),
			statOf(r, func(r Result) float64 { return float64(r.P50.Milliseconds()) }).format("%.0f"),
			statOf(r, func(r Result) float64 { return float64(r.P99.Milliseconds()) }).format("%.0f"),
		)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
