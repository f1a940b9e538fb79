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
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
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
