package uploader

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// Config is the function's configuration, read from its environment by
// ConfigFromEnv. The zero value of each field but Bucket means its default.
type Config struct {
	Bucket    string // BUCKET_NAME, required
	KeyPrefix string // KEY_PREFIX, default "uploads/"
	// KeyTemplate names each object under KeyPrefix (KEY_TEMPLATE); nil:
	// keys.DefaultKeyTemplate, the key attribute or else the message ID.
	KeyTemplate *keys.KeyTemplate
	// Envelope is what every body arrives in (ENVELOPE: none, sns or
	// eventbridge); the zero value is record.EnvelopeNone.
	Envelope record.Envelope
	// PointerBuckets are the buckets an Extended Client Library pointer
	// may name (POINTER_BUCKETS, comma-separated); empty, pointers are
	// plain bodies.
	PointerBuckets   []string
	UsePathStyle     bool          // S3_USE_PATH_STYLE, for local S3-compatible endpoints
	ChecksumWhenReq  bool          // S3_CHECKSUM=when_required: no flexible checksum (CRC32) unless S3 requires one; Content-MD5 is sent instead
	MaxAttempts      int           // RETRY_MAX_ATTEMPTS, default 14 (first attempt included)
	BaseDelay        time.Duration // RETRY_BASE_DELAY, default 25ms
	MaxDelay         time.Duration // RETRY_MAX_DELAY, default 5s
	RetryBudget      int           // RETRY_BUDGET, tokens (a retry takes 5, a timeout 10), default 500
	AttemptTimeout   time.Duration // ATTEMPT_TIMEOUT, default 5s
	Concurrency      int           // UPLOAD_CONCURRENCY, default 8
	DeadlineMargin   time.Duration // DEADLINE_MARGIN, default 2s
	MetricsNamespace string        // METRICS_NAMESPACE, default "S3Uploader"
	// DeadLetterQueueURL (DEAD_LETTER_QUEUE_URL), when set, turns on the
	// function's own routing of failed records: a record that can never
	// be stored goes to this queue at once, with its reason as message
	// attributes; one that failed for now comes back after a redelivery
	// delay (RedeliveryBase, RedeliveryMax) rather than the visibility
	// timeout. Empty: both are left to the queue's redrive policy.
	DeadLetterQueueURL string
	RedeliveryBase     time.Duration // REDELIVERY_BASE_DELAY, default 2s
	RedeliveryMax      time.Duration // REDELIVERY_MAX_DELAY, default 15m
	FunctionName       string        // AWS_LAMBDA_FUNCTION_NAME, set by Lambda
	LogLevel           string        // AWS_LAMBDA_LOG_LEVEL, set by Lambda
}

// Defaults. The retry settings are pkg/retry's own, the concurrency and
// the margin pkg/batch's.
const (
	DefaultKeyPrefix        = "uploads/"
	DefaultMaxAttempts      = retry.DefaultMaxAttempts
	DefaultBaseDelay        = retry.DefaultBaseDelay
	DefaultMaxDelay         = retry.DefaultMaxDelay
	DefaultRetryBudget      = 500
	DefaultAttemptTimeout   = 5 * time.Second
	DefaultConcurrency      = batch.DefaultConcurrency
	DefaultDeadlineMargin   = batch.DefaultMargin
	DefaultMetricsNamespace = "S3Uploader"
	DefaultRedeliveryBase   = batch.DefaultRedeliveryBase
	DefaultRedeliveryMax    = batch.DefaultRedeliveryMax
)

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// function). It fails, naming the variable, when BUCKET_NAME is missing or a
// value does not parse or is out of range.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Bucket:           strings.TrimSpace(getenv("BUCKET_NAME")),
		KeyPrefix:        DefaultKeyPrefix,
		MetricsNamespace: DefaultMetricsNamespace,
		FunctionName:     getenv("AWS_LAMBDA_FUNCTION_NAME"),
		LogLevel:         getenv("AWS_LAMBDA_LOG_LEVEL"),
	}
	var errs []error
	if c.Bucket == "" {
		errs = append(errs, errors.New("BUCKET_NAME is required: set it to the name of the bucket to write to"))
	}
	errs = append(errs, c.readRecords(getenv)...)
	errs = append(errs, c.readClients(getenv)...)
	errs = append(errs, c.readRetries(getenv)...)
	errs = append(errs, c.check()...)
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// readRecords reads how records are decoded and named.
func (c *Config) readRecords(getenv func(string) string) []error {
	var errs []error
	if v, ok := lookup(getenv, "KEY_PREFIX"); ok {
		c.KeyPrefix = v
	}
	if v, ok := lookup(getenv, "KEY_TEMPLATE"); ok {
		t, err := ParseKeyTemplate(v)
		errs = append(errs, err)
		c.KeyTemplate = t
	}
	if v, ok := lookup(getenv, "ENVELOPE"); ok {
		e, err := record.ParseEnvelope(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ENVELOPE=%w", err))
		}
		c.Envelope = e
	}
	if v, ok := lookup(getenv, "POINTER_BUCKETS"); ok {
		b, err := ParsePointerBuckets(v)
		errs = append(errs, err)
		c.PointerBuckets = b
	}
	return errs
}

