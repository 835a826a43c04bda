package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hybridcon/hybridcon/app"
)

// Technology transfer: app.TransferRepo on the tables of migration 8.

var _ app.TransferRepo = (*Store)(nil)

// CreateTeam inserts t and fills its id. A second team of one achievement
// (or a token hash in use) is EConflict; an unknown achievement ENotFound.
func (s *Store) CreateTeam(ctx context.Context, t *app.Team) error {
	r := teamToRow(t)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create team", on{
			dup: conflict("achievement %d has a team already", t.AchievementID),
			fk:  notFound("achievement %d not found", t.AchievementID),
		})
	}
	t.ID = r.ID
	return nil
}

// UpdateTeam writes t's name, members, token hash, link time and update
// time; an unknown id is ENotFound.
func (s *Store) UpdateTeam(ctx context.Context, t *app.Team) error {
	r := teamToRow(t)
	res := s.db.WithContext(ctx).Model(&teamRow{}).Where("id = ?", t.ID).Updates(map[string]any{
		"name": r.Name, "members": r.Members, "token_hash": r.TokenHash, "link_set_at": r.LinkSetAt, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update team", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("team %d not found", t.ID)
	}
	return nil
}

// takeTeam reads the one team where cond holds, or returns missing.
func (s *Store) takeTeam(ctx context.Context, missing *app.Error, cond string, arg any) (*app.Team, error) {
	var r teamRow
	if err := s.db.WithContext(ctx).Where(cond, arg).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "get team", on{notFound: missing})
	}
	t := r.toApp()
	return &t, nil
}

// TeamByID returns the team with id, or ENotFound.
func (s *Store) TeamByID(ctx context.Context, id int64) (*app.Team, error) {
	return s.takeTeam(ctx, notFound("team %d not found", id), "id = ?", id)
}

// TeamByTokenHash returns the team whose link token hashes to hash, or
// ENotFound (also for the empty hash of a revoked link).
func (s *Store) TeamByTokenHash(ctx context.Context, hash string) (*app.Team, error) {
	if hash == "" {
		return nil, notFound("team not found")
	}
	return s.takeTeam(ctx, notFound("team not found"), "token_hash = ?", hash)
}

// TeamOfAchievement returns the achievement's team, or ENotFound.
func (s *Store) TeamOfAchievement(ctx context.Context, achievementID int64) (*app.Team, error) {
	return s.takeTeam(ctx, notFound("achievement %d has no team", achievementID), "achievement_id = ?", achievementID)
}

