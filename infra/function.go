package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// uploaderFunction is the function, its role and its log group.
type uploaderFunction struct {
	function awslambda.Function
	role     awsiam.Role
	logGroup awslogs.LogGroup
	// objectsArn is the one S3 resource the role may touch: the bucket's
	// objects under the key prefix.
	objectsArn string
}

// objectActions are all the S3 actions the function performs: a conditional
// put, and a get of the existing object when that put answers 412, to tell a
// duplicate from a conflict.
var objectActions = []string{"s3:PutObject", "s3:GetObject"}

// kmsActions are what S3 needs from the caller to write and read back
// SSE-KMS objects.
var kmsActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

func newUploaderFunction(stack awscdk.Stack, cfg Config, removal awscdk.RemovalPolicy, dir string, store *storage, q *queues) *uploaderFunction {
	logGroup := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.LogRetentionDays],
		RemovalPolicy: removal,
	})

	// An own role instead of the default one: the default attaches the
	// AWSLambdaBasicExecutionRole managed policy, which may create log groups
	// and write to any of them. This one writes to its log group only.
	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("S3 uploader function: write its log group, put and get objects under its key prefix, consume its queue"),
	})
	logGroup.GrantWrite(role)

	objectsArn := *store.bucket.ArnForObjects(jsii.String(cfg.KeyPrefix + "*"))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("UploadObjectsUnderPrefix"),
		Actions:   jsii.Strings(objectActions...),
		Resources: jsii.Strings(objectsArn),
	}))
	if store.key != nil {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("UseUploadsKey"),
			Actions:   jsii.Strings(kmsActions...),
			Resources: jsii.Strings(*store.key.KeyArn()),
		}))
	}
	pointerArns := pointerObjectArns(stack, cfg)
	if len(pointerArns) > 0 {
		// CopyObject reads the source with s3:GetObject (and HeadObject
		// needs no more); nothing is written to, listed in or deleted from
		// a pointer bucket.
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadPointerPayloads"),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: jsii.Strings(pointerArns...),
		}))
	}
	if cfg.PointerKeyArn != "" {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptPointerPayloads"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings(cfg.PointerKeyArn),
		}))
	}

	arch := awslambda.Architecture_ARM_64()
	if cfg.Arch == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}

	fn := awslambda.NewFunction(stack, jsii.String("Uploader"), &awslambda.FunctionProps{
		Description:           jsii.String("Writes each SQS message to S3, retrying throttles with backoff; reports partial batch failures"),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          arch,
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(cfg.FunctionTimeout.Seconds())),
		MemorySize:            jsii.Number(float64(cfg.MemorySize)),
		Role:                  role,
		Environment:           functionEnvironment(cfg, *store.bucket.BucketName()),
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(cfg.ApplicationLogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel(cfg.SystemLogLevel),
		LogGroup:              logGroup,
		RecursiveLoop:         awslambda.RecursiveLoop_TERMINATE,
	})

	// SQS permissions (receive, delete, change visibility, get attributes on
	// this queue only) come with the event source.
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(cfg.BatchSize)),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(cfg.MaxBatchingWindow.Seconds())),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(float64(cfg.MaxConcurrency)),
	}))

	return &uploaderFunction{function: fn, role: role, logGroup: logGroup, objectsArn: objectsArn}
}

// pointerObjectArns are the objects of the pointer buckets, one ARN each.
func pointerObjectArns(stack awscdk.Stack, cfg Config) []string {
	var arns []string
	for _, b := range cfg.PointerBuckets {
		arns = append(arns, *stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""),
			Resource: jsii.String(b), ResourceName: jsii.String("*"),
		}))
	}
	return arns
}

// functionEnvironment is the function's environment: the bucket, the prefix
// (the IAM policy is scoped to it), the key template (rendered under the
// prefix) and the metrics namespace (the dashboard reads it) always; the
// envelope, the pointer buckets and the optional knobs only when context
// sets them.
func functionEnvironment(cfg Config, bucketName string) *map[string]*string {
	env := map[string]*string{
		"BUCKET_NAME":       jsii.String(bucketName),
		"KEY_PREFIX":        jsii.String(cfg.KeyPrefix),
		"KEY_TEMPLATE":      jsii.String(cfg.KeyTemplate),
		"METRICS_NAMESPACE": jsii.String(cfg.MetricsNamespace),
	}
	if cfg.Envelope != defaultEnvelope {
		env["ENVELOPE"] = jsii.String(cfg.Envelope)
	}
	if len(cfg.PointerBuckets) > 0 {
		env["POINTER_BUCKETS"] = jsii.String(strings.Join(cfg.PointerBuckets, ","))
	}
	for k, v := range cfg.FunctionEnv {
		env[k] = jsii.String(v)
	}
	return &env
}
