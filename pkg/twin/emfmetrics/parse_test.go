package emfmetrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/s3uploader/s3uploader/pkg/emf"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 123e6, time.UTC)

// written is d as emf.Document.Write writes it.
func written(t *testing.T, d emf.Document) string {
	t.Helper()
	var b strings.Builder
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// show renders datums one a line, for comparing and for failure messages.
func show(ds []Datum) string {
	var lines []string
	for _, d := range ds {
		dims := make([]string, 0, len(d.Dimensions))
		for _, dim := range d.Dimensions {
			dims = append(dims, dim.Name+"="+dim.Value)
		}
		lines = append(lines, fmt.Sprintf("%s/%s{%s} %s res=%d %v %s",
			d.Namespace, d.Name, strings.Join(dims, ","), d.Unit, d.StorageResolution, d.Values, d.Time.Format(time.RFC3339Nano)))
	}
	return strings.Join(lines, "\n")
}

func TestParse(t *testing.T) {
	ts := "2026-11-29T10:00:00.123Z"
	ms := t0.UnixMilli()
	doc := func(cwm, members string) string {
		return fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":%s}%s}`, ms, cwm, members)
	}
	tests := map[string]struct {
		line string
		want []string
	}{
		"uploader document": {
			line: written(t, emf.Document{
				Namespace: "S3Uploader", Dimensions: map[string]string{"FunctionName": "uploader"}, Time: t0,
				Metrics: []emf.Metric{
					{Name: "Received", Unit: "Count", Value: 10},
					{Name: "Uploaded", Unit: "Count", Value: 8},
					{Name: "Retries", Unit: "Count", Value: 3},
				},
			}),
			want: []string{
				"S3Uploader/Received{FunctionName=uploader} Count res=60 [10] " + ts,
				"S3Uploader/Uploaded{FunctionName=uploader} Count res=60 [8] " + ts,
				"S3Uploader/Retries{FunctionName=uploader} Count res=60 [3] " + ts,
			},
		},
		"written, no dimensions, no unit": {
			line: written(t, emf.Document{Namespace: "N", Time: t0, Metrics: []emf.Metric{{Name: "Latency", Value: 1.5}}}),
			want: []string{"N/Latency{} None res=60 [1.5] " + ts},
		},
		"written, two dimensions in sorted order": {
			line: written(t, emf.Document{Namespace: "N", Time: t0,
				Dimensions: map[string]string{"Stage": "dev", "FunctionName": "f"},
				Metrics:    []emf.Metric{{Name: "Bytes", Unit: "Bytes", Value: 512}}}),
			want: []string{"N/Bytes{FunctionName=f,Stage=dev} Bytes res=60 [512] " + ts},
		},
		"several dimension sets": {
			line: doc(`[{"Namespace":"N","Dimensions":[["FunctionName"],["FunctionName","Stage"],[]],"Metrics":[{"Name":"A","Unit":"Count"},{"Name":"B"}]}]`,
				`,"FunctionName":"f","Stage":"dev","A":1,"B":2,"requestId":"r-1"`),
			want: []string{
				"N/A{FunctionName=f} Count res=60 [1] " + ts,
				"N/B{FunctionName=f} None res=60 [2] " + ts,
				"N/A{FunctionName=f,Stage=dev} Count res=60 [1] " + ts,
				"N/B{FunctionName=f,Stage=dev} None res=60 [2] " + ts,
				"N/A{} Count res=60 [1] " + ts,
				"N/B{} None res=60 [2] " + ts,
			},
		},
		"two directives, two namespaces": {
			line: doc(`[{"Namespace":"N1","Dimensions":[[]],"Metrics":[{"Name":"A"}]},{"Namespace":"N2","Dimensions":[["D"]],"Metrics":[{"Name":"A"}]}]`,
				`,"A":7,"D":"x"`),
			want: []string{"N1/A{} None res=60 [7] " + ts, "N2/A{D=x} None res=60 [7] " + ts},
		},
		"array of values, duplicates kept": {
			line: doc(`[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]`, `,"Latency":[3,1,3,2.5]`),
			want: []string{"N/Latency{} Milliseconds res=60 [3 1 3 2.5] " + ts},
		},
		"high resolution": {
			line: doc(`[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A","Unit":"Count/Second","StorageResolution":1},{"Name":"B","StorageResolution":60}]}]`, `,"A":1,"B":2`),
			want: []string{"N/A{} Count/Second res=1 [1] " + ts, "N/B{} None res=60 [2] " + ts},
		},
		"no directives":       {line: doc(`[]`, ``)},
		"plain text":          {line: "START RequestId: 8f5e Version: $LATEST"},
		"empty line":          {line: ""},
		"JSON without _aws":   {line: `{"level":"INFO","msg":"upload retry","Retries":3}`},
		"JSON array":          {line: `[{"_aws":{}}]`},
		"truncated JSON":      {line: `{"_aws":{"Timestamp":1,`},
		"object then garbage": {line: doc(`[]`, ``) + " trailing"},
		"nested _aws only":    {line: `{"log":{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}}`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q) error %v", tt.line, err)
			}
			if want := strings.Join(tt.want, "\n"); show(got) != want {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tt.line, show(got), want)
			}
			if tt.want == nil && got != nil {
				t.Errorf("Parse(%q) = %#v; want nil", tt.line, got)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	ms := t0.UnixMilli()
	// doc has one directive with the given dimensions and metrics.
	doc := func(dims, metrics, members string) string {
		return fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":%s,"Metrics":%s}]}%s}`, ms, dims, metrics, members)
	}
	thirtyOne := make([]string, 31)
	members := ""
	for i := range thirtyOne {
		thirtyOne[i] = fmt.Sprintf("%q", fmt.Sprintf("D%d", i))
		members += fmt.Sprintf(`,"D%d":"v"`, i)
	}
	hundredOne := strings.TrimSuffix(strings.Repeat("1,", 101), ",")
	tests := map[string]struct{ line, want string }{
		"_aws not an object":    {`{"_aws":[]}`, "emf: _aws is not an object"},
		"_aws null":             {`{"_aws":null}`, "emf: _aws is not an object"},
		"no timestamp":          {`{"_aws":{"CloudWatchMetrics":[]}}`, "emf: _aws has no Timestamp"},
		"timestamp a string":    {`{"_aws":{"Timestamp":"1764410400123","CloudWatchMetrics":[]}}`, `emf: Timestamp "1764410400123" is not an integer (epoch milliseconds)`},
		"timestamp fractional":  {`{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[]}}`, "emf: Timestamp 1.5 is not an integer (epoch milliseconds)"},
		"no CloudWatchMetrics":  {`{"_aws":{"Timestamp":1}}`, "emf: _aws has no CloudWatchMetrics"},
		"CloudWatchMetrics obj": {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":{}}}`, "emf: CloudWatchMetrics is not an array"},
		"lower-case members":    {`{"_aws":{"timestamp":1,"CloudWatchMetrics":[]}}`, "emf: _aws has no Timestamp"},
		"directive not object":  {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":["N"]}}`, "emf: directive 0 is not an object"},
		"no namespace":          {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`, "emf: directive 0 has no Namespace string"},
		"empty namespace":       {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`, "emf: directive 0: Namespace must have 1 to 1024 characters"},
		"no dimensions member":  {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"A"}]}]},"A":1}`, "emf: directive 0 has no Dimensions"},
		"dimensions empty":      {doc(`[]`, `[{"Name":"A"}]`, `,"A":1`), "emf: directive 0: Dimensions is empty (write [[]] for no dimensions)"},
		"dimensions flat":       {doc(`["FunctionName"]`, `[{"Name":"A"}]`, `,"A":1,"FunctionName":"f"`), "emf: dimension set 0 of directive 0 is not an array"},
		"31 dimensions":         {doc(`[[`+strings.Join(thirtyOne, ",")+`]]`, `[{"Name":"A"}]`, `,"A":1`+members), "emf: dimension set 0 of directive 0 has 31 dimensions (at most 30)"},
		"dimension missing":     {doc(`[["FunctionName"]]`, `[{"Name":"A"}]`, `,"A":1`), `emf: dimension "FunctionName" has no value`},
		"dimension a number":    {doc(`[["FunctionName"]]`, `[{"Name":"A"}]`, `,"A":1,"FunctionName":7`), `emf: dimension "FunctionName" is not a string`},
		"dimension empty":       {doc(`[["FunctionName"]]`, `[{"Name":"A"}]`, `,"A":1,"FunctionName":" "`), `emf: dimension "FunctionName" is empty`},
		"dimension too long":    {doc(`[["D"]]`, `[{"Name":"A"}]`, `,"A":1,"D":"`+strings.Repeat("x", 1025)+`"`), `emf: dimension "D" is longer than 1024 characters`},
		"no metrics member":     {`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]]}]}}`, "emf: directive 0 has no Metrics"},
		"metrics empty":         {doc(`[[]]`, `[]`, ``), "emf: directive 0: Metrics is empty"},
		"101 metrics":           {doc(`[[]]`, `[`+strings.TrimSuffix(strings.Repeat(`{"Name":"A"},`, 101), ",")+`]`, `,"A":1`), "emf: directive 0 has 101 metrics (at most 100)"},
		"metric without name":   {doc(`[[]]`, `[{"Unit":"Count"}]`, ``), "emf: metric 0 of directive 0 has no Name of 1 to 1024 characters"},
		"metric missing":        {doc(`[[]]`, `[{"Name":"Retries","Unit":"Count"}]`, `,"Received":3`), `emf: metric "Retries" has no value`},
		"metric a string":       {doc(`[[]]`, `[{"Name":"Retries"}]`, `,"Retries":"3"`), `emf: metric "Retries" is not a number or an array of numbers`},
		"metric null":           {doc(`[[]]`, `[{"Name":"Retries"}]`, `,"Retries":null`), `emf: metric "Retries" is not a number or an array of numbers`},
		"metric an object":      {doc(`[[]]`, `[{"Name":"Retries"}]`, `,"Retries":{"v":3}`), `emf: metric "Retries" is not a number or an array of numbers`},
		"array with a null":     {doc(`[[]]`, `[{"Name":"Latency"}]`, `,"Latency":[1,null]`), `emf: metric "Latency": null is not a number`},
		"array empty":           {doc(`[[]]`, `[{"Name":"Latency"}]`, `,"Latency":[]`), `emf: metric "Latency" has 0 values (1 to 100)`},
		"array of 101":          {doc(`[[]]`, `[{"Name":"Latency"}]`, `,"Latency":[`+hundredOne+`]`), `emf: metric "Latency" has 101 values (1 to 100)`},
		"value too large":       {doc(`[[]]`, `[{"Name":"A"}]`, `,"A":1e200`), `emf: metric "A": 1e+200 is outside CloudWatch's range`},
		"value overflows":       {doc(`[[]]`, `[{"Name":"A"}]`, `,"A":1e400`), `emf: metric "A" is not a number or an array of numbers`},
		"unknown unit":          {doc(`[[]]`, `[{"Name":"A","Unit":"Counts"}]`, `,"A":1`), `emf: metric "A" has unit "Counts", not a CloudWatch unit`},
		"unit lower case":       {doc(`[[]]`, `[{"Name":"A","Unit":"count"}]`, `,"A":1`), `emf: metric "A" has unit "count", not a CloudWatch unit`},
		"storage resolution 30": {doc(`[[]]`, `[{"Name":"A","StorageResolution":30}]`, `,"A":1`), `emf: metric "A" has StorageResolution 30 (1 or 60)`},
		"second directive bad": {
			fmt.Sprintf(`{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A"}]},{"Namespace":"M","Dimensions":[[]],"Metrics":[{"Name":"B"}]}]},"A":1}`, ms),
			`emf: metric "B" has no value`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.line)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%.80q) error = %v; want %s", tt.line, err, tt.want)
			}
			if got != nil {
				t.Errorf("Parse(%.80q) = %s; want no datums with an error", tt.line, show(got))
			}
		})
	}
}

// TestParseUnits checks every unit the SDK knows is accepted, so Parse and
// PutMetricData agree.
func TestParseUnits(t *testing.T) {
	for u := range units {
		line := fmt.Sprintf(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A","Unit":%q}]}]},"A":1}`, u)
		got, err := Parse(line)
		if err != nil || len(got) != 1 || got[0].Unit != u {
			t.Errorf("Parse(unit %q) = %s, %v; want one datum with that unit", u, show(got), err)
		}
	}
	if !units["Count/Second"] || !units["None"] || units["Counts"] {
		t.Errorf("units = %v; want CloudWatch's unit names", units)
	}
}

func ExampleParse() {
	line := `{"_aws":{"Timestamp":1764410400000,"CloudWatchMetrics":[{"Namespace":"S3Uploader",` +
		`"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Retries","Unit":"Count"}]}]},` +
		`"FunctionName":"uploader","Retries":[0,2,2]}`
	ds, err := Parse(line)
	fmt.Println(err)
	for _, d := range ds {
		fmt.Println(d.Namespace, d.Name, d.Dimensions, d.Unit, d.Values, d.Time.Format(time.RFC3339))
	}
	_, err = Parse(`{"_aws":{"Timestamp":1764410400000,"CloudWatchMetrics":[{"Namespace":"S3Uploader","Dimensions":[[]],"Metrics":[{"Name":"Retries"}]}]}}`)
	fmt.Println(err)
	ds, err = Parse("START RequestId: 8f5e Version: $LATEST")
	fmt.Println(ds, err)
	// Output:
	// <nil>
	// S3Uploader Retries [{FunctionName uploader}] Count [0 2 2] 2025-11-29T10:00:00Z
	// emf: metric "Retries" has no value
	// [] <nil>
}
