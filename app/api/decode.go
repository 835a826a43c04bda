package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// decodeJSON decodes the request body into v strictly: one JSON value,
// no unknown fields, no trailing data. Failures are EBadRequest; a string
// holding the NUL character (\u0000) is EInvalid, since no field takes
// one and PostgreSQL cannot store it.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return app.Errorf(app.EBadRequest, "request body is empty; expected a JSON object")
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != "" && ct != fiber.MIMEApplicationJSON {
		return &app.Error{Code: app.EBadRequest, Message: "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return app.Errorf(app.EBadRequest, "malformed JSON body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return app.Errorf(app.EBadRequest, "malformed JSON body: unexpected data after the JSON value")
	}
	if hasEscapedNUL(body) {
		return app.Errorf(app.EInvalid, "text must not contain the NUL character (\\u0000)")
	}
	return nil
}

// hasEscapedNUL reports whether a valid JSON document has a string with
// the escape \u0000 (the only way JSON carries NUL): it walks the
// escapes, so an escaped backslash followed by "u0000" is not one.
func hasEscapedNUL(doc []byte) bool {
	for i := 0; i+1 < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		if doc[i+1] == 'u' && i+6 <= len(doc) && string(doc[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}

// jsonProblem turns a decoding error into a short sentence without
// echoing large parts of the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s", te.Field, te.Type.String())
		}
		return "wrong JSON type: expected " + te.Type.String()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "not valid JSON"
}

// paramID parses a positive integer path parameter.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	raw := c.Params(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.EBadRequest, "malformed %s %q: expected a positive integer", name, truncate(raw, 40))
	}
	return id, nil
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(c *fiber.Ctx, name string, def, max int64) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || (max > 0 && n > max) {
		if max > 0 {
			return 0, app.Errorf(app.EBadRequest, "query parameter %s must be an integer from 0 to %d", name, max)
		}
		return 0, app.Errorf(app.EBadRequest, "query parameter %s must be a non-negative integer", name)
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
