package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Registration: organizers add, change, revoke and import attendees, and
// print their tickets.

// AttendeeInput creates or changes an attendee; nil fields are left alone
// on a change.
type AttendeeInput struct {
	Name         *string `json:"name"`
	Organization *string `json:"organization"`
	Country      *string `json:"country"`
	Email        *string `json:"email"`
	ExternalID   *string `json:"external_id"`
	Category     *string `json:"category"`
	Revoked      *bool   `json:"revoked"`
}

// AttendeeView is an attendee as the organizer's list shows it: with the
// ticket text and whether (and where and when first) they checked in.
type AttendeeView struct {
	Attendee
	Ticket         string     `json:"ticket"`
	CheckedIn      bool       `json:"checked_in"`
	FirstScannedAt *time.Time `json:"first_scanned_at,omitempty"`
	FirstGate      string     `json:"first_gate,omitempty"`
}

// AttendeeFilter selects a page of an event's attendees. Query matches
// name or organization case-insensitively (AttendeeMatches); CheckedIn,
// when set, keeps only those who have (or have not) checked in.
type AttendeeFilter struct {
	EventID   int64
	Query     string
	CheckedIn *bool
	Limit     int // ≤ 0: no limit
	Offset    int
}

// AttendeePage is one page of attendees and how many match in all.
type AttendeePage struct {
	Attendees []AttendeeView `json:"attendees"`
	Total     int64          `json:"total"`
	Limit     int            `json:"limit"`
	Offset    int            `json:"offset"`
}

// Limits of attendee fields and lists.
const (
	MaxAttendeeNameRunes = 200
	MaxAttendeePage      = 500
	DefaultAttendeePage  = 50
	maxQueryRunes        = 100
	// ImportProgressEvery is how many rows an import handles between two
	// progress reports.
	ImportProgressEvery = 1000
)

// DefaultCategory is the category of an attendee registered without one.
const DefaultCategory = CategoryGuest

// AttendeeColumns are the CSV columns of an attendee import. name is
// required, and every row needs an email or an external_id, which
// recognise it when the file is imported again.
var AttendeeColumns = []string{"name", "organization", "country", "email", "external_id", "category"}

