package invoke

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/s3uploader/s3uploader/pkg/rie"
)

// Run invokes the function once with o.Event, as Lambda would, and returns
// what came of it. It builds the bootstrap, starts an in-process S3 (the
// function's bucket, the pointer buckets, the seeded objects) and SQS (the
// dead-letter queue and the event's source queues) on 127.0.0.1, runs the
// bootstrap under the emulator with the function's environment pointing at
// them, and stops all three before it returns.
//
// A function that failed (an error, a crash, a timeout) is a Result whose
// Err is set; Run's own error is about invoke's work: bad options, an
// event file that is not an SQS event, a build or a server that failed.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	ev, err := ReadEvent(o.Event)
	if err != nil {
		return nil, err
	}
	for _, s := range o.Objects {
		if _, err := os.Stat(s.File); err != nil {
			return nil, fmt.Errorf("-object %s/%s=%s: %w", s.Bucket, s.Key, s.File, errors.Unwrap(err))
		}
	}
	if o.Emulator, err = emulatorPath(o.Emulator, o.Root); err != nil {
		return nil, err
	}
	bootstrap := filepath.Join(o.Out, "bootstrap")
	if err := rie.BuildBootstrap(ctx, o.Root, FunctionPackage, runtime.GOARCH, bootstrap); err != nil {
		return nil, err
	}
	region := cmp.Or(ev.SQS.Records[0].AWSRegion, "us-east-1")
	vars := functionVars(o.Env, region)
	s3l, err := startS3(buckets(vars, o.Objects), region, o.s3Front)
	if err != nil {
		return nil, err
	}
	defer s3l.Close()
	if err := s3l.seed(ctx, o.Objects); err != nil {
		return nil, err
	}
	sqsl, err := startSQS(queues(vars, ev))
	if err != nil {
		return nil, err
	}
	defer sqsl.Close()

	res := &Result{Event: ev, Env: vars, s3URL: s3l.URL, sqsURL: sqsl.URL}
	env := environ(vars, s3l.URL, sqsl.URL, sqsl.sim.URL(DefaultDLQ))
	if err := res.invoke(ctx, o, bootstrap, env); err != nil {
		return nil, err
	}
	if err := res.collect(ctx, o.Out, s3l, sqsl, dlqName(vars)); err != nil {
		return nil, err
	}
	return res, nil
}

// emulatorPath returns path, the -rie flag's emulator, when it is set and
// exists, else the one rie.FindEmulator finds.
func emulatorPath(path, root string) (string, error) {
	if path == "" {
		return rie.FindEmulator(root)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("aws-lambda-rie: %w", err)
	}
	return path, nil
}

// withDefaults fills the zero fields of o but Emulator, and checks Event
// is set.
func (o Options) withDefaults() (Options, error) {
	if o.Event == "" {
		return o, errors.New("-event is required: the SQS event file to send, e.g. -event functions/uploader/events/sqs-text.json")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	var err error
	if o.Root == "" {
		if o.Root, err = rie.ModuleRoot("."); err != nil {
			return o, err
		}
	}
	if o.Out == "" {
		o.Out = filepath.Join(o.Root, ".build", "invoke")
	}
	o.Out, err = filepath.Abs(o.Out)
	return o, err
}

// queues names the queues the local SQS holds: the dead-letter queue and
// each source queue of ev (Router.Delay looks their URLs up by name).
func queues(vars map[string]string, ev Event) []string {
	names := []string{DefaultDLQ, dlqName(vars)}
	for _, r := range ev.SQS.Records {
		if n := queueName(r.EventSourceARN); n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// invoke runs the bootstrap once under the emulator with env, sends it
// the event and keeps its answer and its log. The emulator is stopped,
// by its process id, before it returns.
func (res *Result) invoke(ctx context.Context, o Options, bootstrap string, env []string) error {
	var out bytes.Buffer
	e, err := rie.Start(ctx, rie.Config{
		Emulator: o.Emulator, Bootstrap: bootstrap, Env: env,
		Timeout: o.Timeout, MemoryMB: DefaultMemoryMB, Output: &out,
	})
	if err != nil {
		return err
	}
	res.pid = e.Pid()
	res.Response, err = e.Invoke(ctx, res.Event.Raw)
	// The emulator writes its output from one goroutine, which has ended
	// once Stop returns: out is complete, and read only after.
	e.Stop()
	var fe *rie.FunctionError
	switch {
	case errors.As(err, &fe):
		res.Err = fe
	case err != nil:
		return err
	}
	res.Log, res.Emulator = splitLog(&out)
	return nil
}

// rapid matches a line of the emulator's own (its "rapid" core), such as
// 03 Dec 2026 14:22:26,306 [INFO] (rapid) INIT START(type: on-demand, phase: init).
var rapid = regexp.MustCompile(`^\d\d \w{3} \d{4} \d\d:\d\d:\d\d,\d{3} \[\w+\] \(rapid\) `)

// splitLog splits the emulator's output into the function's log, as a
// CloudWatch log stream would hold it (START, the function's lines, END,
// REPORT), and the emulator's own diagnostics.
func splitLog(r io.Reader) (log, emulator []string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t")
		if rapid.MatchString(line) {
			emulator = append(emulator, line)
		} else {
			log = append(log, line)
		}
	}
	return log, emulator
}
