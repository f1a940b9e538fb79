package emfmetrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Limits of the EMF specification and of CloudWatch.
const (
	maxDimensions     = 30   // keys in one dimension set
	maxMetrics        = 100  // metric definitions in one directive
	maxValues         = 100  // members of one metric's array
	maxNameLen        = 1024 // namespace and metric name
	maxDimensionKey   = 250
	maxDimensionValue = 1024
)

// Dimension is one name/value pair of a metric's identity.
type Dimension struct {
	Name, Value string
}

// Datum is one metric extracted from an EMF document: what CloudWatch Logs
// would publish for one directive, one dimension set and one metric.
type Datum struct {
	Namespace string
	Name      string
	// Unit is a CloudWatch unit; "None" when the document gives none.
	Unit types.StandardUnit
	// StorageResolution is 60 (standard, the default) or 1 (high resolution).
	StorageResolution int32
	// Dimensions are in the dimension set's order; empty for the set [].
	Dimensions []Dimension
	// Values holds the metric member's value, or the elements of its array
	// in order (duplicates kept).
	Values []float64
	// Time is the document's _aws.Timestamp.
	Time time.Time
}

var units = func() map[types.StandardUnit]bool {
	m := map[types.StandardUnit]bool{}
	for _, u := range types.StandardUnit("").Values() {
		m[u] = true
	}
	return m
}()

