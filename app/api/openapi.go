package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// The OpenAPI 3.1 document, built once by New from the route table and
// served at OpenAPIPath. What each route takes and answers is written
// in operations below; who may call it and its summary come from the
// route table; the error answers are derived from the route's shape
// (parameters, body, role) plus the codes its operation lists.

// OpenAPIPath is where the API's OpenAPI document is served.
const OpenAPIPath = "/api/v1/openapi.json"

// op is the hand-written part of one operation.
type op struct {
	id   string // operationId
	tag  string
	desc string
	// query are the query parameters (names of queryParams), with the
	// largest limit for "limit".
	query    []string
	maxLimit int
	// in is the request body: a Go value whose type the handler decodes,
	// or a body (hand-written); nil takes none.
	in any
	// status is the success status (zero: 200); out is the answer: a Go
	// value whose type the handler encodes, or a schema; media is its
	// content type (zero: application/json).
	status int
	out    any
	media  string
	// errs are error codes beyond those derived from the route's shape.
	errs []string
	// noDB marks routes that never touch the database (no 503).
	noDB bool
	// headers are success response headers, reqHeaders request headers
	// the route reads; name → description.
	headers, reqHeaders map[string]string
	// notModified adds a 304 answer (If-None-Match).
	notModified bool
	// hashes marks routes that check or hash a password: 503 with
	// Retry-After when every hashing slot stays busy.
	hashes bool
}

// body is a hand-written request body.
type body struct {
	required bool
	content  map[string]schema // media type → schema
}

var (
	emptyObject = body{content: map[string]schema{fiber.MIMEApplicationJSON: {"type": "object", "maxProperties": 0,
		"description": "no body, or {}"}}}
	csvUploadBody = body{required: true, content: map[string]schema{
		"text/csv":              {"type": "string", "description": "the CSV file, UTF-8 (a byte-order mark is allowed), header row first"},
		fiber.MIMEMultipartForm: obj(schema{"file": schema{"type": "string", "contentEncoding": "binary", "description": "the CSV file"}}),
	}}
)

func str(enum ...string) schema {
	if len(enum) == 0 {
		return schema{"type": "string"}
	}
	return schema{"type": "string", "enum": enum}
}

// Hand-written answers (fiber.Map in the handlers).
var (
	healthOut = obj(schema{"status": str("ok")})
	readyOut  = obj(schema{"status": str("ready"), "checks": schema{"type": "object", "additionalProperties": str("ok")}})
	meOut     = obj(schema{"name": str(), "role": str(app.RoleAdmin, app.RoleOrganizer, app.RoleChecker, app.RoleParticipant, app.RoleTeam), "event": withDescription(str(), "a checker's, participant's or team's event"),
		"user_id": schema{"type": "integer", "format": "int64", "description": "the logged-in user's id (absent for API tokens): PATCH /api/v1/users/{id} changes their own password"}}, "event", "user_id")
	tokenLoginOut = obj(schema{"name": str(), "role": str(app.RoleChecker), "event": str(), "csrf_token": str()}, "event")
	importOut     = app.ImportResult{}
	textOut       = str()
	binaryOut     = schema{"type": "string", "contentEncoding": "binary"}
	documentOut   = schema{"type": "object", "description": "this document"}
)

// Answers built from generated schemas.
func loginOut(g *schemaGen) schema {
	return obj(schema{"user": g.of(reflect.TypeFor[app.User](), false), "csrf_token": str()})
}

func listOf(key string, item any) func(g *schemaGen) schema {
	return func(g *schemaGen) schema {
		return obj(schema{key: arrayOf(g.of(reflect.TypeOf(item), false))})
	}
}

func auditOut(g *schemaGen) schema {
	return obj(schema{"entries": arrayOf(g.of(reflect.TypeFor[app.AuditEntry](), false)),
		"next_before": schema{"type": "integer", "format": "int64", "description": "pass as before= for the next page; absent on the last page"}}, "next_before")
}

// snapshotSchema is an Envelope whose type is snapshot and whose data is
// the LiveState.
func snapshotSchema(g *schemaGen) schema {
	g.of(reflect.TypeFor[app.Envelope](), false)
	env := g.components["Envelope"].(schema)
	props := schema{}
	for k, v := range env["properties"].(schema) {
		props[k] = v
	}
	props["type"] = schema{"type": "string", "enum": []string{app.TypeSnapshot}}
	props["data"] = g.of(reflect.TypeFor[app.LiveState](), false)
	return schema{"type": "object", "properties": props, "required": env["required"],
		"description": "A snapshot envelope: seq is the last log seq the state includes; resume live updates with since=seq&epoch=epoch."}
}