// ListTeams returns the event's teams by id.
func (s *Store) ListTeams(ctx context.Context, eventID int64) ([]app.Team, error) {
	var rows []teamRow
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list teams", on{})
	}
	out := make([]app.Team, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// SaveInterest inserts in, or updates the participant's interest in the
// achievement; see app.TransferRepo.
func (s *Store) SaveInterest(ctx context.Context, in *app.Interest) (created bool, err error) {
	r := interestToRow(in)
	err = s.tx(ctx, func(tx *Store) error {
		var old interestRow
		err := tx.db.WithContext(ctx).Where("attendee_id = ? AND achievement_id = ?", r.AttendeeID, r.AchievementID).Take(&old).Error
		if err == nil {
			r.ID, r.CreatedAt, r.Sample = old.ID, old.CreatedAt, old.Sample
			return tx.failed(ctx, tx.db.WithContext(ctx).Model(&interestRow{}).Where("id = ?", old.ID).Updates(map[string]any{
				"slot_id": r.SlotID, "purpose": r.Purpose, "note": r.Note, "consent": r.Consent, "updated_at": r.UpdatedAt,
			}).Error, "update interest")
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return tx.fail(ctx, err, "read interest", on{})
		}
		r.ID = 0
		created = true
		if err := tx.db.WithContext(ctx).Create(&r).Error; err != nil {
			return tx.fail(ctx, err, "create interest", on{
				dup: conflict("the interest changed meanwhile; try again"),
				fk:  notFound("achievement %d or the participant not found", in.AchievementID),
			})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	*in = r.toApp()
	return created, nil
}

// failed translates err (nil stays nil).
func (s *Store) failed(ctx context.Context, err error, op string) error {
	if err == nil {
		return nil
	}
	return s.fail(ctx, err, op, on{})
}

// filterTransfer narrows a list read of a table aliased x to f.
func filterTransfer(q *gorm.DB, f app.TransferFilter) *gorm.DB {
	q = q.Where("x.event_id = ?", f.EventID)
	if f.AttendeeID != "" {
		q = q.Where("x.attendee_id = ?", f.AttendeeID)
	}
	if f.AchievementID != 0 {
		q = q.Where("x.achievement_id = ?", f.AchievementID)
	}
	return q
}

// withWho reads table (aliased x) with its attendee's columns.
func (s *Store) withWho(ctx context.Context, table string) *gorm.DB {
	return s.db.WithContext(ctx).Table(table + " AS x").Select("x.*, " + whoSelect).Joins("LEFT JOIN attendees a ON a.id = x.attendee_id")
}

// ListInterests returns the interests f selects, by id, with Who.
func (s *Store) ListInterests(ctx context.Context, f app.TransferFilter) ([]app.Interest, error) {
	var rows []struct {
		Row interestRow `gorm:"embedded"`
		Who whoCols     `gorm:"embedded"`
	}
	if err := filterTransfer(s.withWho(ctx, "transfer_interests"), f).Order("x.id").Scan(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list interests", on{})
	}
	out := make([]app.Interest, len(rows))
	for i := range rows {
		out[i] = rows[i].Row.toApp()
		out[i].Who = rows[i].Who.toApp()
	}
	return out, nil
}

// InterestCounts counts the event's interests by achievement id.
func (s *Store) InterestCounts(ctx context.Context, eventID int64) (map[int64]int64, error) {
	var rows []struct {
		AchievementID int64
		N             int64
	}
	err := s.db.WithContext(ctx).Model(&interestRow{}).Select("achievement_id, COUNT(*) AS n").
		Where("event_id = ?", eventID).Group("achievement_id").Scan(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "count interests", on{})
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.AchievementID] = r.N
	}
	return out, nil
}

// CreateMeetingRequest inserts r and fills its id; see app.TransferRepo.
func (s *Store) CreateMeetingRequest(ctx context.Context, r *app.MeetingRequest) error {
	row := requestToRow(r)
	row.ID = 0
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return s.fail(ctx, err, "create meeting request", on{
			dup: conflict("an open meeting request to this achievement exists"),
			fk:  notFound("achievement %d or the participant not found", r.AchievementID),
		})
	}
	r.ID = row.ID
	return nil
}

// MeetingRequestForUpdate reads a request (with Who) and, on PostgreSQL,
// locks its row until the transaction ends.
func (s *Store) MeetingRequestForUpdate(ctx context.Context, id int64) (*app.MeetingRequest, error) {
	q := s.db.WithContext(ctx)
	if s.c.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row requestRow
	if err := q.Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, s.fail(ctx, err, "get meeting request", on{notFound: notFound("meeting request %d not found", id)})
	}
	r := row.toApp()
	a, err := s.AttendeeByID(ctx, r.AttendeeID)
	if err != nil {
		return nil, err
	}
	r.Who = a
	return &r, nil
}

// UpdateMeetingRequest writes r's state and times.
func (s *Store) UpdateMeetingRequest(ctx context.Context, r *app.MeetingRequest) error {
	res := s.db.WithContext(ctx).Model(&requestRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"state": r.State, "decided_at": utcPtr(r.DecidedAt), "updated_at": utc(r.UpdatedAt),
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update meeting request", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("meeting request %d not found", r.ID)
	}
	return nil
}

// ListMeetingRequests returns the requests f selects, by id, with Who.
func (s *Store) ListMeetingRequests(ctx context.Context, f app.TransferFilter) ([]app.MeetingRequest, error) {
	var rows []struct {
		Row requestRow `gorm:"embedded"`
		Who whoCols    `gorm:"embedded"`
	}
	if err := filterTransfer(s.withWho(ctx, "transfer_meeting_requests"), f).Order("x.id").Scan(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list meeting requests", on{})
	}
	out := make([]app.MeetingRequest, len(rows))
	for i := range rows {
		out[i] = rows[i].Row.toApp()
		out[i].Who = rows[i].Who.toApp()
	}
	return out, nil
}

