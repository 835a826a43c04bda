package storage_test

import (
	"reflect"
	"sync"
	"testing"

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
		if want := []int64{1, 2}; !reflect.DeepEqual(got, want) {
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
		if want := []int64{1, 2}; !reflect.DeepEqual(got, want) {
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
		if want := []int64{1, 2}; !reflect.DeepEqual(got, want) {
			t.Fatalf("applied: got %v, want %v", got, want)
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
