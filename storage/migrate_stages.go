package storage

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Migration 6: stages become first-class and any session may have a
// run-of-show of achievements and free items.
//
//   - stages (event, slug unique in the event, trilingual name, position,
//     stream links) is created; each event gets a stage for every distinct
//     stage string its sessions had, in order of first planned use, with
//     that string as its name in every language and a slug made from it
//     ("Hall B" → hall-b; "" → main); an event without sessions gets
//     "main". Slugs that would collide get -2, -3, ….
//   - sessions.stage_id references its stage (NO ACTION: a stage with
//     sessions cannot be deleted) and the old stage text column is dropped
//     (one place holds the stage). A partial unique index allows at most
//     one live or paused session per stage. Before the index is built, a
//     stage that had several running sessions (which the old code allowed)
//     keeps the first by planned start and each other one moves to a stage
//     of its own ("<slug>-2", named "<name> (2)"), so no running session is
//     ended or hidden by the upgrade.
//   - showcase_slots.achievement_id becomes nullable and gains the free
//     item's title_zh/en/hu, presenter and presenter_mode, with a check
//     that an item is an achievement or has a title. PostgreSQL alters the
//     table; SQLite cannot drop NOT NULL, so the table (a leaf: nothing
//     refers to it) is rebuilt with the same ids.
//
// The rolling-upgrade cost is that of migration 3: a node still running
// the previous binary reads and writes sessions.stage, which is gone, so
// it fails on session reads until it is replaced.
func migrateStages(tx *gorm.DB, dialect string) error {
	for _, stmt := range []string{
		`CREATE TABLE stages (
			id {{id}},
			event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
			slug TEXT NOT NULL,
			name_zh TEXT NOT NULL DEFAULT '',
			name_en TEXT NOT NULL DEFAULT '',
			name_hu TEXT NOT NULL DEFAULT '',
			position INTEGER NOT NULL DEFAULT 0,
			stream_links TEXT NOT NULL DEFAULT '{}',
			created_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL,
			CONSTRAINT stages_event_slug_key UNIQUE (event_id, slug)
		)`,
		// SQLite adds a referencing column only when its default is NULL.
		`ALTER TABLE sessions ADD COLUMN stage_id BIGINT REFERENCES stages (id)`,
	} {
		if err := tx.Exec(ddl(dialect, stmt)).Error; err != nil {
			return err
		}
	}
	if err := fillStages(tx); err != nil {
		return err
	}
	stmts := []string{
		`ALTER TABLE sessions DROP COLUMN stage`,
		`CREATE INDEX sessions_stage_idx ON sessions (stage_id)`,
		`CREATE UNIQUE INDEX sessions_stage_running_key ON sessions (stage_id) WHERE state IN ('live', 'paused')`,
	}
	if dialect == DialectPostgres {
		stmts = append(stmts, `ALTER TABLE sessions ALTER COLUMN stage_id SET NOT NULL`,
			`ALTER TABLE showcase_slots ALTER COLUMN achievement_id DROP NOT NULL`,
			`ALTER TABLE showcase_slots ADD COLUMN title_zh TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE showcase_slots ADD COLUMN title_en TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE showcase_slots ADD COLUMN title_hu TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE showcase_slots ADD COLUMN presenter TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE showcase_slots ADD COLUMN presenter_mode TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE showcase_slots ADD CONSTRAINT showcase_slots_item_check CHECK (`+slotItemCheck+`)`)
	} else {
		stmts = append(stmts, sqliteSlotsRebuild...)
	}
	for _, stmt := range stmts {
		if err := tx.Exec(ddl(dialect, stmt)).Error; err != nil {
			return err
		}
	}
	return nil
}

// slotItemCheck: an item is an achievement's or a free item with a title.
const slotItemCheck = `achievement_id IS NOT NULL OR title_zh <> '' OR title_en <> '' OR title_hu <> ''`

// sqliteSlotsRebuild rebuilds showcase_slots with a nullable
// achievement_id, keeping every row and id (AUTOINCREMENT's counter
// follows the table through the rename).
var sqliteSlotsRebuild = []string{
	`CREATE TABLE showcase_slots_v6 (
		id {{id}},
		session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		achievement_id BIGINT REFERENCES achievements (id),
		title_zh TEXT NOT NULL DEFAULT '',
		title_en TEXT NOT NULL DEFAULT '',
		title_hu TEXT NOT NULL DEFAULT '',
		presenter TEXT NOT NULL DEFAULT '',
		presenter_mode TEXT NOT NULL DEFAULT '',
		position INTEGER NOT NULL,
		planned_seconds BIGINT NOT NULL DEFAULT 0,
		state TEXT NOT NULL,
		actual_start {{time}},
		actual_end {{time}},
		pause_base_seconds BIGINT NOT NULL DEFAULT 0,
		CONSTRAINT showcase_slots_session_position_key UNIQUE (session_id, position),
		CONSTRAINT showcase_slots_item_check CHECK (` + slotItemCheck + `)
	)`,
	`INSERT INTO showcase_slots_v6 (id, session_id, achievement_id, position, planned_seconds, state, actual_start, actual_end, pause_base_seconds)
		SELECT id, session_id, achievement_id, position, planned_seconds, state, actual_start, actual_end, pause_base_seconds FROM showcase_slots`,
	`DROP TABLE showcase_slots`,
	`ALTER TABLE showcase_slots_v6 RENAME TO showcase_slots`,
	`CREATE INDEX showcase_slots_achievement_idx ON showcase_slots (achievement_id)`,
}

