package bench

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// Result is what one run of a strategy did.
type Result struct {
	Strategy string
	Scenario Scenario

	Objects int // messages in the workload
	Stored  int // objects found in the bucket afterwards
	// GaveUp counts records reported failed and not stored: SQS would
	// redeliver them.
	GaveUp int
	// Lost counts records neither stored nor reported failed: acknowledged
	// and gone. It must be 0.
	Lost int
	// FailedStored counts records reported failed that were stored anyway
	// (a redelivery would find them: a duplicate, not a loss).
	FailedStored int
	// NotRun counts records never handed out before the Cutoff (counted in
	// GaveUp too).
	NotRun int
	// Prefixes holds, per prefix (pNN), what was stored there and when the
	// last of it was.
	Prefixes map[string]PrefixResult

	Requests  int // every request the server saw
	Throttled int // answered 503 SlowDown
	Errors    int // answered 500
	Wall      time.Duration

	Invocations  int // handler calls
	InvokeErrors int // handler calls that returned an error

	P50, P99 time.Duration // from the batch being handed over to the object stored

	Timeline []Tick        // server's view, per Tick interval from the first request
	Tick     time.Duration // length of a Timeline interval
	Throttle s3sim.ThrottleStats
}

// PrefixResult is what one prefix of a run stored.
type PrefixResult struct {
	Objects, Stored int
	Last            time.Duration // from the first request to the last object stored
}

// Throughput is objects stored per second until the prefix's last.
func (p PrefixResult) Throughput() float64 {
	if p.Last <= 0 {
		return 0
	}
	return float64(p.Stored) / p.Last.Seconds()
}

// Waste is the requests beyond one per stored object, per stored object.
func (r Result) Waste() float64 {
	if r.Stored == 0 {
		return float64(r.Requests)
	}
	return float64(r.Requests-r.Stored) / float64(r.Stored)
}

// Efficiency is the ideal time for the objects stored, at the throttle's
// rate, over the wall time: 1 means the throttle's full rate was used.
// Without a throttle it is 0.
func (r Result) Efficiency() float64 {
	allowed := r.Scenario.Sim.Rate * float64(max(1, r.Scenario.Prefixes))
	if allowed <= 0 || r.Wall <= 0 {
		return 0
	}
	return float64(r.Stored) / allowed / r.Wall.Seconds()
}

// Throughput is objects stored per second of wall time.
func (r Result) Throughput() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Stored) / r.Wall.Seconds()
}

// account compares what the handlers reported with what the bucket holds.
func account(sc Scenario, name string, msgs []events.SQSMessage, keyOf map[string]string,
	listed, failed map[string]bool, handed map[string]time.Time, snap snapshot) Result {
	r := Result{Strategy: name, Scenario: sc, Objects: len(msgs),
		Requests: snap.requests, Throttled: snap.byStatus[http.StatusServiceUnavailable],
		Errors: snap.byStatus[http.StatusInternalServerError], Timeline: snap.ticks, Tick: snap.tick}
	var lat []time.Duration
	r.Prefixes = make(map[string]PrefixResult)
	for _, m := range msgs {
		key := keyOf[m.MessageId]
		stored := listed[key]
		pfx := prefixOf(key)
		pr := r.Prefixes[pfx]
		pr.Objects++
		if at, ok := snap.stored[key]; ok && stored {
			pr.Stored++
			pr.Last = max(pr.Last, at.Sub(snap.start))
		}
		r.Prefixes[pfx] = pr
		switch {
		case stored && failed[m.MessageId]:
			r.Stored++
			r.FailedStored++
		case stored:
			r.Stored++
		case failed[m.MessageId]:
			r.GaveUp++
		default:
			r.Lost++
		}
		if at, ok := snap.stored[key]; ok && stored {
			if t0, ok := handed[m.MessageId]; ok {
				lat = append(lat, at.Sub(t0))
			}
		}
	}
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return r
}

// prefixOf returns the pNN segment of a benchmark key or partition path
// (the first segment of 'p' and digits), or "" without one.
func prefixOf(path string) string {
	for seg := range strings.SplitSeq(path, "/") {
		if len(seg) >= 2 && seg[0] == 'p' && strings.Trim(seg[1:], "0123456789") == "" {
			return seg
		}
	}
	return ""
}

// percentile returns the q-quantile of ds (nearest rank), 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
