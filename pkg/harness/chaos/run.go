package chaos

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// Config sets a run. Zero fields take the defaults noted.
type Config struct {
	Seed            uint64
	Messages        int // 1000
	BatchSize       int // 10, as the event source mapping's default
	Pollers         int // concurrent execution environments; 1
	MaxReceiveCount int // redrive policy; 5
	// Schedule rates; zero Rates take DefaultRates, the invocation rates
	// 0.05 deadline, 0.03 kill, 0.01 storm.
	Rates                             Rates
	DeadlineRate, KillRate, StormRate float64
	StormSlowDown                     float64  // DefaultStormSlowDown
	SQSRates                          SQSRates // zero: DefaultSQSRates
	// Env is extra function environment (uploader.ConfigFromEnv), over the
	// run's own: 6 attempts, 2ms to 40ms backoff, 150ms attempt timeout,
	// 50ms deadline margin, DEAD_LETTER_QUEUE_URL the run's SQS.
	Env map[string]string
	// Logs, when set, also gets the function's log lines.
	Logs io.Writer
}

// Secret is the AWS secret access key the run's S3 client signs with; no
// log line may hold it.
const Secret = "chaosSECRETkey/0123456789abcdefghijklmnopqrstu"

const (
	bucket   = "chaos-uploads"
	prefix   = "uploads/"
	queueARN = "arn:aws:sqs:us-east-1:123456789012:uploads"
	timeout  = 30 * time.Second
)

// Report is what a run did and found.
type Report struct {
	Seed        uint64
	Messages    int
	ByKind      map[string]int // messages sent, by Kind
	Invocations int
	Deadlines   int            // invocations that hit their deadline mid-batch
	Kills       int            // execution environments killed mid-batch
	Storms      int            // invocations run during a SlowDown storm
	Receives    int            // deliveries, redeliveries included
	Redelivered int            // deliveries after a message's first
	Again       int            // deleted messages SQS delivered once more
	Faults      map[string]int // S3's
	SQSFaults   map[string]int // the function's SQS requests failed, by call and code
	Requests    int            // S3 requests the function made (PUT and GET)
	Stored      int            // objects in the bucket
	Dedups      int            // 412 answers: the object was already there
	Checksums   int            // PUT bodies whose checksum the server verified
	Done        int            // messages reported done
	DLQ         int            // messages in the dead-letter queue
	DLQByKind   map[string]int
	DLQByReason map[string]int // by failure.reason, or the reason of the last failure when redriven
	DLQByRoute  map[string]int // by the route of the message's first copy: function, redrive
	// PermanentByFunction counts the messages the function dead-lettered
	// for S3's PermanentError (a 403, a conflict with other bytes).
	PermanentByFunction int
	DLQCopies           int // copies in the DLQ beyond each message's first
	DLQSends            int // dead letters the function's SendMessage delivered
	SendFallbacks       int // records reported failed because their dead-letter send failed
	VisibilityCalls     int // ChangeMessageVisibility(Batch) calls SQS took
	Visibility          int // visibility changes in them
	StaleVisibility     int // of them, for a delivery no longer in flight
	DelayNotSet         int // "redelivery delay not set" lines: a visibility call failed
	Lost                int // neither stored byte-exact nor in the DLQ
	WrongBytes          int // objects whose bytes no message sent, or a done message's object differing
	LogLines            int
	Wall                time.Duration
	Violations          []string
	Schedule            []string // invocation plans and injected faults, in order
}

// Run sends the messages of cfg.Seed through the simulated queue and the
// function until the queue drains, then checks the invariants. Its error is
// for a run that could not be set up; broken invariants are in
// Report.Violations.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = withDefaults(cfg)
	start := time.Now()
	sch := Schedule{Seed: cfg.Seed, Rates: cfg.Rates, DeadlineRate: cfg.DeadlineRate, KillRate: cfg.KillRate, StormRate: cfg.StormRate,
		StormSlowDown: cfg.StormSlowDown, SQS: cfg.SQSRates}
	srv, err := newServer(bucket, sch)
	if err != nil {
		return nil, err
	}
	hs := serve(srv)
	defer hs.Close()
	msgs := messages(cfg.Seed, cfg.Messages, prefix)
	q, rep := send(cfg, msgs)
	sq := startSQS(q, sch)
	defer sq.Close()
	fcfg, client, err := configure(ctx, cfg.Env, hs.URL, sq.DLQ())
	if err != nil {
		return nil, err
	}
	out, logs := collectLogs(cfg.Logs)
	p := &pollers{q: q, sch: sch, srv: srv, fcfg: fcfg, client: client, sqsURL: sq.URL(), out: out, batchSize: cfg.BatchSize, rep: rep}
	p.drain(ctx, cfg.Pollers)
	sq.Close() // every SQS call answered: the queue holds all it took
	logged := logs()
	if p.err != nil {
		return nil, p.err
	}
	srv.quiet.Store(true)
	tally(rep, q, srv, sq)
	rep.Schedule = append(append(p.plans, srv.faultLog()...), sq.faultLog()...)
	if err := check(ctx, rep, client, srv, q, sq, msgs, logged); err != nil {
		return rep, err
	}
	rep.Wall = time.Since(start)
	return rep, nil
}

