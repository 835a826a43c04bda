package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/hybridcon/hybridcon/app"
)

// The programme as iCalendar (RFC 5545), built with a kept iCalendar
// library rather than by string building: one VEVENT per session, its
// times local to the venue's zone (DTSTART;TZID=Asia/Shanghai:…) with that
// zone's VTIMEZONE, so every calendar shows them in its reader's own zone.
//
//   - UID is the session's, "<id>.session.<event slug>@hybridcon": the
//     same across every edit, so a re-import updates the entry.
//   - SEQUENCE is the session's version less one: every change an
//     organizer makes (a new title, a delay, a start) raises it.
//   - DTSTART/DTEND are the planned times (what the organizers set; the
//     live pages show expected ones).
//   - STATUS is CANCELLED for a cancelled session, else CONFIRMED.

// calendarInput is what calendarOf reads.
type calendarInput struct {
	event    *app.Event
	stages   []app.Stage
	sessions []app.Session
	stage    string // only this stage's sessions ("" for all)
	lang     string
	base     string // scheme://host of this site, for URLs
	now      time.Time
	kind     func(kind string) string // a session kind in lang
}

// calendarOf renders the programme as an iCalendar document.
func calendarOf(in calendarInput) (string, error) {
	tz := in.event.VenueTZ
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", fmt.Errorf("web: calendar zone %q: %w", tz, err)
	}
	stageName := map[string]string{}
	for _, st := range in.stages {
		stageName[st.Slug] = st.Name.In(in.lang)
	}
	cal := ics.NewCalendarFor("hybridcon")
	cal.SetProductId("-//hybridcon//programme//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	name := in.event.Title.In(in.lang)
	if in.stage != "" {
		name = stageName[in.stage] + " · " + name
	}
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone(tz)

	from, to := in.event.StartsAt, in.event.EndsAt
	for _, se := range in.sessions {
		from, to = earlier(from, se.PlannedStart), laterOf(to, se.PlannedEnd)
	}
	cal.AddVTimezone(vtimezone(tz, loc, from, to))

	venue := in.event.Venue.In(in.lang)
	for _, se := range in.sessions {
		if in.stage != "" && se.Stage != in.stage {
			continue
		}
		ev := cal.AddEvent(strconv.FormatInt(se.ID, 10) + ".session." + in.event.Slug + "@hybridcon")
		ev.SetDtStampTime(in.now)
		ev.SetSequence(int(max(se.Version-1, 0)))
		ev.SetProperty(ics.ComponentPropertyDtStart, se.PlannedStart.In(loc).Format(icsLocal), ics.WithTZID(tz))
		ev.SetProperty(ics.ComponentPropertyDtEnd, se.PlannedEnd.In(loc).Format(icsLocal), ics.WithTZID(tz))
		ev.SetSummary(se.Title.In(in.lang))
		ev.SetLocation(joinDot(stageName[se.Stage], venue))
		ev.SetURL(in.base + "/e/" + in.event.Slug + "/s/" + se.Stage)
		status := ics.ObjectStatusConfirmed
		if se.State == app.StateCancelled {
			status = ics.ObjectStatusCancelled
		}
		ev.SetStatus(status)
		ev.SetDescription(joinDot(stageName[se.Stage], in.kind(se.Kind)) + "\n" + in.base + "/e/" + in.event.Slug + "/s/" + se.Stage)
	}
	var b strings.Builder
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return "", err
	}
	return b.String(), nil
}

// icsLocal is the layout of a local DATE-TIME.
const icsLocal = "20060102T150405"

// vtimezone describes loc from a year before from to a year after to: a
// component for the offset in force at the start of that span, then one
// per change of offset in it (DAYLIGHT when the new offset is summer
// time, else STANDARD), each starting at the local time before the
// change, as RFC 5545 §3.6.5 has it. A zone without changes (China) is
// one STANDARD component.
func vtimezone(tz string, loc *time.Location, from, to time.Time) *ics.VTimezone {
	vt := ics.NewTimezone(tz)
	start := time.Date(from.In(loc).Year()-1, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(to.In(loc).Year()+2, 1, 1, 0, 0, 0, 0, time.UTC)
	name, offset := start.In(loc).Zone()
	add := func(at time.Time, fromOff, toOff int, abbr string, dst bool) {
		var c *ics.ComponentBase
		if dst {
			d := &ics.Daylight{}
			vt.Components = append(vt.Components, d)
			c = &d.ComponentBase
		} else {
			s := vt.AddStandard()
			c = &s.ComponentBase
		}
		c.SetProperty(ics.ComponentPropertyDtStart, at.Add(time.Duration(fromOff)*time.Second).UTC().Format(icsLocal))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(fromOff))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(toOff))
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), abbr)
	}
	add(start, offset, offset, name, start.In(loc).IsDST())
	// Walk the span a day at a time, and find each change to the second.
	for t := start; t.Before(end); t = t.Add(24 * time.Hour) {
		next := t.Add(24 * time.Hour)
		_, o1 := t.In(loc).Zone()
		n2, o2 := next.In(loc).Zone()
		if o1 == o2 {
			continue
		}
		lo, hi := t, next // offset o1 at lo, o2 at hi
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2)
			if _, o := mid.In(loc).Zone(); o == o1 {
				lo = mid
			} else {
				hi = mid
			}
		}
		add(hi, o1, o2, n2, hi.In(loc).IsDST())
	}
	return vt
}

// utcOffset writes seconds east of UTC as ±hhmm.
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec%3600/60)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
