package app

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

// AchievementInput creates or changes an achievement; nil fields are left
// alone on a change.
type AchievementInput struct {
	Ref           *string `json:"ref"`
	Title         *Text   `json:"title"`
	Summary       *Text   `json:"summary"`
	Institution   *string `json:"institution"`
	Region        *string `json:"region"`
	Field         *string `json:"field"`
	Presenter     *string `json:"presenter"`
	PresenterMode *string `json:"presenter_mode"`
	Contact       *string `json:"contact"`
}

var refRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

func (in AchievementInput) apply(a *Achievement) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&a.Ref, in.Ref)
	set(&a.Institution, in.Institution)
	set(&a.Region, in.Region)
	set(&a.Field, in.Field)
	set(&a.Presenter, in.Presenter)
	set(&a.PresenterMode, in.PresenterMode)
	set(&a.Contact, in.Contact)
	if in.Title != nil {
		a.Title = trimText(*in.Title)
	}
	if in.Summary != nil {
		a.Summary = trimText(*in.Summary)
	}
	if a.PresenterMode == "" {
		a.PresenterMode = PresenterOnsite
	}
}

// achievementProblems lists what is wrong with a, by column name.
func achievementProblems(a *Achievement) map[string]string {
	p := map[string]string{}
	if a.Ref != "" && !refRE.MatchString(a.Ref) {
		p["ref"] = "must be 1–32 letters, digits, dots, dashes or underscores"
	}
	if err := validateText("title", a.Title, true, 300); err != nil {
		p["title"] = ErrorMessage(err)
	}
	if err := validateText("summary", a.Summary, false, 2000); err != nil {
		p["summary"] = ErrorMessage(err)
	}
	for col, v := range map[string]string{"institution": a.Institution, "region": a.Region, "field": a.Field, "presenter": a.Presenter, "contact": a.Contact} {
		if len(v) > 200 {
			p[col] = "must be at most 200 bytes"
		}
	}
	if a.PresenterMode != PresenterOnsite && a.PresenterMode != PresenterRemote {
		p["presenter_mode"] = "must be onsite or remote"
	}
	return p
}

func firstProblem(p map[string]string) error {
	for _, col := range []string{"ref", "title", "summary", "institution", "region", "field", "presenter", "presenter_mode", "contact"} {
		if msg, ok := p[col]; ok {
			return Errorf(EInvalid, "%s: %s", col, msg)
		}
	}
	return nil
}