// serve starts the HTTP server of srv.
func serve(srv *server) *httptest.Server {
	hs := httptest.NewUnstartedServer(srv)
	// gofakes3 sometimes writes a second status line on a request the client
	// abandoned; net/http's complaint about it is noise here.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.Start()
	return hs
}

// configure returns the function's configuration, the run's own environment
// (dead letters to dlq) under env, and its S3 client for the server at url.
func configure(ctx context.Context, env map[string]string, url, dlq string) (uploader.Config, *s3.Client, error) {
	vars := map[string]string{"BUCKET_NAME": bucket, "KEY_PREFIX": prefix, "S3_USE_PATH_STYLE": "true",
		"RETRY_MAX_ATTEMPTS": "6", "RETRY_BASE_DELAY": "2ms", "RETRY_MAX_DELAY": "40ms", "ATTEMPT_TIMEOUT": "150ms",
		"DEADLINE_MARGIN": "50ms", "AWS_LAMBDA_FUNCTION_NAME": "uploader-chaos", "DEAD_LETTER_QUEUE_URL": dlq}
	for k, v := range env {
		vars[k] = v
	}
	fcfg, err := uploader.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		return fcfg, nil, err
	}
	client, err := uploader.NewS3Client(ctx, fcfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Region = "us-east-1"
		o.Credentials = credentials
	})
	return fcfg, client, err
}

// credentials are what the run's S3 and SQS clients sign with.
var credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIACHAOS", SecretAccessKey: Secret, Source: "chaos"}, nil
})

// send puts msgs on a new queue and starts the report of the run.
func send(cfg Config, msgs []*message) (*Queue, *Report) {
	q := NewQueue(queueARN, cfg.MaxReceiveCount)
	rep := &Report{Seed: cfg.Seed, Messages: len(msgs), ByKind: map[string]int{}, DLQByKind: map[string]int{}, DLQByReason: map[string]int{},
		DLQByRoute: map[string]int{}}
	for _, m := range msgs {
		q.Send(m.sqs)
		rep.ByKind[m.kind.String()]++
	}
	return q, rep
}

// collectLogs returns the writer every execution environment logs to, also
// writing to tee when it is not nil, and a function that closes it and
// returns all that was written. An io.Pipe takes the environments' writes
// one at a time, in order, into one buffer.
func collectLogs(tee io.Writer) (io.Writer, func() []byte) {
	r, w := io.Pipe()
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = buf.ReadFrom(r)
	}()
	logs := func() []byte {
		w.Close()
		<-done
		return buf.Bytes()
	}
	if tee != nil {
		return io.MultiWriter(w, tee), logs
	}
	return w, logs
}

// tally copies into rep what the queue, the server and the SQS counted.
func tally(rep *Report, q *Queue, srv *server, sq *sqsFront) {
	rep.Receives, rep.Redelivered = q.Counts()
	rep.StaleVisibility = q.Stale()
	rep.SQSFaults, rep.DLQSends, rep.VisibilityCalls, rep.Visibility = sq.counts()
	rep.Faults = srv.faultCounts()
	rep.Dedups = int(srv.rec.dedups.Load())
	rep.Checksums = int(srv.checksum.Stats().Verified)
	rep.Requests = srv.requests()
}

// pollers are the execution environments draining the queue, as the event
// source mapping's pollers hand them batches; they write what they did
// into rep and plans, under mu.
type pollers struct {
	q         *Queue
	sch       Schedule
	srv       *server
	fcfg      uploader.Config
	client    *s3.Client
	sqsURL    string // the endpoint each environment's SQS client calls
	out       io.Writer
	batchSize int

	mu    sync.Mutex
	n     int      // invocations begun
	plans []string // one line per invocation, in the order they ended
	rep   *Report
	err   error // an environment that could not start
}

// drain runs n environments until the queue is empty.
func (p *pollers) drain(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.poll(ctx)
		}()
	}
	wg.Wait()
}

// poll is one warm execution environment taking batches until the queue is
// empty; a cold one replaces it when it is killed.
func (p *pollers) poll(ctx context.Context) {
	h, err := p.start(ctx)
	for err == nil {
		batch := p.q.Receive(p.batchSize)
		if batch == nil {
			return
		}
		if p.deliver(ctx, h, batch) {
			h, err = p.start(ctx)
		}
	}
	p.mu.Lock()
	p.err = cmp.Or(p.err, err)
	p.mu.Unlock()
}

