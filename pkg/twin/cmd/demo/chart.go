package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartData is what the run's chart is drawn from: the samples of the
// queues and the throttle, and the function's metrics as the local
// CloudWatch holds them.
type chartData struct {
	Title   string
	Rate    float64 // the throttle's PUT/s per prefix (0: off)
	Samples []sample
	Metrics runMetrics
}

// writeChart draws the run over time in three panels sharing the time
// axis: objects stored per second against the throttle's rate; SlowDown
// answers and retries per second; the queue (visible, in flight) and the
// DLQ.
func writeChart(file string, d chartData) error {
	stored := panel(d.Title, "per second")
	addLine(stored, fmt.Sprintf("objects stored (metric Uploaded: %.0f)", d.Metrics.Sums["Uploaded"]), perSecond(d.Metrics.PerSecond["Uploaded"]), 0, 2.5)
	addLine(stored, "PUTs let through by the throttle", rates(d.Samples, func(s sample) float64 { return float64(s.Admitted) }), 1, 1.2)
	if d.Rate > 0 {
		rate := d.Rate
		l := plotter.NewFunction(func(float64) float64 { return rate })
		l.Color, l.Width, l.Dashes = color.Black, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		stored.Add(l)
		stored.Legend.Add(fmt.Sprintf("throttle: %g PUT/s per prefix", d.Rate), l)
	}

	pushback := panel("", "per second")
	addLine(pushback, "503 SlowDown answers (throttle)", rates(d.Samples, func(s sample) float64 { return float64(s.Throttled) }), 3, 1.5)
	addLine(pushback, "retries (metric Retries)", perSecond(d.Metrics.PerSecond["Retries"]), 2, 2.5)

	queue := panel("", "messages")
	queue.X.Label.Text = "seconds since the first message was sent"
	addLine(queue, "queue: visible", level(d.Samples, func(s sample) float64 { return float64(s.Visible) }), 4, 2)
	addLine(queue, "queue: in flight", level(d.Samples, func(s sample) float64 { return float64(s.InFlight) }), 5, 2)
	dlq := 0
	if len(d.Samples) > 0 {
		dlq = d.Samples[len(d.Samples)-1].DLQ
	}
	addLine(queue, fmt.Sprintf("dead-letter queue (%d at the end)", dlq), level(d.Samples, func(s sample) float64 { return float64(s.DLQ) }), 6, 3)

	plots := [][]*plot.Plot{{stored}, {pushback}, {queue}}
	// One time axis for all three.
	maxX := 0.0
	for _, row := range plots {
		maxX = max(maxX, row[0].X.Max)
	}
	for _, row := range plots {
		row[0].X.Min, row[0].X.Max = 0, maxX
		row[0].Y.Max = niceCeil(row[0].Y.Max * 1.3) // room for the legend
	}

	img := vgimg.New(9*vg.Inch, 9*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(10)}
	canvases := plot.Align(plots, tiles, dc)
	for i, row := range plots {
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

func addLine(p *plot.Plot, name string, xys plotter.XYs, colour int, width float64) {
	if len(xys) == 0 {
		return
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return // NaN or Inf: nothing to draw
	}
	l.Color = plotutil.Color(colour)
	l.Width = vg.Points(width)
	p.Add(l)
	p.Legend.Add(name, l)
}

// perSecond draws a per-second series as steps: each second's value held
// over that second.
func perSecond(v []float64) plotter.XYs {
	// Trailing seconds with nothing in them add nothing to the picture.
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	xys := make(plotter.XYs, 0, 2*len(v))
	for i, y := range v {
		xys = append(xys, plotter.XY{X: float64(i), Y: y}, plotter.XY{X: float64(i + 1), Y: y})
	}
	return xys
}

// rates turns a running total sampled over time into a rate per second:
// what came in between two samples is spread over the seconds between
// them.
func rates(s []sample, total func(sample) float64) plotter.XYs {
	if len(s) < 2 {
		return nil
	}
	per := make([]float64, int(math.Ceil(s[len(s)-1].At.Seconds())))
	for i := 1; i < len(s); i++ {
		a, b := s[i-1].At.Seconds(), s[i].At.Seconds()
		v := total(s[i]) - total(s[i-1])
		if b <= a || v == 0 {
			continue
		}
		for sec := int(a); sec < len(per) && float64(sec) < b; sec++ {
			lo, hi := max(float64(sec), a), min(float64(sec+1), b)
			per[sec] += v * (hi - lo) / (b - a)
		}
	}
	return perSecond(per)
}

// level draws a sampled level (a queue's depth) as it was sampled.
func level(s []sample, f func(sample) float64) plotter.XYs {
	xys := make(plotter.XYs, len(s))
	for i, x := range s {
		xys[i] = plotter.XY{X: x.At.Seconds(), Y: f(x)}
	}
	return xys
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
	step := math.Max(1, niceCeil((hi-lo)/5))
	var ticks []plot.Tick
	for v := 0.0; v <= hi+step/1000; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
})
