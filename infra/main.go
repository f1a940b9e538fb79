// Command infra is the CDK app of the S3 uploader: `cdk synth` or `cdk deploy`
// run it (cdk.json's "app" is `go run ./infra`, from the repository root).
//
// It reads its settings from CDK context (cdk.json, `-c key=value`), fails
// with a list of every bad setting, and defines one stack holding the
// uploader construct (package infra/s3uploader, which builds the function's
// bootstrap), checked by cdk-nag's AwsSolutions rules.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3uploader/s3uploader/infra/s3uploader"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "infra: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	cfg, err := s3uploader.ConfigFromContext(contextLookup(app), contextKeys(app))
	if err != nil {
		return fmt.Errorf("invalid settings (cdk.json context or -c key=value):\n%w", err)
	}
	dir, err := s3uploader.BuildBootstrap(".", cfg.Arch)
	if err != nil {
		return err
	}
	defineApp(app, cfg, dir)
	app.Synth(nil)
	return nil
}

// defineApp adds the uploader stack, with the function's code from dir, and
// the cdk-nag AwsSolutions checks to app. Tests call it too, so what they
// check is what `cdk synth` writes.
func defineApp(app awscdk.App, cfg s3uploader.Config, dir string) awscdk.Stack {
	stack := awscdk.NewStack(app, &cfg.StackName, &awscdk.StackProps{
		Description: jsii.String("S3 uploader: SQS queue with dead-letter queue, a Lambda function that writes each message to S3 with backoff, and CloudWatch alarms, queries and a dashboard to watch retries."),
	})
	// "Default" is left out of the logical IDs of what the construct holds,
	// so a stack deployed before the construct existed keeps its resources.
	s3uploader.New(stack, "Default", &s3uploader.Props{Config: cfg, CodeDir: dir})
	// AWS::CloudWatch::Dashboard takes no Tags in cfn-lint's schema (nor in moto).
	awscdk.Tags_Of(app).Add(jsii.String("project"), jsii.String("s3uploader"), &awscdk.TagProps{
		ExcludeResourceTypes: jsii.Strings("AWS::CloudWatch::Dashboard"),
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return stack
}

// contextLookup reads one context value of app: nil when absent.
func contextLookup(app awscdk.App) func(string) any {
	return func(key string) any {
		return app.Node().TryGetContext(jsii.String(key))
	}
}

// contextKeys lists every context key app sees.
func contextKeys(app awscdk.App) []string {
	all, _ := app.Node().GetAllContext(nil).(map[string]any)
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
