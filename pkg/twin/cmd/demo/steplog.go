package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tailLines is how much of a failed step's log the error shows.
const tailLines = 20

// stepError is a step that failed and wrote a log: the error says which
// step, ends with the log's last lines and says where the whole log is.
type stepError struct {
	Step string // e.g. "cdk synth"
	Log  string // the log file
	Tail string // its last lines, read once the step's writers are done (keepLog)
	Err  error
}

func (e *stepError) Error() string {
	if e.Tail == "" {
		return fmt.Sprintf("%s: %v (log: %s)", e.Step, e.Err, e.Log)
	}
	return fmt.Sprintf("%s: %v; the last lines of its log:\n%s\n      (whole log: %s)", e.Step, e.Err, e.Tail, e.Log)
}

func (e *stepError) Unwrap() error { return e.Err }

// keepLog keeps the log of the step that failed, when err is a
// *stepError, and fills in its last lines: a log in a temporary work
// folder, which is about to be removed, moves to keepIn first. kept is
// false when the log is still in the work folder only because it could
// not be moved: the folder must stay then. An interrupted run keeps
// nothing. (err must be the *stepError itself, not wrapped: a wrapper's
// message is fixed when it is made, before the log moves.)
func keepLog(err error, temporary bool, keepIn string) (kept bool, _ error) {
	se, ok := err.(*stepError)
	if !ok || errors.Is(err, context.Canceled) || se.Log == "" {
		return true, err
	}
	kept = true
	if temporary {
		dst := filepath.Join(keepIn, filepath.Base(se.Log))
		if moveErr := moveFile(se.Log, dst); moveErr == nil {
			se.Log = dst
		} else {
			kept = false
		}
	}
	if b, readErr := os.ReadFile(se.Log); readErr == nil && len(strings.TrimSpace(string(b))) > 0 {
		se.Tail = lastLines(string(b), tailLines)
	}
	return kept, err
}

// moveFile moves src to dst, copying across file systems (the temporary
// folder is often on another).
func moveFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Remove(src)
}

// lastLines is the last n lines of s, indented under the error.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "      " + strings.Join(lines, "\n      ")
}
