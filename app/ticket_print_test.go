package app

import (
	"strings"
	"testing"
)

func TestTicketFilterCheck(t *testing.T) {
	id := strings.Repeat("a", 26)
	for _, c := range []struct {
		f   TicketFilter
		bad string // a part of the error message, "" for none
	}{
		{TicketFilter{}, ""},
		{TicketFilter{Category: " Press ", Query: "  Kovács ", IDs: []string{id}}, ""},
		{TicketFilter{Category: "no spaces allowed"}, "category"},
		{TicketFilter{Query: strings.Repeat("é", 101)}, "q must be"},
		{TicketFilter{Query: strings.Repeat("é", 100)}, ""},
		{TicketFilter{IDs: []string{id, "AAAA"}}, "malformed attendee id"},
		{TicketFilter{IDs: make([]string, MaxTicketIDs+1)}, "at most"},
	} {
		f := c.f
		err := f.check()
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%+v: %v", c.f, err)
		case c.bad != "" && (ErrorCode(err) != EBadRequest || !strings.Contains(ErrorMessage(err), c.bad)):
			t.Errorf("%+v: got %v, want a bad request about %q", c.f, err, c.bad)
		}
		if c.bad == "" && c.f.Category != "" && (f.Category != "press" || f.Query != "Kovács") {
			t.Errorf("not normalized: %+v", f)
		}
	}
}