// Parse extracts the metrics of one log line the way CloudWatch Logs does
// for an embedded metric format document
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
//
// A line that is not a JSON object, or an object without an "_aws" member,
// is not EMF: Parse returns nil, nil. Otherwise it returns one Datum per
// directive × dimension set × metric, in document order, or an error naming
// the first problem, e.g. `emf: metric "Retries" has no value`, and no
// datums: CloudWatch Logs keeps such a log event as an ordinary one but
// publishes none of the document's metrics (it counts the failure in its
// AWS/Logs EMF error metrics). A document with an empty CloudWatchMetrics array is valid
// and gives no datums.
//
// Parse checks: _aws is an object with an integer Timestamp (epoch
// milliseconds) and a CloudWatchMetrics array; each directive has a
// Namespace (1 to 1024 characters), a non-empty Dimensions array of
// dimension sets of at most 30 keys, and 1 to 100 Metrics, each with a Name,
// a CloudWatch unit if any (types.StandardUnit; default "None") and a
// StorageResolution of 1 or 60 if any; every dimension key names a root
// member holding a non-empty string of at most 1024 characters, and every
// metric name a root member holding a number or an array of 1 to 100
// numbers within CloudWatch's range (magnitudes from 2^-260 to 2^360, or 0).
// It does not check the timestamp's age: PutMetricData takes data from two
// weeks ago to two hours ahead.
func Parse(line string) ([]Datum, error) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "{") {
		return nil, nil
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &root); err != nil {
		return nil, nil
	}
	rawAWS, ok := root["_aws"]
	if !ok {
		return nil, nil
	}
	meta, ok := object(rawAWS)
	if !ok {
		return nil, errorf("_aws is not an object")
	}
	rawTS, ok := meta["Timestamp"]
	if !ok {
		return nil, errorf("_aws has no Timestamp")
	}
	ms, ok := number(rawTS)
	if !ok || ms != math.Trunc(ms) || math.Abs(ms) > 1<<53 {
		return nil, errorf("Timestamp %s is not an integer (epoch milliseconds)", rawTS)
	}
	ts := time.UnixMilli(int64(ms)).UTC()
	rawCWM, ok := meta["CloudWatchMetrics"]
	if !ok {
		return nil, errorf("_aws has no CloudWatchMetrics")
	}
	directives, ok := array(rawCWM)
	if !ok {
		return nil, errorf("CloudWatchMetrics is not an array")
	}
	var out []Datum
	for i, rawDir := range directives {
		ds, err := directive(i, rawDir, root, ts)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// metricDef is a validated MetricDefinition with its values.
type metricDef struct {
	name   string
	unit   types.StandardUnit
	res    int32
	values []float64
}

// directive returns the datums of directive i.
func directive(i int, raw json.RawMessage, root map[string]json.RawMessage, ts time.Time) ([]Datum, error) {
	dir, ok := object(raw)
	if !ok {
		return nil, errorf("directive %d is not an object", i)
	}
	ns, ok := str(dir["Namespace"])
	switch {
	case !ok:
		return nil, errorf("directive %d has no Namespace string", i)
	case ns == "" || len(ns) > maxNameLen:
		return nil, errorf("directive %d: Namespace must have 1 to %d characters", i, maxNameLen)
	}
	rawDims, ok := dir["Dimensions"]
	if !ok {
		return nil, errorf("directive %d has no Dimensions", i)
	}
	sets, ok := array(rawDims)
	if !ok {
		return nil, errorf("directive %d: Dimensions is not an array of dimension sets", i)
	}
	if len(sets) == 0 {
		return nil, errorf("directive %d: Dimensions is empty (write [[]] for no dimensions)", i)
	}
	dimSets := make([][]Dimension, 0, len(sets))
	for j, rawSet := range sets {
		set, err := dimensionSet(i, j, rawSet, root)
		if err != nil {
			return nil, err
		}
		dimSets = append(dimSets, set)
	}
	rawMetrics, ok := dir["Metrics"]
	if !ok {
		return nil, errorf("directive %d has no Metrics", i)
	}
	defs, ok := array(rawMetrics)
	switch {
	case !ok:
		return nil, errorf("directive %d: Metrics is not an array", i)
	case len(defs) == 0:
		return nil, errorf("directive %d: Metrics is empty", i)
	case len(defs) > maxMetrics:
		return nil, errorf("directive %d has %d metrics (at most %d)", i, len(defs), maxMetrics)
	}
	metrics := make([]metricDef, 0, len(defs))
	for k, rawDef := range defs {
		m, err := metric(i, k, rawDef, root)
		if err != nil {
			return nil, err
		}
		metrics = append(metrics, m)
	}
	out := make([]Datum, 0, len(dimSets)*len(metrics))
	for _, set := range dimSets {
		for _, m := range metrics {
			out = append(out, Datum{
				Namespace: ns, Name: m.name, Unit: m.unit, StorageResolution: m.res,
				Dimensions: set, Values: m.values, Time: ts,
			})
		}
	}
	return out, nil
}

// dimensionSet resolves dimension set j of directive i against the root.
func dimensionSet(i, j int, raw json.RawMessage, root map[string]json.RawMessage) ([]Dimension, error) {
	keys, ok := array(raw)
	if !ok {
		return nil, errorf("dimension set %d of directive %d is not an array", j, i)
	}
	if len(keys) > maxDimensions {
		return nil, errorf("dimension set %d of directive %d has %d dimensions (at most %d)", j, i, len(keys), maxDimensions)
	}
	set := make([]Dimension, 0, len(keys))
	for _, rawKey := range keys {
		key, ok := str(rawKey)
		if !ok || key == "" || len(key) > maxDimensionKey {
			return nil, errorf("dimension set %d of directive %d: key %s is not a string of 1 to %d characters", j, i, rawKey, maxDimensionKey)
		}
		rawVal, ok := root[key]
		if !ok {
			return nil, errorf("dimension %q has no value", key)
		}
		val, ok := str(rawVal)
		switch {
		case !ok:
			return nil, errorf("dimension %q is not a string", key)
		case strings.TrimSpace(val) == "":
			return nil, errorf("dimension %q is empty", key)
		case len(val) > maxDimensionValue:
			return nil, errorf("dimension %q is longer than %d characters", key, maxDimensionValue)
		}
		set = append(set, Dimension{Name: key, Value: val})
	}
	return set, nil
}

// metric validates metric definition k of directive i and reads its values.
func metric(i, k int, raw json.RawMessage, root map[string]json.RawMessage) (metricDef, error) {
	def, ok := object(raw)
	if !ok {
		return metricDef{}, errorf("metric %d of directive %d is not an object", k, i)
	}
	name, ok := str(def["Name"])
	if !ok || name == "" || len(name) > maxNameLen {
		return metricDef{}, errorf("metric %d of directive %d has no Name of 1 to %d characters", k, i, maxNameLen)
	}
	m := metricDef{name: name, unit: types.StandardUnitNone, res: 60}
	if rawUnit, ok := def["Unit"]; ok {
		u, ok := str(rawUnit)
		if !ok || !units[types.StandardUnit(u)] {
			return metricDef{}, errorf("metric %q has unit %s, not a CloudWatch unit", name, rawUnit)
		}
		m.unit = types.StandardUnit(u)
	}
	if rawRes, ok := def["StorageResolution"]; ok {
		r, ok := number(rawRes)
		if !ok || (r != 1 && r != 60) {
			return metricDef{}, errorf("metric %q has StorageResolution %s (1 or 60)", name, rawRes)
		}
		m.res = int32(r)
	}
	rawVal, ok := root[name]
	if !ok {
		return metricDef{}, errorf("metric %q has no value", name)
	}
	if v, ok := number(rawVal); ok {
		m.values = []float64{v}
	} else if elems, ok := array(rawVal); ok {
		if len(elems) == 0 || len(elems) > maxValues {
			return metricDef{}, errorf("metric %q has %d values (1 to %d)", name, len(elems), maxValues)
		}
		m.values = make([]float64, 0, len(elems))
		for _, e := range elems {
			v, ok := number(e)
			if !ok {
				return metricDef{}, errorf("metric %q: %s is not a number", name, e)
			}
			m.values = append(m.values, v)
		}
	} else {
		return metricDef{}, errorf("metric %q is not a number or an array of numbers", name)
	}
	for _, v := range m.values {
		if a := math.Abs(v); a > 0x1p360 || (a != 0 && a < 0x1p-260) {
			return metricDef{}, errorf("metric %q: %g is outside CloudWatch's range", name, v)
		}
	}
	return m, nil
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("emf: "+format, args...)
}

// object decodes a JSON object; null and other types are not objects.
func object(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m) == nil
}

// array decodes a JSON array; null is not an array.
func array(raw json.RawMessage) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	return a, json.Unmarshal(raw, &a) == nil
}

// str decodes a JSON string; null and numbers are not strings.
func str(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// number decodes a JSON number that fits a float64; null, strings holding
// numbers and overflowing numbers are not numbers.
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	var f float64
	return f, json.Unmarshal(raw, &f) == nil
}
