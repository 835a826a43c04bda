package app

import "regexp"

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s is a usable event slug: lower-case letters,
// digits and inner hyphens, at most 64 characters.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }
