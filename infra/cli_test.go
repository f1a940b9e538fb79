package main

// Tests that drive the tools a user runs: the pinned CDK CLI, cfn-lint and a
// local moto server. Each skips, saying what to install, only when its tool
// is absent; `make test` installs the CDK CLI first, and the machine image
// has cfn-lint and moto (elsewhere: pip install cfn-lint 'moto[server]').

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// cdkCLI returns the pinned CDK CLI that `make cdk` installs, or skips.
func cdkCLI(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: install Node.js 20 or later to run the CDK CLI")
	}
	cli, err := filepath.Abs(filepath.Join(repoRoot, ".tools", "cdk", "node_modules", ".bin", "cdk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cli); err != nil {
		t.Skipf("pinned CDK CLI not installed at %s: run `make cdk` (npm ci in .tools/cdk)", cli)
	}
	return cli
}

// toolEnv is the environment for the CDK CLI: quiet, offline (no notices, no
// telemetry, no version check), and blind to the user's AWS profiles and
// credentials; extra ("K=V") come last and win.
func toolEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CDK_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"CDK_DISABLE_VERSION_CHECK=true",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
		"AWS_CONFIG_FILE="+none,
		"AWS_SHARED_CREDENTIALS_FILE="+none,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return append(env, extra...)
}

// runTool runs name with args in dir, bounded by timeout, and returns its
// combined output.
func runTool(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out after %s: %w", filepath.Base(name), timeout, err)
	}
	return out.String(), err
}

// synthTo synthesizes the app with cdk.json's context plus overrides into a
// cloud assembly in a new folder, as `cdk synth` would, and returns it.
func synthTo(t *testing.T, overrides map[string]any) (outdir string, s *synthesized) {
	t.Helper()
	outdir = filepath.Join(t.TempDir(), "cdk.out")
	s = synth(t, overrides, outdir)
	s.app.Synth(nil)
	return outdir, s
}

// TestSynthRejectsBadSettings runs the real `cdk synth` (cdk.json's app,
// `go run ./infra`) with settings that break the rules: the synth must fail
// and say why, naming each setting.
func TestSynthRejectsBadSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the CDK CLI")
	}
	cli := cdkCLI(t)
	start := time.Now()
	out, err := runTool(t, 5*time.Minute, repoRoot, toolEnv(t), cli, "synth", "--no-notices",
		"-o", filepath.Join(t.TempDir(), "cdk.out"),
		"-c", "maxReceiveCount=3", "-c", "functionTimeout=30s", "-c", "visibilityTimeout=60s",
		"-c", "keyTemplate={sent:%Y/%m/%d}/{key}", "-c", "bucketName=data-lake", "-c", "kms=true")
	t.Logf("cdk synth with bad settings: %s", time.Since(start).Round(time.Millisecond))
	if err == nil {
		t.Fatalf("cdk synth -c maxReceiveCount=3 -c visibilityTimeout=60s -c keyTemplate=... -c bucketName=... -c kms=true succeeded; want it to fail. Output:\n%s", out)
	}
	for _, want := range []string{
		"invalid settings",
		`context "maxReceiveCount" = 3: want 5 to 1000`,
		`context "visibilityTimeout" = 1m0s: must be at least 6 × functionTimeout (30s) + maxBatchingWindow (0s) = 3m0s`,
		// The words of the function's own init error (functions/uploader's test).
		`context "keyTemplate" = {sent:%Y/%m/%d}/{key}: KEY_TEMPLATE="{sent:%Y/%m/%d}/{key}": {sent:%Y/%m/%d} looks like a strftime layout, which is not supported`,
		`context "kms" = true: shapes bucket the stack creates; with bucketName/bucketArn the bucket is yours: leave kms at its default`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cdk synth output lacks %q. Output:\n%s", want, out)
		}
	}
}

