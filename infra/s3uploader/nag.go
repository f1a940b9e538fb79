package s3uploader

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// addNagSuppressions records, with a reason each, the cdk-nag AwsSolutions
// findings this stack accepts. Each is scoped to one resource and, for
// wildcards, to the exact resource string, never to the whole stack.
func addNagSuppressions(scope constructs.Construct, cfg Config, store *storage, fn *uploaderFunction) {
	prefixGrant := suppress("AwsSolutions-IAM5",
		fmt.Sprintf("Object keys are chosen per message at run time, so the put/get grant must cover the key prefix %q: "+
			"two actions (s3:PutObject, s3:GetObject), one bucket, one prefix; no bucket-level or wildcard actions.", cfg.KeyPrefix))
	if store.existing {
		// An existing bucket's ARN is rendered as its user gave it: match
		// any bucket, but only this prefix.
		prefixGrant.AppliesTo = &[]any{cdknag.RegexAppliesTo{
			Regex: jsii.String(fmt.Sprintf("/^Resource::arn:[^/]*:s3:::[^/]*\\/%s\\*$/", regexp.QuoteMeta(cfg.KeyPrefix))),
		}}
	} else {
		bucketID := *awscdk.Stack_Of(scope).GetLogicalId(store.bucket.Node().DefaultChild().(awscdk.CfnElement))
		prefixGrant.AppliesTo = &[]any{fmt.Sprintf("Resource::<%s.Arn>/%s*", bucketID, cfg.KeyPrefix)}
	}
	suppressions := []*cdknag.NagPackSuppression{prefixGrant}
	if len(cfg.PointerBuckets) > 0 {
		var applies []string
		for _, b := range cfg.PointerBuckets {
			applies = append(applies, fmt.Sprintf("Resource::arn:<AWS::Partition>:s3:::%s/*", b))
		}
		suppressions = append(suppressions, suppress("AwsSolutions-IAM5",
			"Senders using the SQS Extended Client Library name each payload's key at run time, so the function may read any object "+
				"of the pointer buckets the operator listed (pointerBuckets): s3:GetObject only, for the server-side copy; "+
				"no list, write or delete there.",
			applies...))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(fn.role, &suppressions, jsii.Bool(true))
}

// suppress builds one suppression; appliesTo narrows it to those findings.
func suppress(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		a := make([]any, len(appliesTo))
		for i, v := range appliesTo {
			a[i] = v
		}
		s.AppliesTo = &a
	}
	return s
}
