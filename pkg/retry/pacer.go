package retry

import (
	"container/list"
	"sync"
	"time"
)

// Pacer paces the requests of one scope (for S3, one key prefix): may I
// send now, and this is how a request was answered. Take is called right
// before every attempt, first attempts and retries alike, so a lowered rate
// is felt by all of them; Observe with the answer of each attempt that
// succeeded or was throttled (other errors say nothing about the rate).
// Times are passed in, so a Pacer holds no clock. Implementations are safe
// for concurrent use.
type Pacer interface {
	// Take takes a send slot at now and returns 0, or takes nothing and
	// returns how long to wait before asking again.
	Take(now time.Time) time.Duration
	// Observe records the answer to a request Take let through.
	Observe(a Answer)
}

// Answer is how one request was answered, for a Pacer.
type Answer struct {
	Sent, Seen time.Time // when the request was sent, and its answer seen
	Attempt    int       // the attempt of its call, from 1
	Throttled  bool      // the server asked to slow down; false: it succeeded
}

// DefaultMaxScopes is the number of scopes a Pacers keeps by default.
const DefaultMaxScopes = 1024

// Pacers holds one Pacer per scope (for S3, per key prefix: S3 limits each
// prefix on its own, so a throttled prefix must not slow the others). It
// keeps at most a bounded number and forgets the least recently used
// beyond that, so its memory stays bounded however many scopes it meets; a
// scope forgotten and met again starts with a fresh Pacer, as after a cold
// start. A Pacers is safe for concurrent use. Use NewPacers.
type Pacers struct {
	newPacer func() Pacer
	max      int

	mu     sync.Mutex
	scopes map[string]*list.Element // of *scoped
	lru    list.List                // front: most recently used
}

type scoped struct {
	scope string
	p     Pacer
}

// NewPacers returns an empty set whose Pacers newPacer makes, keeping at
// most maxScopes of them (0 or less: DefaultMaxScopes).
func NewPacers(newPacer func() Pacer, maxScopes int) *Pacers {
	if maxScopes <= 0 {
		maxScopes = DefaultMaxScopes
	}
	return &Pacers{newPacer: newPacer, max: maxScopes, scopes: make(map[string]*list.Element)}
}

// Get returns the Pacer of scope, making it if needed.
func (s *Pacers) Get(scope string) Pacer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.scopes[scope]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*scoped).p
	}
	p := s.newPacer()
	s.scopes[scope] = s.lru.PushFront(&scoped{scope: scope, p: p})
	for s.lru.Len() > s.max {
		old := s.lru.Back()
		s.lru.Remove(old)
		delete(s.scopes, old.Value.(*scoped).scope)
	}
	return p
}

// Len returns the number of scopes held.
func (s *Pacers) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}