// readClients reads how the function talks to S3, SQS and CloudWatch.
func (c *Config) readClients(getenv func(string) string) []error {
	var errs []error
	if v, ok := lookup(getenv, "DEAD_LETTER_QUEUE_URL"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("DEAD_LETTER_QUEUE_URL=%q: want a queue URL, like https://sqs.eu-west-1.amazonaws.com/123456789012/uploads-dlq", v))
		}
		c.DeadLetterQueueURL = v
	}
	if v, ok := lookup(getenv, "METRICS_NAMESPACE"); ok {
		c.MetricsNamespace = v
	}
	if v, ok := lookup(getenv, "S3_USE_PATH_STYLE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("S3_USE_PATH_STYLE=%q: want true or false", v))
		}
		c.UsePathStyle = b
	}
	if v, ok := lookup(getenv, "S3_CHECKSUM"); ok {
		switch strings.ToLower(v) {
		case "when_supported":
		case "when_required":
			c.ChecksumWhenReq = true
		default:
			errs = append(errs, fmt.Errorf("S3_CHECKSUM=%q: want when_supported or when_required", v))
		}
	}
	return errs
}

// readRetries reads the numbers of the retries and the routing.
func (c *Config) readRetries(getenv func(string) string) []error {
	return []error{
		intVar(getenv, "RETRY_MAX_ATTEMPTS", &c.MaxAttempts, DefaultMaxAttempts, 1, 100),
		intVar(getenv, "RETRY_BUDGET", &c.RetryBudget, DefaultRetryBudget, 1, 1_000_000),
		intVar(getenv, "UPLOAD_CONCURRENCY", &c.Concurrency, DefaultConcurrency, 1, 1000),
		durVar(getenv, "RETRY_BASE_DELAY", &c.BaseDelay, DefaultBaseDelay, time.Millisecond, time.Minute),
		durVar(getenv, "RETRY_MAX_DELAY", &c.MaxDelay, DefaultMaxDelay, time.Millisecond, 15*time.Minute),
		durVar(getenv, "ATTEMPT_TIMEOUT", &c.AttemptTimeout, DefaultAttemptTimeout, 100*time.Millisecond, 15*time.Minute),
		durVar(getenv, "DEADLINE_MARGIN", &c.DeadlineMargin, DefaultDeadlineMargin, 0, 15*time.Minute),
		durVar(getenv, "REDELIVERY_BASE_DELAY", &c.RedeliveryBase, DefaultRedeliveryBase, time.Second, 12*time.Hour),
		durVar(getenv, "REDELIVERY_MAX_DELAY", &c.RedeliveryMax, DefaultRedeliveryMax, time.Second, 12*time.Hour),
	}
}

// check compares values read apart.
func (c *Config) check() []error {
	var errs []error
	if c.RedeliveryMax < c.RedeliveryBase {
		errs = append(errs, fmt.Errorf("REDELIVERY_MAX_DELAY (%v) is below REDELIVERY_BASE_DELAY (%v)", c.RedeliveryMax, c.RedeliveryBase))
	}
	if c.MaxDelay < c.BaseDelay {
		errs = append(errs, fmt.Errorf("RETRY_MAX_DELAY (%v) is below RETRY_BASE_DELAY (%v)", c.MaxDelay, c.BaseDelay))
	}
	if len(c.KeyPrefix) > 512 {
		errs = append(errs, fmt.Errorf("KEY_PREFIX is %d bytes: at most 512", len(c.KeyPrefix)))
	}
	if n := c.KeyTemplate.FixedLen(); c.KeyTemplate != nil && len(c.KeyPrefix)+n > s3store.MaxKeyLen {
		errs = append(errs, fmt.Errorf("KEY_TEMPLATE=%q: its %d bytes of fixed text after KEY_PREFIX's %d are over S3's key limit of %d",
			c.KeyTemplate, n, len(c.KeyPrefix), s3store.MaxKeyLen))
	}
	return errs
}

// ParseKeyTemplate reads a KEY_TEMPLATE value; its error names the variable
// and the problem, as the function's init reports it. The CDK app checks
// the keyTemplate setting with it, so the synth fails with the same words.
func ParseKeyTemplate(v string) (*keys.KeyTemplate, error) {
	t, err := keys.NewKeyTemplate(v)
	if err != nil {
		return nil, fmt.Errorf("KEY_TEMPLATE=%q: %w", v, err)
	}
	return t, nil
}

// ParsePointerBuckets reads a POINTER_BUCKETS value: bucket names
// separated by commas. Its error names the variable and the name that is
// not a bucket's; the CDK app checks the pointerBuckets setting with it.
func ParsePointerBuckets(v string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !s3store.ValidBucketName(name) {
			return nil, fmt.Errorf("POINTER_BUCKETS=%q: %q is not a bucket name (3 to 63 lower-case letters, digits, '.' and '-')", v, name)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := strings.TrimSpace(getenv(name))
	return v, v != ""
}

func intVar(getenv func(string) string, name string, dst *int, def, lo, hi int) error {
	*dst = def
	v, ok := lookup(getenv, name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	*dst = n
	return nil
}

func durVar(getenv func(string) string, name string, dst *time.Duration, def, lo, hi time.Duration) error {
	*dst = def
	v, ok := lookup(getenv, name)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return fmt.Errorf("%s=%q: want a duration from %v to %v, like 250ms or 5s", name, v, lo, hi)
	}
	*dst = d
	return nil
}
