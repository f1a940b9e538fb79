// Command invoke runs the uploader function once on one SQS event file, as
// `sam local invoke -e event.json` would: `make invoke EVENT=FILE`. See
// package invoke; `make events` lists the sample events.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/s3uploader/s3uploader/pkg/invoke"
)

// program is the name the usage gives: `go run` would show
// the path of a temporary binary.
const program = "make invoke"

func main() {
	var o invoke.Options
	o.Flags(flag.CommandLine)
	list := flag.Bool("list", false, "list the sample events of "+invoke.SamplesDir+", each with the command that invokes it, and exit (make events)")
	flag.CommandLine.Usage = usage
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected argument %q: flags go before it, as -name value", flag.Arg(0)), 2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *list {
		if err := invoke.ListSamples(os.Stdout, o.Root); err != nil {
			fail(err, 1)
		}
		return
	}
	res, err := invoke.Run(ctx, o)
	if err != nil {
		fail(err, 1)
	}
	wd, _ := os.Getwd()
	res.Print(os.Stdout, wd)
	if res.Err != nil {
		stop()
		fail(errors.New("the function failed (see the response and the log above)"), 1)
	}
}

func fail(err error, code int) {
	fmt.Fprintf(os.Stderr, "invoke: %v\n", err)
	os.Exit(code)
}

func usage() {
	w := flag.CommandLine.Output()
	fmt.Fprintf(w, `usage: %s EVENT=FILE [INVOKE_ARGS="-env KEY=VALUE -object BUCKET/KEY=FILE ..."]
       go run ./pkg/invoke/cmd/invoke -event FILE [flags]

Invoke runs the uploader function once on the SQS event in FILE, as Lambda
would, on this machine: it builds the function's bootstrap for linux/GOARCH
(.build/invoke/bootstrap), starts an in-process S3 and SQS on 127.0.0.1,
runs the bootstrap under the Lambda Runtime Interface Emulator (make rie)
with the function's environment pointing at them, sends it the event, then
prints the function's response, its log (START, END and REPORT included),
each object it wrote (with a copy under .build/invoke/s3/BUCKET/KEY) and
each dead letter it sent with the reason, and stops what it started. It
exits 1 when the function fails. The sample events are in
%s (make events lists them).

flags:
`, program, invoke.SamplesDir)
	flag.PrintDefaults()
}
