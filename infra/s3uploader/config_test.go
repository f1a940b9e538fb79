package s3uploader

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testPointerKeyArn and testKeyArn are KMS key ARNs of the tests.
const (
	testPointerKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testKeyArn        = "arn:aws:kms:eu-west-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab"
)

// cdkJSONContext returns the "context" object of the repository's cdk.json.
func cdkJSONContext(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	return f.Context
}

// lookupFrom serves context values from a map, as TryGetContext does.
func lookupFrom(m map[string]any) func(string) any {
	return func(k string) any { return m[k] }
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func TestConfigFromContextDefaults(t *testing.T) {
	got, err := ConfigFromContext(lookupFrom(nil), nil)
	if err != nil {
		t.Fatalf("ConfigFromContext(empty) error: %v", err)
	}
	want := DefaultConfig()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromContext(empty) = %+v; want %+v", got, want)
	}
}

// TestCdkJSONContextMatchesDefaults keeps cdk.json, where users read the
// defaults, in step with DefaultConfig, and checks every key in it is known.
func TestCdkJSONContextMatchesDefaults(t *testing.T) {
	ctx := cdkJSONContext(t)
	got, err := ConfigFromContext(lookupFrom(ctx), keysOf(ctx))
	if err != nil {
		t.Fatalf("cdk.json context: %v", err)
	}
	want, _ := ConfigFromContext(lookupFrom(nil), nil)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cdk.json context gives %+v;\nDefaultConfig gives %+v", got, want)
	}
}

