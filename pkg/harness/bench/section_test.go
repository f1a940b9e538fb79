package bench

import "testing"

func TestSetSection(t *testing.T) {
	tests := map[string]struct{ doc, want string }{
		"appended": {"# Benchmarks\n\nfigures\n", "# Benchmarks\n\nfigures\n\n<!-- begin fleet -->\nnew\n<!-- end fleet -->\n"},
		"replaced": {"a\n<!-- begin fleet -->\nold\nlines\n<!-- end fleet -->\nb\n", "a\n<!-- begin fleet -->\nnew\n<!-- end fleet -->\nb\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SetSection(tt.doc, "fleet", "new\n"); got != tt.want {
				t.Errorf("SetSection(%q) = %q; want %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestKeepSection(t *testing.T) {
	old := "# Benchmarks\nold figures\n\n<!-- begin fleet -->\nfleet figures\n<!-- end fleet -->\n"
	tests := map[string]struct{ doc, old, want string }{
		"carried over": {"# Benchmarks\nnew figures\n", old, "# Benchmarks\nnew figures\n\n<!-- begin fleet -->\nfleet figures\n<!-- end fleet -->\n"},
		"in its place": {"a\n<!-- begin fleet -->\n<!-- end fleet -->\nb\n", old, "a\n<!-- begin fleet -->\nfleet figures\n<!-- end fleet -->\nb\n"},
		"none to keep": {"# Benchmarks\n", "# Benchmarks\n", "# Benchmarks\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := KeepSection(tt.doc, tt.old, "fleet"); got != tt.want {
				t.Errorf("KeepSection(%q, %q) = %q; want %q", tt.doc, tt.old, got, tt.want)
			}
		})
	}
}
