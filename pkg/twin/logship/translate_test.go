package logship

import (
	"reflect"
	"testing"
	"time"
)

func TestTranslate(t *testing.T) {
	now := time.Date(2026, 11, 29, 4, 42, 40, 810e6, time.UTC)
	lines := []string{
		`29 Nov 2026 04:42:38,276 [INFO] (rapid) exec '/tmp/bootstrap' (cwd=/tmp, handler=)`,
		`START RequestId: r1 Version: $LATEST`,
		`{"level":"WARN","message":"upload retry","attempt":2}`,
		`29 Nov 2026 04:42:40,810 [WARNING] (rapid) Reset initiated: Timeout`,
		`END RequestId: r1`,
		"REPORT RequestId: r1\tDuration: 2000.00 ms\tBilled Duration: 2000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t",
	}
	tests := map[string]struct {
		format Format
		want   []string
	}{
		"text": {Text, []string{
			`START RequestId: r1 Version: $LATEST`,
			`{"level":"WARN","message":"upload retry","attempt":2}`,
			`2026-11-29T04:42:40.810Z r1 Task timed out after 2.00 seconds`,
			`END RequestId: r1`,
			"REPORT RequestId: r1\tDuration: 2000.00 ms\tBilled Duration: 2000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: timeout",
		}},
		"json": {JSON, []string{
			`{"time":"2026-11-29T04:42:40.810Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}`,
			`{"level":"WARN","message":"upload retry","attempt":2}`,
			`{"time":"2026-11-29T04:42:40.810Z","type":"platform.report","record":{"metrics":{"billedDurationMs":2000,"durationMs":2000,"maxMemoryUsedMB":128,"memorySizeMB":128},"requestId":"r1","status":"timeout"}}`,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := requestState{timeout: "2.00"}
			var got []string
			for _, l := range lines {
				got = append(got, r.translate(l, now, tc.format)...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("translate = \n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
