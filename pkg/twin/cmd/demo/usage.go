package main

import (
	"flag"
	"fmt"
)

// usageText is what -h prints above the flags.
const usageText = `demo runs this project's S3 uploader stack locally, with no AWS account
and no Docker: it starts moto (a local AWS) on 127.0.0.1, deploys the CDK
stack to it with the real CDK CLI (cdk synth, bootstrap, deploy), runs the
deployed function under the Lambda Runtime Interface Emulator fed by a
local SQS event source, writing to S3 through a throttle that answers
503 SlowDown, sends messages (a few of them poison), waits until the
queue drains, checks every object byte for byte, and prints a summary and
a chart of the run. It exits 1 when a message was lost; Ctrl-C stops
everything it started.

-source sns or -source eventbridge sends through moto's SNS or EventBridge,
which write the envelopes the function reads; -groups N sends through FIFO
queues in N message groups and checks each group was stored in order;
-existing deploys onto a bucket and queues made beforehand, outside the
stack.

Usage:
  make demo DEMO_ARGS="[flags]"
  go run ./pkg/twin/cmd/demo [flags]

Flags:
`

// usage prints the description, the usage lines and every flag of fs to
// its output; it is fs's Usage.
func usage(fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
}
