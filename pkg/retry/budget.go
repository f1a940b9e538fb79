package retry

import "sync"

// Budget is a token bucket of retries shared by concurrent callers, as in the
// AWS SDKs' retry quota: each retry takes tokens, each success puts some
// back, and when the bucket is empty callers stop retrying instead of piling
// more load onto a server that is already failing. A Budget is safe for
// concurrent use. The zero value is an empty budget; use NewBudget.
type Budget struct {
	mu       sync.Mutex
	tokens   int
	capacity int
}

// NewBudget returns a full budget holding capacity tokens.
func NewBudget(capacity int) *Budget {
	return &Budget{tokens: capacity, capacity: capacity}
}

// Take removes cost tokens and reports true, or reports false and removes
// nothing when fewer than cost tokens are left.
func (b *Budget) Take(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// Refund puts n tokens back, never beyond the capacity.
func (b *Budget) Refund(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.capacity, b.tokens+n)
}

// Tokens returns the tokens left.
func (b *Budget) Tokens() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}
