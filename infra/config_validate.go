package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// validate checks the rules that tie settings together.
func (c Config) validate() []error {
	var errs []error
	bad := func(key string, v any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %q = %v: %s", key, v, fmt.Sprintf(format, args...)))
	}
	if !isStackName(c.StackName) {
		bad("stackName", c.StackName, "want letters, digits and hyphens, starting with a letter, at most 128 characters")
	}
	if c.Arch != "arm64" && c.Arch != "x86_64" {
		bad("arch", c.Arch, `want "arm64" or "x86_64"`)
	}
	if c.KeyPrefix == "" || strings.HasPrefix(c.KeyPrefix, "/") || strings.ContainsAny(c.KeyPrefix, "*?$") || len(c.KeyPrefix) > 512 {
		bad("keyPrefix", c.KeyPrefix, `want a non-empty S3 key prefix such as "uploads/", not starting with "/", without "*", "?" or "$"`)
	}
	// The function's own reader, so the synth fails with the words its
	// init would fail with.
	if _, err := uploader.ParseKeyTemplate(c.KeyTemplate); err != nil {
		bad("keyTemplate", c.KeyTemplate, "%v", err)
	}
	if _, err := record.ParseEnvelope(c.Envelope); err != nil || c.Envelope != strings.ToLower(c.Envelope) || c.Envelope == "" {
		bad("envelope", c.Envelope, "want none, sns or eventbridge")
	}
	switch {
	case c.PointerKeyArn == "":
	case len(c.PointerBuckets) == 0:
		bad("pointerKeyArn", c.PointerKeyArn, "is for the pointer buckets' objects: set pointerBuckets too")
	case !isKMSKeyArn(c.PointerKeyArn):
		bad("pointerKeyArn", c.PointerKeyArn, "want a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	}
	if !slices.Contains([]string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, c.ApplicationLogLevel) {
		bad("applicationLogLevel", c.ApplicationLogLevel, "want TRACE, DEBUG, INFO, WARN, ERROR or FATAL")
	}
	if !slices.Contains([]string{"DEBUG", "INFO", "WARN"}, c.SystemLogLevel) {
		bad("systemLogLevel", c.SystemLogLevel, "want DEBUG, INFO or WARN")
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		bad("logRetentionDays", c.LogRetentionDays, "want one of CloudWatch Logs' retention periods: %s", retentionDayList())
	}
	if c.BatchSize > 10 && c.MaxBatchingWindow < time.Second {
		bad("batchSize", c.BatchSize, "a batch size above 10 needs a maxBatchingWindow of at least 1s")
	}
	switch min := c.MinVisibilityTimeout(); {
	case c.Local && c.VisibilityTimeout != 0 && c.VisibilityTimeout < c.FunctionTimeout+c.MaxBatchingWindow:
		bad("visibilityTimeout", c.VisibilityTimeout,
			"must be at least functionTimeout (%s) + maxBatchingWindow (%s) = %s even on the local twin, or a batch still being processed reappears",
			c.FunctionTimeout, c.MaxBatchingWindow, c.FunctionTimeout+c.MaxBatchingWindow)
	case !c.Local && c.VisibilityTimeout != 0 && c.VisibilityTimeout < min:
		bad("visibilityTimeout", c.VisibilityTimeout,
			"must be at least 6 × functionTimeout (%s) + maxBatchingWindow (%s) = %s, or a batch still being processed reappears and is handled twice; leave it unset to derive it",
			c.FunctionTimeout, c.MaxBatchingWindow, min)
	}
	if c.VisibilityTimeout == 0 && c.MinVisibilityTimeout() > 12*time.Hour {
		bad("functionTimeout", c.FunctionTimeout, "6 × functionTimeout + maxBatchingWindow exceeds SQS's 12h visibility timeout")
	}
	if c.AlarmTopicArn != "" && !strings.HasPrefix(c.AlarmTopicArn, "arn:") {
		bad("alarmTopicArn", c.AlarmTopicArn, "want an SNS topic ARN")
	}
	if c.MetricsNamespace == "" || strings.HasPrefix(c.MetricsNamespace, "AWS/") || len(c.MetricsNamespace) > 255 {
		bad("metricsNamespace", c.MetricsNamespace, `want a non-empty CloudWatch namespace not starting with "AWS/"`)
	}
	lt := func(key, env string, limit time.Duration, limitName string) {
		s, ok := c.FunctionEnv[env]
		if !ok {
			return
		}
		if d, err := time.ParseDuration(s); err == nil && d >= limit {
			bad(key, s, "must be shorter than %s (%s)", limitName, limit)
		}
	}
	lt("attemptTimeout", "ATTEMPT_TIMEOUT", c.FunctionTimeout, "functionTimeout")
	lt("deadlineMargin", "DEADLINE_MARGIN", c.FunctionTimeout, "functionTimeout")
	if base, max := c.FunctionEnv["RETRY_BASE_DELAY"], c.FunctionEnv["RETRY_MAX_DELAY"]; base != "" && max != "" {
		b, _ := time.ParseDuration(base)
		m, _ := time.ParseDuration(max)
		if m < b {
			bad("retryMaxDelay", max, "must not be shorter than retryBaseDelay (%s)", base)
		}
	}
	// Last, the function's own reading of the environment the stack gives it
	// (ranges, combinations): what would fail its cold start fails the synth.
	if len(errs) == 0 {
		env := map[string]string{"BUCKET_NAME": "synth-check", "KEY_PREFIX": c.KeyPrefix, "KEY_TEMPLATE": c.KeyTemplate,
			"METRICS_NAMESPACE": c.MetricsNamespace, "ENVELOPE": c.Envelope, "POINTER_BUCKETS": strings.Join(c.PointerBuckets, ",")}
		for k, v := range c.FunctionEnv {
			env[k] = v
		}
		if _, err := uploader.ConfigFromEnv(func(k string) string { return env[k] }); err != nil {
			errs = append(errs, fmt.Errorf("function environment from context (see settings table): %w", err))
		}
	}
	return errs
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
