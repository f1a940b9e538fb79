package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// id returns the logical ID of the stack's construct at path (its default
// child, the CloudFormation resource).
func (s *synthesized) id(t testing.TB, path string) string {
	t.Helper()
	// The app's construct is "Default", which logical IDs leave out.
	c := s.stack.Node().FindChild(jsii.String("Default")).Node().TryFindChild(jsii.String(path))
	if c == nil {
		t.Fatalf("no construct %q in the stack", path)
	}
	el, ok := c.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatalf("construct %q has no CloudFormation resource", path)
	}
	return *s.stack.GetLogicalId(el)
}

func ref(id string) obj       { return obj{"Ref": id} }
func getAtt(id, a string) obj { return obj{"Fn::GetAtt": arr{id, a}} }

// hasProps asserts that a resource of typ has props (a deep partial match).
func (s *synthesized) hasProps(t *testing.T, what, typ string, props obj) {
	t.Helper()
	check(t, what, func() { s.template.HasResourceProperties(jsii.String(typ), props) })
}

// has asserts that a resource of typ matches the whole-resource pattern res
// (Properties, DeletionPolicy, ...).
func (s *synthesized) has(t *testing.T, what, typ string, res obj) {
	t.Helper()
	check(t, what, func() { s.template.HasResource(jsii.String(typ), res) })
}

func (s *synthesized) count(t *testing.T, typ string, n int) {
	t.Helper()
	check(t, fmt.Sprintf("%d resources of type %s", n, typ), func() {
		s.template.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n)))
	})
}

func TestUploadsBucket(t *testing.T) {
	s := synthOnce(t, nil)
	uploads, logs := s.id(t, "Uploads"), s.id(t, "AccessLogs")
	blockAll := obj{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}

	s.count(t, "AWS::S3::Bucket", 2)
	s.has(t, "uploads bucket: hardened, versioned, logged, retained", "AWS::S3::Bucket", obj{
		"DeletionPolicy":      "Retain",
		"UpdateReplacePolicy": "Retain",
		"Properties": obj{
			"PublicAccessBlockConfiguration": blockAll,
			"BucketEncryption": obj{"ServerSideEncryptionConfiguration": arr{
				obj{"ServerSideEncryptionByDefault": obj{"SSEAlgorithm": "AES256"}},
			}},
			"OwnershipControls":       obj{"Rules": arr{obj{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"VersioningConfiguration": obj{"Status": "Enabled"},
			"LoggingConfiguration":    obj{"DestinationBucketName": ref(logs), "LogFilePrefix": "uploads-bucket/"},
			"LifecycleConfiguration": obj{"Rules": arr{obj{
				"Status": "Enabled", "AbortIncompleteMultipartUpload": obj{"DaysAfterInitiation": 7},
			}}},
		},
	})
	s.has(t, "access-log bucket: hardened, S3-managed keys, logs expire, retained", "AWS::S3::Bucket", obj{
		"DeletionPolicy": "Retain",
		"Properties": obj{
			"PublicAccessBlockConfiguration": blockAll,
			"BucketEncryption": obj{"ServerSideEncryptionConfiguration": arr{
				obj{"ServerSideEncryptionByDefault": obj{"SSEAlgorithm": "AES256"}},
			}},
			"OwnershipControls":      obj{"Rules": arr{obj{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"LifecycleConfiguration": obj{"Rules": arr{obj{"Status": "Enabled", "ExpirationInDays": 90}}},
			"LoggingConfiguration":   assertions.Match_Absent(),
		},
	})

	for _, b := range []string{uploads, logs} {
		s.hasProps(t, b+": bucket policy denies plain HTTP and TLS below 1.2", "AWS::S3::BucketPolicy", obj{
			"Bucket": ref(b),
			"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&arr{
				assertions.Match_ObjectLike(&obj{
					"Effect": "Deny", "Action": "s3:*", "Principal": obj{"AWS": "*"},
					"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
				}),
				assertions.Match_ObjectLike(&obj{
					"Effect": "Deny", "Action": "s3:*",
					"Condition": obj{"NumericLessThan": obj{"s3:TlsVersion": 1.2}},
				}),
			})},
		})
	}
	s.hasProps(t, "access-log bucket lets only the S3 logging service write, from the uploads bucket", "AWS::S3::BucketPolicy", obj{
		"Bucket": ref(logs),
		"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&arr{assertions.Match_ObjectLike(&obj{
			"Effect": "Allow", "Action": "s3:PutObject",
			"Principal": obj{"Service": "logging.s3.amazonaws.com"},
			"Condition": obj{"ArnLike": obj{"aws:SourceArn": getAtt(uploads, "Arn")}},
		})})},
	})
	s.count(t, "AWS::KMS::Key", 0)
}

