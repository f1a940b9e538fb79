package bench

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStartSimWiresTheCapacityFallAndOutages checks that SimConfig's fall
// and outages reach the server: schedules chosen so that a few PUTs in a
// row, whatever the machine's speed, meet the change.
func TestStartSimWiresTheCapacityFallAndOutages(t *testing.T) {
	tests := map[string]struct {
		sim  SimConfig
		want []int
	}{
		// Unlimited, then 1 PUT/s with a burst of 1 from 1 ns after the
		// first PUT: the second takes the one token, the third finds none.
		"capacity falls": {SimConfig{FallAt: time.Nanosecond, FallTo: 1}, []int{200, 200, 503}},
		// Refused from 1 ns after the first request, for an hour.
		"outage":  {SimConfig{OutageEvery: time.Hour, OutageFor: time.Hour - time.Nanosecond}, []int{200, 503, 503}},
		"neither": {SimConfig{}, []int{200, 200, 200}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sim, err := StartSim(tc.sim)
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			var got []int
			for i := range tc.want {
				req, _ := http.NewRequest(http.MethodPut, sim.URL()+"/"+Bucket+"/p00/obj-"+string(rune('a'+i)), strings.NewReader("x"))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got = append(got, resp.StatusCode)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("PUT statuses %v; want %v", got, tc.want)
			}
		})
	}
}
