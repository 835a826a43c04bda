package storage_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestOpen(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	if got, want := s.Dialect(), storagetest.Backend(); got != want {
		t.Fatalf("Dialect: got %q, want %q", got, want)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("Empty on a new database: got %v, %v; want true", empty, err)
	}
	mustEvent(t, s)
	empty, err = s.Empty(ctx)
	if err != nil || empty {
		t.Fatalf("Empty with an event: got %v, %v; want false", empty, err)
	}
}

func TestSQLitePragmas(t *testing.T) {
	sqliteOnly(t)
	s := storagetest.Open(t)
	ctx := ctxT(t)
	for name, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "1",
	} {
		got, err := s.PragmaForTest(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s: got %q, want %q", name, got, want)
		}
	}
}

func TestEvent(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)

	t.Run("KeysAndEpoch", func(t *testing.T) {
		pub, err := base64.StdEncoding.DecodeString(ev.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("PublicKey %q: %d bytes, %v; want %d bytes of base64", ev.PublicKey, len(pub), err, ed25519.PublicKeySize)
		}
		if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(ev.Epoch) {
			t.Fatalf("Epoch: got %q, want 12 hex characters", ev.Epoch)
		}
		priv, err := s.EventPrivateKey(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(priv) != ed25519.PrivateKeySize {
			t.Fatalf("private key: got %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
		}
		msg := []byte("v1|" + ev.Slug + "|attendee")
		if !ed25519.Verify(pub, msg, ed25519.Sign(priv, msg)) {
			t.Fatal("the private key does not match the public key")
		}
		// The private key appears nowhere in the app.Event.
		got, err := s.EventByID(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []*app.Event{ev, got} {
			b, _ := json.Marshal(e)
			dump := string(b) + " " + strings.Join([]string{e.PublicKey, e.Epoch}, " ")
			for _, enc := range []string{base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(priv[:32])} {
				if strings.Contains(dump, enc) {
					t.Fatal("the private key leaked into the app.Event")
				}
			}
		}
		other := mustEvent(t, s)
		if other.PublicKey == ev.PublicKey || other.Epoch == ev.Epoch {
			t.Fatal("two events share a key or an epoch")
		}
	})

	t.Run("EpochKept", func(t *testing.T) {
		e := &app.Event{Slug: "given-epoch", Epoch: "abcdef012345", StartsAt: day, EndsAt: day}
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.Epoch != "abcdef012345" {
			t.Fatalf("Epoch: got %q, want the given one", e.Epoch)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.EventBySlug(ctx, ev.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Fatalf("EventBySlug:\n got %+v\nwant %+v", got, ev)
		}
		all, err := s.ListEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 1 || !reflect.DeepEqual(&all[0], ev) {
			t.Fatalf("ListEvents: got %+v, want %+v first", all, ev)
		}
	})

	t.Run("UpdateKeepsLog", func(t *testing.T) {
		if _, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil); err != nil {
			t.Fatal(err)
		}
		stale := *ev // LastSeq 0, as read before the append
		stale.Title.HU = "Új cím"
		stale.Venue = app.Text{}
		stale.ViewerTZs = []string{"Europe/Budapest"}
		stale.LastSeq, stale.Epoch = 77, "zzz"
		if err := s.UpdateEvent(ctx, &stale); err != nil {
			t.Fatal(err)
		}
		got, err := s.EventByID(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title.HU != "Új cím" || !reflect.DeepEqual(got.ViewerTZs, []string{"Europe/Budapest"}) {
			t.Fatalf("UpdateEvent: got %+v", got)
		}
		if got.LastSeq != 1 || got.Epoch != ev.Epoch {
			t.Fatalf("UpdateEvent changed the log: last_seq %d epoch %q, want 1 %q", got.LastSeq, got.Epoch, ev.Epoch)
		}
		if !reflect.DeepEqual(&stale, got) {
			t.Fatalf("UpdateEvent did not refresh its argument:\n got %+v\nwant %+v", stale, got)
		}
		missing := app.Event{ID: 999999, Slug: "nope"}
		wantAppError(t, s.UpdateEvent(ctx, &missing), app.ENotFound, "event 999999 not found")
	})
}

func TestNotFound(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	for _, c := range []struct {
		name string
		call func() error
		msg  string
	}{
		{"EventByID", func() error { _, err := s.EventByID(ctx, 42); return err }, "event 42 not found"},
		{"EventBySlug", func() error { _, err := s.EventBySlug(ctx, "nope"); return err }, `event "nope" not found`},
		{"EventPrivateKey", func() error { _, err := s.EventPrivateKey(ctx, 42); return err }, "event 42 not found"},
		{"SessionByID", func() error { _, err := s.SessionByID(ctx, 42); return err }, "session 42 not found"},
		{"AchievementByID", func() error { _, err := s.AchievementByID(ctx, 42); return err }, "achievement 42 not found"},
		{"AttendeeByID", func() error { _, err := s.AttendeeByID(ctx, "zz"); return err }, `attendee "zz" not found`},
		{"UserByName", func() error { _, err := s.UserByName(ctx, "bob"); return err }, `user "bob" not found`},
		{"TokenByHash", func() error { _, err := s.TokenByHash(ctx, "x"); return err }, "token not found"},
		{"CreateAnnouncement", func() error { return s.CreateAnnouncement(ctx, &app.Announcement{EventID: 42}) }, "event 42 not found"},
		{"CreateAttendee", func() error { return s.CreateAttendee(ctx, &app.Attendee{EventID: 42}) }, "event 42 not found"},
		{"CreateAchievement", func() error { return s.CreateAchievement(ctx, &app.Achievement{EventID: 42}) }, "event 42 not found"},
	} {
		t.Run(c.name, func(t *testing.T) { wantAppError(t, c.call(), app.ENotFound, c.msg) })
	}
	// Lists of unknown parents are empty, not errors.
	if l, err := s.LiveSince(ctx, 42, 0, 10); err != nil || len(l) != 0 {
		t.Fatalf("LiveSince of an unknown event: got %d, %v", len(l), err)
	}
}

func TestTx(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)

	t.Run("NestedReusesTx", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.Tx(ctx, func(r app.Repo) error {
			inner, ok := r.(app.Store)
			if !ok {
				t.Fatalf("the Tx repo %T is not an app.Store", r)
			}
			err := inner.Tx(ctx, func(r2 app.Repo) error {
				_, err := r2.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil)
				return err
			})
			if err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Tx: got %v, want boom", err)
		}
		if last, _, _ := s.LastSeq(ctx, ev.ID); last != 0 {
			t.Fatalf("the nested Tx committed on its own: last_seq %d", last)
		}
	})

	t.Run("CommitVisible", func(t *testing.T) {
		var id int64
		err := s.Tx(ctx, func(r app.Repo) error {
			ses := &app.Session{EventID: ev.ID, StageID: onMain(ev.ID), State: "scheduled", PlannedStart: day, PlannedEnd: day}
			if err := r.CreateSession(ctx, ses); err != nil {
				return err
			}
			id = ses.ID
			_, err := r.AppendLive(ctx, ev.ID, app.TypeSessionUpdated, ses)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByID(ctx, id); err != nil {
			t.Fatalf("session after commit: %v", err)
		}
	})

	t.Run("Panic", func(t *testing.T) {
		func() {
			defer func() { _ = recover() }()
			_ = s.Tx(ctx, func(r app.Repo) error {
				if _, err := r.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		before, _, err := s.LastSeq(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil); err != nil {
			t.Fatalf("store unusable after a panic in Tx: %v", err)
		}
		if after, _, _ := s.LastSeq(ctx, ev.ID); after != before+1 {
			t.Fatalf("last_seq: got %d after %d", after, before)
		}
	})
}

func TestQueryCount(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	for _, c := range []struct {
		name string
		call func() error
		want int64
	}{
		{"Take", func() error { _, err := s.EventByID(ctx, ev.ID); return err }, 1},
		{"Find", func() error { _, err := s.ListSessions(ctx, ev.ID); return err }, 1},
		{"Raw", func() error { _, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil); return err }, 2},
		{"Join", func() error { _, err := s.LiveSince(ctx, ev.ID, 0, 10); return err }, 1},
		{"Create", func() error { return s.CreateUser(ctx, &app.User{Username: "counted", Role: app.RoleOrganizer}) }, 1},
		{"Insert", func() error { return s.CreateAnnouncement(ctx, &app.Announcement{EventID: ev.ID}) }, 1},
		{"Update", func() error { return s.TouchToken(ctx, 1, time.Now()) }, 1},
		{"Delete", func() error { return s.DeleteToken(ctx, "x") }, 1},
		{"Tx", func() error {
			return s.Tx(ctx, func(r app.Repo) error {
				_, _, err := r.LastSeq(ctx, ev.ID)
				if err != nil {
					return err
				}
				_, err = r.ListAnnouncements(ctx, ev.ID, 5)
				return err
			})
		}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := s.QueryCount()
			_ = c.call() // not-found answers count too
			if got := s.QueryCount() - before; got != c.want {
				t.Fatalf("statements: got %d, want %d", got, c.want)
			}
		})
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
