// Package s3uploader is the uploader as a CDK construct: add it to any Go
// CDK app's stack, with new or existing resources, to copy each message of
// an SQS queue to S3.
//
// It defines the function (built from this module's functions/uploader),
// its role, log group and SQS event source, the alarms, saved queries and
// dashboard that watch it, and, unless Props name existing ones, the
// bucket, its access-log bucket, the queue and its dead-letter queue. With
// Config.SNSTopicArn or Config.EventPattern it also subscribes the queue
// to that topic or routes that rule's events to it, with a queue policy
// that lets only that topic or rule send. An existing resource is never
// modified: the function is only granted what it needs on it.
//
// A complete app that writes an existing queue's messages to an existing
// bucket:
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Ingest"), nil)
//	cfg := s3uploader.DefaultConfig()
//	cfg.KeyPrefix = "incoming/"
//	cfg.BucketName = "my-data-lake"
//	cfg.QueueArn = "arn:aws:sqs:eu-west-1:123456789012:incoming"
//	cfg.DeadLetterQueueArn = "arn:aws:sqs:eu-west-1:123456789012:incoming-dlq"
//	u := s3uploader.New(stack, "Uploader", &s3uploader.Props{Config: cfg})
//	u.Function.AddEnvironment(jsii.String("RETRY_MAX_ATTEMPTS"), jsii.String("6"), nil)
//	app.Synth(nil)
//
// The settings are also read from CDK context (cdk.json, -c key=value) by
// [ConfigFromContext], which this repository's own app (infra/) uses.
package s3uploader

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures [New]. Config holds the settings (start from
// [DefaultConfig] or [ConfigFromContext]; left zero, it is DefaultConfig());
// the existing resources may be
// given as objects here or by name and ARN in Config, not both.
type Props struct {
	Config
	// Bucket is an existing bucket to write to, under Config.KeyPrefix.
	// Nil: Config.BucketName or Config.BucketArn, or a new bucket.
	Bucket awss3.IBucket
	// BucketKey is the KMS key Bucket encrypts with, if any. Nil:
	// Config.BucketKeyArn, or none.
	BucketKey awskms.IKey
	// Queue and DeadLetterQueue are an existing queue to consume and the
	// queue its redrive policy names. Nil: Config.QueueArn and
	// Config.DeadLetterQueueArn, or new queues.
	Queue, DeadLetterQueue awssqs.IQueue
	// Topic is an SNS topic to subscribe the (new) queue to. Nil:
	// Config.SNSTopicArn, or none.
	Topic awssns.ITopic
	// EventBus is the bus Config.EventPattern's rule listens on. Nil:
	// Config.EventBusName.
	EventBus awsevents.IEventBus
	// CodeDir is a folder holding the function's bootstrap, built for
	// Config.Arch. Empty: New builds it from this module's
	// functions/uploader into .build/uploader/linux-<goarch>/ of the
	// current directory (the Go toolchain must be on PATH).
	CodeDir string
}

// Uploader is what [New] defines: the resources a user wires further.
type Uploader struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
	// Bucket, Queue and DeadLetterQueue are the new or the existing ones.
	Bucket          awss3.IBucket
	Queue           awssqs.IQueue
	DeadLetterQueue awssqs.IQueue
	// Rule is the EventBridge rule feeding Queue, or nil.
	Rule      awsevents.Rule
	Dashboard awscloudwatch.Dashboard
	Alarms    []awscloudwatch.Alarm
}

// New adds the uploader to scope. It panics, as CDK constructs do, on
// settings that are invalid or contradict each other (the message lists
// each), or when the function cannot be built.
func New(scope constructs.Construct, id string, props *Props) *Uploader {
	var p Props
	if props != nil {
		p = *props
	}
	if reflect.ValueOf(p.Config).IsZero() {
		p.Config = DefaultConfig()
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("s3uploader: invalid props:\n%v", err))
	}
	cfg := p.Config
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = cfg.MinVisibilityTimeout()
	}
	dir := p.CodeDir
	if dir == "" {
		var err error
		if dir, err = BuildBootstrap(".", cfg.Arch); err != nil {
			panic(fmt.Sprintf("s3uploader: %v", err))
		}
	}
	c := constructs.NewConstruct(scope, &id)
	removal := awscdk.RemovalPolicy_RETAIN
	if cfg.Dev {
		removal = awscdk.RemovalPolicy_DESTROY
	}

	store := newStorage(c, cfg, removal, p)
	queues := newQueues(c, cfg, removal, p)
	fn := newUploaderFunction(c, cfg, removal, dir, store, queues)
	rule := newSources(c, cfg, p, queues)
	obs := newObservability(c, cfg, fn, queues)
	addOutputs(c, cfg, store, queues, fn, obs)
	addNagSuppressions(c, cfg, store, fn)
	warnCapacity(c, cfg)
	return &Uploader{
		Construct: c, Function: fn.function, Role: fn.role, LogGroup: fn.logGroup,
		Bucket: store.bucket, Queue: queues.queue, DeadLetterQueue: queues.dlq, Rule: rule,
		Dashboard: obs.dashboard, Alarms: obs.alarms,
	}
}

