// Command uploader is the Lambda function: it copies the payload of each SQS
// message to S3 and reports what it could not store as partial batch
// failures. Build it for runtime provided.al2023:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -o bootstrap ./functions/uploader
//
// Configuration comes from the environment; see package uploader.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3uploader/s3uploader/pkg/uploader"
)

func main() {
	cfg, err := uploader.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1) // Lambda reports an init error (Runtime.ExitError) with this message
	}
	s3c, err := uploader.NewS3Client(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sqsc, err := uploader.NewSQSClient(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The Handler decodes the event itself, so that even an event that is
	// not JSON gets an ERROR line in the function's log.
	lambda.Start(uploader.New(cfg, s3c, os.Stdout, uploader.WithSQS(sqsc)))
}
