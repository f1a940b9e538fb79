package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

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
	// VisibilityTimeout is the queue's visibility timeout: context
	// "visibilityTimeout", or when unset (zero) [Config.MinVisibilityTimeout].
	VisibilityTimeout time.Duration
	// PrefixCount is how many key prefixes the writes spread over, for the
	// synth's capacity warning (capacity.go): context "prefixCount", or when
	// unset (zero) what KeyTemplate's {shard:N} give.
	PrefixCount int

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
		MaxReceiveCount:        5,
		OldestMessageAlarm:     5 * time.Minute,
		MetricsNamespace:       defaultMetricsNamespace,
		FunctionEnv:            map[string]string{},
	}
}

// MinVisibilityTimeout is the smallest visibility timeout the queue may have:
// six times the function timeout plus the maximum batching window, as the
// Lambda developer guide advises for SQS event sources.
func (c Config) MinVisibilityTimeout() time.Duration {
	return 6*c.FunctionTimeout + c.MaxBatchingWindow
}

// minMaxReceiveCount is the floor on maxReceiveCount: below 5, a message that
// met a throttled or cold function is parked in the DLQ too early.
const minMaxReceiveCount = 5

// functionEnvKnobs maps the context keys of the function's optional knobs to
// their environment variables and checks.
var functionEnvKnobs = map[string]struct {
	env   string
	check func(string) error
}{
	"retryMaxAttempts":  {"RETRY_MAX_ATTEMPTS", positiveInt},
	"retryBaseDelay":    {"RETRY_BASE_DELAY", positiveDuration},
	"retryMaxDelay":     {"RETRY_MAX_DELAY", positiveDuration},
	"attemptTimeout":    {"ATTEMPT_TIMEOUT", positiveDuration},
	"uploadConcurrency": {"UPLOAD_CONCURRENCY", positiveInt},
	"deadlineMargin":    {"DEADLINE_MARGIN", nonNegativeDuration},
	"s3Checksum":        {"S3_CHECKSUM", oneOf("when_supported", "when_required")},
	"retryBudget":       {"RETRY_BUDGET", positiveInt},
}

