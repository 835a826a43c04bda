package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hybridcon/hybridcon/app"
)

// sessionQuery reads sessions with their stage's slug.
func (s *Store) sessionQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Model(&sessionRow{}).
		Select("sessions.*, stages.slug AS stage_slug").
		Joins("JOIN stages ON stages.id = sessions.stage_id")
}

// ListSessions returns the event's sessions by planned start, then id.
func (s *Store) ListSessions(ctx context.Context, eventID int64) ([]app.Session, error) {
	var rows []sessionRow
	err := s.sessionQuery(ctx).Where("sessions.event_id = ?", eventID).Order("sessions.planned_start, sessions.id").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list sessions", on{})
	}
	out := make([]app.Session, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// SessionByID returns the session with id, or ENotFound.
func (s *Store) SessionByID(ctx context.Context, id int64) (*app.Session, error) {
	var r sessionRow
	err := s.sessionQuery(ctx).Where("sessions.id = ?", id).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get session", on{notFound: notFound("session %d not found", id)})
	}
	ses := r.toApp()
	return &ses, nil
}

// SessionForUpdate returns the session with id and locks its row until
// the transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite's
// immediate transactions already hold the one write lock), so that two
// organizers acting on one session at once act one after the other.
func (s *Store) SessionForUpdate(ctx context.Context, id int64) (*app.Session, error) {
	q := s.sessionQuery(ctx)
	if s.c.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "sessions"}})
	}
	var r sessionRow
	if err := q.Where("sessions.id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "lock session", on{notFound: notFound("session %d not found", id)})
	}
	ses := r.toApp()
	return &ses, nil
}

// SetAnnounced records the expected times viewers were last told of a
// session. It does not change the session's version.
func (s *Store) SetAnnounced(ctx context.Context, id int64, start, end time.Time) error {
	err := s.db.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", id).
		Updates(map[string]any{"announced_start": utc(start), "announced_end": utc(end)}).Error
	if err != nil {
		return s.fail(ctx, err, "record announced times", on{})
	}
	return nil
}

// CreateSession inserts ses, on the stage ses.StageID, with Version 1 and
// fills ses.ID. An unknown event or stage is ENotFound; a session created
// live on a stage that has one running EConflict.
func (s *Store) CreateSession(ctx context.Context, ses *app.Session) error {
	if ses.StageID == 0 {
		return notFound("session without a stage")
	}
	r := sessionToRow(ses)
	r.ID = 0
	r.Version = 1
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create session", on{fk: notFound("event %d or stage %d not found", ses.EventID, ses.StageID), dup: stageBusy(ses)})
	}
	ses.ID, ses.Version = r.ID, r.Version
	return nil
}

// UpdateSession writes every stored field of ses (all but ID, EventID and
// the computed expected times) when the stored version is ses.Version, and
// then increments both. A different stored version is EConflict ("session
// changed meanwhile"); an unknown id is ENotFound; making it the second
// live or paused session of its stage EConflict (the schema's unique
// index); an unknown stage ENotFound.
func (s *Store) UpdateSession(ctx context.Context, ses *app.Session) error {
	r := sessionToRow(ses)
	fields := sessionFields(&r)
	fields["version"] = gorm.Expr("version + 1")
	fields["updated_at"] = now()
	res := s.db.WithContext(ctx).Model(&sessionRow{}).
		Where("id = ? AND version = ?", ses.ID, ses.Version).Updates(fields)
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update session", on{dup: stageBusy(ses), fk: notFound("stage %d not found", ses.StageID)})
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := s.db.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", ses.ID).Count(&n).Error; err != nil {
			return s.fail(ctx, err, "update session", on{})
		}
		if n == 0 {
			return notFound("session %d not found", ses.ID)
		}
		return conflict("session %d changed meanwhile", ses.ID)
	}
	ses.Version++
	return nil
}

// ListSlots returns the session's showcase slots by position.
func (s *Store) ListSlots(ctx context.Context, sessionID int64) ([]app.Slot, error) {
	var rows []slotRow
	err := s.db.WithContext(ctx).Where("session_id = ?", sessionID).Order("position").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list slots", on{})
	}
	return slotsToApp(rows), nil
}

// ListEventSlots returns the slots of every session of the event, by
// session id and position.
func (s *Store) ListEventSlots(ctx context.Context, eventID int64) ([]app.Slot, error) {
	var rows []slotRow
	err := s.db.WithContext(ctx).
		Where("session_id IN (?)", s.db.Model(&sessionRow{}).Select("id").Where("event_id = ?", eventID)).
		Order("session_id, position").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list event slots", on{})
	}
	return slotsToApp(rows), nil
}

// stageBusy is the error of a write the one-running-session-per-stage
// index refused.
func stageBusy(ses *app.Session) *app.Error {
	return conflict("another session is already live or paused on stage %q", ses.Stage)
}