func TestUploadsBucketOptions(t *testing.T) {
	t.Run("kms", func(t *testing.T) {
		s := synthOnce(t, map[string]any{"kms": "true"})
		key := s.id(t, "UploadsKey")
		s.has(t, "a rotating, retained key", "AWS::KMS::Key", obj{
			"DeletionPolicy": "Retain",
			"Properties":     obj{"EnableKeyRotation": true, "PendingWindowInDays": 30},
		})
		s.hasProps(t, "uploads bucket encrypted with the key, bucket key on", "AWS::S3::Bucket", obj{
			"BucketEncryption": obj{"ServerSideEncryptionConfiguration": arr{obj{
				"BucketKeyEnabled":              true,
				"ServerSideEncryptionByDefault": obj{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(key, "Arn")},
			}}},
		})
		s.hasProps(t, "function may use the key for S3 only as needed", "AWS::IAM::Policy", obj{
			"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&arr{obj{
				"Sid": "UseUploadsKey", "Effect": "Allow",
				"Action":   arr{"kms:Decrypt", "kms:GenerateDataKey"},
				"Resource": getAtt(key, "Arn"),
			}})},
		})
	})
	t.Run("unversioned", func(t *testing.T) {
		s := synthOnce(t, map[string]any{"versioned": "false"})
		s.hasProps(t, "uploads bucket without versioning", "AWS::S3::Bucket", obj{
			"LoggingConfiguration":    assertions.Match_AnyValue(),
			"VersioningConfiguration": assertions.Match_Absent(),
		})
	})
}

func TestDevStackIsDestroyable(t *testing.T) {
	types := []string{"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::KMS::Key"}
	t.Run("cloud", func(t *testing.T) {
		s := synthOnce(t, map[string]any{"dev": "true", "kms": "true"})
		for _, typ := range types {
			check(t, typ+" deleted with the stack", func() {
				s.template.AllResources(jsii.String(typ), obj{"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})
			})
		}
		s.count(t, "Custom::S3AutoDeleteObjects", 2)
		s.hasProps(t, "key's shortest deletion window", "AWS::KMS::Key", obj{"PendingWindowInDays": 7})
	})
	t.Run("local", func(t *testing.T) {
		s := synthOnce(t, map[string]any{"dev": "true", "local": "true"})
		for _, typ := range types[:3] {
			check(t, typ+" deleted with the stack", func() {
				s.template.AllResources(jsii.String(typ), obj{"DeletionPolicy": "Delete"})
			})
		}
		s.count(t, "Custom::S3AutoDeleteObjects", 0) // its Lambda cannot run on moto
	})
	t.Run("default retains", func(t *testing.T) {
		s := synthOnce(t, nil)
		for _, typ := range types[:3] {
			check(t, typ+" retained", func() {
				s.template.AllResources(jsii.String(typ), obj{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
			})
		}
		s.count(t, "Custom::S3AutoDeleteObjects", 0)
	})
}

func TestQueues(t *testing.T) {
	tests := map[string]struct {
		ctx                         map[string]any
		visibility, maxReceiveCount int
	}{
		"defaults: 6 × 30s + 0s":                   {nil, 180, 15},
		"derived: 6 × 60s + 5s":                    {map[string]any{"functionTimeout": "60s", "maxBatchingWindow": "5s"}, 365, 15},
		"given, above the minimum; fewer receives": {map[string]any{"visibilityTimeout": "15m", "maxReceiveCount": "8"}, 900, 8},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := synthOnce(t, tt.ctx)
			dlq, queue := s.id(t, "DeadLetterQueue"), s.id(t, "Queue")
			s.count(t, "AWS::SQS::Queue", 2)
			s.hasProps(t, "queue: SQS-managed encryption, derived visibility timeout, redrive to the DLQ", "AWS::SQS::Queue", obj{
				"SqsManagedSseEnabled":   true,
				"VisibilityTimeout":      tt.visibility,
				"MessageRetentionPeriod": 4 * 86400,
				"RedrivePolicy":          obj{"deadLetterTargetArn": getAtt(dlq, "Arn"), "maxReceiveCount": tt.maxReceiveCount},
			})
			s.hasProps(t, "DLQ: SQS-managed encryption, 14 days", "AWS::SQS::Queue", obj{
				"SqsManagedSseEnabled":   true,
				"MessageRetentionPeriod": 14 * 86400,
				"RedrivePolicy":          assertions.Match_Absent(),
			})
			for _, q := range []string{queue, dlq} {
				s.hasProps(t, q+": policy denies plain HTTP", "AWS::SQS::QueuePolicy", obj{
					"Queues": arr{ref(q)},
					"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&arr{assertions.Match_ObjectLike(&obj{
						"Effect": "Deny", "Action": "sqs:*",
						"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
					})})},
				})
			}
		})
	}
}

