package app

import (
	"context"
	"time"
)

// Technology transfer: participants and teams, interest, meeting
// requests, meeting sessions and scheduled meetings, questions to the
// item on stage. The rules are in docs/transfer.md; the scheduler is the
// pure function of package meetsched. Files: transfer_auth.go (tickets
// and team links as credentials), transfer_teams.go, transfer_interest.go,
// transfer_meetings.go (requests, sessions, lists), transfer_schedule.go
// (running the scheduler, scans at the table), transfer_questions.go,
// transfer_report.go (reports, a participant's own data), transfer_live.go
// (what viewers see: volatile counts, the snapshot's part),
// transfer_ics.go (calendars).

// Roles of the holders of a ticket or a team link (Principal.Role of a
// request sent with "Authorization: Ticket …"). They are not roles of
// users or API tokens: ValidRole refuses them.
const (
	RoleParticipant = "participant"
	RoleTeam        = "team"
)

// Party is the holder of a ticket (a participant: Attendee is set) or of
// a team link (Team is set), with the event it belongs to.
type Party struct {
	EventID  int64
	Slug     string
	Attendee *Attendee
	Team     *Team
}

// Purposes of an interest.
const (
	PurposeLicensing     = "licensing"
	PurposeInvestment    = "investment"
	PurposeJointResearch = "joint_research"
	PurposePilotCustomer = "pilot_customer"
)

// Purposes lists the purposes of an interest in the order reports show
// them.
var Purposes = []string{PurposeLicensing, PurposeInvestment, PurposeJointResearch, PurposePilotCustomer}

// Kinds of meeting: at a table on site, or in an online room.
const (
	MeetingOnsite = "onsite"
	MeetingOnline = "online"
)

// States of a meeting request: requested → accepted | declined.
const (
	RequestRequested = "requested"
	RequestAccepted  = "accepted"
	RequestDeclined  = "declined"
)

// States of a scheduled meeting: scheduled → held (the table's host
// scanned the participant's ticket, or the team or an organizer said so).
const (
	MeetingScheduled = "scheduled"
	MeetingHeld      = "held"
)

// States of a question: pending → approved | hidden | answered; approved
// → hidden | answered; answered → hidden; hidden → approved. Viewers see
// approved and answered questions only.
const (
	QuestionPending  = "pending"
	QuestionApproved = "approved"
	QuestionAnswered = "answered"
	QuestionHidden   = "hidden"
)

// Live types of technology transfer. question.approved, question.answered
// and question.hidden are durable envelopes (data: a Question; for
// question.hidden only its id and slot); interest, question.votes and
// transfer are volatile (InterestCounts, VoteCounts, TransferBell).
const (
	TypeQuestionApproved = "question.approved"
	TypeQuestionAnswered = "question.answered"
	TypeQuestionHidden   = "question.hidden"
	TypeInterest         = "interest"       // volatile
	TypeQuestionVotes    = "question.votes" // volatile
	TypeTransfer         = "transfer"       // volatile
)

// TeamMember is one person of an achievement's team.
type TeamMember struct {
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"`
	Email string `json:"email,omitempty"`
}

// Team is the team of one achievement: its presenter and contacts, with
// a personal link whose token is stored as a hash (TokenHash; empty when
// the link is revoked).
type Team struct {
	ID            int64        `json:"id"`
	EventID       int64        `json:"-"`
	AchievementID int64        `json:"achievement_id"`
	Name          string       `json:"name"`
	Members       []TeamMember `json:"members"`
	TokenHash     string       `json:"-"`
	// LinkActive reports whether the team's link works (a token is set).
	LinkActive bool       `json:"link_active"`
	LinkSetAt  *time.Time `json:"link_set_at,omitempty"`
	Sample     bool       `json:"sample"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Interest is a participant's interest in an achievement. There is one per
// participant and achievement; marking again changes it.
type Interest struct {
	ID            int64  `json:"id"`
	EventID       int64  `json:"-"`
	AttendeeID    string `json:"-"`
	AchievementID int64  `json:"achievement_id"`
	// SlotID is the run-of-show item presenting when the interest was
	// marked (0 when none was).
	SlotID    int64     `json:"slot_id"`
	Purpose   string    `json:"purpose"`
	Note      string    `json:"note"`
	Consent   bool      `json:"consent"`
	Sample    bool      `json:"sample"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Who is the participant, filled by list reads; never sent as is.
	Who *Attendee `json:"-"`
}

// MeetingRequest is a participant asking a team for a meeting.
type MeetingRequest struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"-"`
	AttendeeID    string     `json:"-"`
	AchievementID int64      `json:"achievement_id"`
	Mode          string     `json:"mode"`
	Note          string     `json:"note"`
	State         string     `json:"state"`
	Sample        bool       `json:"sample"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	// Who is the participant, filled by list reads; never sent as is.
	Who *Attendee `json:"-"`
}

