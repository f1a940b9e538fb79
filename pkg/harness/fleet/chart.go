package fleet

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/s3uploader/s3uploader/pkg/harness/bench"
)

// chartStrategies are the strategies the bar charts show, in order.
var chartStrategies = []string{"project", "plain", "sdk"}

// BarChart draws, per row, each strategy's median of f as grouped bars,
// on a Y axis up to ymax (0: the largest bar); a bar cut off by ymax is
// labelled with its value.
func BarChart(file, title, ylabel string, rrs []RowResult, f func(Result) float64, ymax float64) error {
	p := bench.NewChart(title, "", ylabel)
	p.Y.Min = 0
	if ymax > 0 {
		p.Y.Max = ymax
	}
	names := make([]string, len(rrs))
	for i, rr := range rrs {
		names[i] = rr.Row.ID()
	}
	w := vg.Points(14)
	for k, st := range chartStrategies {
		vals := make(plotter.Values, len(rrs))
		for i, rr := range rrs {
			if c := rr.Cell(st); c != nil {
				vals[i] = c.Median(f)
			}
		}
		shown := make(plotter.Values, len(vals))
		var cut plotter.XYLabels
		for i, v := range vals {
			shown[i] = v
			if ymax > 0 && v > ymax {
				shown[i] = ymax
				cut.XYs = append(cut.XYs, plotter.XY{X: float64(i) + float64(k-1)*0.2, Y: ymax * 0.93})
				cut.Labels = append(cut.Labels, fmt.Sprintf("%.1f", v))
			}
		}
		b, err := plotter.NewBarChart(shown, w)
		if err != nil {
			return err
		}
		if len(cut.Labels) > 0 {
			l, err := plotter.NewLabels(cut)
			if err != nil {
				return err
			}
			for i := range l.TextStyle {
				l.TextStyle[i].Rotation = 1.5708
				l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = -0.5, -0.5
			}
			defer p.Add(l)
		}
		b.Color = plotutil.Color(k)
		b.LineStyle.Width = 0
		b.Offset = bench.BarOffset(w, k, len(chartStrategies))
		p.Add(b)
		p.Legend.Add(strategyNames[st], b)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	return bench.SaveChart(p, file)
}

// TimelineChart draws objects stored per second over the runs, one line
// per run, against the capacity of the first.
func TimelineChart(file, title string, runs []Result) error {
	p := bench.NewChart(title, "seconds since the first message was sent", "objects stored per second")
	for i, r := range runs {
		xys := make(plotter.XYs, len(r.Ticks))
		for j, t := range r.Ticks {
			xys[j] = plotter.XY{X: float64(j), Y: float64(t.Stored)}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		if r.Config.Strategy == "project" {
			l.Width = vg.Points(2.5)
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s: drain %.0f s, waste %.2f", strategyNames[r.Config.Strategy], r.Drain.Seconds(), r.Waste()), l)
	}
	if len(runs) > 0 && runs[0].FinalCapacity > 0 {
		c := runs[0].Config.withDefaults()
		capLine := bench.ReferenceLine(func(float64) float64 { return c.S3.Capacity * float64(c.Prefixes) })
		p.Add(capLine)
		p.Legend.Add(fmt.Sprintf("capacity: %.0f PUT/s", c.S3.Capacity*float64(c.Prefixes)), capLine)
	}
	p.Legend.Top = true
	return bench.SaveChart(p, file)
}
