package deployed

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// readQueues reads the queue arn names and its dead-letter queue, if it has
// one, and sets the Stack's queue fields.
func (s *Stack) readQueues(ctx context.Context, c SQS, arn string) error {
	s.QueueARN = arn
	var err error
	if s.QueueURL, err = queueURL(ctx, c, s.QueueARN); err != nil {
		return err
	}
	qa, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(s.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return fmt.Errorf("queue attributes of %s: %w", s.QueueURL, err)
	}
	vt, _ := strconv.Atoi(qa.Attributes["VisibilityTimeout"])
	s.Visibility = time.Duration(vt) * time.Second
	if rp := qa.Attributes["RedrivePolicy"]; rp != "" {
		return s.readRedrive(ctx, c, rp)
	}
	return nil
}

// readRedrive reads the queue's redrive policy and the dead-letter queue
// it names.
func (s *Stack) readRedrive(ctx context.Context, c SQS, policy string) error {
	var p struct {
		DeadLetterTargetArn string
		MaxReceiveCount     json.Number
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return fmt.Errorf("redrive policy of %s: %w", s.QueueURL, err)
	}
	n, _ := strconv.Atoi(strings.Trim(string(p.MaxReceiveCount), `"`))
	s.DLQARN, s.MaxReceiveCount = p.DeadLetterTargetArn, n
	var err error
	s.DLQURL, err = queueURL(ctx, c, s.DLQARN)
	return err
}

// queueURL asks SQS for the URL of the queue arn names (the URL depends on
// the endpoint, so it is never derived from the ARN).
func queueURL(ctx context.Context, c SQS, arn string) (string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 {
		return "", fmt.Errorf("bad queue ARN %q", arn)
	}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", fmt.Errorf("queue URL of %s: %w", arn, err)
	}
	return aws.ToString(out.QueueUrl), nil
}
