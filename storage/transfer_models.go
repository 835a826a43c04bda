package storage

import (
	"encoding/json"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// GORM models of the technology-transfer tables (migrate_transfer.go) and
// their converters.

type teamRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	AchievementID int64  `gorm:"column:achievement_id"`
	Name          string `gorm:"column:name"`
	Members       string `gorm:"column:members"`
	TokenHash     string `gorm:"column:token_hash"`
	LinkSetAt     *time.Time
	Sample        bool `gorm:"column:sample"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (teamRow) TableName() string { return "transfer_teams" }

func teamToRow(t *app.Team) teamRow {
	members, _ := json.Marshal(t.Members) // plain strings always marshal
	if t.Members == nil {
		members = []byte("[]")
	}
	return teamRow{ID: t.ID, EventID: t.EventID, AchievementID: t.AchievementID, Name: t.Name, Members: string(members),
		TokenHash: t.TokenHash, LinkSetAt: utcPtr(t.LinkSetAt), Sample: t.Sample, CreatedAt: utc(t.CreatedAt), UpdatedAt: utc(t.UpdatedAt)}
}

func (r *teamRow) toApp() app.Team {
	members := []app.TeamMember{}
	_ = json.Unmarshal([]byte(r.Members), &members)
	return app.Team{ID: r.ID, EventID: r.EventID, AchievementID: r.AchievementID, Name: r.Name, Members: members,
		TokenHash: r.TokenHash, LinkActive: r.TokenHash != "", LinkSetAt: utcPtr(r.LinkSetAt), Sample: r.Sample,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// whoCols are the attendee columns joined onto list reads (who_…); a
// left join of an anonymous question reads them as empty strings.
type whoCols struct {
	WhoID           string `gorm:"column:who_id"`
	WhoName         string `gorm:"column:who_name"`
	WhoOrganization string `gorm:"column:who_organization"`
	WhoCountry      string `gorm:"column:who_country"`
	WhoEmail        string `gorm:"column:who_email"`
	WhoCategory     string `gorm:"column:who_category"`
}

// whoSelect selects whoCols from the attendees joined as a.
const whoSelect = "COALESCE(a.id, '') AS who_id, COALESCE(a.name, '') AS who_name, COALESCE(a.organization, '') AS who_organization, " +
	"COALESCE(a.country, '') AS who_country, COALESCE(a.email, '') AS who_email, COALESCE(a.category, '') AS who_category"

func (w *whoCols) toApp() *app.Attendee {
	if w.WhoID == "" {
		return nil
	}
	return &app.Attendee{ID: w.WhoID, Name: w.WhoName, Organization: w.WhoOrganization, Country: w.WhoCountry,
		Email: w.WhoEmail, Category: w.WhoCategory}
}

type interestRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	AttendeeID    string `gorm:"column:attendee_id"`
	AchievementID int64  `gorm:"column:achievement_id"`
	SlotID        int64  `gorm:"column:slot_id"`
	Purpose       string `gorm:"column:purpose"`
	Note          string `gorm:"column:note"`
	Consent       bool   `gorm:"column:consent"`
	Sample        bool   `gorm:"column:sample"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (interestRow) TableName() string { return "transfer_interests" }

func interestToRow(i *app.Interest) interestRow {
	return interestRow{ID: i.ID, EventID: i.EventID, AttendeeID: i.AttendeeID, AchievementID: i.AchievementID, SlotID: i.SlotID,
		Purpose: i.Purpose, Note: i.Note, Consent: i.Consent, Sample: i.Sample, CreatedAt: utc(i.CreatedAt), UpdatedAt: utc(i.UpdatedAt)}
}

func (r *interestRow) toApp() app.Interest {
	return app.Interest{ID: r.ID, EventID: r.EventID, AttendeeID: r.AttendeeID, AchievementID: r.AchievementID, SlotID: r.SlotID,
		Purpose: r.Purpose, Note: r.Note, Consent: r.Consent, Sample: r.Sample, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

type requestRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	AttendeeID    string `gorm:"column:attendee_id"`
	AchievementID int64  `gorm:"column:achievement_id"`
	Mode          string `gorm:"column:mode"`
	Note          string `gorm:"column:note"`
	State         string `gorm:"column:state"`
	Sample        bool   `gorm:"column:sample"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DecidedAt     *time.Time
}

func (requestRow) TableName() string { return "transfer_meeting_requests" }

func requestToRow(r *app.MeetingRequest) requestRow {
	return requestRow{ID: r.ID, EventID: r.EventID, AttendeeID: r.AttendeeID, AchievementID: r.AchievementID, Mode: r.Mode, Note: r.Note,
		State: r.State, Sample: r.Sample, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DecidedAt: utcPtr(r.DecidedAt)}
}

func (r *requestRow) toApp() app.MeetingRequest {
	return app.MeetingRequest{ID: r.ID, EventID: r.EventID, AttendeeID: r.AttendeeID, AchievementID: r.AchievementID, Mode: r.Mode,
		Note: r.Note, State: r.State, Sample: r.Sample, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), DecidedAt: utcPtr(r.DecidedAt)}
}

type meetingSessionRow struct {
	ID          int64  `gorm:"primaryKey"`
	EventID     int64  `gorm:"column:event_id"`
	TitleZH     string `gorm:"column:title_zh"`
	TitleEN     string `gorm:"column:title_en"`
	TitleHU     string `gorm:"column:title_hu"`
	StartsAt    time.Time
	EndsAt      time.Time
	SlotMinutes int    `gorm:"column:slot_minutes"`
	TableCount  int    `gorm:"column:table_count"`
	Rooms       string `gorm:"column:rooms"`
	CreatedAt   time.Time
}

func (meetingSessionRow) TableName() string { return "transfer_meeting_sessions" }

func meetingSessionToRow(m *app.MeetingSession) meetingSessionRow {
	rooms, _ := json.Marshal(m.Rooms) // plain strings always marshal
	if m.Rooms == nil {
		rooms = []byte("[]")
	}
	return meetingSessionRow{ID: m.ID, EventID: m.EventID, TitleZH: m.Title.ZH, TitleEN: m.Title.EN, TitleHU: m.Title.HU,
		StartsAt: utc(m.StartsAt), EndsAt: utc(m.EndsAt), SlotMinutes: m.SlotMinutes, TableCount: m.Tables, Rooms: string(rooms),
		CreatedAt: utc(m.CreatedAt)}
}

func (r *meetingSessionRow) toApp() app.MeetingSession {
	rooms := []app.MeetingRoom{}
	_ = json.Unmarshal([]byte(r.Rooms), &rooms)
	return app.MeetingSession{ID: r.ID, EventID: r.EventID, Title: app.Text{ZH: r.TitleZH, EN: r.TitleEN, HU: r.TitleHU},
		StartsAt: utc(r.StartsAt), EndsAt: utc(r.EndsAt), SlotMinutes: r.SlotMinutes, Tables: r.TableCount, Rooms: rooms,
		CreatedAt: utc(r.CreatedAt)}
}

type meetingRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	RequestID     int64  `gorm:"column:request_id"`
	SessionID     int64  `gorm:"column:session_id"`
	Slot          int    `gorm:"column:slot"`
	AttendeeID    string `gorm:"column:attendee_id"`
	AchievementID int64  `gorm:"column:achievement_id"`
	StartsAt      time.Time
	EndsAt        time.Time
	Mode          string `gorm:"column:mode"`
	TableNo       int    `gorm:"column:table_no"`
	Room          string `gorm:"column:room"`
	Link          string `gorm:"column:link"`
	State         string `gorm:"column:state"`
	HeldAt        *time.Time
	CreatedAt     time.Time
}

func (meetingRow) TableName() string { return "transfer_meetings" }

func meetingToRow(m *app.Meeting) meetingRow {
	return meetingRow{ID: m.ID, EventID: m.EventID, RequestID: m.RequestID, SessionID: m.SessionID, Slot: m.Slot, AttendeeID: m.AttendeeID,
		AchievementID: m.AchievementID, StartsAt: utc(m.StartsAt), EndsAt: utc(m.EndsAt), Mode: m.Mode, TableNo: m.Table, Room: m.Room,
		Link: m.Link, State: m.State, HeldAt: utcPtr(m.HeldAt), CreatedAt: utc(m.CreatedAt)}
}

func (r *meetingRow) toApp() app.Meeting {
	return app.Meeting{ID: r.ID, EventID: r.EventID, RequestID: r.RequestID, SessionID: r.SessionID, Slot: r.Slot, AttendeeID: r.AttendeeID,
		AchievementID: r.AchievementID, StartsAt: utc(r.StartsAt), EndsAt: utc(r.EndsAt), Mode: r.Mode, Table: r.TableNo, Room: r.Room,
		Link: r.Link, State: r.State, HeldAt: utcPtr(r.HeldAt), CreatedAt: utc(r.CreatedAt)}
}

type questionRow struct {
	ID            int64   `gorm:"primaryKey"`
	EventID       int64   `gorm:"column:event_id"`
	SessionID     int64   `gorm:"column:session_id"`
	SlotID        int64   `gorm:"column:slot_id"`
	AchievementID int64   `gorm:"column:achievement_id"`
	AttendeeID    *string `gorm:"column:attendee_id"`
	Voter         string  `gorm:"column:voter"`
	Body          string  `gorm:"column:body"`
	Lang          string  `gorm:"column:lang"`
	State         string  `gorm:"column:state"`
	Votes         int64   `gorm:"column:votes"`
	LogSeqs       string  `gorm:"column:log_seqs"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	AnsweredAt    *time.Time
}

func (questionRow) TableName() string { return "transfer_questions" }

func questionToRow(q *app.Question) questionRow {
	seqs, _ := json.Marshal(q.LogSeqs) // integers always marshal
	if q.LogSeqs == nil {
		seqs = []byte("[]")
	}
	r := questionRow{ID: q.ID, EventID: q.EventID, SessionID: q.SessionID, SlotID: q.SlotID, AchievementID: q.AchievementID,
		Voter: q.Voter, Body: q.Text, Lang: q.Lang, State: q.State, Votes: q.Votes, LogSeqs: string(seqs),
		CreatedAt: utc(q.CreatedAt), UpdatedAt: utc(q.UpdatedAt), AnsweredAt: utcPtr(q.AnsweredAt)}
	if q.AttendeeID != "" {
		r.AttendeeID = &q.AttendeeID
	}
	return r
}

func (r *questionRow) toApp() app.Question {
	q := app.Question{ID: r.ID, EventID: r.EventID, SessionID: r.SessionID, SlotID: r.SlotID, AchievementID: r.AchievementID,
		Voter: r.Voter, Text: r.Body, Lang: r.Lang, State: r.State, Votes: r.Votes,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), AnsweredAt: utcPtr(r.AnsweredAt)}
	if r.AttendeeID != nil {
		q.AttendeeID = *r.AttendeeID
	}
	_ = json.Unmarshal([]byte(r.LogSeqs), &q.LogSeqs)
	return q
}

type voteRow struct {
	QuestionID int64   `gorm:"column:question_id;primaryKey"`
	Voter      string  `gorm:"column:voter;primaryKey"`
	AttendeeID *string `gorm:"column:attendee_id"`
	CreatedAt  time.Time
}

func (voteRow) TableName() string { return "transfer_votes" }

type transferSettingsRow struct {
	EventID            int64 `gorm:"column:event_id;primaryKey"`
	AnonymousQuestions bool  `gorm:"column:anonymous_questions"`
	AnonymousVotes     bool  `gorm:"column:anonymous_votes"`
	UpdatedAt          time.Time
}

func (transferSettingsRow) TableName() string { return "transfer_settings" }
