package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// Instant is an S3 stand-in that answers every request at once: 200 with
// an ETag for a PUT, an empty 200 for anything else. It reads and drops
// request bodies. Against it, a client's own cost is all there is to see.
func Instant() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPut {
			w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		}
		w.WriteHeader(http.StatusOK)
	})
}

// OverheadResult compares the handler with a bare PutObject loop.
type OverheadResult struct {
	Objects     int
	Concurrency int
	Handler     time.Duration // wall time through the handler
	Bare        time.Duration // wall time of the bare loop
	// BareBatched is the wall time of the bare loop run batch by batch:
	// fresh goroutines per batch of 10, waiting for the batch's slowest,
	// as the handler must. Handler − BareBatched is the handler's own code.
	BareBatched time.Duration
}

// HandlerRate is records per second through the handler.
func (o OverheadResult) HandlerRate() float64 { return float64(o.Objects) / o.Handler.Seconds() }

// BareRate is PUTs per second of the bare loop.
func (o OverheadResult) BareRate() float64 { return float64(o.Objects) / o.Bare.Seconds() }

// Ratio is the handler's time over the bare loop's: 1 means no overhead.
func (o OverheadResult) Ratio() float64 { return o.Handler.Seconds() / o.Bare.Seconds() }

// BatchedRate is PUTs per second of the bare loop run batch by batch.
func (o OverheadResult) BatchedRate() float64 { return float64(o.Objects) / o.BareBatched.Seconds() }

// BatchedRatio is the handler's time over the batch-by-batch bare loop's.
func (o OverheadResult) BatchedRatio() float64 { return o.Handler.Seconds() / o.BareBatched.Seconds() }

// Overhead stores objects of size bytes against endpoint (an instant S3)
// twice: through one handler built as the function builds it, fed SQS
// batches of batchSize, and through a bare loop of PutObject calls with as
// many goroutines as the handler's upload concurrency, on an S3 client
// built the same way.
func Overhead(ctx context.Context, endpoint string, objects, size, batchSize int) (OverheadResult, error) {
	cfg, err := FunctionConfig(0)
	if err != nil {
		return OverheadResult{}, err
	}
	res := OverheadResult{Objects: objects, Concurrency: cfg.Concurrency}

	client, err := uploader.NewS3Client(ctx, cfg, EndpointOpts(endpoint))
	if err != nil {
		return res, err
	}
	h := uploader.New(cfg, client, io.Discard)
	sc := Scenario{Objects: objects, Size: size, BatchSize: batchSize}.withDefaults()
	msgs, _ := sc.Messages(cfg.KeyPrefix)
	start := time.Now()
	for i := 0; i < len(msgs); i += sc.BatchSize {
		ictx, cancel := context.WithTimeout(ctx, sc.Timeout)
		resp, err := h.Handle(ictx, events.SQSEvent{Records: msgs[i:min(len(msgs), i+sc.BatchSize)]})
		cancel()
		if err != nil {
			return res, err
		}
		if n := len(resp.BatchItemFailures); n > 0 {
			return res, fmt.Errorf("handler reported %d failures against an instant S3", n)
		}
	}
	res.Handler = time.Since(start)

	bare, err := uploader.NewS3Client(ctx, cfg, EndpointOpts(endpoint))
	if err != nil {
		return res, err
	}
	if res.Bare, err = BarePut(ctx, bare, objects, size, cfg.Concurrency); err != nil {
		return res, err
	}
	start = time.Now()
	for i := 0; i < objects; i += sc.BatchSize {
		n := min(objects-i, sc.BatchSize)
		if _, err := BarePut(ctx, bare, n, size, min(n, cfg.Concurrency)); err != nil {
			return res, err
		}
	}
	res.BareBatched = time.Since(start)
	return res, nil
}

// BarePut stores objects with workers goroutines calling PutObject in a
// loop, and returns the wall time.
func BarePut(ctx context.Context, client *s3.Client, objects, size, workers int) (time.Duration, error) {
	body := bytes.Repeat([]byte("x"), size)
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := client.PutObject(ctx, &s3.PutObjectInput{
					Bucket:        aws.String(Bucket),
					Key:           aws.String(fmt.Sprintf("bare/obj-%06d", i)),
					Body:          bytes.NewReader(body),
					ContentLength: aws.Int64(int64(size)),
				})
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range objects {
		next <- i
	}
	close(next)
	wg.Wait()
	return time.Since(start), firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// StartInstant serves Instant on 127.0.0.1; close it when done.
func StartInstant() *httptest.Server { return httptest.NewServer(Instant()) }