func TestFunction(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		s := synthOnce(t, nil)
		s.count(t, "AWS::Lambda::Function", 1)
		s.hasProps(t, "function: provided.al2023 on arm64, JSON logs to its log group, contract environment", "AWS::Lambda::Function", obj{
			"Runtime":       "provided.al2023",
			"Architectures": arr{"arm64"},
			"Handler":       "bootstrap",
			"Timeout":       30,
			"MemorySize":    256,
			"Role":          getAtt(s.id(t, "FunctionRole"), "Arn"),
			"LoggingConfig": obj{
				"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
				"LogGroup": ref(s.id(t, "FunctionLogs")),
			},
			// Exactly these: knobs the context does not set keep the function's defaults.
			"Environment": obj{"Variables": assertions.Match_ObjectEquals(&obj{
				"BUCKET_NAME":           ref(s.id(t, "Uploads")),
				"KEY_PREFIX":            "uploads/",
				"KEY_TEMPLATE":          "{key}",
				"METRICS_NAMESPACE":     "S3Uploader",
				"DEAD_LETTER_QUEUE_URL": ref(s.id(t, "DeadLetterQueue")),
			})},
		})
		s.has(t, "explicit log group with retention", "AWS::Logs::LogGroup", obj{
			"DeletionPolicy": "Retain",
			"Properties":     obj{"RetentionInDays": 30},
		})
	})
	t.Run("context overrides", func(t *testing.T) {
		s := synthOnce(t, map[string]any{
			"arch": "x86_64", "functionTimeout": "1m", "memorySize": "512", "keyPrefix": "in/", "keyTemplate": "{attr:tenant}/{sent:2006/01/02}/{key}",
			"applicationLogLevel": "DEBUG", "systemLogLevel": "WARN", "logRetentionDays": "7", "metricsNamespace": "Uploads/Test",
			"retryMaxAttempts": "7", "retryBaseDelay": "50ms", "retryMaxDelay": "5s", "attemptTimeout": "3s",
			"uploadConcurrency": "16", "deadlineMargin": "2s", "s3Checksum": "when_required",
		})
		s.hasProps(t, "function with every setting overridden", "AWS::Lambda::Function", obj{
			"Architectures": arr{"x86_64"},
			"Timeout":       60,
			"MemorySize":    512,
			"LoggingConfig": obj{"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "WARN", "LogGroup": assertions.Match_AnyValue()},
			"Environment": obj{"Variables": assertions.Match_ObjectEquals(&obj{
				"BUCKET_NAME":           ref(s.id(t, "Uploads")),
				"KEY_PREFIX":            "in/",
				"KEY_TEMPLATE":          "{attr:tenant}/{sent:2006/01/02}/{key}",
				"METRICS_NAMESPACE":     "Uploads/Test",
				"DEAD_LETTER_QUEUE_URL": ref(s.id(t, "DeadLetterQueue")),
				"RETRY_MAX_ATTEMPTS":    "7",
				"RETRY_BASE_DELAY":      "50ms",
				"RETRY_MAX_DELAY":       "5s",
				"ATTEMPT_TIMEOUT":       "3s",
				"UPLOAD_CONCURRENCY":    "16",
				"DEADLINE_MARGIN":       "2s",
				"S3_CHECKSUM":           "when_required",
			})},
		})
		s.hasProps(t, "log retention", "AWS::Logs::LogGroup", obj{"RetentionInDays": 7})
		p := synthOnce(t, map[string]any{"envelope": "sns", "pointerBuckets": "payloads-a,payloads.b"})
		p.hasProps(t, "envelope and pointer buckets reach the function", "AWS::Lambda::Function", obj{
			"Environment": obj{"Variables": assertions.Match_ObjectEquals(&obj{
				"BUCKET_NAME":           ref(p.id(t, "Uploads")),
				"KEY_PREFIX":            "uploads/",
				"KEY_TEMPLATE":          "{key}",
				"METRICS_NAMESPACE":     "S3Uploader",
				"DEAD_LETTER_QUEUE_URL": ref(p.id(t, "DeadLetterQueue")),
				"ENVELOPE":              "sns",
				"POINTER_BUCKETS":       "payloads-a,payloads.b",
			})},
		})
		n := synthOnce(t, map[string]any{"functionDeadLetters": "false"})
		n.hasProps(t, "functionDeadLetters false: no DLQ URL", "AWS::Lambda::Function", obj{
			"Environment": obj{"Variables": assertions.Match_ObjectEquals(&obj{
				"BUCKET_NAME":       ref(n.id(t, "Uploads")),
				"KEY_PREFIX":        "uploads/",
				"KEY_TEMPLATE":      "{key}",
				"METRICS_NAMESPACE": "S3Uploader",
			})},
		})
		s.hasProps(t, "S3 grant follows the key prefix, whatever the key template", "AWS::IAM::Policy", obj{
			"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&arr{obj{
				"Sid": "UploadObjectsUnderPrefix", "Effect": "Allow",
				"Action":   arr{"s3:GetObject", "s3:PutObject"},
				"Resource": obj{"Fn::Join": arr{"", arr{getAtt(s.id(t, "Uploads"), "Arn"), "/in/*"}}},
			}})},
		})
	})
}

