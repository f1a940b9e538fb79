package main

import (
	"time"
)

// The demo deploys with short timeouts, so that it runs at a human pace:
// the function dead-letters poison at once, and a record that failed for
// now comes back after 0.5 to 1 s at first, at most 30 s, not minutes (the
// stack's defaults: 30 s function timeout, 2 s to 15 min redelivery). With
// 15 receives (maxReceiveCount) that keeps a good message out of the DLQ
// for about 5 minutes of a throttled S3. Every one of these settings is a
// default: a -c value wins, and the settings tied to the function timeout
// follow the one in use.
const (
	demoFunctionTimeout = 2 * time.Second
	// visibilityTimeouts is the visibility timeout in function timeouts
	// (plus the batching window): 4 s for the demo's 2 s, not the 6 × a
	// stack in an account gets. The six times cover Lambda's own retries
	// of a throttled invocation, which the local event source never
	// makes (context "local" allows down to 1 ×).
	visibilityTimeouts = 2
	// demoAttemptTimeout bounds one S3 PUT; at most half the function
	// timeout, so that a retry fits in an invocation.
	demoAttemptTimeout = time.Second
	// demoDeadlineMargin is the time the function keeps to answer before
	// its deadline; at most a quarter of the function timeout.
	demoDeadlineMargin = 500 * time.Millisecond
	demoRedeliveryBase = time.Second
	demoRedeliveryMax  = 30 * time.Second
)

// The stack's ranges (infra's settings table) of the two settings the
// demo derives from: a value outside them is the stack's to refuse, and
// the demo derives nothing from it.
const (
	minFunctionTimeout = time.Second
	maxFunctionTimeout = 900 * time.Second
	maxBatchingWindow  = 300 * time.Second
)

// localContext is the CDK context the demo deploys with besides arch,
// local, dev and stackName: every value given (-c, and what -envelope and
// -pointer set) as given, and the demo's defaults for the settings left
// out, derived from the ones given. The visibility timeout is
// visibilityTimeouts function timeouts plus the batching window; the
// attempt timeout and the deadline margin stay below the function
// timeout; the longest redelivery delay is not below the first. A
// function timeout or batching window the stack would refuse is passed on
// alone, so the synth fails with one error that quotes it, not with
// others that follow from it.
func localContext(given contextFlags) map[string]string {
	ctx := map[string]string{}
	for k, v := range given {
		ctx[k] = v
	}
	setDefault := func(key string, d time.Duration) {
		if _, ok := ctx[key]; !ok {
			ctx[key] = d.String()
		}
	}
	timeout, timeoutOK := demoFunctionTimeout, true
	if v, ok := given["functionTimeout"]; ok {
		timeout, timeoutOK = stackDuration(v, minFunctionTimeout, maxFunctionTimeout)
	}
	window, windowOK := time.Duration(0), true
	if v, ok := given["maxBatchingWindow"]; ok {
		window, windowOK = stackDuration(v, 0, maxBatchingWindow)
	}
	if timeoutOK {
		setDefault("functionTimeout", timeout)
		setDefault("attemptTimeout", min(demoAttemptTimeout, timeout/2))
		setDefault("deadlineMargin", min(demoDeadlineMargin, timeout/4))
	}
	if timeoutOK && windowOK {
		setDefault("visibilityTimeout", visibilityTimeouts*timeout+window)
	}
	setDefault("redeliveryBaseDelay", demoRedeliveryBase)
	longest := demoRedeliveryMax
	if base, err := time.ParseDuration(ctx["redeliveryBaseDelay"]); err == nil {
		longest = max(longest, base)
	}
	setDefault("redeliveryMaxDelay", longest)
	return ctx
}

// stackDuration reads v as the stack reads a duration setting: a Go
// duration of whole seconds from lo to hi.
func stackDuration(v string, lo, hi time.Duration) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil || d%time.Second != 0 || d < lo || d > hi {
		return 0, false
	}
	return d, true
}