// settingKeys lists every context key the app reads.
func settingKeys() []string {
	keys := []string{
		"stackName", "arch", "local", "dev", "kms", "versioned",
		"keyPrefix", "keyTemplate", "accessLogRetentionDays", "envelope", "pointerBuckets", "pointerKeyArn",
		"functionTimeout", "memorySize", "applicationLogLevel", "systemLogLevel", "logRetentionDays",
		"batchSize", "maxBatchingWindow", "maxConcurrency", "prefixCount", "maxReceiveCount", "visibilityTimeout",
		"oldestMessageAlarm", "alarmTopicArn", "metricsNamespace",
	}
	for k := range functionEnvKnobs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ConfigFromContext reads the settings through lookup (the app's
// TryGetContext: nil for an absent key; a string from `-c`; a string, bool or
// number from cdk.json) and validates them. all, when not nil, is every
// context key the app sees: a key that looks like ours but is unknown (a typo
// such as "batchsize") is an error rather than silently ignored.
//
// The error lists every problem found, one per line, each naming its key.
func ConfigFromContext(lookup func(key string) any, all []string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	bad := func(key string, v any, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %q = %v: %s", key, v, fmt.Sprintf(format, args...)))
	}

	str := func(key string, dst *string) {
		v := lookup(key)
		if v == nil {
			return
		}
		switch v := v.(type) {
		case string:
			*dst = v
		default:
			bad(key, v, "want a string")
		}
	}
	boolean := func(key string, dst *bool) {
		v := lookup(key)
		if v == nil {
			return
		}
		switch v := v.(type) {
		case bool:
			*dst = v
		case string:
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(key, v, "want true or false")
				return
			}
			*dst = b
		default:
			bad(key, v, "want true or false")
		}
	}
	integer := func(key string, dst *int, lo, hi int, why string) {
		v := lookup(key)
		if v == nil {
			return
		}
		n, ok := toInt(v)
		if !ok {
			bad(key, v, "want a whole number")
			return
		}
		if n < lo || n > hi {
			bad(key, v, "want %d to %d%s", lo, hi, why)
			return
		}
		*dst = n
	}
	duration := func(key string, dst *time.Duration, lo, hi time.Duration) {
		v := lookup(key)
		if v == nil {
			return
		}
		s, ok := v.(string)
		if !ok {
			bad(key, v, `want a Go duration such as "30s"`)
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			bad(key, v, `want a Go duration such as "30s"`)
			return
		}
		if d%time.Second != 0 {
			bad(key, v, "want whole seconds")
			return
		}
		if d < lo || d > hi {
			bad(key, v, "want %s to %s", lo, hi)
			return
		}
		*dst = d
	}

	str("stackName", &c.StackName)
	str("arch", &c.Arch)
	boolean("local", &c.Local)
	boolean("dev", &c.Dev)
	boolean("kms", &c.KMS)
	boolean("versioned", &c.Versioned)
	str("keyPrefix", &c.KeyPrefix)
	str("keyTemplate", &c.KeyTemplate)
	str("envelope", &c.Envelope)
	if v := lookup("pointerBuckets"); v != nil {
		var list string
		switch v := v.(type) {
		case string:
			list = v
		case []any:
			names := make([]string, len(v))
			for i, n := range v {
				names[i] = fmt.Sprint(n)
			}
			list = strings.Join(names, ",")
		default:
			bad("pointerBuckets", v, `want a list of bucket names, or names separated by commas`)
		}
		// The function's own reader, so the synth fails with its words.
		if b, err := uploader.ParsePointerBuckets(list); err != nil {
			bad("pointerBuckets", v, "%v", err)
		} else {
			c.PointerBuckets = b
		}
	}
	str("pointerKeyArn", &c.PointerKeyArn)
	integer("accessLogRetentionDays", &c.AccessLogRetentionDays, 1, 3650, "")
	duration("functionTimeout", &c.FunctionTimeout, time.Second, 900*time.Second)
	integer("memorySize", &c.MemorySize, 128, 10240, " MB")
	str("applicationLogLevel", &c.ApplicationLogLevel)
	str("systemLogLevel", &c.SystemLogLevel)
	integer("logRetentionDays", &c.LogRetentionDays, 1, 3653, "")
	integer("batchSize", &c.BatchSize, 1, 10000, "")
	duration("maxBatchingWindow", &c.MaxBatchingWindow, 0, 300*time.Second)
	integer("maxConcurrency", &c.MaxConcurrency, 2, 1000, " (the limits of an SQS event source's maximum concurrency)")
	integer("prefixCount", &c.PrefixCount, 0, 1_000_000, " (0: what keyTemplate's {shard:N} give)")
	integer("maxReceiveCount", &c.MaxReceiveCount, minMaxReceiveCount, 1000,
		"; below 5 a message that met a throttled or failing function goes to the dead-letter queue too early")
	duration("visibilityTimeout", &c.VisibilityTimeout, 0, 12*time.Hour)
	duration("oldestMessageAlarm", &c.OldestMessageAlarm, time.Minute, 14*24*time.Hour)
	str("alarmTopicArn", &c.AlarmTopicArn)
	str("metricsNamespace", &c.MetricsNamespace)

	for key, knob := range functionEnvKnobs {
		v := lookup(key)
		if v == nil {
			continue
		}
		s := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if err := knob.check(s); err != nil {
			bad(key, v, "%v", err)
			continue
		}
		c.FunctionEnv[knob.env] = s
	}

	errs = append(errs, c.validate()...)
	if all != nil {
		known := settingKeys()
		for _, k := range all {
			if looksLikeOurs(k) && !slices.Contains(known, k) {
				errs = append(errs, fmt.Errorf("context %q: unknown setting (known: %s)", k, strings.Join(known, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return c, errors.Join(errs...)
	}
	if c.VisibilityTimeout == 0 {
		c.VisibilityTimeout = c.MinVisibilityTimeout()
	}
	return c, nil
}

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
	if _, err := batch.ParseEnvelope(c.Envelope); err != nil || c.Envelope != strings.ToLower(c.Envelope) || c.Envelope == "" {
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
	if min := c.MinVisibilityTimeout(); c.VisibilityTimeout != 0 && c.VisibilityTimeout < min {
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

// looksLikeOurs tells the app's own keys from CDK feature flags ("@aws-cdk/..."),
// keys the CLI adds ("aws:cdk:...", cached lookups such as
// "availability-zones:account=...") and `cdk acknowledge`'s list.
func looksLikeOurs(key string) bool {
	return !strings.ContainsAny(key, "@:/") && key != "acknowledged-issue-numbers" && key != "cli-telemetry"
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

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		if v != math.Trunc(v) || math.IsInf(v, 0) {
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

func positiveInt(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return errors.New("want a whole number of at least 1")
	}
	return nil
}

func positiveDuration(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New(`want a positive Go duration such as "50ms" or "5s"`)
	}
	return nil
}

func nonNegativeDuration(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return errors.New(`want a Go duration such as "0s" or "2s"`)
	}
	return nil
}

func oneOf(values ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(values, s) {
			return fmt.Errorf("want one of %s", strings.Join(values, ", "))
		}
		return nil
	}
}
