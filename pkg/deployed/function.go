package deployed

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// readMapping reads the stack's one event source mapping, among its
// resources, and sets the Stack's mapping fields.
func (s *Stack) readMapping(ctx context.Context, c Lambda, resources []cfntypes.StackResourceSummary) (*lambda.GetEventSourceMappingOutput, error) {
	esm, err := mappingResource(resources, s.Name)
	if err != nil {
		return nil, err
	}
	m, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: esm.PhysicalResourceId})
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
	return m, nil
}

// mappingResource returns the one event source mapping among the
// resources of stack name.
func mappingResource(resources []cfntypes.StackResourceSummary, name string) (*cfntypes.StackResourceSummary, error) {
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
	return esm, nil
}

// readFunction reads the configuration of the function arn names and sets
// the Stack's function fields, and its region and account.
func (s *Stack) readFunction(ctx context.Context, c Lambda, arn *string) (*lambdatypes.FunctionConfiguration, error) {
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: arn})
	if err != nil {
		return nil, fmt.Errorf("get function %s: %w", aws.ToString(arn), err)
	}
	cfg := fn.Configuration
	s.Function = *cfg
	s.FunctionName = aws.ToString(cfg.FunctionName)
	s.FunctionARN = aws.ToString(cfg.FunctionArn)
	s.Region, s.Account = arnRegionAccount(s.FunctionARN)
	s.Timeout = time.Duration(aws.ToInt32(cfg.Timeout)) * time.Second
	s.MemoryMB = int(aws.ToInt32(cfg.MemorySize))
	s.Env = map[string]string{}
	if cfg.Environment != nil {
		s.Env = cfg.Environment.Variables
	}
	s.Bucket, s.KeyPrefix = s.Env["BUCKET_NAME"], s.Env["KEY_PREFIX"]
	return cfg, nil
}

func arnRegionAccount(arn string) (region, account string) {
	parts := strings.Split(arn, ":")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[4]
}

// functionProperties are what Discover reads of the function's resource in
// the template.
type functionProperties struct {
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

// functionProperties returns the properties of the resource, in the
// template of stack name, that deployed the function fnName.
func (t template) functionProperties(resources []cfntypes.StackResourceSummary, fnName, name string) (functionProperties, error) {
	var props functionProperties
	var fnRes *resource
	for _, r := range resources {
		if aws.ToString(r.PhysicalResourceId) == fnName {
			if tr, ok := t.Resources[aws.ToString(r.LogicalResourceId)]; ok {
				fnRes = &tr
			}
		}
	}
	if fnRes == nil {
		return props, fmt.Errorf("function %s not found in the template of %s", fnName, name)
	}
	if err := json.Unmarshal(fnRes.Properties, &props); err != nil {
		return props, fmt.Errorf("function properties: %w", err)
	}
	return props, nil
}

// readCode sets where the function's code was uploaded, from its template
// properties, with references and the stack's pseudo parameters resolved.
// It needs the Stack's region and account.
func (s *Stack) readCode(props functionProperties, resources []cfntypes.StackResourceSummary) {
	sub := func(raw json.RawMessage) string {
		return strings.NewReplacer("${AWS::AccountId}", s.Account, "${AWS::Region}", s.Region, "${AWS::URLSuffix}", "amazonaws.com").
			Replace(resolve(raw, resources))
	}
	s.CodeBucket, s.CodeKey = sub(props.Code.S3Bucket), sub(props.Code.S3Key)
}

// readLogging sets the function's log group, format and level: from its
// live configuration lc where that says, else from its template
// properties, else Lambda's defaults.
func (s *Stack) readLogging(lc *lambdatypes.LoggingConfig, props functionProperties, resources []cfntypes.StackResourceSummary) {
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
}
