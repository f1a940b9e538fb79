package deployed

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// A stack shaped like the uploader's, written by hand: what Discover reads
// does not depend on the CDK.
const testTemplate = `{
 "Metadata": {"S3Uploader::LogsInsightsQueries": {"retries-by-message": "fields @timestamp | filter message = \"upload retry\""}},
 "Resources": {
  "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
  "Dlq": {"Type": "AWS::SQS::Queue"},
  "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 42, "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 4}}},
  "Logs": {"Type": "AWS::Logs::LogGroup"},
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
    "Runtime": "provided.al2023", "Handler": "bootstrap", "Timeout": 7, "MemorySize": 512,
    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
    "Code": {"S3Bucket": {"Fn::Sub": "code-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "fn.zip"},
    "Environment": {"Variables": {"BUCKET_NAME": "uploads-bucket", "KEY_PREFIX": "in/"}},
    "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": "Logs"}, "ApplicationLogLevel": "WARN"}}},
  "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
    "FunctionName": {"Ref": "Fn"}, "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
    "BatchSize": 7, "MaximumBatchingWindowInSeconds": 2, "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "ScalingConfig": {"MaximumConcurrency": 3}}}
 }
}`

func TestDiscoverAndFetchCode(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	codeBucket := "code-" + moto.AccountID + "-" + moto.Region
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(codeBucket)}); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\necho hi\n"))
	zw.Close()
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(codeBucket), Key: aws.String("fn.zip"), Body: bytes.NewReader(zbuf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(cfg)
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("T"), TemplateBody: aws.String(testTemplate)}); err != nil {
		t.Fatal(err)
	}
	c := Clients{CloudFormation: cfn, Lambda: lambda.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg)}
	st, err := Discover(ctx, c, "T")
	if err != nil {
		t.Fatalf("Discover = %v", err)
	}
	checks := map[string]struct{ got, want any }{
		"BatchSize":       {st.BatchSize, 7},
		"BatchingWindow":  {st.BatchingWindow, 2 * time.Second},
		"ReportFailures":  {st.ReportFailures, true},
		"MaxConcurrency":  {st.MaxConcurrency, 3},
		"Timeout":         {st.Timeout, 7 * time.Second},
		"MemoryMB":        {st.MemoryMB, 512},
		"Visibility":      {st.Visibility, 42 * time.Second},
		"MaxReceiveCount": {st.MaxReceiveCount, 4},
		"Bucket":          {st.Bucket, "uploads-bucket"},
		"KeyPrefix":       {st.KeyPrefix, "in/"},
		"LogFormat":       {st.LogFormat, "JSON"},
		"LogLevel":        {st.LogLevel, "WARN"},
		"CodeBucket":      {st.CodeBucket, codeBucket},
		"CodeKey":         {st.CodeKey, "fn.zip"},
		"Query":           {st.Queries["retries-by-message"], `fields @timestamp | filter message = "upload retry"`},
		"QueueURL":        {st.QueueURL != "" && st.DLQURL != "" && st.QueueURL != st.DLQURL, true},
		"LogGroup":        {st.LogGroup != "", true},
	}
	for name, c := range checks {
		if c.got != c.want {
			t.Errorf("Discover: %s = %v; want %v", name, c.got, c.want)
		}
	}

	dir := t.TempDir()
	bootstrap, err := st.FetchCode(ctx, s3c, dir)
	if err != nil {
		t.Fatalf("FetchCode = %v", err)
	}
	fi, err := os.Stat(bootstrap)
	if err != nil || fi.Mode()&0o100 == 0 || bootstrap != filepath.Join(dir, "bootstrap") {
		t.Errorf("FetchCode = %s (%v, %v); want an executable bootstrap in %s", bootstrap, fi.Mode(), err, dir)
	}

	// Code that is not what the function was deployed with is refused.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(codeBucket), Key: aws.String("fn.zip"), Body: bytes.NewReader([]byte("other"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FetchCode(ctx, s3c, t.TempDir()); err == nil {
		t.Errorf("FetchCode of replaced code = nil; want a CodeSha256 mismatch")
	}

	url, err := QueueURL(ctx, c, "T")
	if err != nil || url != st.QueueURL {
		t.Errorf("QueueURL = %q, %v; want %q", url, err, st.QueueURL)
	}
}
