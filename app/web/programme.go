package web

import (
	"sort"
	"strconv"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// The programme as the live, stage, foyer and embed pages render it on the
// server, so that a reader with scripts blocked (or a search engine) sees
// what is on now, what is next and the agenda, in the page's language.
// The scripts then draw the same regions again from the live data and keep
// them current. Everything here is built from a snapshot's LiveState.

// programme is what a page shows of the live state.
type programme struct {
	Stages []stageCard
	Days   []agendaDay
	// Multi is set when the event has several stages (the agenda names
	// each session's stage).
	Multi bool
}

// stageCard is one stage's now / next card and stream.
type stageCard struct {
	Slug, Name string
	Href       string // the stage's own page
	State      string // the state of the session shown ("" when none)
	Class      string // now card modifier: is-paused, is-upcoming, now-ended
	Label      string
	Title      string
	Meta       string
	Pos        string
	TimesLabel string
	Note       string // how far from the plan
	Times      []zoneTime

	NextLabel      string
	NextTitle      string
	NextMeta       string
	NextTimesLabel string
	NextNote       string
	NextTimes      []zoneTime

	StreamURL  string // "" when the stage is not live now
	StreamNote string
}

// zoneTime is an instant in one zone: expected, and planned when it differs.
type zoneTime struct {
	Zone     string
	Text     string
	Planned  string
	ISO      string
	Disabled bool
}

// agendaDay is one day of the agenda.
type agendaDay struct {
	Key   string // YYYY-MM-DD in the first zone
	Label string
	Rows  []agendaRow
}

// agendaRow is one session of the agenda.
type agendaRow struct {
	ID         int64
	Kind       string
	Title      string
	Stage      string
	State      string
	StateLabel string
	Fixed      bool
	Note       string
	Times      []zoneTime
}

// progInput is what buildProgramme reads.
type progInput struct {
	lang   string
	now    time.Time
	region string // cn, hu, … or "" (the default stream link)
	stage  string // only this stage ("" for all)
	state  *app.LiveState
}

// buildProgramme renders the live state for a page.
func (p *pages) buildProgramme(in progInput) programme {
	st := in.state
	d := p.dict
	zones := st.Event.ViewerTZs
	if len(zones) == 0 {
		zones = []string{"Asia/Shanghai", "Europe/Budapest"}
	}
	if len(zones) > 2 {
		zones = zones[:2]
	}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		locs[i] = loadZone(z)
	}
	at := func(expected, planned time.Time) []zoneTime {
		out := make([]zoneTime, len(zones))
		for i, loc := range locs {
			zt := zoneTime{Zone: d.zoneLabel(in.lang, zones[i]), Text: clockIn(in.lang, expected, in.now, loc), ISO: expected.UTC().Format(time.RFC3339)}
			if !planned.IsZero() && expected.Truncate(time.Minute) != planned.Truncate(time.Minute) {
				zt.Planned = clockIn(in.lang, planned, in.now, loc)
			}
			out[i] = zt
		}
		return out
	}
	sessions := map[int64]*app.Session{}
	for i := range st.Sessions {
		sessions[st.Sessions[i].ID] = &st.Sessions[i]
	}
	items := map[int64]app.LiveShowcase{}
	for _, sc := range st.Showcases {
		items[sc.SessionID] = sc
	}
	achievements := map[int64]*app.Achievement{}
	for i := range st.Achievements {
		achievements[st.Achievements[i].ID] = &st.Achievements[i]
	}
	itemText := func(sl *app.Slot) (title, meta string) {
		if sl.AchievementID != 0 {
			if a := achievements[sl.AchievementID]; a != nil {
				return a.Title.In(in.lang), joinDot(a.Institution, d.label(in.lang, "place.", a.Region), a.Presenter)
			}
			return "", ""
		}
		if sl.Title != nil {
			title = sl.Title.In(in.lang)
		}
		return title, sl.Presenter
	}
	stageNames := map[string]string{}
	out := programme{Multi: len(st.Stages) > 1}
	for _, sn := range st.Stages {
		stageNames[sn.Slug] = sn.Name.In(in.lang)
		if in.stage != "" && sn.Slug != in.stage {
			continue
		}
		c := stageCard{Slug: sn.Slug, Name: sn.Name.In(in.lang), State: sn.State, Href: "/e/" + st.Event.Slug + "/s/" + sn.Slug}
		se := sessions[sn.SessionID]
		links := sn.StreamLinks
		if se != nil {
			links = app.EffectiveStreamLinks(sn.StreamLinks, se.StreamLinks)
		}
		active := se != nil && (se.State == app.StateLive || se.State == app.StatePaused)
		total := len(items[sn.SessionID].Slots)
		switch {
		case se == nil:
			c.Class, c.Label, c.Title = "now-ended", d.text(in.lang, "live.stageOver"), d.text(in.lang, "live.thanks")
		case active && sn.Current != nil:
			c.Label = d.text(in.lang, "live.nowPresenting")
			c.Title, c.Meta = itemText(sn.Current)
			c.Pos = d.format(in.lang, "live.position", map[string]string{"n": strconv.Itoa(sn.Current.Position), "total": strconv.Itoa(total)})
			c.TimesLabel, c.Times = d.text(in.lang, "live.until"), at(sn.Current.ExpectedEnd, sn.Current.PlannedEnd)
		case active:
			c.Label, c.Title = d.text(in.lang, "live.now"), se.Title.In(in.lang)
			c.Pos = d.label(in.lang, "kind.", se.Kind)
			c.TimesLabel, c.Times = d.text(in.lang, "live.until"), at(se.ExpectedEnd, se.PlannedEnd)
		default:
			c.Class, c.Title, c.Pos = "is-upcoming", se.Title.In(in.lang), d.label(in.lang, "kind.", se.Kind)
			c.Label = d.text(in.lang, "live.nextOnStage")
			if se.ExpectedStart.Sub(in.now) <= time.Hour {
				c.Label = d.text(in.lang, "live.startsSoon")
			}
			c.TimesLabel, c.Note, c.Times = d.text(in.lang, "live.startsAt"), d.shiftNote(in.lang, se.PlannedStart, se.ExpectedStart), at(se.ExpectedStart, se.PlannedStart)
		}
		if se != nil && se.State == app.StatePaused {
			c.Class, c.Label = "is-paused", d.text(in.lang, "live.paused")
		}
		// Up next: the next item (of a running session, or the first of
		// one about to start), else the session after on the stage.
		following := sessions[sn.NextSessionID]
		switch {
		case sn.Next != nil && (active || sn.Current == nil):
			c.NextLabel = d.text(in.lang, "live.upNext")
			c.NextTitle, c.NextMeta = itemText(sn.Next)
			c.NextTimesLabel, c.NextNote, c.NextTimes = d.text(in.lang, "live.expectedStart"), d.shiftNote(in.lang, sn.Next.PlannedStart, sn.Next.ExpectedStart), at(sn.Next.ExpectedStart, sn.Next.PlannedStart)
		case following != nil:
			c.NextLabel, c.NextTitle, c.NextMeta = d.text(in.lang, "live.upNext"), following.Title.In(in.lang), d.label(in.lang, "kind.", following.Kind)
			c.NextTimesLabel, c.NextNote, c.NextTimes = d.text(in.lang, "live.expectedStart"), d.shiftNote(in.lang, following.PlannedStart, following.ExpectedStart), at(following.ExpectedStart, following.PlannedStart)
		default:
			c.NextLabel, c.NextTitle = d.text(in.lang, "live.upNext"), d.text(in.lang, "live.nothingNext")
		}
		// The stream: live only while the stage's session is.
		url := links[in.region]
		if url == "" {
			url = links["default"]
		}
		switch {
		case active && url != "":
			c.StreamURL = url
			c.StreamNote = d.format(in.lang, "live.streamLive", map[string]string{"stage": c.Name})
		case se != nil && !active:
			c.StreamNote = d.format(in.lang, "live.streamAt", map[string]string{"stage": c.Name, "time": clockIn(in.lang, se.ExpectedStart, in.now, locs[0])})
		case se == nil:
			c.StreamNote = d.format(in.lang, "live.streamOver", map[string]string{"stage": c.Name})
		default:
			c.StreamNote = d.text(in.lang, "live.noStream")
		}
		out.Stages = append(out.Stages, c)
	}
	// The agenda, by conference day (see conferenceDays), each named by
	// its first session's date in the first zone.
	var shown []app.Session
	for _, se := range st.Sessions {
		if in.stage == "" || se.Stage == in.stage {
			shown = append(shown, se)
		}
	}
	for _, day := range conferenceDays(shown) {
		first := day[0].ExpectedStart.In(locs[0])
		ad := agendaDay{Key: first.Format("2006-01-02"), Label: dayLabel(in.lang, first)}
		for _, se := range day {
			row := agendaRow{ID: se.ID, Kind: d.label(in.lang, "kind.", se.Kind), Title: se.Title.In(in.lang), State: se.State,
				StateLabel: d.label(in.lang, "state.", se.State), Fixed: se.FixedStart, Times: at(se.ExpectedStart, se.PlannedStart)}
			if out.Multi {
				row.Stage = stageNames[se.Stage]
			}
			if se.State == app.StateScheduled {
				row.Note = d.shiftNote(in.lang, se.PlannedStart, se.ExpectedStart)
			}
			ad.Rows = append(ad.Rows, row)
		}
		out.Days = append(out.Days, ad)
	}
	return out
}

