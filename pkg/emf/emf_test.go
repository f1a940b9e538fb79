package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestDocument(t *testing.T) {
	var buf bytes.Buffer
	d := Document{Namespace: "NS", Dimensions: map[string]string{"FunctionName": "f"}, Time: time.UnixMilli(1700000000123),
		Metrics: []Metric{{Name: "Retries", Unit: "Count", Value: 3}, {Name: "Other", Value: 1.5}}}
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Errorf("document %q is not one line", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"FunctionName":"f","Other":1.5,"Retries":3,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"Retries","Unit":"Count"},{"Name":"Other","Unit":"None"}],"Namespace":"NS"}],"Timestamp":1700000000123}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("document\n%s\nwant\n%s", b, want)
	}
}
