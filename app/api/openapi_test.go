package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/prometheus/client_golang/prometheus"
)

// apiDoc is the served OpenAPI document, read back for the tests: which
// operations exist, who may call them, which error codes each may answer
// with, and the schemas of their answers.
type apiDoc struct {
	raw        map[string]any
	schemas    map[string]any
	ops        map[string]*docOp // by "METHOD /openapi/{path}"
	errorCodes []string
}

type docOp struct {
	raw     map[string]any
	who     string
	success int
	media   string
	schema  map[string]any   // the success answer's schema (JSON answers)
	codes   map[int][]string // error status → codes
	maxBody int
}

var fiberParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// opKey is the key of a route in apiDoc.ops.
func opKey(method, fiberPath string) string {
	return method + " " + fiberParam.ReplaceAllString(fiberPath, "{$1}")
}

// loadDoc fetches and indexes the rig's document.
func loadDoc(tb testing.TB, r *rig) *apiDoc {
	tb.Helper()
	resp := r.do(tb, request{method: "GET", path: api.OpenAPIPath})
	if resp.Status != 200 {
		tb.Fatalf("GET %s: %d %s", api.OpenAPIPath, resp.Status, truncate(resp.Body))
	}
	return parseDoc(tb, resp.Body)
}

func parseDoc(tb testing.TB, b []byte) *apiDoc {
	tb.Helper()
	d := &apiDoc{ops: map[string]*docOp{}}
	if err := json.Unmarshal(b, &d.raw); err != nil {
		tb.Fatalf("document is not JSON: %v", err)
	}
	comps, _ := d.raw["components"].(map[string]any)
	d.schemas, _ = comps["schemas"].(map[string]any)
	for _, c := range d.raw["x-error-codes"].([]any) {
		d.errorCodes = append(d.errorCodes, c.(string))
	}
	paths, _ := d.raw["paths"].(map[string]any)
	for path, item := range paths {
		for method, o := range item.(map[string]any) {
			om := o.(map[string]any)
			op := &docOp{raw: om, codes: map[int][]string{}}
			op.who, _ = om["x-who"].(string)
			if n, ok := om["x-max-body-bytes"].(float64); ok {
				op.maxBody = int(n)
			}
			resps, _ := om["responses"].(map[string]any)
			for st, rv := range resps {
				status, _ := strconv.Atoi(st)
				rm := rv.(map[string]any)
				if cs, ok := rm["x-error-codes"].([]any); ok {
					for _, c := range cs {
						op.codes[status] = append(op.codes[status], c.(string))
					}
					continue
				}
				if status == 304 {
					continue
				}
				op.success = status
				if content, ok := rm["content"].(map[string]any); ok {
					for media, mv := range content {
						op.media = media
						op.schema, _ = mv.(map[string]any)["schema"].(map[string]any)
					}
				}
			}
			d.ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return d
}

// op returns the operation of a route, failing when the document lacks it.
func (d *apiDoc) op(tb testing.TB, method, fiberPath string) *docOp {
	tb.Helper()
	o := d.ops[opKey(method, fiberPath)]
	if o == nil {
		tb.Fatalf("the document has no %s %s", method, fiberPath)
	}
	return o
}

// checkError fails tb unless resp is an error answer whose status and
// code the operation documents.
func (o *docOp) checkError(tb testing.TB, resp response) {
	tb.Helper()
	var b api.ErrorBody
	if err := json.Unmarshal(resp.Body, &b); err != nil || b.Error.Code == "" || b.Error.Message == "" {
		tb.Fatalf("status %d is not an error body (%v): %s", resp.Status, err, truncate(resp.Body))
	}
	if !slices.Contains(o.codes[resp.Status], b.Error.Code) {
		tb.Errorf("undocumented error: %d %s (documented for %d: %v): %s", resp.Status, b.Error.Code, resp.Status, o.codes[resp.Status], truncate(resp.Body))
	}
}

// checkSuccess fails tb unless resp is the operation's documented
// success answer, its JSON body valid against the documented schema.
func (d *apiDoc) checkSuccess(tb testing.TB, o *docOp, resp response) {
	tb.Helper()
	if resp.Status != o.success {
		tb.Errorf("status %d, the document says %d", resp.Status, o.success)
	}
	if o.schema == nil || !strings.HasPrefix(o.media, "application/json") {
		return
	}
	var v any
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		tb.Fatalf("answer is not JSON: %v", err)
	}
	if errs := d.validate(v, o.schema); len(errs) > 0 {
		tb.Errorf("answer does not match the documented schema:\n  %s\nbody: %s", strings.Join(errs, "\n  "), truncate(resp.Body))
	}
}

// validate checks v against a schema of the document. It is strict about
// objects: a property the schema does not declare is an error (the
// document must name everything the server sends).
func (d *apiDoc) validate(v any, s map[string]any) []string {
	var errs []string
	d.check(v, s, "$", &errs)
	return errs
}

func (d *apiDoc) check(v any, s map[string]any, at string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		target, ok := d.schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		if !ok {
			fail("unresolved $ref %s", ref)
			return
		}
		d.check(v, target, at, errs)
		return
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			d.check(v, sub.(map[string]any), at, errs)
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		var best []string
		for i, sub := range anyOf {
			var e []string
			d.check(v, sub.(map[string]any), at, &e)
			if len(e) == 0 {
				best = nil
				break
			}
			if i == 0 || len(e) < len(best) {
				best = e
			}
		}
		*errs = append(*errs, best...)
	}
	if t, ok := s["type"]; ok && !typeMatches(v, t) {
		fail("%s is not of type %v", jsonType(v), t)
		return
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	if s["format"] == "date-time" {
		if str, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				fail("%q is not an RFC 3339 time", str)
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, k := range req {
				if _, ok := x[k.(string)]; !ok {
					fail("required property %q is missing", k)
				}
			}
		}
		for k, pv := range x {
			if ps, ok := props[k].(map[string]any); ok {
				d.check(pv, ps, at+"."+k, errs)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case map[string]any:
				d.check(pv, ap, at+"."+k, errs)
			case bool:
				if !ap {
					fail("property %q is not allowed", k)
				}
			default:
				if props != nil {
					fail("property %q is not in the document", k)
				}
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				d.check(e, items, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	}
}

func typeMatches(v any, t any) bool {
	switch tt := t.(type) {
	case string:
		jt := jsonType(v)
		return jt == tt || tt == "number" && jt == "integer"
	case []any:
		for _, x := range tt {
			if typeMatches(v, x) {
				return true
			}
		}
	}
	return false
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// registered lists the routes of a Fiber app as opKeys, leaving out
// middleware and the HEAD twins Fiber adds to GETs.
func registered(a *fiber.App) []string {
	var out []string
	for _, r := range a.GetRoutes(true) {
		if r.Method == fiber.MethodHead {
			continue
		}
		out = append(out, opKey(r.Method, r.Path))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestOpenAPIMatchesRoutes: every route registered on the Fiber app is
// in the document, and the document lists nothing else, with metrics on
// and off.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	r := newRig(t, api.Config{})
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg, reg)
	if err != nil {
		t.Fatal(err)
	}
	withMetrics := api.New(api.Config{Metrics: m, Limits: api.NoLimits}, r.svc, r.hub)
	for name, srv := range map[string]*api.Server{"Plain": r.srv, "Metrics": withMetrics} {
		t.Run(name, func(t *testing.T) {
			resp, err := srv.App().Test(httptest.NewRequest("GET", api.OpenAPIPath, nil))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET document: %v %v", err, resp)
			}
			buf, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			doc := parseDoc(t, buf)
			routes := registered(srv.App())
			if len(routes) < 40 {
				t.Fatalf("only %d routes registered: %v", len(routes), routes)
			}
			for _, k := range routes {
				if doc.ops[k] == nil {
					t.Errorf("route %s is registered but not in the document", k)
				}
			}
			for k := range doc.ops {
				if !slices.Contains(routes, k) {
					t.Errorf("the document lists %s, which is not registered", k)
				}
			}
			hasMetrics := doc.ops[opKey("GET", api.MetricsPath)] != nil
			if hasMetrics != (name == "Metrics") {
				t.Errorf("metrics documented: %v", hasMetrics)
			}
		})
	}
}

// TestOpenAPIDocument checks the document's shape: version, operations
// complete and unique, path parameters declared, every $ref resolving,
// error responses consistent with the status of their codes.
func TestOpenAPIDocument(t *testing.T) {
	r := newRig(t, api.Config{})
	d := r.doc
	if v, _ := d.raw["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi %q", v)
	}
	info, _ := d.raw["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info %v", info)
	}
	wantCodes := api.ErrorCodes()
	if !slices.Equal(d.errorCodes, wantCodes) {
		t.Errorf("x-error-codes %v, want %v", d.errorCodes, wantCodes)
	}
	ids := map[string]string{}
	for key, o := range d.ops {
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			if o.raw["x-undocumented"] == true {
				t.Error("no hand-written operation (add it to operations in openapi.go)")
			}
			id, _ := o.raw["operationId"].(string)
			if id == "" || ids[id] != "" {
				t.Errorf("operationId %q missing or also used by %s", id, ids[id])
			}
			ids[id] = key
			if s, _ := o.raw["summary"].(string); s == "" {
				t.Error("no summary")
			}
			if tags, _ := o.raw["tags"].([]any); len(tags) != 1 {
				t.Errorf("tags %v", tags)
			}
			if o.success/100 != 2 && o.success != 101 {
				t.Errorf("no success answer (got %d)", o.success)
			}
			if o.maxBody <= 0 {
				t.Error("no x-max-body-bytes")
			}
			switch o.who {
			case "public":
				if sec, _ := o.raw["security"].([]any); len(sec) != 0 {
					t.Errorf("public route with security %v", sec)
				}
			default:
				// Staff roles authenticate with a bearer token or the login
				// cookie, participants and teams with a ticket.
				want := 0
				for _, w := range strings.Split(o.who, ",") {
					switch w {
					case "admin", "organizer", "checker":
						want |= 2
					case "participant", "team":
						want |= 1
					default:
						t.Errorf("x-who %q", o.who)
					}
				}
				if sec, _ := o.raw["security"].([]any); len(sec) != want&2+want&1 {
					t.Errorf("security %v for %s", sec, o.who)
				}
			}
			// Path parameters: exactly those of the template.
			path := strings.SplitN(key, " ", 2)[1]
			var want, got []string
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			params, _ := o.raw["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					got = append(got, pm["name"].(string))
				}
				if _, ok := pm["schema"].(map[string]any); !ok {
					t.Errorf("parameter %v has no schema", pm["name"])
				}
			}
			if !slices.Equal(want, got) {
				t.Errorf("path parameters %v, template has %v", got, want)
			}
			for status, codes := range o.codes {
				if len(codes) == 0 {
					t.Errorf("%d lists no codes", status)
				}
				for _, c := range codes {
					if !slices.Contains(wantCodes, c) {
						t.Errorf("%d lists unknown code %q", status, c)
					}
				}
			}
			for _, must := range []int{401, 500} {
				if len(o.codes[must]) == 0 {
					t.Errorf("no %d answer", must)
				}
			}
		})
	}
	// Every $ref anywhere resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name, found := strings.CutPrefix(ref, "#/components/schemas/")
				if _, exists := d.schemas[name]; !found || !exists {
					t.Errorf("%s: $ref %s does not resolve", at, ref)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(d.raw, "#")
	// The error body is what the error handler writes.
	errSchema := map[string]any{"$ref": "#/components/schemas/ErrorBody"}
	resp := r.do(t, request{method: "GET", path: "/api/v1/events/no-such-event"})
	var body any
	_ = json.Unmarshal(resp.Body, &body)
	if errs := d.validate(body, errSchema); len(errs) > 0 || resp.Status != 404 {
		t.Errorf("error answer %d %s: %v", resp.Status, resp.Body, errs)
	}
}

