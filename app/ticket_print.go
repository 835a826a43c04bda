package app

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"
)

// Printing tickets: organizers pick the attendees whose tickets go on
// paper (one guest, a category, a search, a list of ids); the pages and
// the tickets command lay them out.

// MaxTicketIDs bounds the ids of one TicketFilter.
const MaxTicketIDs = 500

// TicketFilter selects the attendees whose tickets are printed. Empty
// fields select everyone; set fields must all match.
type TicketFilter struct {
	// Category keeps the attendees of this category (official, guest, …).
	Category string
	// Query keeps those whose name or organization contains it, in any
	// case (as the attendees list searches).
	Query string
	// IDs keeps these attendees, in this order; every id must be one of
	// the event's attendees.
	IDs []string
}

// TicketSelection is what a TicketFilter selected: the tickets to print
// (never a revoked attendee's) and the revoked attendees it matched,
// which are left out.
type TicketSelection struct {
	Event   *Event
	Tickets []IssuedTicket
	Revoked []Attendee
}

// check validates the filter: a category of the right shape, a query of
// at most 100 characters, at most MaxTicketIDs well-formed attendee ids.
func (f *TicketFilter) check() error {
	f.Category = strings.ToLower(strings.TrimSpace(f.Category))
	f.Query = strings.TrimSpace(f.Query)
	switch {
	case f.Category != "" && !categoryRE.MatchString(f.Category):
		return Errorf(EBadRequest, "category must be 1–32 lower-case letters, digits, dashes or underscores")
	case utf8.RuneCountInString(f.Query) > maxQueryRunes:
		return Errorf(EBadRequest, "q must be at most %d characters", maxQueryRunes)
	case len(f.IDs) > MaxTicketIDs:
		return Errorf(EBadRequest, "at most %d attendee ids at a time, not %d", MaxTicketIDs, len(f.IDs))
	}
	for _, id := range f.IDs {
		if !ValidAttendeeID(id) {
			return Errorf(EBadRequest, "malformed attendee id %q: expected 26 characters a–z, 2–7", id)
		}
	}
	return nil
}

// SelectTickets returns the tickets of the event's attendees that f
// selects, for printing (organizers only). Revoked attendees are never
// printed: they are returned apart in Revoked. Without ids the tickets
// come in name order; with ids in the order given, and an id that is not
// an attendee of the event is ENotFound. A malformed filter is
// EBadRequest.
func (s *Service) SelectTickets(ctx context.Context, p Principal, slug string, f TicketFilter) (*TicketSelection, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	ev, err := s.store.EventByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	all, err := s.store.EventAttendees(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var picked []Attendee
	if len(f.IDs) > 0 {
		byID := make(map[string]*Attendee, len(all))
		for i := range all {
			byID[all[i].ID] = &all[i]
		}
		seen := map[string]bool{}
		for _, id := range f.IDs {
			a := byID[id]
			if a == nil {
				return nil, Errorf(ENotFound, "attendee %s is not registered for this event", id)
			}
			if !seen[id] {
				seen[id] = true
				picked = append(picked, *a)
			}
		}
	} else {
		picked = all
		sort.SliceStable(picked, func(i, j int) bool {
			a, b := strings.ToLower(picked[i].Name), strings.ToLower(picked[j].Name)
			if a != b {
				return a < b
			}
			return picked[i].ID < picked[j].ID
		})
	}
	_, priv, err := s.eventSigner(ctx, eventID)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(f.Query)
	out := &TicketSelection{Event: ev, Tickets: []IssuedTicket{}}
	for _, a := range picked {
		if f.Category != "" && a.Category != f.Category || q != "" && !AttendeeMatches(&a, q) {
			continue
		}
		if a.Revoked {
			out.Revoked = append(out.Revoked, a)
			continue
		}
		out.Tickets = append(out.Tickets, IssuedTicket{Attendee: a, Ticket: SignTicket(priv, ev.Slug, a.ID)})
	}
	return out, nil
}