// legacySession is what fillStages reads of a session.
type legacySession struct {
	ID      int64
	EventID int64
	Stage   string
	State   string
}

// fillStages creates the stages of existing events and points every
// session at its own (see migrateStages).
func fillStages(tx *gorm.DB) error {
	var events []int64
	if err := tx.Table("events").Order("id").Pluck("id", &events).Error; err != nil {
		return err
	}
	var sessions []legacySession
	if err := tx.Raw(`SELECT id, event_id, stage, state FROM sessions ORDER BY event_id, planned_start, id`).Scan(&sessions).Error; err != nil {
		return err
	}
	byEvent := map[int64][]legacySession{}
	for _, s := range sessions {
		byEvent[s.EventID] = append(byEvent[s.EventID], s)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	for _, ev := range events {
		p := stagePlanner{taken: map[string]bool{}, byName: map[string]*plannedStage{}}
		for _, s := range byEvent[ev] {
			p.place(s)
		}
		if len(p.order) == 0 {
			p.stage("")
		}
		for i, st := range p.order {
			name := strings.TrimSpace(st.name)
			zh, en, hu := name, name, name
			if name == "" {
				zh, en, hu = "主会场", "Main hall", "Nagyterem"
			}
			if st.copy > 1 {
				zh, en, hu = fmt.Sprintf("%s (%d)", zh, st.copy), fmt.Sprintf("%s (%d)", en, st.copy), fmt.Sprintf("%s (%d)", hu, st.copy)
			}
			row := stageRow{EventID: ev, Slug: st.slug, NameZH: zh, NameEN: en, NameHU: hu, Position: i + 1, StreamLinks: "{}", CreatedAt: at, UpdatedAt: at}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			if len(st.sessions) > 0 {
				if err := tx.Exec(`UPDATE sessions SET stage_id = ? WHERE id IN ?`, row.ID, st.sessions).Error; err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// plannedStage is a stage fillStages will create.
type plannedStage struct {
	name     string // the old stage text
	slug     string
	copy     int  // 1, or n for the n-th stage made for one name
	running  bool // a live or paused session is on it
	sessions []int64
}

// stagePlanner assigns one event's sessions to stages.
type stagePlanner struct {
	order  []*plannedStage
	byName map[string]*plannedStage // old text → its first stage
	taken  map[string]bool          // slugs in use
}

// place puts s on the stage of its old text, or on a new copy of that
// stage when s is running and that stage already has a running session.
func (p *stagePlanner) place(s legacySession) {
	running := s.State == "live" || s.State == "paused"
	st := p.byName[s.Stage]
	if st == nil {
		st = p.stage(s.Stage)
	}
	if running && st.running {
		// Find a copy with nothing running, or make one.
		var free *plannedStage
		for _, o := range p.order {
			if o.name == s.Stage && !o.running {
				free = o
				break
			}
		}
		if free == nil {
			free = p.stage(s.Stage)
		}
		st = free
	}
	st.running = st.running || running
	st.sessions = append(st.sessions, s.ID)
}

// stage adds a stage for an old text and returns it.
func (p *stagePlanner) stage(name string) *plannedStage {
	base := slugify(name)
	n := 1
	for _, o := range p.order {
		if o.name == name {
			n++
		}
	}
	slug := base
	for k := 2; p.taken[slug]; k++ {
		slug = fmt.Sprintf("%s-%d", truncateSlug(base, 60), k)
	}
	p.taken[slug] = true
	st := &plannedStage{name: name, slug: slug, copy: n}
	p.order = append(p.order, st)
	if _, ok := p.byName[name]; !ok {
		p.byName[name] = st
	}
	return st
}

// slugify makes a stage slug of an old stage text: lower-case ASCII
// letters and digits, other runs of characters as one hyphen, at most 64;
// "main" when nothing is left.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := truncateSlug(b.String(), 64)
	if out == "" {
		return "main"
	}
	return out
}

// truncateSlug cuts a slug to at most n bytes without a trailing hyphen.
func truncateSlug(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-")
}
