package main

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartData is what the run's chart is drawn from: the samples of the
// queues and the throttle, the function's metrics as the local CloudWatch
// holds them, and the summary's count of messages stored.
type chartData struct {
	Title   string
	Rate    float64 // the throttle's PUT/s per prefix (0: off)
	Samples []sample
	// Every is the interval the samples were taken at (0: recordEvery):
	// samples more than gapFactor intervals apart leave a gap.
	Every   time.Duration
	Metrics runMetrics
	// Stored is the summary's count: good messages stored byte-exact,
	// each once (-1: not known).
	Stored int
}

// gapFactor: samples further apart than this many intervals mean some
// were missed (the local AWS answered late, or not within the sample's
// 2 s), and the chart leaves the time between them blank rather than
// draw a line across it.
const gapFactor = 3

// writeChart draws the run over time in four panels sharing the time
// axis: records stored per second against the throttle's rate; SlowDown
// answers, retries and failed records per second; the queue (visible, in
// flight); the DLQ, on its own scale.
func writeChart(file string, d chartData) error {
	maxGap := gapFactor * cmp.Or(d.Every, recordEvery)
	segs := segments(d.Samples, maxGap)

	stored := panel(d.Title, "per second")
	addLine(stored, storedLabel(d.Metrics.Sums, d.Stored), one(perSecond(sumOf(d.Metrics.PerSecond["Uploaded"], d.Metrics.PerSecond["Duplicates"]))), 0, 2.5)
	addLine(stored, "PUTs let through by the throttle", rates(segs, func(s sample) float64 { return float64(s.Admitted) }), 1, 1.2)
	if d.Rate > 0 {
		rate := d.Rate
		l := plotter.NewFunction(func(float64) float64 { return rate })
		l.Color, l.Width, l.Dashes = color.Black, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		stored.Add(l)
		stored.Legend.Add(fmt.Sprintf("throttle: %g PUT/s per prefix", d.Rate), l)
	}

	pushback := panel("", "per second")
	addLine(pushback, "503 SlowDown answers (throttle)", rates(segs, func(s sample) float64 { return float64(s.Throttled) }), 3, 1.5)
	addLine(pushback, "retries (metric Retries)", one(perSecond(d.Metrics.PerSecond["Retries"])), 2, 2.5)
	addLine(pushback, fmt.Sprintf("records left for redelivery (metric Failed: %.0f)", d.Metrics.Sums["Failed"]),
		one(perSecond(d.Metrics.PerSecond["Failed"])), 7, 2)

	queue := panel("", "messages")
	addLine(queue, "queue: visible", level(segs, func(s sample) float64 { return float64(s.Visible) }), 4, 2)
	addLine(queue, "queue: in flight", level(segs, func(s sample) float64 { return float64(s.InFlight) }), 5, 2)

	dlq := panel("", "messages")
	dlq.X.Label.Text = "time since the first message was sent"
	last := 0
	if len(d.Samples) > 0 {
		last = d.Samples[len(d.Samples)-1].DLQ
	}
	addLine(dlq, fmt.Sprintf("dead-letter queue (%d at the end)", last), level(segs, func(s sample) float64 { return float64(s.DLQ) }), 6, 2.5)

	plots := []*plot.Plot{stored, pushback, queue, dlq}
	shareTimeAxis(plots)
	markGaps(plots, gaps(segs))
	return render(file, plots)
}

// shareTimeAxis gives every panel the same time axis, from 0 to the
// latest point of any, ticked in whole seconds, and room above for the
// legend.
func shareTimeAxis(plots []*plot.Plot) {
	maxX := 0.0
	for _, p := range plots {
		maxX = max(maxX, p.X.Max)
	}
	for _, p := range plots {
		p.X.Min, p.X.Max = 0, maxX
		p.X.Tick.Marker = secondTicks
		p.Y.Max = niceCeil(p.Y.Max * 1.4)
	}
}

// render lays the panels out one above the other and writes them as a
// PNG.
func render(file string, plots []*plot.Plot) error {
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	img := vgimg.New(9*vg.Inch, 11*vg.Inch)
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(10)}
	canvases := plot.Align(rows, tiles, draw.New(img))
	for i, row := range rows {
		row[0].Draw(canvases[i][0])
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// storedLabel names the stored line: the summary's count of messages
// stored, and the metrics the line is drawn from. Uploaded counts the
// objects a record wrote; Duplicates the records that found theirs
// written already (by an earlier attempt cut off at the deadline, or a
// second delivery), so together they are the messages stored, unless one
// message was found stored more than once.
func storedLabel(sums map[string]float64, stored int) string {
	up, dup := sums["Uploaded"], sums["Duplicates"]
	metrics := fmt.Sprintf("metric Uploaded %.0f + Duplicates %.0f", up, dup)
	switch {
	case stored < 0:
		return "records stored (" + metrics + ")"
	case up+dup > float64(stored):
		return fmt.Sprintf("stored: %d messages (%s: some found stored more than once)", stored, metrics)
	}
	return fmt.Sprintf("stored: %d messages (%s)", stored, metrics)
}

func panel(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Y.Tick.Marker = wholeTicks
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = false
	return p
}

// addLine draws a series, one line per segment in the same style, under
// one legend entry.
func addLine(p *plot.Plot, name string, segs []plotter.XYs, colour int, width float64) {
	legend := false
	for _, xys := range segs {
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue // NaN or Inf: nothing to draw
		}
		l.Color = plotutil.Color(colour)
		l.Width = vg.Points(width)
		p.Add(l)
		if !legend {
			p.Legend.Add(name, l)
			legend = true
		}
	}
}

// one is a series of one segment.
func one(xys plotter.XYs) []plotter.XYs { return []plotter.XYs{xys} }

// sumOf adds two per-second series.
func sumOf(a, b []float64) []float64 {
	s := make([]float64, max(len(a), len(b)))
	for i := range s {
		if i < len(a) {
			s[i] += a[i]
		}
		if i < len(b) {
			s[i] += b[i]
		}
	}
	return s
}

// perSecond draws a per-second series as steps: each second's value held
// over that second.
func perSecond(v []float64) plotter.XYs {
	return stepsFrom(0, v)
}

// stepsFrom draws v[i] as a step over second first+i.
func stepsFrom(first int, v []float64) plotter.XYs {
	// Trailing seconds with nothing in them add nothing to the picture.
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	xys := make(plotter.XYs, 0, 2*len(v))
	for i, y := range v {
		x := float64(first + i)
		xys = append(xys, plotter.XY{X: x, Y: y}, plotter.XY{X: x + 1, Y: y})
	}
	return xys
}

// segments splits the samples where two in a row are more than maxGap
// apart.
func segments(s []sample, maxGap time.Duration) [][]sample {
	var segs [][]sample
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || s[i].At-s[i-1].At > maxGap {
			segs = append(segs, s[start:i])
			start = i
		}
	}
	return segs
}

// gaps are the spans, in seconds, between the segments: no sample there.
func gaps(segs [][]sample) [][2]float64 {
	var g [][2]float64
	for i := 1; i < len(segs); i++ {
		prev, next := segs[i-1], segs[i]
		g = append(g, [2]float64{prev[len(prev)-1].At.Seconds(), next[0].At.Seconds()})
	}
	return g
}

// markGaps shades the spans without samples in every panel, and says so
// in the last panel's legend.
func markGaps(plots []*plot.Plot, spans [][2]float64) {
	for i, p := range plots {
		for j, s := range spans {
			box, err := plotter.NewPolygon(plotter.XYs{{X: s[0], Y: 0}, {X: s[1], Y: 0}, {X: s[1], Y: p.Y.Max}, {X: s[0], Y: p.Y.Max}})
			if err != nil {
				continue
			}
			box.Color = color.NRGBA{A: 28}
			box.LineStyle.Width = 0
			p.Add(box)
			if i == len(plots)-1 && j == 0 {
				p.Legend.Add("no samples: the local AWS was slow to answer", box)
			}
		}
	}
}

// rates turns a running total sampled over time into a rate per second,
// per segment: what came in between two samples is spread over the
// seconds between them. What came in across a gap is not drawn.
func rates(segs [][]sample, total func(sample) float64) []plotter.XYs {
	var out []plotter.XYs
	for _, s := range segs {
		if len(s) < 2 {
			continue
		}
		first := int(s[0].At.Seconds())
		per := make([]float64, int(math.Ceil(s[len(s)-1].At.Seconds()))-first)
		for i := 1; i < len(s); i++ {
			a, b := s[i-1].At.Seconds(), s[i].At.Seconds()
			v := total(s[i]) - total(s[i-1])
			if b <= a || v == 0 {
				continue
			}
			for sec := int(a); sec-first < len(per) && float64(sec) < b; sec++ {
				lo, hi := max(float64(sec), a), min(float64(sec+1), b)
				per[sec-first] += v * (hi - lo) / (b - a)
			}
		}
		out = append(out, stepsFrom(first, per))
	}
	return out
}

// level draws a sampled level (a queue's depth) as it was sampled, a line
// per segment.
func level(segs [][]sample, f func(sample) float64) []plotter.XYs {
	out := make([]plotter.XYs, len(segs))
	for i, s := range segs {
		out[i] = make(plotter.XYs, len(s))
		for j, x := range s {
			out[i][j] = plotter.XY{X: x.At.Seconds(), Y: f(x)}
		}
	}
	return out
}

// niceCeil rounds v up to a round number (1, 1.5, 2, 3, 4, 5, 6 or 8
// times a power of ten), so the axis ends on one.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 3, 4, 5, 6, 8} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// wholeTicks labels an axis from 0 in about five whole steps.
var wholeTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	step := math.Ceil(math.Max(1, niceCeil((hi-lo)/5)))
	var ticks []plot.Tick
	for v := 0.0; v <= hi+step/1000; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
})

// secondSteps are the time axis's steps, in seconds: the first that
// gives at most maxTimeTicks ticks is used.
var secondSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600}

const maxTimeTicks = 10

// secondTicks labels a time axis from 0 in whole seconds: "0 s", "30 s",
// "60 s".
var secondTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	step := secondSteps[len(secondSteps)-1]
	for _, s := range secondSteps {
		if (hi-math.Max(lo, 0))/s <= maxTimeTicks {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for v := 0.0; v <= hi+step/1000; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64) + " s"})
	}
	return ticks
})
