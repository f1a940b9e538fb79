package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// processStart is when this process began: the end of `make demo`'s tool
// installs and of `go run`'s build.
var processStart = time.Now()

// MakeStartEnv names the variable `make demo` sets to the time it began
// (Unix nanoseconds), so the summary can say how long the tools and the
// build took before the demo itself ran.
const MakeStartEnv = "S3UPLOADER_DEMO_MAKE_START"

// phase is one part of the run and how long it took.
type phase struct {
	Name string
	Took time.Duration
}

// phases times the parts of a run, in the order they ended. Safe for
// concurrent use.
type phases struct {
	mu   sync.Mutex
	list []phase
}

func (p *phases) add(name string, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, phase{name, took})
}

// since records a phase that began at t and ends now.
func (p *phases) since(name string, t time.Time) { p.add(name, time.Since(t)) }

func (p *phases) all() []phase {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]phase(nil), p.list...)
}

// toolsPhase is the time from `make demo`'s start to this process's, if
// make said when it started.
func toolsPhase(getenv func(string) string) (phase, bool) {
	ns, err := strconv.ParseInt(getenv(MakeStartEnv), 10, 64)
	if err != nil || ns <= 0 {
		return phase{}, false
	}
	d := processStart.Sub(time.Unix(0, ns))
	if d < 0 || d > 24*time.Hour {
		return phase{}, false
	}
	return phase{"tools and build", d}, true
}

// timeLine is the summary's "time" line: the whole and its parts.
func timeLine(total time.Duration, parts []phase) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprintf("%s %.1fs", p.Name, p.Took.Seconds())
	}
	return fmt.Sprintf("%.1fs: %s", total.Seconds(), strings.Join(s, " · "))
}
