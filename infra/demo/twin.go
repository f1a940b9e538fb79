package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/twin/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
	"github.com/s3uploader/s3uploader/pkg/twin/proc"
)

// clients talk to the local AWS directly (S3 not through the throttle).
type clients struct {
	cfn  *cloudformation.Client
	lam  *lambda.Client
	sqs  *sqs.Client
	s3   *s3.Client
	logs *cloudwatchlogs.Client
	cw   *cloudwatch.Client
}

func newClients(endpoint string) clients {
	c := moto.AWSConfig(endpoint)
	return clients{
		cfn:  cloudformation.NewFromConfig(c),
		lam:  lambda.NewFromConfig(c),
		sqs:  sqs.NewFromConfig(c),
		s3:   s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true }),
		logs: cloudwatchlogs.NewFromConfig(c),
		cw:   cloudwatch.NewFromConfig(c, moto.CloudWatchOptions),
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

// cdkEnv is the environment of the CDK CLI against the local AWS: quiet,
// offline, no telemetry.
func cdkEnv(endpoint string) []string {
	env := append(os.Environ(),
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1",
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
		"AWS_EC2_METADATA_DISABLED=true",
		"CI=true",
	)
	if endpoint != "" {
		env = append(env, (&moto.Server{Endpoint: endpoint}).Env()...)
		env = append(env, "CDK_DEFAULT_ACCOUNT="+moto.AccountID, "CDK_DEFAULT_REGION="+moto.Region)
	}
	return env
}

// runCmd runs a command in its own process group, its output appended to
// log; Ctrl-C (ctx) stops the whole group.
func runCmd(ctx context.Context, dir string, env []string, log io.Writer, name string, args ...string) error {
	fmt.Fprintf(log, "\n$ %s %s\n", filepath.Base(name), strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var tail bytes.Buffer
	w := io.MultiWriter(log, &tail)
	cmd.Stdout, cmd.Stderr = w, w
	p, err := proc.Start(cmd)
	if err != nil {
		return err
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		p.Stop(3 * time.Second)
		return context.Cause(ctx)
	}
	if err := p.Err(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), args[0], err, lastLines(tail.String(), 15))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "      " + strings.Join(lines, "\n      ")
}

// contextArgs turns the run's CDK context into -c flags: the local ones
// first (arch, local, dev), then the caller's.
func contextArgs(cfg Config) []string {
	ctx := map[string]string{"arch": cfg.Arch, "local": "true", "dev": "true", "stackName": cfg.Stack}
	for k, v := range cfg.Ctx {
		ctx[k] = v
	}
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		args = append(args, "-c", k+"="+ctx[k])
	}
	return args
}

// synth synthesizes the app into assembly (unless cfg.App names one
// already): cdk synth, which builds the function's bootstrap. It needs no
// AWS, so it runs while the local AWS starts and is bootstrapped.
func synth(ctx context.Context, cfg Config, assembly string, log io.Writer) (string, error) {
	if cfg.App != "" {
		return cfg.App, nil
	}
	args := append([]string{"synth", "--no-notices", "--quiet", "-o", assembly}, contextArgs(cfg)...)
	return assembly, runCmd(ctx, cfg.Root, cdkEnv(""), log, cfg.CDK, args...)
}

// bootstrapEnv is the environment cdk bootstrap prepares.
const bootstrapEnv = "aws://" + moto.AccountID + "/" + moto.Region

// bootstrap runs cdk bootstrap against the local AWS at endpoint, as a user
// would once per account and region. It runs in dir, a folder with no
// cdk.json, so the CLI bootstraps the environment named without running
// the app.
func bootstrap(ctx context.Context, cfg Config, endpoint, dir string, log io.Writer) error {
	return runCmd(ctx, dir, cdkEnv(endpoint), log, cfg.CDK, "bootstrap", "--no-notices", bootstrapEnv)
}

// deploy deploys the synthesized assembly to the local AWS at endpoint:
// cdk deploy, as to an account.
func deploy(ctx context.Context, cfg Config, endpoint, assembly string, log io.Writer) error {
	return runCmd(ctx, cfg.Root, cdkEnv(endpoint), log, cfg.CDK, "deploy", "--no-notices", "--app", assembly,
		"--require-approval", "never", "--progress", "events", cfg.Stack)
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
