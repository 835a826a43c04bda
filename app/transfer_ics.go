package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendars of meetings (RFC 5545): a participant's or a team's meetings
// as an iCalendar file their calendar program subscribes to. Times are in
// UTC (the "Z" form), which every calendar shows in its reader's zone.

// icsWords are the few words of a meeting calendar, by language.
var icsWords = map[string]struct{ meeting, table, calendar string }{
	"en": {"Meeting with %s", "Table %d", "%s — my meetings"},
	"zh": {"与%s会谈", "%d号桌", "%s — 我的会谈"},
	"hu": {"Találkozó: %s", "%d. asztal", "%s — találkozóim"},
}

// MeetingsICS returns the caller's meetings as an iCalendar file: a
// participant's or a team's own, an organizer's every meeting; texts in
// lang (zh, en or hu; others mean English).
func (s *Service) MeetingsICS(ctx context.Context, p Principal, slug, lang string) ([]byte, error) {
	views, err := s.Meetings(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	ev, err := s.Event(ctx, slug)
	if err != nil {
		return nil, err
	}
	return meetingsCalendar(ev, views, p.Party != nil && p.Party.Team != nil, lang, s.Now()), nil
}

// meetingsCalendar renders meetings as an iCalendar file; forTeam names
// the participant in each meeting's title, else the team.
func meetingsCalendar(ev *Event, views []MeetingView, forTeam bool, lang string, now time.Time) []byte {
	w, ok := icsWords[lang]
	if !ok {
		lang, w = "en", icsWords["en"]
	}
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	var b strings.Builder
	line := func(name, value string) { b.WriteString(foldICS(name + ":" + value)) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//hybridcon//meetings//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeICS(fmt.Sprintf(w.calendar, ev.Title.In(lang))))
	for _, m := range views {
		other := m.TeamName
		if forTeam && m.Contact != nil {
			other = m.Contact.Name
			if m.Contact.Organization != "" {
				other += " (" + m.Contact.Organization + ")"
			}
		}
		place := m.Room
		if m.Mode != MeetingOnline {
			place = fmt.Sprintf(w.table, m.Table)
		}
		line("BEGIN", "VEVENT")
		line("UID", fmt.Sprintf("meeting-%d@%s.hybridcon", m.ID, ev.Slug))
		line("DTSTAMP", stamp(now))
		line("DTSTART", stamp(m.StartsAt))
		line("DTEND", stamp(m.EndsAt))
		line("SUMMARY", escapeICS(fmt.Sprintf(w.meeting, other)))
		line("LOCATION", escapeICS(place))
		if m.Link != "" {
			line("URL", m.Link)
		}
		line("DESCRIPTION", escapeICS(ev.Title.In(lang)))
		line("STATUS", "CONFIRMED")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// escapeICS escapes a TEXT value: backslash, semicolon, comma and line
// breaks.
func escapeICS(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// foldICS ends a content line with CRLF, folding it into lines of at most
// 75 octets (continuations start with a space) without splitting a UTF-8
// character.
func foldICS(l string) string {
	var b strings.Builder
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
	return b.String()
}
