package redrive

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestMoveKeepsTheKey: against moto's SQS, every dead letter goes back to
// its queue byte for byte, without the function's failure attributes, and
// names the object the first message named: a dead letter of the function
// by its failure.messageId, one moved by SQS's redrive by its own ID.
func TestMoveKeepsTheKey(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())
	queue, dlq := mkQueue(t, client, "uploads"), mkQueue(t, client, "uploads-dlq")
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	// The function's dead letter of message "orig-1", with a tenant attribute.
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String("payload é one"),
		MessageAttributes: map[string]types.MessageAttributeValue{"tenant": str("t1"), "failure.reason": str("PermanentError"),
			"failure.errorCode": str("AccessDenied"), keys.AttrOriginalID: str("orig-1"), "failure.detail": str("403")}}); err != nil {
		t.Fatal(err)
	}
	// A message SQS's redrive moved: it kept its messageId.
	plain, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String("payload two")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Move(ctx, client, dlq, queue, 0)
	if err != nil || res.Moved != 2 || res.Reasons["PermanentError"] != 1 || res.Reasons[""] != 1 {
		t.Fatalf("Move = %+v, %v; want 2 moved, one PermanentError and one redriven by SQS", res, err)
	}
	got := receiveAll(t, client, queue)
	want := map[string]string{"payload é one": "uploads/orig-1", "payload two": "uploads/" + aws.ToString(plain.MessageId)}
	if len(got) != len(want) {
		t.Fatalf("queue holds %d messages; want %d", len(got), len(want))
	}
	for _, m := range got {
		rec := events.SQSMessage{MessageId: aws.ToString(m.MessageId), MessageAttributes: map[string]events.SQSMessageAttribute{}}
		for name, a := range m.MessageAttributes {
			rec.MessageAttributes[name] = events.SQSMessageAttribute{DataType: aws.ToString(a.DataType), StringValue: a.StringValue}
			if name != keys.AttrOriginalID && len(name) > 8 && name[:8] == "failure." {
				t.Errorf("message %q went back with %s", aws.ToString(m.Body), name)
			}
		}
		key, err := (*keys.KeyTemplate)(nil).Key(rec, "uploads/")
		if w, ok := want[aws.ToString(m.Body)]; !ok || err != nil || key != w {
			t.Errorf("message %q names %q (%v); want %q", aws.ToString(m.Body), key, err, w)
		}
		if aws.ToString(m.Body) == "payload é one" && aws.ToString(m.MessageAttributes["tenant"].StringValue) != "t1" {
			t.Errorf("message one lost its tenant attribute: %v", m.MessageAttributes)
		}
	}
	if left := receiveAll(t, client, dlq); len(left) != 0 {
		t.Errorf("the dead-letter queue still holds %d messages; want none", len(left))
	}
}

func mkQueue(t *testing.T, client *sqs.Client, name string) string {
	t.Helper()
	out, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

func receiveAll(t *testing.T, client *sqs.Client, url string) []types.Message {
	t.Helper()
	var all []types.Message
	for {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}
