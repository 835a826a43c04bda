package storage_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestMigrate(t *testing.T) {
	t.Run("RecordedAndIdempotent", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		got, err := s.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := storage.MigrationVersionsForTest(); !reflect.DeepEqual(got, want) {
			t.Fatalf("applied: got %v, want %v", got, want)
		}
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		got, err = s.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := storage.MigrationVersionsForTest(); !reflect.DeepEqual(got, want) {
			t.Fatalf("applied after re-run: got %v, want %v", got, want)
		}
		// The schema is there: an event can be stored.
		mustEvent(t, s)
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Four nodes start at once against one database.
		o := storagetest.NewOptions(t)
		o.NoMigrate = true
		ctx := ctxT(t)
		stores := make([]*storage.Store, 4)
		for i := range stores {
			s, err := storage.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d: Migrate: %v", i, err)
			}
		}
		got, err := stores[0].AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := storage.MigrationVersionsForTest(); !reflect.DeepEqual(got, want) {
			t.Fatalf("applied: got %v, want %v", got, want)
		}
	})

	t.Run("VenueKeptInEnglish", func(t *testing.T) {
		// A database as the binary of schema 2 left it, with an event
		// whose venue is the old single column.
		o := storagetest.NewOptions(t)
		o.NoMigrate = true
		ctx := ctxT(t)
		s, err := storage.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.MigrateToForTest(ctx, 2); err != nil {
			t.Fatal(err)
		}
		err = s.ExecForTest(ctx, `INSERT INTO events (slug, title_en, venue, venue_tz, viewer_tzs, languages,
			starts_at, ends_at, private_key, public_key, epoch, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"old-2021", "Old event", "Chongqing, main hall", "Asia/Shanghai", `["Asia/Shanghai"]`, `["zh","en","hu"]`,
			day, day.Add(time.Hour), []byte("key"), "cHVi", "e1", day, day)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := storage.MigrationVersionsForTest(); !reflect.DeepEqual(got, want) {
			t.Fatalf("applied: got %v, want %v", got, want)
		}
		ev, err := s.EventBySlug(ctx, "old-2021")
		if err != nil {
			t.Fatal(err)
		}
		if want := (app.Text{EN: "Chongqing, main hall"}); ev.Venue != want {
			t.Errorf("venue: got %+v, want %+v", ev.Venue, want)
		}
		// The old column is gone (see schemaV3).
		if err := s.ExecForTest(ctx, "UPDATE events SET venue = ?", "x"); err == nil {
			t.Error("the old venue column is still there")
		}
		// The event stays usable: its venue changes in all languages.
		ev.Venue = app.Text{ZH: "重庆，主会场", EN: "Chongqing, main hall", HU: "Csungking, nagyterem"}
		if err := s.UpdateEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		again, err := s.EventBySlug(ctx, "old-2021")
		if err != nil {
			t.Fatal(err)
		}
		if again.Venue != ev.Venue {
			t.Errorf("venue after update: got %+v, want %+v", again.Venue, ev.Venue)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		if err := s.ExecForTest(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", 999, day); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err == nil {
			t.Fatal("Migrate on a newer schema: got nil error")
		}
	})
}
