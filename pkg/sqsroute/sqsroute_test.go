package sqsroute

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestAgainstMoto: against moto's SQS (the local twin's), a delayed record
// comes back after its delay and not before, and a dead letter lands in a
// FIFO dead-letter queue with its group, its body and its reason.
func TestAgainstMoto(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())
	mk := func(name string, fifo bool) (url, arn string) {
		in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
		if fifo {
			in.Attributes = map[string]string{"FifoQueue": "true"}
		}
		q, err := client.CreateQueue(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(q.QueueUrl), a.Attributes["QueueArn"]
	}
	queue, queueARN := mk("uploads", false)
	dlq, _ := mk("uploads-dlq.fifo", true)
	r := New(client, dlq, "uploader-test")

	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	got := receive(t, client, queue, 30)
	if len(got) != 1 {
		t.Fatalf("received %d messages; want 1", len(got))
	}
	rec := events.SQSMessage{MessageId: aws.ToString(got[0].MessageId), ReceiptHandle: aws.ToString(got[0].ReceiptHandle), EventSourceARN: queueARN}
	if err := r.Delay(ctx, []events.SQSMessage{rec}, []time.Duration{2 * time.Second}); err != nil {
		t.Fatalf("Delay: %v", err)
	}
	if early := receive(t, client, queue, 30); len(early) != 0 {
		t.Errorf("the delayed message came back at once; want it after its 2 s delay")
	}
	time.Sleep(2500 * time.Millisecond)
	if back := receive(t, client, queue, 30); len(back) != 1 {
		t.Errorf("after its delay, %d messages back; want the delayed one (and not 30 s later, its visibility timeout)", len(back))
	}

	poison := events.SQSMessage{MessageId: "m-1", Body: "poison \u00e9", EventSourceARN: queueARN + ".fifo",
		Attributes:        map[string]string{"MessageGroupId": "g7", "ApproximateReceiveCount": "1"},
		MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: aws.String("../x")}}}
	if err := r.DeadLetter(ctx, poison, batch.Failure{Reason: "InvalidKey", Detail: `key "../x" has a ".." segment`}); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10,
		MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("dead-letter queue: %v, %v; want one message", out, err)
	}
	m := out.Messages[0]
	if aws.ToString(m.Body) != poison.Body || m.Attributes["MessageGroupId"] != "g7" ||
		aws.ToString(m.MessageAttributes[AttrReason].StringValue) != "InvalidKey" || aws.ToString(m.MessageAttributes["key"].StringValue) != "../x" {
		t.Errorf("dead letter = body %q, group %q, attributes %v; want the record's body, group g7, its key and reason InvalidKey",
			aws.ToString(m.Body), m.Attributes["MessageGroupId"], m.MessageAttributes)
	}
}

func receive(t *testing.T, client *sqs.Client, url string, visibility int32) []types.Message {
	t.Helper()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: visibility})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}
