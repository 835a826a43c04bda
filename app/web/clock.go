package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Times as the pages show them when they are rendered here (without
// scripts): hours and minutes in a zone, with the date in front whenever
// the day is not today in that zone, and spans such as "1 h 20 min". The
// scripts (static/js/time.js) show the same in the same words.

// zoneKeys name the zones the dictionary has labels for.
var zoneKeys = map[string]string{
	"Asia/Shanghai":   "tz.beijing",
	"Asia/Chongqing":  "tz.beijing",
	"Europe/Budapest": "tz.budapest",
}

// zoneLabel names a zone for readers of lang ("Beijing"), or its city.
func (d dictionary) zoneLabel(lang, tz string) string {
	if k, ok := zoneKeys[tz]; ok {
		return d.text(lang, k)
	}
	city := tz[strings.LastIndexByte(tz, '/')+1:]
	return strings.ReplaceAll(city, "_", " ")
}

// loadZone returns the zone named tz, or UTC when the name is unknown.
func loadZone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

var (
	weekdaysZH = [...]string{"日", "一", "二", "三", "四", "五", "六"}
	weekdaysHU = [...]string{"V", "H", "K", "Sze", "Cs", "P", "Szo"}
	monthsHU   = [...]string{"jan.", "febr.", "márc.", "ápr.", "máj.", "jún.", "júl.", "aug.", "szept.", "okt.", "nov.", "dec."}
)

// dayLabel is the weekday and date of t (already in its zone) in lang:
// "Fri 27 Nov", "11月27日 周五", "nov. 27., P".
func dayLabel(lang string, t time.Time) string {
	switch lang {
	case "zh":
		return fmt.Sprintf("%d月%d日 周%s", int(t.Month()), t.Day(), weekdaysZH[t.Weekday()])
	case "hu":
		return fmt.Sprintf("%s %d., %s", monthsHU[t.Month()-1], t.Day(), weekdaysHU[t.Weekday()])
	}
	return t.Format("Mon 2 Jan")
}

// sameDay reports whether a and b (in one zone) fall on one calendar day.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// clockIn is t's hour and minute in loc, after its date when that day is
// not now's day in loc.
func clockIn(lang string, t, now time.Time, loc *time.Location) string {
	lt := t.In(loc)
	hm := lt.Format("15:04")
	if sameDay(lt, now.In(loc)) {
		return hm
	}
	return dayLabel(lang, lt) + " " + hm
}

// span is d in whole minutes as readers of lang say it: "1 h 20 min",
// "45 min", "2 h".
func (d dictionary) span(lang string, dur time.Duration) string {
	mins := int(dur.Round(time.Minute) / time.Minute)
	if mins < 0 {
		mins = -mins
	}
	h, m := mins/60, mins%60
	vars := map[string]string{"h": strconv.Itoa(h), "m": strconv.Itoa(m)}
	switch {
	case h > 0 && m > 0:
		return d.format(lang, "time.durHM", vars)
	case h > 0:
		return d.format(lang, "time.durH", vars)
	}
	return d.format(lang, "time.durM", vars)
}

// shiftNote says how far expected is from planned ("1 h 20 min later
// than planned"), or "" when they fall in the same minute.
func (d dictionary) shiftNote(lang string, planned, expected time.Time) string {
	diff := expected.Sub(planned)
	if diff.Truncate(time.Minute) == 0 {
		return ""
	}
	key := "time.late"
	if diff < 0 {
		key = "time.early"
	}
	return d.format(lang, key, map[string]string{"d": d.span(lang, diff)})
}

// format is text with its {name} placeholders filled from vars.
func (d dictionary) format(lang, key string, vars map[string]string) string {
	s := d.text(lang, key)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
