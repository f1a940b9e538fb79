// Command demo is the local twin of the S3 uploader stack: `make demo`.
//
// It starts moto (a local AWS) on 127.0.0.1, deploys this project's CDK
// stack to it with the real CDK CLI, then runs what Lambda would run: the
// deployed function's code, fetched from the local AWS, under the Lambda
// Runtime Interface Emulator (one emulator per concurrent invocation, up to
// the mapping's maximum concurrency), fed by an event-source poller with
// the SQS event source's semantics, writing to moto's S3 through a
// throttle that answers 503 SlowDown like a hot S3 prefix. The emulators'
// output goes to the deployed log group in moto's CloudWatch Logs. It
// sends messages (a few of them poison), waits until the queue is drained,
// checks every object in S3 byte for byte, and prints a summary and the
// retries read back from the logs.
//
// Every process it starts runs in its own process group and is stopped by
// its pid at the end or on Ctrl-C. With -keep everything stays up for the
// aws CLI until Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg := defaultConfig()
	cfg.registerFlags(flag.CommandLine)
	flag.CommandLine.Usage = usage(flag.CommandLine)
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg.defaultsFor(set)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := run(ctx, cfg, os.Stdout, os.Stderr)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
	if !sum.OK() {
		os.Exit(1)
	}
}

// defaultsFor changes the defaults of the flags not given (set holds the
// names of those given) that follow from the ones given. A pointer is
// for a payload over SQS's limit: unless told otherwise, -pointer sends
// fewer and larger ones. An EventBridge event carries no message
// attributes, so no invalid key: -source eventbridge sends no poison
// unless told to (and checkSource refuses that), and fewer messages:
// moto's PutEvents spends about 0.3 s of CPU on each event (it builds a
// JSONPath parser for each field, for input transformers the stack does
// not use), which starves the function's S3 calls through moto (300
// events: 130 s to put, 33 redriven after 15 deliveries).
func (c *Config) defaultsFor(set map[string]bool) {
	if c.Pointer && !set["size"] {
		c.Size = sqsMaxBody + 4096
	}
	if c.Pointer && !set["n"] {
		c.Messages = 20
	}
	if c.Source == sourceEventBridge && !set["poison"] {
		c.Poison = 0
	}
	if c.Source == sourceEventBridge && !set["n"] {
		c.Messages = eventBridgeMessages
	}
}

// eventBridgeMessages is -n's default with -source eventbridge: about 20 s
// of moto's CPU (see defaultsFor).
const eventBridgeMessages = 60

// Config is everything a run can vary. defaultConfig gives the demo's
// settings; the end-to-end test starts from it too.
type Config struct {
	Root  string // repository root (holding cdk.json); empty: found from the working directory
	Stack string // stack name
	CDK   string // the CDK CLI
	RIE   string // aws-lambda-rie
	Arch  string // -c arch=...: the host's, so the deployed zip runs here
	// Ctx is the CDK context given (-c, -envelope, -pointer); the demo's
	// local defaults for the rest follow from it (localContext).
	Ctx    contextFlags
	WorkIn string // folder for logs and the cloud assembly; empty: a temporary one, removed at the end
	App    string // a cloud assembly to deploy as is; empty: cdk synth one

	Messages, Size, Poison, Groups int
	Encoding, KeyPattern           string
	// Envelope sends every message wrapped as SNS ("sns") or EventBridge
	// ("eventbridge") delivers it, and deploys with that envelope; "" or
	// "none": plain bodies.
	Envelope string
	// Pointer leaves every payload in a bucket and sends an SQS Extended
	// Client Library pointer instead; the stack gets pointerBuckets.
	Pointer bool
	// Source is what sends the messages to the queue: "queue" (or "",
	// the sender, with SendMessageBatch), "sns" (published to a topic made
	// in moto, which the stack subscribes the queue to: moto's SNS writes
	// each envelope) or "eventbridge" (put on the default bus, where the
	// stack's rule sends them to the queue: moto writes each event).
	Source string
	// Existing makes the bucket, the queue and its dead-letter queue in
	// moto before the deploy, outside the stack, and deploys onto them.
	Existing bool

	Rate        float64 // PUT per second per prefix at the S3 throttle
	Burst       int
	ErrorRate   float64 // random 500 InternalError
	ResetRate   float64 // random dropped connections
	Seed        uint64
	Concurrency int           // emulators; 0: the mapping's maximum concurrency
	Timeout     time.Duration // bound on the drain
	Keep        bool
	// Chart is where the run's chart (PNG) goes, relative to Root; ""
	// draws none.
	Chart           string
	Verbose         bool
	SettleQuiet     time.Duration // queue empty this long means drained
	PollWait        time.Duration // long-poll wait of the event source
	SkipBootstrap   bool
	ShowLogsOnError bool
}

