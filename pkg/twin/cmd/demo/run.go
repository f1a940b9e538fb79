package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// run is the whole demo. It returns once everything it started is stopped
// (with Keep, after Ctrl-C). out gets the story, errw the progress. When a
// step with a log fails, its error ends with the log's last lines and
// names the log, kept (see prepare).
func run(ctx context.Context, cfg Config, out, errw io.Writer) (_ *Summary, err error) {
	d := &demo{cfg: cfg, out: out, errw: errw, sum: &Summary{}, start: time.Now()}
	finish, err := d.prepare()
	// Deferred first, so it runs last: after the steps' logs are closed.
	defer func() { err = finish(err) }()
	if err != nil {
		return d.sum, err
	}

	// 1. A local AWS with the stack deployed, as to an account.
	stopAWS, err := d.deployStack(ctx)
	defer stopAWS()
	if err != nil {
		return d.sum, err
	}

	// 2.–5. What was deployed, read back and run: the code under the
	// emulators, S3 behind a throttle, the event source.
	t := time.Now()
	if err := d.readBack(ctx); err != nil {
		return d.sum, err
	}
	if err := d.startS3(); err != nil {
		return d.sum, err
	}
	defer d.front.Close()
	if err := d.startFunction(ctx); err != nil {
		return d.sum, err
	}
	defer d.fn.stop()
	stopPoller := d.startEventSource(ctx)
	defer stopPoller()
	d.times.since("function and event source", t)

	// 6. Send, recording the queues and the throttle from the first
	// message on.
	msgs, err := d.messages(ctx)
	if err != nil {
		return d.sum, err
	}
	stopRecorder, err := d.send(ctx, msgs)
	defer stopRecorder()
	if err != nil {
		return d.sum, err
	}

	// 7. Wait for the queue to drain.
	samples, err := d.drain(ctx, stopRecorder)
	if err != nil {
		return d.sum, err
	}

	// 8. Count, check, and read the logs and metrics back.
	if err := d.check(ctx, stopPoller, samples); err != nil {
		return d.sum, err
	}
	d.report(ctx)
	return d.sum, nil
}

// demo is one run: its settings, its output, and what its steps have
// started and found so far, in the order run fills them in.
type demo struct {
	cfg       Config
	out, errw io.Writer
	sum       *Summary
	start     time.Time
	toolsTook time.Duration // `make demo`'s tools and build, before start
	times     phases
	outMu     sync.Mutex // steps end on two goroutines while synth runs

	work    string
	srv     *moto.Server
	c       clients
	st      *deployed.Stack
	code    string // the deployed bootstrap, fetched
	front   *s3Front
	n       int // emulators, and pollers
	fn      *function
	tracker *tracker
	poller  *esm.Poller

	run       sentRun // what was sent: the messages and their IDs
	sendStart time.Time
	drainEnd  time.Time
}

// step prints a line for a step done since since.
func (d *demo) step(what string, since time.Time) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	fmt.Fprintf(d.out, "  ✓ %-58s %6.1fs\n", what, time.Since(since).Seconds())
}

// prepare times `make demo`'s tools, finds the repository, checks the
// tools and the run's settings, and makes the work folder. finish is never
// nil: given the run's error, it keeps the log of a step that failed
// (moved to .build/demo/ when the work folder is a temporary one) and
// removes a temporary folder; it returns the error, with the log's end.
func (d *demo) prepare() (finish func(error) error, err error) {
	remove := func(err error) error { return err }
	if tools, ok := toolsPhase(os.Getenv); ok {
		d.times.add(tools.Name, tools.Took)
		d.toolsTook = tools.Took
	}
	if d.cfg.Root == "" {
		wd, _ := os.Getwd()
		if d.cfg.Root, err = findRoot(wd); err != nil {
			return remove, err
		}
	}
	if err := preflight(&d.cfg); err != nil {
		return remove, fmt.Errorf("missing tools:\n      %v", err)
	}
	if err := checkSource(&d.cfg); err != nil {
		return remove, err
	}
	if err := checkForms(&d.cfg); err != nil {
		return remove, err
	}
	if err := checkTemplate(d.cfg); err != nil {
		return remove, err
	}
	if d.work = d.cfg.WorkIn; d.work != "" {
		keep := func(err error) error { _, err = keepLog(err, false, ""); return err }
		return keep, os.MkdirAll(d.work, 0o755)
	}
	if d.work, err = os.MkdirTemp("", "s3uploader-demo-"); err != nil {
		return remove, err
	}
	work, keepIn := d.work, filepath.Join(d.cfg.Root, ".build", "demo")
	return func(err error) error {
		kept, err := keepLog(err, true, keepIn)
		if kept {
			os.RemoveAll(work)
		}
		return err
	}, nil
}

