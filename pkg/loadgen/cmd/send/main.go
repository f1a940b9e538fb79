// Command send pushes N messages to the uploader's queue with
// SendMessageBatch, showing a progress bar. It works against a real
// deployed stack and against the local one of `make demo -keep` alike:
//
//	go run ./pkg/loadgen/cmd/send -n 1000                          # queue from the stack S3Uploader
//	go run ./pkg/loadgen/cmd/send -queue-url https://sqs... -n 50 -encoding base64
//	AWS_ENDPOINT_URL=http://localhost:PORT go run ./pkg/loadgen/cmd/send -n 100   # moto
//
// Credentials and region come from the usual AWS sources (environment,
// profile, SSO). Each message's body is the object content and its "key"
// attribute the object key under the function's prefix; -poison adds
// messages with an invalid key, which end in the dead-letter queue.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/schollz/progressbar/v3"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/loadgen"
)

type options struct {
	queueURL, stack, endpoint, region string
	spec                              loadgen.Spec
	concurrency                       int
	quiet                             bool
}

func main() {
	var o options
	flag.StringVar(&o.queueURL, "queue-url", "", "queue to send to (default: the QueueUrl output of -stack)")
	flag.StringVar(&o.stack, "stack", "S3Uploader", "stack whose queue to use when -queue-url is not given")
	flag.StringVar(&o.endpoint, "endpoint", "", "AWS endpoint, e.g. http://localhost:4566 for a local AWS (default: AWS_ENDPOINT_URL or AWS)")
	flag.StringVar(&o.region, "region", "", "AWS region (default: from the environment or profile)")
	flag.IntVar(&o.spec.Count, "n", 100, "messages to send")
	flag.IntVar(&o.spec.Size, "size", 1024, "payload bytes per message")
	flag.StringVar(&o.spec.KeyPattern, "key", "send/{run}/{i}.txt", "object key pattern under the function's prefix: {run} and {i}")
	flag.StringVar(&o.spec.Run, "run", time.Now().UTC().Format("20060102-150405"), "value of {run} in keys")
	flag.StringVar(&o.spec.Encoding, "encoding", loadgen.Text, "message bodies: text or base64 (random bytes)")
	flag.IntVar(&o.spec.Groups, "groups", 0, "FIFO message groups (default 4 for a .fifo queue)")
	flag.IntVar(&o.spec.Poison, "poison", 0, "extra messages with an invalid key (they end in the dead-letter queue)")
	flag.Uint64Var(&o.spec.Seed, "seed", 1, "seed of the payloads")
	flag.IntVar(&o.concurrency, "concurrency", 4, "SendMessageBatch calls in flight")
	flag.BoolVar(&o.quiet, "q", false, "no progress bar")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./pkg/loadgen/cmd/send [-stack NAME | -queue-url URL] [-n N] [flags]\n\nSends N messages to the uploader's queue, each body an object's content and its key attribute the object's key.")
		flag.PrintDefaults()
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "send: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out, errw io.Writer) error {
	cfg, err := deployed.AWSConfig(ctx, o.region, o.endpoint)
	if err != nil {
		return err
	}
	client := sqs.NewFromConfig(cfg)
	if o.queueURL == "" {
		o.queueURL, err = deployed.QueueURL(ctx, deployed.Clients{
			CloudFormation: cloudformation.NewFromConfig(cfg),
			Lambda:         lambda.NewFromConfig(cfg),
			SQS:            client,
		}, o.stack)
		if err != nil {
			return fmt.Errorf("find the queue of stack %s (or pass -queue-url): %w", o.stack, err)
		}
	}
	if strings.HasSuffix(o.queueURL, ".fifo") && o.spec.Groups == 0 {
		o.spec.Groups = 4
	}
	msgs, err := o.spec.Messages()
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(len(msgs),
		progressbar.OptionSetWriter(errw),
		progressbar.OptionSetDescription("sending"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("msg"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(errw) }),
		progressbar.OptionSetVisibility(!o.quiet),
	)
	start := time.Now()
	s := &loadgen.Sender{SQS: client, QueueURL: o.queueURL, Concurrency: o.concurrency, OnSent: func(n int) { _ = bar.Add(n) }}
	res, err := s.Send(ctx, msgs)
	_ = bar.Finish()
	fmt.Fprintf(out, "sent %d of %d messages to %s in %.1fs", res.Sent, len(msgs), o.queueURL, time.Since(start).Seconds())
	if o.spec.Poison > 0 {
		fmt.Fprintf(out, " (%d poison)", o.spec.Poison)
	}
	fmt.Fprintf(out, "; keys %s\n", strings.ReplaceAll(strings.ReplaceAll(o.spec.KeyPattern, "{run}", o.spec.Run), "{i}", "*"))
	if len(res.Failed) > 0 {
		err = errors.Join(append([]error{fmt.Errorf("%d messages refused", len(res.Failed))}, res.Failed...)...)
	}
	return err
}
