package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s3uploader/s3uploader/pkg/proc"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

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
// log; Ctrl-C (ctx) stops the whole group. Its error is the command's
// (an exit status): the caller names the step and its log (stepError).
func runCmd(ctx context.Context, dir string, env []string, log io.Writer, name string, args ...string) error {
	fmt.Fprintf(log, "\n$ %s %s\n", filepath.Base(name), strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = log, log
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
	return p.Err()
}

// contextArgs turns the run's CDK context into -c flags, sorted by key:
// arch, local, dev and stackName, then the caller's and the demo's
// defaults derived from them (localContext), the caller's winning. With
// -existing the settings of the queue (queueShaping) shape the queue the
// demo makes, not the stack.
func contextArgs(cfg Config) []string {
	ctx := map[string]string{"arch": cfg.Arch, "local": "true", "dev": "true", "stackName": cfg.Stack}
	for k, v := range localContext(cfg.Ctx) {
		if cfg.Existing && queueShaping[k] {
			continue
		}
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
// cdk deploy, as to an account. --method=direct: moto records a stack's
// outputs when CreateStack makes it, not when a change set does.
func deploy(ctx context.Context, cfg Config, endpoint, assembly string, log io.Writer) error {
	return runCmd(ctx, cfg.Root, cdkEnv(endpoint), log, cfg.CDK, "deploy", "--no-notices", "--app", assembly,
		"--require-approval", "never", "--method=direct", "--progress", "events", cfg.Stack)
}

// standUp starts a local AWS and deploys the stack to it with the CDK CLI,
// as to an account: cdk synth (which builds the bootstrap and needs no AWS)
// runs while moto starts and cdk bootstrap prepares the account, then
// before makes what the stack is deployed onto (its line goes to step,
// unless ""), then cdk deploy. stop stops moto and closes the logs in
// work; it is never nil, and srv is set as soon as moto runs, even when a
// later step fails.
func standUp(ctx context.Context, cfg Config, work string, step func(string, time.Time),
	before func(context.Context, *moto.Server) (string, error)) (srv *moto.Server, stop func(), err error) {
	var undo []func()
	stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	t := time.Now()
	synthLog, err := os.Create(filepath.Join(work, "cdk-synth.log"))
	if err != nil {
		return nil, stop, err
	}
	undo = append(undo, func() { synthLog.Close() })
	synthCtx, cancelSynth := context.WithCancel(ctx)
	type synthResult struct {
		assembly string
		err      error
	}
	synthDone := make(chan synthResult, 1)
	go func() {
		assembly, err := synth(synthCtx, cfg, filepath.Join(work, "cdk.out"), synthLog)
		if err == nil && cfg.App == "" {
			step("cdk synth (builds the bootstrap, "+cfg.Arch+")", t)
		}
		synthDone <- synthResult{assembly, err}
	}()
	// Returning early stops synth and waits for it.
	waitSynth := sync.OnceValue(func() synthResult { return <-synthDone })
	undo = append(undo, func() { cancelSynth(); waitSynth() })

	motoLog, err := os.Create(filepath.Join(work, "moto.log"))
	if err != nil {
		return nil, stop, err
	}
	undo = append(undo, func() { motoLog.Close() })
	if srv, err = moto.Start(ctx, motoLog); err != nil {
		return nil, stop, &stepError{Step: "local AWS", Log: motoLog.Name(), Err: err}
	}
	undo = append(undo, srv.Stop)
	step(fmt.Sprintf("moto_server on 127.0.0.1:%d (pid %d)", srv.Port, srv.Pid()), t)

	cdkLog, err := os.Create(filepath.Join(work, "cdk.log"))
	if err != nil {
		return srv, stop, err
	}
	undo = append(undo, func() { cdkLog.Close() })
	tb := time.Now()
	if err := bootstrap(ctx, cfg, srv.Endpoint, work, cdkLog); err != nil {
		return srv, stop, &stepError{Step: "cdk bootstrap", Log: cdkLog.Name(), Err: err}
	}
	step("cdk bootstrap "+bootstrapEnv, tb)
	tb = time.Now()
	if made, err := before(ctx, srv); err != nil {
		return srv, stop, err
	} else if made != "" {
		step(made, tb)
	}
	r := waitSynth()
	if r.err != nil {
		return srv, stop, &stepError{Step: "cdk synth", Log: synthLog.Name(), Err: r.err}
	}
	assembly, err := localAssembly(cfg, r.assembly, work, step)
	if err != nil {
		return srv, stop, err
	}
	td := time.Now()
	if err := deploy(ctx, cfg, srv.Endpoint, assembly, cdkLog); err != nil {
		return srv, stop, &stepError{Step: "cdk deploy", Log: cdkLog.Name(), Err: err}
	}
	step("cdk deploy "+cfg.Stack, td)
	return srv, stop, nil
}
