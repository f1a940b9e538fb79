package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// checkExisting checks, after the deploy, that the stack uses the bucket
// and the queues -existing made and made none of its own (no
// AWS::S3::Bucket or AWS::SQS::Queue among its resources), and that the
// URL the stack gives an imported queue, AWS's form
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, which the function
// dead-letters to), reaches that queue in moto.
func (d *demo) checkExisting(ctx context.Context) error {
	st := d.st
	queue, dlq := existingQueues(d.cfg)
	made, total, err := stackMade(ctx, d.c, d.cfg.Stack)
	if err != nil {
		return err
	}
	d.sum.Existing, d.sum.StackMade = true, made
	used := st.Bucket == existingBucket && st.QueueARN == arn("sqs", queue) && st.DLQARN == arn("sqs", dlq) &&
		(st.Outputs["BucketName"] == "" || st.Outputs["BucketName"] == existingBucket)
	fmt.Fprintf(d.out, "  existing  s3://%s, queue %s, DLQ %s: the function, its event source and the outputs use them %s\n",
		existingBucket, queue, dlq, mark(used))
	// The URLs the stack gives the imported queues: AWS's form, which
	// moto must serve at its own endpoint.
	urls := []struct{ what, url, name string }{
		{"output QueueUrl", st.Outputs["QueueUrl"], queue},
		{"output DeadLetterQueueUrl", st.Outputs["DeadLetterQueueUrl"], dlq},
		{"DEAD_LETTER_QUEUE_URL", st.Env["DEAD_LETTER_QUEUE_URL"], dlq},
	}
	for _, u := range urls {
		if u.url == "" {
			continue
		}
		got, err := queueArnAt(ctx, d.c, u.url)
		ok := err == nil && got == arn("sqs", u.name)
		used = used && ok
		fmt.Fprintf(d.out, "            %s %s reaches %s in moto %s\n", u.what, u.url, u.name, mark(ok))
	}
	d.sum.ExistingUsed = used
	none := "none of them a bucket or a queue"
	if len(made) > 0 {
		none = "among them " + strings.Join(made, ", ")
	}
	fmt.Fprintf(d.out, "            the stack made %d resources, %s %s\n", total, none, mark(len(made) == 0))
	return nil
}

// stackMade lists the buckets and queues among the stack's resources
// ("AWS::S3::Bucket Uploads..."), with the number of its resources.
func stackMade(ctx context.Context, c clients, stack string) (made []string, total int, err error) {
	p := cloudformation.NewListStackResourcesPaginator(c.cfn, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("resources of %s: %w", stack, err)
		}
		for _, r := range page.StackResourceSummaries {
			total++
			if t := aws.ToString(r.ResourceType); t == "AWS::S3::Bucket" || t == "AWS::SQS::Queue" {
				made = append(made, t+" "+aws.ToString(r.LogicalResourceId))
			}
		}
	}
	return made, total, nil
}

// queueArnAt asks SQS, through the local endpoint, for the ARN of the
// queue at url.
func queueArnAt(ctx context.Context, c clients, url string) (string, error) {
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	return a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}
