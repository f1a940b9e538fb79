package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeepLog: a failed step's log in a temporary folder moves out of it
// before the folder goes, and the error ends with the log's last lines
// and its new path.
func TestKeepLog(t *testing.T) {
	work, keepIn := t.TempDir(), filepath.Join(t.TempDir(), ".build", "demo")
	log := filepath.Join(work, "cdk-synth.log")
	var b strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	exit := errors.New("exit status 1")
	kept, err := keepLog(&stepError{Step: "cdk synth", Log: log, Err: exit}, true, keepIn)
	if !kept || !errors.Is(err, exit) {
		t.Fatalf("keepLog = %v, %v; want kept, the step's error", kept, err)
	}
	moved := filepath.Join(keepIn, "cdk-synth.log")
	if _, statErr := os.Stat(moved); statErr != nil {
		t.Errorf("log not at %s: %v", moved, statErr)
	}
	if _, statErr := os.Stat(log); !os.IsNotExist(statErr) {
		t.Errorf("log still in the temporary folder: %v", statErr)
	}
	msg := err.Error()
	for _, want := range []string{"cdk synth: exit status 1", "line 11\n", "line 30\n", moved} {
		if !strings.Contains(msg+"\n", want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "line 10\n") {
		t.Errorf("error %q shows more than the last %d lines", msg, tailLines)
	}
}

// TestKeepLogLeavesOtherErrors: an interrupted run and an error of no step
// keep nothing, and the folder may go.
func TestKeepLogLeavesOtherErrors(t *testing.T) {
	work, keepIn := t.TempDir(), t.TempDir()
	log := filepath.Join(work, "cdk.log")
	if err := os.WriteFile(log, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []error{nil, errors.New("plain"), &stepError{Step: "cdk deploy", Log: log, Err: context.Canceled}} {
		kept, err := keepLog(in, true, keepIn)
		if !kept || err != in {
			t.Errorf("keepLog(%v) = %v, %v; want true and the error as is", in, kept, err)
		}
	}
	if _, err := os.Stat(log); err != nil {
		t.Errorf("an interrupted step's log moved: %v", err)
	}
}