// addOutputs adds the stack outputs a user (and the local twin) reads.
func addOutputs(scope constructs.Construct, cfg Config, store *storage, q *queues, fn *uploaderFunction, obs *observability) {
	output := func(id, value, description string) {
		awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{
			Value:       jsii.String(value),
			Description: jsii.String(description),
		})
	}
	region := *awscdk.Stack_Of(scope).Region()
	output("BucketName", *store.bucket.BucketName(), "Bucket the function writes to, under KEY_PREFIX")
	output("KeyPrefix", cfg.KeyPrefix, "Key prefix of uploaded objects")
	output("QueueUrl", *q.queue.QueueUrl(), "Send messages here (aws sqs send-message --queue-url ...)")
	output("DeadLetterQueueUrl", *q.dlq.QueueUrl(), "Messages received maxReceiveCount times without success land here")
	output("FunctionName", *fn.function.FunctionName(), "The uploader function")
	output("LogGroupName", *fn.logGroup.LogGroupName(), "The function's JSON logs: aws logs tail <name> --follow")
	output("DashboardUrl", fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s",
		region, region, *obs.dashboard.DashboardName()), "CloudWatch dashboard: EMF metrics, queue and DLQ depth, alarms")
}

// Validate returns every problem of p's settings, each on its own line:
// bad values, settings that contradict each other, and a resource given
// both as an object and by name or ARN.
func (p Props) Validate() error {
	c := p.Config
	var errs []error
	both := func(given bool, field, key, v string) {
		if given && v != "" {
			errs = append(errs, fmt.Errorf("props: %s and context %q = %s name the same resource twice: give one", field, key, v))
		}
	}
	both(p.Bucket != nil, "Bucket", "bucketName", c.BucketName)
	both(p.Bucket != nil, "Bucket", "bucketArn", c.BucketArn)
	both(p.BucketKey != nil, "BucketKey", "bucketKeyArn", c.BucketKeyArn)
	both(p.Queue != nil, "Queue", "queueArn", c.QueueArn)
	both(p.DeadLetterQueue != nil, "DeadLetterQueue", "deadLetterQueueArn", c.DeadLetterQueueArn)
	both(p.Topic != nil, "Topic", "snsTopicArn", c.SNSTopicArn)
	// The rules that tie settings together read names and ARNs: stand in
	// for the objects with theirs.
	if p.Bucket != nil && c.BucketName == "" && c.BucketArn == "" {
		c.BucketArn = "arn:aws:s3:::props-bucket"
	}
	if p.BucketKey != nil && c.BucketKeyArn == "" {
		c.BucketKeyArn = "arn:aws:kms:us-east-1:123456789012:key/props-bucket-key"
	}
	c.QueueArn = cmp.Or(c.QueueArn, standIn(p.Queue, "props-queue"))
	c.DeadLetterQueueArn = cmp.Or(c.DeadLetterQueueArn, standIn(p.DeadLetterQueue, "props-dead-letter-queue"))
	if p.Topic != nil && c.SNSTopicArn == "" {
		c.SNSTopicArn = "arn:aws:sns:us-east-1:123456789012:props-topic" + map[bool]string{true: ".fifo"}[c.FIFO]
	}
	errs = append(errs, c.validate()...)
	return errors.Join(errs...)
}

// standIn is an ARN of q's kind for the settings' rules, or "" for nil.
func standIn(q awssqs.IQueue, name string) string {
	if q == nil {
		return ""
	}
	if q.Fifo() != nil && *q.Fifo() {
		name += ".fifo"
	}
	return "arn:aws:sqs:us-east-1:123456789012:" + name
}
