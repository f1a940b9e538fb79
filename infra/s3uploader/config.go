package s3uploader

import "time"

// Config holds the stack's settings. Every field comes from a CDK context key
// (cdk.json, overridable with `-c key=value`); [ConfigFromContext] fills the
// defaults and validates. The zero value is not meant to be used: start from
// [DefaultConfig].
type Config struct {
	StackName string // context "stackName"
	Arch      string // context "arch": "arm64" or "x86_64"; the bootstrap is built to match
	Local     bool   // context "local": leave out what moto cannot deploy (saved queries, auto-delete custom resource)
	Dev       bool   // context "dev": a throwaway stack, every resource destroyable, buckets emptied on delete
	KMS       bool   // context "kms": a customer-managed KMS key for the uploads bucket instead of S3-managed keys
	Versioned bool   // context "versioned"

	KeyPrefix              string // context "keyPrefix": where objects go; the IAM policy is limited to it
	KeyTemplate            string // context "keyTemplate": the function's KEY_TEMPLATE, each key under KeyPrefix
	AccessLogRetentionDays int    // context "accessLogRetentionDays": expiry of S3 server access logs

	// Envelope is the function's ENVELOPE (context "envelope"): none, sns
	// or eventbridge, what every message body of the queue arrives in.
	Envelope string
	// PointerBuckets are the buckets an SQS Extended Client Library pointer
	// may name (context "pointerBuckets": a list in cdk.json, or names
	// separated by commas with -c); the role may read their objects, and
	// only those. Empty: pointers are stored as plain bodies.
	PointerBuckets []string
	// PointerKeyArn is the KMS key the pointer buckets encrypt with
	// (context "pointerKeyArn"); the role gets kms:Decrypt on it alone.
	// Empty: none (S3-managed keys).
	PointerKeyArn string

	FunctionTimeout     time.Duration // context "functionTimeout"
	MemorySize          int           // context "memorySize", MB
	ApplicationLogLevel string        // context "applicationLogLevel": AWS_LAMBDA_LOG_LEVEL seen by the function
	SystemLogLevel      string        // context "systemLogLevel": START/END/REPORT platform lines
	LogRetentionDays    int           // context "logRetentionDays"

	BatchSize         int           // context "batchSize"
	MaxBatchingWindow time.Duration // context "maxBatchingWindow"
	MaxConcurrency    int           // context "maxConcurrency": the event source's ceiling on concurrent invocations
	MaxReceiveCount   int           // context "maxReceiveCount": receives before a message moves to the DLQ
	// FunctionDeadLetters lets the function route its own failures
	// (context "functionDeadLetters"): it is given the DLQ's URL
	// (DEAD_LETTER_QUEUE_URL) and may send to the DLQ, to dead-letter a
	// poison message at once rather than after MaxReceiveCount receives.
	// False: neither; only the redrive moves messages to the DLQ.
	FunctionDeadLetters bool
	// VisibilityTimeout is the queue's visibility timeout: context
	// "visibilityTimeout", or when unset (zero) [Config.MinVisibilityTimeout].
	VisibilityTimeout time.Duration
	// PrefixCount is how many key prefixes the writes spread over, for the
	// synth's capacity warning (capacity.go): context "prefixCount", or when
	// unset (zero) what KeyTemplate's {shard:N} give.
	PrefixCount int

	// Existing resources, used as they are and never modified (Props may
	// give them as objects instead). Settings that shape a resource the
	// stack would create (versioned, kms, accessLogRetentionDays for the
	// bucket; visibilityTimeout, maxReceiveCount, fifo for the queue) are
	// refused with them unless left at their defaults.
	BucketName   string // context "bucketName": an existing bucket to write to, under KeyPrefix
	BucketArn    string // context "bucketArn": the same, by ARN
	BucketKeyArn string // context "bucketKeyArn": the KMS key the existing bucket encrypts with; empty for none
	// QueueArn is an existing queue to consume (context "queueArn"); its
	// redrive policy is its owner's. DeadLetterQueueArn (context
	// "deadLetterQueueArn") is the queue that policy names, where the
	// function dead-letters poison; with a new queue, the DLQ it redrives to.
	QueueArn           string
	DeadLetterQueueArn string
	QueueKeyArn        string // context "queueKeyArn": the KMS key the existing queues encrypt with; empty for none

	// SNSTopicArn subscribes the queue to this topic (context
	// "snsTopicArn"), with a queue policy that lets only it send. The
	// function reads the notification envelope (ENVELOPE=sns) unless
	// RawMessageDelivery (context "rawMessageDelivery") delivers the bare
	// message.
	SNSTopicArn        string
	RawMessageDelivery bool
	// EventPattern adds an EventBridge rule on EventBusName (context
	// "eventBusName", default "default") with this pattern (context
	// "eventPattern": JSON) and the queue as its target, with a queue
	// policy that lets only that rule send; the function reads the event
	// envelope (ENVELOPE=eventbridge).
	EventPattern string
	EventBusName string
	// FIFO makes the queue and its DLQ FIFO queues (context "fifo"): the
	// function keeps each message group's order, and stops a group at its
	// first failure. ContentBasedDeduplication (context
	// "contentBasedDeduplication") lets senders leave out a deduplication ID.
	FIFO                      bool
	ContentBasedDeduplication bool

	OldestMessageAlarm time.Duration // context "oldestMessageAlarm": alarm threshold on the age of the oldest message
	AlarmTopicArn      string        // context "alarmTopicArn": SNS topic the alarms notify; empty for none

	// MetricsNamespace is always passed to the function (METRICS_NAMESPACE)
	// because the dashboard reads the EMF metrics from it.
	MetricsNamespace string // context "metricsNamespace"

	// FunctionEnv holds the function's optional knobs that context overrides,
	// by environment variable name (RETRY_MAX_ATTEMPTS, ...). Knobs not given
	// are left out so the function's own defaults apply.
	FunctionEnv map[string]string
}

