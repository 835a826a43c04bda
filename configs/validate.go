package configs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// minAdminToken is the shortest accepted admin token, in characters.
const minAdminToken = 16

// regionRe is the shape of a region code.
var regionRe = regexp.MustCompile(`^[a-z]{2,8}$`)

// Validate checks every value and the relations between them. It returns nil
// or an error with one line per problem, each naming the setting as the user
// set it (environment variable, or file:line and key; the bare key for a
// Config built in code) and, except for secrets, the offending value.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, shown, format string, args ...any) {
		errs = append(errs, c.problem(key, shown, fmt.Sprintf(format, args...)))
	}

	if msg := checkListenAddr(c.HTTPAddr); msg != "" {
		bad("http_addr", eq(c.HTTPAddr), "%s", msg)
	}
	if c.DataDir == "" {
		bad("data_dir", eq(c.DataDir), "must not be empty (it holds the SQLite database)")
	}
	if c.DatabaseURL != "" {
		if msg := checkURL(c.DatabaseURL, []string{"postgres", "postgresql"}, true,
			"postgres://user:password@host:5432/hybridcon?sslmode=disable"); msg != "" {
			bad("database_url", shownURL(c.DatabaseURL), "%s", msg)
		}
	}
	if c.RedisURL != "" {
		msg := checkURL(c.RedisURL, []string{"redis", "rediss"}, false, "redis://host:6379/0")
		if msg == "" {
			msg = checkRedisURL(c.RedisURL)
		}
		if msg != "" {
			bad("redis_url", shownURL(c.RedisURL), "%s", msg)
		}
	}

	if msg := checkRedisPrefix(c.RedisPrefix); msg != "" {
		bad("redis_prefix", eq(c.RedisPrefix), "%s", msg)
	}

	if len(c.Regions) == 0 {
		bad("regions", "", "must list at least one region")
	}
	seen := make(map[string]bool, len(c.Regions))
	for _, r := range c.Regions {
		switch {
		case !regionRe.MatchString(r):
			bad("regions", item(r), "a region is 2 to 8 lowercase letters, e.g. cn")
		case seen[r]:
			bad("regions", item(r), "listed twice")
		case r == "other":
			bad("regions", item(r), "\"other\" is reserved for viewers outside every listed region")
		}
		seen[r] = true
	}
	if !seen[c.Region] {
		bad("region", eq(c.Region), "unknown region (known: %s)", strings.Join(c.Regions, ", "))
	}

	switch {
	case c.NodeID == "":
		bad("node_id", eq(c.NodeID), "must not be empty")
	case strings.IndexFunc(c.NodeID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		bad("node_id", eq(c.NodeID), "must not contain whitespace or control characters")
	}

	if c.AdminToken != "" {
		if n := utf8.RuneCountInString(c.AdminToken); n < minAdminToken {
			bad("admin_token", "", "is %d characters; use at least %d, because short tokens are guessable",
				n, minAdminToken)
		} else if strings.IndexFunc(c.AdminToken, unicode.IsSpace) >= 0 {
			bad("admin_token", "", "contains whitespace (a stray newline?)")
		}
	}

	for _, o := range c.AllowedOrigins {
		if msg := checkOrigin(o); msg != "" {
			bad("allowed_origins", item(o), "%s", msg)
		}
	}
	for _, o := range c.EmbedOrigins {
		if msg := checkOrigin(o); msg != "" {
			bad("embed_origins", item(o), "%s", msg)
		}
	}

	for _, p := range c.TrustedProxies {
		if msg := checkProxy(p); msg != "" {
			bad("trusted_proxies", item(p), "%s", msg)
		}
	}
	if c.ProxyHeader != "" {
		switch msg := checkHeaderName(c.ProxyHeader); {
		case msg != "":
			bad("proxy_header", eq(c.ProxyHeader), "%s", msg)
		case len(c.TrustedProxies) == 0:
			bad("proxy_header", eq(c.ProxyHeader),
				"needs trusted_proxies (HYBRIDCON_TRUSTED_PROXIES): the header is believed only from them, so alone it would be ignored")
		}
	}
	switch {
	case c.HSTSMaxAge < 0:
		bad("hsts_max_age", eq(c.HSTSMaxAge.String()), "must not be negative (0 turns it off)")
	case c.HSTSMaxAge > 0 && c.HSTSMaxAge%time.Second != 0:
		bad("hsts_max_age", eq(c.HSTSMaxAge.String()), "must be whole seconds (max-age counts seconds), e.g. 4320h")
	}

	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", eq(c.LogLevel), "unknown level (known: debug, info, warn, error)")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", eq(c.LogFormat), "unknown format (known: text, json)")
	}
	if c.PprofAddr != "" {
		if msg := checkListenAddr(c.PprofAddr); msg != "" {
			bad("pprof_addr", eq(c.PprofAddr), "%s", msg)
		}
	}
	if c.MetricsAddr != "" {
		switch msg := checkListenAddr(c.MetricsAddr); {
		case msg != "":
			bad("metrics_addr", eq(c.MetricsAddr), "%s", msg)
		case c.MetricsAddr == c.HTTPAddr || c.MetricsAddr == c.PprofAddr:
			bad("metrics_addr", eq(c.MetricsAddr), "must differ from http_addr and pprof_addr")
		}
	}
	if c.ViewersPerAddress < 0 {
		bad("viewers_per_address", eq(strconv.Itoa(c.ViewersPerAddress)), "must be 0 (no cap) or more")
	}
	if c.PasswordHashes < 1 || c.PasswordHashes > 64 {
		bad("password_hashes", eq(strconv.Itoa(c.PasswordHashes)), "must be 1–64")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", eq(c.ShutdownTimeout.String()), "must be greater than 0")
	}
	return errors.Join(errs...)
}

