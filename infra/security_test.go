package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
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
		// Existing resources: the grants name them, and only them.
		"existing bucket by name": {"bucketName": "data-lake", "keyPrefix": "in/"},
		"existing bucket and key": {"bucketArn": "arn:aws:s3:::data-lake", "bucketKeyArn": testKeyArn},
		// The DLQ's key: sending needs GenerateDataKey and Decrypt, not
		// GrantSendMessages' GetQueueAttributes, GetQueueUrl, kms:Encrypt
		// or kms:ReEncrypt*; consuming needs Decrypt.
		"existing queues and key": {"queueArn": testQueueArn, "deadLetterQueueArn": testDLQArn, "queueKeyArn": testKeyArn},
		"existing dlq only":       {"deadLetterQueueArn": testDLQArn},
		"sns source":              {"snsTopicArn": testTopicArn},
		"eventbridge source":      {"eventPattern": `{"source":["my.app"]}`},
		"fifo":                    {"fifo": "true", "contentBasedDeduplication": "true"},
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

	objects := s.objectsArn(t)
	// exact: each of these grants must be there, and no other.
	exact := map[string][]any{
		"s3:PutObject": {objects},
		"s3:GetObject": {objects},
		// The event source's, which the function's backoff relies on.
		"sqs:ChangeMessageVisibility": {s.queueArn(t)},
	}
	if s.cfg.FunctionDeadLetters {
		exact["sqs:SendMessage"] = []any{s.dlqArn(t)}
	}
	for _, b := range s.cfg.PointerBuckets {
		exact["s3:GetObject"] = append(exact["s3:GetObject"], pointerObjects(b))
	}
	if s.cfg.KMS {
		key := getAtt(s.id(t, "UploadsKey"), "Arn")
		exact["kms:GenerateDataKey"] = []any{key}
		exact["kms:Decrypt"] = []any{key}
	}
	if k := s.cfg.BucketKeyArn; k != "" {
		exact["kms:GenerateDataKey"] = []any{k}
		exact["kms:Decrypt"] = []any{k}
	}
	if k := s.cfg.QueueKeyArn; k != "" {
		exact["kms:GenerateDataKey"] = []any{k} // sending to the DLQ
		exact["kms:Decrypt"] = []any{k}         // and consuming the queue
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
		loose[a] = s.queueArn(t)
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

// The ARNs of the tests' settings.
const (
	testPointerKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testKeyArn        = "arn:aws:kms:us-east-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab"
	testQueueArn      = "arn:aws:sqs:us-east-1:123456789012:incoming"
	testDLQArn        = "arn:aws:sqs:us-east-1:123456789012:incoming-dlq"
	testTopicArn      = "arn:aws:sns:us-east-1:123456789012:uploads"
)

// objectsArn is the grant's resource: the uploads bucket's objects under
// the key prefix, as the template writes it for a new or existing bucket.
func (s *synthesized) objectsArn(t *testing.T) any {
	under := "/" + s.cfg.KeyPrefix + "*"
	switch {
	case s.cfg.BucketArn != "":
		return s.cfg.BucketArn + under
	case s.cfg.BucketName != "":
		return obj{"Fn::Join": arr{"", arr{"arn:", ref("AWS::Partition"), ":s3:::" + s.cfg.BucketName + under}}}
	}
	return obj{"Fn::Join": arr{"", arr{getAtt(s.id(t, "Uploads"), "Arn"), under}}}
}

// queueArn and dlqArn are the queues' ARNs as the template writes them.
func (s *synthesized) queueArn(t *testing.T) any {
	if s.cfg.QueueArn != "" {
		return s.cfg.QueueArn
	}
	return getAtt(s.id(t, "Queue"), "Arn")
}

func (s *synthesized) dlqArn(t *testing.T) any {
	if s.cfg.DeadLetterQueueArn != "" {
		return s.cfg.DeadLetterQueueArn
	}
	return getAtt(s.id(t, "DeadLetterQueue"), "Arn")
}

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
