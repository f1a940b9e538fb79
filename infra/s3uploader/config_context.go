package s3uploader

import (
	"encoding/json"
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

// setting is one context key the app reads: read parses and checks a value
// the context holds (never nil) and stores it in the Config the table was
// made for. Its error is the problem alone, without the key and the value.
type setting struct {
	key  string
	read func(v any) error
}

// settingsOf is the settings table, one row per context key: its name, how
// its value is parsed and checked, and the field of c it lands in. Rules
// that tie settings together are [Config.validate]'s.
func settingsOf(c *Config) []setting {
	return []setting{
		{"stackName", str(&c.StackName)},
		{"arch", str(&c.Arch)},
		{"local", boolean(&c.Local)},
		{"dev", boolean(&c.Dev)},
		{"kms", boolean(&c.KMS)},
		{"versioned", boolean(&c.Versioned)},
		{"keyPrefix", str(&c.KeyPrefix)},
		{"keyTemplate", str(&c.KeyTemplate)},
		{"envelope", str(&c.Envelope)},
		{"pointerBuckets", bucketList(&c.PointerBuckets)},
		{"pointerKeyArn", str(&c.PointerKeyArn)},
		{"accessLogRetentionDays", integer(&c.AccessLogRetentionDays, 1, 3650, "")},
		{"functionTimeout", duration(&c.FunctionTimeout, time.Second, 900*time.Second)},
		{"memorySize", integer(&c.MemorySize, 128, 10240, " MB")},
		{"applicationLogLevel", str(&c.ApplicationLogLevel)},
		{"systemLogLevel", str(&c.SystemLogLevel)},
		{"logRetentionDays", integer(&c.LogRetentionDays, 1, 3653, "")},
		{"batchSize", integer(&c.BatchSize, 1, 10000, "")},
		{"maxBatchingWindow", duration(&c.MaxBatchingWindow, 0, 300*time.Second)},
		{"maxConcurrency", integer(&c.MaxConcurrency, 2, 1000, " (the limits of an SQS event source's maximum concurrency)")},
		{"prefixCount", integer(&c.PrefixCount, 0, 1_000_000, " (0: what keyTemplate's {shard:N} give)")},
		{"maxReceiveCount", integer(&c.MaxReceiveCount, minMaxReceiveCount, 1000,
			"; below 5 a message that met a throttled or failing function goes to the dead-letter queue too early")},
		{"functionDeadLetters", boolean(&c.FunctionDeadLetters)},
		{"visibilityTimeout", duration(&c.VisibilityTimeout, 0, 12*time.Hour)},
		{"bucketName", str(&c.BucketName)},
		{"bucketArn", str(&c.BucketArn)},
		{"bucketKeyArn", str(&c.BucketKeyArn)},
		{"queueArn", str(&c.QueueArn)},
		{"deadLetterQueueArn", str(&c.DeadLetterQueueArn)},
		{"queueKeyArn", str(&c.QueueKeyArn)},
		{"snsTopicArn", str(&c.SNSTopicArn)},
		{"rawMessageDelivery", boolean(&c.RawMessageDelivery)},
		{"eventPattern", jsonObject(&c.EventPattern)},
		{"eventBusName", str(&c.EventBusName)},
		{"fifo", boolean(&c.FIFO)},
		{"contentBasedDeduplication", boolean(&c.ContentBasedDeduplication)},
		{"oldestMessageAlarm", duration(&c.OldestMessageAlarm, time.Minute, 14*24*time.Hour)},
		{"alarmTopicArn", str(&c.AlarmTopicArn)},
		{"metricsNamespace", str(&c.MetricsNamespace)},
		// The function's optional knobs: passed through as its environment.
		{"retryMaxAttempts", envKnob(c.FunctionEnv, "RETRY_MAX_ATTEMPTS", positiveInt)},
		{"retryBaseDelay", envKnob(c.FunctionEnv, "RETRY_BASE_DELAY", positiveDuration)},
		{"retryMaxDelay", envKnob(c.FunctionEnv, "RETRY_MAX_DELAY", positiveDuration)},
		{"attemptTimeout", envKnob(c.FunctionEnv, "ATTEMPT_TIMEOUT", positiveDuration)},
		{"uploadConcurrency", envKnob(c.FunctionEnv, "UPLOAD_CONCURRENCY", positiveInt)},
		{"deadlineMargin", envKnob(c.FunctionEnv, "DEADLINE_MARGIN", nonNegativeDuration)},
		{"s3Checksum", envKnob(c.FunctionEnv, "S3_CHECKSUM", oneOf("when_supported", "when_required"))},
		{"retryBudget", envKnob(c.FunctionEnv, "RETRY_BUDGET", positiveInt)},
		{"redeliveryBaseDelay", envKnob(c.FunctionEnv, "REDELIVERY_BASE_DELAY", positiveDuration)},
		{"redeliveryMaxDelay", envKnob(c.FunctionEnv, "REDELIVERY_MAX_DELAY", positiveDuration)},
	}
}

// settingKeys lists every context key the app reads, sorted.
func settingKeys() []string {
	c := DefaultConfig()
	var keys []string
	for _, s := range settingsOf(&c) {
		keys = append(keys, s.key)
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
	for _, s := range settingsOf(&c) {
		if v := lookup(s.key); v != nil {
			if err := s.read(v); err != nil {
				errs = append(errs, settingError(s.key, v, err))
			}
		}
	}
	errs = append(errs, c.validate()...)
	errs = append(errs, unknownSettings(all)...)
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return c, errors.Join(errs...)
	}
	return c, nil
}

// settingError is the error users see for a bad value: the key, the value
// as given, and the problem.
func settingError(key string, v any, problem error) error {
	return fmt.Errorf("context %q = %v: %w", key, v, problem)
}

// unknownSettings returns an error for each key of all that looks like ours
// but is not a setting.
func unknownSettings(all []string) []error {
	var errs []error
	known := settingKeys()
	for _, k := range all {
		if looksLikeOurs(k) && !slices.Contains(known, k) {
			errs = append(errs, fmt.Errorf("context %q: unknown setting (known: %s)", k, strings.Join(known, ", ")))
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

// str reads a string into dst.
func str(dst *string) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return errors.New("want a string")
		}
		*dst = s
		return nil
	}
}

// boolean reads a bool (cdk.json) or "true"/"false" (-c) into dst.
func boolean(dst *bool) func(any) error {
	return func(v any) error {
		switch v := v.(type) {
		case bool:
			*dst = v
			return nil
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				*dst = b
				return nil
			}
		}
		return errors.New("want true or false")
	}
}

