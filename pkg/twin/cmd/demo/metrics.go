package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// metricNames are the function's EMF metrics (pkg/uploader), in the order
// the summary prints them.
var metricNames = []string{"Received", "Uploaded", "Duplicates", "Failed", "Retries", "Throttles"}

// runMetrics is what the local CloudWatch holds of the run: the metrics
// the function's EMF documents became, read back with
// GetMetricStatistics, as `aws cloudwatch get-metric-statistics` would.
type runMetrics struct {
	Namespace, FunctionName string
	Sums                    map[string]float64   // over the run
	PerSecond               map[string][]float64 // Sum per second since the first message was sent
	Published, Failed       int64                // datums put, and lost, by the twin's extraction
	Invalid                 int64                // EMF documents it rejected
}

func metricsNamespace(st *deployed.Stack) string {
	if ns := st.Env["METRICS_NAMESPACE"]; ns != "" {
		return ns
	}
	return uploader.DefaultMetricsNamespace
}

// readMetrics reads each of the function's metrics between begin and end,
// one point per second. moto keeps the seconds; CloudWatch keeps
// standard-resolution metrics per minute, so in the cloud the same query
// takes --period 60.
func readMetrics(ctx context.Context, cw *cloudwatch.Client, st *deployed.Stack, begin, end time.Time) (runMetrics, error) {
	m := runMetrics{
		Namespace: metricsNamespace(st), FunctionName: st.FunctionName,
		Sums: map[string]float64{}, PerSecond: map[string][]float64{},
	}
	seconds := int(math.Ceil(end.Sub(begin).Seconds())) + 1
	for _, name := range metricNames {
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace:  aws.String(m.Namespace),
			MetricName: aws.String(name),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(st.FunctionName)}},
			StartTime:  aws.Time(begin.Add(-time.Second).Truncate(time.Second)),
			EndTime:    aws.Time(end.Add(time.Minute)),
			Period:     aws.Int32(1),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
		})
		if err != nil {
			return m, fmt.Errorf("get-metric-statistics %s %s: %w", m.Namespace, name, err)
		}
		per := make([]float64, seconds)
		for _, dp := range out.Datapoints {
			v := aws.ToFloat64(dp.Sum)
			m.Sums[name] += v
			i := int(aws.ToTime(dp.Timestamp).Sub(begin) / time.Second)
			per[min(max(i, 0), seconds-1)] += v
		}
		m.PerSecond[name] = per
	}
	return m, nil
}
