package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// TestConnectStormCostsConstantQueries: 300 viewers connecting at once to
// the real hub over the real store cost a handful of database statements
// for the event, not one per viewer.
func TestConnectStormCostsConstantQueries(t *testing.T) {
	e := newEnv(t)
	addr := e.listen()
	org := e.token("organizer", "")
	e.mustOK(e.do("POST", "/api/v1/events/cn-hu-2021/announcements", org, map[string]any{"text": map[string]string{"en": "warm-up"}}), "post")
	before := e.st.QueryCount()
	const viewers = 300
	var wg sync.WaitGroup
	errs := make(chan error, viewers)
	for i := 0; i < viewers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws/events/cn-hu-2021", nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_, msg, err := c.ReadMessage()
			if err != nil {
				errs <- err
				return
			}
			var env app.Envelope
			if err := json.Unmarshal(msg, &env); err != nil || env.Type != app.TypeSnapshot || env.Seq != 1 {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("viewer: %v", err)
	}
	queries := e.st.QueryCount() - before
	t.Logf("%d viewers connected with %d SQL statements", viewers, queries)
	if queries > 20 {
		t.Fatalf("%d viewers cost %d SQL statements; want a small constant", viewers, queries)
	}
}

// TestPanicBecomesInternalError: a handler that panics answers 500 with
// the JSON error shape and no stack trace or panic text.
func TestPanicBecomesInternalError(t *testing.T) {
	e := newEnv(t)
	e.srv.App().Get("/test-panic", func(*fiber.Ctx) error { panic("secret detail") })
	r := e.do("GET", "/test-panic", "", nil)
	if r.Status != 500 || r.errorCode(t) != "internal" {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
	if s := string(r.Body); strings.Contains(s, "secret") || strings.Contains(s, "goroutine") || strings.Contains(s, ".go:") {
		t.Fatalf("internals leaked: %s", s)
	}
}

// TestScheduleRefreshWithNothingRunning: the periodic refresh of expected
// times reads each event's sessions once and stops there when none is
// running (the demo before its day starts): no locked transaction, no
// slots, no envelope.
func TestScheduleRefreshWithNothingRunning(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	events, err := e.st.ListEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seq, _, err := e.svc.LastSeq(ctx, "cn-hu-2021")
	if err != nil {
		t.Fatal(err)
	}
	before := e.st.QueryCount()
	if err := e.svc.RefreshSchedules(ctx); err != nil {
		t.Fatal(err)
	}
	if n, want := e.st.QueryCount()-before, int64(1+len(events)); n != want {
		t.Fatalf("refresh with nothing running ran %d statements; want %d (the events, then each one's sessions)", n, want)
	}
	after, _, err := e.svc.LastSeq(ctx, "cn-hu-2021")
	if err != nil || after != seq {
		t.Fatalf("refresh with nothing running: last seq %d → %d (%v); want unchanged", seq, after, err)
	}
}
