package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// static holds the pages' assets: CSS, JavaScript modules, the interface
// strings (i18n/*.json) and images. Nothing is generated: these are the
// files as written.
//
//go:embed static
var static embed.FS

// templates holds the html/template shells of the pages.
//
//go:embed templates/*.html
var templates embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	gz    []byte // gzip of body, nil when it does not save enough
	ctype string
	etag  string // strong ETag: a hash of body
}

// assetSet is every static file by its path under static/, with a version
// that changes whenever any file changes.
type assetSet struct {
	files   map[string]*asset
	version string // 12 hex digits of a hash over every file
}

// contentTypes maps the extensions we ship to their media types.
var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
}

// loadAssets reads every file under static/ into memory, hashes it and
// compresses what compresses well. It fails on an extension without a
// known content type, so nothing is ever served as a guess.
func loadAssets() (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, p := range names {
		body, err := static.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if path.Base(p) == "LICENSE" {
			// A kept library's licence, under the name it ships with.
			ctype, ok = contentTypes[".txt"], true
		}
		if !ok {
			return nil, &fs.PathError{Op: "serve", Path: p, Err: fs.ErrInvalid}
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		a := &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if !strings.HasPrefix(ctype, "image/png") {
			a.gz = gzipIfSmaller(body)
		}
		set.files[name] = a
		all.Write([]byte(name))
		all.Write(sum[:])
	}
	set.version = hex.EncodeToString(all.Sum(nil))[:12]
	return set, nil
}

// gzipIfSmaller returns body compressed, or nil when that saves less than
// a tenth (small files, already compressed formats).
func gzipIfSmaller(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() > len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// base is the URL prefix of the current assets, e.g. "/static/0123456789ab/".
// Every page refers to its assets under it; a module's relative imports
// stay under it too, so one version covers a whole page.
func (s *assetSet) base() string { return "/static/" + s.version + "/" }

// isVersion reports whether v looks like an asset version.
func isVersion(v string) bool {
	if len(v) != 12 {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// serve answers GET /static/<version>/<path>. The current version is
// cached for a year (the URL changes with the content); another version
// (a page loaded before a deploy) gets today's file, revalidated on every
// use. ETag and If-None-Match work for both; gzip is sent when accepted.
func (s *assetSet) serve(c *fiber.Ctx) error {
	version, name, ok := strings.Cut(c.Params("*"), "/")
	if !ok || !isVersion(version) {
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	a := s.files[name]
	if a == nil {
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	h := &c.Response().Header
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(fiber.HeaderETag, a.etag)
	h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if version == s.version {
		h.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, a.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	h.Set(fiber.HeaderContentType, a.ctype)
	if a.gz != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		h.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.body)
}

// etagMatches reports whether an If-None-Match list names etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