// deployStack starts moto and deploys the stack to it (step 1). stop is
// never nil; moto's pid is in the summary as soon as it runs.
func (d *demo) deployStack(ctx context.Context) (stop func(), err error) {
	fmt.Fprintf(d.out, "▶ local AWS and the stack\n")
	t := time.Now()
	before := func(ctx context.Context, srv *moto.Server) (string, error) {
		return makeOutside(ctx, newClients(srv.Endpoint), d.cfg)
	}
	srv, stop, err := standUp(ctx, d.cfg, d.work, d.step, before)
	if srv != nil {
		d.sum.Pids = append(d.sum.Pids, srv.Pid())
	}
	if err != nil {
		return stop, err
	}
	d.srv, d.c = srv, newClients(srv.Endpoint)
	d.times.since("synth and deploy", t)
	return stop, nil
}

// readBack reads back what was deployed and fetches the code (step 2).
func (d *demo) readBack(ctx context.Context) error {
	t := time.Now()
	st, err := discover(ctx, d.c, d.cfg.Stack)
	if err != nil {
		return err
	}
	if d.code, err = st.FetchCode(ctx, d.c.s3, filepath.Join(d.work, "function")); err != nil {
		return err
	}
	d.st = st
	d.step("code zip from s3://"+st.CodeBucket+" (CodeSha256 checked)", t)
	printStack(d.out, st)
	if err := d.wireSource(ctx); err != nil {
		return err
	}
	// moto's own event source mapping would take the messages as they are
	// sent and try to run the function in Docker: our poller replaces it.
	return disableMotoMapping(ctx, d.c, st)
}

// startS3 puts the throttle in front of moto's S3: S3 as the function
// sees it (step 3).
func (d *demo) startS3() error {
	front, err := startS3Front(d.srv.Endpoint, d.cfg)
	if err != nil {
		return err
	}
	d.front = front
	fmt.Fprintf(d.out, "  S3 for the function: %s → moto  (throttle %s per prefix, burst %d%s)\n",
		front.URL, rateText(d.cfg.Rate), d.cfg.Burst, faultText(d.cfg))
	return nil
}

// startFunction runs the function under emulators, each shipping its
// output to a log stream of the deployed log group, its EMF documents to
// metrics (step 4).
func (d *demo) startFunction(ctx context.Context) error {
	d.n = d.cfg.Concurrency
	if d.n <= 0 {
		d.n = d.st.MaxConcurrency
	}
	if d.n <= 0 {
		d.n = 2
	}
	t := time.Now()
	fn, err := startFunction(ctx, d.cfg, d.st, d.code, d.srv.Endpoint, d.front.URL, d.n, d.c, d.work, d.out)
	if err != nil {
		return err
	}
	d.fn = fn
	d.sum.Pids = append(d.sum.Pids, fn.pool.Pids()...)
	d.step(fmt.Sprintf("%d × aws-lambda-rie running the deployed bootstrap", d.n), t)
	return nil
}

// startEventSource starts polling the queue as the deployed mapping would
// (step 5). stop stops the poller and waits for it; it may be called more
// than once.
func (d *demo) startEventSource(ctx context.Context) (stop func()) {
	st := d.st
	d.tracker = newTracker(newOrigin(d.cfg))
	d.poller = esm.New(d.c.sqs, d.fn.pool, esm.Config{
		QueueURL: st.QueueURL, QueueARN: st.QueueARN, Region: st.Region,
		BatchSize: st.BatchSize, MaxBatchingWindow: st.BatchingWindow,
		ReportBatchItemFailures: st.ReportFailures, Concurrency: d.n,
		FunctionTimeout: st.Timeout, WaitTime: d.cfg.PollWait,
		OnBatch: d.tracker.batch,
	})
	pollCtx, stopPolling := context.WithCancel(context.WithoutCancel(ctx))
	pollDone := make(chan struct{})
	go func() { defer close(pollDone); _ = d.poller.Run(pollCtx) }()
	fmt.Fprintf(d.out, "  event source: batch %d, window %s, ReportBatchItemFailures %v, %d pollers, visibility %s, maxReceiveCount %d\n",
		st.BatchSize, st.BatchingWindow, st.ReportFailures, d.n, st.Visibility, st.MaxReceiveCount)
	return sync.OnceFunc(func() { stopPolling(); <-pollDone })
}

