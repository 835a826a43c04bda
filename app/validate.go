package app

import "regexp"

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s is a usable event slug: lower-case letters,
// digits and inner hyphens, at most 64 characters. It is the one slug
// rule: events are created with it, and the API, the pages and the live
// updates (realtime) check path parameters with it before any lookup, so
// a slug is always safe in a URL path, a broker channel name and a file
// name.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }
