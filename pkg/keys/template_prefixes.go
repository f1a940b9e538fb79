package keys

import "strings"

// Prefixes returns how many key prefixes (the key up to its last '/', the
// unit S3 limits and the retry scope) the template spreads one moment's
// writes over by itself: the product of the {shard:N} counts that come
// before a later '/' of the template, or 1 without any. What the key
// attribute, an attribute or the group put into the key is not counted:
// the template cannot know it.
func (t *KeyTemplate) Prefixes() int {
	if t == nil {
		return 1
	}
	last := -1 // the last part holding a '/'
	for i, p := range t.parts {
		if p.kind == literal && strings.Contains(p.text, "/") {
			last = i
		}
	}
	n := 1
	for i, p := range t.parts {
		if p.kind == phShard && i < last {
			n *= p.shards
		}
	}
	return n
}
