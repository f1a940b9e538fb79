package emfmetrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// fakeCW records PutMetricData calls; err, if set, decides each call's
// answer. Every call is also signalled on calls, if set.
type fakeCW struct {
	mu    sync.Mutex
	ins   []*cloudwatch.PutMetricDataInput
	err   func(*cloudwatch.PutMetricDataInput) error
	calls chan struct{}
}

func (f *fakeCW) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.mu.Lock()
	f.ins = append(f.ins, in)
	f.mu.Unlock()
	if f.calls != nil {
		f.calls <- struct{}{}
	}
	if f.err != nil {
		if err := f.err(in); err != nil {
			return nil, err
		}
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// sizes returns each call's namespace and datum count, e.g. "A:1000".
func (f *fakeCW) sizes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, in := range f.ins {
		out = append(out, fmt.Sprintf("%s:%d", aws.ToString(in.Namespace), len(in.MetricData)))
	}
	return out
}

// line is one EMF document of namespace ns holding metric name with value v.
func line(ns, name string, v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":%q,"Dimensions":[["FunctionName"]],"Metrics":[{"Name":%q,"Unit":"Count"}]}]},"FunctionName":"f",%q:%s}`,
		t0.UnixMilli(), ns, name, name, b)
}

// noTick is a flush clock that never ticks.
func noTick(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }

func TestPublisherBatches(t *testing.T) {
	cw := &fakeCW{}
	p := New(cw, Config{Tick: noTick})
	for i := range 2500 {
		p.Add(line("A", fmt.Sprintf("M%d", i), i))
	}
	p.Add(line("B", "Received", 1))
	p.Add(line("A", "Late", 1))
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if got, want := strings.Join(cw.sizes(), " "), "A:1000 A:1000 A:501 B:1"; got != want {
		t.Errorf("calls = %s; want %s", got, want)
	}
	if got := p.Published(); got != 2502 {
		t.Errorf("Published() = %d; want 2502", got)
	}
	first := cw.ins[0].MetricData[0]
	if aws.ToString(first.MetricName) != "M0" || !aws.ToTime(first.Timestamp).Equal(t0) || first.Unit != types.StandardUnitCount ||
		aws.ToFloat64(first.Value) != 0 || aws.ToInt32(first.StorageResolution) != 60 ||
		len(first.Dimensions) != 1 || aws.ToString(first.Dimensions[0].Value) != "f" {
		t.Errorf("first datum = %+v; want M0=0 Count at %v with FunctionName=f", first, t0)
	}
}

