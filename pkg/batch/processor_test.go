package batch

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/record"
)

func TestInterleaveByScope(t *testing.T) {
	keyed := func(keys ...string) []events.SQSMessage {
		recs := make([]events.SQSMessage, len(keys))
		for i, k := range keys {
			recs[i] = events.SQSMessage{MessageId: fmt.Sprint(i), MessageAttributes: map[string]events.SQSMessageAttribute{"key": strAttr(k)}}
		}
		return recs
	}
	p := &Processor{Parser: record.Parser{Prefix: "uploads/"}}
	tests := map[string]struct {
		keys []string
		want []int // record indexes in the order they are handed to workers
	}{
		"one prefix keeps its order": {[]string{"a/1", "a/2", "a/3"}, []int{0, 1, 2}},
		"hot prefix first in the batch": {[]string{"hot/1", "hot/2", "hot/3", "cold/1", "cold/2"},
			[]int{0, 3, 1, 4, 2}},
		"three prefixes": {[]string{"a/1", "a/2", "b/1", "c/1", "c/2", "b/2"}, []int{0, 2, 3, 1, 5, 4}},
	}
	for name, tc := range tests {
		recs := keyed(tc.keys...)
		var got []int
		jobs := p.prepare(recs)
		for _, g := range interleave(jobs, groups(jobs, false)) {
			got = append(got, g...)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: interleave(%v) = %v; want %v", name, tc.keys, got, tc.want)
		}
	}
	// FIFO groups stay whole and in order; groups of different prefixes
	// alternate.
	recs := keyed("hot/1", "hot/2", "cold/1")
	recs[0].Attributes = map[string]string{"MessageGroupId": "g1"}
	recs[1].Attributes = map[string]string{"MessageGroupId": "g1"}
	recs[2].Attributes = map[string]string{"MessageGroupId": "g2"}
	jobs := p.prepare(recs)
	got := interleave(jobs, groups(jobs, true))
	if want := [][]int{{0, 1}, {2}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("FIFO interleave = %v; want %v", got, want)
	}
}

func strAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "String", StringValue: &v}
}
