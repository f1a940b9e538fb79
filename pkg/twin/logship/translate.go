package logship

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The emulator's own diagnostics: "29 Nov 2026 04:42:38,276 [INFO] (rapid) ...".
var rapidLine = regexp.MustCompile(`^\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[\w+\] \(rapid\) (.*)$`)

var (
	startLine  = regexp.MustCompile(`^START RequestId: (\S+) Version: (\S+)`)
	endLine    = regexp.MustCompile(`^END RequestId: (\S+)`)
	reportLine = regexp.MustCompile(`^REPORT RequestId: (\S+)\t(.*)$`)
	reportKV   = regexp.MustCompile(`([A-Za-z ]+): ([\d.]+) (ms|MB)`)
)

// requestState follows the current invocation through the output.
type requestState struct {
	id       string
	timedOut bool
	timeout  string
}

// translate returns the log events for one line of emulator output.
func (r *requestState) translate(l string, now time.Time, f Format) []string {
	if m := rapidLine.FindStringSubmatch(l); m != nil {
		if strings.HasPrefix(m[1], "Reset initiated: Timeout") && r.id != "" {
			r.timedOut = true
			if f == Text {
				return []string{fmt.Sprintf("%s %s Task timed out after %s seconds",
					now.UTC().Format("2006-01-02T15:04:05.000Z"), r.id, r.timeout)}
			}
		}
		return nil
	}
	if l == "" {
		return nil
	}
	if m := startLine.FindStringSubmatch(l); m != nil {
		r.id, r.timedOut = m[1], false
		if f == JSON {
			return []string{platform(now, "platform.start", map[string]any{"requestId": m[1], "version": m[2]})}
		}
		return []string{l}
	}
	if m := endLine.FindStringSubmatch(l); m != nil {
		if f == JSON {
			return nil // the JSON format has no END line
		}
		return []string{l}
	}
	if m := reportLine.FindStringSubmatch(l); m != nil {
		status := "success"
		if r.timedOut {
			status = "timeout"
		}
		defer func() { r.id, r.timedOut = "", false }()
		if f == JSON {
			metrics := map[string]any{}
			for _, kv := range reportKV.FindAllStringSubmatch(m[2], -1) {
				v, _ := strconv.ParseFloat(kv[2], 64)
				metrics[reportNames[strings.TrimSpace(kv[1])]] = v
			}
			delete(metrics, "")
			return []string{platform(now, "platform.report", map[string]any{"requestId": m[1], "metrics": metrics, "status": status})}
		}
		if r.timedOut {
			return []string{l + "Status: timeout"}
		}
		return []string{l}
	}
	return []string{l}
}

var reportNames = map[string]string{
	"Duration":        "durationMs",
	"Billed Duration": "billedDurationMs",
	"Memory Size":     "memorySizeMB",
	"Max Memory Used": "maxMemoryUsedMB",
	"Init Duration":   "initDurationMs",
}

func platform(now time.Time, typ string, record map[string]any) string {
	b, _ := json.Marshal(struct {
		Time   string         `json:"time"`
		Type   string         `json:"type"`
		Record map[string]any `json:"record"`
	}{now.UTC().Format("2006-01-02T15:04:05.000Z"), typ, record})
	return string(b)
}
