// Command fn is a tiny Lambda function for the rie and esm tests. Its
// behaviour is chosen by the payload:
//
//	{"sleep_ms": 50}          wait (deaf to the deadline), then answer like echo
//	{"error": "boom"}         return an error
//	{"panic": true}           panic
//	{"exit": 3}               exit with that code, answering nothing
//	{"raw": <any JSON>}       answer with that value as is
//	anything else             answer with the payload itself
//
// An SQS event is answered with a batchItemFailures list naming every
// record whose body starts with "fail".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type command struct {
	SleepMS int             `json:"sleep_ms"`
	Error   string          `json:"error"`
	Panic   bool            `json:"panic"`
	Exit    int             `json:"exit"`
	Raw     json.RawMessage `json:"raw"`
	Records []events.SQSMessage
}

func handle(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	var c command
	_ = json.Unmarshal(payload, &c)
	fmt.Printf("{\"level\":\"INFO\",\"msg\":\"invoked\",\"bytes\":%d}\n", len(payload))
	if c.SleepMS > 0 {
		// Deaf to ctx on purpose: a function that overruns its timeout is
		// stopped by the emulator ("Task timed out"). Returning at ctx's
		// deadline instead raced the emulator's own timeout: on a
		// clean-clone CI run the timeout test got deadlineExceededError.
		time.Sleep(time.Duration(c.SleepMS) * time.Millisecond)
	}
	switch {
	case c.Error != "":
		return nil, errors.New(c.Error)
	case c.Panic:
		panic("asked to panic")
	case c.Exit != 0:
		os.Exit(c.Exit)
	case c.Raw != nil:
		return c.Raw, nil
	case len(c.Records) > 0:
		var resp events.SQSEventResponse
		for _, r := range c.Records {
			if strings.HasPrefix(r.Body, "fail") {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
			if strings.HasPrefix(r.Body, "sleep") {
				time.Sleep(3 * time.Second)
			}
		}
		return json.Marshal(resp)
	}
	return payload, nil
}

func main() { lambda.Start(handle) }
