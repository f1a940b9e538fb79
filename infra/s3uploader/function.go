package s3uploader

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// uploaderFunction is the function, its role and its log group.
type uploaderFunction struct {
	function awslambda.Function
	role     awsiam.Role
	logGroup awslogs.LogGroup
	// objectsArn is the one S3 resource the role may touch: the bucket's
	// objects under the key prefix.
	objectsArn string
}

// newUploaderFunction adds the function, its log group and role, and its SQS
// event source.
func newUploaderFunction(scope constructs.Construct, cfg Config, removal awscdk.RemovalPolicy, dir string, store *storage, q *queues) *uploaderFunction {
	logGroup := awslogs.NewLogGroup(scope, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.LogRetentionDays],
		RemovalPolicy: removal,
	})
	role, objectsArn := newFunctionRole(scope, cfg, logGroup, store)

	arch := awslambda.Architecture_ARM_64()
	if cfg.Arch == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}

	fn := awslambda.NewFunction(scope, jsii.String("Uploader"), &awslambda.FunctionProps{
		Description:           jsii.String("Writes each SQS message to S3, retrying throttles with backoff; reports partial batch failures"),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          arch,
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(cfg.FunctionTimeout.Seconds())),
		MemorySize:            jsii.Number(float64(cfg.MemorySize)),
		Role:                  role,
		Environment:           functionEnvironment(cfg, *store.bucket.BucketName(), *q.dlq.QueueUrl()),
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(cfg.ApplicationLogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel(cfg.SystemLogLevel),
		LogGroup:              logGroup,
		RecursiveLoop:         awslambda.RecursiveLoop_TERMINATE,
	})

	// SQS permissions (receive, delete, change visibility, get attributes on
	// this queue only) come with the event source; what routing its own
	// failures adds is grantFailureRouting's.
	source := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(cfg.BatchSize)),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(float64(cfg.MaxConcurrency)),
	}
	if fifo := q.queue.Fifo(); fifo == nil || !*fifo {
		// FIFO queues take no batching window.
		source.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(cfg.MaxBatchingWindow.Seconds()))
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.queue, source))
	grantFailureRouting(role, cfg, q)

	return &uploaderFunction{function: fn, role: role, logGroup: logGroup, objectsArn: objectsArn}
}

// functionEnvironment is the function's environment: the bucket, the prefix
// (the IAM policy is scoped to it), the key template (rendered under the
// prefix) and the metrics namespace (the dashboard reads it) always; the
// dead-letter queue's URL unless functionDeadLetters is false; the
// envelope, the pointer buckets and the optional knobs only when context
// sets them.
func functionEnvironment(cfg Config, bucketName, deadLetterQueueURL string) *map[string]*string {
	env := map[string]*string{
		"BUCKET_NAME":       jsii.String(bucketName),
		"KEY_PREFIX":        jsii.String(cfg.KeyPrefix),
		"KEY_TEMPLATE":      jsii.String(cfg.KeyTemplate),
		"METRICS_NAMESPACE": jsii.String(cfg.MetricsNamespace),
	}
	if cfg.FunctionDeadLetters {
		env["DEAD_LETTER_QUEUE_URL"] = jsii.String(deadLetterQueueURL)
	}
	if e := cfg.envelope(); e != defaultEnvelope {
		env["ENVELOPE"] = jsii.String(e)
	}
	if len(cfg.PointerBuckets) > 0 {
		env["POINTER_BUCKETS"] = jsii.String(strings.Join(cfg.PointerBuckets, ","))
	}
	for k, v := range cfg.FunctionEnv {
		env[k] = jsii.String(v)
	}
	return &env
}
