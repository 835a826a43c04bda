// Package origin is the one browser-origin rule of hybridcon, shared by
// the API (cookie-authenticated writes, app/api) and the live updates
// (websocket handshakes, realtime): a browser's request is accepted from
// the node's own origin, as Fiber sees it behind trusted proxies, and
// from the origins an operator allows (HYBRIDCON_ALLOWED_ORIGINS).
package origin

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Policy says which browser origins are allowed besides the request's
// own. The zero value allows the own origin only. A Policy is never
// changed after NewPolicy and is safe for concurrent use.
type Policy struct {
	allowed []string // canonical
}

// NewPolicy returns the policy allowing the own origin and allowed
// (scheme://host[:port], as browsers send them in the Origin header;
// configs validates the list).
func NewPolicy(allowed []string) Policy {
	p := Policy{allowed: make([]string, 0, len(allowed))}
	for _, o := range allowed {
		p.allowed = append(p.allowed, Canonical(o))
	}
	return p
}

// Allows reports whether the request's Origin header is acceptable: absent
// (not a browser, or a same-origin GET of an older browser, left to the
// other checks), the request's own origin (Own), or an allowed one.
// Scheme, host and port must all match: https://example.org is not
// http://example.org.
func (p Policy) Allows(c *fiber.Ctx) bool {
	o := c.Get(fiber.HeaderOrigin)
	return o == "" || p.AllowsOrigin(o, Own(c))
}

// AllowsOrigin reports whether origin is own or one of the allowed
// origins, compared as Canonical forms.
func (p Policy) AllowsOrigin(origin, own string) bool {
	origin = Canonical(origin)
	if origin == Canonical(own) {
		return true
	}
	for _, a := range p.allowed {
		if origin == a {
			return true
		}
	}
	return false
}

// Own is the origin a request was sent to, as Fiber sees it: the scheme
// and host from X-Forwarded-Proto and X-Forwarded-Host when a trusted
// proxy sent them (fiber.Config.TrustedProxies), else the connection's
// scheme and the Host header.
func Own(c *fiber.Ctx) string { return c.Protocol() + "://" + c.Hostname() }

// Canonical lowercases an origin, drops a trailing slash and the scheme's
// default port, so https://Live.example.org:443 equals
// https://live.example.org.
func Canonical(o string) string {
	o = strings.TrimSuffix(strings.ToLower(o), "/")
	switch {
	case strings.HasPrefix(o, "https://"):
		o = strings.TrimSuffix(o, ":443")
	case strings.HasPrefix(o, "http://"):
		o = strings.TrimSuffix(o, ":80")
	}
	return o
}
