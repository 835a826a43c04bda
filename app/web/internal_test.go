package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"/console":                       "/console",
		"/e/cn-hu-2021/checkin":          "/e/cn-hu-2021/checkin",
		"/console?event=cn-hu-2021#keys": "/console?event=cn-hu-2021#keys",
		"":                               "",
		"console":                        "",
		"//evil.example/":                "",
		"/\\evil.example/":               "",
		"https://evil.example/console":   "",
		"/\t/evil.example":               "",
		"/api/v1/auth/logout":            "",
		"/ws/events/x":                   "",
		"/static/abc/js/live.js":         "",
		"/login":                         "",
		"/%2F%2Fevil.example":            "/%2F%2Fevil.example", // a path on this site, not a host
		"/" + strings.Repeat("a", 2100):  "",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChooseLang(t *testing.T) {
	cases := []struct{ query, cookie, accept, want string }{
		{"", "", "", "en"},
		{"", "", "zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"", "", "hu-HU,hu;q=0.9,en-US;q=0.8", "hu"},
		{"", "", "de-DE,de;q=0.9,en;q=0.5,zh;q=0.7", "zh"},
		{"", "", "fr,de", "en"},
		{"", "", "en;q=bogus,hu;q=0.3", "hu"},
		{"", "hu", "zh-CN", "hu"},
		{"", "xx", "zh-CN", "zh"},
		{"zh", "hu", "en", "zh"},
		{"xx", "", "hu", "hu"},
	}
	for _, c := range cases {
		if got := chooseLang(c.query, c.cookie, c.accept); got != c.want {
			t.Errorf("chooseLang(%q, %q, %q) = %q, want %q", c.query, c.cookie, c.accept, got, c.want)
		}
	}
}

func TestAssetsLoad(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	if !isVersion(a.version) {
		t.Fatalf("version %q is not 12 hex digits", a.version)
	}
	for _, name := range []string{"js/live.js", "js/kiosk.js", "js/console.js", "css/base.css", "i18n/zh.json", "img/icon.svg"} {
		f := a.files[name]
		if f == nil {
			t.Fatalf("%s is not embedded", name)
		}
		if strings.HasSuffix(name, ".js") && f.gz == nil {
			t.Errorf("%s is not precompressed", name)
		}
	}
}

// keyRE matches interface string keys in the scripts: quoted literals
// such as 'live.upNext', and prefixes of computed keys such as
// `kiosk.result.${kind}` or label('state.', …).
var (
	keyRE       = regexp.MustCompile(`['"` + "`" + `]((?:common|conn|tz|time|region|place|kind|state|slot|mode|action|category|reason|live|events|login|error|kiosk|console|audit|object|transfer|timer|foyer|embed|accounts|setup)\.[A-Za-z0-9_.]*)(\$\{|['"` + "`" + `])`)
	importRE    = regexp.MustCompile(`from '\./([a-z-]+\.js)'`)
	tmplKeyRE   = regexp.MustCompile(`\.T "([^"]+)"|data-i18n="([^"]+)"`)
	tmplAttrRE  = regexp.MustCompile(`data-i18n-attr="([^"]+)"`)
	pageScripts = map[string]string{"events": "events.js", "login": "login.js", "live": "live.js", "kiosk": "kiosk.js", "console": "console.js",
		"participant": "participant.js", "team": "team.js",
		"timer": "timer.js", "foyer": "foyer.js", "embed": "embed.js"}
)

// scriptKeys returns the keys (and key prefixes, ending in ".") used by
// the module graph of a page's entry script.
func scriptKeys(t *testing.T, entry string) []string {
	t.Helper()
	seen := map[string]bool{}
	keys := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		b, err := static.ReadFile("static/js/" + name)
		if err != nil {
			t.Fatalf("%s imports %s: %v", entry, name, err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			walk(m[1])
		}
	}
	walk(entry)
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestStringsCoverPages checks that every key a page's scripts use exists
// in the dictionary and is among the strings the page is sent, and that
// every key a template uses exists.
func TestStringsCoverPages(t *testing.T) {
	d, err := loadDictionary()
	if err != nil {
		t.Fatal(err)
	}
	for page, entry := range pageScripts {
		sent := d.forPage("en", page)
		for _, key := range scriptKeys(t, entry) {
			if strings.HasSuffix(key, ".") {
				found := false
				for k := range sent {
					if strings.HasPrefix(k, key) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("page %s: scripts compute keys under %q but the page is sent none", page, key)
				}
				continue
			}
			if _, ok := d["en"][key]; !ok {
				t.Errorf("page %s: key %q is not in the dictionary", page, key)
			} else if _, ok := sent[key]; !ok {
				t.Errorf("page %s: key %q is not sent to the page (pageStrings)", page, key)
			}
		}
	}
	err = fs.WalkDir(templates, "templates", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, _ := templates.ReadFile(p)
		var keys []string
		for _, m := range tmplKeyRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1]+m[2])
		}
		for _, m := range tmplAttrRE.FindAllStringSubmatch(string(b), -1) {
			for _, pair := range strings.Split(m[1], ";") {
				if _, key, ok := strings.Cut(pair, ":"); ok {
					keys = append(keys, key)
				}
			}
		}
		page := strings.TrimSuffix(path.Base(p), ".html")
		for _, key := range keys {
			if _, ok := d["en"][key]; !ok {
				t.Errorf("%s: key %q is not in the dictionary", p, key)
			}
			// Keys the scripts re-translate must be sent to the page.
			if _, isPage := pageStrings[page]; isPage && strings.Contains(string(b), `data-i18n="`+key+`"`) {
				if _, ok := d.forPage("en", page)[key]; !ok {
					t.Errorf("%s: data-i18n key %q is not sent to the page", p, key)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDictionaryComplete: every language has every key, none empty, and
// the placeholders of a string are the same in every language.
func TestDictionaryComplete(t *testing.T) {
	d, err := loadDictionary()
	if err != nil {
		t.Fatal(err)
	}
	ph := regexp.MustCompile(`\{(\w+)\}`)
	for key, en := range d["en"] {
		want := ph.FindAllString(en, -1)
		sort.Strings(want)
		for _, l := range langs {
			s := d[l][key]
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: %q is empty", l, key)
			}
			got := ph.FindAllString(s, -1)
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: %q has placeholders %v, English has %v", l, key, got, want)
			}
		}
	}
}

// TestConferenceDaysSpanMidnight: the demo opening at 22:55 in a zone runs
// past midnight there, yet its day one stays one day and day two another.
func TestConferenceDaysSpanMidnight(t *testing.T) {
	budapest, _ := time.LoadLocation("Europe/Budapest")
	c := demo.Build(time.Date(2026, 12, 4, 22, 50, 0, 0, budapest))
	list := make([]app.Session, len(c.Sessions))
	for i, se := range c.Sessions {
		se.ExpectedStart, se.ExpectedEnd = se.PlannedStart, se.PlannedEnd
		list[i] = se
	}
	days := conferenceDays(list)
	if len(days) != 2 || len(days[0]) != 4 || len(days[1]) != 3 {
		t.Fatalf("days: %d (%v)", len(days), days)
	}
	if k := days[0][0].ExpectedStart.In(budapest).Format("2006-01-02"); k != "2026-12-04" {
		t.Errorf("day one starts %s", k)
	}
}

// TestVendoredJsQR: the kiosk's fallback QR decoder is jsQR 1.4.0 exactly
// as npm publishes it (dist/jsQR.js of `npm pack jsqr@1.4.0`), served
// with its Apache-2.0 licence.
func TestVendoredJsQR(t *testing.T) {
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"vendor/jsqr/jsQR.js": "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859",
		"vendor/jsqr/LICENSE": "c6596eb7be8581c18be736c846fb9173b69eccf6ef94c5135893ec56bd92ba08",
	} {
		f := a.files[name]
		if f == nil {
			t.Fatalf("%s is not served", name)
		}
		if sum := sha256.Sum256(f.body); hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s changed: sha256 %x, want %s (the file as published on npm)", name, sum, want)
		}
	}
	if lic := a.files["vendor/jsqr/LICENSE"]; !strings.HasPrefix(lic.ctype, "text/plain") || !bytes.Contains(lic.body, []byte("Apache License")) {
		t.Errorf("the licence is served as %q", lic.ctype)
	}
}