func TestConfigFromContextOverrides(t *testing.T) {
	tests := map[string]struct {
		ctx   map[string]any
		check func(Config) bool
	}{
		"-c strings": {
			ctx: map[string]any{"arch": "x86_64", "dev": "true", "kms": "1", "versioned": "false", "batchSize": "100",
				"maxBatchingWindow": "5s", "functionTimeout": "1m", "maxReceiveCount": "8", "maxConcurrency": "20",
				"logRetentionDays": "14", "keyPrefix": "in/", "oldestMessageAlarm": "10m", "keyTemplate": "{sent:2006/01/02}/{shard:16}/{key}",
				"functionDeadLetters": "false"},
			check: func(c Config) bool {
				return c.Arch == "x86_64" && c.Dev && c.KMS && !c.Versioned && c.BatchSize == 100 &&
					c.MaxBatchingWindow == 5*time.Second && c.FunctionTimeout == time.Minute && c.MaxReceiveCount == 8 &&
					c.MaxConcurrency == 20 && c.LogRetentionDays == 14 && c.KeyPrefix == "in/" &&
					c.VisibilityTimeout == 0 && c.MinVisibilityTimeout() == 365*time.Second && c.OldestMessageAlarm == 10*time.Minute &&
					c.KeyTemplate == "{sent:2006/01/02}/{shard:16}/{key}" && !c.FunctionDeadLetters
			},
		},
		"cdk.json types": {
			ctx: map[string]any{"local": true, "batchSize": float64(5), "memorySize": float64(512), "functionDeadLetters": false},
			check: func(c Config) bool {
				return c.Local && c.BatchSize == 5 && c.MemorySize == 512 && !c.FunctionDeadLetters
			},
		},
		"local visibility timeout below 6x": {
			ctx:   map[string]any{"local": "true", "functionTimeout": "2s", "visibilityTimeout": "4s"},
			check: func(c Config) bool { return c.VisibilityTimeout == 4*time.Second },
		},
		"visibility timeout at the minimum": {
			ctx:   map[string]any{"functionTimeout": "10s", "maxBatchingWindow": "2s", "visibilityTimeout": "62s"},
			check: func(c Config) bool { return c.VisibilityTimeout == 62*time.Second },
		},
		"function knobs become environment": {
			ctx: map[string]any{"retryMaxAttempts": float64(7), "retryBaseDelay": "50ms", "retryMaxDelay": "5s",
				"attemptTimeout": "3s", "uploadConcurrency": "16", "deadlineMargin": "2s", "s3Checksum": "when_required",
				"retryBudget": "900"},
			check: func(c Config) bool {
				return reflect.DeepEqual(c.FunctionEnv, map[string]string{
					"RETRY_MAX_ATTEMPTS": "7", "RETRY_BASE_DELAY": "50ms", "RETRY_MAX_DELAY": "5s",
					"ATTEMPT_TIMEOUT": "3s", "UPLOAD_CONCURRENCY": "16", "DEADLINE_MARGIN": "2s", "S3_CHECKSUM": "when_required",
					"RETRY_BUDGET": "900",
				})
			},
		},
		"envelope and pointers from -c": {
			ctx: map[string]any{"envelope": "sns", "pointerBuckets": " payloads-a,payloads.b ", "pointerKeyArn": testPointerKeyArn},
			check: func(c Config) bool {
				return c.Envelope == "sns" && reflect.DeepEqual(c.PointerBuckets, []string{"payloads-a", "payloads.b"}) && c.PointerKeyArn == testPointerKeyArn
			},
		},
		"pointer buckets as a cdk.json list": {
			ctx: map[string]any{"pointerBuckets": []any{"payloads-a", "payloads-b"}, "envelope": "eventbridge"},
			check: func(c Config) bool {
				return c.Envelope == "eventbridge" && reflect.DeepEqual(c.PointerBuckets, []string{"payloads-a", "payloads-b"})
			},
		},
		"existing resources": {
			ctx: map[string]any{"bucketName": "data-lake", "bucketKeyArn": testKeyArn, "queueArn": "arn:aws:sqs:eu-west-1:123456789012:in",
				"deadLetterQueueArn": "arn:aws:sqs:eu-west-1:123456789012:in-dlq", "queueKeyArn": testKeyArn},
			check: func(c Config) bool {
				return c.BucketName == "data-lake" && c.BucketKeyArn == testKeyArn && c.QueueArn == "arn:aws:sqs:eu-west-1:123456789012:in" &&
					c.DeadLetterQueueArn == "arn:aws:sqs:eu-west-1:123456789012:in-dlq" && c.QueueKeyArn == testKeyArn
			},
		},
		"sns source sets the envelope": {
			ctx:   map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t"},
			check: func(c Config) bool { return c.SNSTopicArn != "" && c.envelope() == "sns" },
		},
		"raw sns delivery keeps none": {
			ctx:   map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t", "rawMessageDelivery": "true"},
			check: func(c Config) bool { return c.RawMessageDelivery && c.envelope() == "none" },
		},
		"event pattern from -c text and bus": {
			ctx: map[string]any{"eventPattern": `{"source": ["my.app"], "detail-type": ["upload"]}`, "eventBusName": "orders"},
			check: func(c Config) bool {
				return c.EventPattern == `{"detail-type":["upload"],"source":["my.app"]}` && c.EventBusName == "orders" && c.envelope() == "eventbridge"
			},
		},
		"event pattern as a cdk.json object": {
			ctx:   map[string]any{"eventPattern": map[string]any{"source": []any{"my.app"}}},
			check: func(c Config) bool { return c.EventPattern == `{"source":["my.app"]}` },
		},
		"fifo": {
			ctx:   map[string]any{"fifo": "true", "contentBasedDeduplication": "true"},
			check: func(c Config) bool { return c.FIFO && c.ContentBasedDeduplication },
		},
		"feature flags and CLI keys are not settings": {
			ctx:   map[string]any{"@aws-cdk/core:checkSecretUsage": true, "aws:cdk:enable-path-metadata": true},
			check: func(c Config) bool { return c.StackName == "S3Uploader" },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := ConfigFromContext(lookupFrom(tt.ctx), keysOf(tt.ctx))
			if err != nil {
				t.Fatalf("ConfigFromContext(%v) error: %v", tt.ctx, err)
			}
			if !tt.check(c) {
				t.Errorf("ConfigFromContext(%v) = %+v; not what the check wants", tt.ctx, c)
			}
		})
	}
}

