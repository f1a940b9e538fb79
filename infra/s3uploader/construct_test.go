package s3uploader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// codeDir returns a folder with a stand-in bootstrap: the construct only
// zips it.
func codeDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPropsObjects: a Go app passes the CDK objects of its existing bucket
// and queues; the construct creates none and consumes and writes those.
func TestPropsObjects(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Objects"), nil)
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Lake"), jsii.String("data-lake"))
	queue := awssqs.Queue_FromQueueArn(stack, jsii.String("In"), jsii.String("arn:aws:sqs:us-east-1:123456789012:in"))
	dlq := awssqs.Queue_FromQueueArn(stack, jsii.String("Dead"), jsii.String("arn:aws:sqs:us-east-1:123456789012:in-dlq"))
	u := New(stack, "Uploader", &Props{Bucket: bucket, Queue: queue, DeadLetterQueue: dlq, CodeDir: codeDir(t)})
	if u.Bucket != bucket || u.Queue != queue || u.DeadLetterQueue != dlq || u.Function == nil || u.Role == nil {
		t.Errorf("Uploader %+v; want the given bucket and queues, and the function and role", u)
	}
	tmpl := assertions.Template_FromStack(stack, nil)
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy"} {
		if n := len(*tmpl.FindResources(jsii.String(typ), nil)); n != 0 {
			t.Errorf("%d resources of type %s; want none", n, typ)
		}
	}
	tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:in",
	})
}

// TestPropsContradictions: an object and a name for one resource, or an
// object with a setting for a resource the stack would create, are refused,
// each named; New panics with the list.
func TestPropsContradictions(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Bad"), nil)
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Lake"), jsii.String("data-lake"))
	p := Props{Config: DefaultConfig(), Bucket: bucket, CodeDir: codeDir(t)}
	p.BucketName = "other-lake"
	p.KMS = true
	err := p.Validate()
	for _, want := range []string{`props: Bucket and context "bucketName" = other-lake name the same resource twice`,
		`context "kms" = true: shapes bucket the stack creates`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to contain %q", err, want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "s3uploader: invalid props") {
			t.Errorf("New with contradicting props: recover() = %v; want a panic listing them", r)
		}
	}()
	New(stack, "Uploader", &p)
}
