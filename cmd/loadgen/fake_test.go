package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

const fakeToken = "secret-token"

// fakeServer speaks just enough of hybridcon's contract for the load
// generator: the websocket with snapshot and since/epoch replay,
// announcements, the log's last_seq, a showcase session to start and
// advance, and check-ins.
type fakeServer struct {
	t   testing.TB
	srv *httptest.Server

	// Set before the first request.
	drop         func(conn int, seq int64) bool // drop this durable frame for the conn-th connection
	snapshotOnly bool                           // never replay since/epoch: always a snapshot
	liveOnResume bool                           // the first resuming viewer makes the log grow by a schedule.shifted

	mu       sync.Mutex
	epoch    string
	log      [][]byte // log[i] is the envelope with seq i+1
	conns    map[*fakeConn]bool
	accepted int
	annID    int64
	session  string  // showcase session state
	slots    []int64 // slot ids
	cur      int     // index of the presenting slot, -1 for none
	scans    map[string]bool
	tickets  map[string]bool
	dupScans int
	answers  map[string]string // batch scan id → result

	questions map[int64]string // question id → asking ticket
	askers    map[string]int   // ticket → questions asked
	qslots    map[int64]int    // slot id asked → questions
	approved  int
}

// fakeAttendees are the fake event's attendees: the third is revoked.
var fakeAttendees = []string{"tk-a", "tk-b", "tk-revoked", "tk-c"}

type fakeConn struct {
	idx  int
	send chan []byte
	bell bool // connected with bell=1
}

func newFakeServer(t testing.TB, configure func(*fakeServer)) *fakeServer {
	f := &fakeServer{t: t, epoch: "ep1", conns: map[*fakeConn]bool{}, session: "scheduled",
		slots: []int64{101, 102, 103, 104}, cur: -1, scans: map[string]bool{}, tickets: map[string]bool{},
		questions: map[int64]string{}, askers: map[string]int{}, qslots: map[int64]int{}}
	if configure != nil {
		configure(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/events/{slug}", f.websocket)
	mux.HandleFunc("POST /api/v1/events/{slug}/announcements", f.auth(f.announce))
	mux.HandleFunc("GET /api/v1/events/{slug}/log", f.lastSeq)
	mux.HandleFunc("GET /api/v1/events/{slug}/sessions", f.sessions)
	mux.HandleFunc("POST /api/v1/sessions/9/start", f.auth(f.start))
	mux.HandleFunc("GET /api/v1/sessions/9/showcase", f.showcase)
	mux.HandleFunc("POST /api/v1/sessions/9/showcase/advance", f.auth(f.advance))
	mux.HandleFunc("POST /api/v1/events/{slug}/checkins", f.auth(f.checkin))
	mux.HandleFunc("POST /api/v1/events/{slug}/checkins/batch", f.auth(f.checkinBatch))
	mux.HandleFunc("GET /api/v1/events/{slug}/attendees", f.auth(f.attendees))
	mux.HandleFunc("POST /api/v1/events/{slug}/questions", f.ask)
	mux.HandleFunc("POST /api/v1/questions/{id}/approve", f.auth(f.approve))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			http.Error(w, `{"error":{"code":"unauthorized","message":"no"}}`, http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

// emit appends a durable envelope to the log and queues it on every
// connection. Call with mu held.
func (f *fakeServer) emit(typ string, data any) {
	seq := int64(len(f.log) + 1)
	d, _ := json.Marshal(data)
	b, _ := json.Marshal(struct {
		Seq   int64           `json:"seq"`
		Epoch string          `json:"epoch"`
		Type  string          `json:"type"`
		At    string          `json:"at"`
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}{seq, f.epoch, typ, time.Now().UTC().Format(time.RFC3339Nano), "demo", d})
	f.log = append(f.log, b)
	for c := range f.conns {
		if f.drop != nil && f.drop(c.idx, seq) {
			continue
		}
		select {
		case c.send <- b:
		default:
			f.t.Errorf("fake server: send queue of connection %d full", c.idx)
		}
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return true }}

func (f *fakeServer) websocket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("region") == "" {
		http.Error(w, "region missing", http.StatusBadRequest)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	c := &fakeConn{send: make(chan []byte, 4096), bell: r.URL.Query().Get("bell") == "1"}
	f.mu.Lock()
	c.idx = f.accepted
	f.accepted++
	presence := []byte(`{"seq":0,"epoch":"","type":"presence","at":"2021-04-23T06:15:02.123Z","event":"demo","data":{"cn":1,"hu":2}}`)
	if c.idx%2 == 1 { // a volatile frame first must not confuse the viewer
		c.send <- presence
	}
	since, err := strconv.Atoi(r.URL.Query().Get("since"))
	if !f.snapshotOnly && err == nil && since >= 0 && since <= len(f.log) && r.URL.Query().Get("epoch") == f.epoch {
		for _, b := range f.log[since:] {
			c.send <- b
		}
		if f.liveOnResume {
			f.liveOnResume = false
			f.conns[c] = true // emit queues it on c too
			f.emit("schedule.shifted", map[string]any{"sessions": []any{}})
		}
	} else {
		c.send <- fmt.Appendf(nil, `{"seq":%d,"epoch":%q,"type":"snapshot","at":"2021-04-23T06:15:02.123Z","event":"demo","data":{"sessions":[{"id":9}],"announcements":[{"id":1,"text":{"en":"}{\""}}]}}`, len(f.log), f.epoch)
	}
	c.send <- presence
	f.conns[c] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}()

	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := ws.NextReader(); err != nil {
				return
			}
		}
	}()
	for {
		select {
		case b := <-c.send:
			if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
				ws.Close()
				<-gone
				return
			}
		case <-gone:
			return
		}
	}
}

func (f *fakeServer) announce(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text   map[string]string `json:"text"`
		Pinned bool              `json:"pinned"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Text["en"] == "" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"error":{"code":"bad_request","message":"bad body"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.annID++
	a := map[string]any{"id": f.annID, "text": in.Text, "pinned": in.Pinned, "author": "admin"}
	f.emit("announcement.posted", a)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(a)
}

func (f *fakeServer) lastSeq(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"envelopes": []any{}, "last_seq": len(f.log), "epoch": f.epoch, "more": false})
}

func (f *fakeServer) sessions(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"sessions": []any{
		map[string]any{"id": 7, "kind": "opening", "state": "ended"},
		map[string]any{"id": 9, "kind": "showcase", "state": f.session},
	}})
}

// view is the showcase answer. Call with mu held.
func (f *fakeServer) view() map[string]any {
	var slots []any
	var current any
	for i, id := range f.slots {
		state := "pending"
		switch {
		case i == f.cur:
			state = "presenting"
			current = map[string]any{"id": id, "state": state}
		case f.cur < 0 && f.session != "scheduled", i < f.cur:
			state = "done"
		}
		slots = append(slots, map[string]any{"id": id, "state": state})
	}
	return map[string]any{"session": map[string]any{"id": 9, "kind": "showcase", "state": f.session}, "slots": slots, "current": current, "next": nil}
}

func (f *fakeServer) showcase(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(f.view())
}

func (f *fakeServer) start(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.session != "scheduled" {
		http.Error(w, `{"error":{"code":"invalid_transition","message":"not scheduled"}}`, http.StatusConflict)
		return
	}
	f.session, f.cur = "live", 0
	f.emit("session.updated", map[string]any{"id": 9, "state": "live"})
	f.emit("showcase.updated", f.view())
	_ = json.NewEncoder(w).Encode(map[string]any{"id": 9, "state": "live"})
}

func (f *fakeServer) advance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Expected int64 `json:"expected_slot_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur < 0 || f.slots[f.cur] != in.Expected {
		http.Error(w, `{"error":{"code":"stale_slot","message":"stale"}}`, http.StatusConflict)
		return
	}
	if f.cur++; f.cur == len(f.slots) {
		f.cur = -1
	}
	f.emit("session.updated", map[string]any{"id": 9, "state": "live"})
	f.emit("showcase.updated", f.view())
	_ = json.NewEncoder(w).Encode(f.view())
}

func (f *fakeServer) checkin(w http.ResponseWriter, r *http.Request) {
	var in scanIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ScanID == "" || in.Gate == "" {
		http.Error(w, `{"error":{"code":"bad_request","message":"bad body"}}`, http.StatusBadRequest)
		return
	}
	if _, err := time.Parse(time.RFC3339, in.ScannedAt); err != nil {
		http.Error(w, `{"error":{"code":"bad_request","message":"scanned_at"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	if f.scans[in.ScanID] {
		f.dupScans++
	}
	f.scans[in.ScanID] = true
	result := "checked_in"
	switch {
	case strings.HasPrefix(in.Ticket, "forged"):
		result = "rejected"
	case f.tickets[in.Ticket]:
		result = "already_checked_in"
	}
	f.tickets[in.Ticket] = true
	f.mu.Unlock()
	if strings.HasPrefix(in.Ticket, "broken") {
		http.Error(w, `{"error":{"code":"internal","message":"boom"}}`, http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"result": result})
}

// checkinBatch answers an upload as the server does: one result per scan
// in order, a scan id seen before answered as it was then.
func (f *fakeServer) checkinBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Scans []scanIn `json:"scans"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Scans) == 0 || len(in.Scans) > 1000 {
		http.Error(w, `{"error":{"code":"bad_request","message":"bad body"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answers == nil {
		f.answers = map[string]string{}
	}
	out := make([]map[string]string, len(in.Scans))
	for i, sc := range in.Scans {
		if _, err := time.Parse(time.RFC3339, sc.ScannedAt); err != nil || sc.Gate == "" {
			http.Error(w, `{"error":{"code":"invalid","message":"scan"}}`, http.StatusUnprocessableEntity)
			return
		}
		result, ok := f.answers[sc.ScanID]
		if !ok {
			result = "checked_in"
			if f.tickets[sc.Ticket] {
				result = "already_checked_in"
			}
			f.tickets[sc.Ticket] = true
			f.answers[sc.ScanID] = result
		} else {
			f.dupScans++
		}
		out[i] = map[string]string{"result": result, "scan_id": sc.ScanID}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"results": out})
}

// attendees answers pages of fakeAttendees, two at a time whatever the
// limit, so the reader must follow offset and total.
func (f *fakeServer) attendees(w http.ResponseWriter, r *http.Request) {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	var page []any
	for i := off; i < min(off+2, len(fakeAttendees)); i++ {
		page = append(page, map[string]any{"id": strconv.Itoa(i), "ticket": fakeAttendees[i], "revoked": fakeAttendees[i] == "tk-revoked"})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"attendees": page, "total": len(fakeAttendees)})
}

// ask takes a question from a participant (Authorization: Ticket) to the
// presenting slot; it rings the volatile transfer bell for the connections
// that asked for it (bell=1), as the server does.
func (f *fakeServer) ask(w http.ResponseWriter, r *http.Request) {
	ticket, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Ticket ")
	if !ok || ticket == "tk-revoked" || !slices.Contains(fakeAttendees, ticket) {
		http.Error(w, `{"error":{"code":"unauthorized","message":"no ticket"}}`, http.StatusUnauthorized)
		return
	}
	var in struct {
		SlotID int64  `json:"slot_id"`
		Text   string `json:"text"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur < 0 || (in.SlotID != 0 && in.SlotID != f.slots[f.cur]) {
		http.Error(w, `{"error":{"code":"conflict","message":"not on stage"}}`, http.StatusConflict)
		return
	}
	id := int64(1000 + len(f.questions))
	f.questions[id] = ticket
	f.askers[ticket]++
	f.qslots[in.SlotID]++
	for c := range f.conns {
		if !c.bell {
			continue
		}
		select {
		case c.send <- []byte(`{"seq":0,"epoch":"","type":"transfer","data":{"at":"t"}}`):
		default:
		}
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "slot_id": f.slots[f.cur], "text": in.Text, "state": "pending"})
}

// approve sends the question to every viewer as question.approved.
func (f *fakeServer) approve(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.questions[id]; !ok {
		http.Error(w, `{"error":{"code":"not_found","message":"no question"}}`, http.StatusNotFound)
		return
	}
	f.approved++
	q := map[string]any{"id": id, "session_id": 9, "slot_id": f.slots[max(f.cur, 0)], "text": "q", "state": "approved"}
	f.emit("question.approved", q)
	_ = json.NewEncoder(w).Encode(q)
}
