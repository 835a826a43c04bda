package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Programme is the part of an event's live state that changes only when
// an organizer changes the event, a session or a run-of-show: the event,
// the sessions with planned and expected times, and the run-of-shows. A
// snapshot names it by Version instead of carrying it (LiveState.Programme),
// and a client fetches it once per version from
// GET /api/v1/events/{slug}/programme?v=… — so a new viewer's first frame
// is small, a browser or proxy may keep the programme, and a viewer who
// reconnects to the same version fetches nothing. The envelopes that
// change it (session.updated, showcase.updated, schedule.shifted,
// event.updated) carry whole objects, so applying them to a programme
// that already has them changes nothing.
type Programme struct {
	// Version is "<epoch>-<seq>": the log's epoch and the seq of its last
	// envelope that can change the programme (any type but those of
	// notProgramme). Versions of one epoch are ordered by seq.
	Version   string         `json:"version"`
	Event     Event          `json:"event"`
	Sessions  []Session      `json:"sessions"`
	Showcases []LiveShowcase `json:"showcases"`
}

// notProgramme are the durable envelope types that never change the
// programme. Every other type moves its version, so a type added later
// moves it too (a needless fetch at worst, never a stale programme).
var notProgramme = []string{TypeAnnouncement, TypeAnnouncementUpdated, TypeAnnouncementDeleted,
	TypeQuestionApproved, TypeQuestionAnswered, TypeQuestionHidden, TypeTransferSettings}

// buildProgramme encodes the programme of ev, whose agenda is ag, with
// the version r sees (inside the transaction that read them both).
func buildProgramme(ctx context.Context, r Repo, ev *Event, ag *Agenda) (*docEntry, error) {
	seq, err := r.LastSeqExcept(ctx, ev.ID, notProgramme)
	if err != nil {
		return nil, err
	}
	return newProgramme(version{epoch: ev.Epoch, seq: seq}, *ev, ag.Sessions, liveShowcases(ag))
}

// version is a programme's version, parsed.
type version struct {
	epoch string
	seq   int64
}

func (v version) String() string { return v.epoch + "-" + strconv.FormatInt(v.seq, 10) }

// parseVersion reads "<epoch>-<seq>"; ok false for anything else.
func parseVersion(s string) (v version, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return version{}, false
	}
	seq, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || seq < 0 {
		return version{}, false
	}
	return version{epoch: s[:i], seq: seq}, true
}

// newProgramme encodes a programme of these parts. The event's last_seq
// is left out (0): it moves with every announcement, which does not
// change the programme; the envelopes' seq says it.
func newProgramme(v version, ev Event, sessions []Session, showcases []LiveShowcase) (*docEntry, error) {
	ev.LastSeq = 0
	if sessions == nil {
		sessions = []Session{}
	}
	if showcases == nil {
		showcases = []LiveShowcase{}
	}
	b, err := json.Marshal(Programme{Version: v.String(), Event: ev, Sessions: sessions, Showcases: showcases})
	if err != nil {
		return nil, err
	}
	e := newDocEntry(b, v.String())
	e.v = v
	return e, nil
}

// docEntry is a built document of an event (a programme, a catalogue):
// its JSON, the same gzip-compressed (made on first use, then served to
// every page that accepts it), its version and when it was built.
type docEntry struct {
	body    []byte
	version string
	v       version // a programme's, parsed
	at      time.Time

	gzOnce sync.Once
	gz     []byte
}

// newDocEntry files a document's JSON.
func newDocEntry(body []byte, version string) *docEntry {
	return &docEntry{body: body, version: version, at: time.Now()}
}

// gzipped is the document compressed, made once.
func (e *docEntry) gzipped() []byte {
	e.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
		_, _ = zw.Write(e.body)                                  // into memory: cannot fail
		_ = zw.Close()
		e.gz = buf.Bytes()
	})
	return e.gz
}

// Doc is a document a snapshot names by version, as served: its version,
// its JSON and, through Gzip, the same compressed (made once).
type Doc struct {
	Version string
	JSON    []byte
	e       *docEntry
}

// Gzip returns the document compressed with gzip (nil for a Doc not made
// here).
func (d Doc) Gzip() []byte {
	if d.e == nil {
		return nil
	}
	return d.e.gzipped()
}

func (e *docEntry) doc() Doc { return Doc{Version: e.version, JSON: e.body, e: e} }

// programmeMaxAge is how long a built programme is served: its expected
// times move with the clock while a session runs late (by less than the
// minute that makes a schedule.shifted and so a new version), so a
// version is rebuilt every few seconds while it is asked for, as the
// hub's cached snapshot is.
const programmeMaxAge = 5 * time.Second

