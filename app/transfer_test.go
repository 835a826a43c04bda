package app

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFoldICS(t *testing.T) {
	long := "SUMMARY:" + strings.Repeat("会谈", 40)
	got := foldICS(long)
	if !strings.HasSuffix(got, "\r\n") {
		t.Fatalf("no CRLF: %q", got)
	}
	var joined strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d has %d octets", i, len(line))
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a character: %q", i, line)
		}
		if i > 0 {
			if line[0] != ' ' {
				t.Fatalf("continuation %d does not start with a space", i)
			}
			line = line[1:]
		}
		joined.WriteString(line)
	}
	if joined.String() != long {
		t.Fatalf("unfolded %q, want %q", joined.String(), long)
	}
	if got := escapeICS("a;b,c\\d\ne"); got != `a\;b\,c\\d\ne` {
		t.Fatalf("escape: %q", got)
	}
}

func TestMeetingsCalendar(t *testing.T) {
	start := time.Date(2021, 4, 23, 6, 0, 0, 0, time.UTC)
	ev := &Event{Slug: "cn-hu-2021", Title: Text{EN: "Conference", ZH: "大会"}}
	views := []MeetingView{
		{Meeting: Meeting{ID: 7, StartsAt: start, EndsAt: start.Add(20 * time.Minute), Mode: MeetingOnsite, Table: 3}, TeamName: "Team, Inc."},
		{Meeting: Meeting{ID: 8, StartsAt: start.Add(time.Hour), EndsAt: start.Add(80 * time.Minute), Mode: MeetingOnline, Room: "Room A", Link: "https://meet.example/a"}, TeamName: "B"},
	}
	got := string(meetingsCalendar(ev, views, false, "zh", start))
	for _, want := range []string{"UID:meeting-7@cn-hu-2021.hybridcon\r\n", "DTSTART:20210423T060000Z\r\n", "DTEND:20210423T062000Z\r\n",
		"SUMMARY:与Team\\, Inc.会谈\r\n", "LOCATION:3号桌\r\n", "URL:https://meet.example/a\r\n", "LOCATION:Room A\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("calendar lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "BEGIN:VEVENT") != 2 {
		t.Fatalf("events: %s", got)
	}
}

func TestContactLevels(t *testing.T) {
	a := &Attendee{Name: "Kovács Éva", Organization: "Minta Kft.", Country: "HU", Email: "eva@example.org"}
	if c := contactOf(a, ContactFull); c.Email != a.Email || c.Name != a.Name {
		t.Errorf("full: %+v", c)
	}
	if c := contactOf(a, ContactIdentity); c.Email != "" || c.Name != a.Name {
		t.Errorf("identity: %+v", c)
	}
	if c := contactOf(a, ContactWithheld); *c != (Contact{Level: ContactWithheld}) {
		t.Errorf("withheld: %+v", c)
	}
	for _, c := range []struct {
		consent, organizer bool
		want               string
	}{{true, false, ContactFull}, {false, false, ContactWithheld}, {false, true, ContactIdentity}, {true, true, ContactFull}} {
		if got := interestContact(&Interest{Consent: c.consent}, c.organizer); got != c.want {
			t.Errorf("consent %v organizer %v: %s, want %s", c.consent, c.organizer, got, c.want)
		}
	}
}

// TestPresentations: a team is busy while its item is expected on stage,
// with the margin around; skipped items and free items keep nobody busy.
func TestPresentations(t *testing.T) {
	t0 := time.Date(2021, 4, 23, 2, 0, 0, 0, time.UTC)
	ag := &Agenda{Slots: map[int64][]Slot{1: {
		{AchievementID: 5, State: SlotPending, PlannedStart: t0, PlannedEnd: t0.Add(5 * time.Minute), ExpectedStart: t0.Add(8 * time.Minute), ExpectedEnd: t0.Add(13 * time.Minute)},
		{AchievementID: 6, State: SlotSkipped, PlannedStart: t0, PlannedEnd: t0.Add(5 * time.Minute), ExpectedStart: t0, ExpectedEnd: t0},
		{State: SlotPending, PlannedStart: t0, PlannedEnd: t0.Add(5 * time.Minute), ExpectedStart: t0, ExpectedEnd: t0},
	}}}
	got := presentations(ag)
	if len(got) != 1 || len(got[5]) != 1 {
		t.Fatalf("got %v", got)
	}
	if iv := got[5][0]; !iv.Start.Equal(t0.Add(8*time.Minute-PresentationMargin)) || !iv.End.Equal(t0.Add(13*time.Minute+PresentationMargin)) {
		t.Fatalf("busy %v–%v", iv.Start, iv.End)
	}
}

func TestQuestionMoves(t *testing.T) {
	legal := map[string][]string{
		QuestionActionApprove: {QuestionPending, QuestionHidden},
		QuestionActionHide:    {QuestionPending, QuestionApproved, QuestionAnswered},
		QuestionActionAnswer:  {QuestionPending, QuestionApproved},
	}
	for action, from := range legal {
		for _, state := range []string{QuestionPending, QuestionApproved, QuestionAnswered, QuestionHidden} {
			if got := slices.Contains(questionMoves[action].from, state); got != slices.Contains(from, state) {
				t.Errorf("%s from %s: legal %v", action, state, got)
			}
		}
	}
}

func TestMeetingSessionInput(t *testing.T) {
	start := time.Date(2021, 4, 23, 5, 0, 0, 0, time.FixedZone("CST", 8*3600))
	in := MeetingSessionInput{StartsAt: start, EndsAt: start.Add(70 * time.Minute), SlotMinutes: 20, Tables: 3,
		Rooms: []MeetingRoom{{Name: " Room A ", Link: " https://meet.example/a "}}}
	if err := in.validate(); err != nil {
		t.Fatal(err)
	}
	ms := MeetingSession{StartsAt: in.StartsAt, EndsAt: in.EndsAt, SlotMinutes: in.SlotMinutes}
	if n := ms.SlotCount(); n != 3 || in.Rooms[0] != (MeetingRoom{Name: "Room A", Link: "https://meet.example/a"}) || in.StartsAt.Location() != time.UTC {
		t.Fatalf("slots %d rooms %+v start %v", n, in.Rooms, in.StartsAt)
	}
	if s, e := ms.SlotTimes(2); !s.Equal(start.Add(40*time.Minute)) || !e.Equal(start.Add(60*time.Minute)) {
		t.Fatalf("slot 2: %v–%v", s, e)
	}
}