// TestCfnLint runs cfn-lint over the synthesized templates: the cloud
// template in its default and its fullest variant, and the local one.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not found: pip install cfn-lint")
	}
	variants := map[string]map[string]any{
		"defaults": nil,
		"kms dev": {"kms": "true", "dev": "true", "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:oncall", "retryMaxAttempts": "7",
			"envelope": "sns", "pointerBuckets": "payloads-a,payloads.b", "pointerKeyArn": testPointerKeyArn},
		"local x86":   {"local": "true", "arch": "x86_64"},
		"existing":    {"bucketArn": "arn:aws:s3:::data-lake", "bucketKeyArn": testKeyArn, "queueArn": testQueueArn, "deadLetterQueueArn": testDLQArn, "queueKeyArn": testKeyArn},
		"sns fifo":    {"snsTopicArn": testTopicArn + ".fifo", "fifo": "true", "contentBasedDeduplication": "true"},
		"eventbridge": {"eventPattern": `{"source":["my.app"],"detail-type":["upload"]}`, "eventBusName": "orders"},
	}
	var templates []string
	for name, ctx := range variants {
		outdir, s := synthTo(t, ctx)
		// One folder per variant, named for it, so cfn-lint's report says which.
		dir := filepath.Join(t.TempDir(), strings.ReplaceAll(name, " ", "-"))
		if err := os.Rename(outdir, dir); err != nil {
			t.Fatal(err)
		}
		templates = append(templates, filepath.Join(dir, s.cfg.StackName+".template.json"))
	}
	// One run for all: cfn-lint takes seconds to start.
	// W3005 (DependsOn already implied by a GetAtt) is how CDK always orders
	// a function after its role's policy: not ours to change.
	args := append([]string{"--ignore-checks", "W3005", "--"}, templates...)
	out, err := runTool(t, 2*time.Minute, t.TempDir(), os.Environ(), lint, args...)
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// freePort returns a TCP port on 127.0.0.1 nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startMoto starts moto_server on 127.0.0.1 and a free port in its own
// process group, waits until it accepts connections, and stops it (by its
// process group id) when the test ends. It returns the endpoint URL.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not found: pip install 'moto[server]'")
	}
	port := freePort(t)
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pid, syscall.SIGKILL)
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("moto_server log (last 4 KB):\n%s", tail(string(b), 4096))
			}
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before listening: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server not listening on %s after 30s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// "localhost", not 127.0.0.1: moto finds the template's S3 URL by that
	// host name (with an IP it looks for a bucket named "127").
	return fmt.Sprintf("http://localhost:%d", port)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestDeployToMoto bootstraps and deploys the stack with the pinned CDK CLI
// to a local moto server, reads the outputs back and checks what AWS would
// hold: the queue's redrive and visibility timeout, the function's runtime
// and environment (the DLQ's URL among it), the event source mapping.
func TestDeployToMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the deploy to moto")
	}
	endpoint := startMoto(t)
	o, _ := deployToMoto(t, endpoint, map[string]any{"local": "true"})
	for _, k := range []string{"BucketName", "QueueUrl", "DeadLetterQueueUrl", "FunctionName", "LogGroupName", "DashboardUrl", "KeyPrefix"} {
		if o[k] == "" {
			t.Errorf("output %s is empty; outputs: %v", k, o)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := motoConfig(endpoint)

	q := sqs.NewFromConfig(cfg)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(o["QueueUrl"]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes(%s): %v", o["QueueUrl"], err)
	}
	if got := attrs.Attributes["VisibilityTimeout"]; got != "180" {
		t.Errorf("queue VisibilityTimeout = %s; want 180 (6 × 30s)", got)
	}
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &redrive); err != nil {
		t.Errorf("queue RedrivePolicy = %q: %v", attrs.Attributes["RedrivePolicy"], err)
	}
	if fmt.Sprint(redrive.MaxReceiveCount) != "15" || !strings.HasSuffix(o["DeadLetterQueueUrl"], "/"+lastField(redrive.DeadLetterTargetArn, ":")) {
		t.Errorf("queue RedrivePolicy = %s; want maxReceiveCount 15 to the DLQ %s", attrs.Attributes["RedrivePolicy"], o["DeadLetterQueueUrl"])
	}
	dlqAttrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(o["DeadLetterQueueUrl"]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameMessageRetentionPeriod},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes(%s): %v", o["DeadLetterQueueUrl"], err)
	}
	if got := dlqAttrs.Attributes["MessageRetentionPeriod"]; got != "1209600" {
		t.Errorf("DLQ MessageRetentionPeriod = %s; want 1209600 (14 days)", got)
	}

	l := lambda.NewFromConfig(cfg)
	fc, err := l.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(o["FunctionName"])})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration(%s): %v", o["FunctionName"], err)
	}
	if fc.Runtime != "provided.al2023" || aws.ToString(fc.Handler) != "bootstrap" || aws.ToInt32(fc.Timeout) != 30 {
		t.Errorf("function runtime, handler, timeout = %s, %s, %d; want provided.al2023, bootstrap, 30",
			fc.Runtime, aws.ToString(fc.Handler), aws.ToInt32(fc.Timeout))
	}
	if fc.Environment == nil || fc.Environment.Variables["BUCKET_NAME"] != o["BucketName"] || fc.Environment.Variables["KEY_PREFIX"] != "uploads/" ||
		fc.Environment.Variables["DEAD_LETTER_QUEUE_URL"] != o["DeadLetterQueueUrl"] {
		t.Errorf("function environment = %+v; want BUCKET_NAME=%s, KEY_PREFIX=uploads/, DEAD_LETTER_QUEUE_URL=%s",
			fc.Environment, o["BucketName"], o["DeadLetterQueueUrl"])
	}
	maps, err := l.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(o["FunctionName"])})
	if err != nil {
		t.Fatalf("ListEventSourceMappings: %v", err)
	}
	if len(maps.EventSourceMappings) != 1 {
		t.Fatalf("event source mappings = %d; want 1", len(maps.EventSourceMappings))
	}
	m := maps.EventSourceMappings[0]
	if aws.ToInt32(m.BatchSize) != 10 || len(m.FunctionResponseTypes) != 1 || m.FunctionResponseTypes[0] != "ReportBatchItemFailures" {
		t.Errorf("event source mapping batch size %d, response types %v; want 10, [ReportBatchItemFailures]",
			aws.ToInt32(m.BatchSize), m.FunctionResponseTypes)
	}
}

