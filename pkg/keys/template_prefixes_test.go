package keys

import "testing"

func TestKeyTemplatePrefixes(t *testing.T) {
	tests := map[string]int{
		"{key}":                          1,
		"p{shard:16}/{key}":              16,
		"{sent:2006/01/02}/{key}":        1,
		"{shard:4}/{shard:8}/{key}":      32,
		"{key}-{shard:16}":               1, // after the last '/': not a prefix
		"in/{shard:10}x/{messageId}.bin": 10,
	}
	for src, want := range tests {
		tmpl, err := NewKeyTemplate(src)
		if err != nil {
			t.Fatalf("NewKeyTemplate(%q): %v", src, err)
		}
		if got := tmpl.Prefixes(); got != want {
			t.Errorf("NewKeyTemplate(%q).Prefixes() = %d; want %d", src, got, want)
		}
	}
	if got := (*KeyTemplate)(nil).Prefixes(); got != 1 {
		t.Errorf("nil template: Prefixes() = %d; want 1", got)
	}
}
