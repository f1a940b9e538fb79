package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/schollz/progressbar/v3"

	"github.com/s3uploader/s3uploader/pkg/twin/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
	"github.com/s3uploader/s3uploader/pkg/twin/loadgen"
	"github.com/s3uploader/s3uploader/pkg/twin/logship"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
	"github.com/s3uploader/s3uploader/pkg/twin/rie"
)

// run is the whole demo. It returns once everything it started is stopped
// (with Keep, after Ctrl-C). out gets the story, errw the progress bar.
func run(ctx context.Context, cfg Config, out, errw io.Writer) (sum *Summary, err error) {
	start := time.Now()
	sum = &Summary{}
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
	step := func(what string, since time.Time) {
		fmt.Fprintf(out, "  ✓ %-58s %6.1fs\n", what, time.Since(since).Seconds())
	}

	// 1. A local AWS.
	fmt.Fprintf(out, "▶ local AWS\n")
	t := time.Now()
	motoLog, err := os.Create(filepath.Join(work, "moto.log"))
	if err != nil {
		return sum, err
	}
	defer motoLog.Close()
	srv, err := moto.Start(ctx, motoLog)
	if err != nil {
		return sum, err
	}
	sum.Pids = append(sum.Pids, srv.Pid())
	defer srv.Stop()
	step(fmt.Sprintf("moto_server on 127.0.0.1:%d (pid %d)", srv.Port, srv.Pid()), t)
	c := newClients(srv.Endpoint)

	// 2. Deploy the stack with the CDK CLI, as to an account.
	cdkLog, err := os.Create(filepath.Join(work, "cdk.log"))
	if err != nil {
		return sum, err
	}
	defer cdkLog.Close()
	t = time.Now()
	if err := deploy(ctx, cfg, srv.Endpoint, filepath.Join(work, "cdk.out"), cdkLog, step); err != nil {
		return sum, fmt.Errorf("deploy (log: %s): %w", cdkLog.Name(), err)
	}
	sum.Deploy = time.Since(t)

	// 3. Read back what was deployed and fetch the code.
	t = time.Now()
	st, err := discover(ctx, c, cfg.Stack)
	if err != nil {
		return sum, err
	}
	bootstrap, err := st.FetchCode(ctx, c.s3, filepath.Join(work, "function"))
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

	// 4. S3 as the function sees it: throttle → moto.
	front, err := startS3Front(srv.Endpoint, cfg)
	if err != nil {
		return sum, err
	}
	defer front.Close()
	fmt.Fprintf(out, "  S3 for the function: %s → moto  (throttle %s per prefix, burst %d%s)\n",
		front.URL, rateText(cfg.Rate), cfg.Burst, faultText(cfg))

	// 5. The function under emulators, each shipping its output to a
	// log stream of the deployed log group.
	n := cfg.Concurrency
	if n <= 0 {
		n = st.MaxConcurrency
	}
	if n <= 0 {
		n = 2
	}
	t = time.Now()
	fn, err := startFunction(ctx, cfg, st, bootstrap, srv.Endpoint, front.URL, n, c, work, out)
	if err != nil {
		return sum, err
	}
	defer fn.stop()
	sum.Pids = append(sum.Pids, fn.pool.Pids()...)
	step(fmt.Sprintf("%d × aws-lambda-rie running the deployed bootstrap", n), t)

	// 6. The event source.
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

	// 7. Send.
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
	fmt.Fprintf(out, "▶ send %d messages (%d poison) of %d bytes, as %s, to %s\n", len(msgs), cfg.Poison, cfg.Size, formText(cfg), st.QueueURL)
	sendStart := time.Now()
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

	// 8. Wait for the queue to drain.
	fmt.Fprintf(out, "▶ drain: the event source invokes the function; failed records reappear after %s\n", st.Visibility)
	drained := waitDrained(ctx, c, st, cfg, poller, front, out)
	if ctx.Err() != nil {
		return sum, context.Cause(ctx)
	}
	sum.Drained = drained

	// 9. Count, check and read the logs back.
	if !cfg.Keep {
		stopPoller()
		fn.stop()
	} else {
		fn.flush(ctx)
	}
	if err := sum.collect(ctx, c, st, msgs, res.IDs, poller.Stats(), tracker, front, fn); err != nil {
		return sum, err
	}
	sum.Elapsed = time.Since(start)
	sum.print(out, st)

	if cfg.Keep {
		printKeep(out, srv.Endpoint, st, front)
		<-ctx.Done()
		fmt.Fprintln(out, "\nstopping…")
	}
	return sum, nil
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

// waitDrained polls the queue until it has been empty (nothing visible,
// nothing in flight) for cfg.SettleQuiet, printing a status line every few
// seconds. It returns false on timeout.
func waitDrained(ctx context.Context, c clients, st *deployed.Stack, cfg Config, p *esm.Poller, front *s3Front, out io.Writer) bool {
	begin := time.Now()
	deadline := begin.Add(cfg.Timeout)
	var emptySince, lastPrint time.Time
	last := ""
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
		visible, inflight := queueDepth(ctx, c, st.QueueURL)
		dlq, _ := queueDepth(ctx, c, st.DLQURL)
		s, ts := p.Stats(), front.Stats()
		line := fmt.Sprintf("queue %4d visible %4d in flight │ DLQ %d │ invocations %d (%d partial, %d failed) │ S3 PUT %d ok, %d SlowDown",
			visible, inflight, dlq, s.Invocations, s.PartialBatches,
			s.FunctionErrors+s.Timeouts+s.InvalidResponses+s.InvokeErrors, ts.Admitted, ts.Throttled)
		// A line when something changed (at most every 2 s), else every 15 s.
		if (line != last && time.Since(lastPrint) >= 2*time.Second) || time.Since(lastPrint) >= 15*time.Second {
			note := ""
			if visible == 0 && inflight > 0 {
				note = "  (failed records wait out the visibility timeout)"
			}
			fmt.Fprintf(out, "  %5.1fs  %s%s\n", time.Since(begin).Seconds(), line, note)
			last, lastPrint = line, time.Now()
		}
		if visible == 0 && inflight == 0 {
			if emptySince.IsZero() {
				emptySince = time.Now()
			}
			if time.Since(emptySince) >= cfg.SettleQuiet {
				return true
			}
		} else {
			emptySince = time.Time{}
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(out, "  ✗ queue not drained after %s\n", cfg.Timeout)
			return false
		}
	}
}

