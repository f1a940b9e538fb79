// Command hello is the hello-world Lambda function the benchmark compares
// the uploader's cold start with: aws-lambda-go and nothing else. It answers
// any event with an empty partial batch response.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, json.RawMessage) (map[string][]string, error) {
	return map[string][]string{"batchItemFailures": {}}, nil
}

func main() { lambda.Start(handle) }
