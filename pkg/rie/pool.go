package rie

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Pool is a fixed set of emulators running the same function, one per
// concurrent invocation. Invoke is safe for concurrent use: it waits for a
// free emulator.
type Pool struct {
	emulators []*Emulator
	free      chan *Emulator
	stopOnce  sync.Once
}

// StartPool starts n emulators for cfg. output(i) gives the Output of
// emulator i (nil for none). On error the emulators already started are
// stopped.
func StartPool(ctx context.Context, n int, cfg Config, output func(i int) io.Writer) (*Pool, error) {
	if n < 1 {
		return nil, errors.New("rie: pool size must be at least 1")
	}
	p := &Pool{free: make(chan *Emulator, n)}
	for i := range n {
		c := cfg
		if output != nil {
			c.Output = output(i)
		}
		e, err := Start(ctx, c)
		if err != nil {
			p.Stop()
			return nil, fmt.Errorf("emulator %d: %w", i, err)
		}
		p.emulators = append(p.emulators, e)
		p.free <- e
	}
	return p, nil
}

// NewPool returns a pool of emulators already started; Stop stops them.
func NewPool(emulators ...*Emulator) *Pool {
	p := &Pool{emulators: emulators, free: make(chan *Emulator, len(emulators))}
	for _, e := range emulators {
		p.free <- e
	}
	return p
}

// Size is the number of emulators.
func (p *Pool) Size() int { return len(p.emulators) }

// Pids lists the emulators' process ids.
func (p *Pool) Pids() []int {
	pids := make([]int, len(p.emulators))
	for i, e := range p.emulators {
		pids[i] = e.Pid()
	}
	return pids
}

// Invoke runs payload on the next free emulator; see Emulator.Invoke.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var e *Emulator
	select {
	case e = <-p.free:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { p.free <- e }()
	return e.Invoke(ctx, payload)
}

// Stop stops every emulator. It is safe to call more than once.
func (p *Pool) Stop() {
	p.stopOnce.Do(func() {
		var wg sync.WaitGroup
		for _, e := range p.emulators {
			wg.Add(1)
			go func() { defer wg.Done(); e.Stop() }()
		}
		wg.Wait()
	})
}