func slotsToApp(rows []slotRow) []app.Slot {
	out := make([]app.Slot, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out
}

// ReplaceSlots makes slots the session's run-of-show, atomically and in
// their order, renumbering positions 1..n and setting their SessionID: a
// slot whose ID is one of the session's items keeps its ID and is
// rewritten; a slot with ID 0 is inserted and gets its new ID; the
// session's items not in slots are deleted. A slot with the ID of
// another session's item is ENotFound, as are an unknown session and an
// unknown achievement.
func (s *Store) ReplaceSlots(ctx context.Context, sessionID int64, slots []app.Slot) error {
	return s.tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		keep := make([]int64, 0, len(slots))
		for _, sl := range slots {
			if sl.ID != 0 {
				keep = append(keep, sl.ID)
			}
		}
		del := db.Where("session_id = ?", sessionID)
		if len(keep) > 0 {
			del = del.Where("id NOT IN ?", keep)
		}
		if err := del.Delete(&slotRow{}).Error; err != nil {
			return tx.fail(ctx, err, "delete slots", on{})
		}
		// Kept items move out of the way first: positions are unique in
		// a session, and the new order may swap two of them.
		if len(keep) > 0 {
			if err := db.Model(&slotRow{}).Where("session_id = ?", sessionID).
				Update("position", gorm.Expr("-1 - position")).Error; err != nil {
				return tx.fail(ctx, err, "renumber slots", on{})
			}
		}
		o := on{fk: notFound("session %d or one of its achievements not found", sessionID)}
		var fresh []slotRow // new items, inserted in one statement
		var freshAt []int
		for i := range slots {
			slots[i].SessionID = sessionID
			slots[i].Position = i + 1
			r := slotToRow(&slots[i])
			if r.ID == 0 {
				fresh, freshAt = append(fresh, r), append(freshAt, i)
				continue
			}
			res := db.Model(&slotRow{}).Where("id = ? AND session_id = ?", r.ID, sessionID).Updates(slotFields(&r))
			if res.Error != nil {
				return tx.fail(ctx, res.Error, "update slot", o)
			}
			if res.RowsAffected == 0 {
				return notFound("item %d is not in the run-of-show of session %d", r.ID, sessionID)
			}
		}
		if len(fresh) > 0 {
			if err := db.Create(&fresh).Error; err != nil {
				return tx.fail(ctx, err, "insert slots", o)
			}
			for k, i := range freshAt {
				slots[i].ID = fresh[k].ID
			}
		}
		return nil
	})
}

// UpdateSlot writes every stored field of sl (session, achievement or
// free item's text, position, planned seconds, state, actual times, pause
// base) by sl.ID. An unknown id is ENotFound; a position taken in the
// session EConflict.
func (s *Store) UpdateSlot(ctx context.Context, sl *app.Slot) error {
	r := slotToRow(sl)
	res := s.db.WithContext(ctx).Model(&slotRow{}).Where("id = ?", sl.ID).Updates(slotFields(&r))
	o := on{
		dup: conflict("position %d of session %d is taken", sl.Position, sl.SessionID),
		fk:  notFound("session %d or achievement %d not found", sl.SessionID, sl.AchievementID),
	}
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update slot", o)
	}
	if res.RowsAffected == 0 {
		return notFound("slot %d not found", sl.ID)
	}
	return nil
}

// ListAchievements returns the event's achievements by id.
func (s *Store) ListAchievements(ctx context.Context, eventID int64) ([]app.Achievement, error) {
	var rows []achievementRow
	err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list achievements", on{})
	}
	out := make([]app.Achievement, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// AchievementByID returns the achievement with id, or ENotFound.
func (s *Store) AchievementByID(ctx context.Context, id int64) (*app.Achievement, error) {
	var r achievementRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get achievement", on{notFound: notFound("achievement %d not found", id)})
	}
	a := r.toApp()
	return &a, nil
}

// CreateAchievement inserts a and fills a.ID and the timestamps. A Ref
// already used in the event is EConflict; an unknown event ENotFound.
func (s *Store) CreateAchievement(ctx context.Context, a *app.Achievement) error {
	r := achievementToRow(a)
	r.ID = 0
	err := s.db.WithContext(ctx).Create(&r).Error
	if err != nil {
		return s.fail(ctx, err, "create achievement", on{
			dup: conflict("achievement ref %q already exists in this event", a.Ref),
			fk:  notFound("event %d not found", a.EventID),
		})
	}
	a.ID, a.CreatedAt, a.UpdatedAt = r.ID, r.CreatedAt, r.UpdatedAt
	return nil
}

// UpdateAchievement writes every stored field of a but its event and
// creation time, and sets a.UpdatedAt. An unknown id is ENotFound, a Ref
// already used in the event EConflict.
func (s *Store) UpdateAchievement(ctx context.Context, a *app.Achievement) error {
	r := achievementToRow(a)
	r.UpdatedAt = now()
	res := s.db.WithContext(ctx).Model(&achievementRow{}).Where("id = ?", a.ID).Updates(map[string]any{
		"ref":      r.Ref,
		"title_zh": r.TitleZH, "title_en": r.TitleEN, "title_hu": r.TitleHU,
		"summary_zh": r.SummaryZH, "summary_en": r.SummaryEN, "summary_hu": r.SummaryHU,
		"institution": r.Institution, "region": r.Region, "field": r.Field,
		"presenter": r.Presenter, "presenter_mode": r.PresenterMode, "contact": r.Contact,
		"sample": r.Sample, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update achievement", on{
			dup: conflict("achievement ref %q already exists in this event", a.Ref),
		})
	}
	if res.RowsAffected == 0 {
		return notFound("achievement %d not found", a.ID)
	}
	a.UpdatedAt = r.UpdatedAt
	return nil
}

// DeleteAchievement deletes the achievement with id. An unknown id is
// ENotFound; an achievement still in a showcase is EConflict.
func (s *Store) DeleteAchievement(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&achievementRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete achievement", on{
			fk: conflict("achievement %d is in a showcase: remove it from the showcase first", id),
		})
	}
	if res.RowsAffected == 0 {
		return notFound("achievement %d not found", id)
	}
	return nil
}
