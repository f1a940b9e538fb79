package s3sim

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// HotKeys answers SlowDown to the first First writes of every key, whatever
// the rate: S3 throttles rapid writes to one key on their own, apart from
// its per-prefix request rate ("HTTP 503 Slow Down ... can also occur when
// ... updating the same object key", Amazon S3 error responses). A client
// that reads these throttles as "too fast" slows down every key for what is
// one key's problem. Use NewHotKeys.
type HotKeys struct {
	next  http.Handler
	first int

	mu     sync.Mutex
	writes map[string]int

	throttled atomic.Int64
}

// NewHotKeys returns a HotKeys handler in front of next refusing the first
// first writes of each request path.
func NewHotKeys(next http.Handler, first int) *HotKeys {
	return &HotKeys{next: next, first: first, writes: make(map[string]int)}
}

// ServeHTTP refuses r with SlowDown if its key has had fewer than First
// writes, and passes it on otherwise.
func (h *HotKeys) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWrite(r) {
		h.mu.Lock()
		n := h.writes[r.URL.Path]
		h.writes[r.URL.Path] = n + 1
		h.mu.Unlock()
		if n < h.first {
			h.throttled.Add(1)
			SlowDown(w, r)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// Throttled returns how many requests were refused.
func (h *HotKeys) Throttled() int64 { return h.throttled.Load() }
