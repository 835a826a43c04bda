package web

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func TestClockAndSpans(t *testing.T) {
	d, err := loadDictionary()
	if err != nil {
		t.Fatal(err)
	}
	beijing, budapest := loadZone("Asia/Shanghai"), loadZone("Europe/Budapest")
	now := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing, 03:00 in Budapest
	tests := []struct {
		name string
		lang string
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"TodayIsTimeOnly", "en", now.Add(2 * time.Hour), beijing, "12:00"},
		{"TomorrowHasDate", "en", now.Add(25 * time.Hour), beijing, "Sat 28 Nov 11:00"},
		{"DateInZone", "en", now.Add(22 * time.Hour), budapest, "Sat 28 Nov 01:00"}, // tomorrow in Budapest, today in Beijing
		{"TomorrowMorningInBeijing", "en", now.Add(22 * time.Hour), beijing, "Sat 28 Nov 08:00"},
		{"Chinese", "zh", now.Add(25 * time.Hour), beijing, "11月28日 周六 11:00"},
		{"Hungarian", "hu", now.Add(25 * time.Hour), beijing, "nov. 28., Szo 11:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clockIn(tt.lang, tt.at, now, tt.loc); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	spans := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 80 * time.Minute, "1 h 20 min"},
		{"en", 45 * time.Minute, "45 min"},
		{"en", 2 * time.Hour, "2 h"},
		{"zh", 80 * time.Minute, "1 小时 20 分钟"},
		{"hu", 80 * time.Minute, "1 óra 20 perc"},
		{"en", -80 * time.Minute, "1 h 20 min"},
	}
	for _, s := range spans {
		if got := d.span(s.lang, s.d); got != s.want {
			t.Errorf("span(%s, %v) = %q, want %q", s.lang, s.d, got, s.want)
		}
	}
	planned := now
	if got := d.shiftNote("en", planned, planned.Add(80*time.Minute)); got != "1 h 20 min later than planned" {
		t.Errorf("shift note: %q", got)
	}
	if got := d.shiftNote("en", planned, planned.Add(30*time.Second)); got != "" {
		t.Errorf("shift note within the minute: %q", got)
	}
}

// TestVTimezoneBudapest: a zone with summer time gets its changes in the
// event's years, each starting at the local time before the change.
func TestVTimezoneBudapest(t *testing.T) {
	loc := loadZone("Europe/Budapest")
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	vt := vtimezone("Europe/Budapest", loc, at, at)
	var b strings.Builder
	if err := vt.SerializeTo(&b, &ics.SerializationConfiguration{MaxLength: 75, NewLine: "\r\n", PropertyMaxLength: 75}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		// 2026: summer time from 29 March 02:00 (CET), back on 25 October 03:00 (CEST).
		"BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT",
		"BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("VTIMEZONE lacks\n%s\nin\n%s", want, out)
		}
	}
}
