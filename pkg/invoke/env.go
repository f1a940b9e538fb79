package invoke

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// functionVars returns the function's variables before the local
// endpoints are known: what Lambda sets for a function of the stack in
// region, BUCKET_NAME, then env over them, in order.
func functionVars(env Vars, region string) map[string]string {
	vars := map[string]string{
		"PATH":                        "/usr/local/bin:/usr/bin:/bin",
		"LANG":                        "en_US.UTF-8",
		"TZ":                          ":UTC",
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          region,
		"AWS_EXECUTION_ENV":           "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME":    DefaultFunction,
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":   "/aws/lambda/" + DefaultFunction,
		"AWS_LAMBDA_LOG_STREAM_NAME":  "local/[$LATEST]invoke",
		// Keep the SDK off the instance metadata service and the user's
		// AWS files: the credentials are invoke's own.
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"BUCKET_NAME":                 DefaultBucket,
	}
	for _, v := range env {
		vars[v.Key] = v.Value
	}
	return vars
}

// environ is vars with the local S3 at s3URL and SQS at sqsURL, and the
// dead-letter queue dlqURL unless vars name one, as KEY=VALUE sorted.
func environ(vars map[string]string, s3URL, sqsURL, dlqURL string) []string {
	vars = maps.Clone(vars)
	if _, ok := vars["DEAD_LETTER_QUEUE_URL"]; !ok {
		vars["DEAD_LETTER_QUEUE_URL"] = dlqURL
	}
	vars["AWS_ACCESS_KEY_ID"] = "invoke"
	vars["AWS_SECRET_ACCESS_KEY"] = "invoke"
	vars["AWS_ENDPOINT_URL_S3"] = s3URL
	vars["AWS_ENDPOINT_URL_SQS"] = sqsURL
	vars["S3_USE_PATH_STYLE"] = "true"
	out := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// buckets names the buckets the local S3 holds: BUCKET_NAME's, those of
// POINTER_BUCKETS and the seeds'. Names that are not a bucket's are left
// out: the function reports them itself.
func buckets(vars map[string]string, seeds Seeds) []string {
	names := []string{strings.TrimSpace(vars["BUCKET_NAME"])}
	for name := range strings.SplitSeq(vars["POINTER_BUCKETS"], ",") {
		names = append(names, strings.TrimSpace(name))
	}
	for _, s := range seeds {
		names = append(names, s.Bucket)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !s3store.ValidBucketName(n) })
	slices.Sort(names)
	return slices.Compact(names)
}

// dlqName is the name of the dead-letter queue: the last part of the
// DEAD_LETTER_QUEUE_URL vars set, or DefaultDLQ.
func dlqName(vars map[string]string) string {
	u := strings.TrimRight(strings.TrimSpace(vars["DEAD_LETTER_QUEUE_URL"]), "/")
	return cmp.Or(u[strings.LastIndexByte(u, '/')+1:], DefaultDLQ)
}

// queueName is the name in an SQS queue's ARN (its last part).
func queueName(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }
