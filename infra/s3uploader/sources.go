package s3uploader

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newSources wires the SNS topic or the EventBridge rule the settings name
// to the (new) queue. The CDK's SqsSubscription and SqsQueue target each
// add the queue policy statement that lets only that topic or rule send
// (condition aws:SourceArn). It returns the rule, or nil.
func newSources(scope constructs.Construct, cfg Config, p Props, q *queues) awsevents.Rule {
	topic := p.Topic
	if topic == nil && cfg.SNSTopicArn != "" {
		topic = awssns.Topic_FromTopicArn(scope, jsii.String("Topic"), jsii.String(cfg.SNSTopicArn))
	}
	if topic != nil {
		topic.AddSubscription(awssnssubscriptions.NewSqsSubscription(q.queue, &awssnssubscriptions.SqsSubscriptionProps{
			RawMessageDelivery: jsii.Bool(cfg.RawMessageDelivery),
		}))
	}
	if cfg.EventPattern == "" {
		return nil
	}
	bus := p.EventBus
	if bus == nil {
		bus = awsevents.EventBus_FromEventBusName(scope, jsii.String("EventBus"), jsii.String(cfg.EventBusName))
	}
	rule := awsevents.NewRule(scope, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("Sends the matching events to the S3 uploader's queue"),
		EventBus:    bus,
		// A stand-in: the CDK's EventPattern type has no room for the
		// pattern's own field names ("detail-type") or content filters
		// ({"prefix": ...}), so the template gets the pattern as given.
		EventPattern: &awsevents.EventPattern{Version: jsii.Strings("0")},
		Targets:      &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(q.queue, nil)},
	})
	var pattern map[string]any
	if err := json.Unmarshal([]byte(cfg.EventPattern), &pattern); err != nil {
		panic("s3uploader: eventPattern: " + err.Error()) // Validate parsed it already
	}
	cfn := rule.Node().DefaultChild().(awsevents.CfnRule)
	cfn.AddPropertyOverride(jsii.String("EventPattern"), pattern)
	if _, ok := pattern["version"]; !ok {
		cfn.AddPropertyDeletionOverride(jsii.String("EventPattern.version"))
	}
	return rule
}
