package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
)

// TestImportPreview: ?dry_run=1 checks a whole file and answers the
// counts and its first rows without writing; a bad file lists every bad
// row beside the preview; UTF-8 with a BOM and semicolon-separated files
// are read; UTF-16 and GBK get the "save as CSV UTF-8" help.
func TestImportPreview(t *testing.T) {
	e := newEnv(t)
	organizer := e.token("organizer", "")
	post := func(what, query, body string) (response, map[string]any) {
		r := e.do("POST", "/api/v1/events/cn-hu-2021/"+what+"/import"+query, organizer, body, "Content-Type", "text/csv")
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		return r, m
	}
	count := func(what string) int {
		r := e.do("GET", "/api/v1/events/cn-hu-2021/"+what+"?limit=500", organizer, nil)
		var m map[string]json.RawMessage
		var list []json.RawMessage
		if err := json.Unmarshal(r.Body, &m); err != nil || json.Unmarshal(m[what], &list) != nil {
			t.Fatalf("%s: %d %.200s", what, r.Status, r.Body)
		}
		return len(list)
	}
	logLen := func() int { return len(logTypes(t, e)) }
	a0, t0, l0 := count("achievements"), count("attendees"), logLen()

	// Hungarian Excel: BOM, semicolons, decimal commas inside fields.
	achievements := "\ufeffref;title_en;title_hu;institution\nP-1;Water filter;Víztisztító;BME, Budapest\nP-2;Solar roof;Napelemes tető;ELTE\n"
	r, m := post("achievements", "?dry_run=1", achievements)
	if r.Status != 200 || m["dry_run"] != true || m["created"] != float64(2) {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	var res app.ImportResult
	if err := json.Unmarshal(r.Body, &res); err != nil || res.Preview == nil || res.Preview.Separator != ";" ||
		len(res.Preview.Rows) != 2 || res.Preview.Header[0] != "ref" || res.Preview.Rows[0][3] != "BME, Budapest" || res.Preview.Lines[1] != 3 {
		t.Fatalf("preview rows: %v %s", err, r.Body)
	}
	if a1, l1 := count("achievements"), logLen(); a1 != a0 || l1 != l0 {
		t.Fatalf("a dry run wrote: achievements %d→%d, log %d→%d", a0, a1, l0, l1)
	}

	// A bad file: every bad row, with the preview, nothing written, dry or not.
	bad := "ref,title_en,presenter_mode\nB-1,Good,onsite\nB-2,,onsite\nB-3,Fine,teleport\nB-1,Twice,remote\n"
	for _, q := range []string{"?dry_run=1", ""} {
		r, _ := post("achievements", q, bad)
		var body struct {
			Error struct {
				Code    string           `json:"code"`
				Details app.ImportErrors `json:"details"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 422 || body.Error.Code != app.EInvalid {
			t.Fatalf("bad file%s: %d %s", q, r.Status, r.Body)
		}
		rows := map[int]string{}
		for _, e := range body.Error.Details.Errors {
			rows[e.Row] = e.Column
		}
		if rows[3] == "" || rows[4] != "presenter_mode" || rows[5] != "ref" || len(rows) != 3 {
			t.Errorf("bad file%s: rows with errors %v, want 3, 4 (presenter_mode), 5 (ref): %s", q, rows, r.Body)
		}
		if p := body.Error.Details.Preview; p == nil || len(p.Rows) != 4 || p.Separator != "," {
			t.Errorf("bad file%s: preview %+v", q, p)
		}
	}
	if a1, l1 := count("achievements"), logLen(); a1 != a0 || l1 != l0 {
		t.Fatalf("a refused file wrote: achievements %d→%d, log %d→%d", a0, a1, l0, l1)
	}

	// The real import of the previewed file does what the preview said.
	if r, m := post("achievements", "", achievements); r.Status != 200 || m["created"] != float64(2) || m["dry_run"] != nil {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if a1 := count("achievements"); a1 != a0+2 {
		t.Fatalf("achievements %d→%d after importing 2", a0, a1)
	}

	attendees := "name;organization;email;category\nNagy Anna;BME;anna@example.hu;guest\nLi Wei;CQU;li@example.cn;academic\n"
	if r, m := post("attendees", "?dry_run=true", attendees); r.Status != 200 || m["dry_run"] != true || m["created"] != float64(2) {
		t.Fatalf("attendee preview: %d %s", r.Status, r.Body)
	}
	if t1 := count("attendees"); t1 != t0 {
		t.Fatalf("an attendee dry run wrote: %d→%d", t0, t1)
	}

	// Encodings that are not UTF-8 get the help, not a parse error.
	utf16 := "\xff\xfen\x00a\x00m\x00e\x00\n\x00"
	gbk := "name,email\n\xcd\xf5\xd0\xe3\xd3\xa2,wang@example.cn\n" // 王秀英 in GBK
	for name, body := range map[string]string{"UTF-16": utf16, "GBK": gbk} {
		for _, what := range []string{"attendees", "achievements"} {
			r, _ := post(what, "?dry_run=1", body)
			if r.Status != 422 || !strings.Contains(string(r.Body), `save it as \"CSV UTF-8\"`) {
				t.Errorf("%s %s: %d %s", name, what, r.Status, r.Body)
			}
		}
	}
}
