package s3sim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
)

var requestSeq atomic.Uint64

// WriteError answers with an S3 error document, as S3 does: an XML body with
// Code, Message, Resource and RequestId, and Content-Type application/xml.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := fmt.Sprintf("S3SIM%011d", requestSeq.Add(1))
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Resource  string   `xml:"Resource"`
		RequestID string   `xml:"RequestId"`
	}{Code: code, Message: message, Resource: r.URL.Path, RequestID: id})
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amz-request-id", id)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// SlowDown answers as S3 does when a prefix takes more requests than it can.
func SlowDown(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
}

// isWrite reports whether r is a write as S3 counts them for its per-prefix
// limits (PUT, COPY, POST, DELETE).
func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPut, http.MethodPost, http.MethodDelete:
		return true
	}
	return false
}
