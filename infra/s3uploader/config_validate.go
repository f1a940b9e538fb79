package s3uploader

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/s3store"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// validate checks the rules that tie settings together, and last the
// function's own reading of the environment the stack gives it.
func (c Config) validate() []error {
	var p problems
	c.checkNames(&p)
	c.checkLogs(&p)
	c.checkQueue(&p)
	c.checkKnobs(&p)
	c.checkExisting(&p)
	c.checkSources(&p)
	if len(p) == 0 {
		if err := c.checkFunctionEnv(); err != nil {
			p = append(p, err)
		}
	}
	return p
}

// problems collects what is wrong with the settings, each naming its key
// and value.
type problems []error

func (p *problems) add(key string, v any, format string, args ...any) {
	*p = append(*p, settingError(key, v, fmt.Errorf(format, args...)))
}

// checkNames checks what the stack is called, where it writes and what it
// reads and notifies.
func (c Config) checkNames(p *problems) {
	if !isStackName(c.StackName) {
		p.add("stackName", c.StackName, "want letters, digits and hyphens, starting with a letter, at most 128 characters")
	}
	if c.Arch != "arm64" && c.Arch != "x86_64" {
		p.add("arch", c.Arch, `want "arm64" or "x86_64"`)
	}
	if c.KeyPrefix == "" || strings.HasPrefix(c.KeyPrefix, "/") || strings.ContainsAny(c.KeyPrefix, "*?$") || len(c.KeyPrefix) > 512 {
		p.add("keyPrefix", c.KeyPrefix, `want a non-empty S3 key prefix such as "uploads/", not starting with "/", without "*", "?" or "$"`)
	}
	// The function's own reader, so the synth fails with the words its
	// init would fail with.
	if _, err := uploader.ParseKeyTemplate(c.KeyTemplate); err != nil {
		p.add("keyTemplate", c.KeyTemplate, "%v", err)
	}
	if _, err := record.ParseEnvelope(c.Envelope); err != nil || c.Envelope != strings.ToLower(c.Envelope) || c.Envelope == "" {
		p.add("envelope", c.Envelope, "want none, sns or eventbridge")
	}
	switch {
	case c.PointerKeyArn == "":
	case len(c.PointerBuckets) == 0:
		p.add("pointerKeyArn", c.PointerKeyArn, "is for the pointer buckets' objects: set pointerBuckets too")
	case !isKMSKeyArn(c.PointerKeyArn):
		p.add("pointerKeyArn", c.PointerKeyArn, "want a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	}
	if c.AlarmTopicArn != "" && !strings.HasPrefix(c.AlarmTopicArn, "arn:") {
		p.add("alarmTopicArn", c.AlarmTopicArn, "want an SNS topic ARN")
	}
	if c.MetricsNamespace == "" || strings.HasPrefix(c.MetricsNamespace, "AWS/") || len(c.MetricsNamespace) > 255 {
		p.add("metricsNamespace", c.MetricsNamespace, `want a non-empty CloudWatch namespace not starting with "AWS/"`)
	}
}

// checkLogs checks the log levels and the retention.
func (c Config) checkLogs(p *problems) {
	if !slices.Contains([]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, c.ApplicationLogLevel) {
		p.add("applicationLogLevel", c.ApplicationLogLevel, "want TRACE, DEBUG, INFO, WARN, ERROR or FATAL")
	}
	if !slices.Contains([]string{"DEBUG", "INFO", "WARN"}, c.SystemLogLevel) {
		p.add("systemLogLevel", c.SystemLogLevel, "want DEBUG, INFO or WARN")
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		p.add("logRetentionDays", c.LogRetentionDays, "want one of CloudWatch Logs' retention periods: %s", retentionDayList())
	}
}

// checkQueue checks the batch against its window and the visibility
// timeout against the function timeout.
func (c Config) checkQueue(p *problems) {
	if c.BatchSize > 10 && c.MaxBatchingWindow < time.Second {
		p.add("batchSize", c.BatchSize, "a batch size above 10 needs a maxBatchingWindow of at least 1s")
	}
	switch min := c.MinVisibilityTimeout(); {
	case c.Local && c.VisibilityTimeout != 0 && c.VisibilityTimeout < c.FunctionTimeout+c.MaxBatchingWindow:
		p.add("visibilityTimeout", c.VisibilityTimeout,
			"must be at least functionTimeout (%s) + maxBatchingWindow (%s) = %s even on the local twin, or a batch still being processed reappears",
			c.FunctionTimeout, c.MaxBatchingWindow, c.FunctionTimeout+c.MaxBatchingWindow)
	case !c.Local && c.VisibilityTimeout != 0 && c.VisibilityTimeout < min:
		p.add("visibilityTimeout", c.VisibilityTimeout,
			"must be at least 6 × functionTimeout (%s) + maxBatchingWindow (%s) = %s, or a batch still being processed reappears and is handled twice; leave it unset to derive it",
			c.FunctionTimeout, c.MaxBatchingWindow, min)
	}
	if c.VisibilityTimeout == 0 && c.MinVisibilityTimeout() > 12*time.Hour {
		p.add("functionTimeout", c.FunctionTimeout, "6 × functionTimeout + maxBatchingWindow exceeds SQS's 12h visibility timeout")
	}
}

// checkKnobs checks the function's optional knobs against the function
// timeout and each other.
func (c Config) checkKnobs(p *problems) {
	lt := func(key, env string, limit time.Duration, limitName string) {
		s, ok := c.FunctionEnv[env]
		if !ok {
			return
		}
		if d, err := time.ParseDuration(s); err == nil && d >= limit {
			p.add(key, s, "must be shorter than %s (%s)", limitName, limit)
		}
	}
	lt("attemptTimeout", "ATTEMPT_TIMEOUT", c.FunctionTimeout, "functionTimeout")
	lt("deadlineMargin", "DEADLINE_MARGIN", c.FunctionTimeout, "functionTimeout")
	if base, max := c.FunctionEnv["RETRY_BASE_DELAY"], c.FunctionEnv["RETRY_MAX_DELAY"]; base != "" && max != "" {
		b, _ := time.ParseDuration(base)
		m, _ := time.ParseDuration(max)
		if m < b {
			p.add("retryMaxDelay", max, "must not be shorter than retryBaseDelay (%s)", base)
		}
	}
}

// checkFunctionEnv reads the environment the stack gives the function
// (ranges, combinations) with the function's own reader: what would fail
// its cold start fails the synth.
func (c Config) checkFunctionEnv() error {
	env := map[string]string{"BUCKET_NAME": "synth-check", "KEY_PREFIX": c.KeyPrefix, "KEY_TEMPLATE": c.KeyTemplate,
		"METRICS_NAMESPACE": c.MetricsNamespace, "ENVELOPE": c.envelope(), "POINTER_BUCKETS": strings.Join(c.PointerBuckets, ",")}
	if c.FunctionDeadLetters {
		// The stack passes the DLQ's URL, known only at deploy time.
		env["DEAD_LETTER_QUEUE_URL"] = "https://sqs.us-east-1.amazonaws.com/123456789012/synth-check"
	}
	for k, v := range c.FunctionEnv {
		env[k] = v
	}
	if _, err := uploader.ConfigFromEnv(func(k string) string { return env[k] }); err != nil {
		return fmt.Errorf("function environment from context (see settings table): %w", err)
	}
	return nil
}

// checkExisting checks the existing resources' names and ARNs, and
// refuses settings that shape a resource the stack does not create.
func (c Config) checkExisting(p *problems) {
	d := DefaultConfig()
	arn := func(key, v, service string) {
		if v != "" && !isArn(v, service) {
			p.add(key, v, "want an ARN such as arn:aws:%s:us-east-1:123456789012:name", service)
		}
	}
	arn("bucketArn", c.BucketArn, "s3")
	arn("queueArn", c.QueueArn, "sqs")
	arn("deadLetterQueueArn", c.DeadLetterQueueArn, "sqs")
	arn("snsTopicArn", c.SNSTopicArn, "sns")
	for key, v := range map[string]string{"bucketKeyArn": c.BucketKeyArn, "queueKeyArn": c.QueueKeyArn} {
		if v != "" && !isKMSKeyArn(v) {
			p.add(key, v, "want a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		}
	}
	if c.BucketName != "" && !s3store.ValidBucketName(c.BucketName) {
		p.add("bucketName", c.BucketName, "want an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens")
	}
	existingBucket := c.BucketName != "" || c.BucketArn != ""
	if c.BucketName != "" && c.BucketArn != "" {
		p.add("bucketArn", c.BucketArn, "names the bucket a second time: set bucketName or bucketArn, not both")
	}
	if c.BucketKeyArn != "" && !existingBucket {
		p.add("bucketKeyArn", c.BucketKeyArn, "is the key of an existing bucket: set bucketName or bucketArn, or kms=true for a new bucket's key")
	}
	refuse := func(with string, changed bool, key string, v any, what string) {
		if changed {
			p.add(key, v, "shapes %s the stack creates; with %s the %s is yours: leave %s at its default", what, with, what, key)
		}
	}
	if existingBucket {
		refuse("bucketName/bucketArn", c.KMS != d.KMS, "kms", c.KMS, "bucket")
		refuse("bucketName/bucketArn", c.Versioned != d.Versioned, "versioned", c.Versioned, "bucket")
		refuse("bucketName/bucketArn", c.AccessLogRetentionDays != d.AccessLogRetentionDays, "accessLogRetentionDays", c.AccessLogRetentionDays, "bucket")
	}
	if c.QueueArn != "" {
		refuse("queueArn", c.VisibilityTimeout != 0, "visibilityTimeout", c.VisibilityTimeout, "queue")
		refuse("queueArn", c.MaxReceiveCount != d.MaxReceiveCount, "maxReceiveCount", c.MaxReceiveCount, "queue")
		refuse("queueArn", c.FIFO != d.FIFO, "fifo", c.FIFO, "queue")
		refuse("queueArn", c.ContentBasedDeduplication, "contentBasedDeduplication", true, "queue")
		if c.DeadLetterQueueArn == "" && c.FunctionDeadLetters {
			p.add("queueArn", c.QueueArn, "needs deadLetterQueueArn, the queue its redrive policy names, for the function to dead-letter poison there (or functionDeadLetters=false)")
		}
	}
	if c.QueueKeyArn != "" && c.QueueArn == "" && c.DeadLetterQueueArn == "" {
		p.add("queueKeyArn", c.QueueKeyArn, "is the key of existing queues: set queueArn or deadLetterQueueArn")
	}
	c.checkFIFO(p)
}

// checkFIFO checks the queues' kinds agree.
func (c Config) checkFIFO(p *problems) {
	queueFIFO := c.FIFO || strings.HasSuffix(c.QueueArn, ".fifo")
	if c.DeadLetterQueueArn != "" && strings.HasSuffix(c.DeadLetterQueueArn, ".fifo") != queueFIFO {
		p.add("deadLetterQueueArn", c.DeadLetterQueueArn, "must be of the queue's kind: a FIFO queue's dead-letter queue is FIFO (its name ends in .fifo), a standard queue's is not")
	}
	if c.ContentBasedDeduplication && !queueFIFO {
		p.add("contentBasedDeduplication", true, "is for FIFO queues: set fifo=true")
	}
	if c.FIFO && c.MaxBatchingWindow > 0 {
		p.add("maxBatchingWindow", c.MaxBatchingWindow, "Lambda has no batching window for FIFO queues: leave it at 0s with fifo=true")
	}
}

// checkSources checks the SNS topic or EventBridge rule the stack wires
// to the queue against the envelope and the queue.
func (c Config) checkSources(p *problems) {
	if c.SNSTopicArn != "" && c.EventPattern != "" {
		p.add("eventPattern", c.EventPattern, "and snsTopicArn both feed the queue, in two envelopes: the function reads one; choose one source")
	}
	if c.RawMessageDelivery && c.SNSTopicArn == "" {
		p.add("rawMessageDelivery", true, "is for the SNS subscription: set snsTopicArn")
	}
	if c.EventBusName != DefaultConfig().EventBusName && c.EventPattern == "" {
		p.add("eventBusName", c.EventBusName, "is for the EventBridge rule: set eventPattern")
	}
	if c.SNSTopicArn == "" && c.EventPattern == "" {
		return
	}
	source, value := "snsTopicArn", c.SNSTopicArn
	if c.EventPattern != "" {
		source, value = "eventPattern", c.EventPattern
	}
	if c.Envelope != defaultEnvelope && c.Envelope != c.envelope() {
		p.add("envelope", c.Envelope, "contradicts %s, which delivers %s: leave envelope unset, the stack sets it", source, c.envelope())
	}
	if c.QueueArn != "" {
		p.add(source, value, "with queueArn would replace that queue's policy, which the stack never modifies: wire your existing queue to the source yourself")
	}
	if c.SNSTopicArn != "" && c.FIFO != strings.HasSuffix(c.SNSTopicArn, ".fifo") {
		p.add("snsTopicArn", c.SNSTopicArn, "must be of the queue's kind: only a FIFO topic (name ending in .fifo) delivers to a FIFO queue, and a FIFO topic only to one")
	}
	if c.EventPattern != "" && c.FIFO {
		p.add("eventPattern", c.EventPattern, "with fifo=true is not supported: an EventBridge target on a FIFO queue needs a message group per event, which this stack does not choose")
	}
}

// isArn reports whether s looks like an ARN of service.
func isArn(s, service string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == service && parts[5] != "" && !strings.ContainsAny(s, "*? ")
}

// isKMSKeyArn reports whether s is the ARN of a KMS key (not an alias: a
// grant on an alias ARN does not cover the key).
func isKMSKeyArn(s string) bool {
	parts := strings.Split(s, ":")
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "kms" && parts[3] != "" && len(parts[4]) == 12 &&
		strings.HasPrefix(parts[5], "key/") && len(parts[5]) > len("key/") && !strings.ContainsAny(s, "*?")
}

func isStackName(s string) bool {
	if s == "" || len(s) > 128 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
