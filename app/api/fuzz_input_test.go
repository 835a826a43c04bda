package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app/demo"
)

// Fuzz targets for the other inputs: both CSV importers (raw and as a
// multipart upload), the query parameters of the reading routes, and
// websocket client frames.

// csvTarget fuzzes one importer: a success or a documented 4xx, never a
// 5xx; a refused file changes nothing.
func csvTarget(f *testing.F, route, path string, seeds ...string) {
	r := fuzzRig(f)
	for _, s := range append(seeds,
		"", "\xef\xbb\xbf", "\n\n\n", "a,b\n", "\"unterminated\n", "x\"y,z\n", "\xff\xfe\x00\x00",
		strings.Repeat(",", 3000)+"\n", strings.Repeat("x", 100000)+"\n", "\r\r\r", "name\x00,email\n",
	) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, asMultipart bool) {
		req := request{method: "POST", path: path, token: r.organizer, body: data, contentType: "text/csv"}
		if asMultipart {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			part, _ := w.CreateFormFile("file", "upload.csv")
			_, _ = part.Write(data)
			_ = w.Close()
			req.body, req.contentType = buf.Bytes(), w.FormDataContentType()
		}
		r.exercise(t, route, req)
	})
}

func FuzzImportAttendees(f *testing.F) {
	csvTarget(f, "POST /api/v1/events/:slug/attendees/import", ev+"/attendees/import",
		"\xef\xbb\xbfname,organization,country,email,external_id,category\r\n王秀英,重庆市科学技术局,CN,wang@example.cn,REG-001,official\r\n",
		"name,email\nA,a@example.org\nB,A@example.org\n", "name,e-mail\nX,x@example.org\n", "name,email,category\nA,a@example.org,VIP guest\n",
		"\"Szőke, Tünde\",x\nname,email\n", "name\n"+strings.Repeat("Guest\n", 50), "name,external_id\nA,DEMO-0001\n")
}

func FuzzImportAchievements(f *testing.F) {
	csvTarget(f, "POST /api/v1/events/:slug/achievements/import", ev+"/achievements/import",
		"ref,title_zh,title_en,presenter_mode\nF-1,量子,Quantum,remote\nF-2,,Batteries,onsite\n",
		"ref,title_en\nF-1,A\nF-1,B\n", "ref\nF-3\n", "title_en\nNo ref\n", "ref,title_en,presenter_mode\nF-4,X,teleport\n",
		"ref,title_en\nbad ref!,X\n", "REF , Title_EN \n F-5 , Spaces \n")
}

// queryRoutes are the reading routes with query parameters, by the
// fuzzer's route number; {slug} is the demo's.
var queryRoutes = []string{
	"GET /api/v1/events/:slug/log",
	"GET /api/v1/events/:slug/audit",
	"GET /api/v1/events/:slug/attendees",
	"GET /api/v1/events/:slug/announcements",
	"GET /api/v1/events/:slug/stream",
	"GET /ws/events/:slug",
}

