package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// TestLeastPrivilege reads every permission the function's role holds in
// the synthesized template (its inline policies, the AWS::IAM::Policy and
// AWS::IAM::ManagedPolicy resources attached to it, and no managed policy
// ARNs) and allows nothing but: s3:PutObject and s3:GetObject (the
// conditional write and its read-back; checksums need no more) on
// <bucket>/<keyPrefix>*; kms:GenerateDataKey and kms:Decrypt on the uploads
// key, only with the kms option; s3:GetObject on <pointer bucket>/* for
// each of pointerBuckets (the source of a server-side copy) and kms:Decrypt
// on pointerKeyArn, only with those settings; writing its own log group;
// consuming (not sending to) its own queue, sqs:ChangeMessageVisibility
// included (the function's backoff); sqs:SendMessage on the dead-letter
// queue, only with functionDeadLetters, and no KMS grant for it (the
// queues use SQS-managed keys). The S3, KMS, sqs:ChangeMessageVisibility
// and sqs:SendMessage grants must be exactly these: each one present, no
// other. No wildcard action, no "*" resource, no NotAction or NotResource.
func TestLeastPrivilege(t *testing.T) {
	for name, overrides := range map[string]map[string]any{
		"defaults":   nil,
		"kms":        {"kms": "true"},
		"prefix":     {"keyPrefix": "in/tenant-a/"},
		"kms+prefix": {"kms": "true", "keyPrefix": "x/"},
		// The template renders under the prefix: the grant stays <bucket>/<keyPrefix>*.
		"template": {"keyPrefix": "in/", "keyTemplate": "{attr:tenant}/{sent:2006/01/02/15}/{shard:16}/{group}/{key}"},
		// Pointers: read the named buckets' objects, nothing else of them.
		"pointers":         {"pointerBuckets": "payloads-a,payloads.b", "envelope": "sns"},
		"pointers+kms+key": {"pointerBuckets": "payloads-a", "kms": "true", "pointerKeyArn": testPointerKeyArn},
		// The function routes no failures itself: no send to the DLQ.
		"no dead letters": {"functionDeadLetters": "false"},
	} {
		t.Run(name, func(t *testing.T) {
			s := synthOnce(t, overrides)
			leastPrivilege(t, s)
		})
	}
}

func leastPrivilege(t *testing.T, s *synthesized) {
	fnID, roleID := s.id(t, "Uploader"), s.id(t, "FunctionRole")
	fn := s.resources("AWS::Lambda::Function")[fnID]
	if got := props(fn)["Role"]; !sameJSON(got, getAtt(roleID, "Arn")) {
		t.Fatalf("function's Role = %v; want the FunctionRole", got)
	}
	role := s.resources("AWS::IAM::Role")[roleID]
	if m := props(role)["ManagedPolicyArns"]; m != nil {
		t.Errorf("function role has managed policies %v; want none", m)
	}
	var statements []map[string]any
	add := func(where string, doc any) {
		d, _ := doc.(map[string]any)
		sts, _ := d["Statement"].([]any)
		for _, st := range sts {
			m := st.(map[string]any)
			m["_where"] = where
			statements = append(statements, m)
		}
	}
	if inline, ok := props(role)["Policies"].([]any); ok {
		for i, p := range inline {
			add(fmt.Sprintf("role inline policy %d", i), p.(map[string]any)["PolicyDocument"])
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for id, r := range s.resources(typ) {
			roles, _ := props(r)["Roles"].([]any)
			if slices.ContainsFunc(roles, func(x any) bool { return sameJSON(x, ref(roleID)) }) {
				add(typ+" "+id, props(r)["PolicyDocument"])
			}
		}
	}
	if len(statements) == 0 {
		t.Fatal("no policy statement attached to the function role")
	}

	prefix := s.cfg.KeyPrefix
	objects := obj{"Fn::Join": arr{"", arr{getAtt(s.id(t, "Uploads"), "Arn"), "/" + prefix + "*"}}}
	// exact: each of these grants must be there, and no other.
	exact := map[string][]any{
		"s3:PutObject": {objects},
		"s3:GetObject": {objects},
		// The event source's, which the function's backoff relies on.
		"sqs:ChangeMessageVisibility": {getAtt(s.id(t, "Queue"), "Arn")},
	}
	if s.cfg.FunctionDeadLetters {
		exact["sqs:SendMessage"] = []any{getAtt(s.id(t, "DeadLetterQueue"), "Arn")}
	}
	for _, b := range s.cfg.PointerBuckets {
		exact["s3:GetObject"] = append(exact["s3:GetObject"], pointerObjects(b))
	}
	if s.cfg.KMS {
		key := getAtt(s.id(t, "UploadsKey"), "Arn")
		exact["kms:GenerateDataKey"] = []any{key}
		exact["kms:Decrypt"] = []any{key}
	}
	if s.cfg.PointerKeyArn != "" {
		exact["kms:Decrypt"] = append(exact["kms:Decrypt"], s.cfg.PointerKeyArn)
	}
	// loose: these actions are allowed on their resource only.
	loose := map[string]any{}
	for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
		loose[a] = getAtt(s.id(t, "FunctionLogs"), "Arn")
	}
	for _, a := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"} {
		loose[a] = getAtt(s.id(t, "Queue"), "Arn")
	}

	granted := map[string]bool{} // action + resource
	for _, st := range statements {
		where := st["_where"]
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if _, ok := st[k]; ok {
				t.Errorf("%s: statement uses %s: %s", where, k, asJSON(st))
			}
		}
		if st["Effect"] != "Allow" {
			continue // a Deny only takes away
		}
		resources := st["Resource"]
		if r, ok := resources.([]any); !ok {
			resources = arr{resources}
		} else {
			resources = r
		}
		for _, a := range toStrings(st["Action"]) {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("%s: wildcard action %q", where, a)
				continue
			}
			want, isExact := exact[a]
			if !isExact {
				if r, ok := loose[a]; ok {
					want = []any{r}
				} else {
					t.Errorf("%s: action %q is not one the function needs", where, a)
					continue
				}
			}
			for _, r := range resources.([]any) {
				i := slices.IndexFunc(want, func(w any) bool { return sameJSON(r, w) })
				if r == "*" || i < 0 {
					t.Errorf("%s: %s on %s; want only on %s", where, a, asJSON(r), asJSON(want))
					continue
				}
				granted[a+" "+asJSON(want[i])] = true
			}
		}
	}
	for a, rs := range exact {
		for _, r := range rs {
			if !granted[a+" "+asJSON(r)] {
				t.Errorf("the function role lacks %s on %s", a, asJSON(r))
			}
		}
	}
}

