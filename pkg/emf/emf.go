// Package emf writes CloudWatch Embedded Metric Format documents: a JSON log
// line that CloudWatch Logs turns into metrics with no API call.
// See https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package emf

import (
	"encoding/json"
	"io"
	"slices"
	"time"
)

// Metric is one value of a document.
type Metric struct {
	Name  string
	Unit  string // e.g. "Count", "Milliseconds"; empty means "None"
	Value float64
}

// Document is one EMF document: metrics under a namespace, with one set of
// dimensions.
type Document struct {
	Namespace  string
	Dimensions map[string]string // name → value; may be empty
	Metrics    []Metric
	Time       time.Time
}

// Write writes d to w as one JSON line.
func (d Document) Write(w io.Writer) error {
	type metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	dims := make([]string, 0, len(d.Dimensions))
	out := map[string]any{}
	for k, v := range d.Dimensions {
		dims = append(dims, k)
		out[k] = v
	}
	slices.Sort(dims)
	defs := make([]metricDef, 0, len(d.Metrics))
	for _, m := range d.Metrics {
		unit := m.Unit
		if unit == "" {
			unit = "None"
		}
		defs = append(defs, metricDef{Name: m.Name, Unit: unit})
		out[m.Name] = m.Value
	}
	out["_aws"] = map[string]any{
		"Timestamp":         d.Time.UnixMilli(),
		"CloudWatchMetrics": []directive{{Namespace: d.Namespace, Dimensions: [][]string{dims}, Metrics: defs}},
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
