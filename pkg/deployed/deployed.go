// Package deployed reads what a CloudFormation stack of the uploader
// deployed, from the AWS APIs alone (a real account or a local moto): the
// function's configuration and code, its SQS event source mapping, the
// queue and its dead-letter queue, the bucket, the log group and the saved
// Logs Insights queries. The local demo runs exactly this; the sender
// finds its queue with it.
//
// Stack outputs are used when present; otherwise (moto does not record
// the outputs of stacks deployed through change sets) everything is
// derived from the stack's resources and template.
package deployed

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// CloudFormation is the part of the CloudFormation client Discover uses.
type CloudFormation interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
}

// Lambda is the part of the Lambda client Discover uses.
type Lambda interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetEventSourceMapping(context.Context, *lambda.GetEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
}

// SQS is the part of the SQS client Discover uses.
type SQS interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Clients are the API clients Discover needs.
type Clients struct {
	CloudFormation CloudFormation
	Lambda         Lambda
	SQS            SQS
}

// Stack is what the stack deployed, as the event source would see it.
type Stack struct {
	Name    string
	Outputs map[string]string // the stack's outputs; may be empty on moto

	FunctionName string
	FunctionARN  string
	Function     lambdatypes.FunctionConfiguration
	Env          map[string]string // the function's environment variables
	Timeout      time.Duration
	MemoryMB     int
	LogGroup     string
	LogFormat    string // "JSON" or "Text"
	LogLevel     string // application log level (JSON format only), e.g. "INFO"

	Mapping         lambdatypes.EventSourceMappingConfiguration
	BatchSize       int
	BatchingWindow  time.Duration
	ReportFailures  bool // ReportBatchItemFailures
	MaxConcurrency  int  // 0: not set on the mapping
	QueueURL        string
	QueueARN        string
	Visibility      time.Duration
	DLQURL          string
	DLQARN          string
	MaxReceiveCount int

	Bucket    string // BUCKET_NAME of the function
	KeyPrefix string // KEY_PREFIX of the function

	// Code is where the function's code zip was uploaded (the CDK asset).
	CodeBucket, CodeKey string
	// Queries are the saved Logs Insights query strings by name, from the
	// template's "S3Uploader::LogsInsightsQueries" metadata.
	Queries map[string]string

	Region, Account string
}

// QueriesMetadataKey is the template metadata entry holding the saved
// queries (the CDK app writes it with stack.AddMetadata).
const QueriesMetadataKey = "S3Uploader::LogsInsightsQueries"