// TestFailureRoutingOnKMSQueue: the queues use SQS-managed keys today, so
// the stack never reaches grantFailureRouting's KMS branch. Here it gets a
// dead-letter queue with a KMS key of its own, and must grant exactly
// sqs:SendMessage on that queue and kms:GenerateDataKey and kms:Decrypt on
// that key: not GrantSendMessages' GetQueueAttributes, GetQueueUrl,
// kms:Encrypt or kms:ReEncrypt*.
func TestFailureRoutingOnKMSQueue(t *testing.T) {
	ctx := cdkJSONContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	stack := awscdk.NewStack(app, jsii.String("Routing"), nil)
	key := awskms.NewKey(stack, jsii.String("DeadLetterKey"), nil)
	q := &queues{
		queue: awssqs.NewQueue(stack, jsii.String("Queue"), nil),
		dlq: awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key,
		}),
	}
	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	grantFailureRouting(role, DefaultConfig(), q)
	s := &synthesized{app: app, stack: stack, template: assertions.Template_FromStack(stack, nil)}

	s.count(t, "AWS::IAM::Policy", 1)
	s.hasProps(t, "send to the DLQ and use its key, nothing more", "AWS::IAM::Policy", obj{
		"Roles": arr{ref(s.id(t, "FunctionRole"))},
		"PolicyDocument": obj{"Version": "2012-10-17", "Statement": arr{
			obj{
				"Sid": "SendToDeadLetterQueue", "Effect": "Allow",
				"Action":   "sqs:SendMessage",
				"Resource": getAtt(s.id(t, "DeadLetterQueue"), "Arn"),
			},
			obj{
				"Sid": "UseDeadLetterQueueKey", "Effect": "Allow",
				"Action":   arr{"kms:Decrypt", "kms:GenerateDataKey"},
				"Resource": getAtt(s.id(t, "DeadLetterKey"), "Arn"),
			},
		}},
	})
}

// testPointerKeyArn is the pointerKeyArn of the tests.
const testPointerKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// pointerObjects is the ARN of every object of a pointer bucket, as the
// template writes it.
func pointerObjects(bucket string) any {
	return obj{"Fn::Join": arr{"", arr{"arn:", obj{"Ref": "AWS::Partition"}, ":s3:::" + bucket + "/*"}}}
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// sameJSON compares a template value with a pattern built of obj and arr.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}