// TestFunctionPermissions asserts the function's policy statement by
// statement. sqs:ChangeMessageVisibility, with which the function pushes a
// transient failure back with a backoff, is the event source's (consume
// messages) on the source queue, with or without functionDeadLetters;
// sqs:SendMessage on the DLQ is granted only with it.
func TestFunctionPermissions(t *testing.T) {
	for name, ctx := range map[string]map[string]any{
		"defaults":                  nil,
		"functionDeadLetters false": {"functionDeadLetters": "false"},
	} {
		t.Run(name, func(t *testing.T) {
			functionPermissions(t, synthOnce(t, ctx))
		})
	}
}

func functionPermissions(t *testing.T, s *synthesized) {
	role := s.id(t, "FunctionRole")
	s.hasProps(t, "role: assumed by Lambda, no managed policies", "AWS::IAM::Role", obj{
		"AssumeRolePolicyDocument": obj{"Statement": arr{obj{
			"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": obj{"Service": "lambda.amazonaws.com"},
		}}},
		"ManagedPolicyArns": assertions.Match_Absent(),
		"Policies":          assertions.Match_Absent(),
	})
	s.count(t, "AWS::IAM::Policy", 1)
	statements := arr{
		obj{
			"Effect":   "Allow",
			"Action":   arr{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": getAtt(s.id(t, "FunctionLogs"), "Arn"),
		},
		obj{
			"Sid": "UploadObjectsUnderPrefix", "Effect": "Allow",
			"Action":   arr{"s3:GetObject", "s3:PutObject"},
			"Resource": obj{"Fn::Join": arr{"", arr{getAtt(s.id(t, "Uploads"), "Arn"), "/uploads/*"}}},
		},
		// The event source's grant; it holds sqs:ChangeMessageVisibility.
		obj{
			"Effect": "Allow",
			"Action": arr{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
				"sqs:GetQueueUrl", "sqs:ReceiveMessage"},
			"Resource": getAtt(s.id(t, "Queue"), "Arn"),
		},
	}
	what := "policy: exactly logs to its group, put/get under the prefix, consume its queue"
	if s.cfg.FunctionDeadLetters {
		what += ", send to its DLQ"
		statements = append(statements, obj{
			"Sid": "SendToDeadLetterQueue", "Effect": "Allow",
			"Action":   "sqs:SendMessage",
			"Resource": getAtt(s.id(t, "DeadLetterQueue"), "Arn"),
		})
	}
	s.hasProps(t, what, "AWS::IAM::Policy", obj{
		"Roles":          arr{ref(role)},
		"PolicyDocument": obj{"Version": "2012-10-17", "Statement": statements},
	})

	// Belt and braces over the whole template: no wildcard action in any
	// identity policy, and the function's role is the only role.
	for id, r := range s.resources("AWS::IAM::Policy") {
		doc := r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			actions := st.(map[string]any)["Action"]
			for _, a := range toStrings(actions) {
				if strings.Contains(a, "*") {
					t.Errorf("policy %s allows wildcard action %q", id, a)
				}
			}
		}
	}
	s.count(t, "AWS::IAM::Role", 1)
}

func toStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

func TestEventSource(t *testing.T) {
	tests := map[string]struct {
		ctx                          map[string]any
		batch, window, maxConcurrent int
	}{
		"defaults": {nil, 10, 0, 5},
		"tuned":    {map[string]any{"batchSize": "100", "maxBatchingWindow": "5s", "maxConcurrency": "20"}, 100, 5, 20},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := synthOnce(t, tt.ctx)
			s.count(t, "AWS::Lambda::EventSourceMapping", 1)
			s.hasProps(t, "SQS event source: partial batch failures, batch, window, max concurrency", "AWS::Lambda::EventSourceMapping", obj{
				"EventSourceArn":                 getAtt(s.id(t, "Queue"), "Arn"),
				"FunctionName":                   ref(s.id(t, "Uploader")),
				"FunctionResponseTypes":          arr{"ReportBatchItemFailures"},
				"BatchSize":                      tt.batch,
				"MaximumBatchingWindowInSeconds": tt.window,
				"ScalingConfig":                  obj{"MaximumConcurrency": tt.maxConcurrent},
			})
		})
	}
}

func TestOutputs(t *testing.T) {
	s := synthOnce(t, nil)
	want := map[string]any{
		"BucketName":         ref(s.id(t, "Uploads")),
		"QueueUrl":           ref(s.id(t, "Queue")),
		"DeadLetterQueueUrl": ref(s.id(t, "DeadLetterQueue")),
		"FunctionName":       ref(s.id(t, "Uploader")),
		"LogGroupName":       ref(s.id(t, "FunctionLogs")),
		"KeyPrefix":          "uploads/",
		"DashboardUrl": obj{"Fn::Join": arr{"", arr{
			"https://", ref("AWS::Region"), ".console.aws.amazon.com/cloudwatch/home?region=", ref("AWS::Region"),
			"#dashboards:name=", ref(s.id(t, "Dashboard")),
		}}},
	}
	for name, value := range want {
		check(t, "output "+name, func() {
			s.template.HasOutput(jsii.String(name), obj{"Value": value})
		})
	}
}