// CreateMeetingSession inserts m and fills its id.
func (s *Store) CreateMeetingSession(ctx context.Context, m *app.MeetingSession) error {
	r := meetingSessionToRow(m)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create meeting session", on{fk: notFound("event %d not found", m.EventID)})
	}
	m.ID = r.ID
	return nil
}

// MeetingSessionByID returns the meeting session with id, or ENotFound.
func (s *Store) MeetingSessionByID(ctx context.Context, id int64) (*app.MeetingSession, error) {
	var r meetingSessionRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "get meeting session", on{notFound: notFound("meeting session %d not found", id)})
	}
	m := r.toApp()
	return &m, nil
}

// UpdateMeetingSession writes m's title, times, slot length, tables and
// rooms.
func (s *Store) UpdateMeetingSession(ctx context.Context, m *app.MeetingSession) error {
	r := meetingSessionToRow(m)
	res := s.db.WithContext(ctx).Model(&meetingSessionRow{}).Where("id = ?", m.ID).Updates(map[string]any{
		"title_zh": r.TitleZH, "title_en": r.TitleEN, "title_hu": r.TitleHU, "starts_at": r.StartsAt, "ends_at": r.EndsAt,
		"slot_minutes": r.SlotMinutes, "table_count": r.TableCount, "rooms": r.Rooms,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update meeting session", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("meeting session %d not found", m.ID)
	}
	return nil
}

// DeleteMeetingSession deletes the meeting session with id (its meetings
// go with it: the caller has removed or refused them first).
func (s *Store) DeleteMeetingSession(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&meetingSessionRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete meeting session", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("meeting session %d not found", id)
	}
	return nil
}

// SetMeetingRoomLink gives the meetings in a room of a meeting session
// the room's new video link.
func (s *Store) SetMeetingRoomLink(ctx context.Context, sessionID int64, room, link string) error {
	err := s.db.WithContext(ctx).Model(&meetingRow{}).Where("session_id = ? AND room = ?", sessionID, room).
		Update("link", link).Error
	return s.fail(ctx, err, "set meeting links", on{})
}

// ListMeetingSessions returns the event's meeting sessions by id.
func (s *Store) ListMeetingSessions(ctx context.Context, eventID int64) ([]app.MeetingSession, error) {
	var rows []meetingSessionRow
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list meeting sessions", on{})
	}
	out := make([]app.MeetingSession, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// ListMeetings returns the meetings f selects, by id, with Who.
func (s *Store) ListMeetings(ctx context.Context, f app.TransferFilter) ([]app.Meeting, error) {
	var rows []struct {
		Row meetingRow `gorm:"embedded"`
		Who whoCols    `gorm:"embedded"`
	}
	if err := filterTransfer(s.withWho(ctx, "transfer_meetings"), f).Order("x.id").Scan(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list meetings", on{})
	}
	out := make([]app.Meeting, len(rows))
	for i := range rows {
		out[i] = rows[i].Row.toApp()
		out[i].Who = rows[i].Who.toApp()
	}
	return out, nil
}

// MeetingByID returns the meeting with id, or ENotFound.
func (s *Store) MeetingByID(ctx context.Context, id int64) (*app.Meeting, error) {
	var r meetingRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "get meeting", on{notFound: notFound("meeting %d not found", id)})
	}
	m := r.toApp()
	return &m, nil
}

// ReplaceMeetings deletes the meetings drop, then inserts add; see
// app.TransferRepo.
func (s *Store) ReplaceMeetings(ctx context.Context, drop []int64, add []app.Meeting) error {
	return s.tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if len(drop) > 0 {
			if err := db.Where("id IN ?", drop).Delete(&meetingRow{}).Error; err != nil {
				return tx.fail(ctx, err, "delete meetings", on{})
			}
		}
		if len(add) == 0 {
			return nil
		}
		rows := make([]meetingRow, len(add))
		for i := range add {
			rows[i] = meetingToRow(&add[i])
			rows[i].ID = 0
		}
		if err := db.CreateInBatches(&rows, 200).Error; err != nil {
			return tx.fail(ctx, err, "insert meetings", on{dup: conflict("a meeting would double-book a participant, team, table or room")})
		}
		for i := range rows {
			add[i].ID = rows[i].ID
		}
		return nil
	})
}

