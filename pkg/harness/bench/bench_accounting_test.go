package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

func TestAccount(t *testing.T) {
	sc := Scenario{Objects: 4, Sim: SimConfig{Rate: 2}}.withDefaults()
	msgs, keys := sc.Messages("u/")
	keyOf := map[string]string{}
	for i, m := range msgs {
		keyOf[m.MessageId] = keys[i]
	}
	t0 := time.Unix(100, 0)
	listed := map[string]bool{keys[0]: true, keys[1]: true, "u/stray": true}
	failed := map[string]bool{msgs[1].MessageId: true, msgs[2].MessageId: true}
	handed := map[string]time.Time{}
	for _, m := range msgs {
		handed[m.MessageId] = t0
	}
	snap := snapshot{requests: 7, byStatus: map[int]int{200: 2, 503: 5},
		stored: map[string]time.Time{keys[0]: t0.Add(10 * time.Millisecond), keys[1]: t0.Add(30 * time.Millisecond)}}
	r := account(sc, "test", msgs, keyOf, listed, failed, handed, snap)
	r.Wall = time.Second

	type counts struct {
		Objects, Stored, FailedStored, GaveUp, Lost, Requests, Throttled int
		P50, P99                                                         time.Duration
	}
	want := counts{Objects: 4, Stored: 2, FailedStored: 1, GaveUp: 1, Lost: 1, Requests: 7, Throttled: 5,
		P50: 10 * time.Millisecond, P99: 30 * time.Millisecond}
	got := counts{Objects: r.Objects, Stored: r.Stored, FailedStored: r.FailedStored, GaveUp: r.GaveUp, Lost: r.Lost,
		Requests: r.Requests, Throttled: r.Throttled, P50: r.P50, P99: r.P99}
	if got != want {
		t.Errorf("account = %+v; want %+v", got, want)
	}
	if w := r.Waste(); w != 2.5 {
		t.Errorf("Waste = %v; want 2.5 ((7 requests − 2 stored) / 2)", w)
	}
	if e := r.Efficiency(); e != 1 {
		t.Errorf("Efficiency = %v; want 1 (2 objects at 2/s in 1s)", e)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	tests := map[string]struct {
		q    float64
		want time.Duration
	}{"min": {0, 1}, "median": {0.5, 3}, "p99": {0.99, 5}, "max": {1, 5}}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := percentile(ds, tc.q); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v; want %v", ds, tc.q, got, tc.want)
			}
		})
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v; want 0", got)
	}
}

// A handler that acknowledges everything and stores nothing loses every
// record, and the listing of the bucket must say so.
func TestRunCountsLostRecords(t *testing.T) {
	liar := Strategy{Name: "liar", New: func(context.Context, string, uploader.Config) (HandlerFunc, error) {
		return func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}, nil
	}}
	r, err := Run(context.Background(), Scenario{Objects: 30, Instances: 2}, liar)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lost != 30 || r.Stored != 0 || r.GaveUp != 0 {
		t.Errorf("Run(liar) = stored %d, gave up %d, lost %d; want 0, 0, 30", r.Stored, r.GaveUp, r.Lost)
	}
}

// The project's handler and no retry against a tight throttle: every
// object is stored or reported, the listing agrees with the server's
// count, and without retries some are given up.
func TestRunAccountsEveryRecord(t *testing.T) {
	sc := Scenario{Objects: 120, Instances: 3, Sim: SimConfig{Rate: 300, Burst: 5}}
	for _, st := range []Strategy{Project(), NoRetry()} {
		t.Run(st.Name, func(t *testing.T) {
			r, err := Run(context.Background(), sc, st)
			if err != nil {
				t.Fatal(err)
			}
			if r.Stored+r.GaveUp+r.Lost != r.Objects || r.Lost != 0 {
				t.Errorf("stored %d + gave up %d + lost %d; want %d, none lost", r.Stored, r.GaveUp, r.Lost, r.Objects)
			}
			if admitted := int(r.Throttle.Admitted); admitted != r.Stored {
				t.Errorf("throttle admitted %d PUTs, listing found %d objects; want equal", admitted, r.Stored)
			}
			if r.Requests != r.Stored+r.Throttled {
				t.Errorf("requests %d; want stored %d + 503s %d", r.Requests, r.Stored, r.Throttled)
			}
			if st.Name == NoRetry().Name && r.GaveUp == 0 {
				t.Errorf("no retry gave up nothing against a burst of 5; want some given up")
			}
			if st.Name == Project().Name && r.GaveUp != 0 {
				t.Errorf("this project gave up %d; want 0", r.GaveUp)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	runs := []Result{
		{Stored: 10, Requests: 11, Wall: time.Second, Scenario: Scenario{Sim: SimConfig{Rate: 10}}},
		{Stored: 10, Requests: 12, Wall: 2 * time.Second, Scenario: Scenario{Sim: SimConfig{Rate: 10}}},
		{Stored: 10, Requests: 13, Wall: 4 * time.Second, Scenario: Scenario{Sim: SimConfig{Rate: 10}}},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, []Summary{{Strategy: "s", Runs: runs}}); err != nil {
		t.Fatal(err)
	}
	// Medians with [min–max]: 12 requests [11–13], efficiency 0.50 [0.25–1.00].
	for _, want := range []string{"| s | 10 | 0 | 0 | 12 [11–13] |", "| 0.50 [0.25–1.00] |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("WriteTable =\n%s\nwant it to contain %q", b.String(), want)
		}
	}
}
