package emfmetrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/s3uploader/s3uploader/pkg/twin/logship"
)

// PutMetricData limits.
const (
	maxDatumsPerCall = 1000
	maxRequestBytes  = 1 << 20
	maxDistinctPer   = 150 // distinct values in one datum's Values
)

// CloudWatch is the part of the CloudWatch client a Publisher uses;
// *cloudwatch.Client satisfies it (for moto, build it with
// moto.CloudWatchOptions).
type CloudWatch interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Config sets a Publisher. The zero value means the defaults.
type Config struct {
	// FlushInterval is the most time a line waits before its metrics are
	// sent (default 1s).
	FlushInterval time.Duration
	// Tick starts the flush clock and returns its channel and a stop
	// function (default time.NewTicker). Tests hand in their own channel.
	Tick func(d time.Duration) (c <-chan time.Time, stop func())
}

// Publisher turns EMF log lines into PutMetricData calls, as CloudWatch
// Logs does in the cloud. Add and Write only queue (they may be called from
// any goroutine, with other locks held); lines are parsed and sent on
// every FlushInterval, on Flush and on Close. Call Close once, after the
// last Add or Write.
type Publisher struct {
	cw       CloudWatch
	queue    *logship.Queue[string]
	stopTick func()

	mu           sync.Mutex
	lastParseErr error
	lastPutErr   error

	published, failed, invalid atomic.Int64
}

// New starts a Publisher sending to cw.
func New(cw CloudWatch, cfg Config) *Publisher {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Tick == nil {
		cfg.Tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	p := &Publisher{cw: cw}
	tick, stopTick := cfg.Tick(cfg.FlushInterval)
	p.queue, p.stopTick = logship.NewQueue(tick, p.publish), stopTick
	return p
}

// Add queues one log line. Lines that cannot be JSON objects are dropped at
// once; the others are parsed at the next flush. Add after Close does
// nothing. Its signature fits logship.Config.Echo.
func (p *Publisher) Add(line string) {
	if maybeEMF(line) {
		p.queue.Add(line)
	}
}

// maybeEMF is a cheap test that line could hold an "_aws" member.
func maybeEMF(line string) bool {
	s := strings.TrimSpace(line)
	return strings.HasPrefix(s, "{") && strings.Contains(s, "aws")
}

// Published counts the datums CloudWatch accepted.
func (p *Publisher) Published() int64 { return p.published.Load() }

// Failed counts the datums lost because PutMetricData failed.
func (p *Publisher) Failed() int64 { return p.failed.Load() }

// Invalid counts the EMF documents rejected by Parse: CloudWatch would keep
// them as log events and publish none of their metrics.
func (p *Publisher) Invalid() int64 { return p.invalid.Load() }

// LastParseError is the error of the last invalid document, or nil.
func (p *Publisher) LastParseError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastParseErr
}

// Flush parses the queued lines and sends their metrics now, one namespace
// at a time, in calls of at most 1,000 datums and about 1 MB. It returns
// the PutMetricData errors, joined; their datums count as Failed and are
// not retried (the SDK's retryer has already retried them).
func (p *Publisher) Flush(ctx context.Context) error { return p.queue.Flush(ctx) }

// publish parses lines and sends their metrics, as Flush promises.
func (p *Publisher) publish(ctx context.Context, lines []string) error {
	byNS := map[string][]types.MetricDatum{}
	var order []string
	for _, l := range lines {
		ds, err := Parse(l)
		if err != nil {
			p.invalid.Add(1)
			p.mu.Lock()
			p.lastParseErr = err
			p.mu.Unlock()
			continue
		}
		for _, d := range ds {
			if _, ok := byNS[d.Namespace]; !ok {
				order = append(order, d.Namespace)
			}
			byNS[d.Namespace] = append(byNS[d.Namespace], metricData(d)...)
		}
	}
	var errs []error
	for _, ns := range order {
		data := byNS[ns]
		for len(data) > 0 {
			n := batchLen(ns, data)
			_, err := p.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data[:n]})
			if err != nil {
				p.failed.Add(int64(n))
				err = fmt.Errorf("put metric data %s: %w", ns, err)
				p.mu.Lock()
				p.lastPutErr = err
				p.mu.Unlock()
				errs = append(errs, err)
			} else {
				p.published.Add(int64(n))
			}
			data = data[n:]
		}
	}
	return errors.Join(errs...)
}

// Close stops the flusher and sends what is left. It fails if any datum
// could not be sent since New.
func (p *Publisher) Close(ctx context.Context) error {
	_ = p.queue.Close(ctx) // its errors are counted in Failed
	p.stopTick()
	if n := p.failed.Load(); n > 0 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Errorf("emfmetrics: %d datums could not be published: %w", n, p.lastPutErr)
	}
	return nil
}

// metricData converts d to PutMetricData datums: a single value as Value,
// an array as Values and Counts (duplicates counted), split into datums of
// at most 150 distinct values.
func metricData(d Datum) []types.MetricDatum {
	dims := make([]types.Dimension, 0, len(d.Dimensions))
	for _, dim := range d.Dimensions {
		dims = append(dims, types.Dimension{Name: aws.String(dim.Name), Value: aws.String(dim.Value)})
	}
	datum := func() types.MetricDatum {
		return types.MetricDatum{
			MetricName: aws.String(d.Name), Dimensions: dims, Timestamp: aws.Time(d.Time),
			Unit: d.Unit, StorageResolution: aws.Int32(d.StorageResolution),
		}
	}
	if len(d.Values) == 1 {
		m := datum()
		m.Value = aws.Float64(d.Values[0])
		return []types.MetricDatum{m}
	}
	values, counts := countValues(d.Values)
	var out []types.MetricDatum
	for len(values) > 0 {
		n := min(len(values), maxDistinctPer)
		m := datum()
		m.Values, m.Counts = values[:n], counts[:n]
		out = append(out, m)
		values, counts = values[n:], counts[n:]
	}
	return out
}

// countValues returns the distinct values of vs in first-seen order and how
// often each occurs.
func countValues(vs []float64) (values, counts []float64) {
	at := map[float64]int{}
	for _, v := range vs {
		if i, ok := at[v]; ok {
			counts[i]++
			continue
		}
		at[v] = len(values)
		values = append(values, v)
		counts = append(counts, 1)
	}
	return values, counts
}

// batchLen is how many of data's leading datums fit one PutMetricData call.
func batchLen(ns string, data []types.MetricDatum) int {
	size := 256 + 3*len(ns) // Action, Version, Namespace
	n := 0
	for n < len(data) && n < maxDatumsPerCall {
		sz := datumSize(data[n])
		if n > 0 && size+sz > maxRequestBytes {
			break
		}
		size += sz
		n++
	}
	return n
}

// datumSize bounds the size of d in a query-protocol request, the largest
// of the SDK's encodings: each field costs its key
// ("MetricData.member.1000.Dimensions.member.30.Value=") and its value,
// percent-encoded.
func datumSize(d types.MetricDatum) int {
	const field, number = 64, 32
	n := 3*field + 3*len(aws.ToString(d.MetricName)) + number + 3*len(d.Unit) + number // name, timestamp, unit
	n += field + number                                                                // storage resolution
	for _, dim := range d.Dimensions {
		n += 2*field + 3*(len(aws.ToString(dim.Name))+len(aws.ToString(dim.Value)))
	}
	if d.Value != nil {
		n += field + number
	}
	n += (len(d.Values) + len(d.Counts)) * (field + number)
	return n
}