// start is a cold start: the handler, with its own SQS client, as the
// function's main builds them.
func (p *pollers) start(ctx context.Context) (*uploader.Handler, error) {
	client, err := uploader.NewSQSClient(ctx, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(p.sqsURL)
		o.Region = "us-east-1"
		o.Credentials = credentials
	})
	if err != nil {
		return nil, err
	}
	return uploader.New(p.fcfg, p.client, p.out, uploader.WithSQS(client)), nil
}

// deliver runs batch on h under the schedule's plan for the next
// invocation, records it and settles the batch in the queue; killed
// reports that the environment died.
func (p *pollers) deliver(ctx context.Context, h *uploader.Handler, batch []events.SQSMessage) (killed bool) {
	n := p.next()
	plan := p.sch.Invocation(n, p.fcfg.DeadlineMargin, timeout)
	p.srv.inv.Store(int64(n))
	if plan.Storm {
		p.srv.storm.Add(1)
	}
	resp, killed, err := invoke(ctx, h, batch, plan)
	if plan.Storm {
		p.srv.storm.Add(-1)
	}
	var ok, again map[string]bool // none, unless the invocation answered
	if !killed && err == nil {
		ok, again = p.settled(batch, resp)
	}
	done, dead := p.q.Finish(batch, ok, again)
	p.record(n, plan, batch, ok, done, dead, len(again), killed, err)
	return killed
}

func (p *pollers) next() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return p.n
}

// settled returns the messages of batch the response does not report
// failed (the source deletes them), and those of them SQS delivers once
// more.
func (p *pollers) settled(batch []events.SQSMessage, resp events.SQSEventResponse) (ok, again map[string]bool) {
	ok, again = map[string]bool{}, map[string]bool{}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for _, m := range batch {
		if !failed[m.MessageId] {
			ok[m.MessageId] = true
			if p.sch.rng("again", m.MessageId, m.Attributes["ApproximateReceiveCount"]).Float64() < 0.01 {
				again[m.MessageId] = true
			}
		}
	}
	return ok, again
}

// record adds invocation n to the plans and the report: ok are the
// messages of batch it did not report failed, done and dead how many of
// them were done and dead-lettered by the function.
func (p *pollers) record(n int, plan Plan, batch []events.SQSMessage, ok map[string]bool, done, dead, again int, killed bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("inv=%d %v batch=%s done=%d dead-lettered=%d", n, plan, ids(batch, nil), done, dead)
	if !killed && err == nil {
		line += " failed=" + ids(batch, func(id string) bool { return !ok[id] })
	}
	if err != nil {
		line += " error=" + err.Error()
	}
	p.plans = append(p.plans, line)
	p.rep.Invocations++
	p.rep.Again += again
	if plan.Storm {
		p.rep.Storms++
	}
	if killed {
		p.rep.Kills++
	} else if plan.Deadline < timeout {
		p.rep.Deadlines++
	}
}

// invoke runs one invocation under plan. killed reports that the execution
// environment died: its response is lost.
func invoke(ctx context.Context, h *uploader.Handler, batch []events.SQSMessage, plan Plan) (resp events.SQSEventResponse, killed bool, err error) {
	ictx, cancel := context.WithTimeout(ctx, plan.Deadline)
	defer cancel()
	if plan.Kill > 0 {
		kctx, kill := context.WithCancel(ictx)
		t := time.AfterFunc(plan.Kill, kill)
		defer t.Stop()
		_, _ = h.Handle(kctx, events.SQSEvent{Records: batch})
		kill()
		return events.SQSEventResponse{}, true, nil
	}
	resp, err = h.Handle(ictx, events.SQSEvent{Records: batch})
	return resp, false, err
}

// ids lists the message IDs of batch that keep accepts (all when nil), by
// their second field (the message's number in hex), for the schedule.
func ids(batch []events.SQSMessage, keep func(id string) bool) string {
	var out []string
	for _, m := range batch {
		if keep == nil || keep(m.MessageId) {
			parts := strings.SplitN(m.MessageId, "-", 3)
			out = append(out, parts[min(1, len(parts)-1)])
		}
	}
	return "[" + strings.Join(out, " ") + "]"
}

func withDefaults(c Config) Config {
	if c.Messages <= 0 {
		c.Messages = 1000
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 10
	}
	if c.Pollers <= 0 {
		c.Pollers = 1
	}
	if c.MaxReceiveCount <= 0 {
		c.MaxReceiveCount = 5
	}
	if c.Rates == (Rates{}) {
		c.Rates = DefaultRates
	}
	if c.SQSRates == (SQSRates{}) {
		c.SQSRates = DefaultSQSRates
	}
	if c.DeadlineRate == 0 && c.KillRate == 0 && c.StormRate == 0 {
		c.DeadlineRate, c.KillRate, c.StormRate = 0.05, 0.03, 0.01
	}
	return c
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }
