package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
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
	// Version is a hash of the rest, the same on every node for the same
	// content (expected times included, so it moves while a session runs
	// late).
	Version   string         `json:"version"`
	Event     Event          `json:"event"`
	Sessions  []Session      `json:"sessions"`
	Showcases []LiveShowcase `json:"showcases"`
}

// newProgramme encodes a programme of these parts with its version. The
// event's last_seq is left out (0): it moves with every announcement,
// which does not change the programme; the envelopes' seq says it.
func newProgramme(ev Event, sessions []Session, showcases []LiveShowcase) (*docEntry, error) {
	ev.LastSeq = 0
	if sessions == nil {
		sessions = []Session{}
	}
	if showcases == nil {
		showcases = []LiveShowcase{}
	}
	p := Programme{Event: ev, Sessions: sessions, Showcases: showcases}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	p.Version = hex.EncodeToString(sum[:8])
	if b, err = json.Marshal(p); err != nil {
		return nil, err
	}
	return newDocEntry(b, p.Version), nil
}

// docEntry is a built document of an event (a programme, a catalogue):
// its JSON, the same gzip-compressed (built once, served to every page
// that accepts it), its version and when it was built.
type docEntry struct {
	body    []byte
	gz      []byte
	version string
	at      time.Time
}

// newDocEntry files a document's JSON with its compressed form.
func newDocEntry(body []byte, version string) *docEntry {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(body)                                    // into memory: cannot fail
	_ = zw.Close()
	return &docEntry{body: body, gz: buf.Bytes(), version: version, at: time.Now()}
}

// Doc is a document a snapshot names by version, as served: its version,
// its JSON and the same compressed with gzip.
type Doc struct {
	Version string
	JSON    []byte
	Gzip    []byte
}

func (e *docEntry) doc() Doc { return Doc{Version: e.version, JSON: e.body, Gzip: e.gz} }

// programmesKept is how many versions of an event's programme a node
// keeps to serve by version: the versions its recent snapshots named.
const programmesKept = 8

// programmeTTL is how long the last built programme answers a request
// that names no version (or one this node does not have, once rebuilt).
const programmeTTL = time.Second

// docShelf keeps the last few versions of each event's programme.
type docShelf struct {
	mu     sync.Mutex
	events map[string][]*docEntry // slug → newest last, at most programmesKept
}

// put files e as the event's newest version.
func (d *docShelf) put(slug string, e *docEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.events == nil {
		d.events = map[string][]*docEntry{}
	}
	list := d.events[slug]
	for i, old := range list {
		if old.version == e.version { // the same content again: move it to the end
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	list = append(list, e)
	if len(list) > programmesKept {
		list = append([]*docEntry(nil), list[len(list)-programmesKept:]...)
	}
	d.events[slug] = list
}

// get returns the version wanted (or, with want empty, the newest built
// within programmeTTL); nil when the shelf has no such entry.
func (d *docShelf) get(slug, want string) *docEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.events[slug]
	if want == "" {
		if n := len(list); n > 0 && time.Since(list[n-1].at) < programmeTTL {
			return list[n-1]
		}
		return nil
	}
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].version == want {
			return list[i]
		}
	}
	return nil
}

// Programme returns the event's programme as JSON and its version. want,
// when not empty, is the version a snapshot named: a node serves the
// versions its own recent snapshots named exactly; any other is answered
// with a programme built after the call began, which is at least as new
// as the snapshot that named it (the envelopes after that snapshot carry
// whole objects, so a client applies them over a newer programme safely).
// Without want, the last one built within a second is served; concurrent
// callers share one build.
func (s *Service) Programme(ctx context.Context, slug, want string) (Doc, error) {
	if e := s.programmes.get(slug, want); e != nil {
		return e.doc(), nil
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return Doc{}, err
	}
	build := func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
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
			e, err = newProgramme(*ev, ag.Sessions, liveShowcases(ag))
			return err
		})
		if err != nil {
			return nil, err
		}
		s.programmes.put(slug, e)
		return e, nil
	}
	// A build already running may have begun before the change the caller's
	// snapshot saw: when it does not give the version wanted, one more,
	// begun after this call, is at least as new.
	r, err, shared := s.programmeSF.Do(slug, build)
	if err == nil && want != "" && shared && r.(*docEntry).version != want {
		r, err, _ = s.programmeSF.Do(slug, build)
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
	ev := p.Event
	if st.Event.Slug != "" { // the snapshot's own event, if any, is as of its seq
		ev = st.Event
	}
	st.Event, st.Sessions, st.Showcases = ev, p.Sessions, p.Showcases
	return nil
}
