package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// makeOutside makes in moto, before the deploy, what the run's context
// names outside the stack: the topic of -source sns, the bucket and the
// queues of -existing. It returns a line for the story ("" when it made
// nothing).
func makeOutside(ctx context.Context, c clients, cfg Config) (string, error) {
	switch {
	case cfg.Source == sourceSNS:
		attrs := map[string]string{}
		if cfg.Groups > 0 {
			attrs["FifoTopic"] = "true"
		}
		out, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName(cfg)), Attributes: attrs})
		if err != nil {
			return "", fmt.Errorf("make the SNS topic %s: %w", topicName(cfg), err)
		}
		if got, want := aws.ToString(out.TopicArn), arn("sns", topicName(cfg)); got != want {
			return "", fmt.Errorf("SNS topic %s: moto names it %s; the stack is deployed with snsTopicArn=%s", topicName(cfg), got, want)
		}
		return "SNS topic " + topicName(cfg) + " made in moto (snsTopicArn)", nil
	case cfg.Existing:
		return makeExisting(ctx, c, cfg)
	}
	return "", nil
}

// makeExisting makes the bucket, the dead-letter queue and the queue
// redriving to it that -existing deploys onto, the queue with the demo's
// visibility timeout and maxReceiveCount (existingQueueSettings).
func makeExisting(ctx context.Context, c clients, cfg Config) (string, error) {
	visibility, maxReceive, err := existingQueueSettings(cfg)
	if err != nil {
		return "", err
	}
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(existingBucket)}); err != nil {
		return "", fmt.Errorf("make the bucket s3://%s: %w", existingBucket, err)
	}
	queue, dlq := existingQueues(cfg)
	fifo := map[string]string{}
	if cfg.Groups > 0 {
		fifo["FifoQueue"] = "true"
	}
	if _, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlq), Attributes: fifo}); err != nil {
		return "", fmt.Errorf("make the queue %s: %w", dlq, err)
	}
	attrs := map[string]string{
		"VisibilityTimeout": strconv.Itoa(int(visibility.Seconds())),
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arn("sqs", dlq), maxReceive),
	}
	for k, v := range fifo {
		attrs[k] = v
	}
	if _, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue), Attributes: attrs}); err != nil {
		return "", fmt.Errorf("make the queue %s: %w", queue, err)
	}
	return fmt.Sprintf("made outside the stack: s3://%s, queue %s (visibility %s, to %s after %d receives)",
		existingBucket, queue, visibility, dlq, maxReceive), nil
}

// wireSource completes and checks, after the deploy, what the run's
// source or existing resources need: the SNS subscription moto's
// CloudFormation skips, the EventBridge rule it makes, the existing
// resources the stack must use and not make.
func (d *demo) wireSource(ctx context.Context) error {
	switch {
	case d.cfg.Source == sourceSNS:
		return d.subscribeAsDeclared(ctx)
	case d.cfg.Source == sourceEventBridge:
		names, err := ruleNamesByTarget(ctx, d.c.events, d.st.QueueARN)
		if err != nil {
			return fmt.Errorf("EventBridge rules targeting %s: %w", d.st.QueueARN, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("no EventBridge rule targets the queue %s: moto's CloudFormation did not make the template's AWS::Events::Rule", d.st.QueueARN)
		}
		fmt.Fprintf(d.out, "  rule      %s on the default bus, pattern %s → the queue (made by moto's CloudFormation)\n", strings.Join(names, ", "), eventPattern)
	case d.cfg.Existing:
		return d.checkExisting(ctx)
	}
	return nil
}

// subscription is an AWS::SNS::Subscription of the deployed template.
type subscription struct {
	TopicArn, Protocol, Endpoint string
	Raw                          bool
}

// subscribeAsDeclared reads the SNS subscription the deployed template
// declares and, unless the topic has it already, makes it with the SNS
// API: moto 5's CloudFormation skips AWS::SNS::Subscription (and
// AWS::SQS::QueuePolicy, which moto's SQS would not enforce).
func (d *demo) subscribeAsDeclared(ctx context.Context) error {
	sub, err := declaredSubscription(ctx, d.c, d.cfg.Stack)
	if err != nil {
		return err
	}
	subscribed, err := hasSubscription(ctx, d.c.sns, sub)
	if err != nil {
		return fmt.Errorf("subscriptions of %s: %w", sub.TopicArn, err)
	}
	if subscribed {
		fmt.Fprintf(d.out, "  topic     %s → the queue (subscribed by moto's CloudFormation)\n", sub.TopicArn)
		return nil
	}
	attrs := map[string]string{}
	if sub.Raw {
		attrs["RawMessageDelivery"] = "true"
	}
	_, err = d.c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(sub.TopicArn), Protocol: aws.String(sub.Protocol),
		Endpoint: aws.String(sub.Endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		return fmt.Errorf("subscribe %s to %s: %w", sub.Endpoint, sub.TopicArn, err)
	}
	d.sum.Subscribed = true
	fmt.Fprintf(d.out, "  topic     %s → the queue, protocol %s, raw %v\n", sub.TopicArn, sub.Protocol, sub.Raw)
	fmt.Fprintf(d.out, "  moto's CloudFormation skips AWS::SNS::Subscription: the demo subscribed the queue as the template declares\n")
	return nil
}

// hasSubscription reports whether sub's topic has a subscription of its
// protocol and endpoint.
func hasSubscription(ctx context.Context, c *sns.Client, sub subscription) (bool, error) {
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(sub.TopicArn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, s := range page.Subscriptions {
			if aws.ToString(s.Protocol) == sub.Protocol && aws.ToString(s.Endpoint) == sub.Endpoint {
				return true, nil
			}
		}
	}
	return false, nil
}

// ruleNamesByTarget returns the rules of the default event bus that have
// targetArn among their targets. (The SDK has no paginator for
// ListRuleNamesByTarget: a token answered twice ends the list.)
func ruleNamesByTarget(ctx context.Context, c *eventbridge.Client, targetArn string) ([]string, error) {
	var names []string
	in := &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(targetArn)}
	for {
		out, err := c.ListRuleNamesByTarget(ctx, in)
		if err != nil {
			return names, err
		}
		names = append(names, out.RuleNames...)
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			return names, nil
		}
		in.NextToken = out.NextToken
	}
}

