package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/s3uploader/s3uploader/pkg/proc"
)

// Config describes how to run a function. The zero value of each optional
// field means the default.
type Config struct {
	// Emulator is the path of the aws-lambda-rie binary. Required.
	Emulator string
	// Bootstrap is the path of the function's executable. Required.
	Bootstrap string
	// Env is the function's whole environment ("KEY=value"), as Lambda
	// would set it: the function's variables, credentials, region. The
	// parent's environment is not inherited. Timeout and memory are added.
	Env []string
	// Timeout is the function timeout the emulator enforces (default 3s,
	// as in Lambda).
	Timeout time.Duration
	// MemoryMB is reported in REPORT lines (default 128).
	MemoryMB int
	// Output receives the emulator's combined stdout and stderr: START,
	// END and REPORT lines, the function's own lines and the emulator's
	// diagnostics. Nil discards it. It is written from one goroutine.
	Output io.Writer
	// StartTimeout bounds the wait for the emulator to listen (default 10s).
	StartTimeout time.Duration
}

// Emulator is one running aws-lambda-rie process. Invoke is safe for
// concurrent use: calls are served one at a time.
type Emulator struct {
	proc    *proc.Process
	url     string
	timeout time.Duration
	client  *http.Client
	mu      sync.Mutex // one invocation at a time
}

// Start launches an emulator for cfg and waits until it listens.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	if cfg.Emulator == "" || cfg.Bootstrap == "" {
		return nil, errors.New("rie: Emulator and Bootstrap are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 128
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	bootstrap, err := filepath.Abs(cfg.Bootstrap)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range startAttempts {
		e, exited, err := start(cfg, bootstrap)
		if err == nil {
			return e, nil
		}
		lastErr = err
		if !exited {
			break
		}
	}
	return nil, lastErr
}

// startAttempts bounds the tries of Start. A port that was free when it was
// picked may be taken before the emulator binds it (by another process, or
// by another emulator's runtime API starting at the same moment); the
// emulator then panics on listen and exits with status 2. Start tries again
// with fresh ports.
const startAttempts = 3

// start makes one attempt; exited reports an emulator that exited before
// it listened.
func start(cfg Config, bootstrap string) (e *Emulator, exited bool, err error) {
	invokePort, err := proc.FreePort()
	if err != nil {
		return nil, false, err
	}
	apiPort, err := proc.FreePort()
	if err != nil {
		return nil, false, err
	}
	for apiPort == invokePort {
		if apiPort, err = proc.FreePort(); err != nil {
			return nil, false, err
		}
	}
	cmd := exec.Command(cfg.Emulator,
		"--runtime-interface-emulator-address", proc.Addr(invokePort),
		"--runtime-api-address", proc.Addr(apiPort),
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	secs := int((cfg.Timeout + time.Second - 1) / time.Second)
	cmd.Env = append(append([]string(nil), cfg.Env...),
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(secs),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(cfg.MemoryMB),
	)
	out := cfg.Output
	if out == nil {
		out = io.Discard
	}
	// Until it listens, also keep the emulator's output, to say why it
	// did not.
	early := &tail{}
	w := &switchWriter{early: io.MultiWriter(out, early), out: out}
	cmd.Stdout = w
	cmd.Stderr = w
	p, err := proc.Start(cmd)
	if err != nil {
		return nil, false, err
	}
	if err := p.WaitListening(proc.Addr(invokePort), cfg.StartTimeout); err != nil {
		p.Stop(time.Second)
		if s := early.String(); s != "" {
			err = fmt.Errorf("%w; its last output:\n%s", err, s)
		}
		return nil, p.Err() != nil, err
	}
	w.listening()
	return &Emulator{
		proc:    p,
		url:     "http://" + proc.Addr(invokePort) + "/2015-03-31/functions/function/invocations",
		timeout: time.Duration(secs) * time.Second,
		client:  &http.Client{Transport: &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 1}},
	}, false, nil
}

// switchWriter writes to early until listening is called, then to out.
type switchWriter struct {
	mu    sync.Mutex
	early io.Writer
	out   io.Writer
	done  bool
}

func (w *switchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.out.Write(p)
	}
	return w.early.Write(p)
}

func (w *switchWriter) listening() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// tail keeps the last 2 KiB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(bytes.TrimSpace(t.b)) }

// Pid is the emulator's process id (and process group id).
func (e *Emulator) Pid() int { return e.proc.Pid() }

// Stop stops the emulator and the function process under it.
func (e *Emulator) Stop() { e.proc.Stop(2 * time.Second) }

// Invoke sends payload as one synchronous invocation and returns the
// function's response. A function error or timeout is a *FunctionError; a
// transport failure or a context cancellation is returned as is.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// The emulator answers a timeout itself; give it a margin beyond.
	ctx, cancel := context.WithTimeout(ctx, e.timeout+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke: read response: %w", err)
	}
	if ferr := classify(resp.StatusCode, body); ferr != nil {
		return nil, ferr
	}
	return body, nil
}

// FunctionError is an invocation that the function failed: it returned an
// error, panicked, exited, or ran past its timeout.
type FunctionError struct {
	Type    string // errorType, or "Sandbox.Timedout" for a timeout
	Message string
	Status  int // HTTP status of the emulator's answer
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// FunctionError reports true: the invocation reached the function, which
// failed. (Transport errors are returned as they are.)
func (e *FunctionError) FunctionError() bool { return true }

// Timeout reports whether the function ran past its timeout.
func (e *FunctionError) Timeout() bool { return e.Type == "Sandbox.Timedout" }

var timedOut = []byte("Task timed out after ")

// classify turns the emulator's answer into a *FunctionError, or nil for a
// normal response. The emulator sets no X-Amz-Function-Error header: a
// returned error is HTTP 200 with errorMessage and errorType, a timeout is
// HTTP 200 with plain text, and a runtime that exited without answering
// (a crash, or an init that failed and exited) is a 502 with an empty
// body, which Lambda reports as Runtime.ExitError.
func classify(status int, body []byte) *FunctionError {
	if bytes.HasPrefix(body, timedOut) {
		return &FunctionError{Type: "Sandbox.Timedout", Message: string(body), Status: status}
	}
	var fe struct {
		Message *string `json:"errorMessage"`
		Type    string  `json:"errorType"`
	}
	isErr := json.Unmarshal(body, &fe) == nil && fe.Message != nil && fe.Type != ""
	switch {
	case isErr:
		return &FunctionError{Type: fe.Type, Message: *fe.Message, Status: status}
	case status == http.StatusBadGateway && len(bytes.TrimSpace(body)) == 0:
		return &FunctionError{Type: "Runtime.ExitError", Message: "the runtime exited without answering: its log says why", Status: status}
	case status != http.StatusOK:
		return &FunctionError{Type: "Runtime.Unknown", Message: fmt.Sprintf("HTTP %d: %.200s", status, body), Status: status}
	}
	return nil
}
