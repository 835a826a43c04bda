package storage_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// TestMigrateAccounts: migration 5 on a database as the binary of schema
// 3 left it — two users whose names differ only in case, announcements
// naming their authors by username and by token name, in the table and
// in the live log.
func TestMigrateAccounts(t *testing.T) {
	o := storagetest.NewOptions(t)
	o.NoMigrate = true
	ctx := ctxT(t)
	s, err := storage.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateToForTest(ctx, 3); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := s.ExecForTest(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO events (id, slug, title_en, venue_tz, viewer_tzs, languages, starts_at, ends_at, private_key, public_key, epoch, created_at, updated_at)
		VALUES (1, 'old-2021', 'Old', 'Asia/Shanghai', '[]', '[]', ?, ?, ?, 'cHVi', 'e1', ?, ?)`, day, day.Add(time.Hour), []byte("key"), day, day)
	exec(`INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'anna', 'h', 'admin', ?), (2, 'Anna', 'h', 'organizer', ?), (3, 'bob', 'h', 'organizer', ?)`, day, day, day)
	exec(`INSERT INTO tokens (kind, name, hash, role, created_at) VALUES ('api', 'HYBRIDCON_ADMIN_TOKEN', 'h1', 'admin', ?)`, day)
	authors := map[int64]string{1: "Anna", 2: "HYBRIDCON_ADMIN_TOKEN", 3: "someone-deleted", 4: "hybridcon-cli"}
	for id := int64(1); id <= 4; id++ {
		exec(`INSERT INTO announcements (id, event_id, text_en, author, created_at) VALUES (?, 1, 'hi', ?, ?)`, id, authors[id], day)
		data, _ := json.Marshal(map[string]any{"id": id, "text": map[string]string{"en": "hi"}, "pinned": false, "author": authors[id], "created_at": day})
		exec(`INSERT INTO live_entries (event_id, seq, type, at, data) VALUES (1, ?, 'announcement.posted', ?, ?)`, id, day, string(data))
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("CaseTwinRenamed", func(t *testing.T) {
		us, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
		}
		if want := []string{"anna", "Anna-2", "bob"}; !slices.Equal(names, want) {
			t.Fatalf("usernames: got %v, want %v", names, want)
		}
	})
	t.Run("AuthorsAreRoles", func(t *testing.T) {
		want := map[int64]string{1: "organizer", 2: "admin", 3: "organizer", 4: "admin"}
		as, err := s.ListAnnouncements(ctx, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Author != want[a.ID] {
				t.Errorf("announcement %d: author %q, want %q", a.ID, a.Author, want[a.ID])
			}
		}
		envs, err := s.LiveSince(ctx, 1, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(envs) != 4 {
			t.Fatalf("%d log entries, want 4", len(envs))
		}
		for _, e := range envs {
			var a app.Announcement
			if err := json.Unmarshal(e.Data, &a); err != nil {
				t.Fatalf("seq %d: %v: %s", e.Seq, err, e.Data)
			}
			if a.Author != want[a.ID] || a.Text.EN != "hi" {
				t.Errorf("seq %d: got %+v, want author %q and the text kept", e.Seq, a, want[a.ID])
			}
		}
	})
}

func TestAccounts(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	mk := func(name, role string) *app.User {
		t.Helper()
		u := &app.User{Username: name, Role: role, PasswordHash: "h", CreatedAt: day}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	login := func(u *app.User, hash string) *app.Token {
		t.Helper()
		tok := &app.Token{Kind: app.TokenLogin, Name: u.Username, Hash: hash, Role: u.Role, UserID: &u.ID, CreatedAt: day}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ada := mk("ada", app.RoleAdmin)
	bob := mk("Bob", app.RoleOrganizer)

	t.Run("UsernameUniqueInAnyCase", func(t *testing.T) {
		wantAppError(t, s.CreateUser(ctx, &app.User{Username: "BOB", Role: app.RoleChecker}), app.EConflict, `username "BOB" is taken`)
		u, err := s.UserByName(ctx, "bOb")
		if err != nil || u.ID != bob.ID {
			t.Fatalf("UserByName(bOb): got %+v, %v; want Bob", u, err)
		}
	})
	t.Run("DisabledUsersTokensUnknown", func(t *testing.T) {
		login(bob, "bob-1")
		if _, err := s.TokenByHash(ctx, "bob-1"); err != nil {
			t.Fatal(err)
		}
		bob.Disabled = true
		if err := s.UpdateUser(ctx, bob); err != nil {
			t.Fatal(err)
		}
		_, err := s.TokenByHash(ctx, "bob-1")
		wantCode(t, err, app.ENotFound)
		bob.Disabled = false
		if err := s.UpdateUser(ctx, bob); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("LockActiveAdmins", func(t *testing.T) {
		second := mk("cleo", app.RoleAdmin)
		second.Disabled = true
		if err := s.UpdateUser(ctx, second); err != nil {
			t.Fatal(err)
		}
		var got []int64
		err := s.Tx(ctx, func(r app.Repo) error {
			var err error
			got, err = r.LockActiveAdmins(ctx)
			return err
		})
		if err != nil || !slices.Equal(got, []int64{ada.ID}) {
			t.Fatalf("got %v, %v; want [%d] (the disabled admin is not active)", got, err, ada.ID)
		}
	})
	t.Run("DeleteUserTokensKeepsOne", func(t *testing.T) {
		keep := login(ada, "ada-1")
		login(ada, "ada-2")
		hashes, err := s.DeleteUserTokens(ctx, ada.ID, keep.ID)
		if err != nil || !slices.Equal(hashes, []string{"ada-2"}) {
			t.Fatalf("got %v, %v; want [ada-2]", hashes, err)
		}
		if _, err := s.TokenByHash(ctx, "ada-1"); err != nil {
			t.Fatalf("the kept login: %v", err)
		}
	})
	t.Run("DeleteAPIToken", func(t *testing.T) {
		api := &app.Token{Kind: app.TokenAPI, Name: "kiosk", Hash: "kiosk-1", Role: app.RoleOrganizer, CreatedAt: day}
		if err := s.CreateToken(ctx, api); err != nil {
			t.Fatal(err)
		}
		ts, err := s.ListAPITokens(ctx)
		if err != nil || len(ts) != 1 || ts[0].Name != "kiosk" {
			t.Fatalf("ListAPITokens: %+v, %v; want the kiosk token only (no logins)", ts, err)
		}
		lg := login(ada, "ada-3")
		_, err = s.DeleteAPIToken(ctx, lg.ID)
		wantCode(t, err, app.ENotFound) // a login is not an API token
		got, err := s.DeleteAPIToken(ctx, api.ID)
		if err != nil || got.Hash != "kiosk-1" {
			t.Fatalf("got %+v, %v", got, err)
		}
		_, err = s.DeleteAPIToken(ctx, api.ID)
		wantCode(t, err, app.ENotFound)
	})
	t.Run("DeleteUserCascades", func(t *testing.T) {
		login(bob, "bob-2")
		if err := s.DeleteUser(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.TokenByHash(ctx, "bob-2")
		wantCode(t, err, app.ENotFound)
		wantCode(t, s.DeleteUser(ctx, bob.ID), app.ENotFound)
		_, err = s.UserByID(ctx, bob.ID)
		wantCode(t, err, app.ENotFound)
	})
}
