package main

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// UploaderStackProps configures [NewUploaderStack]. A nil *UploaderStackProps
// means DefaultConfig and the default code folder.
type UploaderStackProps struct {
	awscdk.StackProps
	// Config holds the validated settings; use [ConfigFromContext].
	Config Config
	// CodeDir is the folder holding the function's `bootstrap` binary, built for
	// Config.Arch. Empty means [codeDir] of the current directory.
	CodeDir string
}

// NewUploaderStack defines the uploader's resources: the uploads bucket and its
// access-log bucket, the queue and its dead-letter queue, the function with its
// log group and SQS event source, and the alarms, saved queries and dashboard
// to watch retries. It panics (as CDK constructs do) if CodeDir does not exist.
func NewUploaderStack(scope constructs.Construct, id string, props *UploaderStackProps) awscdk.Stack {
	var sprops awscdk.StackProps
	cfg := DefaultConfig()
	cfg.VisibilityTimeout = cfg.MinVisibilityTimeout()
	dir := ""
	if props != nil {
		sprops, cfg, dir = props.StackProps, props.Config, props.CodeDir
	}
	if dir == "" {
		dir = codeDir(".", cfg.Arch)
	}
	if sprops.Description == nil {
		sprops.Description = jsii.String("S3 uploader: SQS queue with dead-letter queue, a Lambda function that writes each message to S3 with backoff, and CloudWatch alarms, queries and a dashboard to watch retries.")
	}
	stack := awscdk.NewStack(scope, &id, &sprops)

	removal := awscdk.RemovalPolicy_RETAIN
	if cfg.Dev {
		removal = awscdk.RemovalPolicy_DESTROY
	}

	store := newStorage(stack, cfg, removal)
	queues := newQueues(stack, cfg, removal)
	fn := newUploaderFunction(stack, cfg, removal, dir, store, queues)
	obs := newObservability(stack, cfg, fn, queues)

	output := func(id, value, description string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
			Value:       jsii.String(value),
			Description: jsii.String(description),
		})
	}
	output("BucketName", *store.bucket.BucketName(), "Bucket the function writes to, under KEY_PREFIX")
	output("KeyPrefix", cfg.KeyPrefix, "Key prefix of uploaded objects")
	output("QueueUrl", *queues.queue.QueueUrl(), "Send messages here (aws sqs send-message --queue-url ...)")
	output("DeadLetterQueueUrl", *queues.dlq.QueueUrl(), "Messages received maxReceiveCount times without success land here")
	output("FunctionName", *fn.function.FunctionName(), "The uploader function")
	output("LogGroupName", *fn.logGroup.LogGroupName(), "The function's JSON logs: aws logs tail <name> --follow")
	output("DashboardUrl", fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s",
		*stack.Region(), *stack.Region(), *obs.dashboard.DashboardName()), "CloudWatch dashboard: EMF metrics, queue and DLQ depth, alarms")

	addNagSuppressions(stack, cfg, store, fn)
	warnCapacity(stack, cfg)
	return stack
}

// codeDir is the folder the app builds the bootstrap into, one per architecture
// so that switching `-c arch=...` never deploys a binary of the other kind.
func codeDir(root, arch string) string {
	return filepath.Join(root, ".build", "uploader", "linux-"+goarch(arch))
}

// goarch maps a Lambda architecture name to GOARCH.
func goarch(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return "arm64"
}
