package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// Stage routes: an event's stages (rooms or tracks), each with its own
// now / next and stream links. Reading is public; writing is for
// organizers and tells viewers with stages.updated.

// stageRoutes are the stage rows of the route table.
func (s *Server) stageRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/events/:slug/stages", Who: "public", Summary: "the event's stages in order", Handler: s.listStages},
		{Method: "POST", Path: "/api/v1/events/:slug/stages", Who: "organizer", Summary: "add a stage (emits stages.updated)", Handler: s.createStage},
		{Method: "PATCH", Path: "/api/v1/events/:slug/stages/:stage", Who: "organizer", Summary: "change a stage's name, position or stream links (emits stages.updated)", Handler: s.updateStage},
		{Method: "DELETE", Path: "/api/v1/events/:slug/stages/:stage", Who: "organizer", Summary: "delete a stage no session is on (emits stages.updated)", Handler: s.deleteStage, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: "/api/v1/time", Who: "public", Summary: "the server's clock, for pages that count down (presenter timer)", Handler: s.serverTime},
	}
}

// ServerTime is the answer of GET /api/v1/time.
type ServerTime struct {
	// Now is the server's clock when it answered (RFC 3339, UTC,
	// milliseconds). A client estimates its own clock's offset as
	// now − (sent + received) / 2 over the request with the shortest
	// round trip of a few.
	Now time.Time `json:"now"`
}

// serverTime answers the server's clock, never cached.
func (s *Server) serverTime(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ServerTime{Now: s.svc.Now()})
}

func (s *Server) listStages(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.Stages(cx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"stages": list})
}

func (s *Server) createStage(c *fiber.Ctx) error {
	var in app.StageInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	st, err := s.svc.CreateStage(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(st)
}

func (s *Server) updateStage(c *fiber.Ctx) error {
	var in app.StageInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	st, err := s.svc.UpdateStage(cx, principal(c), utils.CopyString(c.Params("slug")), utils.CopyString(c.Params("stage")), in)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) deleteStage(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	if err := s.svc.DeleteStage(cx, principal(c), utils.CopyString(c.Params("slug")), utils.CopyString(c.Params("stage"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