// queryParams are the query parameters routes take.
var queryParams = map[string]schema{
	"unschedule": {"type": "string", "enum": []string{"1", "true", "0", "false"}, "description": "let the change take out the scheduled meetings it would move (they wait for the next scheduler run)"},
	"dry_run":    {"type": "string", "enum": []string{"1", "true"}, "description": "preview only: check the whole file and answer the counts and its first rows (preview), writing nothing"},
	"since":      {"type": "integer", "format": "int64", "minimum": 0, "description": "the last seq the client has; envelopes after it follow"},
	"epoch":      {"type": "string", "maxLength": 128, "description": "the log epoch the client's since belongs to; with since, resumes instead of a fresh snapshot"},
	"region":     {"type": "string", "description": "the viewer's region (cn, hu, …, or other for everyone else) for presence counts; default: the node's"},
	"v":          {"type": "string", "maxLength": 64, "description": "the version a snapshot named (its catalogue or programme field)"},
	"lang":       {"type": "string", "enum": []string{"zh", "en", "hu"}, "description": "the viewer's language"},
	"bell":       {"type": "string", "enum": []string{"1", "0"}, "description": "1: also receive the volatile transfer bell (private data changed), which the participant, team and organizer pages need; default 0"},
	"limit":      {"type": "integer", "minimum": 0, "description": "page size; 0 or absent: the default"},
	"before":     {"type": "integer", "format": "int64", "minimum": 0, "description": "entries with an id below this (next_before of the previous page)"},
	"offset":     {"type": "integer", "minimum": 0, "description": "how many matching attendees to skip"},
	"q":          {"type": "string", "description": "matches name or organization, case-insensitively"},
	"checked_in": {"type": "string", "enum": []string{"true", "false"}, "description": "only attendees who have (or have not) checked in"},
}

