package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestSourcesAgainstMoto sends a sender's batch through the demo's SNS and
// EventBridge clients (newClients) and its batchers to a real moto server:
// published to a FIFO topic the FIFO queue is subscribed to, and put on
// the default bus where a rule targets a queue. The envelopes in the
// queues are moto's, carrying what was sent under the IDs the batchers
// answered; the subscription and the rule are found as wireSource finds
// them. (moto 5.2.1 answers the SDK's SNS client in the query protocol and
// its EventBridge client in JSON 1.1.)
func TestSourcesAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the moto test")
	}
	srv := moto.StartTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newClients(srv.Endpoint)
	queue := func(name string, attrs map[string]string) (url, arn string) {
		out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), "arn:aws:sqs:" + moto.Region + ":" + moto.AccountID + ":" + name
	}
	t.Run("sns", func(t *testing.T) {
		url, qarn := queue("q.fifo", map[string]string{"FifoQueue": "true"})
		topic := snsTopicSubscribed(ctx, t, c, qarn)
		in := &sqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{sqsEntry("0", "AP8=", "a/b.txt", "g1")}}
		out, err := topicBatches{sns: c.sns, topicArn: topic}.SendMessageBatch(ctx, in)
		if err != nil || len(out.Successful) != 1 || len(out.Failed) != 0 {
			t.Fatalf("SendMessageBatch = %+v, %v; want the entry published", out, err)
		}
		id := aws.ToString(out.Successful[0].MessageId)
		got := receiveOne(ctx, t, c.sqs, url)
		var n struct {
			Type, MessageId, Message, TopicArn string
			MessageAttributes                  map[string]struct{ Type, Value string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(got.Body)), &n); err != nil {
			t.Fatalf("queue got %s: %v", aws.ToString(got.Body), err)
		}
		if n.Type != "Notification" || n.MessageId != id || n.TopicArn != topic || n.Message != "AP8=" ||
			n.MessageAttributes["key"].Value != "a/b.txt" || got.Attributes["MessageGroupId"] != "g1" {
			t.Errorf("queue got %s, attributes %v; want moto's notification of message %s in group g1", aws.ToString(got.Body), got.Attributes, id)
		}
		_, err = topicBatches{sns: c.sns, topicArn: arn("sns", "missing")}.SendMessageBatch(ctx, in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NotFound" {
			t.Errorf("SendMessageBatch(missing topic) = %v; want SNS's NotFound", err)
		}
	})
	t.Run("eventbridge", func(t *testing.T) {
		url, qarn := queue("events", nil)
		eventRule(ctx, t, c, qarn)
		in := &sqs.SendMessageBatchInput{Entries: []sqstypes.SendMessageBatchRequestEntry{sqsEntry("0", "AP8=", "a/b.txt", "")}}
		out, err := eventBatches{events: c.events}.SendMessageBatch(ctx, in)
		if err != nil || len(out.Successful) != 1 || len(out.Failed) != 0 {
			t.Fatalf("SendMessageBatch = %+v, %v; want the event put", out, err)
		}
		id := aws.ToString(out.Successful[0].MessageId)
		got := receiveOne(ctx, t, c.sqs, url)
		m := loadgen.Message{Key: "a/b.txt", Body: "AP8=", Base64: true}
		if !eventStored(m, id, []byte(aws.ToString(got.Body))) {
			t.Errorf("queue got %s; want moto's event %s carrying the detail put", aws.ToString(got.Body), id)
		}
	})
}

// snsTopicSubscribed makes the FIFO topic t.fifo and subscribes the queue
// qarn to it, checking that hasSubscription sees the subscription only
// once it is made. It returns the topic's ARN.
func snsTopicSubscribed(ctx context.Context, t *testing.T, c clients, qarn string) string {
	t.Helper()
	out, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	sub := subscription{TopicArn: aws.ToString(out.TopicArn), Protocol: "sqs", Endpoint: qarn}
	if ok, err := hasSubscription(ctx, c.sns, sub); ok || err != nil {
		t.Fatalf("hasSubscription before Subscribe = %v, %v; want false", ok, err)
	}
	_, err = c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn)})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := hasSubscription(ctx, c.sns, sub); !ok || err != nil {
		t.Fatalf("hasSubscription after Subscribe = %v, %v; want true", ok, err)
	}
	return sub.TopicArn
}

// eventRule makes on the default bus a rule of the demo's eventPattern
// targeting the queue qarn, and checks ruleNamesByTarget finds it.
func eventRule(ctx context.Context, t *testing.T, c clients, qarn string) {
	t.Helper()
	if names, err := ruleNamesByTarget(ctx, c.events, qarn); len(names) != 0 || err != nil {
		t.Fatalf("ruleNamesByTarget before the rule = %q, %v; want none", names, err)
	}
	if _, err := c.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(eventPattern)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(qarn)}}})
	if err != nil {
		t.Fatal(err)
	}
	if names, err := ruleNamesByTarget(ctx, c.events, qarn); len(names) != 1 || names[0] != "r" || err != nil {
		t.Fatalf("ruleNamesByTarget = %q, %v; want [r]", names, err)
	}
}

// receiveOne receives the one message of the queue, with its system
// attributes.
func receiveOne(ctx context.Context, t *testing.T, q *sqs.Client, url string) sqstypes.Message {
	t.Helper()
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %v, %v; want one message", out, err)
	}
	return out.Messages[0]
}
