package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

func TestSendToLocalQueue(t *testing.T) {
	srv := moto.StartTest(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("send-test")})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := options{queueURL: aws.ToString(q.QueueUrl), spec: loadgen.Spec{Count: 23, Poison: 1, Run: "t"}, quiet: true}
	if err := run(ctx, o, &out, io.Discard); err != nil {
		t.Fatalf("run = %v", err)
	}
	if !strings.Contains(out.String(), "sent 24 of 24 messages") {
		t.Errorf("output %q; want it to report 24 sent", out.String())
	}
	a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Attributes["ApproximateNumberOfMessages"]; got != "24" {
		t.Errorf("queue holds %s messages; want 24", got)
	}
}
