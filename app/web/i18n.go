package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// langs are the interface languages, in the order the pages offer them.
var langs = []string{"zh", "en", "hu"}

// langCookie remembers the reader's language so that pages are rendered
// in it from the first byte (the scripts also keep it in localStorage).
const langCookie = "hc_lang"

// htmlLang is the value of <html lang> for each language.
var htmlLang = map[string]string{"zh": "zh-CN", "en": "en", "hu": "hu"}

// dictionary is the interface strings of every language: lang → key →
// text. The same files (static/i18n/<lang>.json) are what the scripts
// use, so a page rendered here and re-rendered by a script agree.
type dictionary map[string]map[string]string

// loadDictionary reads static/i18n/<lang>.json for every language and
// checks that all of them have the same keys.
func loadDictionary() (dictionary, error) {
	d := dictionary{}
	for _, l := range langs {
		b, err := static.ReadFile("static/i18n/" + l + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: static/i18n/%s.json: %w", l, err)
		}
		d[l] = m
	}
	for key := range d["en"] {
		for _, l := range langs {
			if _, ok := d[l][key]; !ok {
				return nil, fmt.Errorf("web: static/i18n/%s.json lacks %q", l, key)
			}
		}
	}
	for _, l := range langs {
		if len(d[l]) != len(d["en"]) {
			return nil, fmt.Errorf("web: static/i18n/%s.json has keys that en.json lacks", l)
		}
	}
	return d, nil
}

// text returns the string of key in lang, else in English, else the key
// itself (so a missing string shows, rather than an empty space).
func (d dictionary) text(lang, key string) string {
	if s, ok := d[lang][key]; ok {
		return s
	}
	if s, ok := d["en"][key]; ok {
		return s
	}
	return key
}

// validLang reports whether l is one of the interface languages.
func validLang(l string) bool { return l == "zh" || l == "en" || l == "hu" }

// chooseLang picks the page language: an explicit choice (the ?lang=
// parameter, then the hc_lang cookie), else the best of Accept-Language,
// else English.
func chooseLang(query, cookie, acceptLanguage string) string {
	if validLang(query) {
		return query
	}
	if validLang(cookie) {
		return cookie
	}
	return fromAcceptLanguage(acceptLanguage)
}

// fromAcceptLanguage returns the interface language the header prefers
// most (by q, then by order), or "en" when it names none of them.
func fromAcceptLanguage(h string) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !validLang(primary) {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// pageStrings names, by key prefix, the strings each page's scripts use;
// a page is sent only those (a language switch fetches the whole file).
var pageStrings = map[string][]string{
	"events":  {"common.", "events.", "tz."},
	"login":   {"common.", "login."},
	"error":   {"common."},
	"live":    {"common.", "conn.", "tz.", "time.", "region.", "place.", "kind.", "state.", "slot.", "mode.", "live.", "transfer."},
	"kiosk":   {"common.", "kiosk.", "reason.", "category.", "tz.", "transfer."},
	"console": {"common.", "conn.", "tz.", "time.", "region.", "place.", "kind.", "state.", "slot.", "mode.", "live.", "action.", "console.", "audit.", "object.", "accounts.", "role.", "setup.", "category.", "transfer."},
	"timer":   {"common.", "conn.", "tz.", "time.", "place.", "kind.", "state.", "mode.", "live.", "timer.", "transfer."},
	"foyer":   {"common.", "conn.", "tz.", "time.", "region.", "place.", "kind.", "state.", "slot.", "mode.", "live.", "foyer."},
	"embed":   {"common.", "conn.", "tz.", "time.", "region.", "place.", "kind.", "state.", "slot.", "mode.", "live.", "embed."},
}

// forPage returns the strings of lang that page uses.
func (d dictionary) forPage(lang, page string) map[string]string {
	out := map[string]string{}
	for key, s := range d[lang] {
		for _, prefix := range pageStrings[page] {
			if strings.HasPrefix(key, prefix) {
				out[key] = s
				break
			}
		}
	}
	return out
}
