package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// String is one line of figures.
func (r *Report) String() string {
	return fmt.Sprintf("seed=%d messages=%d invocations=%d deadlines=%d kills=%d storms=%d receives=%d redelivered=%d again=%d "+
		"requests=%d faults={%s} stored=%d dedups=%d checksums=%d done=%d dlq=%d {%s} {%s} lost=%d wrong-bytes=%d log-lines=%d wall=%v",
		r.Seed, r.Messages, r.Invocations, r.Deadlines, r.Kills, r.Storms, r.Receives, r.Redelivered, r.Again,
		r.Requests, counts(r.Faults), r.Stored, r.Dedups, r.Checksums, r.Done, r.DLQ, counts(r.DLQByKind), counts(r.DLQByReason),
		r.Lost, r.WrongBytes, r.LogLines, r.Wall.Round(time.Millisecond))
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// Totals adds up reports of many seeds.
type Totals struct {
	Seeds                                             int
	Messages, Invocations, Deadlines, Kills, Storms   int
	Receives, Redelivered, Again, Requests            int
	Stored, Dedups, Checksums, Done, DLQ, Lost, Wrong int
	Violations                                        int
	Faults, ByKind, DLQByKind, DLQByReason            map[string]int
	Wall                                              time.Duration
}

// Add counts r in.
func (t *Totals) Add(r *Report) {
	if t.Faults == nil {
		t.Faults, t.ByKind, t.DLQByKind, t.DLQByReason = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	}
	t.Seeds++
	t.Messages += r.Messages
	t.Invocations += r.Invocations
	t.Deadlines += r.Deadlines
	t.Kills += r.Kills
	t.Storms += r.Storms
	t.Receives += r.Receives
	t.Redelivered += r.Redelivered
	t.Again += r.Again
	t.Requests += r.Requests
	t.Stored += r.Stored
	t.Dedups += r.Dedups
	t.Checksums += r.Checksums
	t.Done += r.Done
	t.DLQ += r.DLQ
	t.Lost += r.Lost
	t.Wrong += r.WrongBytes
	t.Violations += len(r.Violations)
	for k, v := range r.Faults {
		t.Faults[k] += v
	}
	for k, v := range r.ByKind {
		t.ByKind[k] += v
	}
	for k, v := range r.DLQByKind {
		t.DLQByKind[k] += v
	}
	for k, v := range r.DLQByReason {
		t.DLQByReason[k] += v
	}
}

// Markdown is the figures as a README table.
func (t *Totals) Markdown() string {
	var b strings.Builder
	faults := 0
	for _, v := range t.Faults {
		faults += v
	}
	row := func(k string, v any) { fmt.Fprintf(&b, "| %s | %v |\n", k, v) }
	b.WriteString("| | |\n|---|---|\n")
	row("seeds run", t.Seeds)
	row("messages sent", fmt.Sprintf("%d (%s)", t.Messages, counts(t.ByKind)))
	row("invocations", fmt.Sprintf("%d (deadline hit mid-batch: %d, environment killed mid-batch: %d, during a SlowDown storm: %d)",
		t.Invocations, t.Deadlines, t.Kills, t.Storms))
	row("S3 requests by the function", t.Requests)
	row("faults injected", fmt.Sprintf("%d (%s)", faults, counts(t.Faults)))
	row("deliveries", fmt.Sprintf("%d, of which redeliveries %d (and %d deleted messages SQS delivered again)", t.Receives, t.Redelivered, t.Again))
	row("objects stored", fmt.Sprintf("%d (checksums verified by the server on %d PUTs; %d redeliveries found their object already there)", t.Stored, t.Checksums, t.Dedups))
	row("dead-lettered", fmt.Sprintf("%d (by kind %s; by last failure %s)", t.DLQ, counts(t.DLQByKind), counts(t.DLQByReason)))
	row("lost", t.Lost)
	row("wrong bytes", t.Wrong)
	row("invariant violations", t.Violations)
	row("wall time", t.Wall.Round(time.Second))
	return b.String()
}
