package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// queues is the work queue and the dead-letter queue it redrives to.
type queues struct {
	queue awssqs.Queue
	dlq   awssqs.Queue
}

const (
	// dlqRetentionDays is SQS's maximum, to leave time to look at what failed.
	dlqRetentionDays = 14
	// queueRetentionDays is SQS's default. It stays well below the DLQ's: a
	// message moved to a standard DLQ keeps its original enqueue time.
	queueRetentionDays = 4
)

func newQueues(stack awscdk.Stack, cfg Config, removal awscdk.RemovalPolicy) *queues {
	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
		RemovalPolicy:   removal,
	})
	queue := awssqs.NewQueue(stack, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(queueRetentionDays)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(cfg.VisibilityTimeout.Seconds())),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(float64(cfg.MaxReceiveCount)),
		},
		RemovalPolicy: removal,
	})
	return &queues{queue: queue, dlq: dlq}
}
