package esm

import (
	"reflect"
	"testing"
)

func TestParseResponse(t *testing.T) {
	ids := []string{"a", "b", "c"}
	tests := map[string]struct {
		resp    string
		want    []string
		wantErr bool
	}{
		"empty body":              {resp: ``},
		"null":                    {resp: `null`},
		"empty object":            {resp: `{}`},
		"null list":               {resp: `{"batchItemFailures":null}`},
		"empty list":              {resp: `{"batchItemFailures":[]}`},
		"one failure":             {resp: `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, want: []string{"b"}},
		"duplicates":              {resp: `{"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"c"},{"itemIdentifier":"a"}]}`, want: []string{"c", "a"}},
		"not json":                {resp: `oops`, wantErr: true},
		"string":                  {resp: `"b"`, wantErr: true},
		"list not objects":        {resp: `{"batchItemFailures":["b"]}`, wantErr: true},
		"null identifier":         {resp: `{"batchItemFailures":[{"itemIdentifier":null}]}`, wantErr: true},
		"empty identifier":        {resp: `{"batchItemFailures":[{"itemIdentifier":""}]}`, wantErr: true},
		"bad key name":            {resp: `{"batchItemFailures":[{"itemId":"b"}]}`, wantErr: true},
		"identifier not in batch": {resp: `{"batchItemFailures":[{"itemIdentifier":"z"}]}`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseResponse([]byte(tc.resp), ids)
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseResponse(%q) = %q, %v; want %q, error %v", tc.resp, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