// MarkMeetingHeld sets a scheduled meeting held; see app.TransferRepo.
func (s *Store) MarkMeetingHeld(ctx context.Context, id int64, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&meetingRow{}).Where("id = ? AND state = ?", id, app.MeetingScheduled).
		Updates(map[string]any{"state": app.MeetingHeld, "held_at": utc(at)})
	if res.Error != nil {
		return false, s.fail(ctx, res.Error, "mark meeting held", on{})
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	if _, err := s.MeetingByID(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// CreateQuestion inserts q and fills its id.
func (s *Store) CreateQuestion(ctx context.Context, q *app.Question) error {
	r := questionToRow(q)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create question", on{fk: notFound("event or participant not found")})
	}
	q.ID = r.ID
	return nil
}

// takeQuestion reads a question (with Who), locking it when lock is set
// (PostgreSQL).
func (s *Store) takeQuestion(ctx context.Context, id int64, lock bool) (*app.Question, error) {
	var row struct {
		Row questionRow `gorm:"embedded"`
		Who whoCols     `gorm:"embedded"`
	}
	q := s.withWho(ctx, "transfer_questions").Where("x.id = ?", id)
	if lock && s.c.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "x"}})
	}
	res := q.Scan(&row)
	if res.Error != nil {
		return nil, s.fail(ctx, res.Error, "get question", on{})
	}
	if res.RowsAffected == 0 {
		return nil, notFound("question %d not found", id)
	}
	out := row.Row.toApp()
	out.Who = row.Who.toApp()
	return &out, nil
}

// QuestionByID returns the question with id (with Who), or ENotFound.
func (s *Store) QuestionByID(ctx context.Context, id int64) (*app.Question, error) {
	return s.takeQuestion(ctx, id, false)
}

// QuestionForUpdate is QuestionByID locking the row (PostgreSQL).
func (s *Store) QuestionForUpdate(ctx context.Context, id int64) (*app.Question, error) {
	return s.takeQuestion(ctx, id, true)
}

// UpdateQuestion writes q's state, answer time, log seqs and update time.
func (s *Store) UpdateQuestion(ctx context.Context, q *app.Question) error {
	r := questionToRow(q)
	res := s.db.WithContext(ctx).Model(&questionRow{}).Where("id = ?", q.ID).Updates(map[string]any{
		"state": r.State, "answered_at": r.AnsweredAt, "log_seqs": r.LogSeqs, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update question", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("question %d not found", q.ID)
	}
	return nil
}

// ListQuestions returns the questions f selects, by id, with Who; with a
// limit, the newest limit of them.
func (s *Store) ListQuestions(ctx context.Context, f app.QuestionFilter) ([]app.Question, error) {
	var rows []struct {
		Row questionRow `gorm:"embedded"`
		Who whoCols     `gorm:"embedded"`
	}
	q := s.withWho(ctx, "transfer_questions").Where("x.event_id = ?", f.EventID)
	if len(f.SlotIDs) > 0 {
		q = q.Where("x.slot_id IN ?", f.SlotIDs)
	}
	if len(f.States) > 0 {
		q = q.Where("x.state IN ?", f.States)
	}
	if f.AttendeeID != "" {
		q = q.Where("x.attendee_id = ?", f.AttendeeID)
	}
	if f.Limit > 0 {
		q = q.Order("x.id DESC").Limit(f.Limit)
	} else {
		q = q.Order("x.id")
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list questions", on{})
	}
	out := make([]app.Question, len(rows))
	for i := range rows {
		k := i
		if f.Limit > 0 {
			k = len(rows) - 1 - i
		}
		out[k] = rows[i].Row.toApp()
		out[k].Who = rows[i].Who.toApp()
	}
	return out, nil
}

// AddVote records a vote; see app.TransferRepo.
func (s *Store) AddVote(ctx context.Context, questionID int64, voter, attendeeID string, at time.Time) (bool, int64, error) {
	v := voteRow{QuestionID: questionID, Voter: voter, CreatedAt: utc(at)}
	if attendeeID != "" {
		v.AttendeeID = &attendeeID
	}
	var added bool
	var counts []int64
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&v)
		if res.Error != nil {
			return tx.fail(ctx, res.Error, "add vote", on{fk: notFound("question %d not found", questionID)})
		}
		if added = res.RowsAffected == 1; added {
			if err := db.Model(&questionRow{}).Where("id = ?", questionID).Update("votes", gorm.Expr("votes + 1")).Error; err != nil {
				return tx.fail(ctx, err, "count vote", on{})
			}
		}
		return tx.failed(ctx, db.Model(&questionRow{}).Where("id = ?", questionID).Pluck("votes", &counts).Error, "read votes")
	})
	if err != nil {
		return false, 0, err
	}
	if len(counts) != 1 {
		return false, 0, notFound("question %d not found", questionID)
	}
	return added, counts[0], nil
}

