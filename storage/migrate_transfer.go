package storage

// Migration 8: technology transfer — teams with hashed link tokens,
// interests, meeting requests, meeting sessions, scheduled meetings,
// questions with their votes, and each event's switches for anonymous
// viewers.
//
// The schema holds the rules that must never break, whatever the code
// does: one team per achievement and one live token per hash; one
// interest per participant and achievement; at most one open (requested
// or accepted) meeting request per participant and achievement; a
// meeting per request, and no participant, team (achievement), table or
// room booked twice at one time (meeting sessions of an event do not
// overlap, so equal start times mean the same slot); one vote per voter
// and question. Rows of a participant go with their attendee (ON DELETE
// CASCADE); achievements with teams, interests, requests or meetings
// cannot be deleted (NO ACTION). Questions and interests name their
// run-of-show item by id without a foreign key: items of a run-of-show
// are rewritten when it is edited, and a question outlives its item.
var schemaTransfer = []string{
	`CREATE TABLE transfer_teams (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		achievement_id BIGINT NOT NULL REFERENCES achievements (id),
		name TEXT NOT NULL DEFAULT '',
		members TEXT NOT NULL DEFAULT '[]',
		token_hash TEXT NOT NULL DEFAULT '',
		link_set_at {{time}},
		sample BOOLEAN NOT NULL DEFAULT FALSE,
		created_at {{time}} NOT NULL,
		updated_at {{time}} NOT NULL,
		CONSTRAINT transfer_teams_achievement_key UNIQUE (achievement_id)
	)`,
	`CREATE INDEX transfer_teams_event_idx ON transfer_teams (event_id)`,
	`CREATE UNIQUE INDEX transfer_teams_token_key ON transfer_teams (token_hash) WHERE token_hash <> ''`,
	`CREATE TABLE transfer_interests (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		attendee_id TEXT NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
		achievement_id BIGINT NOT NULL REFERENCES achievements (id),
		slot_id BIGINT NOT NULL DEFAULT 0,
		purpose TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		consent BOOLEAN NOT NULL,
		sample BOOLEAN NOT NULL DEFAULT FALSE,
		created_at {{time}} NOT NULL,
		updated_at {{time}} NOT NULL,
		CONSTRAINT transfer_interests_attendee_achievement_key UNIQUE (attendee_id, achievement_id),
		CONSTRAINT transfer_interests_purpose_check CHECK (purpose IN ('licensing', 'investment', 'joint_research', 'pilot_customer'))
	)`,
	`CREATE INDEX transfer_interests_event_idx ON transfer_interests (event_id, achievement_id)`,
	`CREATE TABLE transfer_meeting_requests (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		attendee_id TEXT NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
		achievement_id BIGINT NOT NULL REFERENCES achievements (id),
		mode TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		sample BOOLEAN NOT NULL DEFAULT FALSE,
		created_at {{time}} NOT NULL,
		updated_at {{time}} NOT NULL,
		decided_at {{time}},
		CONSTRAINT transfer_meeting_requests_mode_check CHECK (mode IN ('onsite', 'online')),
		CONSTRAINT transfer_meeting_requests_state_check CHECK (state IN ('requested', 'accepted', 'declined'))
	)`,
	`CREATE INDEX transfer_meeting_requests_event_idx ON transfer_meeting_requests (event_id, achievement_id)`,
	`CREATE UNIQUE INDEX transfer_meeting_requests_open_key ON transfer_meeting_requests (attendee_id, achievement_id) WHERE state IN ('requested', 'accepted')`,
	`CREATE TABLE transfer_meeting_sessions (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		title_zh TEXT NOT NULL DEFAULT '',
		title_en TEXT NOT NULL DEFAULT '',
		title_hu TEXT NOT NULL DEFAULT '',
		starts_at {{time}} NOT NULL,
		ends_at {{time}} NOT NULL,
		slot_minutes INTEGER NOT NULL,
		table_count INTEGER NOT NULL DEFAULT 0,
		rooms TEXT NOT NULL DEFAULT '[]',
		created_at {{time}} NOT NULL,
		CONSTRAINT transfer_meeting_sessions_slot_check CHECK (slot_minutes > 0 AND table_count >= 0)
	)`,
	`CREATE INDEX transfer_meeting_sessions_event_idx ON transfer_meeting_sessions (event_id, starts_at)`,
	`CREATE TABLE transfer_meetings (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		request_id BIGINT NOT NULL REFERENCES transfer_meeting_requests (id) ON DELETE CASCADE,
		session_id BIGINT NOT NULL REFERENCES transfer_meeting_sessions (id) ON DELETE CASCADE,
		slot INTEGER NOT NULL,
		attendee_id TEXT NOT NULL REFERENCES attendees (id) ON DELETE CASCADE,
		achievement_id BIGINT NOT NULL REFERENCES achievements (id),
		starts_at {{time}} NOT NULL,
		ends_at {{time}} NOT NULL,
		mode TEXT NOT NULL,
		table_no INTEGER NOT NULL DEFAULT 0,
		room TEXT NOT NULL DEFAULT '',
		link TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		held_at {{time}},
		created_at {{time}} NOT NULL,
		CONSTRAINT transfer_meetings_request_key UNIQUE (request_id),
		CONSTRAINT transfer_meetings_attendee_time_key UNIQUE (attendee_id, starts_at),
		CONSTRAINT transfer_meetings_achievement_time_key UNIQUE (achievement_id, starts_at),
		CONSTRAINT transfer_meetings_place_check CHECK (mode = 'onsite' AND table_no > 0 AND room = '' OR mode = 'online' AND table_no = 0 AND room <> ''),
		CONSTRAINT transfer_meetings_state_check CHECK (state IN ('scheduled', 'held'))
	)`,
	`CREATE INDEX transfer_meetings_event_idx ON transfer_meetings (event_id)`,
	`CREATE UNIQUE INDEX transfer_meetings_table_key ON transfer_meetings (session_id, slot, table_no) WHERE table_no > 0`,
	`CREATE UNIQUE INDEX transfer_meetings_room_key ON transfer_meetings (session_id, slot, room) WHERE room <> ''`,
	`CREATE TABLE transfer_questions (
		id {{id}},
		event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
		session_id BIGINT NOT NULL,
		slot_id BIGINT NOT NULL,
		achievement_id BIGINT NOT NULL DEFAULT 0,
		attendee_id TEXT REFERENCES attendees (id) ON DELETE CASCADE,
		voter TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL,
		lang TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		votes BIGINT NOT NULL DEFAULT 0,
		log_seqs TEXT NOT NULL DEFAULT '[]',
		created_at {{time}} NOT NULL,
		updated_at {{time}} NOT NULL,
		answered_at {{time}},
		CONSTRAINT transfer_questions_state_check CHECK (state IN ('pending', 'approved', 'answered', 'hidden'))
	)`,
	`CREATE INDEX transfer_questions_event_idx ON transfer_questions (event_id, slot_id)`,
	`CREATE INDEX transfer_questions_attendee_idx ON transfer_questions (attendee_id)`,
	`CREATE TABLE transfer_votes (
		question_id BIGINT NOT NULL REFERENCES transfer_questions (id) ON DELETE CASCADE,
		voter TEXT NOT NULL,
		attendee_id TEXT REFERENCES attendees (id) ON DELETE CASCADE,
		created_at {{time}} NOT NULL,
		PRIMARY KEY (question_id, voter)
	)`,
	`CREATE INDEX transfer_votes_attendee_idx ON transfer_votes (attendee_id)`,
	`CREATE TABLE transfer_settings (
		event_id BIGINT NOT NULL PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
		anonymous_questions BOOLEAN NOT NULL DEFAULT FALSE,
		anonymous_votes BOOLEAN NOT NULL DEFAULT FALSE,
		updated_at {{time}} NOT NULL
	)`,
}
