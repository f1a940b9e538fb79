// Command redrive moves the dead letters of a deployed stack back to its
// queue, once the cause of their failure is fixed: `make redrive`.
//
//	go run ./pkg/redrive/cmd/redrive -stack S3Uploader         # all of them
//	go run ./pkg/redrive/cmd/redrive -stack S3Uploader -n 10   # ten
//
// Credentials and region come from the environment, as for the AWS CLI;
// -endpoint (or AWS_ENDPOINT_URL) points it at a local AWS. See package
// redrive for what each message goes back with.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/redrive"
)

type options struct {
	stack, queueURL, dlqURL, endpoint, region string
	limit                                     int
}

func main() {
	var o options
	flag.StringVar(&o.stack, "stack", "S3Uploader", "stack whose queues to use (outputs QueueUrl and DeadLetterQueueUrl)")
	flag.StringVar(&o.queueURL, "queue-url", "", "queue to move the messages to (default: the stack's)")
	flag.StringVar(&o.dlqURL, "dlq-url", "", "dead-letter queue to move them from (default: the stack's)")
	flag.StringVar(&o.endpoint, "endpoint", "", "AWS endpoint, e.g. http://127.0.0.1:5000 for a local AWS (default: AWS_ENDPOINT_URL or AWS)")
	flag.StringVar(&o.region, "region", "", "AWS region (default: from the environment or profile)")
	flag.IntVar(&o.limit, "n", 0, "messages to move (0: all)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: redrive [-stack NAME | -queue-url URL -dlq-url URL] [-n N]\n\nMoves dead letters back to their queue, keeping what names their objects.")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "redrive: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	cfg, err := deployed.AWSConfig(ctx, o.region, o.endpoint)
	if err != nil {
		return err
	}
	if o.queueURL == "" || o.dlqURL == "" {
		if err := fromStack(ctx, cloudformation.NewFromConfig(cfg), &o); err != nil {
			return err
		}
	}
	res, err := redrive.Move(ctx, sqs.NewFromConfig(cfg), o.dlqURL, o.queueURL, o.limit)
	fmt.Fprintf(out, "moved %d messages from %s to %s; by reason: %s\n", res.Moved, o.dlqURL, o.queueURL, reasonsText(res.Reasons))
	return err
}

// reasonsText lists counts by reason, most first: "InvalidKey×3 (SQS redrive)×1".
func reasonsText(reasons map[string]int) string {
	names := slices.Collect(maps.Keys(reasons))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(reasons[b]-reasons[a], strings.Compare(a, b)) })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s×%d", cmp.Or(n, "(SQS redrive)"), reasons[n])
	}
	return cmp.Or(strings.Join(parts, " "), "none")
}

// fromStack fills the queue URLs o lacks from the stack's outputs.
func fromStack(ctx context.Context, cf *cloudformation.Client, o *options) error {
	ds, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(o.stack)})
	if err != nil {
		return fmt.Errorf("describe stack %s (or pass -queue-url and -dlq-url): %w", o.stack, err)
	}
	for _, st := range ds.Stacks {
		for _, out := range st.Outputs {
			switch aws.ToString(out.OutputKey) {
			case "QueueUrl":
				o.queueURL = cmp.Or(o.queueURL, aws.ToString(out.OutputValue))
			case "DeadLetterQueueUrl":
				o.dlqURL = cmp.Or(o.dlqURL, aws.ToString(out.OutputValue))
			}
		}
	}
	if o.queueURL == "" || o.dlqURL == "" {
		return fmt.Errorf("stack %s has no QueueUrl and DeadLetterQueueUrl outputs: pass -queue-url and -dlq-url", o.stack)
	}
	return nil
}
