package fleet

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/s3uploader/s3uploader/pkg/batch"
)

// world is one run's state.
type world struct {
	cfg            Config
	l              *loop
	q              *queue
	s3             *bucket
	rng            *rand.Rand // the fleet's draws: polls, invokes, cold starts
	msgs           []*message
	scopes         []string
	oracle         *oracle
	attemptTimeout time.Duration
	newRetrier     func(id int) retrier

	idle                 []*instance
	instances            []*instance
	waiting              []func()
	pollers, peakPollers int
	running              int

	coldStarts, invocations, retries, failedRecords int
	billed                                          time.Duration
	reasons                                         map[string]int
}

// Run simulates cfg and returns what happened.
func Run(cfg Config) (Result, error) {
	if err := cfg.Check(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	l := &loop{}
	w := &world{cfg: cfg, l: l,
		rng:    rand.New(rand.NewPCG(cfg.Seed, 1)),
		s3:     newBucket(cfg.S3, cfg.Prefixes, cfg.Messages, rand.New(rand.NewPCG(cfg.Seed, 2))),
		oracle: newOracle(cfg), reasons: make(map[string]int),
	}
	if cfg.Strategy != "sdk" {
		w.attemptTimeout = cfg.Function.AttemptTimeout
	}
	for p := range cfg.Prefixes {
		w.scopes = append(w.scopes, fmt.Sprintf("uploads/p%02d/", p))
	}
	fn, err := functionConfig(cfg.Function)
	if err != nil {
		return Result{}, fmt.Errorf("function settings: %w", err)
	}
	w.newRetrier = func(id int) retrier {
		return newRetrier(cfg, fn, rand.New(rand.NewPCG(cfg.Seed, uint64(1000+id))), w.scopes, w.oracle)
	}
	w.q = &queue{l: l, visibility: cfg.Fleet.Visibility, maxReceive: cfg.Fleet.MaxReceiveCount,
		noRedrive: cfg.Bench, onVisible: w.wake, p99: (cfg.Messages*99 + 99) / 100}
	if !cfg.Function.NoRouting {
		jitter := rand.New(rand.NewPCG(cfg.Seed, 3))
		base := cmp.Or(cfg.Function.RedeliveryBase, batch.DefaultRedeliveryBase)
		limit := cmp.Or(cfg.Function.RedeliveryMax, batch.DefaultRedeliveryMax)
		w.q.redelivery = func(receives int) time.Duration {
			return batch.RedeliveryDelay(receives, base, limit, jitter.Float64())
		}
	}
	w.msgs = make([]*message, cfg.Messages)
	for i := range w.msgs {
		w.msgs[i] = &message{id: i, prefix: i % cfg.Prefixes, poison: cfg.PoisonEvery > 0 && i%cfg.PoisonEvery == cfg.PoisonEvery-1}
		w.q.ready = append(w.q.ready, w.msgs[i])
	}
	w.startPollers()
	done := func() bool {
		return w.running == 0 && (!w.q.pending() || cfg.Cutoff > 0 && l.now >= cfg.Cutoff)
	}
	l.run(cfg.Horizon, done)
	return w.result(), nil
}

// result sums a finished run up.
func (w *world) result() Result {
	cfg := w.cfg
	r := Result{Config: cfg, Drain: w.l.now, Events: w.l.ran,
		Requests: w.s3.requests, Throttled: w.s3.throttled, Faults: w.s3.faults, Duplicates: w.s3.duplicates,
		Retries: w.retries, Invocations: w.invocations, ColdStarts: w.coldStarts, PeakConcurrency: w.peakPollers,
		FailedRecords: w.failedRecords, Redeliveries: w.q.redelivered, DeadLettered: w.q.deadLettered,
		GaveUp: w.q.gaveUp, Billed: w.billed, Ticks: w.s3.ticks, Reasons: w.reasons}
	r.DeadLetteredByFunction, r.Tail = w.q.byFunction, w.l.now-w.q.at99
	var lat, poison []time.Duration
	for _, m := range w.msgs {
		switch {
		case m.poison && m.fate == deadLettered:
			poison = append(poison, m.doneAt)
		case m.fate == deadLettered && (r.GoodToDLQ == 0 || m.doneAt < r.GoodToDLQ):
			r.GoodToDLQ = m.doneAt
		}
		stored := w.s3.stored[m.id]
		if stored {
			r.Stored++
		}
		switch {
		case m.done():
		case m.receives == 0 && cfg.Cutoff > 0:
			r.NotRun++
			m.fate = gaveUp
		default:
			r.Left++
		}
		switch {
		case stored && m.fate == deadLettered:
			r.StoredAndDeadLettered++
		case !stored && m.fate != deadLettered && m.fate != gaveUp:
			r.Lost++
		}
		if t := w.s3.storedAt[m.id]; t > 0 {
			lat = append(lat, t)
		}
	}
	r.GaveUp += r.NotRun
	if len(poison) > 0 {
		slices.Sort(poison)
		r.PoisonToDLQ, r.PoisonToDLQMax = poison[len(poison)/2], poison[len(poison)-1]
	}
	r.CapacitySeconds = w.s3.capacitySeconds(w.l.now)
	r.FinalCapacity = w.s3.capacityAt(w.l.now)
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50 = lat[len(lat)/2]
		r.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}
