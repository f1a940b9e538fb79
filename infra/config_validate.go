package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/record"
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
		"METRICS_NAMESPACE": c.MetricsNamespace, "ENVELOPE": c.Envelope, "POINTER_BUCKETS": strings.Join(c.PointerBuckets, ",")}
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