// problem builds the one-line error for a setting: where it was set, its
// name as written there, the value as shown, and what is wrong, e.g.
// `HYBRIDCON_REGION="xx": unknown region (known: cn, hu)` or
// `hybridcon.yaml:7: region="xx": unknown region (known: cn, hu)`.
// shown is "" (for secrets), eq(v) or item(v).
func (c Config) problem(key, shown, msg string) error {
	o := c.origins[key]
	switch {
	case o.env != "":
		return fmt.Errorf("%s%s: %s", o.env, shown, msg)
	case o.file != "":
		return fmt.Errorf("%s: %s%s: %s", fileLine(o.file, o.line), key, shown, msg)
	}
	return fmt.Errorf("%s%s: %s", key, shown, msg)
}

// eq shows a whole value: `="v"`.
func eq(v string) string { return "=" + strconv.Quote(v) }

// item shows one item of a list: ` item "v"`.
func item(v string) string { return " item " + strconv.Quote(v) }

// shownURL shows a URL with its secrets masked (see redactURL), or nothing
// if it is not a plain URL (a key=value DSN may hold a password anywhere).
func shownURL(s string) string {
	r, ok := redactURL(s)
	if !ok {
		return ""
	}
	return eq(r)
}

// checkListenAddr returns what is wrong with a listen address, or "".
func checkListenAddr(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return `not host:port (e.g. ":8080" or "127.0.0.1:8080")`
	}
	if port == "" {
		return "missing port"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 0 to 65535", port)
	}
	return ""
}

// checkURL returns what is wrong with a server URL, or "". The message
// never repeats the URL, which may hold a password.
func checkURL(s string, schemes []string, needHost bool, example string) string {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return fmt.Sprintf("not a URL (%v); e.g. %s", err, example)
	}
	ok := false
	for _, sc := range schemes {
		ok = ok || u.Scheme == sc
	}
	if !ok {
		return fmt.Sprintf("scheme must be %s; e.g. %s", strings.Join(schemes, " or "), example)
	}
	if needHost && u.Hostname() == "" {
		return fmt.Sprintf("has no host; e.g. %s", example)
	}
	return ""
}

// checkOrigin returns what is wrong with an allowed origin, or "". An
// origin is exactly what browsers send in the Origin header:
// scheme://host[:port], lowercase, with nothing after it.
func checkOrigin(s string) string {
	const want = "want scheme://host[:port], e.g. https://live.example.org"
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "not an http(s) origin; " + want
	}
	if u.User != nil {
		return "an origin has no user name or password; " + want
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.HasSuffix(s, "#") {
		return "an origin has no path, not even a trailing /, and no query; " + want
	}
	canon := u.Scheme + "://" + strings.ToLower(u.Host)
	if s != canon {
		return fmt.Sprintf("write it as browsers send it: %q", canon)
	}
	return ""
}

// checkProxy returns what is wrong with a trusted proxy, or "": it must
// be a CIDR range, or an IP address written as Go prints it, because the
// HTTP server compares single addresses as text.
func checkProxy(s string) string {
	const want = "want an IP address or CIDR range, e.g. 10.0.0.5 or 10.0.0.0/8"
	if strings.Contains(s, "/") {
		if _, _, err := net.ParseCIDR(s); err != nil {
			return "not a CIDR range; " + want
		}
		return ""
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return "not an IP address; " + want
	}
	if s != ip.String() {
		return fmt.Sprintf("write it as %q (the form it is compared in)", ip.String())
	}
	return ""
}

// checkHeaderName returns what is wrong with an HTTP header name, or "".
func checkHeaderName(s string) string {
	for _, r := range s {
		if !isTokenChar(r) {
			return "not a header name (no spaces, colons or other separators), e.g. X-Real-IP"
		}
	}
	return ""
}

// isTokenChar reports whether r may appear in a header name (RFC 9110
// token).
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// checkRedisURL explains what go-redis refuses in a Redis URL, or returns
// "": a single Redis's URL, or with addr= parameters the seeds of a Redis
// Cluster (which has database 0 only).
func checkRedisURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return err.Error()
	}
	if u.Query().Has("addr") {
		if _, err := redis.ParseClusterURL(raw); err != nil {
			return strings.TrimPrefix(err.Error(), "redis: ")
		}
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return fmt.Sprintf("a Redis Cluster (addr= seeds) has only database 0, not %q", db)
		}
		return ""
	}
	if _, err := redis.ParseURL(raw); err != nil {
		return strings.TrimPrefix(err.Error(), "redis: ")
	}
	return ""
}

// checkRedisPrefix explains what is wrong with a Redis prefix, or returns
// "". Braces are refused because they would change which Redis Cluster
// shard a channel hashes to.
func checkRedisPrefix(p string) string {
	switch {
	case len(p) > 64:
		return "must be at most 64 characters"
	case strings.ContainsAny(p, "{}"):
		return "must not contain { or } (Redis Cluster hash tags)"
	case strings.IndexFunc(p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "must not contain whitespace or control characters"
	}
	return ""
}
