package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSendProgressInAFile: redirected to a file, the send's progress
// leaves no progress bar's carriage returns behind.
func TestSendProgressInAFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Fatalf("isTerminal(a file or a buffer) = true; want false")
	}
	add, finish := sendProgress(f, 300, func() string { return "queue 0" })
	for range 30 {
		add(10)
	}
	finish()
	finish() // a second call is harmless
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b, '\r') {
		t.Errorf("progress in a file holds carriage returns: %q", b)
	}
}

// TestPlainProgress: a plain line per tick, with the count and the
// status.
func TestPlainProgress(t *testing.T) {
	var out bytes.Buffer
	begin := time.Unix(1000, 0)
	// status runs after the line has read the count: the test adds to
	// the count only once the line for the previous tick has it.
	asked := make(chan struct{})
	p := &plainProgress{w: &out, total: 303, begin: begin, status: func() string { asked <- struct{}{}; return "DLQ 3" }}
	ticks, stop, done := make(chan time.Time), make(chan struct{}), make(chan struct{})
	go func() { defer close(done); p.run(ticks, stop) }()
	p.sent.Add(100)
	ticks <- begin.Add(5 * time.Second)
	<-asked
	p.sent.Add(203)
	ticks <- begin.Add(10 * time.Second)
	<-asked
	close(stop)
	<-done
	want := "    5.0s  sent 100 of 303 │ DLQ 3\n   10.0s  sent 303 of 303 │ DLQ 3\n"
	if got := out.String(); got != want {
		t.Errorf("plain progress =\n%q; want\n%q", got, want)
	}
	if strings.ContainsRune(out.String(), '\r') {
		t.Errorf("plain progress holds carriage returns")
	}
}
