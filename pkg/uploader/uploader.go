// Package uploader wires the function together: configuration, the S3
// client with a single retry layer, the retry policy with its shared budget
// and send-rate limiter, the batch processor, logs and metrics. The Lambda
// entry point, the benchmark and the tests all build the handler here, so
// they run the same code path.
package uploader

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/emf"
	"github.com/s3uploader/s3uploader/pkg/lambdalog"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/s3store"
	"github.com/s3uploader/s3uploader/pkg/sqsroute"
)

// NewS3Client builds the S3 client from the SDK's own environment
// (AWS_REGION, AWS_ENDPOINT_URL_S3, credentials) and cfg. The SDK's retryer
// is switched off, one attempt per call, so that the function's retry policy
// is the only retry layer. optFns apply last (tests set endpoints with them).
func NewS3Client(ctx context.Context, cfg Config, optFns ...func(*s3.Options)) (*s3.Client, error) {
	loadOpts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if cfg.ChecksumWhenReq {
		loadOpts = append(loadOpts,
			awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = cfg.UsePathStyle
		o.Retryer = aws.NopRetryer{}
		// The SDK would print "Response has no supported checksum" as plain
		// text on stderr for every read of an object stored without one:
		// in Lambda, a line that is not JSON. Nothing is lost by it: the
		// read-back compares the bytes itself.
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, optFns...)
	return s3.NewFromConfig(awsCfg, opts...), nil
}

// Handler is the Lambda handler. It is safe for concurrent use, and is meant
// to be built once per process and reused while the function is warm: its
// retry budget and send-rate limiter learn across invocations.
type Handler struct {
	cfg    Config
	proc   *batch.Processor
	out    io.Writer
	logger *slog.Logger
	now    func() time.Time // the clock of durations and metric timestamps
}

// NewSQSClient builds the SQS client the function routes failed records
// with (see Config.DeadLetterQueueURL), from the SDK's own environment
// (AWS_ENDPOINT_URL_SQS and the rest). Its calls keep the SDK's standard
// retries: each is bounded by the attempt timeout and the deadline, and a
// failed one only leaves the record to the queue's redrive. optFns apply
// last.
func NewSQSClient(ctx context.Context, optFns ...func(*sqs.Options)) (*sqs.Client, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return sqs.NewFromConfig(awsCfg, optFns...), nil
}

// Option sets what New builds beyond the configuration.
type Option func(*Handler)

// WithSQS gives the Handler the SQS client it routes failed records with,
// when cfg.DeadLetterQueueURL is set; without it, failed records are left
// to the queue's redrive policy.
func WithSQS(client sqsroute.API) Option {
	return func(h *Handler) {
		if h.cfg.DeadLetterQueueURL != "" && client != nil {
			h.proc.Router = sqsroute.New(client, h.cfg.DeadLetterQueueURL, h.cfg.FunctionName)
		}
	}
}

// New returns a Handler writing to cfg.Bucket through client, with logs and
// metrics as JSON lines on out (os.Stdout in Lambda).
func New(cfg Config, client s3store.API, out io.Writer, opts ...Option) *Handler {
	logger := lambdalog.New(out, lambdalog.Level(cfg.LogLevel))
	policy := NewPolicy(cfg)
	var storeOpts []s3store.Option
	if cfg.ChecksumWhenReq {
		// No flexible checksum is sent then: keep the body verified by S3.
		storeOpts = append(storeOpts, s3store.WithContentMD5())
	}
	store := s3store.New(client, cfg.Bucket, storeOpts...)
	h := &Handler{
		cfg: cfg,
		proc: &batch.Processor{
			Store:  store,
			Copier: store,
			Parser: record.Parser{
				Prefix:         cfg.KeyPrefix,
				KeyTemplate:    cfg.KeyTemplate,
				Envelope:       cfg.Envelope,
				PointerBuckets: cfg.PointerBuckets,
			},
			Policy:         policy,
			Concurrency:    cfg.Concurrency,
			Margin:         cfg.DeadlineMargin,
			Logger:         logger,
			RedeliveryBase: cfg.RedeliveryBase,
			RedeliveryMax:  cfg.RedeliveryMax,
		},
		out:    out,
		logger: logger,
		now:    time.Now,
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// NewPolicy returns the function's retry policy for cfg: capped
// exponential backoff with full jitter, the attempt timeout, a retry budget
// shared by every upload of the process, and the share law pacing each key
// prefix (at most retry.DefaultMaxScopes of them).
func NewPolicy(cfg Config) *retry.Policy {
	return &retry.Policy{
		MaxAttempts:    cfg.MaxAttempts,
		BaseDelay:      cfg.BaseDelay,
		MaxDelay:       cfg.MaxDelay,
		AttemptTimeout: cfg.AttemptTimeout,
		Budget:         retry.NewBudget(cmp.Or(cfg.RetryBudget, DefaultRetryBudget)),
		Pacers:         retry.NewPacers(retry.NewShareLaw, 0),
	}
}

// Handle stores the records of ev and returns the partial batch response.
// It logs one "batch done" summary line and writes one EMF document per call.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	start := h.now()
	resp, sum, err := h.proc.Handle(ctx, ev)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.Int("received", sum.Received),
		slog.Int("uploaded", sum.Uploaded),
		slog.Int("duplicates", sum.Duplicates),
		slog.Int("deadLettered", sum.DeadLettered),
		slog.Int("failed", sum.Failed),
		slog.Int("retries", sum.Retries),
		slog.Int("throttles", sum.Throttles),
		slog.Int64("durationMs", h.now().Sub(start).Milliseconds()),
	}
	if err != nil {
		attrs = append(attrs, slog.String("reason", batch.EventReason(err)), slog.String("error", err.Error()))
	}
	h.logger.LogAttrs(ctx, level, "batch done", attrs...)
	if werr := h.metrics(sum).Write(h.out); werr != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "metrics not written", slog.String("error", werr.Error()))
	}
	return resp, err
}

func (h *Handler) metrics(sum batch.Summary) emf.Document {
	dims := map[string]string{}
	if h.cfg.FunctionName != "" {
		dims["FunctionName"] = h.cfg.FunctionName
	}
	return emf.Document{
		Namespace:  cmp.Or(h.cfg.MetricsNamespace, DefaultMetricsNamespace),
		Dimensions: dims,
		Time:       h.now(),
		Metrics: []emf.Metric{
			{Name: "Received", Unit: "Count", Value: float64(sum.Received)},
			{Name: "Uploaded", Unit: "Count", Value: float64(sum.Uploaded)},
			{Name: "Duplicates", Unit: "Count", Value: float64(sum.Duplicates)},
			{Name: "DeadLettered", Unit: "Count", Value: float64(sum.DeadLettered)},
			{Name: "Failed", Unit: "Count", Value: float64(sum.Failed)},
			{Name: "Retries", Unit: "Count", Value: float64(sum.Retries)},
			{Name: "Throttles", Unit: "Count", Value: float64(sum.Throttles)},
		},
	}
}