// CreateAchievement adds an achievement to the catalogue.
func (s *Service) CreateAchievement(ctx context.Context, p Principal, slug string, in AchievementInput) (*Achievement, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	a := &Achievement{EventID: eventID}
	in.apply(a)
	if err := firstProblem(achievementProblems(a)); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = s.Now(), s.Now()
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateAchievement(ctx, a); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "achievement.create", ObjectType: "achievement",
			ObjectID: itoa(a.ID), After: mustJSON(a), At: a.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAchievement changes an achievement; viewers of a run-of-show that
// includes it get showcase.updated.
func (s *Service) UpdateAchievement(ctx context.Context, p Principal, id int64, in AchievementInput) (*Achievement, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	var out *Achievement
	var envs []Envelope
	err := s.store.Tx(ctx, func(r Repo) error {
		a, err := r.AchievementByID(ctx, id)
		if err != nil {
			return err
		}
		before := *a
		in.apply(a)
		if err := firstProblem(achievementProblems(a)); err != nil {
			return err
		}
		a.UpdatedAt = s.Now()
		if err := r.UpdateAchievement(ctx, a); err != nil {
			return err
		}
		if envs, err = s.showcaseEnvelopes(ctx, r, a.EventID, map[int64]bool{a.ID: true}); err != nil {
			return err
		}
		out = a
		return r.AddAudit(ctx, &AuditEntry{EventID: &a.EventID, Actor: p.Name, Action: "achievement.update", ObjectType: "achievement",
			ObjectID: itoa(a.ID), Before: mustJSON(before), After: mustJSON(a), At: a.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, envs...)
	return out, nil
}

// DeleteAchievement removes an achievement that no run-of-show uses.
func (s *Service) DeleteAchievement(ctx context.Context, p Principal, id int64) error {
	if err := p.RequireOrganizer(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(r Repo) error {
		a, err := r.AchievementByID(ctx, id)
		if err != nil {
			return err
		}
		slots, err := r.ListEventSlots(ctx, a.EventID)
		if err != nil {
			return err
		}
		for _, sl := range slots {
			if sl.AchievementID == id {
				return &Error{Code: EConflict, Message: "the achievement is in the run-of-show of session " + itoa(sl.SessionID) + "; remove it there first",
					Details: map[string]int64{"session_id": sl.SessionID, "slot_id": sl.ID}}
			}
		}
		if err := r.DeleteAchievement(ctx, id); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &a.EventID, Actor: p.Name, Action: "achievement.delete", ObjectType: "achievement",
			ObjectID: itoa(id), Before: mustJSON(a), At: s.Now()})
	})
}

// showcaseEnvelopes appends showcase.updated for every session whose
// run-of-show includes one of the changed achievements; each carries the
// changed achievements its run-of-show uses, so viewers update their map.
func (s *Service) showcaseEnvelopes(ctx context.Context, r Repo, eventID int64, changed map[int64]bool) ([]Envelope, error) {
	if len(changed) == 0 {
		return nil, nil
	}
	ag, err := loadAgenda(ctx, r, eventID, s.Now())
	if err != nil {
		return nil, err
	}
	var achievements []Achievement
	var envs []Envelope
	for _, se := range ag.Sessions {
		hit := map[int64]bool{}
		for _, sl := range ag.Slots[se.ID] {
			if changed[sl.AchievementID] {
				hit[sl.AchievementID] = true
			}
		}
		if len(hit) == 0 {
			continue
		}
		if achievements == nil {
			if achievements, err = r.ListAchievements(ctx, eventID); err != nil {
				return nil, err
			}
		}
		live := liveShowcase(ag, se.ID)
		live.Achievements = pickAchievements(achievements, hit)
		env, err := r.AppendLive(ctx, eventID, TypeShowcaseUpdated, live)
		if err != nil {
			return nil, err
		}
		envs = append(envs, env)
	}
	return envs, nil
}

// AchievementColumns are the CSV columns of an achievement import, in the
// order a template lists them. ref and at least one title are required.
var AchievementColumns = []string{"ref", "title_zh", "title_en", "title_hu", "summary_zh", "summary_en", "summary_hu",
	"institution", "region", "field", "presenter", "presenter_mode", "contact"}

// MaxImportRows bounds one CSV import.
const MaxImportRows = 20000

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// DryRun marks a preview: the counts are what the import would do,
	// and nothing was written.
	DryRun  bool           `json:"dry_run,omitempty"`
	Preview *ImportPreview `json:"preview,omitempty"`
}

// errDryRun ends a preview's transaction so that it rolls back.
var errDryRun = errors.New("dry run: roll back")

// finishImport completes an import or its preview: the file's preview
// goes into a dry run's result and, on refusal, beside the row errors; a dry
// run's rollback is its success.
func finishImport(res *ImportResult, err error, data []byte, dry bool) (*ImportResult, error) {
	if dry && errors.Is(err, errDryRun) {
		res.DryRun, err = true, nil
	}
	if err != nil {
		return nil, withPreview(err, data)
	}
	if res.DryRun {
		res.Preview = previewCSV(data)
	}
	return res, nil
}

// ImportAchievements imports a CSV catalogue, all or nothing, matching
// rows to existing achievements by ref so a second import of the same
// file changes nothing. Every bad row is reported with its column.
func (s *Service) ImportAchievements(ctx context.Context, p Principal, slug string, data []byte) (*ImportResult, error) {
	return s.importAchievements(ctx, p, slug, data, false)
}

// PreviewAchievements checks a CSV catalogue as ImportAchievements would
// and answers what it would do, writing nothing.
func (s *Service) PreviewAchievements(ctx context.Context, p Principal, slug string, data []byte) (*ImportResult, error) {
	return s.importAchievements(ctx, p, slug, data, true)
}

func (s *Service) importAchievements(ctx context.Context, p Principal, slug string, data []byte, dry bool) (res *ImportResult, err error) {
	defer func() { res, err = finishImport(res, err, data, dry) }()
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	t, err := readCSV(data, AchievementColumns, []string{"ref"}, MaxImportRows)
	if err != nil {
		return nil, err
	}
	if _, a := t.cols["title_zh"]; !a {
		if _, b := t.cols["title_en"]; !b {
			if _, c := t.cols["title_hu"]; !c {
				return nil, &Error{Code: EInvalid, Message: "the header row has problems",
					Details: ImportErrors{Errors: []RowError{{Row: 1, Column: "title_en", Message: "at least one of title_zh, title_en, title_hu is required"}}}}
			}
		}
	}
	var errs rowErrors
	rows := make([]Achievement, len(t.rows))
	refRow := map[string]int{}
	for i := range t.rows {
		line := t.line[i]
		a := Achievement{EventID: eventID, Ref: t.get(i, "ref"),
			Title:       Text{ZH: t.get(i, "title_zh"), EN: t.get(i, "title_en"), HU: t.get(i, "title_hu")},
			Summary:     Text{ZH: t.get(i, "summary_zh"), EN: t.get(i, "summary_en"), HU: t.get(i, "summary_hu")},
			Institution: t.get(i, "institution"), Region: t.get(i, "region"), Field: t.get(i, "field"),
			Presenter: t.get(i, "presenter"), PresenterMode: strings.ToLower(t.get(i, "presenter_mode")), Contact: t.get(i, "contact")}
		if a.PresenterMode == "" {
			a.PresenterMode = PresenterOnsite
		}
		if a.Ref == "" {
			errs.add(line, "ref", "required")
		} else if prev, dup := refRow[a.Ref]; dup {
			errs.add(line, "ref", "%q already appears on row %d", a.Ref, prev)
		} else {
			refRow[a.Ref] = line
		}
		problems := achievementProblems(&a)
		for _, col := range AchievementColumns {
			base := strings.Split(col, "_")[0]
			if msg, ok := problems[col]; ok {
				errs.add(line, col, "%s", msg)
			} else if msg, ok := problems[base]; ok && (col == base+"_en") {
				errs.add(line, col, "%s", msg)
			}
		}
		rows[i] = a
	}
	if err := errs.err("the import has problems"); err != nil {
		return nil, err
	}
	res = &ImportResult{}
	var envs []Envelope
	now := s.Now()
	err = s.store.Tx(ctx, func(r Repo) error {
		existing, err := r.ListAchievements(ctx, eventID)
		if err != nil {
			return err
		}
		byRef := map[string]*Achievement{}
		for i := range existing {
			if existing[i].Ref != "" {
				byRef[existing[i].Ref] = &existing[i]
			}
		}
		changed := map[int64]bool{}
		for i := range rows {
			a := rows[i]
			old, ok := byRef[a.Ref]
			switch {
			case !ok:
				a.CreatedAt, a.UpdatedAt = now, now
				if err := r.CreateAchievement(ctx, &a); err != nil {
					return err
				}
				res.Created++
			case sameAchievement(*old, a):
				res.Unchanged++
			default:
				a.ID, a.CreatedAt, a.UpdatedAt, a.Sample = old.ID, old.CreatedAt, now, old.Sample
				if err := r.UpdateAchievement(ctx, &a); err != nil {
					return err
				}
				changed[a.ID] = true
				res.Updated++
			}
		}
		if dry {
			return errDryRun
		}
		if envs, err = s.showcaseEnvelopes(ctx, r, eventID, changed); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "achievement.import", ObjectType: "event",
			ObjectID: slug, After: mustJSON(res), At: now})
	})
	if err != nil {
		return res, err
	}
	s.pub.Publish(ctx, envs...)
	return res, nil
}

func sameAchievement(a, b Achievement) bool {
	return a.Ref == b.Ref && a.Title == b.Title && a.Summary == b.Summary && a.Institution == b.Institution &&
		a.Region == b.Region && a.Field == b.Field && a.Presenter == b.Presenter && a.PresenterMode == b.PresenterMode && a.Contact == b.Contact
}
