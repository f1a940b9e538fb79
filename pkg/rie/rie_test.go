package rie

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3uploader/s3uploader/pkg/proc"
)

// emulatorPath finds aws-lambda-rie as the commands do, or skips.
func emulatorPath(t *testing.T) string {
	t.Helper()
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	p, err := FindEmulator(root)
	if err != nil {
		t.Skip(err)
	}
	return p
}

func buildFn(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/fn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build test function: %v\n%s", err, b)
	}
	return out
}

func TestInvoke(t *testing.T) {
	cfg := Config{Emulator: emulatorPath(t), Bootstrap: buildFn(t), Timeout: time.Second}
	// Output is written from one goroutine, which ends before Stop
	// returns: out is read only after Stop.
	var out bytes.Buffer
	cfg.Output = &out
	e, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()

	tests := map[string]struct {
		payload string
		want    string
		errType string
	}{
		"echo":    {payload: `{"a":1}`, want: `{"a":1}`},
		"null":    {payload: `{"raw":null}`, want: `null`},
		"error":   {payload: `{"error":"boom"}`, errType: "errorString"},
		"panic":   {payload: `{"panic":true}`, errType: "string"},
		"timeout": {payload: `{"sleep_ms":3000}`, errType: "Sandbox.Timedout"},
		// A runtime that exits without answering, as an init that fails does.
		"exit":  {payload: `{"exit":3}`, errType: "Runtime.ExitError"},
		"after": {payload: `{"b":2}`, want: `{"b":2}`}, // runtime restarted
	}
	for _, name := range []string{"echo", "null", "error", "panic", "timeout", "exit", "after"} {
		tc := tests[name]
		t.Run(name, func(t *testing.T) {
			got, err := e.Invoke(context.Background(), []byte(tc.payload))
			if tc.errType != "" {
				var fe *FunctionError
				if !errors.As(err, &fe) || fe.Type != tc.errType {
					t.Fatalf("Invoke(%s) = %q, %v; want FunctionError %s", tc.payload, got, err, tc.errType)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("Invoke(%s) = %q, %v; want %q", tc.payload, got, err, tc.want)
			}
		})
	}
	e.Stop()
	for _, line := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: ", `"msg":"invoked"`} {
		if !bytes.Contains(out.Bytes(), []byte(line)) {
			t.Errorf("emulator output lacks %q", line)
		}
	}
	if proc.GroupAlive(e.Pid()) {
		t.Errorf("emulator group %d alive after Stop", e.Pid())
	}
}

func TestPoolServesConcurrentInvokes(t *testing.T) {
	cfg := Config{Emulator: emulatorPath(t), Bootstrap: buildFn(t), Timeout: 5 * time.Second}
	p, err := StartPool(context.Background(), 3, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	var wg sync.WaitGroup
	start := time.Now()
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Invoke(context.Background(), []byte(`{"sleep_ms":300}`))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Invoke = %v; want nil", err)
		}
	}
	// 6 invokes of 300 ms on 3 emulators: about 600 ms, not 1800.
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("6 invokes took %s on 3 emulators; want them in parallel", d)
	}
	pids := p.Pids()
	p.Stop()
	for _, pid := range pids {
		if proc.GroupAlive(pid) {
			t.Errorf("emulator group %d alive after Stop", pid)
		}
	}
}

// TestStartRetriesAnEmulatorThatExits: an emulator that dies before it
// listens (as aws-lambda-rie does when its port was taken in the meantime)
// is started again on fresh ports; one that always dies is reported with
// its last output.
func TestStartRetriesAnEmulatorThatExits(t *testing.T) {
	real := emulatorPath(t)
	fn := buildFn(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "failed-once")
	flaky := filepath.Join(dir, "flaky-rie")
	script := "#!/bin/sh\nif [ ! -e " + marker + " ]; then touch " + marker +
		"; echo 'panic: listen tcp 127.0.0.1:1: bind: address already in use'; exit 2; fi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(flaky, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := Start(context.Background(), Config{Emulator: flaky, Bootstrap: fn, Timeout: time.Second})
	if err != nil {
		t.Fatalf("Start(emulator failing once) = %v; want it started on the second try", err)
	}
	defer e.Stop()
	if got, err := e.Invoke(context.Background(), []byte(`{"a":1}`)); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("Invoke = %q, %v; want the echo", got, err)
	}

	broken := filepath.Join(dir, "broken-rie")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'panic: no room at the inn'\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Config{Emulator: broken, Bootstrap: fn})
	if err == nil || !strings.Contains(err.Error(), "no room at the inn") {
		t.Fatalf("Start(emulator always failing) = %v; want an error with its output", err)
	}
}
