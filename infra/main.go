// Command infra is the CDK app of the S3 uploader: `cdk synth` or `cdk deploy`
// run it (cdk.json's "app" is `go run ./infra`, from the repository root).
//
// It reads its settings from CDK context (cdk.json, `-c key=value`), fails
// with a list of every bad setting, builds the function's bootstrap for the
// chosen architecture into .build/uploader/linux-<goarch>/, defines the stack,
// applies the cdk-nag AwsSolutions checks and synthesizes.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
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
	cfg, err := ConfigFromContext(contextLookup(app), contextKeys(app))
	if err != nil {
		return fmt.Errorf("invalid settings (cdk.json context or -c key=value):\n%w", err)
	}
	dir, err := buildBootstrap(".", cfg.Arch)
	if err != nil {
		return err
	}
	defineApp(app, cfg, dir)
	app.Synth(nil)
	return nil
}

// defineApp adds the uploader stack, with its code from dir, and the cdk-nag
// AwsSolutions checks to app. Tests call it too, so what they check is what
// `cdk synth` writes.
func defineApp(app awscdk.App, cfg Config, dir string) awscdk.Stack {
	stack := NewUploaderStack(app, cfg.StackName, &UploaderStackProps{Config: cfg, CodeDir: dir})
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
