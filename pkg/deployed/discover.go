package deployed

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Discover reads stack name through c.
func Discover(ctx context.Context, c Clients, name string) (*Stack, error) {
	s := &Stack{Name: name}
	var err error
	if s.Outputs, err = stackOutputs(ctx, c.CloudFormation, name); err != nil {
		return nil, err
	}
	resources, err := listResources(ctx, c.CloudFormation, name)
	if err != nil {
		return nil, err
	}
	t, err := readTemplate(ctx, c.CloudFormation, name)
	if err != nil {
		return nil, err
	}
	s.Queries = t.queries()

	// The event source mapping leads to the function and the queue.
	m, err := s.readMapping(ctx, c.Lambda, resources)
	if err != nil {
		return nil, err
	}
	fn, err := s.readFunction(ctx, c.Lambda, m.FunctionArn)
	if err != nil {
		return nil, err
	}
	// The function's resource in the template: code location, logging.
	props, err := t.functionProperties(resources, s.FunctionName, name)
	if err != nil {
		return nil, err
	}
	s.readCode(props, resources)
	s.readLogging(fn.LoggingConfig, props, resources)

	// The queue and its dead-letter queue.
	if err := s.readQueues(ctx, c.SQS, aws.ToString(m.EventSourceArn)); err != nil {
		return nil, err
	}
	return s, nil
}

// QueueURL returns the URL to send messages to: the stack's QueueUrl
// output when it has one, else the queue of its event source mapping.
func QueueURL(ctx context.Context, c Clients, name string) (string, error) {
	ds, err := c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe stack %s: %w", name, err)
	}
	for _, st := range ds.Stacks {
		for _, o := range st.Outputs {
			if aws.ToString(o.OutputKey) == "QueueUrl" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	s, err := Discover(ctx, c, name)
	if err != nil {
		return "", err
	}
	return s.QueueURL, nil
}