// escapeQuery makes a fuzzed query usable in a request line: bytes that
// cannot appear there are percent-encoded; '%' stays as it is, so
// malformed escapes reach the server.
func escapeQuery(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzQueryParams fuzzes the query string of the routes that take since,
// epoch, limit, before, offset, q, checked_in, region or lang (the
// websocket and the stream over a real connection).
func FuzzQueryParams(f *testing.F) {
	r := fuzzRig(f)
	r.listen(f)
	seeds := [][]string{
		{"since=0", "since=-1", "since=99999999999999999999", "limit=1001", "limit=abc", "since=1&since=2", "since=%zz"},
		{"before=5&limit=2", "limit=201", "before=-1"},
		{"q=%00", "q=%FF%FE", "q=%zz", "q=" + strings.Repeat("a", 3000), "checked_in=true", "checked_in=yes", "offset=-1&limit=501", "q=%C3%A9"},
		{"limit=0", "limit=x"},
		{"since=1&epoch=x", "region=mars", "lang=de", "epoch=" + strings.Repeat("e", 200)},
		{"since=0&epoch=x&region=hu&lang=zh", "region=", "since=-5"},
	}
	for i, qs := range seeds {
		for _, q := range append(qs, "", "&&&==&") {
			f.Add(uint8(i), q)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		route := queryRoutes[int(which)%len(queryRoutes)]
		_, pattern, _ := strings.Cut(route, " ")
		path := strings.Replace(pattern, ":slug", demo.Slug, 1) + "?" + escapeQuery(raw)
		switch {
		case strings.HasPrefix(pattern, "/ws/"):
			r.exerciseWebsocket(t, route, path)
		case strings.HasSuffix(pattern, "/stream"):
			o := r.doc.op(t, "GET", pattern)
			resp := r.streamStatus(t, path, "")
			if resp.Status != 200 {
				if resp.Status >= 500 || resp.Status < 400 {
					t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
				}
				o.checkError(t, resp)
			}
		default:
			r.exercise(t, route, request{method: "GET", path: path, token: r.organizer})
		}
	})
}

// exerciseWebsocket opens the websocket at path: it must upgrade or
// answer a documented 4xx.
func (r *rig) exerciseWebsocket(t *testing.T, route, path string) {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+r.listen(t)+path, nil)
	if err == nil {
		conn.Close()
		return
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	got := response{Status: resp.StatusCode, Header: resp.Header, Body: body[:n]}
	if got.Status >= 500 || got.Status < 400 {
		t.Fatalf("%s: %d %s", path, got.Status, got.Body)
	}
	_, pattern, _ := strings.Cut(route, " ")
	r.doc.op(t, "GET", pattern).checkError(t, got)
}

// maxClientFrame is realtime's default limit on client frames.
const maxClientFrame = 4 << 10

// FuzzWebsocketFrames sends a viewer's connection one fuzzed frame. A
// binary frame closes it with 1003, a text frame over 4 KiB with 1009,
// a text frame that is not UTF-8 with 1007; any other frame is ignored
// and the connection stays open (it answers a ping). The server keeps
// serving either way.
func FuzzWebsocketFrames(f *testing.F) {
	r := fuzzRig(f)
	addr := r.listen(f)
	for _, s := range []string{"", `{"type":"ping"}`, "hello", "\x00\x01\x02", "\xff\xfe", strings.Repeat("x", maxClientFrame),
		strings.Repeat("x", maxClientFrame+1), `{"since":-1}`, strings.Repeat(`{"a":[`, 500)} {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	f.Fuzz(func(t *testing.T, binary bool, payload []byte) {
		conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws/events/"+demo.Slug, nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.Close()
		mt := websocket.TextMessage
		if binary {
			mt = websocket.BinaryMessage
		}
		if err := conn.WriteMessage(mt, payload); err != nil {
			t.Fatalf("write: %v", err)
		}
		// A frame the server ignores leaves the connection alive: it
		// answers a ping. After any other the server closes (it may still
		// answer the ping first: the close is queued to its writer).
		alive := !binary && len(payload) <= maxClientFrame && utf8.Valid(payload)
		ponged := false
		conn.SetPongHandler(func(string) error {
			ponged = true
			if alive {
				return conn.SetReadDeadline(time.Now()) // stop reading: the answer is in
			}
			return nil
		})
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := conn.WriteControl(websocket.PingMessage, []byte("alive?"), time.Now().Add(time.Second)); err != nil && alive {
			t.Fatalf("ping: %v", err)
		}
		var closeErr *websocket.CloseError
		for {
			if _, _, err = conn.ReadMessage(); err != nil {
				break
			}
		}
		switch {
		case len(payload) > maxClientFrame:
			if !errors.As(err, &closeErr) || closeErr.Code != websocket.CloseMessageTooBig && !(binary && closeErr.Code == websocket.CloseUnsupportedData) {
				t.Fatalf("%d-byte frame: %v, want close 1009", len(payload), err)
			}
		case binary:
			if !errors.As(err, &closeErr) || closeErr.Code != websocket.CloseUnsupportedData {
				t.Fatalf("binary frame: %v, want close 1003", err)
			}
		case !utf8.Valid(payload):
			if !errors.As(err, &closeErr) || closeErr.Code != websocket.CloseInvalidFramePayloadData {
				t.Fatalf("text frame that is not UTF-8: %v, want close 1007", err)
			}
		case !ponged || errors.As(err, &closeErr):
			t.Fatalf("the connection did not survive a %d-byte text frame: %v", len(payload), err)
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("server after the frame: %v %v", err, resp)
		}
		resp.Body.Close()
	})
}