// ListVotes returns the participant's votes by question.
func (s *Store) ListVotes(ctx context.Context, attendeeID string) ([]app.Vote, error) {
	var rows []voteRow
	if err := s.db.WithContext(ctx).Where("attendee_id = ?", attendeeID).Order("question_id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list votes", on{})
	}
	out := make([]app.Vote, len(rows))
	for i, r := range rows {
		out[i] = app.Vote{QuestionID: r.QuestionID, CreatedAt: utc(r.CreatedAt)}
	}
	return out, nil
}

// RedactLive replaces the data of the event's live-log entries seqs.
func (s *Store) RedactLive(ctx context.Context, eventID int64, seqs []int64, data any) error {
	if len(seqs) == 0 {
		return nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("storage: encode redaction: %w", err)
	}
	err = s.db.WithContext(ctx).Model(&liveRow{}).Where("event_id = ? AND seq IN ?", eventID, seqs).Update("data", string(raw)).Error
	return s.failed(ctx, err, "redact live entries")
}

// TransferSettings returns the event's switches; an event that never set
// them has both off.
func (s *Store) TransferSettings(ctx context.Context, eventID int64) (app.TransferSettings, error) {
	var rows []transferSettingsRow
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Limit(1).Find(&rows).Error; err != nil {
		return app.TransferSettings{}, s.fail(ctx, err, "get transfer settings", on{})
	}
	if len(rows) == 0 {
		return app.TransferSettings{}, nil
	}
	return app.TransferSettings{AnonymousQuestions: rows[0].AnonymousQuestions, AnonymousVotes: rows[0].AnonymousVotes}, nil
}

// SaveTransferSettings stores the event's switches.
func (s *Store) SaveTransferSettings(ctx context.Context, eventID int64, set app.TransferSettings) error {
	r := transferSettingsRow{EventID: eventID, AnonymousQuestions: set.AnonymousQuestions, AnonymousVotes: set.AnonymousVotes, UpdatedAt: now()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "event_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"anonymous_questions", "anonymous_votes", "updated_at"}),
	}).Create(&r).Error
	if err != nil {
		return s.fail(ctx, err, "save transfer settings", on{fk: notFound("event %d not found", eventID)})
	}
	return nil
}

// DeleteParticipantData deletes what the participant gave; see
// app.TransferRepo.
func (s *Store) DeleteParticipantData(ctx context.Context, attendeeID string) (app.TransferDeletion, error) {
	var d app.TransferDeletion
	err := s.tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		err := db.Model(&questionRow{}).
			Where("id IN (?)", db.Model(&voteRow{}).Select("question_id").Where("attendee_id = ?", attendeeID)).
			Update("votes", gorm.Expr("votes - 1")).Error
		if err != nil {
			return tx.fail(ctx, err, "uncount votes", on{})
		}
		for _, step := range []struct {
			n     *int64
			model any
			what  string
		}{
			{&d.Votes, &voteRow{}, "votes"},
			{&d.Questions, &questionRow{}, "questions"},
			{&d.Meetings, &meetingRow{}, "meetings"},
			{&d.MeetingRequests, &requestRow{}, "meeting requests"},
			{&d.Interests, &interestRow{}, "interests"},
		} {
			res := db.Where("attendee_id = ?", attendeeID).Delete(step.model)
			if res.Error != nil {
				return tx.fail(ctx, res.Error, "delete "+step.what, on{})
			}
			*step.n = res.RowsAffected
		}
		return nil
	})
	return d, err
}