// MeetingRoom is an online meeting room of a meeting session.
type MeetingRoom struct {
	Name string `json:"name"`
	Link string `json:"link"`
}

// MeetingSession is a block of time cut into slots of SlotMinutes, each
// with Tables numbered tables on site (1…Tables) and the online Rooms.
type MeetingSession struct {
	ID          int64         `json:"id"`
	EventID     int64         `json:"-"`
	Title       Text          `json:"title"`
	StartsAt    time.Time     `json:"starts_at"`
	EndsAt      time.Time     `json:"ends_at"`
	SlotMinutes int           `json:"slot_minutes"`
	Tables      int           `json:"tables"`
	Rooms       []MeetingRoom `json:"rooms"`
	CreatedAt   time.Time     `json:"created_at"`
}

// SlotCount is how many whole slots fit in the session.
func (m *MeetingSession) SlotCount() int {
	if m.SlotMinutes <= 0 {
		return 0
	}
	return int(m.EndsAt.Sub(m.StartsAt) / (time.Duration(m.SlotMinutes) * time.Minute))
}

// SlotTimes returns the start and end of slot i (0-based).
func (m *MeetingSession) SlotTimes(i int) (time.Time, time.Time) {
	d := time.Duration(m.SlotMinutes) * time.Minute
	start := m.StartsAt.Add(time.Duration(i) * d)
	return start, start.Add(d)
}

// Meeting is an accepted request placed by the scheduler: a slot of a
// meeting session and a table (on site) or room (online).
type Meeting struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"-"`
	RequestID     int64      `json:"request_id"`
	SessionID     int64      `json:"session_id"`
	Slot          int        `json:"slot"`
	AttendeeID    string     `json:"-"`
	AchievementID int64      `json:"achievement_id"`
	StartsAt      time.Time  `json:"starts_at"`
	EndsAt        time.Time  `json:"ends_at"`
	Mode          string     `json:"mode"`
	Table         int        `json:"table,omitempty"`
	Room          string     `json:"room,omitempty"`
	Link          string     `json:"link,omitempty"`
	State         string     `json:"state"`
	HeldAt        *time.Time `json:"held_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	// Who is the participant, filled by list reads; never sent as is.
	Who *Attendee `json:"-"`
}

// Question is a question to a run-of-show item. Viewers see approved and
// answered ones; the asker is never shown to them.
type Question struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"-"`
	SessionID     int64      `json:"session_id"`
	SlotID        int64      `json:"slot_id"`
	AchievementID int64      `json:"achievement_id,omitempty"`
	Text          string     `json:"text"`
	Lang          string     `json:"lang,omitempty"`
	State         string     `json:"state"`
	Votes         int64      `json:"votes"`
	CreatedAt     time.Time  `json:"created_at"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	// AttendeeID is the asking participant ("" when anonymous), Voter the
	// anonymous asker's voter id.
	AttendeeID string    `json:"-"`
	Voter      string    `json:"-"`
	UpdatedAt  time.Time `json:"-"`
	// LogSeqs are the live-log seqs of the envelopes that carried the
	// question's text, redacted when it is hidden.
	LogSeqs []int64 `json:"-"`
	// Who is the asking participant (nil when anonymous), filled by
	// reads for organizers.
	Who *Attendee `json:"-"`
}