// operations describe every route of the table, by "METHOD path".
var operations = map[string]op{
	"GET /healthz":       {id: "healthz", tag: "ops", out: healthOut, noDB: true},
	"GET /readyz":        {id: "readyz", tag: "ops", out: readyOut, errs: []string{app.EUnavailable}, desc: "503 (code unavailable, details naming each check) while a dependency is down."},
	"GET " + OpenAPIPath: {id: "openapi", tag: "ops", out: documentOut, noDB: true, headers: map[string]string{"ETag": "the document's version"}, notModified: true},
	"GET " + MetricsPath: {id: "metrics", tag: "ops", out: textOut, media: "text/plain; version=0.0.4", noDB: true, desc: "Prometheus text exposition (only when metrics are enabled)."},

	"POST " + loginPath: {id: "login", tag: "accounts", in: loginRequest{}, out: loginOut, errs: []string{app.EInvalid}, hashes: true,
		headers: map[string]string{"Set-Cookie": SessionCookie + " (HttpOnly) and " + CSRFCookie + " (this login's CSRF token, readable by scripts, to echo in " + CSRFHeader + ")"},
		desc:    "The username matches in any case. A wrong user name or password is 401, and so is a disabled account. Limited per client address."},
	"POST /api/v1/auth/logout": {id: "logout", tag: "accounts", status: fiber.StatusNoContent, desc: "Ends the login of the hc_session cookie (if any) and clears both cookies."},
	"GET /api/v1/auth/me":      {id: "me", tag: "accounts", out: meOut, desc: "401 when nobody is logged in."},

	"GET /api/v1/users": {id: "listUsers", tag: "accounts", out: listOf("users", app.User{})},
	"POST /api/v1/users": {id: "createUser", tag: "accounts", in: app.UserInput{}, status: fiber.StatusCreated, out: app.User{}, errs: []string{app.EInvalid, app.EConflict}, hashes: true,
		desc: "Usernames are 1–64 ASCII letters, digits and . _ @ -, unique whatever their case (409 for a taken one). Passwords are 10–128 characters, not the username, not one character repeated (else 422). A checker needs an event."},
	"PATCH /api/v1/users/:id": {id: "updateUser", tag: "accounts", in: app.UserUpdate{}, out: app.User{}, errs: []string{app.EInvalid, app.EConflict}, hashes: true,
		desc: "An admin changes anyone's display_name and disabled flag and resets another user's password. Anyone logged in may change their own display_name, and their own password with current_password (403 when it is wrong). Disabling a user or setting a password ends that user's logins on every node within 5 s (changing your own keeps the login you made it with). The last active admin cannot be disabled (409)."},
	"DELETE /api/v1/users/:id": {id: "deleteUser", tag: "accounts", status: fiber.StatusNoContent, errs: []string{app.EConflict},
		desc: "Ends the user's logins; the audit trail keeps the name they acted under. The last active admin cannot be deleted (409)."},
	"GET /api/v1/tokens": {id: "listTokens", tag: "accounts", out: listOf("tokens", app.Token{}), desc: "API tokens (not logins) with name, role, event, creator, creation, expiry and last use (recorded at most once a minute). Secrets are never stored, so never shown."},
	"POST /api/v1/tokens": {id: "createToken", tag: "accounts", in: app.TokenInput{}, status: fiber.StatusCreated, out: app.IssuedToken{}, errs: []string{app.EInvalid},
		desc: "The secret is in token, shown this once. expires_at (optional) must lie in the next five years."},
	"DELETE /api/v1/tokens/:id": {id: "revokeToken", tag: "accounts", status: fiber.StatusNoContent,
		desc: "Refused at once by the node that answers, and by every other node within 5 s (their authentication cache). HYBRIDCON_ADMIN_TOKEN's token comes back at the next start while the variable is set."},
	"POST " + tokenLoginPath: {id: "tokenLogin", tag: "accounts", in: tokenLoginRequest{}, out: tokenLoginOut, errs: []string{app.EInvalid, app.EForbidden},
		headers: map[string]string{"Set-Cookie": SessionCookie + " (HttpOnly, holding the token: revoking the token ends the login) and " + CSRFCookie},
		desc:    "A kiosk logs in with its checker token (the QR code the console shows when it issues one). 401 for an unknown, revoked or expired token; 403 for a login secret or an admin or organizer token. Logging out forgets the cookie and leaves the token. Limited per client address, as the login is."},
	"POST /api/v1/qr": {id: "qrCode", tag: "accounts", in: qrRequest{}, out: binaryOut, media: "image/png", errs: []string{app.EInvalid},
		desc: "A QR code (PNG, at least 256 pixels wide) of text (1–512 bytes of UTF-8): the console draws a kiosk token's login link with it."},
	"GET /api/v1/audit": {id: "listAllAudit", tag: "accounts", query: []string{"before", "limit"}, maxLimit: 200, out: auditOut,
		desc: "Every entry: each event's, and those about users and tokens (which belong to no event)."},

	"GET /api/v1/events":                     {id: "listEvents", tag: "events", out: listOf("events", app.Event{})},
	"GET /api/v1/events/:slug":               {id: "getEvent", tag: "events", out: app.Event{}},
	"POST /api/v1/events":                    {id: "createEvent", tag: "events", in: app.EventInput{}, status: fiber.StatusCreated, out: app.Event{}, errs: []string{app.EInvalid, app.EConflict}},
	"PATCH /api/v1/events/:slug":             {id: "updateEvent", tag: "events", in: app.EventInput{}, out: app.Event{}, errs: []string{app.EInvalid, app.EConflict}},
	"GET /api/v1/events/:slug/audit":         {id: "listAudit", tag: "events", query: []string{"before", "limit"}, maxLimit: 200, out: auditOut},
	"GET /api/v1/events/:slug/announcements": {id: "listAnnouncements", tag: "announcements", query: []string{"limit"}, maxLimit: 200, out: listOf("announcements", app.Announcement{})},
	"POST /api/v1/events/:slug/announcements": {id: "postAnnouncement", tag: "announcements", in: app.AnnouncementInput{}, status: fiber.StatusCreated, out: app.Announcement{},
		errs: []string{app.EInvalid}},
	"PATCH /api/v1/events/:slug/announcements/:id": {id: "updateAnnouncement", tag: "announcements", in: app.AnnouncementUpdate{}, out: app.Announcement{},
		errs: []string{app.EInvalid}},
	"DELETE /api/v1/events/:slug/announcements/:id": {id: "deleteAnnouncement", tag: "announcements", status: fiber.StatusNoContent},

	"GET /api/v1/events/:slug/sessions":  {id: "listSessions", tag: "agenda", out: listOf("sessions", app.Session{})},
	"POST /api/v1/events/:slug/sessions": {id: "createSession", tag: "agenda", in: app.SessionInput{}, status: fiber.StatusCreated, out: app.Session{}, errs: []string{app.EInvalid}},
	"PATCH /api/v1/sessions/:id":         {id: "updateSession", tag: "agenda", in: app.SessionInput{}, out: app.Session{}, errs: []string{app.EInvalid, app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/start":    {id: "startSession", tag: "agenda", in: emptyObject, out: app.Session{}, errs: []string{app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/pause":    {id: "pauseSession", tag: "agenda", in: emptyObject, out: app.Session{}, errs: []string{app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/resume":   {id: "resumeSession", tag: "agenda", in: emptyObject, out: app.Session{}, errs: []string{app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/end":      {id: "endSession", tag: "agenda", in: emptyObject, out: app.Session{}, errs: []string{app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/cancel":   {id: "cancelSession", tag: "agenda", in: emptyObject, out: app.Session{}, errs: []string{app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/delay":    {id: "delaySession", tag: "agenda", in: delayRequest{}, out: app.Session{}, errs: []string{app.EInvalid, app.EInvalidTransition, app.EConflict}},

	"GET /api/v1/sessions/:id/showcase": {id: "getShowcase", tag: "showcase", out: app.Showcase{}},
	"PUT /api/v1/sessions/:id/showcase": {id: "setShowcase", tag: "showcase", in: showcaseRequest{}, out: app.Showcase{}, errs: []string{app.EInvalid, app.EInvalidTransition, app.EConflict}},
	"POST /api/v1/sessions/:id/showcase/advance": {id: "advanceShowcase", tag: "showcase", in: advanceRequest{}, out: app.Showcase{},
		errs: []string{app.EStaleSlot, app.EInvalidTransition, app.EConflict},
		desc: "Two organizers pressing Next at once advance once: the other gets 409 stale_slot with the slot presenting now in details."},
	"POST /api/v1/sessions/:id/showcase/skip": {id: "skipSlot", tag: "showcase", in: skipRequest{}, out: app.Showcase{}, errs: []string{app.EInvalidTransition, app.EConflict}},

	"GET /api/v1/events/:slug/achievements": {id: "listAchievements", tag: "catalogue", out: listOf("achievements", app.Achievement{})},
	"GET /api/v1/events/:slug/catalogue": {id: "getCatalogue", tag: "catalogue", query: []string{"v"}, out: app.Catalogue{}, notModified: true,
		desc:       "Every achievement of the event and the catalogue's version. A snapshot's catalogue field names the version; ask with ?v= set to it and the answer may be kept for a year (Cache-Control: immutable), else it is revalidated by ETag.",
		reqHeaders: map[string]string{"If-None-Match": "the ETag of the catalogue the client holds"},
		headers: map[string]string{"ETag": "the catalogue's version, quoted (with .gz for the compressed form)", "Cache-Control": "immutable for a year when v names the current version, else no-cache",
			"Content-Encoding": "gzip when the request accepts it (compressed once per version)", "Vary": "Accept-Encoding"}},
	"POST /api/v1/events/:slug/achievements":        {id: "createAchievement", tag: "catalogue", in: app.AchievementInput{}, status: fiber.StatusCreated, out: app.Achievement{}, errs: []string{app.EInvalid, app.EConflict}},
	"POST /api/v1/events/:slug/achievements/import": {id: "importAchievements", tag: "catalogue", query: []string{"dry_run"}, in: csvUploadBody, out: importOut, errs: []string{app.EInvalid}, desc: importDesc},
	"PATCH /api/v1/achievements/:id":                {id: "updateAchievement", tag: "catalogue", in: app.AchievementInput{}, out: app.Achievement{}, errs: []string{app.EInvalid, app.EConflict}},
	"DELETE /api/v1/achievements/:id":               {id: "deleteAchievement", tag: "catalogue", status: fiber.StatusNoContent, errs: []string{app.EConflict}, desc: "409 while a run-of-show uses it."},

	"GET /api/v1/events/:slug/live": {id: "getLive", tag: "live", out: snapshotSchema},
	"GET /api/v1/events/:slug/programme": {id: "getProgramme", tag: "live", query: []string{"v"}, out: app.Programme{}, notModified: true,
		desc:       "The event, its sessions with planned and expected times and every run-of-show (LiveShowcase), with the programme's version. A snapshot's programme field names the version (<epoch>-<seq>: the log's epoch and the seq of the last envelope that can change the programme); ask with ?v= set to it and the answer may be kept for a year (Cache-Control: immutable). The answer is never older than the version asked for; when it is newer it carries its own version and Cache-Control: no-cache: apply the envelopes after the snapshot over it as usual. A v that is not a version is 400.",
		reqHeaders: map[string]string{"If-None-Match": "the ETag of the programme the client holds"},
		headers: map[string]string{"ETag": "the programme's version, quoted (with .gz for the compressed form)", "Cache-Control": "immutable for a year when v names the version served, else no-cache",
			"Content-Encoding": "gzip when the request accepts it (compressed once per version)", "Vary": "Accept-Encoding"}},
	"GET /api/v1/events/:slug/log": {id: "getLog", tag: "live", query: []string{"since", "limit"}, maxLimit: app.MaxLogPage, out: app.LogPage{}},
	"GET /api/v1/events/:slug/stream": {id: "stream", tag: "live", query: []string{"since", "epoch", "region", "lang", "bell"}, out: textOut, media: "text/event-stream",
		reqHeaders: map[string]string{"Last-Event-ID": "sent by EventSource when it reconnects; takes the place of since"}, desc: "Server-Sent Events: each envelope as id: <seq>, event: <type>, data: <envelope JSON>. A Last-Event-ID header takes the place of since."},
	"GET /ws/events/:slug": {id: "websocket", tag: "live", query: []string{"since", "epoch", "region", "lang", "bell"}, status: fiber.StatusSwitchingProtocols,
		errs: []string{app.EForbidden},
		desc: "Upgrades to a websocket of text frames, each one envelope (see docs/api.md). 403 for a browser Origin that is not allowed. Client frames over 4 KiB close the connection with 1009, binary frames with 1003."},

	"GET /api/v1/events/:slug/attendees": {id: "listAttendees", tag: "attendees", query: []string{"q", "checked_in", "limit", "offset"}, maxLimit: app.MaxAttendeePage, out: app.AttendeePage{}},
	"POST /api/v1/events/:slug/attendees": {id: "createAttendee", tag: "attendees", in: app.AttendeeInput{}, status: fiber.StatusCreated, out: app.AttendeeView{},
		errs: []string{app.EInvalid, app.EConflict}},
	"POST /api/v1/events/:slug/attendees/import": {id: "importAttendees", tag: "attendees", query: []string{"dry_run"}, in: csvUploadBody, out: importOut, errs: []string{app.EInvalid, app.EConflict}, desc: importDesc},
	"PATCH /api/v1/attendees/:id":                {id: "updateAttendee", tag: "attendees", in: app.AttendeeInput{}, out: app.AttendeeView{}, errs: []string{app.EInvalid, app.EConflict}},
	"GET /api/v1/attendees/:id/ticket.png":       {id: "ticketPNG", tag: "attendees", out: binaryOut, media: "image/png"},

	"POST /api/v1/events/:slug/checkins": {id: "checkIn", tag: "check-in", in: app.ScanInput{}, out: app.ScanAnswer{}, errs: []string{app.EInvalid, app.EConflict},
		desc: "Idempotent by scan_id: a repeated scan_id with the same ticket and gate returns the stored answer unchanged; with another ticket or gate it is 409 conflict (details.scan_id) and nothing is recorded. Limited per token."},
	"POST /api/v1/events/:slug/checkins/batch": {id: "checkInBatch", tag: "check-in", in: batchRequest{}, out: listOf("results", app.ScanAnswer{}), errs: []string{app.EInvalid, app.EConflict},
		desc: "An offline kiosk's queued scans, each idempotent by scan_id; results are in the order of scans. One bad scan refuses the whole upload (422 with details); a scan_id recorded or repeated in the upload for another ticket or gate refuses it too (409 conflict, details.errors naming each) and nothing is recorded."},
	"GET /api/v1/events/:slug/checkin-kit": {id: "checkinKit", tag: "check-in", out: app.CheckinKit{}, notModified: true,
		reqHeaders: map[string]string{"If-None-Match": "the ETag of the kit the kiosk holds"},
		headers:    map[string]string{"ETag": "the kit's version; send it as If-None-Match to get 304 when nothing changed"}},
	"GET /api/v1/events/:slug/checkins/export.csv": {id: "exportCheckIns", tag: "check-in", out: textOut, media: "text/csv; charset=utf-8",
		desc: "One row per checked-in attendee, UTF-8 with a byte-order mark; first scan time in the venue's time zone, with milliseconds."},
	"GET /api/v1/events/:slug/checkins/summary": {id: "checkInSummary", tag: "check-in", out: app.CheckInSummary{}},

	"GET /api/v1/events/:slug/stages": {id: "listStages", tag: "stages", out: listOf("stages", app.Stage{})},
	"POST /api/v1/events/:slug/stages": {id: "createStage", tag: "stages", in: app.StageInput{}, status: fiber.StatusCreated, out: app.Stage{}, errs: []string{app.EInvalid, app.EConflict},
		desc: "Without position the stage goes last. A slug taken in the event is 409 conflict."},
	"PATCH /api/v1/events/:slug/stages/:stage": {id: "updateStage", tag: "stages", in: app.StageInput{}, out: app.Stage{}, errs: []string{app.EInvalid, app.EConflict},
		desc: "The slug cannot change (422): pages, calendars and sessions refer to it."},
	"GET /api/v1/time": {id: "serverTime", tag: "live", out: ServerTime{}, noDB: true,
		desc: "Not cached. Pages that count down (the presenter timer) measure their clock's offset from it."},
	"DELETE /api/v1/events/:slug/stages/:stage": {id: "deleteStage", tag: "stages", status: fiber.StatusNoContent, errs: []string{app.EConflict},
		desc: "409 conflict while sessions are on the stage (details.session_ids): move them to another stage first."},
}

const importDesc = "All or nothing: a file with any bad row changes nothing and answers 422 with every problem in details.errors ({row, column, message}). Rows match existing records by their key, so importing a file twice creates nothing new. UTF-8 with or without BOM; a header line with more semicolons than commas is read as semicolon-separated. With ?dry_run=1 the same checks run and nothing is written (dry_run: true)."

// extraStatus maps the error codes that are not app codes: those of
// refusals made before a route's handler runs (see headers.go).
var extraStatus = map[string]int{
	"unsupported_media_type": fiber.StatusUnsupportedMediaType,
	"method_not_allowed":     fiber.StatusMethodNotAllowed,
	"headers_too_large":      fiber.StatusRequestHeaderFieldsTooLarge,
	"not_implemented":        fiber.StatusNotImplemented,
}

// codeStatus is the HTTP status of an error code.
func codeStatus(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return extraStatus[code]
}

// ErrorCodes lists every error code the API answers with.
func ErrorCodes() []string {
	var out []string
	for c := range statusOf {
		out = append(out, c)
	}
	for c := range extraStatus {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

var fiberParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// openAPIPath turns a Fiber pattern (/events/:slug) into an OpenAPI path
// template (/events/{slug}).
func openAPIPath(p string) string { return fiberParam.ReplaceAllString(p, "{$1}") }

// routeErrors is the set of error codes r can answer with: the codes of
// its operation plus those every route of its shape has.
func routeErrors(r Route, o op) []string {
	// Every route refuses a bad credential: 401 for a forged token or
	// ticket, 403 for a revoked ticket (transfer.go).
	codes := []string{app.EInternal, app.EUnauthorized, app.EForbidden, app.ERateLimited, app.ETooLarge}
	add := func(cs ...string) {
		for _, c := range cs {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
	}
	if !o.noDB {
		add(app.EUnavailable)
	}
	if r.Who != "public" {
		add(app.EForbidden)
	}
	if strings.Contains(r.Path, ":") {
		add(app.ENotFound, app.EBadRequest)
	}
	if len(o.query) > 0 {
		add(app.EBadRequest)
	}
	if r.Method != fiber.MethodGet {
		// Malformed bodies; CSRF on cookie-authenticated writes;
		// compressed bodies.
		add(app.EBadRequest, app.EForbidden, "unsupported_media_type")
	}
	add(o.errs...)
	slices.Sort(codes)
	return codes
}

// roles says which roles may call a route of each Who.
var roles = map[string][]string{
	"admin":     {app.RoleAdmin},
	"organizer": {app.RoleOrganizer, app.RoleAdmin},
	"checker":   {app.RoleChecker, app.RoleOrganizer, app.RoleAdmin},
}

// buildOpenAPI renders the document for routes. Routes without an
// operation are still listed (from the table) and marked
// x-undocumented, which the package's tests refuse.
func buildOpenAPI(routes []Route, lim Limits) ([]byte, error) {
	g := newSchemaGen()
	errRef := g.of(reflect.TypeFor[ErrorBody](), false)
	lim = lim.withDefaults()
	paths := map[string]schema{}
	for _, r := range routes {
		o, documented := operations[r.Method+" "+r.Path]
		item := paths[openAPIPath(r.Path)]
		if item == nil {
			item = schema{}
			paths[openAPIPath(r.Path)] = item
		}
		item[strings.ToLower(r.Method)] = operation(g, r, o, documented, errRef, lim)
	}
	doc := schema{
		"openapi": "3.1.0",
		"info": schema{
			"title":       "hybridcon API",
			"version":     "v1",
			"description": apiDescription,
		},
		"servers": []schema{{"url": "/"}},
		"paths":   paths,
		"components": schema{
			"schemas": g.components,
			"securitySchemes": schema{
				"bearerAuth": schema{"type": "http", "scheme": "bearer", "description": "An API token from POST /api/v1/tokens."},
				"cookieAuth": schema{"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "The login cookie from POST /api/v1/auth/login. Writes (any method but GET, HEAD, OPTIONS) must echo the " +
						CSRFCookie + " cookie, the CSRF token of this login (also csrf_token in the login answer), in the " + CSRFHeader +
						" header; an Origin header, if sent, must be this site or an allowed origin; over HTTPS a Referer of this site is required. Otherwise 403."},
				"ticketAuth": ticketSecurity,
			},
		},
		"x-error-codes": ErrorCodes(),
	}
	return json.Marshal(doc)
}

const apiDescription = "The HTTP API of hybridcon, a platform for hybrid conferences. Errors are always " +
	`{"error": {"code", "message", "details", "request_id"}}` + " with the status of their code; each operation lists the codes it can answer with (x-error-codes). " +
	"Rate limits (x-rate-limit) are counted per node in memory. Guide: docs/api.md."

// operation renders one route.
func operation(g *schemaGen, r Route, o op, documented bool, errRef schema, lim Limits) schema {
	out := schema{"summary": r.Summary, "x-who": r.Who, "x-max-body-bytes": routeBodyLimit(r)}
	if o.id != "" {
		out["operationId"] = o.id
	}
	if o.tag != "" {
		out["tags"] = []string{o.tag}
	}
	if o.desc != "" {
		out["description"] = o.desc
	}
	if !documented {
		out["x-undocumented"] = true
	}
	if r.Who == "public" {
		out["security"] = []schema{}
	} else {
		out["security"] = security(r.Who) // transfer_openapi.go
		out["x-roles"] = roles[r.Who]
	}
	if rate := rateOf(rateClass(r), lim); rate != nil {
		out["x-rate-limit"] = rate
	}

	var params []schema
	for _, m := range fiberParam.FindAllStringSubmatch(r.Path, -1) {
		params = append(params, pathParam(r.Path, m[1]))
	}
	for _, q := range o.query {
		s := queryParams[q]
		if q == "limit" && o.maxLimit > 0 {
			s = withMax(s, o.maxLimit)
		}
		params = append(params, schema{"name": q, "in": "query", "required": false, "schema": s})
	}
	for _, name := range sortedKeys(o.reqHeaders) {
		params = append(params, schema{"name": name, "in": "header", "required": false, "description": o.reqHeaders[name], "schema": schema{"type": "string"}})
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if rb := requestBody(g, o.in); rb != nil {
		out["requestBody"] = rb
	}

	resp := schema{}
	status := o.status
	if status == 0 {
		status = fiber.StatusOK
	}
	success := schema{"description": successText(status)}
	if sch := responseSchema(g, o.out); sch != nil {
		media := o.media
		if media == "" {
			media = fiber.MIMEApplicationJSON
		}
		success["content"] = schema{media: schema{"schema": sch}}
	}
	if len(o.headers) > 0 {
		hs := schema{}
		for name, d := range o.headers {
			hs[name] = schema{"description": d, "schema": schema{"type": "string"}}
		}
		success["headers"] = hs
	}
	resp[strconv.Itoa(status)] = success
	if o.notModified {
		resp["304"] = schema{"description": "Not modified: the If-None-Match version is current."}
	}
	byStatus := map[int][]string{}
	for _, c := range routeErrors(r, o) {
		byStatus[codeStatus(c)] = append(byStatus[codeStatus(c)], c)
	}
	for st, codes := range byStatus {
		e := schema{
			"description":   fmt.Sprintf("%s: %s", statusText(st), strings.Join(codes, ", ")),
			"content":       schema{fiber.MIMEApplicationJSON: schema{"schema": errRef}},
			"x-error-codes": codes,
		}
		if st == fiber.StatusTooManyRequests {
			e["headers"] = schema{"Retry-After": schema{"description": "seconds until the limit resets", "schema": schema{"type": "integer"}}}
		}
		if st == fiber.StatusServiceUnavailable && o.hashes {
			e["description"] = e["description"].(string) + " (also when too many password checks run at once)"
			e["headers"] = schema{"Retry-After": schema{"description": "seconds to wait when every password-hashing slot was busy", "schema": schema{"type": "integer"}}}
		}
		resp[strconv.Itoa(st)] = e
	}
	out["responses"] = resp
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func withMax(s schema, max int) schema {
	out := schema{"maximum": max}
	for k, v := range s {
		out[k] = v
	}
	out["description"] = fmt.Sprintf("%s (at most %d)", s["description"], max)
	return out
}

// pathParam describes a path parameter: slugs are strings, attendee ids
// 26-character strings, other ids positive integers.
func pathParam(path, name string) schema {
	s := schema{"type": "integer", "format": "int64", "minimum": 1}
	switch {
	case name == "slug":
		s = schema{"type": "string", "description": "the event's slug, e.g. cn-hu-2021"}
	case strings.HasPrefix(path, "/api/v1/attendees/"):
		s = schema{"type": "string", "description": "the attendee's id (what tickets carry)"}
	}
	return schema{"name": name, "in": "path", "required": true, "schema": s}
}

func requestBody(g *schemaGen, in any) schema {
	switch b := in.(type) {
	case nil:
		return nil
	case body:
		content := schema{}
		for media, s := range b.content {
			content[media] = schema{"schema": s}
		}
		return schema{"required": b.required, "content": content}
	}
	return schema{"required": true, "content": schema{fiber.MIMEApplicationJSON: schema{"schema": g.of(reflect.TypeOf(in), true)}}}
}

func responseSchema(g *schemaGen, out any) schema {
	switch o := out.(type) {
	case nil:
		return nil
	case schema:
		return o
	case func(*schemaGen) schema:
		return o(g)
	}
	return g.of(reflect.TypeOf(out), false)
}

// rateOf describes the limit of a rate class for x-rate-limit.
func rateOf(class string, lim Limits) schema {
	var r Rate
	var key string
	switch class {
	case rateLogin:
		r, key = lim.Login, "client address"
	case rateCheckIn:
		r, key = lim.CheckIn, "token"
	case rateWrites:
		r, key = lim.Writes, "token (anonymous callers: client address)"
	case rateParty:
		r, key = lim.Party, "participant or team"
	case rateQuestions:
		r, key = lim.Questions, "participant (anonymous viewers: client address)"
	default:
		return nil
	}
	if r.Max < 0 {
		return nil
	}
	return schema{"max": r.Max, "per_seconds": int(r.Per.Seconds() + 0.999), "per": key}
}

func successText(status int) string {
	switch status {
	case fiber.StatusCreated:
		return "Created"
	case fiber.StatusNoContent:
		return "Done; no content"
	case fiber.StatusSwitchingProtocols:
		return "Switching to the websocket protocol"
	}
	return "OK"
}

func statusText(st int) string {
	if t := utils.StatusMessage(st); t != "" {
		return t
	}
	return strconv.Itoa(st)
}

// openAPIDoc is the rendered document and its ETag.
type openAPIDoc struct {
	body []byte
	etag string
}

func newOpenAPIDoc(routes []Route, lim Limits) (*openAPIDoc, error) {
	b, err := buildOpenAPI(routes, lim)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &openAPIDoc{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// serveOpenAPI answers GET OpenAPIPath: the document, cacheable by
// anyone, revalidated by ETag.
func (s *Server) serveOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, s.doc.etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), s.doc.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(s.doc.body)
}
