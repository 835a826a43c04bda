package api

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// statusOf is the one table where error codes become HTTP statuses.
var statusOf = map[string]int{
	app.EBadRequest:        fiber.StatusBadRequest,
	app.EInvalid:           fiber.StatusUnprocessableEntity,
	app.EUnauthorized:      fiber.StatusUnauthorized,
	app.EForbidden:         fiber.StatusForbidden,
	app.ENotFound:          fiber.StatusNotFound,
	app.EConflict:          fiber.StatusConflict,
	app.EInvalidTransition: fiber.StatusConflict,
	app.EStaleSlot:         fiber.StatusConflict,
	app.ETooLarge:          fiber.StatusRequestEntityTooLarge,
	app.ERateLimited:       fiber.StatusTooManyRequests,
	app.EUnavailable:       fiber.StatusServiceUnavailable,
	app.EInternal:          fiber.StatusInternalServerError,
}

// codeOfStatus names the errors Fiber and fasthttp raise themselves
// (unknown route, body too large, …).
var codeOfStatus = map[int]string{
	fiber.StatusBadRequest:                  app.EBadRequest,
	fiber.StatusUnauthorized:                app.EUnauthorized,
	fiber.StatusForbidden:                   app.EForbidden,
	fiber.StatusNotFound:                    app.ENotFound,
	fiber.StatusMethodNotAllowed:            "method_not_allowed",
	fiber.StatusRequestEntityTooLarge:       app.ETooLarge,
	fiber.StatusTooManyRequests:             app.ERateLimited,
	fiber.StatusServiceUnavailable:          app.EUnavailable,
	fiber.StatusRequestTimeout:              "timeout",
	fiber.StatusUnsupportedMediaType:        "unsupported_media_type",
	fiber.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	fiber.StatusNotImplemented:              "not_implemented",
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Details   any    `json:"details,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// errorHandler is Fiber's Config.ErrorHandler: the only place where
// errors become statuses and bodies, for the handlers' and middleware's
// errors and for the requests fasthttp refuses itself (see headers.go),
// which get a request id and the security headers here. Internal errors
// are logged with the request id and shown as "internal error".
func (s *Server) errorHandler() fiber.ErrorHandler {
	log := s.log
	return func(c *fiber.Ctx, err error) error {
		body := ErrorDetail{RequestID: s.ensureAnswerHeaders(c)}
		status := fiber.StatusInternalServerError
		var fe *fiber.Error
		var ae *app.Error
		switch {
		case errors.As(err, &ae):
			body.Code, body.Message, body.Details = ae.Code, ae.Message, ae.Details
			if s, ok := statusOf[ae.Code]; ok {
				status = s
			}
		case errors.As(err, &fe):
			status = fe.Code
			body.Code = codeOfStatus[fe.Code]
			body.Message = fe.Message
			switch fe.Code {
			case fiber.StatusNotFound:
				body.Message = "no such route: " + c.Method() + " " + c.Path()
			case fiber.StatusRequestEntityTooLarge:
				body.Message = "request body is too large"
			case fiber.StatusRequestHeaderFieldsTooLarge:
				body.Message = "request headers are too large"
			case fiber.StatusMethodNotAllowed:
				body.Message = "method " + c.Method() + " is not allowed on " + c.Path()
			}
			if body.Code == "" {
				body.Code = app.EInternal
				if status < 500 {
					body.Code = app.EBadRequest
				}
			}
		}
		if body.Code == "" || status >= 500 && body.Code == app.EInternal {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", body.RequestID, "err", err)
			status, body.Code, body.Message, body.Details = fiber.StatusInternalServerError, app.EInternal, "internal error", nil
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		if d, ok := body.Details.(map[string]int); ok && d["retry_after"] > 0 && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
			// A refusal that says when to come back (busy password
			// hashing) says it in the header too, as the rate limits do.
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(d["retry_after"]))
		}
		return c.Status(status).JSON(ErrorBody{Error: body})
	}
}