// Vote is one participant's (or anonymous viewer's) vote on a question.
type Vote struct {
	QuestionID int64     `json:"question_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// TransferSettings are an event's switches for anonymous viewers: whether
// they may ask questions and vote (participants always may). Both are off
// by default.
type TransferSettings struct {
	AnonymousQuestions bool `json:"anonymous_questions"`
	AnonymousVotes     bool `json:"anonymous_votes"`
}

// TransferFilter selects interests, meeting requests or meetings of an
// event: of one participant and/or one achievement when set.
type TransferFilter struct {
	EventID       int64
	AttendeeID    string
	AchievementID int64
}

// QuestionFilter selects questions of an event.
type QuestionFilter struct {
	EventID    int64
	SlotIDs    []int64  // any when empty
	States     []string // any when empty
	AttendeeID string   // any when ""
	Limit      int      // ≤ 0: no limit
}

// TransferDeletion counts what DeleteParticipantData removed.
type TransferDeletion struct {
	Interests       int64 `json:"interests"`
	MeetingRequests int64 `json:"meeting_requests"`
	Meetings        int64 `json:"meetings"`
	Questions       int64 `json:"questions"`
	Votes           int64 `json:"votes"`
}

// TransferRepo is what the technology-transfer use cases read and write.
// Lists are in id order; Who is filled on interests, requests, meetings
// and questions that have a participant. Unknown ids are ENotFound,
// unique violations EConflict.
type TransferRepo interface {
	// CreateTeam inserts t; a second team of one achievement is EConflict.
	CreateTeam(ctx context.Context, t *Team) error
	// UpdateTeam writes t's name, members, token hash and link time.
	UpdateTeam(ctx context.Context, t *Team) error
	TeamByID(ctx context.Context, id int64) (*Team, error)
	TeamByTokenHash(ctx context.Context, hash string) (*Team, error)
	TeamOfAchievement(ctx context.Context, achievementID int64) (*Team, error)
	ListTeams(ctx context.Context, eventID int64) ([]Team, error)

	// SaveInterest inserts in, or updates the participant's interest in
	// the achievement (purpose, note, consent, slot), filling in's id and
	// times; created reports an insert.
	SaveInterest(ctx context.Context, in *Interest) (created bool, err error)
	ListInterests(ctx context.Context, f TransferFilter) ([]Interest, error)
	// InterestCounts counts the event's interests by achievement id.
	InterestCounts(ctx context.Context, eventID int64) (map[int64]int64, error)

	// CreateMeetingRequest inserts r; a second open (requested or
	// accepted) request of a participant to one achievement is EConflict.
	CreateMeetingRequest(ctx context.Context, r *MeetingRequest) error
	// MeetingRequestForUpdate reads a request and locks it until the
	// transaction ends.
	MeetingRequestForUpdate(ctx context.Context, id int64) (*MeetingRequest, error)
	// UpdateMeetingRequest writes r's state and decision time.
	UpdateMeetingRequest(ctx context.Context, r *MeetingRequest) error
	ListMeetingRequests(ctx context.Context, f TransferFilter) ([]MeetingRequest, error)

	CreateMeetingSession(ctx context.Context, m *MeetingSession) error
	ListMeetingSessions(ctx context.Context, eventID int64) ([]MeetingSession, error)
	MeetingSessionByID(ctx context.Context, id int64) (*MeetingSession, error)
	// UpdateMeetingSession writes m's title, times, slot length, tables
	// and rooms.
	UpdateMeetingSession(ctx context.Context, m *MeetingSession) error
	// DeleteMeetingSession deletes a meeting session and whatever
	// meetings are left in it.
	DeleteMeetingSession(ctx context.Context, id int64) error
	// SetMeetingRoomLink gives the meetings in a room of a session the
	// room's new video link.
	SetMeetingRoomLink(ctx context.Context, sessionID int64, room, link string) error
	ListMeetings(ctx context.Context, f TransferFilter) ([]Meeting, error)
	MeetingByID(ctx context.Context, id int64) (*Meeting, error)
	// ReplaceMeetings deletes the meetings with ids drop and inserts add
	// (filling their ids), in that order, so that a moved meeting may take
	// a place another one left. The schema refuses any double booking of a
	// table, room, participant or team (EConflict).
	ReplaceMeetings(ctx context.Context, drop []int64, add []Meeting) error
	// MarkMeetingHeld sets a scheduled meeting held at at; a meeting held
	// already is left as it was and reported by held false.
	MarkMeetingHeld(ctx context.Context, id int64, at time.Time) (held bool, err error)

	CreateQuestion(ctx context.Context, q *Question) error
	QuestionByID(ctx context.Context, id int64) (*Question, error)
	// QuestionForUpdate reads a question and locks it until the
	// transaction ends.
	QuestionForUpdate(ctx context.Context, id int64) (*Question, error)
	// UpdateQuestion writes q's state, answer time and log seqs.
	UpdateQuestion(ctx context.Context, q *Question) error
	ListQuestions(ctx context.Context, f QuestionFilter) ([]Question, error)
	// AddVote records voter's vote on the question and counts it, unless
	// voter voted on it before (added false, nothing written). attendeeID
	// is the voting participant ("" for an anonymous viewer).
	AddVote(ctx context.Context, questionID int64, voter, attendeeID string, at time.Time) (added bool, votes int64, err error)
	ListVotes(ctx context.Context, attendeeID string) ([]Vote, error)
	// RedactLive replaces the data of the event's live-log entries with
	// the given seqs by data (a hidden question's text leaves the log).
	RedactLive(ctx context.Context, eventID int64, seqs []int64, data any) error

	TransferSettings(ctx context.Context, eventID int64) (TransferSettings, error)
	SaveTransferSettings(ctx context.Context, eventID int64, s TransferSettings) error

	// DeleteParticipantData deletes everything the participant gave:
	// votes (uncounting them), questions, meetings, meeting requests and
	// interests.
	DeleteParticipantData(ctx context.Context, attendeeID string) (TransferDeletion, error)
}