// Defaults. cdk.json repeats them so they are visible; a test keeps the two in step.
const (
	defaultStackName        = "S3Uploader"
	defaultKeyPrefix        = "uploads/"
	defaultKeyTemplate      = "{key}"
	defaultEnvelope         = "none"
	defaultMetricsNamespace = "S3Uploader"
)

// DefaultConfig returns the settings used when the context sets nothing.
func DefaultConfig() Config {
	return Config{
		StackName:              defaultStackName,
		Arch:                   "arm64",
		Versioned:              true,
		KeyPrefix:              defaultKeyPrefix,
		KeyTemplate:            defaultKeyTemplate,
		Envelope:               defaultEnvelope,
		AccessLogRetentionDays: 90,
		FunctionTimeout:        30 * time.Second,
		MemorySize:             256,
		ApplicationLogLevel:    "INFO",
		SystemLogLevel:         "INFO",
		LogRetentionDays:       30,
		BatchSize:              10,
		MaxBatchingWindow:      0,
		MaxConcurrency:         5,
		MaxReceiveCount:        15,
		FunctionDeadLetters:    true,
		EventBusName:           "default",
		OldestMessageAlarm:     5 * time.Minute,
		MetricsNamespace:       defaultMetricsNamespace,
		FunctionEnv:            map[string]string{},
	}
}

// MinVisibilityTimeout is the smallest visibility timeout the queue may have:
// six times the function timeout plus the maximum batching window, as the
// Lambda developer guide advises for SQS event sources. The six times cover
// Lambda's own retries of a throttled invocation; the local twin's event
// source makes none, so with context "local" the floor is the function
// timeout plus the window (the demo uses that to reach its DLQ sooner).
func (c Config) MinVisibilityTimeout() time.Duration {
	return 6*c.FunctionTimeout + c.MaxBatchingWindow
}

// minMaxReceiveCount is the floor on maxReceiveCount: below 5, a message that
// met a throttled or cold function is parked in the DLQ too early.
const minMaxReceiveCount = 5

// envelope is the function's ENVELOPE: what the source the stack wires
// delivers, else the envelope setting.
func (c Config) envelope() string {
	switch {
	case c.SNSTopicArn != "" && !c.RawMessageDelivery:
		return "sns"
	case c.EventPattern != "":
		return "eventbridge"
	}
	return c.Envelope
}
