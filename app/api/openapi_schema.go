package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hybridcon/hybridcon/app"
)

// JSON Schemas of the OpenAPI document. The schemas of request and
// response bodies are derived from the Go types the handlers decode and
// encode (reflection over their json tags, as encoding/json reads them),
// so the document cannot drift from the wire format; what reflection
// cannot know (descriptions, enumerations of string fields, the shape of
// fiber.Map answers) is written by hand here.

// schema is one JSON Schema (OpenAPI 3.1 dialect) as a JSON object.
type schema = map[string]any

// schemaGen builds component schemas from Go types. Output schemas (what
// the server sends) list every field without omitempty as required and
// say which may be null; input schemas (what the decoder accepts) require
// nothing (the app validates) and forbid unknown fields, as decodeJSON
// does.
type schemaGen struct {
	components map[string]any
	types      map[string]reflect.Type // component name → its type, to catch two types with one name
}

func newSchemaGen() *schemaGen {
	return &schemaGen{components: map[string]any{}, types: map[string]reflect.Type{}}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// of returns the schema of t: a $ref for structs, inline otherwise.
func (g *schemaGen) of(t reflect.Type, input bool) schema {
	switch t {
	case timeType:
		return schema{"type": "string", "format": "date-time"}
	case rawType:
		return schema{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem(), input)
	case reflect.Interface:
		return schema{}
	case reflect.String:
		return schema{"type": "string"}
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return schema{"type": "integer"}
	case reflect.Int64, reflect.Uint, reflect.Uint64:
		return schema{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return schema{"type": "string", "contentEncoding": "base64"}
		}
		return schema{"type": "array", "items": g.of(t.Elem(), input)}
	case reflect.Map:
		return schema{"type": "object", "additionalProperties": g.of(t.Elem(), input)}
	case reflect.Struct:
		return g.ref(t, input)
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// ref registers t's object schema under its component name and returns
// a reference to it.
func (g *schemaGen) ref(t reflect.Type, input bool) schema {
	name := componentName(t, input)
	if prev, ok := g.types[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("openapi: %v and %v would share the schema name %s", prev, t, name))
		}
	} else {
		g.types[name] = t
		g.components[name] = schema{} // placeholder against recursion
		g.components[name] = g.object(t, input)
	}
	return schema{"$ref": "#/components/schemas/" + name}
}

// componentName is the type's name with an upper-case first letter;
// input schemas of types not named …Input or …Request get "Input".
func componentName(t reflect.Type, input bool) string {
	r := []rune(t.Name())
	r[0] = unicode.ToUpper(r[0])
	name := string(r)
	if input && !strings.HasSuffix(name, "Input") && !strings.HasSuffix(name, "Request") {
		name += "Input"
	}
	return name
}

// object is the schema of a struct as encoding/json writes (or reads) it:
// fields by json name, embedded structs' fields promoted unless an outer
// field has the same name, "-" and unexported fields left out.
func (g *schemaGen) object(t reflect.Type, input bool) schema {
	props := schema{}
	var required []string
	g.fields(t, input, props, &required)
	s := schema{"type": "object", "properties": props}
	if input {
		s["additionalProperties"] = false
	} else if len(required) > 0 {
		s["required"] = required
	}
	name := componentName(t, input)
	if d, ok := typeDocs[name]; ok {
		s["description"] = d
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, input bool, props schema, required *[]string) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		s := g.of(f.Type, input)
		key := componentName(t, false) + "." + name
		if vals, ok := enums[key]; ok && !input {
			s = schema{"type": "string", "enum": vals}
		}
		if d, ok := fieldDocs[key]; ok {
			s = withDescription(s, d)
		}
		if mayBeNull(f.Type, omitempty, input) {
			s = nullable(s)
		}
		props[name] = s
		if !input && !omitempty {
			*required = append(*required, name)
		}
	}
	// Promoted fields lose to the outer struct's own.
	for _, et := range embedded {
		inner := schema{}
		var innerReq []string
		g.fields(et, input, inner, &innerReq)
		for k, v := range inner {
			if _, taken := props[k]; !taken {
				props[k] = v
			}
		}
		for _, k := range innerReq {
			if !slices.Contains(*required, k) {
				*required = append(*required, k)
			}
		}
	}
}

// mayBeNull reports whether encoding/json may write null for a field of
// type t (a nil pointer, slice or map without omitempty), or, for input,
// whether the decoder accepts null as "not given" (pointers).
func mayBeNull(t reflect.Type, omitempty, input bool) bool {
	if t == rawType {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer:
		return input || !omitempty
	case reflect.Slice, reflect.Map:
		return !input && !omitempty
	}
	return false
}

