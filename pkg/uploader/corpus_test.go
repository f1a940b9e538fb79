package uploader

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// corpusEntry is one file of testdata/corpus: an event as Lambda hands it to
// the function, and what must come of it.
type corpusEntry struct {
	About string `json:"about"`
	// Env is extra environment for the function (ENVELOPE, POINTER_BUCKETS, ...).
	Env map[string]string `json:"env"`
	// The payload: JSON, or raw text, or raw bytes in base64 (for bytes that
	// are not UTF-8). In its text, each key of Expand is replaced by its
	// character repeated Times times (large values without large files).
	Payload       json.RawMessage `json:"payload"`
	PayloadText   *string         `json:"payloadText"`
	PayloadBase64 string          `json:"payloadBase64"`
	Expand        map[string]struct {
		Repeat string `json:"repeat"`
		Times  int    `json:"times"`
	} `json:"expand"`
	Want struct {
		Error  string   `json:"error"`  // a part of the invocation's error; "" means it must succeed
		Failed []string `json:"failed"` // batchItemFailures, exactly
		// The bucket afterwards, exactly: key → body as text, base64, or a
		// character repeated (keys expand too).
		Stored map[string]struct {
			Body   *string `json:"body"`
			Base64 *string `json:"base64"`
			Repeat string  `json:"repeat"`
			Times  int     `json:"times"`
		} `json:"stored"`
		Logs []map[string]any `json:"logs"` // each must match a line (these fields, at least)
	} `json:"want"`
}

// payloadMarker is in every body and attribute of the corpus that carries
// data: no log line may hold it.
const payloadMarker = "S3CR3T"

// TestBadInputCorpus sends every event of testdata/corpus through the
// function's real entry path (lambda.NewHandler over the Handler, as
// lambda.Start does), with the real S3 client against the in-process S3, and
// checks the response, the bucket and the log lines. No entry may panic, and
// no log line may hold payload bytes.
func TestBadInputCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("corpus: %d files, %v; want at least 15", len(files), err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c corpusEntry
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("corpus file: %v", err)
			}
			expand := func(s string) string {
				for k, v := range c.Expand {
					s = strings.ReplaceAll(s, k, strings.Repeat(v.Repeat, v.Times))
				}
				return s
			}
			var payload []byte
			switch {
			case c.PayloadText != nil:
				payload = []byte(*c.PayloadText)
			case c.PayloadBase64 != "":
				if payload, err = base64.StdEncoding.DecodeString(c.PayloadBase64); err != nil {
					t.Fatal(err)
				}
			default:
				payload = c.Payload
			}
			payload = []byte(expand(string(payload)))

			e := newEnv(t, nil, c.Env)
			out, err := lambda.NewHandler(e.handler).Invoke(context.Background(), payload)
			switch {
			case c.Want.Error == "" && err != nil:
				t.Fatalf("Invoke error = %v; want success (%s)", err, c.About)
			case c.Want.Error != "" && (err == nil || !strings.Contains(err.Error(), c.Want.Error)):
				t.Fatalf("Invoke error = %v; want one containing %q", err, c.Want.Error)
			}
			if err == nil {
				var resp events.SQSEventResponse
				if err := json.Unmarshal(out, &resp); err != nil {
					t.Fatalf("response %s: %v", out, err)
				}
				got := failedIDs(resp)
				want := append([]string{}, c.Want.Failed...)
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("batchItemFailures = %v; want %v", got, want)
				}
			}

			var wantKeys []string
			for key, w := range c.Want.Stored {
				key = expand(key)
				wantKeys = append(wantKeys, key)
				var body []byte
				switch {
				case w.Body != nil:
					body = []byte(*w.Body)
				case w.Base64 != nil:
					body, _ = base64.StdEncoding.DecodeString(*w.Base64)
				default:
					body = bytes.Repeat([]byte(w.Repeat), w.Times)
				}
				got, _, ok := e.object(key)
				if !ok {
					t.Errorf("object %.80q missing", key)
				} else if !bytes.Equal(got, body) {
					t.Errorf("object %.80q = %d bytes %.40q; want %d bytes %.40q", key, len(got), got, len(body), body)
				}
			}
			gotKeys := e.keys()
			sort.Strings(gotKeys)
			sort.Strings(wantKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Errorf("bucket holds %.300q; want exactly %.300q", gotKeys, wantKeys)
			}

			logs := e.logs.String()
			if strings.Contains(logs, payloadMarker) {
				t.Errorf("payload bytes in the logs:\n%.2000s", logs)
			}
			lines := e.logLines()
			for _, want := range c.Want.Logs {
				if !slices.ContainsFunc(lines, func(l map[string]any) bool { return matches(l, want) }) {
					t.Errorf("no log line matches %v; lines:\n%.3000s", want, logs)
				}
			}
			// Every record that failed has its ERROR line with a reason.
			for _, id := range c.Want.Failed {
				if !slices.ContainsFunc(lines, func(l map[string]any) bool {
					return l["level"] == "ERROR" && l["messageId"] == id && l["reason"] != ""
				}) {
					t.Errorf("failed record %s has no ERROR line with a reason", id)
				}
			}
		})
	}
}

func matches(line, want map[string]any) bool {
	for k, v := range want {
		if line[k] != v {
			return false
		}
	}
	return true
}