// motoAccount and motoRegion are where the tests deploy on moto.
const motoAccount, motoRegion = "123456789012", "us-east-1"

// motoConfig is an SDK config for the moto server at endpoint.
func motoConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       motoRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// deployToMoto synthesizes the app with overrides, bootstraps the moto
// server at endpoint and deploys the stack with the pinned CDK CLI, and
// returns the stack's outputs.
func deployToMoto(t *testing.T, endpoint string, overrides map[string]any) (map[string]string, *synthesized) {
	t.Helper()
	cli := cdkCLI(t)

	// The local stack: moto cannot store saved Logs Insights queries.
	outdir, s := synthTo(t, overrides)
	env := toolEnv(t,
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION="+motoRegion, "AWS_DEFAULT_REGION="+motoRegion,
	)
	work := t.TempDir() // no cdk.json here: the CLI reads only --app

	start := time.Now()
	out, err := runTool(t, 2*time.Minute, work, env, cli, "bootstrap", "--no-notices", "--app", outdir,
		fmt.Sprintf("aws://%s/%s", motoAccount, motoRegion))
	if err != nil {
		t.Fatalf("cdk bootstrap: %v\n%s", err, out)
	}
	bootstrapped := time.Now()
	outputs := filepath.Join(work, "outputs.json")
	// --method=direct: moto builds a stack's outputs on CreateStack but not
	// when a change set creates it (the CLI's default), which leaves none.
	out, err = runTool(t, 3*time.Minute, work, env, cli, "deploy", "--no-notices", "--app", outdir,
		"--require-approval", "never", "--method=direct", "--outputs-file", outputs, s.cfg.StackName)
	if err != nil {
		t.Fatalf("cdk deploy: %v\n%s", err, out)
	}
	t.Logf("against moto: cdk bootstrap %s, cdk deploy %s",
		bootstrapped.Sub(start).Round(time.Millisecond), time.Since(bootstrapped).Round(time.Millisecond))

	b, err := os.ReadFile(outputs)
	if err != nil {
		t.Fatalf("read outputs: %v", err)
	}
	var byStack map[string]map[string]string
	if err := json.Unmarshal(b, &byStack); err != nil {
		t.Fatalf("parse outputs %s: %v", b, err)
	}
	return byStack[s.cfg.StackName], s
}

