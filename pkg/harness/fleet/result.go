package fleet

import (
	"fmt"
	"time"
)

// Prices are the public list prices the costs use: us-east-1, as published
// on https://aws.amazon.com/lambda/pricing/ and
// https://aws.amazon.com/s3/pricing/ (S3 Standard), noted 2026-12-02.
// Every S3 request is counted, refused ones included: an upper bound.
var Prices = struct {
	Date           string
	LambdaGBSecond float64 // arm64
	LambdaRequest  float64
	S3Put, S3Get   float64
}{
	Date:           "2026-12-02",
	LambdaGBSecond: 0.0000133334,
	LambdaRequest:  0.20 / 1e6,
	S3Put:          0.005 / 1000,
	S3Get:          0.0004 / 1000,
}

// Result is what one run did.
type Result struct {
	Config Config

	Drain  time.Duration // virtual time from the first send to the last message handled
	Events int           // events the simulation ran

	Stored     int // distinct objects in the bucket
	Requests   int // S3 requests, every answer and the reads of duplicate checks
	Throttled  int // answered 503 SlowDown
	Faults     int // answered 500 or a dropped connection
	Duplicates int // PUTs of objects already there (a redelivery or a retry after a cut-off attempt)
	Retries    int

	Invocations, ColdStarts, PeakConcurrency int
	FailedRecords                            int // batchItemFailures, all invocations
	Redeliveries                             int // receives after the first
	DeadLettered                             int
	DeadLetteredByFunction                   int // of DeadLettered: sent by the function at once
	// PoisonToDLQ and PoisonToDLQMax are the median and the longest time
	// from the send to the dead-letter queue of a message that can never
	// be stored (Config.PoisonEvery).
	PoisonToDLQ, PoisonToDLQMax time.Duration
	// GoodToDLQ is when the first message that could be stored reached
	// the dead-letter queue; 0: none did.
	GoodToDLQ time.Duration
	// Tail is the drain's last percent: from the moment 99 % of the
	// messages had left the queue to the last one.
	Tail   time.Duration
	GaveUp int // Bench or Cutoff: failed records not redelivered, and batches never handed out
	NotRun int // of GaveUp: never handed out before the Cutoff
	Left   int // neither stored and deleted, nor dead-lettered, nor given up: the Horizon came first
	// Lost counts messages neither stored, nor dead-lettered, nor given
	// up: 0 unless the Horizon cut the run short.
	Lost int
	// StoredAndDeadLettered counts messages in both: an attempt cut off by
	// the deadline after S3 had stored it, its message then redelivered
	// until the DLQ took it (redriving it stores nothing twice).
	StoredAndDeadLettered int

	Billed          time.Duration // Lambda billed duration, init included
	CapacitySeconds float64       // ∫ capacity dt over the drain, all prefixes
	FinalCapacity   float64       // PUT/s at the end, all prefixes
	P50, P99        time.Duration // from send to stored

	Ticks   []Tick         // S3's answers per second
	Reasons map[string]int // failed records by the function's reason
}

// Goodput is objects stored per second of the drain.
func (r Result) Goodput() float64 {
	if r.Drain <= 0 {
		return 0
	}
	return float64(r.Stored) / r.Drain.Seconds()
}

// OfCapacity is the objects stored over what S3's capacity allowed during
// the drain; 0 without a limit.
func (r Result) OfCapacity() float64 {
	if r.CapacitySeconds <= 0 {
		return 0
	}
	return float64(r.Stored) / r.CapacitySeconds
}

// Waste is the extra S3 requests per object stored.
func (r Result) Waste() float64 {
	if r.Stored == 0 {
		return float64(r.Requests)
	}
	return float64(r.Requests-r.Stored) / float64(r.Stored)
}

// GBSeconds is the Lambda compute billed.
func (r Result) GBSeconds() float64 {
	return r.Billed.Seconds() * float64(r.Config.Function.MemoryMB) / 1024
}

// Cost is the Lambda and S3 bill of the run, in dollars: every request as
// a PUT but the duplicate checks' reads.
func (r Result) Cost() float64 {
	return r.GBSeconds()*Prices.LambdaGBSecond + float64(r.Invocations)*Prices.LambdaRequest +
		float64(r.Requests-r.Duplicates)*Prices.S3Put + float64(r.Duplicates)*Prices.S3Get
}

// CostPerMillion is Cost per million objects stored.
func (r Result) CostPerMillion() float64 {
	if r.Stored == 0 {
		return 0
	}
	return r.Cost() / float64(r.Stored) * 1e6
}

// Summary is the run on one line.
func (r Result) Summary() string {
	return fmt.Sprintf("%s: stored %d/%d, drain %.1fs, goodput %.0f/s (%.3f of capacity), waste %.3f, "+
		"throttled %d, retries %d, redelivered %d, DLQ %d (%d by the function), gave up %d, left %d, p50 %.1fs p99 %.1fs, tail %.1fs, "+
		"poison to DLQ %.1fs (max %.1fs), first good message in the DLQ at %.0fs, "+
		"invocations %d, cold %d, peak %d, %.0f GB-s, $%.2f per million, %d events",
		r.Config.Strategy, r.Stored, r.Config.Messages, r.Drain.Seconds(), r.Goodput(), r.OfCapacity(), r.Waste(),
		r.Throttled, r.Retries, r.Redeliveries, r.DeadLettered, r.DeadLetteredByFunction, r.GaveUp, r.Left, r.P50.Seconds(), r.P99.Seconds(), r.Tail.Seconds(),
		r.PoisonToDLQ.Seconds(), r.PoisonToDLQMax.Seconds(), r.GoodToDLQ.Seconds(),
		r.Invocations, r.ColdStarts, r.PeakConcurrency, r.GBSeconds(), r.CostPerMillion(), r.Events)
}

// Short is the run's main figures.
func (r Result) Short() string {
	return fmt.Sprintf("drain %.0fs, %.3f of capacity, waste %.3f, redelivered %d, DLQ %d, $%.2f/M",
		r.Drain.Seconds(), r.OfCapacity(), r.Waste(), r.Redeliveries, r.DeadLettered, r.CostPerMillion())
}