// messages makes the run's messages in the form the stack receives them,
// the poison ones first (step 6).
func (d *demo) messages(ctx context.Context) ([]loadgen.Message, error) {
	cfg := d.cfg
	runID := time.Now().UTC().Format("20060102-150405")
	msgs, err := loadgen.Spec{
		Count: cfg.Messages, Size: cfg.Size, KeyPattern: cfg.KeyPattern, Run: runID,
		Encoding: cfg.Encoding, Groups: cfg.Groups, Poison: cfg.Poison, Seed: cfg.Seed,
	}.Messages()
	if err != nil {
		return nil, err
	}
	if msgs, err = shape(ctx, d.c, cfg, runID, msgs); err != nil {
		return nil, err
	}
	if cfg.Groups == 0 {
		msgs = poisonFirst(msgs)
	}
	return msgs, nil
}

// send sends msgs, showing its progress (sendProgress), recording the
// queues and the throttle from the first message on (step 6): to the
// queue, or through the source that feeds it (sendTarget). A FIFO run
// sends one batch at a time, so each group's order is the order of msgs.
// stopRecorder is never nil; it returns the samples, the same ones on
// every call.
func (d *demo) send(ctx context.Context, msgs []loadgen.Message) (stopRecorder func() []sample, err error) {
	cfg := d.cfg
	target, how, match := d.sendTarget()
	url := d.st.QueueURL
	if u := d.st.Outputs["QueueUrl"]; cfg.Existing && u != "" {
		url = u // AWS's form for an imported queue, which moto serves too
	}
	fmt.Fprintf(d.out, "▶ send %d messages (%d poison) of %d bytes, as %s, to %s\n", len(msgs), cfg.Poison, cfg.Size, formText(cfg), url)
	d.sendStart = time.Now()
	rec := startRecorder(d.c, d.st, d.front)
	stopRecorder = sync.OnceValue(rec.Stop)
	add, finish := sendProgress(d.errw, len(msgs), func() string {
		line, _, _ := status(ctx, d.c, d.st, d.poller, d.front)
		return line
	})
	sender := &loadgen.Sender{SQS: target, QueueURL: url, OnSent: add}
	if cfg.Groups > 0 {
		sender.Concurrency = 1
	}
	res, err := sender.Send(ctx, msgs)
	finish()
	if err != nil {
		return stopRecorder, err
	}
	d.run = sentRun{msgs: msgs, ids: res.IDs, origin: newOrigin(cfg), match: match}
	d.sum.Sent, d.sum.Poison = res.Sent-countPoison(msgs, res.IDs), countPoison(msgs, res.IDs)
	d.sum.Source = cfg.Source
	d.step(fmt.Sprintf("%d %s", res.Sent, how), d.sendStart)
	d.times.since("send", d.sendStart)
	return stopRecorder, nil
}

// drain waits for the queue to drain, then stops the recorder and returns
// its samples (step 7). It fails only when ctx ends.
func (d *demo) drain(ctx context.Context, stopRecorder func() []sample) ([]sample, error) {
	t := time.Now()
	fmt.Fprintf(d.out, "▶ drain: the event source invokes the function; failed records reappear after %s\n", d.st.Visibility)
	drained := waitDrained(ctx, d.c, d.st, d.cfg, d.poller, d.front, d.out)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	d.sum.Drained = drained
	samples := stopRecorder()
	d.drainEnd = time.Now()
	d.times.since("drain", t)
	return samples, nil
}