// TestPublisherRequestSize sends datums with 100 distinct values each: 1,000
// of them would be a request of several MB, so they must be split.
func TestPublisherRequestSize(t *testing.T) {
	cw := &fakeCW{}
	p := New(cw, Config{Tick: noTick})
	values := make([]float64, 100)
	for i := range values {
		values[i] = 1.0 / float64(i+3)
	}
	for i := range 1000 {
		p.Add(line("A", fmt.Sprintf("Metric%d", i), values))
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, in := range cw.ins {
		total += len(in.MetricData)
		size := 0
		for _, d := range in.MetricData {
			size += datumSize(d)
		}
		if size > maxRequestBytes {
			t.Errorf("a call of %d datums is about %d bytes; want at most %d", len(in.MetricData), size, maxRequestBytes)
		}
		if b, _ := json.Marshal(in); len(b) > maxRequestBytes {
			t.Errorf("a call of %d datums is %d bytes as JSON; want at most %d", len(in.MetricData), len(b), maxRequestBytes)
		}
	}
	if total != 1000 || len(cw.ins) < 2 {
		t.Errorf("%d datums in %d calls; want 1000 in several", total, len(cw.ins))
	}
}

func TestMetricData(t *testing.T) {
	many := make([]float64, 0, 400)
	for i := range 200 {
		many = append(many, float64(i), float64(i)) // 200 distinct values, each twice
	}
	tests := map[string]struct {
		values []float64
		want   []string // Value, or Values/Counts, of each datum
	}{
		"one value":      {[]float64{3}, []string{"value 3"}},
		"array":          {[]float64{1, 1, 2, 1}, []string{"values [1 2] counts [3 1]"}},
		"array of one":   {[]float64{0}, []string{"value 0"}},
		"all different":  {[]float64{5, 4}, []string{"values [5 4] counts [1 1]"}},
		"over 150 kinds": {many, []string{"values 150 counts 300", "values 50 counts 100"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, m := range metricData(Datum{Namespace: "N", Name: "A", Unit: "Count", StorageResolution: 1, Values: tt.values, Time: t0}) {
				if aws.ToString(m.MetricName) != "A" || aws.ToInt32(m.StorageResolution) != 1 || !aws.ToTime(m.Timestamp).Equal(t0) {
					t.Errorf("datum %+v lost its name, resolution or time", m)
				}
				switch {
				case m.Value != nil:
					got = append(got, fmt.Sprintf("value %v", *m.Value))
				case len(m.Values) > 10:
					sum := 0.0
					for _, c := range m.Counts {
						sum += c
					}
					got = append(got, fmt.Sprintf("values %d counts %v", len(m.Values), sum))
				default:
					got = append(got, fmt.Sprintf("values %v counts %v", m.Values, m.Counts))
				}
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("metricData(%v) = %q; want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestPublisherFailedAndInvalid(t *testing.T) {
	cw := &fakeCW{err: func(in *cloudwatch.PutMetricDataInput) error {
		if aws.ToString(in.Namespace) == "Bad" {
			return errors.New("throttled")
		}
		return nil
	}}
	p := New(cw, Config{Tick: noTick})
	p.Add(line("Good", "A", 1))
	p.Add(line("Bad", "A", 1))
	p.Add(line("Bad", "B", []int{1, 2}))
	p.Add(line("Good", "Retries", "three"))
	p.Add("plain text")
	p.Add(`{"msg":"no metrics here"}`)
	err := p.Flush(context.Background())
	if err == nil || err.Error() != "put metric data Bad: throttled" {
		t.Errorf("Flush = %v; want put metric data Bad: throttled", err)
	}
	if got, want := fmt.Sprint(p.Published(), p.Failed(), p.Invalid()), "1 2 1"; got != want {
		t.Errorf("Published, Failed, Invalid = %s; want %s", got, want)
	}
	if err := p.LastParseError(); err == nil || err.Error() != `emf: metric "Retries" is not a number or an array of numbers` {
		t.Errorf("LastParseError() = %v", err)
	}
	err = p.Close(context.Background())
	if err == nil || err.Error() != "emfmetrics: 2 datums could not be published: put metric data Bad: throttled" {
		t.Errorf("Close = %v", err)
	}
}

func TestPublisherTick(t *testing.T) {
	tick := make(chan time.Time)
	var interval time.Duration
	stopped := false
	cw := &fakeCW{calls: make(chan struct{}, 1)}
	p := New(cw, Config{FlushInterval: 250 * time.Millisecond, Tick: func(d time.Duration) (<-chan time.Time, func()) {
		interval = d
		return tick, func() { stopped = true }
	}})
	if interval != 250*time.Millisecond {
		t.Errorf("Tick(%v); want Tick(250ms)", interval)
	}
	p.Add(line("A", "Received", 4))
	tick <- t0
	select {
	case <-cw.calls:
	case <-time.After(10 * time.Second):
		t.Fatal("no PutMetricData after a tick")
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cw.sizes(), " "); got != "A:1" {
		t.Errorf("calls = %s; want A:1 (sent on the tick, nothing left for Close)", got)
	}
	if !stopped {
		t.Error("Close did not stop the flush clock")
	}
}

// TestPublisherAdd: lines that are not EMF are dropped, and a line added
// after Close is not sent.
func TestPublisherAdd(t *testing.T) {
	cw := &fakeCW{}
	p := New(cw, Config{Tick: noTick})
	for _, l := range []string{line("A", "Received", 1), "START RequestId: 1", line("A", "Uploaded", 2), line("A", "Failed", 3)} {
		p.Add(l)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Add(line("A", "AfterClose", 1))
	var names []string
	for _, in := range cw.ins {
		for _, d := range in.MetricData {
			names = append(names, aws.ToString(d.MetricName))
		}
	}
	if got := strings.Join(names, " "); got != "Received Uploaded Failed" {
		t.Errorf("published %s; want Received Uploaded Failed", got)
	}
}

func TestPublisherConcurrent(t *testing.T) {
	cw := &fakeCW{}
	p := New(cw, Config{FlushInterval: time.Millisecond})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				p.Add(line("A", fmt.Sprintf("G%dM%d", g, i), i))
				if i%25 == 0 {
					_ = p.Flush(context.Background())
				}
			}
		})
	}
	wg.Wait()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.Published(); got != 800 {
		t.Errorf("Published() = %d; want 800", got)
	}
}
