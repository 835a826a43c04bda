package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What the door needs offline (the check-in kit) and what the organizers
// read afterwards (summary and export).

// KitEvent is the part of the event a kiosk shows.
type KitEvent struct {
	Slug    string `json:"slug"`
	Title   Text   `json:"title"`
	VenueTZ string `json:"venue_tz"`
}

// CheckinKit is everything an offline kiosk needs to judge a ticket: the
// event's public key, the revoked attendee ids and, for display, who
// every other attendee is. Version is a hash of the rest, so a kiosk
// holding the same version holds the same kit.
type CheckinKit struct {
	Version   string         `json:"version"`
	Event     KitEvent       `json:"event"`
	PublicKey string         `json:"public_key"`
	Revoked   []string       `json:"revoked"`
	Attendees []ScanAttendee `json:"attendees"`
}

// CheckinKit builds the event's kit (a checker of the event, an organizer
// or an admin). Attendees and revoked ids are in id order, so the version
// changes only when the content does.
func (s *Service) CheckinKit(ctx context.Context, p Principal, slug string) (*CheckinKit, error) {
	eventID, err := s.checkInEvent(ctx, p, slug)
	if err != nil {
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
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	kit := &CheckinKit{
		Event:     KitEvent{Slug: ev.Slug, Title: ev.Title, VenueTZ: ev.VenueTZ},
		PublicKey: ev.PublicKey,
		Revoked:   []string{},
		Attendees: make([]ScanAttendee, 0, len(all)),
	}
	for i := range all {
		if all[i].Revoked {
			kit.Revoked = append(kit.Revoked, all[i].ID)
		} else {
			kit.Attendees = append(kit.Attendees, *scanAttendee(&all[i]))
		}
	}
	body, err := json.Marshal(kit)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	kit.Version = hex.EncodeToString(sum[:16])
	return kit, nil
}

// CategoryCount is attendance in one category.
type CategoryCount struct {
	Expected  int64 `json:"expected"`
	CheckedIn int64 `json:"checked_in"`
}

// CheckInSummary is the state of the doors. Counts of attendees leave out
// revoked ones (as the attendance viewers see does); ByGate counts the
// gates where those attendees first checked in; Rejected counts rejected
// scans by reason and Scans every scan by result.
type CheckInSummary struct {
	CheckedIn  int64                    `json:"checked_in"`
	Expected   int64                    `json:"expected"`
	ByCategory map[string]CategoryCount `json:"by_category"`
	ByGate     map[string]int64         `json:"by_gate"`
	Rejected   map[string]int64         `json:"rejected"`
	Scans      map[string]int64         `json:"scans"`
}

// CheckInSummary returns the event's summary (an organizer, or a checker
// of the event).
func (s *Service) CheckInSummary(ctx context.Context, p Principal, slug string) (*CheckInSummary, error) {
	eventID, err := s.checkInEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	return s.store.CheckInStats(ctx, eventID)
}

// CheckedIn is one attendee holding a first check-in, with the number of
// scans of their ticket (rejected ones included).
type CheckedIn struct {
	Attendee       Attendee
	FirstScannedAt time.Time
	FirstGate      string
	Scans          int64
}

// CheckInExportColumns are the columns of the check-in export.
var CheckInExportColumns = []string{"attendee_id", "external_id", "name", "organization", "category", "first_scanned_at", "gate", "scans", "revoked"}

// ExportTimeLayout is how reports and exports write times: RFC 3339 with
// milliseconds, so two scans in one second keep their order.
const ExportTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// utf8BOM makes spreadsheet programs read the file as UTF-8 (Chinese and
// Hungarian names intact).
const utf8BOM = "\xef\xbb\xbf"

// CheckInsCSV returns the check-in export (organizers only): UTF-8 with a
// byte-order mark, a header row (CheckInExportColumns), then one row per
// attendee who checked in, by first scan time: the first scan's time in
// the venue's time zone (RFC 3339 with milliseconds and its offset,
// ExportTimeLayout), its gate, the number
// of scans, and whether the attendee was revoked since. Text cells that a
// spreadsheet would run as a formula are prefixed with an apostrophe.
func (s *Service) CheckInsCSV(ctx context.Context, p Principal, slug string) ([]byte, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	ev, err := s.store.EventByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(ev.VenueTZ)
	if err != nil {
		loc = time.UTC
	}
	rows, err := s.store.ListCheckedIn(ctx, eventID)
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].FirstScannedAt.Equal(rows[j].FirstScannedAt) {
			return rows[i].FirstScannedAt.Before(rows[j].FirstScannedAt)
		}
		return rows[i].Attendee.ID < rows[j].Attendee.ID
	})
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // what spreadsheet programs write
	_ = w.Write(CheckInExportColumns)
	for _, r := range rows {
		a := r.Attendee
		_ = w.Write([]string{a.ID, a.ExternalID, SafeCell(a.Name), SafeCell(a.Organization), SafeCell(a.Category),
			r.FirstScannedAt.In(loc).Format(ExportTimeLayout), SafeCell(r.FirstGate), strconv.FormatInt(r.Scans, 10),
			strconv.FormatBool(a.Revoked)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SafeCell keeps a spreadsheet from reading a text cell as a formula: a
// cell starting with = + - @ or a tab or carriage return gets a leading
// apostrophe (OWASP's advice for CSV injection).
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