// declaredSubscription reads the stack's deployed template (GetTemplate)
// for its one AWS::SNS::Subscription, its endpoint resolved to an ARN.
func declaredSubscription(ctx context.Context, c clients, stack string) (subscription, error) {
	out, err := c.cfn.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stack)})
	if err != nil {
		return subscription{}, fmt.Errorf("template of %s: %w", stack, err)
	}
	var t struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				TopicArn, Protocol string
				Endpoint           any
				RawMessageDelivery any
			}
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.TemplateBody)), &t); err != nil {
		return subscription{}, fmt.Errorf("template of %s: %w", stack, err)
	}
	for id, r := range t.Resources {
		if r.Type != "AWS::SNS::Subscription" {
			continue
		}
		p := r.Properties
		endpoint, err := resolveArn(ctx, c, stack, p.Endpoint)
		if err != nil {
			return subscription{}, fmt.Errorf("%s's endpoint: %w", id, err)
		}
		raw := fmt.Sprint(p.RawMessageDelivery) == "true"
		return subscription{TopicArn: p.TopicArn, Protocol: p.Protocol, Endpoint: endpoint, Raw: raw}, nil
	}
	return subscription{}, fmt.Errorf("the template of %s declares no AWS::SNS::Subscription", stack)
}

// resolveArn turns a template value into an ARN: a string as it is, or
// {"Fn::GetAtt": [queue, "Arn"]} into the ARN of the queue the stack made
// for that logical ID.
func resolveArn(ctx context.Context, c clients, stack string, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	m, _ := v.(map[string]any)
	att, _ := m["Fn::GetAtt"].([]any)
	if len(att) != 2 || att[1] != "Arn" {
		return "", fmt.Errorf("%v is neither an ARN nor a queue's Fn::GetAtt Arn", v)
	}
	id, err := physicalID(ctx, c, stack, fmt.Sprint(att[0]))
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(id, "arn:") {
		return id, nil
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(id),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", id, err)
	}
	return a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// physicalID is the physical ID of the stack's resource logicalID, from
// ListStackResources (moto 5.2.1 answers DescribeStackResource with 500).
func physicalID(ctx context.Context, c clients, stack, logicalID string) (string, error) {
	p := cloudformation.NewListStackResourcesPaginator(c.cfn, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("resources of %s: %w", stack, err)
		}
		for _, r := range page.StackResourceSummaries {
			if aws.ToString(r.LogicalResourceId) == logicalID {
				return aws.ToString(r.PhysicalResourceId), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no resource %s", stack, logicalID)
}
