package chaos

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// server is the in-process S3 with its faults: chaos front → s3sim.Faults
// (enacting the fault the front picked) → s3sim.Checksum → recorder →
// s3sim.NewMemory.
type server struct {
	bucket   string
	schedule Schedule
	storm    atomic.Int32 // invocations in a storm right now
	quiet    atomic.Bool  // no faults (the read-back after the run)
	faults   *s3sim.Faults
	checksum *s3sim.Checksum
	rec      *recorder

	mu     sync.Mutex
	seen   map[string]int // "METHOD key" → requests so far
	counts map[string]int // fault name → injected
	log    []string       // the faults injected, in order
	inv    atomic.Int64   // the invocation running (with one poller)
}

type faultKey struct{}

func newServer(bucket string, sch Schedule) (*server, error) {
	mem, err := s3sim.NewMemory(bucket)
	if err != nil {
		return nil, err
	}
	s := &server{bucket: bucket, schedule: sch, seen: map[string]int{}, counts: map[string]int{}}
	s.rec = &recorder{next: mem, writes: map[string][]string{}}
	s.checksum = s3sim.NewChecksum(s.rec)
	s.faults = s3sim.NewFaults(s.checksum, s3sim.FaultConfig{Script: func(_ int64, r *http.Request) s3sim.Fault {
		f, _ := r.Context().Value(faultKey{}).(s3sim.Fault)
		return f
	}})
	return s, nil
}

func (s *server) key(r *http.Request) string {
	return strings.TrimPrefix(r.URL.Path, "/"+s.bucket+"/")
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault := s3sim.None
	if !s.quiet.Load() && (r.Method == http.MethodPut || r.Method == http.MethodGet) {
		key := s.key(r)
		s.mu.Lock()
		id := r.Method + " " + key
		s.seen[id]++
		nth := s.seen[id]
		fault = s.schedule.Fault(r.Method, key, nth, s.storm.Load() > 0)
		if fault != s3sim.None {
			s.counts[faultName(fault)]++
			s.log = append(s.log, fmt.Sprintf("inv=%d %s %q #%d %s", s.inv.Load(), r.Method, key, nth, faultName(fault)))
		}
		s.mu.Unlock()
	}
	if fault == LostAck {
		// Store it, then hang up before the answer.
		rw := httptest.NewRecorder()
		s.checksum.ServeHTTP(rw, r)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.faults.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), faultKey{}, fault)))
}

func (s *server) faultCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// requests is the number of requests the server has answered, every
// method.
func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.seen {
		n += c
	}
	return n
}

func (s *server) faultLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// recorder notes every write the store accepted: key → SHA-256 of each body
// stored there, in order. S3's answer 200 to a PUT is such a write.
type recorder struct {
	next http.Handler

	mu     sync.Mutex
	writes map[string][]string
	dedups atomic.Int64 // 412 answers: a redelivery found its object stored
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		rc.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s3sim.WriteError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	sw := &s3sim.StatusWriter{ResponseWriter: w}
	rc.next.ServeHTTP(sw, r)
	switch {
	case sw.Status == 0 || sw.Status == http.StatusOK:
		sum := sha256.Sum256(body)
		rc.mu.Lock()
		key := r.URL.Path
		rc.writes[key] = append(rc.writes[key], fmt.Sprintf("%x", sum))
		rc.mu.Unlock()
	case sw.Status == http.StatusPreconditionFailed:
		rc.dedups.Add(1)
	}
}