// label is the dictionary's word for value under prefix ("kind.panel"),
// or value itself when it has none.
func (d dictionary) label(lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	key := prefix + lowerASCII(value)
	if _, ok := d["en"][key]; !ok {
		return value
	}
	return d.text(lang, key)
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// joinDot joins the non-empty parts with " · ".
func joinDot(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " · "
		}
		out += p
	}
	return out
}

// dayBreak is the quiet time that separates two conference days.
const dayBreak = 6 * time.Hour

// conferenceDays splits sessions into the conference's days: in order of
// expected start, a day ends where nothing is on for dayBreak. A day is the
// conference's, not the calendar's: an evening that runs past midnight in
// some zone stays one day (static/js/programme.js agendaDays does the same).
func conferenceDays(sessions []app.Session) [][]app.Session {
	list := append([]app.Session(nil), sessions...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].ExpectedStart.Before(list[j].ExpectedStart) })
	var days [][]app.Session
	var until time.Time
	for _, se := range list {
		if len(days) == 0 || se.ExpectedStart.Sub(until) >= dayBreak {
			days = append(days, nil)
			until = se.ExpectedStart
		}
		days[len(days)-1] = append(days[len(days)-1], se)
		if se.ExpectedEnd.After(until) {
			until = se.ExpectedEnd
		}
	}
	return days
}
