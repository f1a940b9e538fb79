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
	"github.com/schollz/progressbar/v3"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
	"github.com/s3uploader/s3uploader/pkg/loadgen"
)

// run is the whole demo. It returns once everything it started is stopped
// (with Keep, after Ctrl-C). out gets the story, errw the progress bar.
func run(ctx context.Context, cfg Config, out, errw io.Writer) (sum *Summary, err error) {
	start := time.Now()
	sum = &Summary{}
	var times phases
	tools, haveTools := toolsPhase(os.Getenv)
	if haveTools {
		times.add(tools.Name, tools.Took)
	}
	if cfg.Root == "" {
		wd, _ := os.Getwd()
		if cfg.Root, err = findRoot(wd); err != nil {
			return sum, err
		}
	}
	if err := preflight(&cfg); err != nil {
		return sum, fmt.Errorf("missing tools:\n      %v", err)
	}
	if err := checkForms(&cfg); err != nil {
		return sum, err
	}
	if err := checkTemplate(cfg); err != nil {
		return sum, err
	}
	work := cfg.WorkIn
	if work == "" {
		if work, err = os.MkdirTemp("", "s3uploader-demo-"); err != nil {
			return sum, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return sum, err
	}
	var outMu sync.Mutex // steps end on two goroutines while synth runs
	step := func(what string, since time.Time) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(out, "  ✓ %-58s %6.1fs\n", what, time.Since(since).Seconds())
	}

	// 1. A local AWS with the stack deployed, as to an account.
	fmt.Fprintf(out, "▶ local AWS and the stack\n")
	t := time.Now()
	srv, stopAWS, err := standUp(ctx, cfg, work, step)
	defer stopAWS()
	if srv != nil {
		sum.Pids = append(sum.Pids, srv.Pid())
	}
	if err != nil {
		return sum, err
	}
	times.since("synth and deploy", t)
	c := newClients(srv.Endpoint)

	// 2. Read back what was deployed and fetch the code.
	t = time.Now()
	st, err := discover(ctx, c, cfg.Stack)
	if err != nil {
		return sum, err
	}
	code, err := st.FetchCode(ctx, c.s3, filepath.Join(work, "function"))
	if err != nil {
		return sum, err
	}
	step("code zip from s3://"+st.CodeBucket+" (CodeSha256 checked)", t)
	printStack(out, st)
	// moto's own event source mapping would take the messages as they are
	// sent and try to run the function in Docker: our poller replaces it.
	if err := disableMotoMapping(ctx, c, st); err != nil {
		return sum, err
	}

	// 3. S3 as the function sees it: throttle → moto.
	front, err := startS3Front(srv.Endpoint, cfg)
	if err != nil {
		return sum, err
	}
	defer front.Close()
	fmt.Fprintf(out, "  S3 for the function: %s → moto  (throttle %s per prefix, burst %d%s)\n",
		front.URL, rateText(cfg.Rate), cfg.Burst, faultText(cfg))

	// 4. The function under emulators, each shipping its output to a
	// log stream of the deployed log group, its EMF documents to metrics.
	n := cfg.Concurrency
	if n <= 0 {
		n = st.MaxConcurrency
	}
	if n <= 0 {
		n = 2
	}
	tf := time.Now()
	fn, err := startFunction(ctx, cfg, st, code, srv.Endpoint, front.URL, n, c, work, out)
	if err != nil {
		return sum, err
	}
	defer fn.stop()
	sum.Pids = append(sum.Pids, fn.pool.Pids()...)
	step(fmt.Sprintf("%d × aws-lambda-rie running the deployed bootstrap", n), tf)

	// 5. The event source.
	tracker := newTracker()
	poller := esm.New(c.sqs, fn.pool, esm.Config{
		QueueURL: st.QueueURL, QueueARN: st.QueueARN, Region: st.Region,
		BatchSize: st.BatchSize, MaxBatchingWindow: st.BatchingWindow,
		ReportBatchItemFailures: st.ReportFailures, Concurrency: n,
		FunctionTimeout: st.Timeout, WaitTime: cfg.PollWait,
		OnBatch: tracker.batch,
	})
	pollCtx, stopPolling := context.WithCancel(context.WithoutCancel(ctx))
	pollDone := make(chan struct{})
	go func() { defer close(pollDone); _ = poller.Run(pollCtx) }()
	stopPoller := sync.OnceFunc(func() { stopPolling(); <-pollDone })
	defer stopPoller()
	fmt.Fprintf(out, "  event source: batch %d, window %s, ReportBatchItemFailures %v, %d pollers, visibility %s, maxReceiveCount %d\n",
		st.BatchSize, st.BatchingWindow, st.ReportFailures, n, st.Visibility, st.MaxReceiveCount)
	times.since("function and event source", t)

	// 6. Send, recording the queues and the throttle from the first
	// message on.
	runID := time.Now().UTC().Format("20060102-150405")
	msgs, err := loadgen.Spec{
		Count: cfg.Messages, Size: cfg.Size, KeyPattern: cfg.KeyPattern, Run: runID,
		Encoding: cfg.Encoding, Groups: cfg.Groups, Poison: cfg.Poison, Seed: cfg.Seed,
	}.Messages()
	if err != nil {
		return sum, err
	}
	if msgs, err = shape(ctx, c, cfg, runID, msgs); err != nil {
		return sum, err
	}
	if cfg.Groups == 0 {
		msgs = poisonFirst(msgs)
	}
	fmt.Fprintf(out, "▶ send %d messages (%d poison) of %d bytes, as %s, to %s\n", len(msgs), cfg.Poison, cfg.Size, formText(cfg), st.QueueURL)
	sendStart := time.Now()
	rec := startRecorder(c, st, front)
	stopRecorder := sync.OnceValue(rec.Stop)
	defer stopRecorder()
	bar := progressbar.NewOptions(len(msgs), progressbar.OptionSetWriter(errw), progressbar.OptionSetDescription("  sending"),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(errw) }))
	sender := &loadgen.Sender{SQS: c.sqs, QueueURL: st.QueueURL, OnSent: func(k int) { _ = bar.Add(k) }}
	res, err := sender.Send(ctx, msgs)
	_ = bar.Finish()
	if err != nil {
		return sum, err
	}
	sum.Sent, sum.Poison = res.Sent-countPoison(msgs, res.IDs), countPoison(msgs, res.IDs)
	tracker.expect(res.IDs)
	step(fmt.Sprintf("sent %d with SendMessageBatch", res.Sent), sendStart)
	times.since("send", sendStart)

	// 7. Wait for the queue to drain.
	t = time.Now()
	fmt.Fprintf(out, "▶ drain: the event source invokes the function; failed records reappear after %s\n", st.Visibility)
	drained := waitDrained(ctx, c, st, cfg, poller, front, out)
	if ctx.Err() != nil {
		return sum, context.Cause(ctx)
	}
	sum.Drained = drained
	samples := stopRecorder()
	drainEnd := time.Now()
	times.since("drain", t)

	// 8. Count, check, and read the logs and metrics back.
	t = time.Now()
	if !cfg.Keep {
		stopPoller()
		fn.stop()
	} else {
		fn.flush(ctx)
	}
	if err := sum.collect(ctx, c, st, msgs, res.IDs, poller.Stats(), tracker, front, fn); err != nil {
		return sum, err
	}
	m, err := readMetrics(ctx, c.cw, st, sendStart, drainEnd)
	if err != nil {
		return sum, err
	}
	m.Published, m.Failed, m.Invalid = fn.metrics.Published(), fn.metrics.Failed(), fn.metrics.Invalid()
	sum.Metrics = m
	if cfg.Chart != "" {
		sum.Chart = cfg.Chart
		if !filepath.IsAbs(sum.Chart) {
			sum.Chart = filepath.Join(cfg.Root, sum.Chart)
		}
		title := fmt.Sprintf("make demo: %d messages (+%d poison), throttle %s per prefix, %d instances", sum.Sent, sum.Poison, rateText(cfg.Rate), n)
		if err := writeChart(sum.Chart, chartData{Title: title, Rate: cfg.Rate, Samples: samples, Metrics: m}); err != nil {
			return sum, fmt.Errorf("chart %s: %w", sum.Chart, err)
		}
	}
	times.since("checks", t)
	sum.Elapsed = time.Since(start)
	if haveTools {
		sum.Elapsed += tools.Took
	}
	sum.Phases = times.all()
	sum.print(out, st)

	if cfg.Keep {
		printKeep(out, srv.Endpoint, st, front, sum.Metrics)
		<-ctx.Done()
		fmt.Fprintln(out, "\nstopping…")
	}
	return sum, nil
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
