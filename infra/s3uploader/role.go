package s3uploader

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// objectActions are all the S3 actions the function performs: a conditional
// put, and a get of the existing object when that put answers 412, to tell a
// duplicate from a conflict.
var objectActions = []string{"s3:PutObject", "s3:GetObject"}

// kmsActions are what S3 needs from the caller to write and read back
// SSE-KMS objects, and SQS from a sender to a KMS-encrypted queue.
var kmsActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

// newFunctionRole returns the function's role, allowed to write logGroup
// and to put and get the objects under the key prefix (their ARN is the
// second result), with their KMS key and the pointer buckets when the
// settings name them.
func newFunctionRole(scope constructs.Construct, cfg Config, logGroup awslogs.LogGroup, store *storage) (awsiam.Role, string) {
	// An own role instead of the default one: the default attaches the
	// AWSLambdaBasicExecutionRole managed policy, which may create log groups
	// and write to any of them. This one writes to its log group only.
	role := awsiam.NewRole(scope, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("S3 uploader function: write its log group, put and get objects under its key prefix, consume its queue"),
	})
	logGroup.GrantWrite(role)

	objectsArn := *store.bucket.ArnForObjects(jsii.String(cfg.KeyPrefix + "*"))
	allow(role, "UploadObjectsUnderPrefix", objectActions, objectsArn)
	if store.key != nil {
		allow(role, "UseUploadsKey", kmsActions, *store.key.KeyArn())
	}
	if pointerArns := pointerObjectArns(scope, cfg); len(pointerArns) > 0 {
		// CopyObject reads the source with s3:GetObject (and HeadObject
		// needs no more); nothing is written to, listed in or deleted from
		// a pointer bucket.
		allow(role, "ReadPointerPayloads", []string{"s3:GetObject"}, pointerArns...)
	}
	if cfg.PointerKeyArn != "" {
		allow(role, "DecryptPointerPayloads", []string{"kms:Decrypt"}, cfg.PointerKeyArn)
	}
	return role, objectsArn
}

// grantFailureRouting lets the function route its own failures (setting
// functionDeadLetters): send a poison message to the dead-letter queue at
// once, and push a transient failure back on its queue with a backoff.
// With functionDeadLetters false it grants nothing.
//
// The backoff is sqs:ChangeMessageVisibility on the source queue, which is
// not granted here: the SQS event source's grant (consume messages) already
// includes it, on that queue only (TestFunctionPermissions asserts it).
func grantFailureRouting(role awsiam.Role, cfg Config, q *queues) {
	if !cfg.FunctionDeadLetters {
		return
	}
	// sqs:SendMessage alone, not dlq.GrantSendMessages: that adds
	// sqs:GetQueueAttributes and sqs:GetQueueUrl (the function is given
	// the URL) and, on a KMS-encrypted queue, kms:Encrypt and kms:ReEncrypt*.
	allow(role, "SendToDeadLetterQueue", []string{"sqs:SendMessage"}, *q.dlq.QueueArn())
	// The queues use SQS-managed encryption today: no key of ours, no grant.
	// Should the DLQ get a KMS key, a sender needs these two on it.
	if key := q.dlq.EncryptionMasterKey(); key != nil {
		allow(role, "UseDeadLetterQueueKey", kmsActions, *key.KeyArn())
	}
}

// allow adds to role's policy the statement sid: actions on resources.
func allow(role awsiam.Role, sid string, actions []string, resources ...string) {
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	}))
}

// pointerObjectArns are the objects of the pointer buckets, one ARN each.
func pointerObjectArns(scope constructs.Construct, cfg Config) []string {
	var arns []string
	for _, b := range cfg.PointerBuckets {
		arns = append(arns, *awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""),
			Resource: jsii.String(b), ResourceName: jsii.String("*"),
		}))
	}
	return arns
}
