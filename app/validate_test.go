package app

import (
	"strings"
	"testing"
)

func TestValidSlug(t *testing.T) {
	for _, tc := range []struct {
		slug string
		want bool
	}{
		{"cn-hu-2021", true},
		{"a", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"A", false},
		{"a b", false},
		{"ev:x", false},
		{"a_b", false},
		{"a.b", false},
		{"hybridcon:ev:x", false},
	} {
		if got := ValidSlug(tc.slug); got != tc.want {
			t.Errorf("ValidSlug(%q) = %v, want %v", tc.slug, got, tc.want)
		}
	}
}
