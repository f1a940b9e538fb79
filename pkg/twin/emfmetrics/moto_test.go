package emfmetrics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/s3uploader/s3uploader/pkg/emf"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestMoto publishes documents written by emf.Document.Write to a real moto
// server and reads them back with the SDK.
func TestMoto(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	// The publisher's client gzips every request, to show moto takes it.
	pubClient := cloudwatch.NewFromConfig(cfg, moto.CloudWatchOptions, func(o *cloudwatch.Options) {
		o.RequestMinCompressSizeBytes = 0
	})
	cw := cloudwatch.NewFromConfig(cfg, moto.CloudWatchOptions)

	// Three invocations of "uploader" (two in one minute, one in the next)
	// and one of "other".
	minute := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	docs := []struct {
		fn                 string
		at                 time.Duration
		received, failures float64
	}{
		{"uploader", 5 * time.Second, 10, 1},
		{"uploader", 25 * time.Second, 20, 2},
		{"uploader", 65 * time.Second, 5, 0},
		{"other", 5 * time.Second, 100, 50},
	}
	p := New(pubClient, Config{})
	for _, d := range docs {
		doc := emf.Document{
			Namespace: "S3Uploader", Dimensions: map[string]string{"FunctionName": d.fn}, Time: minute.Add(d.at),
			Metrics: []emf.Metric{{Name: "Received", Unit: "Count", Value: d.received}, {Name: "Failed", Unit: "Count", Value: d.failures}},
		}
		var b strings.Builder
		if err := doc.Write(&b); err != nil {
			t.Fatal(err)
		}
		p.Add(strings.TrimSuffix(b.String(), "\n"))
	}
	// A high-resolution array, in a namespace of its own.
	p.Add(fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"Twin","Dimensions":[["FunctionName"]],`+
		`"Metrics":[{"Name":"Latency","Unit":"Milliseconds","StorageResolution":1}]}]},"FunctionName":"uploader","Latency":[3,3,4]}`,
		minute.Add(5*time.Second).UnixMilli()))
	p.Add(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"S3Uploader","Dimensions":[[]],"Metrics":[{"Name":"Retries"}]}]}}`)
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if got := fmt.Sprint(p.Published(), p.Failed(), p.Invalid()); got != "9 0 1" {
		t.Errorf("Published, Failed, Invalid = %s; want 9 0 1", got)
	}

	stats := func(ns, name, fn string, period int32) string {
		t.Helper()
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String(ns), MetricName: aws.String(name),
			Dimensions: []types.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(fn)}},
			StartTime:  aws.Time(minute), EndTime: aws.Time(minute.Add(3 * time.Minute)), Period: aws.Int32(period),
			Statistics: []types.Statistic{types.StatisticSum, types.StatisticSampleCount},
		})
		if err != nil {
			t.Fatalf("GetMetricStatistics %s %s: %v", ns, name, err)
		}
		slices.SortFunc(out.Datapoints, func(a, b types.Datapoint) int { return aws.ToTime(a.Timestamp).Compare(aws.ToTime(b.Timestamp)) })
		var pts []string
		for _, d := range out.Datapoints {
			// moto stamps a period with its first datum's time, CloudWatch
			// with the period's start: compare periods by number.
			k := aws.ToTime(d.Timestamp).Sub(minute) / (time.Duration(period) * time.Second)
			pts = append(pts, fmt.Sprintf("[%d] sum=%v n=%v %s", k, aws.ToFloat64(d.Sum), aws.ToFloat64(d.SampleCount), d.Unit))
		}
		return strings.Join(pts, "; ")
	}
	tests := []struct {
		ns, name, fn string
		period       int32
		want         string
	}{
		{"S3Uploader", "Received", "uploader", 60, "[0] sum=30 n=2 Count; [1] sum=5 n=1 Count"},
		{"S3Uploader", "Failed", "uploader", 60, "[0] sum=3 n=2 Count; [1] sum=0 n=1 Count"},
		{"S3Uploader", "Received", "other", 60, "[0] sum=100 n=1 Count"},
		{"S3Uploader", "Received", "uploader", 180, "[0] sum=35 n=3 Count"},
		// moto answers standard-resolution data per second.
		{"S3Uploader", "Received", "uploader", 1, "[5] sum=10 n=1 Count; [25] sum=20 n=1 Count; [65] sum=5 n=1 Count"},
		{"Twin", "Latency", "uploader", 1, "[5] sum=10 n=3 Milliseconds"},
	}
	for _, tt := range tests {
		if got := stats(tt.ns, tt.name, tt.fn, tt.period); got != tt.want {
			t.Errorf("GetMetricStatistics(%s %s FunctionName=%s, period %d) = %s; want %s", tt.ns, tt.name, tt.fn, tt.period, got, tt.want)
		}
	}

	// GetMetricData with Period 1 gives the per-second series a chart wants.
	md, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(minute), EndTime: aws.Time(minute.Add(3 * time.Minute)), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("received"), MetricStat: &types.MetricStat{
			Period: aws.Int32(1), Stat: aws.String("Sum"),
			Metric: &types.Metric{Namespace: aws.String("S3Uploader"), MetricName: aws.String("Received"),
				Dimensions: []types.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("uploader")}}},
		}}},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	var series []string
	for _, r := range md.MetricDataResults {
		for i, ts := range r.Timestamps {
			series = append(series, fmt.Sprintf("+%v=%v", ts.Sub(minute), r.Values[i]))
		}
	}
	slices.Sort(series)
	if got, want := strings.Join(series, " "), "+1m5s=5 +25s=20 +5s=10"; got != want {
		t.Errorf("GetMetricData(Period 1) = %s; want %s", got, want)
	}

	lm, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("S3Uploader")})
	if err != nil {
		t.Fatalf("ListMetrics: %v", err)
	}
	var metrics []string
	for _, m := range lm.Metrics {
		var dims []string
		for _, d := range m.Dimensions {
			dims = append(dims, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
		}
		metrics = append(metrics, aws.ToString(m.MetricName)+"{"+strings.Join(dims, ",")+"}")
	}
	slices.Sort(metrics)
	want := "Failed{FunctionName=other} Failed{FunctionName=uploader} Received{FunctionName=other} Received{FunctionName=uploader}"
	if got := strings.Join(metrics, " "); got != want {
		t.Errorf("ListMetrics(S3Uploader) = %s; want %s", got, want)
	}
}
