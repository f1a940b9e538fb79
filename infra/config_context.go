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

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

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

// looksLikeOurs tells the app's own keys from CDK feature flags ("@aws-cdk/..."),
// keys the CLI adds ("aws:cdk:...", cached lookups such as
// "availability-zones:account=...") and `cdk acknowledge`'s list.
func looksLikeOurs(key string) bool {
	return !strings.ContainsAny(key, "@:/") && key != "acknowledged-issue-numbers" && key != "cli-telemetry"
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
