package invoke

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSamplesTableListsEveryFile: the README's table names exactly the
// files of the samples folder (README.md aside), each once, each row's
// command invokes its own file with flags the command knows, and every
// file of payloads/ is seeded by some command.
func TestSamplesTableListsEveryFile(t *testing.T) {
	dir := filepath.Join(root, SamplesDir)
	samples, err := ReadSamples(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files, listed []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "README.md" {
			files = append(files, e.Name())
		}
	}
	commands := ""
	for _, s := range samples {
		listed = append(listed, s.File)
		o := parseCommand(t, s)
		if want := SamplesDir + "/" + s.File; o.Event != want {
			t.Errorf("%s: command sends %s; want %s", s.File, o.Event, want)
		}
		if s.About == "" || s.Outcome == "" {
			t.Errorf("%s: row has no description or no outcome", s.File)
		}
		commands += s.Command + "\n"
	}
	slices.Sort(files)
	slices.Sort(listed)
	if !slices.Equal(files, listed) {
		t.Errorf("README table lists %v; the folder holds %v", listed, files)
	}
	payloads, err := os.ReadDir(filepath.Join(dir, "payloads"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, p := range payloads {
		if !strings.Contains(commands, "="+SamplesDir+"/payloads/"+p.Name()) {
			t.Errorf("payloads/%s is seeded by no command of the table", p.Name())
		}
	}
}

// TestSamplesAreLambdaEvents: each sample reads as an SQS event, with
// the fields Lambda sets on every record.
func TestSamplesAreLambdaEvents(t *testing.T) {
	samples, err := ReadSamples(filepath.Join(root, SamplesDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		ev, err := ReadEvent(filepath.Join(root, SamplesDir, s.File))
		if err != nil {
			t.Errorf("ReadEvent(%s) = %v", s.File, err)
			continue
		}
		for i, r := range ev.SQS.Records {
			if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody == "" || r.AWSRegion != "us-east-1" ||
				r.Attributes["ApproximateReceiveCount"] == "" || r.Attributes["SentTimestamp"] == "" ||
				!strings.HasPrefix(r.EventSourceARN, "arn:aws:sqs:us-east-1:123456789012:") {
				t.Errorf("%s: record %d lacks a field Lambda sets: %+v", s.File, i+1, r)
			}
		}
	}
}

// TestReadEventErrors: a file that cannot be sent gets one line naming
// the file and the problem.
func TestReadEventErrors(t *testing.T) {
	tests := map[string]struct {
		content *string // nil: no file
		want    string
	}{
		"missing":    {nil, "no such file"},
		"empty":      {ptr(""), "is empty"},
		"not JSON":   {ptr("{\n  \"Records\": [,]\n}"), "is not JSON: invalid character ',' looking for beginning of value (line 2, column 15)"},
		"array":      {ptr(`[{"eventSource":"aws:sqs"}]`), "is not an SQS event: it is JSON but not an object"},
		"no Records": {ptr(`{"detail-type":"x","source":"y"}`), `is not an SQS event: it has no "Records" list`},
		"no records": {ptr(`{"Records":[]}`), "its Records list is empty"},
		"S3 event":   {ptr(`{"Records":[{"eventSource":"aws:s3","s3":{}}]}`), `record 1 has eventSource "aws:s3", not "aws:sqs"`},
		"bad field":  {ptr(`{"Records":[{"eventSource":"aws:sqs","body":7}]}`), "is not an SQS event: Records.body is a JSON number, not string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "event.json")
			if tc.content != nil {
				if err := os.WriteFile(path, []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadEvent(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ReadEvent(%s) = %v; want one line naming the file and %q", name, err, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestFlagValues: -env refuses what points the function at the local S3
// and SQS; -object wants BUCKET/KEY=FILE with a bucket's name.
func TestFlagValues(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string // a part of the error; "" for none
	}{
		"env":             {[]string{"-env", "ENVELOPE=sns", "-env", "KEY_PREFIX="}, ""},
		"env endpoint":    {[]string{"-env", "AWS_ENDPOINT_URL_S3=http://x"}, "set by invoke"},
		"env credentials": {[]string{"-env", "AWS_ACCESS_KEY_ID=x"}, "set by invoke"},
		"env no value":    {[]string{"-env", "ENVELOPE"}, "want KEY=VALUE"},
		"env bad name":    {[]string{"-env", "1X=y"}, "not an environment variable's name"},
		"object":          {[]string{"-object", "my-bucket/a/b.csv=x.csv"}, ""},
		"object no file":  {[]string{"-object", "my-bucket/a"}, "want BUCKET/KEY=FILE"},
		"object no key":   {[]string{"-object", "my-bucket=x"}, "want BUCKET/KEY=FILE"},
		"object bucket":   {[]string{"-object", "My_Bucket/a=x"}, "not a bucket name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var o Options
			fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
			fs.SetOutput(new(strings.Builder))
			o.Flags(fs)
			err := fs.Parse(tc.args)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Parse(%q) = %v; want %q", tc.args, err, tc.want)
			}
		})
	}
	var o Options
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	o.Flags(fs)
	if err := fs.Parse([]string{"-env", "A=1", "-env", "A=2", "-object", "b-1/k/x=y=z"}); err != nil {
		t.Fatal(err)
	}
	if v := functionVars(o.Env, "us-east-1")["A"]; v != "2" {
		t.Errorf("-env A=1 -env A=2 gives A=%q; want the last, 2", v)
	}
	if want := (Seed{"b-1", "k/x", "y=z"}); len(o.Objects) != 1 || o.Objects[0] != want {
		t.Errorf("-object b-1/k/x=y=z = %+v; want %+v", o.Objects, want)
	}
}
