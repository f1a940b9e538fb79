package invoke

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/s3uploader/s3uploader/pkg/sqsroute"
	"github.com/s3uploader/s3uploader/pkg/sqssim"
)

// Print writes res for a person: the event, the function's response, its
// log, the objects it wrote, its dead letters and redelivery delays.
// Paths are shown relative to dir when they are under it.
func (res *Result) Print(w io.Writer, dir string) {
	recs := res.Event.SQS.Records
	fmt.Fprintf(w, "event     %s: %d record(s) from %s\n", rel(dir, res.Event.Path), len(recs), recs[0].EventSourceARN)
	fmt.Fprintf(w, "function  %s, BUCKET_NAME=%s%s\n\n", res.Env["AWS_LAMBDA_FUNCTION_NAME"], res.Env["BUCKET_NAME"], res.settings())

	fmt.Fprintln(w, "== response")
	if res.Err != nil {
		fmt.Fprintf(w, "function error %s: %s\n", res.Err.Type, res.Err.Message)
	} else {
		fmt.Fprintf(w, "%s\n", res.Response)
	}
	fmt.Fprintln(w, "\n== log")
	for _, l := range res.Log {
		fmt.Fprintln(w, l)
	}
	if res.Err != nil {
		fmt.Fprintln(w, "\n== emulator")
		for _, l := range res.Emulator {
			fmt.Fprintln(w, l)
		}
	}
	fmt.Fprintf(w, "\n== objects written: %d\n", len(res.Objects))
	for _, o := range res.Objects {
		fmt.Fprintf(w, "s3://%s/%s  %d bytes  %s\n", o.Bucket, o.Key, len(o.Body), cmp.Or(o.ContentType, "(no content type)"))
		if o.Copy != "" {
			fmt.Fprintf(w, "    copy: %s\n", rel(dir, o.Copy))
		} else {
			fmt.Fprintln(w, "    (no copy: the key cannot name a file)")
		}
	}
	fmt.Fprintf(w, "\n== dead letters: %d in %s\n", len(res.DeadLetters), res.DLQ)
	for _, m := range res.DeadLetters {
		printDeadLetter(w, m)
	}
	if len(res.Delays) > 0 {
		fmt.Fprintf(w, "\n== redelivery delays: %d\n", len(res.Delays))
		for _, d := range res.Delays {
			fmt.Fprintf(w, "%s: hidden in %s for %d s, then delivered again\n", d.MessageID, d.Queue, d.Seconds)
		}
	}
}

// settings lists the -env settings of the function's own variables, the
// ones that change what it does.
func (res *Result) settings() string {
	var b strings.Builder
	for _, k := range []string{"KEY_PREFIX", "KEY_TEMPLATE", "ENVELOPE", "POINTER_BUCKETS"} {
		if v, ok := res.Env[k]; ok {
			fmt.Fprintf(&b, ", %s=%s", k, v)
		}
	}
	return b.String()
}

func printDeadLetter(w io.Writer, m sqssim.Message) {
	fmt.Fprintf(w, "%s: %s\n", m.Attributes[sqsroute.AttrMessageID].String, Reason(m))
	fmt.Fprintf(w, "    body (%d bytes): %s\n", len(m.Body), quote(m.Body, 200))
	var theirs, ours []string
	for _, k := range slices.Sorted(maps.Keys(m.Attributes)) {
		a := k + "=" + quote(m.Attributes[k].String, 120)
		if strings.HasPrefix(m.Attributes[k].DataType, "Binary") {
			a = fmt.Sprintf("%s=(%d bytes, binary)", k, len(m.Attributes[k].Binary))
		}
		switch {
		case k == sqsroute.AttrDetail: // in the first line
		case strings.HasPrefix(k, "failure."):
			ours = append(ours, a)
		default:
			theirs = append(theirs, a)
		}
	}
	if len(theirs) > 0 {
		fmt.Fprintf(w, "    message attributes: %s\n", strings.Join(theirs, " "))
	}
	fmt.Fprintf(w, "    %s\n", strings.Join(ours, " "))
}

// quote quotes s in Go syntax, at most n bytes of it.
func quote(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "…"
}

// rel is path relative to dir, when it is under dir.
func rel(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(r) {
		return r
	}
	return path
}
