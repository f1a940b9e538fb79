package bench

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// instantClient starts an S3 that answers at once, for the length of b, and
// returns the function's default configuration and an S3 client built as
// the function builds it, pointed at that S3.
func instantClient(b *testing.B) (uploader.Config, *s3.Client) {
	b.Helper()
	srv := StartInstant()
	b.Cleanup(srv.Close)
	cfg, err := FunctionConfig(0)
	if err != nil {
		b.Fatal(err)
	}
	client, err := uploader.NewS3Client(context.Background(), cfg, EndpointOpts(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	return cfg, client
}

// BenchmarkHandler measures records per second through the function's
// handler against an S3 that answers at once, in SQS batches of 10.
func BenchmarkHandler(b *testing.B) {
	cfg, client := instantClient(b)
	h := uploader.New(cfg, client, io.Discard)
	msgs, _ := Scenario{Objects: 10}.Messages(cfg.KeyPrefix)
	ev := events.SQSEvent{Records: msgs}
	b.ResetTimer()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := h.Handle(ctx, ev)
		cancel()
		if err != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatalf("Handle = %d failures, %v; want none", len(resp.BatchItemFailures), err)
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBarePut measures PutObject calls per second from
// UPLOAD_CONCURRENCY goroutines (8) on the same client settings, the
// baseline of BenchmarkHandler.
func BenchmarkBarePut(b *testing.B) {
	cfg, client := instantClient(b)
	body := bytes.Repeat([]byte("x"), 1024)
	b.SetParallelism(max(1, cfg.Concurrency/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(Bucket), Key: aws.String("bare/obj"),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
