package s3sim

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what a Faults handler does to one request.
type Fault int

// The faults, each as S3 or the network shows it to a client.
const (
	None           Fault = iota // pass the request on
	SlowDownF                   // 503 SlowDown
	Internal                    // 500 InternalError
	Reset                       // close the connection without an answer
	Hang                        // answer nothing until the client gives up (or HangFor passes, then 500)
	Forbidden                   // 403 AccessDenied
	Corrupt                     // flip one byte of the request body, then pass it on
	Conflict409                 // 409 ConditionalRequestConflict (a racing conditional write)
	BadGateway                  // 502 with an empty body, as a proxy in the path answers
	GatewayTimeout              // 504 with an empty body
	numFaults
)

var faultNames = [...]string{"none", "slowdown", "500", "reset", "hang", "403", "corrupt", "409", "502", "504"}

func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// FaultConfig sets faults on write requests: outages on a schedule, then
// random faults, whose rates are probabilities per request drawn in order.
// Script, when set, decides instead, for every request.
type FaultConfig struct {
	Seed          uint64
	SlowDownRate  float64
	ErrorRate     float64 // 500 InternalError
	ResetRate     float64
	HangRate      float64
	ForbiddenRate float64
	CorruptRate   float64
	// HangFor bounds a hang; 0: until the client's request context ends.
	HangFor time.Duration
	// OutageEvery and OutageFor, both positive, refuse every write with
	// 503 SlowDown for the last OutageFor of every OutageEvery from the
	// first request (see InOutage). Counted as "slowdown".
	OutageEvery, OutageFor time.Duration
	// Script, when not nil, picks the fault of each request (n counts
	// requests from 1, reads included).
	Script func(n int64, r *http.Request) Fault
	// Now is the clock of the outages, for testing; nil means time.Now.
	Now func() time.Time
}

// InOutage reports whether elapsed, the time since the first request,
// falls in an outage of the schedule "refused for the last length of
// every every": a run starts healthy, and the first outage begins at
// every − length. every ≤ 0 or length ≤ 0: never; length ≥ every: always.
//
// S3's 503s are not all about the rate a client sends at, and its guidance
// is to retry them with backoff
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html).
// An outage is the bluntest such case: for a spell, every write is
// refused, and sending slower does not end it sooner. A client that reads
// the spell as "too fast" keeps a lower rate after it for nothing.
func InOutage(elapsed, every, length time.Duration) bool {
	if every <= 0 || length <= 0 || elapsed < 0 {
		return false
	}
	return elapsed%every >= every-length
}

// Faults injects faults in front of next. Use NewFaults.
type Faults struct {
	cfg  FaultConfig
	next http.Handler

	mu    sync.Mutex
	rng   *rand.Rand
	start time.Time // the first request; zero: none yet

	n      atomic.Int64
	counts [numFaults]atomic.Int64
}

// NewFaults returns a Faults handler in front of next.
func NewFaults(next http.Handler, cfg FaultConfig) *Faults {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Faults{cfg: cfg, next: next, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
}

// Counts returns how many requests got each fault, by Fault.String().
func (f *Faults) Counts() map[string]int64 {
	out := make(map[string]int64)
	for i := range f.counts {
		if n := f.counts[i].Load(); n > 0 {
			out[Fault(i).String()] = n
		}
	}
	return out
}

func (f *Faults) pick(n int64, r *http.Request) Fault {
	now := f.cfg.Now()
	f.mu.Lock()
	if f.start.IsZero() {
		f.start = now
	}
	elapsed := now.Sub(f.start)
	f.mu.Unlock()
	if f.cfg.Script != nil {
		return f.cfg.Script(n, r)
	}
	if !isWrite(r) {
		return None
	}
	if InOutage(elapsed, f.cfg.OutageEvery, f.cfg.OutageFor) {
		return SlowDownF
	}
	f.mu.Lock()
	x := f.rng.Float64()
	f.mu.Unlock()
	for _, c := range []struct {
		rate  float64
		fault Fault
	}{
		{f.cfg.SlowDownRate, SlowDownF}, {f.cfg.ErrorRate, Internal}, {f.cfg.ResetRate, Reset},
		{f.cfg.HangRate, Hang}, {f.cfg.ForbiddenRate, Forbidden}, {f.cfg.CorruptRate, Corrupt},
	} {
		if x < c.rate {
			return c.fault
		}
		x -= c.rate
	}
	return None
}

// ServeHTTP applies the fault picked for r.
func (f *Faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := f.pick(f.n.Add(1), r)
	f.counts[fault].Add(1)
	switch fault {
	case SlowDownF:
		SlowDown(w, r)
	case Internal:
		WriteError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case Conflict409:
		WriteError(w, r, http.StatusConflict, "ConditionalRequestConflict",
			"A conflicting conditional operation is currently in progress against this resource. Please try again.")
	case BadGateway:
		w.WriteHeader(http.StatusBadGateway)
	case GatewayTimeout:
		w.WriteHeader(http.StatusGatewayTimeout)
	case Forbidden:
		WriteError(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
	case Reset:
		_, _ = io.Copy(io.Discard, r.Body)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // net/http drops the connection
	case Hang:
		// Read the body first: only then does net/http watch the connection
		// and cancel the request's context when the client hangs up.
		_, _ = io.Copy(io.Discard, r.Body)
		var timeout <-chan time.Time
		if f.cfg.HangFor > 0 {
			t := time.NewTimer(f.cfg.HangFor)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-r.Context().Done():
		case <-timeout:
			WriteError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
	case Corrupt:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			WriteError(w, r, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
			return
		}
		if len(body) > 0 {
			body[len(body)/2] ^= 0x20
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.next.ServeHTTP(w, r)
	default:
		f.next.ServeHTTP(w, r)
	}
}