// TestDeployExistingToMoto creates a bucket, a queue and its DLQ on moto
// outside any stack, deploys the stack onto them (bucketName, queueArn,
// deadLetterQueueArn), and checks that the stack created no bucket or
// queue, left the existing queue as it was, and pointed the function and
// its event source at them.
func TestDeployExistingToMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the deploy to moto")
	}
	endpoint := startMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := motoConfig(endpoint)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("data-lake")}); err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("incoming-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	arn := func(name string) string { return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", motoRegion, motoAccount, name) }
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"7"}`, arn("incoming-dlq"))
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("incoming"),
		Attributes: map[string]string{"VisibilityTimeout": "200", "RedrivePolicy": redrive}})
	if err != nil {
		t.Fatal(err)
	}

	o, _ := deployToMoto(t, endpoint, map[string]any{"local": "true", "bucketName": "data-lake",
		"queueArn": arn("incoming"), "deadLetterQueueArn": arn("incoming-dlq")})
	// An imported queue's URL is the one AWS would give
	// (https://sqs.<region>.amazonaws.com/<account>/<name>); moto's own
	// carry its endpoint. The account and name must agree.
	sameQueue := func(url string, q *sqs.CreateQueueOutput) bool {
		return strings.HasSuffix(*q.QueueUrl, strings.TrimPrefix(url, "https://sqs.us-east-1.amazonaws.com"))
	}
	if o["BucketName"] != "data-lake" || !sameQueue(o["QueueUrl"], queue) || !sameQueue(o["DeadLetterQueueUrl"], dlq) {
		t.Errorf("outputs %v; want the existing bucket data-lake and queues %s, %s", o, *queue.QueueUrl, *dlq.QueueUrl)
	}
	buckets, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets.Buckets {
		if name := aws.ToString(b.Name); name != "data-lake" && !strings.HasPrefix(name, "cdk-") {
			t.Errorf("the stack created bucket %s; want none", name)
		}
	}
	queues, err := q.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(queues.QueueUrls) != 2 {
		t.Errorf("queues %v; want only the two existing ones", queues.QueueUrls)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["VisibilityTimeout"] != "200" || !strings.Contains(attrs.Attributes["RedrivePolicy"], "incoming-dlq") {
		t.Errorf("existing queue's attributes changed: %v", attrs.Attributes)
	}

	l := lambda.NewFromConfig(cfg)
	fc, err := l.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(o["FunctionName"])})
	if err != nil {
		t.Fatal(err)
	}
	if v := fc.Environment.Variables; v["BUCKET_NAME"] != "data-lake" || !sameQueue(v["DEAD_LETTER_QUEUE_URL"], dlq) {
		t.Errorf("function environment %v; want BUCKET_NAME=data-lake, DEAD_LETTER_QUEUE_URL=%s", v, *dlq.QueueUrl)
	}
	maps, err := l.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(o["FunctionName"])})
	if err != nil {
		t.Fatal(err)
	}
	if len(maps.EventSourceMappings) != 1 || aws.ToString(maps.EventSourceMappings[0].EventSourceArn) != arn("incoming") {
		t.Errorf("event source mappings %+v; want one, on %s", maps.EventSourceMappings, arn("incoming"))
	}
}

func lastField(s, sep string) string {
	return s[strings.LastIndex(s, sep)+1:]
}

// TestDeployWithoutCredentialsFailsFast: `cdk deploy` with no AWS credentials
// anywhere must stop at once with the CLI's own message, not hang.
func TestDeployWithoutCredentialsFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the CDK CLI")
	}
	cli := cdkCLI(t)
	outdir, s := synthTo(t, nil)
	start := time.Now()
	out, err := runTool(t, time.Minute, t.TempDir(), toolEnv(t), cli, "deploy", "--no-notices", "--app", outdir, s.cfg.StackName)
	elapsed := time.Since(start)
	t.Logf("cdk deploy without credentials: %s", elapsed.Round(time.Millisecond))
	if err == nil {
		t.Fatalf("cdk deploy without credentials succeeded:\n%s", out)
	}
	if !strings.Contains(out, "Unable to resolve AWS account") {
		t.Errorf("cdk deploy without credentials said:\n%s\nwant %q", out, "Unable to resolve AWS account")
	}
	if elapsed > 30*time.Second {
		t.Errorf("cdk deploy without credentials took %s; want a quick failure", elapsed)
	}
}
