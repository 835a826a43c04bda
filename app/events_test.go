package app

import (
	"strings"
	"testing"
	"time"
)

// TestEventInputVenue: the venue follows the title's rules per language
// (UTF-8, at most 200 characters), and a venue given says something.
func TestEventInputVenue(t *testing.T) {
	base := func() Event {
		return Event{
			Slug: "cn-hu-2021", Title: Text{EN: "Conference"},
			Venue:   Text{EN: "Chongqing, main hall"},
			VenueTZ: "Asia/Shanghai", ViewerTZs: []string{"Asia/Shanghai"}, Languages: []string{"zh", "en", "hu"},
			StartsAt: time.Date(2021, 4, 23, 1, 0, 0, 0, time.UTC), EndsAt: time.Date(2021, 4, 23, 9, 0, 0, 0, time.UTC),
		}
	}
	for _, tc := range []struct {
		name  string
		venue Text
		want  Text   // the venue after apply, when err is ""
		err   string // part of the EInvalid message
	}{
		{"OK", Text{ZH: " 重庆，主会场 ", HU: "Csungking, nagyterem"}, Text{ZH: "重庆，主会场", HU: "Csungking, nagyterem"}, ""},
		{"LongestOK", Text{HU: strings.Repeat("é", 200)}, Text{HU: strings.Repeat("é", 200)}, ""},
		{"BlankClears", Text{EN: " \t"}, Text{}, ""}, // an online-only event
		{"ErrBadUTF8", Text{ZH: "重庆\xff\xfe"}, Text{}, "venue.zh is not valid UTF-8"},
		{"ErrTooLong", Text{EN: "Hall", HU: strings.Repeat("é", 201)}, Text{}, "venue.hu is longer than 200 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base()
			v := tc.venue
			err := EventInput{Venue: &v}.apply(&e)
			if tc.err == "" {
				if err != nil || e.Venue != tc.want {
					t.Fatalf("got %+v, %v; want %+v", e.Venue, err, tc.want)
				}
				return
			}
			if ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tc.err) {
				t.Fatalf("got %v, want %s: …%s…", err, EInvalid, tc.err)
			}
		})
	}
	t.Run("Omitted", func(t *testing.T) {
		// An event without a venue stays valid; a change that does not
		// name the venue leaves it alone.
		e := base()
		e.Venue = Text{}
		title := Text{EN: "Renamed"}
		if err := (EventInput{Title: &title}).apply(&e); err != nil || !e.Venue.Empty() {
			t.Fatalf("got %+v, %v", e.Venue, err)
		}
	})
}