var (
	externalIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	categoryRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// AttendeeMatches reports whether q (already lower-cased) occurs in the
// attendee's name or organization, ignoring case (Unicode-aware, so that
// "éva" finds "Éva").
func AttendeeMatches(a *Attendee, lowerQuery string) bool {
	return strings.Contains(strings.ToLower(a.Name), lowerQuery) ||
		strings.Contains(strings.ToLower(a.Organization), lowerQuery)
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// attendeeProblems lists what is wrong with a, by column name. It also
// normalizes: e-mail and category in lower case, the default category.
func attendeeProblems(a *Attendee) map[string]string {
	p := map[string]string{}
	a.Email = strings.ToLower(a.Email)
	a.Category = strings.ToLower(a.Category)
	if a.Category == "" {
		a.Category = DefaultCategory
	}
	text := func(col, v string, required bool, maxRunes int) {
		switch {
		case required && v == "":
			p[col] = "required"
		case !utf8.ValidString(v):
			p[col] = "is not valid UTF-8"
		case utf8.RuneCountInString(v) > maxRunes:
			p[col] = fmt.Sprintf("must be at most %d characters", maxRunes)
		case hasControl(v):
			p[col] = "must not contain control characters"
		}
	}
	text("name", a.Name, true, MaxAttendeeNameRunes)
	text("organization", a.Organization, false, 200)
	text("country", a.Country, false, 64)
	if a.Email != "" {
		local, domain, ok := strings.Cut(a.Email, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(a.Email, " \t,;<>\"") ||
			strings.Contains(domain, "@") || len(a.Email) > 254 || hasControl(a.Email) {
			p["email"] = "is not an e-mail address"
		}
	}
	if a.ExternalID != "" && !externalIDRE.MatchString(a.ExternalID) {
		p["external_id"] = "must be 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit"
	}
	if !categoryRE.MatchString(a.Category) {
		p["category"] = "must be 1–32 lower-case letters, digits, dashes or underscores (official, guest, enterprise, press, academic, …)"
	}
	return p
}

func firstAttendeeProblem(p map[string]string) error {
	for _, col := range AttendeeColumns {
		if msg, ok := p[col]; ok {
			return Errorf(EInvalid, "%s %s", col, msg)
		}
	}
	return nil
}

func (in AttendeeInput) apply(a *Attendee) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&a.Name, in.Name)
	set(&a.Organization, in.Organization)
	set(&a.Country, in.Country)
	set(&a.Email, in.Email)
	set(&a.ExternalID, in.ExternalID)
	set(&a.Category, in.Category)
	if in.Revoked != nil {
		a.Revoked = *in.Revoked
	}
}

// eventSigner returns the event's slug and ticket private key.
func (s *Service) eventSigner(ctx context.Context, eventID int64) (string, ed25519.PrivateKey, error) {
	ev, err := s.store.EventByID(ctx, eventID)
	if err != nil {
		return "", nil, err
	}
	priv, err := s.store.EventPrivateKey(ctx, eventID)
	if err != nil {
		return "", nil, err
	}
	if len(priv) != ed25519.PrivateKeySize {
		return "", nil, fmt.Errorf("event %d: ticket key has %d bytes", eventID, len(priv))
	}
	return ev.Slug, priv, nil
}

// organizerEvent checks p is an organizer, then resolves the slug.
func (s *Service) organizerEvent(ctx context.Context, p Principal, slug string) (int64, error) {
	if err := p.RequireOrganizer(); err != nil {
		return 0, err
	}
	return s.eventID(ctx, slug)
}

// Attendees returns a page of the event's attendees with their tickets
// and check-in state (organizers only). q is trimmed; limit ≤ 0 means
// DefaultAttendeePage and is capped at MaxAttendeePage.
func (s *Service) Attendees(ctx context.Context, p Principal, slug, q string, checkedIn *bool, limit, offset int) (*AttendeePage, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > maxQueryRunes {
		return nil, Errorf(EBadRequest, "q must be at most %d characters", maxQueryRunes)
	}
	if limit <= 0 {
		limit = DefaultAttendeePage
	}
	limit = min(limit, MaxAttendeePage)
	if offset < 0 {
		return nil, Errorf(EBadRequest, "offset must not be negative")
	}
	views, total, err := s.store.ListAttendees(ctx, AttendeeFilter{EventID: eventID, Query: strings.ToLower(q), CheckedIn: checkedIn, Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	evSlug, priv, err := s.eventSigner(ctx, eventID)
	if err != nil {
		return nil, err
	}
	for i := range views {
		views[i].Ticket = SignTicket(priv, evSlug, views[i].ID)
	}
	if views == nil {
		views = []AttendeeView{}
	}
	return &AttendeePage{Attendees: views, Total: total, Limit: limit, Offset: offset}, nil
}

// view returns the attendee with its ticket and check-in state.
func (s *Service) view(ctx context.Context, r Repo, a *Attendee) (*AttendeeView, error) {
	_, first, err := r.ScanLookup(ctx, a.EventID, "", a.ID)
	if err != nil {
		return nil, err
	}
	slug, priv, err := s.eventSigner(ctx, a.EventID)
	if err != nil {
		return nil, err
	}
	v := &AttendeeView{Attendee: *a, Ticket: SignTicket(priv, slug, a.ID)}
	if first != nil {
		at := first.ScannedAt
		v.CheckedIn, v.FirstScannedAt, v.FirstGate = true, &at, first.Gate
	}
	return v, nil
}

// CreateAttendee registers one attendee (organizers only). An e-mail or
// external id already used in the event is EConflict.
func (s *Service) CreateAttendee(ctx context.Context, p Principal, slug string, in AttendeeInput) (*AttendeeView, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	a := &Attendee{EventID: eventID}
	in.apply(a)
	if err := firstAttendeeProblem(attendeeProblems(a)); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = s.Now(), s.Now()
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateAttendee(ctx, a); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "attendee.create", ObjectType: "attendee",
			ObjectID: a.ID, After: mustJSON(a), At: a.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	s.attendanceChanged(slug)
	return s.view(ctx, s.store, a)
}

// UpdateAttendee changes an attendee (organizers only); Revoked set
// refuses their ticket from then on. A malformed id is EBadRequest, an
// unknown one ENotFound.
func (s *Service) UpdateAttendee(ctx context.Context, p Principal, id string, in AttendeeInput) (*AttendeeView, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if !ValidAttendeeID(id) {
		return nil, Errorf(EBadRequest, "malformed attendee id: expected 26 characters a–z, 2–7")
	}
	var out *Attendee
	var revokedChanged bool
	err := s.store.Tx(ctx, func(r Repo) error {
		a, err := r.AttendeeForUpdate(ctx, id)
		if err != nil {
			return err
		}
		before := *a
		in.apply(a)
		if err := firstAttendeeProblem(attendeeProblems(a)); err != nil {
			return err
		}
		a.UpdatedAt = s.Now()
		if err := r.UpdateAttendee(ctx, a); err != nil {
			return err
		}
		out, revokedChanged = a, before.Revoked != a.Revoked
		return r.AddAudit(ctx, &AuditEntry{EventID: &a.EventID, Actor: p.Name, Action: "attendee.update", ObjectType: "attendee",
			ObjectID: a.ID, Before: mustJSON(before), After: mustJSON(a), At: a.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	if revokedChanged {
		if ev, err := s.store.EventByID(ctx, out.EventID); err == nil {
			s.attendanceChanged(ev.Slug)
		}
	}
	return s.view(ctx, s.store, out)
}

// AttendeeTicket returns an attendee's ticket text (organizers only), to
// be printed or drawn as a QR code (app/qrcode). A malformed id is
// EBadRequest, an unknown one ENotFound.
func (s *Service) AttendeeTicket(ctx context.Context, p Principal, id string) (string, error) {
	if err := p.RequireOrganizer(); err != nil {
		return "", err
	}
	if !ValidAttendeeID(id) {
		return "", Errorf(EBadRequest, "malformed attendee id: expected 26 characters a–z, 2–7")
	}
	a, err := s.store.AttendeeByID(ctx, id)
	if err != nil {
		return "", err
	}
	slug, priv, err := s.eventSigner(ctx, a.EventID)
	if err != nil {
		return "", err
	}
	return SignTicket(priv, slug, a.ID), nil
}

// IssuedTicket is an attendee with their ticket text.
type IssuedTicket struct {
	Attendee Attendee
	Ticket   string
}

// Tickets returns the ticket of every attendee of the event who is not
// revoked, for printing (organizers only).
func (s *Service) Tickets(ctx context.Context, p Principal, slug string) ([]IssuedTicket, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	all, err := s.store.EventAttendees(ctx, eventID)
	if err != nil {
		return nil, err
	}
	evSlug, priv, err := s.eventSigner(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]IssuedTicket, 0, len(all))
	for _, a := range all {
		if !a.Revoked {
			out = append(out, IssuedTicket{Attendee: a, Ticket: SignTicket(priv, evSlug, a.ID)})
		}
	}
	return out, nil
}

// ImportAttendees imports a CSV file of attendees (AttendeeColumns), all
// or nothing (organizers only). Rows are matched to registered attendees
// by external_id, else by email, so importing a file again creates
// nothing and updates only the rows that changed; a column absent from
// the file leaves that field alone. Every bad row is reported with its
// row number and column. progress, when not nil, is called after every
// ImportProgressEvery rows and at the end with the rows handled so far
// (written in the still-open transaction).
func (s *Service) ImportAttendees(ctx context.Context, p Principal, slug string, data []byte, progress func(done, total int)) (*ImportResult, error) {
	return s.importAttendees(ctx, p, slug, data, progress, false)
}

// PreviewAttendees checks a CSV file of attendees as ImportAttendees
// would and answers what it would do, writing nothing.
func (s *Service) PreviewAttendees(ctx context.Context, p Principal, slug string, data []byte) (*ImportResult, error) {
	return s.importAttendees(ctx, p, slug, data, nil, true)
}

func (s *Service) importAttendees(ctx context.Context, p Principal, slug string, data []byte, progress func(done, total int), dry bool) (res *ImportResult, err error) {
	defer func() { res, err = finishImport(res, err, data, dry) }()
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	t, err := readCSV(data, AttendeeColumns, []string{"name"}, MaxImportRows)
	if err != nil {
		return nil, err
	}
	_, hasEmail := t.cols["email"]
	_, hasExt := t.cols["external_id"]
	if !hasEmail && !hasExt {
		return nil, &Error{Code: EInvalid, Message: "the header row has problems",
			Details: ImportErrors{Errors: []RowError{{Row: 1, Column: "email", Message: "an email or external_id column is required to recognise rows on re-import"}}}}
	}
	rows, errs := parseAttendeeRows(t, eventID)
	if err := errs.err("the import has problems"); err != nil {
		return nil, err
	}
	res = &ImportResult{}
	now := s.Now()
	err = s.store.Tx(ctx, func(r Repo) error {
		existing, err := r.EventAttendees(ctx, eventID)
		if err != nil {
			return err
		}
		plan, errs := matchAttendees(t, rows, existing)
		if err := errs.err("the import has problems"); err != nil {
			return err
		}
		var pending []Attendee
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			err := r.CreateAttendees(ctx, pending)
			pending = pending[:0]
			return err
		}
		for i, step := range plan {
			switch {
			case step.old == nil:
				a := rows[i]
				a.CreatedAt, a.UpdatedAt = now, now
				pending = append(pending, a)
				res.Created++
			case step.changed:
				step.merged.UpdatedAt = now
				if err := r.UpdateAttendee(ctx, &step.merged); err != nil {
					return err
				}
				res.Updated++
			default:
				res.Unchanged++
			}
			if done := i + 1; done%ImportProgressEvery == 0 || done == len(plan) {
				if err := flush(); err != nil {
					return err
				}
				if progress != nil {
					progress(done, len(plan))
				}
			}
		}
		if dry {
			return errDryRun
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "attendee.import", ObjectType: "event",
			ObjectID: slug, After: mustJSON(res), At: now})
	})
	if err != nil {
		return res, err
	}
	if res.Created > 0 || res.Updated > 0 {
		s.attendanceChanged(slug)
	}
	return res, nil
}

// parseAttendeeRows validates every row on its own and against the rows
// before it (an e-mail or external id may appear once per file).
func parseAttendeeRows(t *csvTable, eventID int64) ([]Attendee, *rowErrors) {
	errs := &rowErrors{}
	rows := make([]Attendee, len(t.rows))
	emailRow, extRow := map[string]int{}, map[string]int{}
	for i := range t.rows {
		line := t.line[i]
		a := Attendee{EventID: eventID, Name: t.get(i, "name"), Organization: t.get(i, "organization"), Country: t.get(i, "country"),
			Email: t.get(i, "email"), ExternalID: t.get(i, "external_id"), Category: t.get(i, "category")}
		problems := attendeeProblems(&a)
		for _, col := range AttendeeColumns {
			if msg, ok := problems[col]; ok {
				errs.add(line, col, "%s", msg)
			}
		}
		if a.Email == "" && a.ExternalID == "" {
			errs.add(line, "email", "every row needs an email or an external_id")
		}
		if a.Email != "" {
			if prev, dup := emailRow[a.Email]; dup {
				errs.add(line, "email", "%q already appears on row %d", a.Email, prev)
			} else {
				emailRow[a.Email] = line
			}
		}
		if a.ExternalID != "" {
			if prev, dup := extRow[a.ExternalID]; dup {
				errs.add(line, "external_id", "%q already appears on row %d", a.ExternalID, prev)
			} else {
				extRow[a.ExternalID] = line
			}
		}
		rows[i] = a
	}
	return rows, errs
}

// importStep is what an import does with one row: create it (old nil),
// update old to merged (changed), or nothing.
type importStep struct {
	old     *Attendee
	merged  Attendee
	changed bool
}

// matchAttendees finds each row's registered attendee: by external_id,
// else by e-mail. A row whose e-mail belongs to someone else, or that
// matches an attendee another row matched, is an error.
func matchAttendees(t *csvTable, rows []Attendee, existing []Attendee) ([]importStep, *rowErrors) {
	errs := &rowErrors{}
	byEmail, byExt := map[string]*Attendee{}, map[string]*Attendee{}
	for i := range existing {
		a := &existing[i]
		if a.Email != "" {
			byEmail[strings.ToLower(a.Email)] = a
		}
		if a.ExternalID != "" {
			byExt[a.ExternalID] = a
		}
	}
	has := func(col string) bool { _, ok := t.cols[col]; return ok }
	matchedBy := map[string]int{} // attendee id → row
	plan := make([]importStep, len(rows))
	for i, row := range rows {
		line := t.line[i]
		var old *Attendee
		if row.ExternalID != "" {
			old = byExt[row.ExternalID]
		}
		if e := byEmail[row.Email]; row.Email != "" && e != nil {
			switch {
			case old != nil && e.ID != old.ID:
				errs.add(line, "email", "%q belongs to another registered attendee", row.Email)
				continue
			case old == nil && e.ExternalID != "" && row.ExternalID != "":
				errs.add(line, "email", "%q belongs to the registered attendee with external_id %q", row.Email, e.ExternalID)
				continue
			}
			old = e
		}
		if old == nil {
			continue
		}
		if prev, dup := matchedBy[old.ID]; dup {
			errs.add(line, "email", "matches the same registered attendee as row %d", prev)
			continue
		}
		matchedBy[old.ID] = line
		m := *old
		for col, dst := range map[string]*string{"name": &m.Name, "organization": &m.Organization, "country": &m.Country,
			"email": &m.Email, "external_id": &m.ExternalID, "category": &m.Category} {
			if has(col) {
				*dst = fieldOf(&row, col)
			}
		}
		plan[i] = importStep{old: old, merged: m, changed: m != *old}
	}
	return plan, errs
}

func fieldOf(a *Attendee, col string) string {
	switch col {
	case "name":
		return a.Name
	case "organization":
		return a.Organization
	case "country":
		return a.Country
	case "email":
		return a.Email
	case "external_id":
		return a.ExternalID
	}
	return a.Category
}
