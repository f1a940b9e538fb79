package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestNagAwsSolutions: with cdk-nag's AwsSolutions pack applied as the app
// applies it, no variant of the stack has an unsuppressed error or warning,
// and every suppression gives a real reason. (An unsuppressed error also
// fails the synthesis itself; synth reports it with the validation report.)
func TestNagAwsSolutions(t *testing.T) {
	variants := map[string]map[string]any{
		"defaults":        nil,
		"kms dev topic":   {"kms": "true", "dev": "true", "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:oncall"},
		"local dev amd64": {"local": "true", "dev": "true", "arch": "x86_64", "versioned": "false"},
		"pointers":        {"pointerBuckets": "payloads-a,payloads.b", "kms": "true", "pointerKeyArn": testPointerKeyArn, "envelope": "sns"},
		"no dead letters": {"functionDeadLetters": "false"},
	}
	for name, ctx := range variants {
		t.Run(name, func(t *testing.T) {
			s := synthOnce(t, ctx)
			nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			a := assertions.Annotations_FromStack(s.stack)
			for _, m := range *a.FindError(jsii.String("*"), nag) {
				t.Errorf("cdk-nag error: %s", asJSON(m)) // id (construct path), level, rule and message
			}
			for _, m := range *a.FindWarning(jsii.String("*"), nag) {
				t.Errorf("cdk-nag warning: %s", asJSON(m))
			}

			distinct := map[string]bool{} // the role's suppression also sits on its policy
			for id, r := range s.templateJSON()["Resources"].(map[string]any) {
				meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nagMeta, _ := meta["cdk_nag"].(map[string]any)
				rules, _ := nagMeta["rules_to_suppress"].([]any)
				for _, rule := range rules {
					rule := rule.(map[string]any)
					distinct[asJSON(rule)] = true
					reason, _ := rule["reason"].(string)
					if len(strings.Fields(reason)) < 8 {
						t.Errorf("%s: suppression of %v has no real reason: %q", id, rule["id"], reason)
					}
					if applies, _ := rule["applies_to"].([]any); len(applies) == 0 {
						t.Errorf("%s: suppression of %v is not narrowed with appliesTo", id, rule["id"])
					}
				}
			}
			want := 1 // the S3 key-prefix grant
			if len(s.cfg.PointerBuckets) > 0 {
				want++ // the pointer buckets' objects
			}
			if n := len(distinct); n != want {
				t.Errorf("found %d distinct cdk-nag suppressions; want exactly %d: the S3 key-prefix grant, and the pointer buckets' objects with pointerBuckets (update this test when adding one, with its reason)", n, want)
			}
		})
	}
}
