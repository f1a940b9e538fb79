package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// clients talk to the local AWS directly (S3 not through the throttle).
type clients struct {
	cfn    *cloudformation.Client
	lam    *lambda.Client
	sqs    *sqs.Client
	s3     *s3.Client
	logs   *cloudwatchlogs.Client
	cw     *cloudwatch.Client
	sns    *sns.Client
	events *eventbridge.Client
}

func newClients(endpoint string) clients {
	c := moto.AWSConfig(endpoint)
	return clients{
		cfn:    cloudformation.NewFromConfig(c),
		lam:    lambda.NewFromConfig(c),
		sqs:    sqs.NewFromConfig(c),
		s3:     s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true }),
		logs:   cloudwatchlogs.NewFromConfig(c),
		cw:     cloudwatch.NewFromConfig(c, moto.CloudWatchOptions),
		sns:    sns.NewFromConfig(c),
		events: eventbridge.NewFromConfig(c),
	}
}

// findRoot walks up from dir to the folder holding cdk.json and go.mod.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "cdk.json")) && fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (cdk.json and go.mod) not found above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// preflight checks the tools a run needs and says how to get them.
func preflight(cfg *Config) error {
	var missing []string
	if _, err := moto.Path(); err != nil {
		missing = append(missing, moto.Install)
	}
	for _, p := range []*string{&cfg.CDK, &cfg.RIE} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(cfg.Root, *p)
		}
	}
	if !fileExists(cfg.CDK) {
		missing = append(missing, fmt.Sprintf("CDK CLI not found at %s: make tools (npm ci in .tools/cdk)", cfg.CDK))
	}
	if !fileExists(cfg.RIE) {
		missing = append(missing, fmt.Sprintf("aws-lambda-rie not found at %s: make tools", cfg.RIE))
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "\n      "))
	}
	return nil
}

// discover reads the deployed stack back from the local AWS.
func discover(ctx context.Context, c clients, stack string) (*deployed.Stack, error) {
	return deployed.Discover(ctx, deployed.Clients{CloudFormation: c.cfn, Lambda: c.lam, SQS: c.sqs}, stack)
}

// disableMotoMapping turns off moto's built-in event source mapping, read
// already into st: moto runs it inside SendMessage, receiving the messages
// at once and trying to invoke the function in Docker. The local poller
// takes its place, with the mapping's settings.
func disableMotoMapping(ctx context.Context, c clients, st *deployed.Stack) error {
	_, err := c.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID: st.Mapping.UUID, Enabled: aws.Bool(false),
	})
	if err != nil {
		return fmt.Errorf("disable moto's event source mapping %s: %w", aws.ToString(st.Mapping.UUID), err)
	}
	return nil
}