// nullable allows null besides s.
func nullable(s schema) schema {
	if typ, ok := s["type"].(string); ok {
		out := schema{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		if e, ok := out["enum"].([]string); ok {
			out["enum"] = append(append([]any{}, toAny(e)...), nil)
		}
		return out
	}
	return schema{"anyOf": []any{s, schema{"type": "null"}}}
}

func withDescription(s schema, d string) schema {
	if _, isRef := s["$ref"]; isRef {
		// Siblings of $ref are allowed in 3.1, but some tools drop them.
		return schema{"allOf": []any{s}, "description": d}
	}
	out := schema{"description": d}
	for k, v := range s {
		out[k] = v
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// obj is a hand-written object schema; every property is required
// except those named in optional.
func obj(props schema, optional ...string) schema {
	var req []string
	for k := range props {
		if !slices.Contains(optional, k) {
			req = append(req, k)
		}
	}
	slices.Sort(req)
	s := schema{"type": "object", "properties": props}
	if len(req) > 0 {
		s["required"] = req
	}
	return s
}

func arrayOf(items schema) schema { return schema{"type": "array", "items": items} }

// enums are the values of string fields with a closed set, by
// Component.field.
var enums = map[string][]string{
	"Session.state":              {app.StateScheduled, app.StateLive, app.StatePaused, app.StateEnded, app.StateCancelled},
	"Session.mode":               {app.ModeOnsite, app.ModeOnline, app.ModeHybrid},
	"Slot.state":                 {app.SlotPending, app.SlotPresenting, app.SlotDone, app.SlotSkipped},
	"SlotRow.state":              {app.SlotPending, app.SlotPresenting, app.SlotDone, app.SlotSkipped},
	"StageNow.state":             {"", app.StateScheduled, app.StateLive, app.StatePaused},
	"Achievement.presenter_mode": {app.PresenterOnsite, app.PresenterRemote},
	"Slot.presenter_mode":        {app.PresenterOnsite, app.PresenterRemote},
	"SlotRow.presenter_mode":     {app.PresenterOnsite, app.PresenterRemote},
	"SlotInput.presenter_mode":   {"", app.PresenterOnsite, app.PresenterRemote},
	"ScheduleConflict.kind":      {app.ConflictOverdue, app.ConflictOverlap},
	"ScanAnswer.result":          {app.ResultCheckedIn, app.ResultAlreadyCheckedIn, app.ResultRejected},
	"ScanAnswer.reason":          {app.ReasonInvalidTicket, app.ReasonWrongEvent, app.ReasonRevoked},
	"User.role":                  {app.RoleAdmin, app.RoleOrganizer, app.RoleChecker},
	"Token.role":                 {app.RoleAdmin, app.RoleOrganizer, app.RoleChecker},
	"Token.kind":                 {app.TokenAPI, app.TokenLogin},
	"ErrorDetail.code":           ErrorCodes(),
	"Envelope.type": {app.TypeSnapshot, app.TypeSessionUpdated, app.TypeShowcaseUpdated, app.TypeScheduleShifted,
		app.TypeAnnouncement, app.TypeAnnouncementUpdated, app.TypeAnnouncementDeleted, app.TypeEventUpdated, app.TypeAttendance, app.TypePresence, app.TypeStagesUpdated},
}

// typeDocs describe component schemas.
var typeDocs = map[string]string{
	"Text":             "A text in the three conference languages; a missing language is the empty string.",
	"Event":            "One conference. last_seq and epoch locate its live log.",
	"Session":          "One agenda item with planned and expected times (RFC 3339, UTC).",
	"Slot":             "One item of a session's run-of-show (a slot): an achievement's turn (achievement_id set) or a free item (title, presenter, presenter_mode set; no achievement_id). Its id stays the same while the item exists, across edits of the run-of-show.",
	"Showcase":         "A session's run-of-show (any session, not only showcases): its items with planned and expected times, the presenting item and the next.",
	"LiveShowcase":     "A session's run-of-show as live envelopes carry it (showcase.updated, snapshot, schedule.shifted): item rows naming their achievement by id (free items carry their own title), the presenting and the next item whole (without achievement). Resolve achievement ids in the snapshot's achievements and in the achievements of later showcase.updated envelopes.",
	"SlotRow":          "One line of a live run-of-show: the item, its achievement's id or (a free item) its title, presenter and presenter mode, its state and expected start.",
	"Stage":            "A room or track of an event: one session runs on it at a time. slug names it in URLs and in sessions and never changes.",
	"StageNow":         "A stage with what is on it: session_id is its live or paused session, else its scheduled session expected to start first (0: none); current and next are that session's presenting and next items; next_session_id is the scheduled session expected after it (0: none).",
	"StageInput":       "Fields of a stage; on PATCH only the fields given change (the slug never).",
	"SlotInput":        "One item of a run-of-show being set: achievement_id (an achievement of the catalogue) or title (a free item, with presenter and presenter_mode), and planned_seconds. id names an item the run-of-show has now, which keeps its id.",
	"ScheduleConflict": "A fixed-start session the stage cannot start on time, for organizers: overdue (its planned start passed, it has not started) or overlap (what runs before it on the stage is expected to end after its planned start). session_id is the session running into it (absent: none); minutes how far past the planned start.",
	"Achievement":      "One scientific or technological achievement of the showcase catalogue.",
	"Announcement":     "A trilingual message to viewers.",
	"AttendeeView":     "An attendee with the ticket text and check-in state.",
	"AttendeePage":     "One page of attendees and how many match in all.",
	"ScanAnswer":       "The answer to one scan. A rejected ticket is an answer (result rejected with a reason), not an HTTP error.",
	"CheckinKit":       "What an offline kiosk needs to judge tickets: the event's Ed25519 public key (base64), the revoked attendee ids, the others' names. version is a hash of the rest.",
	"CheckInSummary":   "The state of the doors: counts by category and gate, rejections by reason, scans by result.",
	"Envelope":         "One live message. Durable envelopes have seq ≥ 1 and are rows of the event's live log; volatile ones (attendance, presence) have seq 0.",
	"LogPage":          "Durable envelopes after since, oldest first; more says whether another page follows.",
	"LiveState":        "Everything a viewer page needs: the data of a snapshot envelope.",
	"ImportResult":     "What an import did: rows created, updated and unchanged.",
	"IssuedToken":      "A new API token. token is the secret, shown once; send it as Authorization: Bearer <token>.",
	"ErrorBody":        "The shape of every error answer.",
	"ErrorDetail":      "code is one of the documented error codes; details is optional structured context (the rows of a failed import, the slot presenting now, …); request_id matches the X-Request-ID header and the server's logs.",
	"ScanInput":        "One scan. scan_id (8–128 characters of A–Z a–z 0–9 _ . : -, chosen by the scanner) makes the scan idempotent; scanned_at is the device clock (RFC 3339, defaults to now).",
	"EventInput":       "Fields of an event; on PATCH only the fields given change.",
	"SessionInput":     "Fields of a session; on PATCH only the fields given change.",
	"AchievementInput": "Fields of an achievement; on PATCH only the fields given change.",
	"AttendeeInput":    "Fields of an attendee; on PATCH only the fields given change (revoked: true revokes the ticket).",
}

// fieldDocs describe single fields, by Component.field.
var fieldDocs = map[string]string{
	"Event.public_key":          "Ed25519 key verifying this event's tickets, standard base64.",
	"Event.venue":               "Where the event takes place, in the three languages like the title; empty in every language when the event has none. (It was a single string before; see docs/api.md.)",
	"EventInput.venue":          "Text in at least one language, each at most 200 characters; omit it for an event without a venue. The former single-string form is refused (400).",
	"Envelope.seq":              "Position in the event's live log; 0 for volatile messages.",
	"Envelope.data":             "The payload; its shape depends on type (snapshot: LiveState; showcase.updated: LiveShowcase; schedule.shifted: {sessions, showcases: [LiveShowcase]}).",
	"Programme":                 "The part of the live state that changes only when an organizer changes the event, a session or a run-of-show; a snapshot names it by version.",
	"LiveState.programme":       "The version of the event's programme: fetch GET /api/v1/events/{slug}/programme?v=<this> once per version for the event, the sessions and the run-of-shows (the snapshot leaves them out).",
	"LiveState.event":           "Not in a snapshot: the event is in the programme it names.",
	"LiveState.sessions":        "Not in a snapshot: the sessions are in the programme it names.",
	"LiveState.showcases":       "Not in a snapshot: the run-of-shows are in the programme it names.",
	"LiveState.catalogue":       "The version of the event's catalogue: fetch GET /api/v1/events/{slug}/catalogue?v=<this> once per version for the achievements the showcases name by id.",
	"LiveShowcase.achievements": "Achievements the client may not have: those a catalogue change altered and those a replaced run-of-show newly uses; absent otherwise. Add them to the achievement map.",
	"Session.stream_links":      "This session's own stream links, laid over its stage's key by key (usually empty): a viewer in region r watches (stage ∪ session)[r], else [\"default\"].",
	"Session.stage":             "The slug of the session's stage (GET /api/v1/events/{slug}/stages).",
	"Session.conflict":          "Set on a scheduled fixed-start session the stage cannot start on time (organizers' pages show it); absent otherwise.",
	"Stage.stream_links":        "Live stream of this stage per region (cn, hu, …); \"default\" serves the other regions. A session may override keys.",
	"LiveState.stages":          "Every stage in order with what is on it now. Envelopes do not update this list's now/next: recompute it from sessions and showcases (docs/api.md \"Stages\"); stages.updated replaces the stage definitions.",
	"SessionInput.stage":        "The slug of one of the event's stages; absent on creation: the first stage.",
	"LogPage.more":              "Whether envelopes after the last one returned exist (ask again with since = the last seq).",
	"ErrorDetail.request_id":    "The X-Request-ID of the request.",
}