func TestConfigFromContextRejects(t *testing.T) {
	tests := map[string]struct {
		ctx  map[string]any
		want []string // substrings of the error
	}{
		"maxReceiveCount below 5": {
			ctx:  map[string]any{"maxReceiveCount": "3"},
			want: []string{`context "maxReceiveCount" = 3`, "want 5 to 1000", "dead-letter queue too early"},
		},
		"visibility timeout breaks the 6x rule": {
			ctx:  map[string]any{"functionTimeout": "30s", "maxBatchingWindow": "10s", "visibilityTimeout": "120s"},
			want: []string{`context "visibilityTimeout" = 2m0s`, "at least 6 × functionTimeout (30s) + maxBatchingWindow (10s) = 3m10s"},
		},
		"local visibility timeout below the function timeout": {
			ctx:  map[string]any{"local": "true", "functionTimeout": "2s", "visibilityTimeout": "1s"},
			want: []string{`context "visibilityTimeout" = 1s`, "at least functionTimeout (2s) + maxBatchingWindow (0s) = 2s even on the local twin"},
		},
		"unknown arch":        {ctx: map[string]any{"arch": "arm"}, want: []string{`context "arch" = arm`, `"arm64" or "x86_64"`}},
		"bool":                {ctx: map[string]any{"dev": "yes"}, want: []string{`context "dev" = yes: want true or false`}},
		"dead letters bool":   {ctx: map[string]any{"functionDeadLetters": "off"}, want: []string{`context "functionDeadLetters" = off: want true or false`}},
		"not a number":        {ctx: map[string]any{"batchSize": "ten"}, want: []string{`context "batchSize" = ten: want a whole number`}},
		"fractional number":   {ctx: map[string]any{"memorySize": 128.5}, want: []string{`"memorySize"`, "whole number"}},
		"big batch no window": {ctx: map[string]any{"batchSize": "100"}, want: []string{"maxBatchingWindow of at least 1s"}},
		"duration syntax":     {ctx: map[string]any{"functionTimeout": "30"}, want: []string{`context "functionTimeout" = 30`, "Go duration"}},
		"fractional seconds":  {ctx: map[string]any{"maxBatchingWindow": "1500ms"}, want: []string{"whole seconds"}},
		"function timeout too long": {
			ctx: map[string]any{"functionTimeout": "901s"}, want: []string{`"functionTimeout"`, "1s to 15m0s"},
		},
		"retention":        {ctx: map[string]any{"logRetentionDays": "31"}, want: []string{"retention periods: 1, 3, 5, 7, 14, 30"}},
		"key prefix":       {ctx: map[string]any{"keyPrefix": "uploads/*"}, want: []string{`context "keyPrefix"`}},
		"empty key prefix": {ctx: map[string]any{"keyPrefix": ""}, want: []string{`context "keyPrefix"`}},
		"key template placeholder": {ctx: map[string]any{"keyTemplate": "{date}/{key}"},
			want: []string{`context "keyTemplate" = {date}/{key}: KEY_TEMPLATE="{date}/{key}": unknown placeholder {date}`}},
		"key template strftime": {ctx: map[string]any{"keyTemplate": "{sent:%Y}/{key}"},
			want: []string{`context "keyTemplate"`, "strftime", "Go's reference time"}},
		"key template never unique": {ctx: map[string]any{"keyTemplate": "{sent:2006}/{shard:8}"},
			want: []string{`context "keyTemplate"`, "neither {key} nor {messageId}"}},
		"key template leaves the prefix": {ctx: map[string]any{"keyTemplate": "../{key}"},
			want: []string{`context "keyTemplate"`, `".." segment`}},
		"key template too long with the prefix": {ctx: map[string]any{"keyPrefix": strings.Repeat("p", 511) + "/", "keyTemplate": strings.Repeat("t", 600) + "{key}"},
			want: []string{"function environment from context", "KEY_TEMPLATE", "over S3's key limit of 1024"}},
		"envelope guessed": {ctx: map[string]any{"envelope": "auto"}, want: []string{`context "envelope" = auto: want none, sns or eventbridge`}},
		"pointer bucket name": {ctx: map[string]any{"pointerBuckets": "ok-bucket,Not_A_Bucket"},
			want: []string{`context "pointerBuckets"`, `"Not_A_Bucket" is not a bucket name`}},
		"pointer key without buckets": {ctx: map[string]any{"pointerKeyArn": testPointerKeyArn}, want: []string{`context "pointerKeyArn"`, "set pointerBuckets too"}},
		"pointer key alias": {ctx: map[string]any{"pointerBuckets": "payloads-a", "pointerKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/payloads"},
			want: []string{`context "pointerKeyArn"`, "want a KMS key ARN"}},
		"typo":     {ctx: map[string]any{"batchsize": "10"}, want: []string{`context "batchsize": unknown setting`}},
		"checksum": {ctx: map[string]any{"s3Checksum": "always"}, want: []string{"want one of when_supported, when_required"}},
		"attempt timeout not below function timeout": {
			ctx: map[string]any{"attemptTimeout": "30s"}, want: []string{`context "attemptTimeout" = 30s: must be shorter than functionTimeout`},
		},
		"max delay below base delay": {
			ctx: map[string]any{"retryBaseDelay": "1s", "retryMaxDelay": "100ms"}, want: []string{"must not be shorter than retryBaseDelay"},
		},
		"beyond the function's own range": {
			ctx: map[string]any{"retryMaxAttempts": "500"}, want: []string{"function environment from context", "RETRY_MAX_ATTEMPTS"},
		},
		"existing bucket with new-bucket settings": {
			ctx: map[string]any{"bucketName": "data-lake", "kms": "true", "versioned": "false", "accessLogRetentionDays": "30"},
			want: []string{`context "kms" = true: shapes bucket the stack creates; with bucketName/bucketArn the bucket is yours`,
				`context "versioned" = false`, `context "accessLogRetentionDays" = 30`},
		},
		"bucket named twice": {ctx: map[string]any{"bucketName": "a-b-c", "bucketArn": "arn:aws:s3:::a-b-c"},
			want: []string{`context "bucketArn" = arn:aws:s3:::a-b-c: names the bucket a second time`}},
		"bucket name":               {ctx: map[string]any{"bucketName": "Data_Lake"}, want: []string{`context "bucketName" = Data_Lake: want an S3 bucket name`}},
		"bucket arn":                {ctx: map[string]any{"bucketArn": "data-lake"}, want: []string{`context "bucketArn" = data-lake: want an ARN`}},
		"bucket key without bucket": {ctx: map[string]any{"bucketKeyArn": testKeyArn}, want: []string{`context "bucketKeyArn"`, "set bucketName or bucketArn"}},
		"existing queue with new-queue settings": {
			ctx: map[string]any{"queueArn": "arn:aws:sqs:us-east-1:123456789012:q", "deadLetterQueueArn": "arn:aws:sqs:us-east-1:123456789012:d",
				"maxReceiveCount": "7", "visibilityTimeout": "600s"},
			want: []string{`context "maxReceiveCount" = 7: shapes queue the stack creates`, `context "visibilityTimeout" = 10m0s`},
		},
		"existing queue without its dlq": {ctx: map[string]any{"queueArn": "arn:aws:sqs:us-east-1:123456789012:q"},
			want: []string{`context "queueArn"`, "needs deadLetterQueueArn"}},
		"fifo dlq of a standard queue": {ctx: map[string]any{"deadLetterQueueArn": "arn:aws:sqs:us-east-1:123456789012:d.fifo"},
			want: []string{`context "deadLetterQueueArn"`, "must be of the queue's kind"}},
		"dedup without fifo":          {ctx: map[string]any{"contentBasedDeduplication": "true"}, want: []string{"is for FIFO queues"}},
		"fifo with a batching window": {ctx: map[string]any{"fifo": "true", "maxBatchingWindow": "2s"}, want: []string{"no batching window for FIFO"}},
		"two sources": {ctx: map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t", "eventPattern": `{"source":["a"]}`},
			want: []string{"choose one source"}},
		"envelope contradicts the source": {ctx: map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t", "envelope": "eventbridge"},
			want: []string{`context "envelope" = eventbridge: contradicts snsTopicArn, which delivers sns`}},
		"source on an existing queue": {ctx: map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t",
			"queueArn": "arn:aws:sqs:us-east-1:123456789012:q", "deadLetterQueueArn": "arn:aws:sqs:us-east-1:123456789012:d"},
			want: []string{`context "snsTopicArn"`, "would replace that queue's policy"}},
		"standard topic to a fifo queue": {ctx: map[string]any{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:t", "fifo": "true"},
			want: []string{"only a FIFO topic"}},
		"raw delivery without a topic": {ctx: map[string]any{"rawMessageDelivery": "true"}, want: []string{"set snsTopicArn"}},
		"bus without a pattern":        {ctx: map[string]any{"eventBusName": "orders"}, want: []string{"set eventPattern"}},
		"pattern not json":             {ctx: map[string]any{"eventPattern": "source=my.app"}, want: []string{`context "eventPattern"`, "want a JSON object"}},
		"every problem at once": {
			ctx:  map[string]any{"maxReceiveCount": "1", "arch": "sparc", "memorySize": "64"},
			want: []string{`"maxReceiveCount"`, `"arch"`, `"memorySize"`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromContext(lookupFrom(tt.ctx), keysOf(tt.ctx))
			if err == nil {
				t.Fatalf("ConfigFromContext(%v) = nil error; want one containing %q", tt.ctx, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ConfigFromContext(%v) error =\n%v\nwant it to contain %q", tt.ctx, err, w)
				}
			}
		})
	}
}
