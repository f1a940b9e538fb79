package s3uploader

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// queues is the work queue and the dead-letter queue it redrives to.
type queues struct {
	queue awssqs.IQueue
	dlq   awssqs.IQueue
}

const (
	// dlqRetentionDays is SQS's maximum, to leave time to look at what failed.
	dlqRetentionDays = 14
	// queueRetentionDays is SQS's default. It stays well below the DLQ's: a
	// message moved to a standard DLQ keeps its original enqueue time.
	queueRetentionDays = 4
)

// newQueues returns the existing queues Props name, or new ones: FIFO
// with cfg.FIFO, the queue redriving to the dead-letter queue (an existing
// one when Props name only that) after cfg.MaxReceiveCount receives.
func newQueues(scope constructs.Construct, cfg Config, removal awscdk.RemovalPolicy, p Props) *queues {
	imported := func(id string, q awssqs.IQueue, arn string) awssqs.IQueue {
		if q != nil || arn == "" {
			return q
		}
		attrs := &awssqs.QueueAttributes{QueueArn: jsii.String(arn), Fifo: jsii.Bool(strings.HasSuffix(arn, ".fifo"))}
		if p.QueueKeyArn != "" {
			attrs.KeyArn = jsii.String(p.QueueKeyArn)
		}
		return awssqs.Queue_FromQueueAttributes(scope, jsii.String(id), attrs)
	}
	dlq := imported("DeadLetterQueue", p.DeadLetterQueue, p.DeadLetterQueueArn)
	if queue := imported("Queue", p.Queue, p.QueueArn); queue != nil {
		return &queues{queue: queue, dlq: dlq}
	}
	if dlq == nil {
		dlq = awssqs.NewQueue(scope, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
			Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:      jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
			RemovalPolicy:   removal,
			Fifo:            fifo(cfg),
		})
	}
	queue := awssqs.NewQueue(scope, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(queueRetentionDays)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(cfg.VisibilityTimeout.Seconds())),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(float64(cfg.MaxReceiveCount)),
		},
		RemovalPolicy:             removal,
		Fifo:                      fifo(cfg),
		ContentBasedDeduplication: fifoOnly(cfg, cfg.ContentBasedDeduplication),
	})
	return &queues{queue: queue, dlq: dlq}
}

// fifo is the queues' Fifo property: left out of a standard queue's
// template, as the CDK's default.
func fifo(cfg Config) *bool { return fifoOnly(cfg, true) }

// fifoOnly is v when the queues are FIFO, else nil (the property is FIFO's).
func fifoOnly(cfg Config, v bool) *bool {
	if !cfg.FIFO {
		return nil
	}
	return jsii.Bool(v)
}