func defaultConfig() Config {
	arch := "x86_64"
	if runtime.GOARCH == "arm64" {
		arch = "arm64"
	}
	return Config{
		Stack: "S3Uploader",
		CDK:   ".tools/cdk/node_modules/.bin/cdk",
		RIE:   ".tools/bin/aws-lambda-rie",
		Arch:  arch,
		// The short timeouts the demo deploys with are derived from
		// these at the synth (localContext): Ctx holds only what was
		// given.
		Ctx:         contextFlags{},
		Messages:    300,
		Size:        2048,
		Poison:      3,
		Encoding:    "text",
		Source:      sourceQueue,
		KeyPattern:  "demo/{run}/{i}.txt",
		Rate:        25,
		Burst:       25,
		Seed:        1,
		Chart:       ".build/demo/run.png",
		Timeout:     4 * time.Minute,
		SettleQuiet: 2 * time.Second,
		PollWait:    2 * time.Second,
	}
}

func (c *Config) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Stack, "stack", c.Stack, "stack name (context stackName)")
	fs.StringVar(&c.CDK, "cdk", c.CDK, "the CDK CLI, relative to the repository root")
	fs.StringVar(&c.RIE, "rie", c.RIE, "aws-lambda-rie, relative to the repository root")
	fs.StringVar(&c.Arch, "arch", c.Arch, "function architecture to deploy: the host's, so the code runs here")
	fs.Var(&c.Ctx, "c", "extra CDK context `key=value`, as for cdk deploy -c (repeatable); e.g. -c maxReceiveCount=6. "+
		"Unless given, the demo deploys with functionTimeout=2s, visibilityTimeout = 2 × functionTimeout + maxBatchingWindow, "+
		"attemptTimeout=1s and deadlineMargin=500ms (at most a half and a quarter of functionTimeout), redelivery delays 1s to 30s")
	fs.StringVar(&c.App, "app", c.App, "deploy this synthesized cloud assembly (a cdk.out `folder`) instead of running cdk synth")
	fs.StringVar(&c.WorkIn, "workdir", c.WorkIn, "keep logs and the cloud assembly in this `folder` (default: a temporary one, removed; a failed step's log is kept in .build/demo/)")
	fs.IntVar(&c.Messages, "n", c.Messages, "messages to send")
	fs.IntVar(&c.Size, "size", c.Size, "payload bytes per message")
	fs.IntVar(&c.Poison, "poison", c.Poison, "extra messages with an invalid key; they must end in the dead-letter queue")
	fs.IntVar(&c.Groups, "groups", c.Groups, "send through FIFO queues (-c fifo=true; with -source sns a FIFO topic), each message in one of `N` message groups, and check each group was stored in the order sent (0: standard queues)")
	fs.StringVar(&c.Encoding, "encoding", c.Encoding, "message bodies: text or base64")
	fs.StringVar(&c.KeyPattern, "key", c.KeyPattern, "object key pattern under the function's prefix: {run} and {i}")
	fs.StringVar(&c.Envelope, "envelope", c.Envelope, "send every message as SNS (sns) or EventBridge (eventbridge) delivers it, and deploy with that envelope")
	fs.StringVar(&c.Source, "source", c.Source, "what sends to the queue: queue (the sender), sns (publish to a topic made in moto, which the stack subscribes the queue to: moto writes each notification) or eventbridge (put events on the default bus, where the stack's rule targets the queue: moto writes each event; -n defaults to 60 and -poison to 0 there)")
	fs.BoolVar(&c.Existing, "existing", c.Existing, "make the bucket, the queue and its DLQ in moto before the deploy, outside the stack, and deploy onto them (-c bucketName, queueArn, deadLetterQueueArn)")
	fs.BoolVar(&c.Pointer, "pointer", c.Pointer, "leave each payload in s3://"+pointerBucket+" and send an Extended Client Library pointer (default -size 1 MiB + 4 KiB, -n 20)")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "S3 PUTs per second per prefix before 503 SlowDown (0: no throttle)")
	fs.IntVar(&c.Burst, "burst", c.Burst, "S3 throttle burst")
	fs.Float64Var(&c.ErrorRate, "error-rate", c.ErrorRate, "probability of a random 500 InternalError per PUT")
	fs.Float64Var(&c.ResetRate, "reset-rate", c.ResetRate, "probability of a dropped connection per PUT")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of payloads and faults")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "emulators (concurrent invocations); 0: the mapping's maximum concurrency")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "give up waiting for the queue to drain after this long")
	fs.StringVar(&c.Chart, "chart", c.Chart, "write the run's chart (PNG) to this `file`, relative to the repository root (\"\": none)")
	fs.BoolVar(&c.Keep, "keep", c.Keep, "keep everything running after the summary, for the aws CLI, until Ctrl-C")
	fs.BoolVar(&c.Verbose, "v", c.Verbose, "echo the function's log lines")
}

// contextFlags are CDK context settings, key=value.
type contextFlags map[string]string

func (f *contextFlags) String() string {
	if f == nil {
		return ""
	}
	var s []string
	for k, v := range *f {
		s = append(s, k+"="+v)
	}
	return strings.Join(s, ",")
}

func (f *contextFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	if *f == nil {
		*f = contextFlags{}
	}
	(*f)[k] = val
	return nil
}