// Discover reads stack name through c.
func Discover(ctx context.Context, c Clients, name string) (*Stack, error) {
	s := &Stack{Name: name, Outputs: map[string]string{}}
	ds, err := c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(ds.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s not found", name)
	}
	for _, o := range ds.Stacks[0].Outputs {
		s.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	resources, err := listResources(ctx, c.CloudFormation, name)
	if err != nil {
		return nil, err
	}
	tpl, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("get template of %s: %w", name, err)
	}
	var t template
	if err := json.Unmarshal([]byte(aws.ToString(tpl.TemplateBody)), &t); err != nil {
		return nil, fmt.Errorf("template of %s is not JSON: %w", name, err)
	}
	if raw, ok := t.Metadata[QueriesMetadataKey]; ok {
		_ = json.Unmarshal(raw, &s.Queries)
	}

	// The event source mapping leads to the function and the queue.
	var esm *cfntypes.StackResourceSummary
	for i, r := range resources {
		if aws.ToString(r.ResourceType) == "AWS::Lambda::EventSourceMapping" {
			if esm != nil {
				return nil, fmt.Errorf("stack %s has more than one event source mapping", name)
			}
			esm = &resources[i]
		}
	}
	if esm == nil {
		return nil, fmt.Errorf("stack %s has no event source mapping", name)
	}
	m, err := c.Lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: esm.PhysicalResourceId})
	if err != nil {
		return nil, fmt.Errorf("get event source mapping %s: %w", aws.ToString(esm.PhysicalResourceId), err)
	}
	s.Mapping = lambdatypes.EventSourceMappingConfiguration{
		UUID: m.UUID, BatchSize: m.BatchSize, MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds,
		EventSourceArn: m.EventSourceArn, FunctionArn: m.FunctionArn, FunctionResponseTypes: m.FunctionResponseTypes,
		ScalingConfig: m.ScalingConfig, State: m.State,
	}
	s.BatchSize = int(aws.ToInt32(m.BatchSize))
	s.BatchingWindow = time.Duration(aws.ToInt32(m.MaximumBatchingWindowInSeconds)) * time.Second
	for _, rt := range m.FunctionResponseTypes {
		if rt == lambdatypes.FunctionResponseTypeReportBatchItemFailures {
			s.ReportFailures = true
		}
	}
	if m.ScalingConfig != nil {
		s.MaxConcurrency = int(aws.ToInt32(m.ScalingConfig.MaximumConcurrency))
	}

	fn, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: m.FunctionArn})
	if err != nil {
		return nil, fmt.Errorf("get function %s: %w", aws.ToString(m.FunctionArn), err)
	}
	s.Function = *fn.Configuration
	s.FunctionName = aws.ToString(fn.Configuration.FunctionName)
	s.FunctionARN = aws.ToString(fn.Configuration.FunctionArn)
	s.Region, s.Account = arnRegionAccount(s.FunctionARN)
	s.Timeout = time.Duration(aws.ToInt32(fn.Configuration.Timeout)) * time.Second
	s.MemoryMB = int(aws.ToInt32(fn.Configuration.MemorySize))
	s.Env = map[string]string{}
	if fn.Configuration.Environment != nil {
		s.Env = fn.Configuration.Environment.Variables
	}
	s.Bucket, s.KeyPrefix = s.Env["BUCKET_NAME"], s.Env["KEY_PREFIX"]

	// The function's resource in the template: code location, logging.
	var fnRes *resource
	for _, r := range resources {
		if aws.ToString(r.PhysicalResourceId) == s.FunctionName {
			if tr, ok := t.Resources[aws.ToString(r.LogicalResourceId)]; ok {
				fnRes = &tr
			}
		}
	}
	if fnRes == nil {
		return nil, fmt.Errorf("function %s not found in the template of %s", s.FunctionName, name)
	}
	var props struct {
		Code struct {
			S3Bucket json.RawMessage
			S3Key    json.RawMessage
		}
		LoggingConfig struct {
			LogFormat           string
			LogGroup            json.RawMessage
			ApplicationLogLevel string
		}
	}
	if err := json.Unmarshal(fnRes.Properties, &props); err != nil {
		return nil, fmt.Errorf("function properties: %w", err)
	}
	sub := func(raw json.RawMessage) string {
		return strings.NewReplacer("${AWS::AccountId}", s.Account, "${AWS::Region}", s.Region, "${AWS::URLSuffix}", "amazonaws.com").
			Replace(resolve(raw, resources))
	}
	s.CodeBucket, s.CodeKey = sub(props.Code.S3Bucket), sub(props.Code.S3Key)

	lc := fn.Configuration.LoggingConfig
	switch {
	case lc != nil && aws.ToString(lc.LogGroup) != "":
		s.LogGroup, s.LogFormat = aws.ToString(lc.LogGroup), string(lc.LogFormat)
	case len(props.LoggingConfig.LogGroup) > 0:
		s.LogGroup, s.LogFormat = resolve(props.LoggingConfig.LogGroup, resources), props.LoggingConfig.LogFormat
	default:
		s.LogGroup = "/aws/lambda/" + s.FunctionName
	}
	if s.LogFormat == "" {
		s.LogFormat = props.LoggingConfig.LogFormat
	}
	if s.LogFormat == "" {
		s.LogFormat = "Text"
	}
	s.LogLevel = props.LoggingConfig.ApplicationLogLevel
	if lc != nil && lc.ApplicationLogLevel != "" {
		s.LogLevel = string(lc.ApplicationLogLevel)
	}

	// The queue and its dead-letter queue.
	s.QueueARN = aws.ToString(m.EventSourceArn)
	if s.QueueURL, err = queueURL(ctx, c.SQS, s.QueueARN); err != nil {
		return nil, err
	}
	qa, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(s.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return nil, fmt.Errorf("queue attributes of %s: %w", s.QueueURL, err)
	}
	vt, _ := strconv.Atoi(qa.Attributes["VisibilityTimeout"])
	s.Visibility = time.Duration(vt) * time.Second
	if rp := qa.Attributes["RedrivePolicy"]; rp != "" {
		var p struct {
			DeadLetterTargetArn string
			MaxReceiveCount     json.Number
		}
		if err := json.Unmarshal([]byte(rp), &p); err != nil {
			return nil, fmt.Errorf("redrive policy of %s: %w", s.QueueURL, err)
		}
		n, _ := strconv.Atoi(strings.Trim(string(p.MaxReceiveCount), `"`))
		s.DLQARN, s.MaxReceiveCount = p.DeadLetterTargetArn, n
		if s.DLQURL, err = queueURL(ctx, c.SQS, s.DLQARN); err != nil {
			return nil, err
		}
	}
	return s, nil
}

type template struct {
	Metadata  map[string]json.RawMessage
	Resources map[string]resource
}

type resource struct {
	Type       string
	Properties json.RawMessage
}

// resolve reads a template value that is a string, a {"Ref": id} of one of
// resources (its physical id) or a {"Fn::Sub": string}.
func resolve(raw json.RawMessage, resources []cfntypes.StackResourceSummary) string {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var fn struct {
		Ref string `json:"Ref"`
		Sub string `json:"Fn::Sub"`
	}
	if json.Unmarshal(raw, &fn) != nil {
		return ""
	}
	if fn.Sub != "" {
		return fn.Sub
	}
	for _, r := range resources {
		if aws.ToString(r.LogicalResourceId) == fn.Ref {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	return ""
}

func listResources(ctx context.Context, c CloudFormation, name string) ([]cfntypes.StackResourceSummary, error) {
	var all []cfntypes.StackResourceSummary
	var token *string
	for {
		out, err := c.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list resources of %s: %w", name, err)
		}
		all = append(all, out.StackResourceSummaries...)
		if out.NextToken == nil {
			return all, nil
		}
		token = out.NextToken
	}
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

func arnRegionAccount(arn string) (region, account string) {
	parts := strings.Split(arn, ":")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[4]
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
