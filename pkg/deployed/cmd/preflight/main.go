// Command preflight checks, before `make deploy` or `make destroy` runs the CDK CLI, that the AWS profile named by -profile or AWS_PROFILE (if any) exists, that a region is set and that the credentials found are accepted by STS, printing the identity STS names or one line saying what is missing and how to fix it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type options struct {
	profile string // empty: AWS_PROFILE, else the default profile
	action  string // "deploy" or "destroy"
}

func main() {
	var o options
	flag.StringVar(&o.profile, "profile", "", "AWS profile, as AWS_PROFILE (default: AWS_PROFILE, else the default profile)")
	flag.StringVar(&o.action, "action", "deploy", "what comes next, for the line printed: deploy or destroy")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	line, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "preflight: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(line)
}

var verbs = map[string]string{"deploy": "deploying", "destroy": "destroying"}

// run sets the environment up as the CDK CLI does and checks it.
func run(ctx context.Context, o options) (string, error) {
	verb, ok := verbs[o.action]
	if !ok {
		return "", fmt.Errorf("-action %q: want deploy or destroy", o.action)
	}
	cliEnvironment(o.profile)
	return check(ctx, verb)
}
