package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// plainEvery is how often the send's progress is printed as a plain line
// where no terminal redraws a bar.
const plainEvery = 5 * time.Second

// isTerminal reports whether w is a terminal (a character device), where
// a progress bar redraws one line in place. In a file or a pipe each
// redraw would stay behind, a carriage return apart.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// sendProgress shows how far the send of total messages got, on w: a
// progress bar on a terminal, else a plain line every plainEvery, with
// status (the queues and the throttle) after the count. add counts
// messages sent; finish ends the display. Both are safe to call from
// any goroutine; finish may be called more than once.
func sendProgress(w io.Writer, total int, status func() string) (add func(int), finish func()) {
	if isTerminal(w) {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("  sending"),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		return func(k int) { _ = bar.Add(k) }, func() { _ = bar.Finish() }
	}
	p := &plainProgress{w: w, total: total, status: status, begin: time.Now()}
	ticker := time.NewTicker(plainEvery)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		p.run(ticker.C, stop)
	}()
	return func(k int) { p.sent.Add(int64(k)) }, sync.OnceFunc(func() {
		ticker.Stop()
		close(stop)
		<-done
	})
}

// plainProgress prints the send's progress as a line per tick.
type plainProgress struct {
	w      io.Writer
	total  int
	sent   atomic.Int64
	status func() string
	begin  time.Time
}

// run prints a line at each tick until stop is closed.
func (p *plainProgress) run(ticks <-chan time.Time, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case t := <-ticks:
			fmt.Fprintln(p.w, p.line(t))
		}
	}
}

// line is the progress at t: the time since the send began, the messages
// sent so far, and the status.
func (p *plainProgress) line(t time.Time) string {
	s := fmt.Sprintf("  %5.1fs  sent %d of %d", t.Sub(p.begin).Seconds(), p.sent.Load(), p.total)
	if p.status != nil {
		s += " │ " + p.status()
	}
	return s
}