// TestSchemaValidatorFails keeps the validator the matrix relies on
// honest: it must refuse what the document does not describe.
func TestSchemaValidatorFails(t *testing.T) {
	r := newRig(t, api.Config{})
	event := map[string]any{"$ref": "#/components/schemas/Event"}
	resp := r.do(t, request{method: "GET", path: "/api/v1/events/cn-hu-2021"})
	var good map[string]any
	if err := json.Unmarshal(resp.Body, &good); err != nil {
		t.Fatal(err)
	}
	if errs := r.doc.validate(good, event); len(errs) > 0 {
		t.Fatalf("a real event fails: %v", errs)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"ExtraProperty":   func(m map[string]any) { m["private_key"] = "x" },
		"MissingRequired": func(m map[string]any) { delete(m, "slug") },
		"WrongType":       func(m map[string]any) { m["last_seq"] = "7" },
		"BadTime":         func(m map[string]any) { m["starts_at"] = "tomorrow" },
		"NullNotAllowed":  func(m map[string]any) { m["title"] = nil },
		"NestedExtra":     func(m map[string]any) { m["title"].(map[string]any)["de"] = "Hallo" },
	} {
		t.Run(name, func(t *testing.T) {
			var bad map[string]any
			_ = json.Unmarshal(resp.Body, &bad)
			mutate(bad)
			if errs := r.doc.validate(bad, event); len(errs) == 0 {
				t.Fatal("the validator accepted it")
			}
		})
	}
}

// TestOpenAPIServed: the document is public, cacheable and revalidated
// by its ETag.
func TestOpenAPIServed(t *testing.T) {
	r := newRig(t, api.Config{})
	resp := r.do(t, request{method: "GET", path: api.OpenAPIPath})
	etag := resp.Header.Get("ETag")
	if resp.Status != 200 || etag == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("%d %v", resp.Status, resp.Header)
	}
	again := r.do(t, request{method: "GET", path: api.OpenAPIPath, header: map[string]string{"If-None-Match": etag}})
	if again.Status != 304 || len(again.Body) != 0 {
		t.Fatalf("If-None-Match: %d (%d bytes)", again.Status, len(again.Body))
	}
	if withToken := r.do(t, request{method: "GET", path: api.OpenAPIPath, token: r.checker}); withToken.Status != 200 {
		t.Fatalf("with a token: %d", withToken.Status)
	}
}