// docShelf keeps the newest programme built of each event.
type docShelf struct {
	mu     sync.Mutex
	events map[string]*docEntry
}

// put keeps e unless the shelf has a newer version (a build that began
// earlier may end later).
func (d *docShelf) put(slug string, e *docEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.events == nil {
		d.events = map[string]*docEntry{}
	}
	if old := d.events[slug]; old != nil && old.v.epoch == e.v.epoch && old.v.seq > e.v.seq {
		return
	}
	d.events[slug] = e
}

// get returns the event's newest programme if it was built within
// programmeMaxAge and is at least as new as want (any, when want is
// empty); nil otherwise.
func (d *docShelf) get(slug string, want string) *docEntry {
	d.mu.Lock()
	e := d.events[slug]
	d.mu.Unlock()
	if e == nil || time.Since(e.at) >= programmeMaxAge || !e.covers(want) {
		return nil
	}
	return e
}

// covers says whether e is the version want or newer (any version, when
// want is empty). Only programmes' versions are ordered; a catalogue
// covers its own version only.
func (e *docEntry) covers(want string) bool {
	if want == "" || want == e.version {
		return true
	}
	w, ok := parseVersion(want)
	return ok && w.epoch == e.v.epoch && w.seq <= e.v.seq
}

// Programme returns the event's programme as JSON and its version. want,
// when not empty, is the version a snapshot named. The newest programme
// built here in the last few seconds answers when it is at least as new as
// want (the envelopes after that snapshot carry whole objects, so a client
// applies them over a newer programme safely); otherwise one is built —
// once for concurrent callers, and again if that shared build began
// before the change the snapshot saw — so the answer is never older than
// the snapshot. A want that is not a version is refused (EBadRequest):
// it could only make builds.
func (s *Service) Programme(ctx context.Context, slug, want string) (Doc, error) {
	if _, ok := parseVersion(want); want != "" && !ok {
		return Doc{}, Errorf(EBadRequest, "v is a programme version from a snapshot (<epoch>-<seq>)")
	}
	if e := s.programmes.get(slug, want); e != nil {
		return e.doc(), nil
	}
	return s.buildDoc(ctx, &s.programmeSF, slug, want, func(ctx context.Context, eventID int64) (*docEntry, error) {
		var e *docEntry
		err := s.store.ReadTx(ctx, func(r Repo) error {
			ev, err := r.EventByID(ctx, eventID)
			if err != nil {
				return err
			}
			ag, err := loadAgenda(ctx, r, eventID, s.Now())
			if err != nil {
				return err
			}
			e, err = buildProgramme(ctx, r, ev, ag)
			return err
		})
		if err != nil {
			return nil, err
		}
		s.programmes.put(slug, e)
		return e, nil
	})
}

// buildDoc builds one of the event's versioned documents with build, once
// for all concurrent callers (sf). A build already running may have begun
// before the change the caller's snapshot saw: when the shared result does
// not cover the version wanted, one more, begun after this call, is at
// least as new.
func (s *Service) buildDoc(ctx context.Context, sf *singleflight.Group, slug, want string, build func(ctx context.Context, eventID int64) (*docEntry, error)) (Doc, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return Doc{}, err
	}
	run := func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return build(ctx, eventID)
	}
	r, err, shared := sf.Do(slug, run)
	if err == nil && shared && !r.(*docEntry).covers(want) {
		r, err, _ = sf.Do(slug, run)
	}
	if err != nil {
		return Doc{}, err
	}
	return r.(*docEntry).doc(), nil
}

// liveShowcases are the run-of-shows of every session that has one, in
// the agenda's order.
func liveShowcases(ag *Agenda) []LiveShowcase {
	out := []LiveShowcase{}
	for _, se := range ag.Sessions {
		if len(ag.Slots[se.ID]) > 0 {
			out = append(out, liveShowcase(ag, se.ID))
		}
	}
	return out
}

// FillProgramme puts the programme a snapshot's state names into it
// (Event, Sessions, Showcases), for code that needs the whole state: the
// pages rendered on the server. A state that carries them already is left
// alone.
func (s *Service) FillProgramme(ctx context.Context, slug string, st *LiveState) error {
	if st.Sessions != nil || st.Programme == "" {
		return nil
	}
	d, err := s.Programme(ctx, slug, st.Programme)
	if err != nil {
		return err
	}
	var p Programme
	if err := json.Unmarshal(d.JSON, &p); err != nil {
		return err
	}
	st.Event, st.Sessions, st.Showcases = p.Event, p.Sessions, p.Showcases
	return nil
}
