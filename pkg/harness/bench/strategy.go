package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/harness/prevlimiter"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/s3store"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// HandlerFunc is one simulated Lambda instance's handler.
type HandlerFunc func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// Strategy builds the handler of one instance. Every call builds a new one
// with its own S3 client, connections, budget and pacing: instances share
// nothing.
type Strategy struct {
	Name string
	New  func(ctx context.Context, endpoint string, cfg uploader.Config) (HandlerFunc, error)
}

var staticCreds = credentials.NewStaticCredentialsProvider("bench", "bench", "")

// Env is the function's environment in the benchmark: the bucket and the
// path-style addressing a local endpoint needs, and nothing else, so every
// setting of the retry strategy is the function's default.
var Env = map[string]string{
	"BUCKET_NAME":       Bucket,
	"S3_USE_PATH_STYLE": "true",
}

// FunctionConfig is the function's configuration under Env, with the
// upload concurrency set when concurrency > 0 (0 keeps the default).
func FunctionConfig(concurrency int) (uploader.Config, error) {
	env := func(name string) string {
		if name == "UPLOAD_CONCURRENCY" && concurrency > 0 {
			return fmt.Sprint(concurrency)
		}
		return Env[name]
	}
	return uploader.ConfigFromEnv(env)
}

func EndpointOpts(endpoint string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Region = "us-east-1"
		o.Credentials = staticCreds
	}
}

// Project is this project's strategy: the function's handler, built by
// uploader.New with the function's default configuration and the S3 client
// of uploader.NewS3Client, exactly as functions/uploader builds them.
func Project() Strategy {
	return Strategy{Name: "this project", New: func(ctx context.Context, endpoint string, cfg uploader.Config) (HandlerFunc, error) {
		client, err := uploader.NewS3Client(ctx, cfg, EndpointOpts(endpoint))
		if err != nil {
			return nil, err
		}
		return uploader.New(cfg, client, io.Discard).Handle, nil
	}}
}

// SDK runs the same batch processor as the function (same concurrency,
// deadline margin and conditional put) but leaves retrying to the SDK's
// retryer: the processor makes one call per record and the SDK retries
// inside it. retryer nil means no retry at all.
func SDK(name string, retryer func() aws.Retryer) Strategy {
	return Strategy{Name: name, New: func(ctx context.Context, endpoint string, cfg uploader.Config) (HandlerFunc, error) {
		opts := []func(*s3.Options){EndpointOpts(endpoint)}
		if retryer != nil {
			opts = append(opts, func(o *s3.Options) { o.Retryer = retryer() })
		}
		client, err := uploader.NewS3Client(ctx, cfg, opts...)
		if err != nil {
			return nil, err
		}
		return processor(cfg, client, &retry.Policy{MaxAttempts: 1}), nil
	}}
}

// processor is the function's batch processor and conditional put with
// policy doing the retrying, as a HandlerFunc.
func processor(cfg uploader.Config, client *s3.Client, policy *retry.Policy) HandlerFunc {
	p := &batch.Processor{
		Store:       s3store.New(client, cfg.Bucket),
		Policy:      policy,
		Parser:      record.Parser{Prefix: cfg.KeyPrefix, KeyTemplate: cfg.KeyTemplate},
		Concurrency: cfg.Concurrency,
		Margin:      cfg.DeadlineMargin,
		Logger:      slog.New(slog.DiscardHandler),
	}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		resp, _, err := p.Handle(ctx, ev)
		return resp, err
	}
}

// NoRetry makes one attempt per record.
func NoRetry() Strategy { return SDK("no retry", nil) }

// SDKStandard is the SDK's default: standard mode, 3 attempts, a retry quota
// of 500 tokens per client.
func SDKStandard() Strategy {
	return SDK("SDK standard", func() aws.Retryer { return awsretry.NewStandard() })
}

// SDKStandardMore is standard mode with 10 attempts and no retry quota.
func SDKStandardMore() Strategy {
	return SDK("SDK standard, 10 attempts, no quota", func() aws.Retryer {
		return awsretry.NewStandard(func(o *awsretry.StandardOptions) {
			o.MaxAttempts = 10
			o.RateLimiter = ratelimit.None
		})
	})
}

// SDKAdaptive is the SDK's adaptive mode (client-side rate limiting on
// throttles, 3 attempts).
func SDKAdaptive() Strategy {
	return SDK("SDK adaptive", func() aws.Retryer { return awsretry.NewAdaptiveMode() })
}

// Plain is capped exponential backoff with full jitter and nothing else
// adaptive: the function's retry policy from pkg/retry (attempts, delays,
// attempt timeout and retry budget at the function's defaults) without its
// pacing, behind the same batch processor and conditional put.
func Plain() Strategy { return paced("plain backoff, no limiter", nil) }

// Previous is the function's retry policy paced by the limiter it shipped
// before the share law (pkg/harness/prevlimiter), behind the same batch
// processor and conditional put.
func Previous() Strategy {
	return paced("previous limiter", func() *retry.Pacers { return retry.NewPacers(prevlimiter.NewPacer, 0) })
}

// paced is the function's retry policy with the Pacers pacers makes (nil:
// none), behind the same batch processor and conditional put.
func paced(name string, pacers func() *retry.Pacers) Strategy {
	return Strategy{Name: name, New: func(ctx context.Context, endpoint string, cfg uploader.Config) (HandlerFunc, error) {
		client, err := uploader.NewS3Client(ctx, cfg, EndpointOpts(endpoint))
		if err != nil {
			return nil, err
		}
		pol := uploader.NewPolicy(cfg)
		pol.Pacers = nil
		if pacers != nil {
			pol.Pacers = pacers()
		}
		return processor(cfg, client, pol), nil
	}}
}

// Strategies are the strategies of the comparison, this project's last.
func Strategies() []Strategy {
	return []Strategy{NoRetry(), SDKStandard(), SDKStandardMore(), SDKAdaptive(), Plain(), Previous(), Project()}
}
