package storage_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestAppendLive(t *testing.T) {
	t.Run("ConcurrentNoGaps", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		ev := mustEvent(t, s)
		const workers, each = 8, 25
		seqs := make(chan int64, workers*each)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					err := s.Tx(ctx, func(r app.Repo) error {
						env, err := r.AppendLive(ctx, ev.ID, app.TypeSessionUpdated, map[string]int{"w": w, "i": i})
						if err != nil {
							return err
						}
						seqs <- env.Seq
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(seqs)
		close(errs)
		for err := range errs {
			t.Fatalf("AppendLive under concurrency: %v", err)
		}
		var got []int64
		for seq := range seqs {
			got = append(got, seq)
		}
		slices.Sort(got)
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Fatalf("seqs: got %v…, want 1..%d without gaps or duplicates", got[:i+1], workers*each)
			}
		}
		if len(got) != workers*each {
			t.Fatalf("got %d seqs, want %d", len(got), workers*each)
		}
		log, err := s.LiveSince(ctx, ev.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != workers*each {
			t.Fatalf("log: got %d entries, want %d", len(log), workers*each)
		}
		for i, env := range log {
			if env.Seq != int64(i+1) || env.Epoch != ev.Epoch || env.Event != ev.Slug {
				t.Fatalf("log[%d]: got seq %d epoch %q event %q, want %d %q %q", i, env.Seq, env.Epoch, env.Event, i+1, ev.Epoch, ev.Slug)
			}
		}
		last, epoch, err := s.LastSeq(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last != workers*each || epoch != ev.Epoch {
			t.Fatalf("LastSeq: got %d %q, want %d %q", last, epoch, workers*each, ev.Epoch)
		}
	})

	t.Run("TwoNodes", func(t *testing.T) {
		// Two pools on one database, as two processes would have: on
		// SQLite, immediate transactions and busy_timeout serialize them.
		o := storagetest.NewOptions(t)
		ctx := ctxT(t)
		a, err := storage.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := storage.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ev := mustEvent(t, a)
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			s := a
			if w%2 == 1 {
				s = b
			}
			wg.Go(func() {
				for range each {
					// Read, then write: a deferred SQLite transaction
					// would fail here with SQLITE_BUSY.
					err := s.Tx(ctx, func(r app.Repo) error {
						if _, _, err := r.LastSeq(ctx, ev.ID); err != nil {
							return err
						}
						_, err := r.AppendLive(ctx, ev.ID, app.TypeSessionUpdated, w)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("AppendLive from two nodes: %v", err)
		}
		log, err := b.LiveSince(ctx, ev.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, env := range log {
			if env.Seq != int64(i+1) {
				t.Fatalf("log[%d]: got seq %d, want %d", i, env.Seq, i+1)
			}
		}
		if len(log) != workers*each {
			t.Fatalf("log: got %d entries, want %d", len(log), workers*each)
		}
	})

	t.Run("RollbackLeavesNoTrace", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		ev := mustEvent(t, s)
		if _, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, "kept"); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := s.Tx(ctx, func(r app.Repo) error {
			if _, err := r.AppendLive(ctx, ev.ID, app.TypeEventUpdated, "lost"); err != nil {
				return err
			}
			if err := r.CreateAnnouncement(ctx, &app.Announcement{EventID: ev.ID, Text: app.Text{EN: "lost"}}); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Tx: got %v, want fn's error unchanged", err)
		}
		last, _, err := s.LastSeq(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last != 1 {
			t.Fatalf("LastSeq after rollback: got %d, want 1", last)
		}
		log, err := s.LiveSince(ctx, ev.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || string(log[0].Data) != `"kept"` {
			t.Fatalf("log after rollback: got %+v, want only the kept entry", log)
		}
		anns, err := s.ListAnnouncements(ctx, ev.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(anns) != 0 {
			t.Fatalf("announcements after rollback: got %d, want 0", len(anns))
		}
		// The next append takes seq 2: the rolled-back seq was given back.
		env, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil)
		if err != nil {
			t.Fatal(err)
		}
		if env.Seq != 2 {
			t.Fatalf("seq after rollback: got %d, want 2", env.Seq)
		}
	})

	t.Run("Envelope", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		ev := mustEvent(t, s)
		before := time.Now().UTC().Truncate(time.Millisecond)
		data := map[string]any{"title": app.Text{ZH: "成果", HU: "Eredmény"}, "n": 3}
		env, err := s.AppendLive(ctx, ev.ID, app.TypeShowcaseUpdated, data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(data)
		if env.Seq != 1 || env.Type != app.TypeShowcaseUpdated || env.Event != ev.Slug || env.Epoch != ev.Epoch || string(env.Data) != string(want) {
			t.Fatalf("envelope: got %+v (data %s), want seq 1 %s of %s, data %s", env, env.Data, app.TypeShowcaseUpdated, ev.Slug, want)
		}
		if env.At.Location() != time.UTC || env.At.Before(before) || !env.At.Equal(env.At.Truncate(time.Millisecond)) {
			t.Fatalf("At: got %v, want UTC ms after %v", env.At, before)
		}
		log, err := s.LiveSince(ctx, ev.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || !log[0].At.Equal(env.At) || log[0].At.Location() != time.UTC ||
			string(log[0].Data) != string(want) || log[0].Type != env.Type {
			t.Fatalf("LiveSince: got %+v, want %+v", log, env)
		}
	})

	t.Run("SinceAndLimit", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		ev := mustEvent(t, s)
		other := mustEvent(t, s)
		for i := range 10 {
			if _, err := s.AppendLive(ctx, ev.ID, app.TypeSessionUpdated, i); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AppendLive(ctx, other.ID, app.TypeSessionUpdated, 0); err != nil {
			t.Fatal(err)
		}
		log, err := s.LiveSince(ctx, ev.ID, 4, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range log {
			got = append(got, e.Seq)
		}
		if want := []int64{5, 6, 7}; !slices.Equal(got, want) {
			t.Fatalf("LiveSince(4, 3): got seqs %v, want %v", got, want)
		}
		log, err = s.LiveSince(ctx, ev.ID, 10, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 0 {
			t.Fatalf("LiveSince(last): got %d entries, want 0", len(log))
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := storagetest.Open(t)
		ctx := ctxT(t)
		_, err := s.AppendLive(ctx, 4242, app.TypeEventUpdated, nil)
		wantAppError(t, err, app.ENotFound, "event 4242 not found")
		_, _, err = s.LastSeq(ctx, 4242)
		wantAppError(t, err, app.ENotFound, "event 4242 not found")
	})
}