// integer reads a whole number from lo to hi into dst; why, when not
// empty, follows the range in the error.
func integer(dst *int, lo, hi int, why string) func(any) error {
	return func(v any) error {
		n, ok := toInt(v)
		if !ok {
			return errors.New("want a whole number")
		}
		if n < lo || n > hi {
			return fmt.Errorf("want %d to %d%s", lo, hi, why)
		}
		*dst = n
		return nil
	}
}

// duration reads a Go duration of whole seconds from lo to hi into dst.
func duration(dst *time.Duration, lo, hi time.Duration) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return errors.New(`want a Go duration such as "30s"`)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New(`want a Go duration such as "30s"`)
		}
		if d%time.Second != 0 {
			return errors.New("want whole seconds")
		}
		if d < lo || d > hi {
			return fmt.Errorf("want %s to %s", lo, hi)
		}
		*dst = d
		return nil
	}
}

// bucketList reads bucket names, a list (cdk.json) or separated by commas
// (-c), into dst, checked by the function's own reader so the synth fails
// with its words.
func bucketList(dst *[]string) func(any) error {
	return func(v any) error {
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
			return errors.New("want a list of bucket names, or names separated by commas")
		}
		b, err := uploader.ParsePointerBuckets(list)
		if err != nil {
			return err
		}
		*dst = b
		return nil
	}
}

// jsonObject reads a JSON object, given as an object (cdk.json) or as its
// text (-c), into dst as compact JSON text.
func jsonObject(dst *string) func(any) error {
	return func(v any) error {
		if s, ok := v.(string); ok {
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return fmt.Errorf("want a JSON object: %v", err)
			}
		}
		m, ok := v.(map[string]any)
		if !ok {
			return errors.New(`want a JSON object such as {"source":["my.app"]}`)
		}
		if len(m) == 0 {
			*dst = "" // {}: no rule
			return nil
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		*dst = string(b)
		return nil
	}
}

// envKnob reads one of the function's optional knobs, a string or a number,
// checks it with check and stores it in env under the variable name.
func envKnob(env map[string]string, name string, check func(string) error) func(any) error {
	return func(v any) error {
		s := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if err := check(s); err != nil {
			return err
		}
		env[name] = s
		return nil
	}
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
