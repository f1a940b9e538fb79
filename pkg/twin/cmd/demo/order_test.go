package main

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestStoreOrder: the proxy numbers each object at the first PUT S3
// answered "stored" (200, or 412 to a conditional write: already there);
// throttled, failed and other requests do not count.
func TestStoreOrder(t *testing.T) {
	var o storeOrder
	answer := func(method, path string, status int) {
		o.answer(&http.Response{StatusCode: status, Request: &http.Request{Method: method, URL: &url.URL{Path: path}}})
	}
	answer(http.MethodPut, "/b/k/2", http.StatusServiceUnavailable)
	answer(http.MethodPut, "/b/k/1", http.StatusOK)
	answer(http.MethodGet, "/b/k/3", http.StatusOK)
	answer(http.MethodPut, "/b/k/2", http.StatusPreconditionFailed)
	answer(http.MethodPut, "/b/k/1", http.StatusPreconditionFailed)
	for key, want := range map[string]int{"k/1": 1, "k/2": 2, "k/3": 0} {
		got, ok := o.at("b", key)
		if got != want || ok != (want > 0) {
			t.Errorf("at(b, %s) = %d, %v; want %d", key, got, ok, want)
		}
	}
}

// TestCheckOrder: a group's messages stored out of the order sent are
// named; other groups, messages not stored and poison do not count, and
// stored ones the proxy never saw answered are counted apart.
func TestCheckOrder(t *testing.T) {
	var o storeOrder
	for _, k := range []string{"a1", "b1", "a2", "b3", "b2"} { // b3 before b2
		o.answer(&http.Response{StatusCode: 200, Request: &http.Request{Method: http.MethodPut, URL: &url.URL{Path: "/bk/" + k}}})
	}
	sm := func(group, key string, state objectState) sentMessage {
		return sentMessage{Group: group, ObjectKey: key, Object: state}
	}
	sent := []sentMessage{
		sm("ga", "a1", objectExact), sm("gb", "b1", objectExact), sm("ga", "a2", objectExact),
		sm("gb", "b2", objectExact), sm("gb", "b3", objectExact), sm("ga", "", noObject), sm("ga", "a4", objectExact),
	}
	var s Summary
	s.checkOrder(sent, "bk", &o)
	if want := []string{"gb: b3 stored before b2"}; s.Groups != 2 || !slices.Equal(s.OutOfOrder, want) || s.OrderUnseen != 1 {
		t.Errorf("checkOrder: groups %d, out of order %q, unseen %d; want 2, %q, 1", s.Groups, s.OutOfOrder, s.OrderUnseen, want)
	}
	s = Summary{}
	s.checkOrder(sent[:4], "bk", &o)
	if len(s.OutOfOrder) != 0 {
		t.Errorf("checkOrder of groups in order: %q; want none", s.OutOfOrder)
	}
}
