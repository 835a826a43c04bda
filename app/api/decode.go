package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// decodeJSON decodes the request body into v strictly: one JSON value,
// no unknown fields, no trailing data. Failures are EBadRequest. Text
// that is not valid Unicode is EInvalid rather than silently replaced
// with U+FFFD as encoding/json would: bytes that are not UTF-8, and
// escapes of lone UTF-16 surrogates (\ud800). So is a string holding the
// NUL character (\u0000), since no field takes one and PostgreSQL cannot
// store it.
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
	if !utf8.Valid(body) {
		return app.Errorf(app.EInvalid, "request body is not valid UTF-8")
	}
	return checkEscapes(body)
}

// checkEscapes walks the \u escapes of a valid JSON document (the only
// way JSON carries NUL or a surrogate; an escaped backslash followed by
// "u0000" is not one) and refuses NUL and surrogates that do not form a
// pair, with EInvalid.
func checkEscapes(doc []byte) error {
	for i := 0; i+1 < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		if doc[i+1] != 'u' || i+6 > len(doc) {
			i++ // skip the escaped character
			continue
		}
		r, _ := strconv.ParseUint(string(doc[i+2:i+6]), 16, 32)
		switch {
		case r == 0:
			return app.Errorf(app.EInvalid, "text must not contain the NUL character (\\u0000)")
		case r >= 0xD800 && r <= 0xDBFF: // must be followed by a low surrogate
			if i+12 <= len(doc) && doc[i+6] == '\\' && doc[i+7] == 'u' {
				if lo, err := strconv.ParseUint(string(doc[i+8:i+12]), 16, 32); err == nil && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return app.Errorf(app.EInvalid, "text must be valid Unicode: a \\u escape holds a lone UTF-16 surrogate")
		case r >= 0xDC00 && r <= 0xDFFF:
			return app.Errorf(app.EInvalid, "text must be valid Unicode: a \\u escape holds a lone UTF-16 surrogate")
		}
		i += 5
	}
	return nil
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
