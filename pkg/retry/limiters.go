package retry

import (
	"container/list"
	"sync"
)

// DefaultMaxScopes is the number of scopes a Limiters keeps by default.
const DefaultMaxScopes = 1024

// Limiters holds one Limiter per scope (for S3, per key prefix: S3 limits
// each prefix on its own, so a throttled prefix must not slow the others).
// It keeps at most MaxScopes of them and forgets the least recently used
// beyond that, so its memory stays bounded however many scopes it meets; a
// scope forgotten and met again starts with a fresh Limiter, as after a cold
// start. A Limiters is safe for concurrent use. Use NewLimiters.
type Limiters struct {
	cfg LimiterConfig
	max int

	mu     sync.Mutex
	scopes map[string]*list.Element // of *scoped
	lru    list.List                // front: most recently used
}

type scoped struct {
	scope string
	l     *Limiter
}

// NewLimiters returns an empty set whose Limiters take cfg, keeping at most
// maxScopes of them (0 or less: DefaultMaxScopes).
func NewLimiters(cfg LimiterConfig, maxScopes int) *Limiters {
	if maxScopes <= 0 {
		maxScopes = DefaultMaxScopes
	}
	return &Limiters{cfg: cfg, max: maxScopes, scopes: make(map[string]*list.Element)}
}

// Get returns the Limiter of scope, making it if needed.
func (s *Limiters) Get(scope string) *Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.scopes[scope]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*scoped).l
	}
	l := NewLimiter(s.cfg)
	s.scopes[scope] = s.lru.PushFront(&scoped{scope: scope, l: l})
	for s.lru.Len() > s.max {
		old := s.lru.Back()
		s.lru.Remove(old)
		delete(s.scopes, old.Value.(*scoped).scope)
	}
	return l
}

// Len returns the number of scopes held.
func (s *Limiters) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Verdicts sums the verdicts of the Limiters held.
func (s *Limiters) Verdicts() Verdicts {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v Verdicts
	for e := s.lru.Front(); e != nil; e = e.Next() {
		w := e.Value.(*scoped).l.Verdicts()
		v.Rate += w.Rate
		v.Share += w.Share
		v.Undecided += w.Undecided
	}
	return v
}
