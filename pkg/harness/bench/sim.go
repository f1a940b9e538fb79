package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// Bucket is the bucket every scenario writes to.
const Bucket = "bench"

// SimConfig sets the simulated S3.
type SimConfig struct {
	Rate  float64 // PUTs per second per prefix; 0: no throttle
	Burst int     // token bucket size per prefix; 0: s3sim's default
	// PrefixRates, when set, gives prefix pNN the rate PrefixRates[NN]
	// (≤ 0: unlimited) instead of Rate; prefixes past its end get Rate.
	PrefixRates []float64
	// SplitAfter and MaxRate model S3 splitting a hot prefix: its rate
	// doubles after SplitAfter of continuous throttling, up to MaxRate.
	SplitAfter time.Duration
	MaxRate    float64
	// FallAt and FallTo, both positive, make the capacity fall mid-run:
	// FallAt after a prefix's first PUT, its rate becomes FallTo and its
	// burst FallTo/10 (s3sim.Partition.Fall).
	FallAt time.Duration
	FallTo float64
	// HotKeyFirst answers SlowDown to the first HotKeyFirst PUTs of every
	// key, whatever the rate.
	HotKeyFirst int
	// Shares of the PUTs that pass the throttles answered with a fault,
	// drawn at random: 503 SlowDown, 500 InternalError, connection reset.
	SlowDownRate, ErrorRate, ResetRate float64
	// OutageEvery and OutageFor, both positive, refuse every PUT that
	// passes the throttles with 503 SlowDown for the last OutageFor of
	// every OutageEvery from the first request (s3sim.InOutage).
	OutageEvery, OutageFor time.Duration
	Seed                   uint64        // seed of the fault draws
	Tick                   time.Duration // timeline resolution; 0: 100ms
}

// Sim is an in-process S3 on 127.0.0.1: a recorder in front of a per-prefix
// throttle, optional throttles per key, optional outages and random faults,
// and gofakes3's memory backend. A second, unrecorded and unthrottled
// server on the same backend serves the listing that checks what was
// stored. Close it when done.
type Sim struct {
	srv, raw *httptest.Server
	throttle *s3sim.Throttle
	rec      *recorder
}

// StartSim starts a Sim.
func StartSim(cfg SimConfig) (*Sim, error) {
	mem, err := s3sim.NewMemory(Bucket)
	if err != nil {
		return nil, err
	}
	var next http.Handler = mem
	if cfg.ErrorRate > 0 || cfg.SlowDownRate > 0 || cfg.ResetRate > 0 || cfg.OutageEvery > 0 && cfg.OutageFor > 0 {
		next = s3sim.NewFaults(next, s3sim.FaultConfig{Seed: cfg.Seed,
			SlowDownRate: cfg.SlowDownRate, ErrorRate: cfg.ErrorRate, ResetRate: cfg.ResetRate,
			OutageEvery: cfg.OutageEvery, OutageFor: cfg.OutageFor})
	}
	if cfg.HotKeyFirst > 0 {
		next = s3sim.NewHotKeys(next, cfg.HotKeyFirst)
	}
	tcfg := s3sim.ThrottleConfig{Rate: cfg.Rate, Burst: cfg.Burst, SplitAfter: cfg.SplitAfter, MaxRate: cfg.MaxRate,
		FallAt: cfg.FallAt, FallTo: cfg.FallTo}
	if len(cfg.PrefixRates) > 0 {
		tcfg.RateOf = func(prefix string) float64 {
			if i, ok := prefixIndex(prefix); ok && i < len(cfg.PrefixRates) {
				return cfg.PrefixRates[i]
			}
			return cfg.Rate
		}
	}
	th := s3sim.NewThrottle(next, tcfg)
	tick := cfg.Tick
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	rec := newRecorder(th, tick)
	return &Sim{
		srv:      httptest.NewServer(rec),
		raw:      httptest.NewServer(mem),
		throttle: th,
		rec:      rec,
	}, nil
}

// prefixIndex reads NN from the pNN segment of a partition path.
func prefixIndex(prefix string) (int, bool) {
	seg := prefixOf(prefix)
	if seg == "" {
		return 0, false
	}
	n, err := strconv.Atoi(seg[1:])
	return n, err == nil
}

// URL is the endpoint clients under test use.
func (s *Sim) URL() string { return s.srv.URL }

// Close stops both servers.
func (s *Sim) Close() {
	s.srv.Close()
	s.raw.Close()
}

// List returns every key in the bucket, read through the unrecorded server.
func (s *Sim) List(ctx context.Context) (map[string]bool, error) {
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.raw.URL),
		UsePathStyle: true,
		Credentials:  staticCreds,
	})
	keys := make(map[string]bool)
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(Bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", Bucket, err)
		}
		for _, o := range page.Contents {
			keys[aws.ToString(o.Key)] = true
		}
	}
	return keys, nil
}

// recorder counts every request and its answer, per tick since the first
// request, and notes when each key was first stored.
type recorder struct {
	next http.Handler
	tick time.Duration

	mu       sync.Mutex
	start    time.Time
	ticks    []Tick
	stored   map[string]time.Time
	requests int
	byStatus map[int]int
}

// Tick counts what the server saw in one interval of a timeline.
type Tick struct {
	Requests  int // every request
	Throttled int // 503 SlowDown
	Stored    int // PUTs answered 200
}

func newRecorder(next http.Handler, tick time.Duration) *recorder {
	return &recorder{next: next, tick: tick, stored: make(map[string]time.Time), byStatus: make(map[int]int)}
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	sent := time.Now()
	sw := &s3sim.StatusWriter{ResponseWriter: w}
	r.next.ServeHTTP(sw, req)
	if sw.Status == 0 {
		sw.Status = http.StatusOK
	}
	done := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		r.start = sent
	}
	r.requests++
	r.byStatus[sw.Status]++
	t := r.at(sent)
	t.Requests++
	if sw.Status == http.StatusServiceUnavailable {
		t.Throttled++
	}
	if req.Method == http.MethodPut && sw.Status == http.StatusOK {
		key := strings.TrimPrefix(req.URL.Path, "/"+Bucket+"/")
		if _, ok := r.stored[key]; !ok {
			r.stored[key] = done
			r.at(done).Stored++
		}
	}
}

// at returns the tick holding t, growing the timeline as needed.
func (r *recorder) at(t time.Time) *Tick {
	i := max(0, int(t.Sub(r.start)/r.tick))
	for len(r.ticks) <= i {
		r.ticks = append(r.ticks, Tick{})
	}
	return &r.ticks[i]
}

// snapshot is what the recorder saw, copied.
type snapshot struct {
	start    time.Time
	tick     time.Duration
	ticks    []Tick
	stored   map[string]time.Time
	requests int
	byStatus map[int]int
}

func (r *recorder) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := snapshot{start: r.start, tick: r.tick, ticks: append([]Tick(nil), r.ticks...),
		stored: make(map[string]time.Time, len(r.stored)), requests: r.requests, byStatus: make(map[int]int)}
	for k, v := range r.stored {
		s.stored[k] = v
	}
	for k, v := range r.byStatus {
		s.byStatus[k] = v
	}
	return s
}
