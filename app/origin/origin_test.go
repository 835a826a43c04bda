package origin_test

import (
	"testing"

	"github.com/hybridcon/hybridcon/app/origin"
)

func TestAllowsOrigin(t *testing.T) {
	p := origin.NewPolicy([]string{"https://Console.example.org"})
	const own = "http://node.example.com:8080"
	for _, tc := range []struct {
		name, origin string
		want         bool
	}{
		{"Own", "http://node.example.com:8080", true},
		{"OwnOtherCase", "HTTP://Node.Example.com:8080", true},
		{"OwnOtherScheme", "https://node.example.com:8080", false},
		{"OwnOtherPort", "http://node.example.com:8081", false},
		{"Allowed", "https://console.example.org", true},
		{"AllowedDefaultPort", "https://console.example.org:443", true},
		{"AllowedTrailingSlash", "https://console.example.org/", true},
		{"AllowedOtherScheme", "http://console.example.org", false},
		{"Foreign", "https://evil.example", false},
		{"Null", "null", false},
		{"SuffixOfAllowed", "https://console.example.org.evil.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.AllowsOrigin(tc.origin, own); got != tc.want {
				t.Fatalf("AllowsOrigin(%q, %q) = %v, want %v", tc.origin, own, got, tc.want)
			}
		})
	}
	t.Run("ZeroPolicyOwnOnly", func(t *testing.T) {
		var zero origin.Policy
		if !zero.AllowsOrigin(own, own) || zero.AllowsOrigin("https://console.example.org", own) {
			t.Fatal("the zero Policy must allow the own origin and nothing else")
		}
	})
}