func queueDepth(ctx context.Context, c clients, url string) (visible, inflight int) {
	if url == "" {
		return 0, 0
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return -1, -1
	}
	visible, _ = strconv.Atoi(a.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inflight, _ = strconv.Atoi(a.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inflight
}

// tracker counts deliveries per message, to tell redeliveries, and keeps
// each message's first record as the function got it, to render its key.
type tracker struct {
	mu         sync.Mutex
	deliveries map[string]int
	expected   map[string]bool
	records    map[string]events.SQSMessage
}

func newTracker() *tracker {
	return &tracker{deliveries: map[string]int{}, expected: map[string]bool{}, records: map[string]events.SQSMessage{}}
}

func (t *tracker) expect(ids []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if id != "" {
			t.expected[id] = true
		}
	}
}

func (t *tracker) batch(b esm.Batch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range b.MessageIDs {
		t.deliveries[id]++
	}
	for _, r := range b.Records {
		if _, ok := t.records[r.MessageId]; !ok {
			t.records[r.MessageId] = r
		}
	}
}

// record returns the first record of message id the function got.
func (t *tracker) record(id string) (events.SQSMessage, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.records[id]
	return r, ok
}

func (t *tracker) deliveriesOf(id string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.deliveries[id]
}

// redeliveries is the number of deliveries beyond the first, over all
// messages, and the largest number of deliveries of one message.
func (t *tracker) redeliveries() (total, most int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.deliveries {
		total += n - 1
		most = max(most, n)
	}
	return total, most
}

// function is the deployed code running under emulators.
type function struct {
	pool     *rie.Pool
	shippers []*logship.Shipper
	files    []*os.File // raw emulator output, kept in the work folder
	stopOnce sync.Once
}

func startFunction(ctx context.Context, cfg Config, st *deployed.Stack, bootstrap, motoURL, s3URL string, n int, c clients, work string, out io.Writer) (*function, error) {
	format := logship.Text
	if strings.EqualFold(st.LogFormat, "JSON") {
		format = logship.JSON
	}
	f := &function{}
	var emulators []*rie.Emulator
	fail := func(err error) (*function, error) {
		f.pool = rie.NewPool(emulators...)
		f.stop()
		return nil, err
	}
	for i := range n {
		var echo func(string)
		if cfg.Verbose {
			echo = func(l string) { fmt.Fprintf(out, "    [%d] %s\n", i, l) }
		}
		sh, err := logship.New(ctx, c.logs, logship.Config{
			LogGroup: st.LogGroup, Format: format, Timeout: st.Timeout, Echo: echo,
		})
		if err != nil {
			return fail(err)
		}
		f.shippers = append(f.shippers, sh)
		raw, err := os.Create(filepath.Join(work, fmt.Sprintf("emulator-%d.log", i)))
		if err != nil {
			return fail(err)
		}
		f.files = append(f.files, raw)
		e, err := rie.Start(ctx, rie.Config{
			Emulator:  cfg.RIE,
			Bootstrap: bootstrap,
			Env:       functionEnv(st, motoURL, s3URL, sh.Stream()),
			Timeout:   st.Timeout,
			MemoryMB:  st.MemoryMB,
			Output:    io.MultiWriter(sh, raw),
		})
		if err != nil {
			return fail(err)
		}
		emulators = append(emulators, e)
	}
	f.pool = rie.NewPool(emulators...)
	return f, nil
}

// functionEnv is the environment Lambda gives the function (its own
// variables included), with the local endpoints: S3 through the throttle,
// path-style, anything else to moto.
func functionEnv(st *deployed.Stack, motoURL, s3URL, stream string) []string {
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"_HANDLER":                        aws.ToString(st.Function.Handler),
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + string(st.Function.Runtime),
		"AWS_REGION":                      st.Region,
		"AWS_DEFAULT_REGION":              st.Region,
		"AWS_ACCESS_KEY_ID":               moto.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           moto.SecretAccessKey,
		"AWS_LAMBDA_FUNCTION_NAME":        st.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(st.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       st.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      stream,
	}
	if strings.EqualFold(st.LogFormat, "JSON") {
		env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if st.LogLevel != "" {
			env["AWS_LAMBDA_LOG_LEVEL"] = st.LogLevel
		}
	}
	for k, v := range st.Env {
		env[k] = v
	}
	// The local endpoints win over anything the function sets.
	env["AWS_ENDPOINT_URL"] = motoURL
	env["AWS_ENDPOINT_URL_S3"] = s3URL
	env["S3_USE_PATH_STYLE"] = "true"
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	list := make([]string, len(keys))
	for i, k := range keys {
		list[i] = k + "=" + env[k]
	}
	return list
}

// flush ships what the emulators wrote so far.
func (f *function) flush(ctx context.Context) {
	time.Sleep(100 * time.Millisecond) // let the emulators' pipes drain
	for _, s := range f.shippers {
		s.Flush(ctx)
	}
}

// stop stops the emulators, then ships the rest of their output.
func (f *function) stop() {
	f.stopOnce.Do(func() {
		if f.pool != nil {
			f.pool.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range f.shippers {
			_ = s.Close(ctx)
		}
		for _, file := range f.files {
			file.Close()
		}
	})
}

func (f *function) shipped() (ok, failed int64) {
	for _, s := range f.shippers {
		ok += s.Shipped()
		failed += s.Failed()
	}
	return ok, failed
}
