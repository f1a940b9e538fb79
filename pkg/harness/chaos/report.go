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
		"requests=%d faults={%s} stored=%d dedups=%d checksums=%d done=%d dlq=%d {%s} {%s} {%s} permanent-by-function=%d dlq-copies=%d "+
		"dlq-sends=%d sqs-faults={%s} send-fallbacks=%d visibility=%d in %d calls (stale %d) delay-not-set=%d "+
		"lost=%d wrong-bytes=%d log-lines=%d wall=%v",
		r.Seed, r.Messages, r.Invocations, r.Deadlines, r.Kills, r.Storms, r.Receives, r.Redelivered, r.Again,
		r.Requests, counts(r.Faults), r.Stored, r.Dedups, r.Checksums, r.Done, r.DLQ, counts(r.DLQByKind), counts(r.DLQByRoute), counts(r.DLQByReason),
		r.PermanentByFunction, r.DLQCopies, r.DLQSends, counts(r.SQSFaults), r.SendFallbacks, r.Visibility, r.VisibilityCalls, r.StaleVisibility,
		r.DelayNotSet, r.Lost, r.WrongBytes, r.LogLines, r.Wall.Round(time.Millisecond))
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
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

	// The function's own routing (see Report).
	DLQByRoute, SQSFaults                        map[string]int
	PermanentByFunction, PermanentRuns           int // PermanentRuns: seeds with PermanentByFunction > 0
	DLQCopies, DLQSends, SendFallbacks           int
	VisibilityCalls, Visibility, StaleVisibility int
	DelayNotSet                                  int
}

// Add counts r in.
func (t *Totals) Add(r *Report) {
	if t.Faults == nil {
		t.Faults, t.ByKind, t.DLQByKind, t.DLQByReason = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
		t.DLQByRoute, t.SQSFaults = map[string]int{}, map[string]int{}
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
	t.addRouting(r)
	addCounts(t.Faults, r.Faults)
	addCounts(t.ByKind, r.ByKind)
	addCounts(t.DLQByKind, r.DLQByKind)
	addCounts(t.DLQByReason, r.DLQByReason)
	addCounts(t.DLQByRoute, r.DLQByRoute)
	addCounts(t.SQSFaults, r.SQSFaults)
}

func addCounts(to, from map[string]int) {
	for k, v := range from {
		to[k] += v
	}
}

// addRouting counts in the figures of the function's own routing.
func (t *Totals) addRouting(r *Report) {
	t.PermanentByFunction += r.PermanentByFunction
	if r.PermanentByFunction > 0 {
		t.PermanentRuns++
	}
	t.DLQCopies += r.DLQCopies
	t.DLQSends += r.DLQSends
	t.SendFallbacks += r.SendFallbacks
	t.VisibilityCalls += r.VisibilityCalls
	t.Visibility += r.Visibility
	t.StaleVisibility += r.StaleVisibility
	t.DelayNotSet += r.DelayNotSet
}

// Markdown is the figures as a README table.
func (t *Totals) Markdown() string {
	var b strings.Builder
	faults := sumOf(t.Faults)
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
	row("dead-lettered by route", fmt.Sprintf("%d by the function, %d by the queue's redrive; %d copies beyond each message's first",
		t.DLQByRoute[ByFunction.String()], t.DLQByRoute[ByRedrive.String()], t.DLQCopies))
	row("S3's permanent refusals dead-lettered by the function", fmt.Sprintf("%d (in %d of %d seeds)", t.PermanentByFunction, t.PermanentRuns, t.Seeds))
	row("SQS faults injected", fmt.Sprintf("%d requests failed (%s)", sumOf(t.SQSFaults), counts(t.SQSFaults)))
	row("dead-letter sends", fmt.Sprintf("%d taken; %d failed, the record reported failed instead", t.DLQSends, t.SendFallbacks))
	row("visibility changes", fmt.Sprintf("%d in %d ChangeMessageVisibilityBatch calls (%d for a delivery no longer in flight); %d calls failed, the delay not set",
		t.Visibility, t.VisibilityCalls, t.StaleVisibility, t.DelayNotSet))
	row("lost", t.Lost)
	row("wrong bytes", t.Wrong)
	row("invariant violations", t.Violations)
	row("wall time", t.Wall.Round(time.Second))
	return b.String()
}
