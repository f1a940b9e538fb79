package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// TestExistingResources: with an existing bucket, queue and DLQ the stack
// creates none of its own, changes none of them (no bucket or queue policy),
// and points the function and its event source at them.
func TestExistingResources(t *testing.T) {
	s := synthOnce(t, map[string]any{"bucketName": "data-lake", "bucketKeyArn": testKeyArn,
		"queueArn": testQueueArn, "deadLetterQueueArn": testDLQArn})
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::KMS::Key"} {
		s.count(t, typ, 0)
	}
	s.hasProps(t, "the function writes to the existing bucket and dead-letters to the existing DLQ", "AWS::Lambda::Function", obj{
		"Environment": obj{"Variables": obj{
			"BUCKET_NAME":           "data-lake",
			"DEAD_LETTER_QUEUE_URL": obj{"Fn::Join": arr{"", arr{"https://sqs.us-east-1.", ref("AWS::URLSuffix"), "/123456789012/incoming-dlq"}}},
		}},
	})
	s.hasProps(t, "the event source consumes the existing queue", "AWS::Lambda::EventSourceMapping", obj{
		"EventSourceArn": testQueueArn,
	})
}

// TestSNSSource: the queue subscribes to the topic, the queue policy lets
// only that topic send, and the function reads what the subscription
// delivers: the notification (ENVELOPE=sns) or, raw, the bare message.
func TestSNSSource(t *testing.T) {
	for _, raw := range []bool{false, true} {
		s := synthOnce(t, map[string]any{"snsTopicArn": testTopicArn, "rawMessageDelivery": raw})
		queueArn := getAtt(s.id(t, "Queue"), "Arn")
		s.count(t, "AWS::SNS::Subscription", 1)
		s.hasProps(t, "the subscription", "AWS::SNS::Subscription", obj{
			"Protocol": "sqs", "TopicArn": testTopicArn, "Endpoint": queueArn, "RawMessageDelivery": raw,
		})
		s.sendOnlyFrom(t, "sns.amazonaws.com", testTopicArn, "sqs:SendMessage")
		s.envelope(t, map[bool]any{false: "sns", true: nil}[raw])
	}
}

// TestEventBridgeSource: a rule on the bus with the pattern as given
// (field names such as detail-type, content filters) targets the queue;
// the queue policy lets only that rule send; ENVELOPE=eventbridge.
func TestEventBridgeSource(t *testing.T) {
	pattern := `{"source":["my.app"],"detail-type":["upload"],"detail":{"key":[{"prefix":"in/"}]}}`
	s := synthOnce(t, map[string]any{"eventPattern": pattern, "eventBusName": "orders"})
	s.count(t, "AWS::Events::Rule", 1)
	s.hasProps(t, "the rule", "AWS::Events::Rule", obj{
		"EventBusName": "orders",
		"EventPattern": assertions.Match_ObjectEquals(&map[string]any{
			"source": arr{"my.app"}, "detail-type": arr{"upload"}, "detail": obj{"key": arr{obj{"prefix": "in/"}}},
		}),
		"Targets": arr{obj{"Arn": getAtt(s.id(t, "Queue"), "Arn"), "Id": "Target0"}},
	})
	// The CDK's SqsQueue target grants the two reads with the send.
	s.sendOnlyFrom(t, "events.amazonaws.com", getAtt(s.id(t, "Rule"), "Arn"),
		arr{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"})
	s.envelope(t, "eventbridge")
}

// TestFIFO: both queues are FIFO, deduplication as chosen, and the event
// source has no batching window (Lambda refuses one on a FIFO queue).
func TestFIFO(t *testing.T) {
	s := synthOnce(t, map[string]any{"fifo": "true", "contentBasedDeduplication": "true"})
	s.hasProps(t, "the FIFO queue", "AWS::SQS::Queue", obj{"FifoQueue": true, "ContentBasedDeduplication": true,
		"RedrivePolicy": obj{"deadLetterTargetArn": getAtt(s.id(t, "DeadLetterQueue"), "Arn"), "maxReceiveCount": 15}})
	s.hasProps(t, "the FIFO DLQ", "AWS::SQS::Queue", obj{"FifoQueue": true, "MessageRetentionPeriod": 14 * 86400})
	s.hasProps(t, "no batching window", "AWS::Lambda::EventSourceMapping", obj{
		"MaximumBatchingWindowInSeconds": assertions.Match_Absent(),
		"FunctionResponseTypes":          arr{"ReportBatchItemFailures"},
	})
}

// sendOnlyFrom asserts the queue's policy lets principal send (actions),
// only from source (condition aws:SourceArn).
func (s *synthesized) sendOnlyFrom(t *testing.T, principal string, source, actions any) {
	t.Helper()
	s.hasProps(t, "the queue policy", "AWS::SQS::QueuePolicy", obj{
		"Queues": arr{ref(s.id(t, "Queue"))},
		"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&[]any{obj{
			"Effect":    "Allow",
			"Principal": obj{"Service": principal},
			"Action":    actions,
			"Resource":  getAtt(s.id(t, "Queue"), "Arn"),
			"Condition": obj{"ArnEquals": obj{"aws:SourceArn": source}},
		}})},
	})
}

// envelope asserts the function's ENVELOPE (nil: unset, which means none).
func (s *synthesized) envelope(t *testing.T, want any) {
	t.Helper()
	v := any(assertions.Match_Absent())
	if want != nil {
		v = want
	}
	s.hasProps(t, "ENVELOPE", "AWS::Lambda::Function", obj{"Environment": obj{"Variables": obj{"ENVELOPE": v}}})
}
