package bench

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4.5 * vg.Inch
)

var idealColor = color.RGBA{A: 255} // black

// NewChart returns a plot with title and its axes labelled ("" leaves an
// axis bare), over a grid: the setup the harness's charts share.
func NewChart(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	return p
}

// SaveChart writes p to file (its format by the extension) at the
// harness's chart size, 8 × 4.5 inches.
func SaveChart(p *plot.Plot, file string) error {
	return p.Save(chartWidth, chartHeight, file)
}

// ReferenceLine is a thin black dashed line at y(x): the ideal, or the
// limit, the strategies' lines are read against.
func ReferenceLine(y func(x float64) float64) *plotter.Function {
	l := plotter.NewFunction(y)
	l.Color, l.Width, l.Dashes = idealColor, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
	return l
}

// BarOffset is the offset of the k-th of n bar charts of width w drawn side
// by side, the group centred on its X value.
func BarOffset(w vg.Length, k, n int) vg.Length {
	return w * vg.Length(float64(k)-float64(n-1)/2)
}

// strategyStyle gives each strategy the same colour in every chart, and this
// project's line a heavier stroke.
func strategyStyle(i int, name string) draw.LineStyle {
	s := draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.5)}
	if name == Project().Name {
		s.Width = vg.Points(3)
	}
	return s
}

// StoredChart draws objects stored over time, one line per strategy (its
// median run), with the ideal: the throttle's burst, then its rate.
func StoredChart(file, title string, sums []Summary) error {
	p := NewChart(title, "seconds since the first request", "objects stored")
	var sc Scenario
	maxT := 0.0
	for i, s := range sums {
		r := s.Median()
		sc = r.Scenario
		xys := make(plotter.XYs, 0, len(r.Timeline)+1)
		xys = append(xys, plotter.XY{})
		n := 0
		for j, t := range r.Timeline {
			n += t.Stored
			xys = append(xys, plotter.XY{X: float64(j+1) * r.Tick.Seconds(), Y: float64(n)})
		}
		maxT = max(maxT, xys[len(xys)-1].X)
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.LineStyle = strategyStyle(i, s.Strategy)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%.1f s)", s.Strategy, r.Wall.Seconds()), l)
	}
	if sc.Sim.Rate > 0 {
		allowed := sc.Sim.Rate * float64(max(1, sc.Prefixes))
		burst := float64(sc.Sim.Burst * max(1, sc.Prefixes))
		objects := float64(sc.Objects)
		ideal := ReferenceLine(func(t float64) float64 { return min(objects, burst+allowed*t) })
		ideal.XMin, ideal.XMax = 0, maxT
		p.Add(ideal)
		p.Legend.Add(fmt.Sprintf("ideal: %.0f PUT/s (%.1f s)", allowed, sc.withDefaults().Ideal().Seconds()), ideal)
	}
	return SaveChart(p, file)
}

// RequestsChart draws requests sent per second, one line per strategy
// (its median run), against the rate the throttle allows.
func RequestsChart(file, title string, sums []Summary) error {
	p := NewChart(title, "seconds since the first request", "requests per second (all answers)")
	p.Legend.Top = true
	var sc Scenario
	maxT, maxY := 0.0, 0.0
	for i, s := range sums {
		r := s.Median()
		sc = r.Scenario
		xys := make(plotter.XYs, 0, len(r.Timeline))
		for j, t := range r.Timeline {
			y := float64(t.Requests) / r.Tick.Seconds()
			xys = append(xys, plotter.XY{X: (float64(j) + 0.5) * r.Tick.Seconds(), Y: y})
			maxY = max(maxY, y)
		}
		if len(xys) == 0 {
			continue
		}
		maxT = max(maxT, xys[len(xys)-1].X)
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.LineStyle = strategyStyle(i, s.Strategy)
		p.Add(l)
		p.Legend.Add(s.Strategy, l)
	}
	if sc.Sim.Rate > 0 {
		allowed := sc.Sim.Rate * float64(max(1, sc.Prefixes))
		line := ReferenceLine(func(float64) float64 { return allowed })
		line.XMin, line.XMax = 0, maxT
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("allowed: %.0f PUT/s", allowed), line)
		// Keep the first second's burst from flattening everything else.
		p.Y.Max = min(maxY, 2*allowed)
	}
	p.Y.Min = 0
	return SaveChart(p, file)
}

// ShardChart draws throughput against the number of prefixes, next to the
// ideal (prefixes × per-prefix rate): sharded by the sender, and by the
// function's {shard:N} where measured.
func ShardChart(file string, runs []Result) error {
	p := plot.New()
	p.Title.Text = "Sharding: keys spread over prefixes, each with its own throttle"
	p.Y.Label.Text = "objects stored per second"
	var counts []int
	for _, r := range runs {
		if !slices.Contains(counts, r.Scenario.Prefixes) {
			counts = append(counts, r.Scenario.Prefixes)
		}
	}
	ideal := make(plotter.Values, len(counts))
	sender := make(plotter.Values, len(counts))
	function := make(plotter.Values, len(counts))
	names := make([]string, len(counts))
	anyFunction := false
	for i, n := range counts {
		names[i] = fmt.Sprintf("%d prefix(es)", n)
		for _, r := range runs {
			if r.Scenario.Prefixes != n {
				continue
			}
			ideal[i] = r.Scenario.Sim.Rate * float64(n)
			if r.Scenario.ShardInFunction {
				function[i], anyFunction = r.Throughput(), true
			} else {
				sender[i] = r.Throughput()
			}
		}
	}
	w := vg.Points(20)
	bars := []struct {
		vals  plotter.Values
		c     color.Color
		label string
	}{
		{ideal, color.Gray{Y: 190}, "ideal: prefixes × rate"},
		{sender, plotutil.Color(4), "sharded by the sender"},
	}
	if anyFunction {
		bars = append(bars, struct {
			vals  plotter.Values
			c     color.Color
			label string
		}{function, plotutil.Color(2), "sharded by the function, {shard:N}"})
	}
	for k, bar := range bars {
		b, err := plotter.NewBarChart(bar.vals, w)
		if err != nil {
			return err
		}
		b.Color = bar.c
		b.Offset = BarOffset(w, k, len(bars))
		p.Add(b)
		p.Legend.Add(bar.label, b)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.NominalX(names...)
	return p.Save(6*vg.Inch, 4*vg.Inch, file)
}

// MatrixChart draws, per row of the matrix, each strategy's throughput
// relative to the best of the row, as grouped bars.
func MatrixChart(file, title string, results []RowResult) error {
	p := NewChart(title, "", "throughput ÷ best of the row")
	p.Y.Min, p.Y.Max = 0, 1.1
	if len(results) == 0 {
		return SaveChart(p, file)
	}
	names := make([]string, len(results))
	for i, rr := range results {
		names[i] = rr.Row.ID
	}
	var strategies []string
	for _, s := range results[0].Sums {
		if s.Strategy != NoRetry().Name {
			strategies = append(strategies, s.Strategy)
		}
	}
	w := vg.Points(9)
	for k, name := range strategies {
		vals := make(plotter.Values, len(results))
		for i, rr := range results {
			vals[i] = rr.Relative(name)
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(k + 1)
		if name == Project().Name {
			bars.Color = idealColor
		}
		bars.Offset = BarOffset(w, k, len(strategies))
		p.Add(bars)
		p.Legend.Add(name, bars)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = draw.XRight
	// An inch per row keeps a row's bars from running into the next.
	return p.Save(max(12*vg.Inch, vg.Length(len(results))*vg.Inch), 5*vg.Inch, file)
}