// check counts and checks what the run left, reads the logs and metrics
// back and draws the chart (step 8). Without Keep it stops the poller and
// the function first, so their last output is shipped.
func (d *demo) check(ctx context.Context, stopPoller func(), samples []sample) error {
	t := time.Now()
	if !d.cfg.Keep {
		stopPoller()
		d.fn.stop()
	} else {
		d.fn.flush(ctx)
	}
	if err := d.sum.collect(ctx, d.c, d.st, d.run, d.poller.Stats(), d.tracker, d.front, d.fn); err != nil {
		return err
	}
	m, err := readMetrics(ctx, d.c.cw, d.st, d.sendStart, d.drainEnd)
	if err != nil {
		return err
	}
	m.Published, m.Failed, m.Invalid = d.fn.metrics.Published(), d.fn.metrics.Failed(), d.fn.metrics.Invalid()
	d.sum.Metrics = m
	if err := d.drawChart(samples); err != nil {
		return err
	}
	d.times.since("checks", t)
	return nil
}

// drawChart draws the run's chart, if the configuration asks for one.
func (d *demo) drawChart(samples []sample) error {
	if d.cfg.Chart == "" {
		return nil
	}
	sum := d.sum
	sum.Chart = d.cfg.Chart
	if !filepath.IsAbs(sum.Chart) {
		sum.Chart = filepath.Join(d.cfg.Root, sum.Chart)
	}
	title := fmt.Sprintf("make demo: %d messages (+%d poison), throttle %s per prefix, %d instances", sum.Sent, sum.Poison, rateText(d.cfg.Rate), d.n)
	if err := writeChart(sum.Chart, chartData{Title: title, Rate: d.cfg.Rate, Samples: samples, Every: recordEvery,
		Metrics: sum.Metrics, Stored: sum.Uploaded}); err != nil {
		return fmt.Errorf("chart %s: %w", sum.Chart, err)
	}
	return nil
}

// report prints the summary; with Keep, it then prints how to reach what
// still runs and waits for Ctrl-C.
func (d *demo) report(ctx context.Context) {
	d.sum.Elapsed = time.Since(d.start) + d.toolsTook
	d.sum.Phases = d.times.all()
	d.sum.print(d.out, d.st)
	if d.cfg.Keep {
		printKeep(d.out, d.cfg, d.srv.Endpoint, d.st, d.front, d.sum.Metrics)
		<-ctx.Done()
		fmt.Fprintln(d.out, "\nstopping…")
	}
}

// poisonFirst moves the poison messages to the front, keeping the order of
// the rest: their way to the DLQ (maxReceiveCount receives, one visibility
// timeout each) then runs while the good messages drain, not after. (Not
// for FIFO groups, where a poison message at the head would hold its
// group back until it reaches the DLQ.)
func poisonFirst(msgs []loadgen.Message) []loadgen.Message {
	out := make([]loadgen.Message, 0, len(msgs))
	for _, m := range msgs {
		if m.Poison {
			out = append(out, m)
		}
	}
	for _, m := range msgs {
		if !m.Poison {
			out = append(out, m)
		}
	}
	return out
}

func countPoison(msgs []loadgen.Message, ids []string) int {
	n := 0
	for i, m := range msgs {
		if m.Poison && ids[i] != "" {
			n++
		}
	}
	return n
}

func rateText(r float64) string {
	if r <= 0 {
		return "off"
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + " PUT/s"
}

func faultText(cfg Config) string {
	var s []string
	if cfg.ErrorRate > 0 {
		s = append(s, fmt.Sprintf("500s %.0f%%", cfg.ErrorRate*100))
	}
	if cfg.ResetRate > 0 {
		s = append(s, fmt.Sprintf("resets %.0f%%", cfg.ResetRate*100))
	}
	if len(s) == 0 {
		return ""
	}
	return ", " + strings.Join(s, ", ")
}

func printStack(out io.Writer, st *deployed.Stack) {
	fmt.Fprintf(out, "  function  %s (%s, %s, timeout %s, %d MB, log format %s)\n", st.FunctionName,
		aws.ToString((*string)(&st.Function.Runtime)), strings.Join(archs(st), ","), st.Timeout, st.MemoryMB, st.LogFormat)
	fmt.Fprintf(out, "  queue     %s\n  DLQ       %s\n  bucket    s3://%s/%s\n  log group %s\n",
		st.QueueURL, st.DLQURL, st.Bucket, st.KeyPrefix, st.LogGroup)
}

func archs(st *deployed.Stack) []string {
	var a []string
	for _, x := range st.Function.Architectures {
		a = append(a, string(x))
	}
	return a
}
