package uploader

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := ConfigFromEnv(env("BUCKET_NAME", "b"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bucket: "b", KeyPrefix: "uploads/", MaxAttempts: 14, BaseDelay: 25 * time.Millisecond, MaxDelay: 5 * time.Second,
		RetryBudget: 500, AttemptTimeout: 5 * time.Second, Concurrency: 8, DeadlineMargin: 2 * time.Second, MetricsNamespace: "S3Uploader",
		RedeliveryBase: 2 * time.Second, RedeliveryMax: 15 * time.Minute}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults = %+v; want %+v", c, want)
	}
	c, err = ConfigFromEnv(env("BUCKET_NAME", "b", "KEY_PREFIX", "in/", "S3_USE_PATH_STYLE", "true", "S3_CHECKSUM", "when_required",
		"RETRY_MAX_ATTEMPTS", "3", "RETRY_BASE_DELAY", "10ms", "RETRY_MAX_DELAY", "1s", "ATTEMPT_TIMEOUT", "2s",
		"UPLOAD_CONCURRENCY", "16", "DEADLINE_MARGIN", "500ms", "RETRY_BUDGET", "50", "METRICS_NAMESPACE", "X",
		"DEAD_LETTER_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq", "REDELIVERY_BASE_DELAY", "1s", "REDELIVERY_MAX_DELAY", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	want = Config{Bucket: "b", KeyPrefix: "in/", UsePathStyle: true, ChecksumWhenReq: true, MaxAttempts: 3, BaseDelay: 10 * time.Millisecond,
		MaxDelay: time.Second, RetryBudget: 50, AttemptTimeout: 2 * time.Second, Concurrency: 16, DeadlineMargin: 500 * time.Millisecond, MetricsNamespace: "X",
		DeadLetterQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq", RedeliveryBase: time.Second, RedeliveryMax: time.Hour}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("overrides = %+v; want %+v", c, want)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"missing bucket":  {map[string]string{}, "BUCKET_NAME is required"},
		"blank bucket":    {map[string]string{"BUCKET_NAME": "  "}, "BUCKET_NAME is required"},
		"attempts":        {map[string]string{"BUCKET_NAME": "b", "RETRY_MAX_ATTEMPTS": "zero"}, "RETRY_MAX_ATTEMPTS"},
		"attempts range":  {map[string]string{"BUCKET_NAME": "b", "RETRY_MAX_ATTEMPTS": "0"}, "RETRY_MAX_ATTEMPTS"},
		"duration":        {map[string]string{"BUCKET_NAME": "b", "RETRY_BASE_DELAY": "5"}, "RETRY_BASE_DELAY"},
		"max below base":  {map[string]string{"BUCKET_NAME": "b", "RETRY_BASE_DELAY": "2s", "RETRY_MAX_DELAY": "1s"}, "RETRY_MAX_DELAY"},
		"path style":      {map[string]string{"BUCKET_NAME": "b", "S3_USE_PATH_STYLE": "yes please"}, "S3_USE_PATH_STYLE"},
		"checksum":        {map[string]string{"BUCKET_NAME": "b", "S3_CHECKSUM": "md5"}, "S3_CHECKSUM"},
		"concurrency":     {map[string]string{"BUCKET_NAME": "b", "UPLOAD_CONCURRENCY": "-1"}, "UPLOAD_CONCURRENCY"},
		"attempt timeout": {map[string]string{"BUCKET_NAME": "b", "ATTEMPT_TIMEOUT": "1ns"}, "ATTEMPT_TIMEOUT"},
		"dead-letter url": {map[string]string{"BUCKET_NAME": "b", "DEAD_LETTER_QUEUE_URL": "arn:aws:sqs:eu-west-1:1:dlq"}, "DEAD_LETTER_QUEUE_URL"},
		"redelivery":      {map[string]string{"BUCKET_NAME": "b", "REDELIVERY_BASE_DELAY": "10ms"}, "REDELIVERY_BASE_DELAY"},
		"redelivery max":  {map[string]string{"BUCKET_NAME": "b", "REDELIVERY_BASE_DELAY": "1m", "REDELIVERY_MAX_DELAY": "30s"}, "REDELIVERY_MAX_DELAY"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ConfigFromEnv(%v) error = %v; want one naming %s", tc.env, err, tc.want)
			}
		})
	}
}
