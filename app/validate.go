package app

import (
	"regexp"
	"slices"
	"strings"
)

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s is a usable event slug: lower-case letters,
// digits and inner hyphens, at most 64 characters. It is the one slug
// rule: events are created with it, and the API, the pages and the live
// updates (realtime) check path parameters with it before any lookup, so
// a slug is always safe in a URL path, a broker channel name and a file
// name.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// DefaultStreamRegions are the regions stream links may name when
// Service.Regions is not set: the design's two.
var DefaultStreamRegions = []string{"cn", "hu"}

// StreamLinkDefault is the stream_links key of the link for viewers of
// any other region.
const StreamLinkDefault = "default"

// checkStreamRegions refuses stream links keyed by anything but a known
// region (Service.Regions) or "default": a typo such as "hungary" would
// otherwise leave those viewers without their stream, silently.
func (s *Service) checkStreamRegions(links *map[string]string) error {
	if links == nil {
		return nil
	}
	known := s.Regions
	if len(known) == 0 {
		known = DefaultStreamRegions
	}
	for k := range *links {
		k = strings.TrimSpace(k)
		if k != StreamLinkDefault && !slices.Contains(known, k) {
			return Errorf(EInvalid, "stream_links has the unknown region %q; use %s or %s", truncateRunes(k, 20), strings.Join(known, ", "), StreamLinkDefault)
		}
	}
	return nil
}
