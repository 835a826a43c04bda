package storage

import (
	"context"

	"github.com/hybridcon/hybridcon/app"
)

// This file implements app.AccountRepo: users and API tokens as the
// administrators manage them.

var _ app.AccountRepo = (*Store)(nil)

// ListUsers returns every user in id order.
func (s *Store) ListUsers(ctx context.Context) ([]app.User, error) {
	var rows []userRow
	if err := s.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list users", on{})
	}
	out := make([]app.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// UserByID returns the user with id, or ENotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*app.User, error) {
	var r userRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "get user", on{notFound: notFound("user %d not found", id)})
	}
	u := r.toApp()
	return &u, nil
}

// UpdateUser writes u's display name, password hash and disabled flag,
// or returns ENotFound.
func (s *Store) UpdateUser(ctx context.Context, u *app.User) error {
	res := s.db.WithContext(ctx).Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
		"display_name": u.DisplayName, "password_hash": u.PasswordHash, "disabled": u.Disabled,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update user", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("user %d not found", u.ID)
	}
	return nil
}

// DeleteUser deletes the user with id and, by the schema's cascade,
// their tokens; ENotFound when there is none.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&userRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete user", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("user %d not found", id)
	}
	return nil
}

// LockActiveAdmins returns the ids of the users with the admin role who
// are not disabled, and on PostgreSQL locks their rows until the
// transaction ends (SQLite's immediate transactions hold its one write
// lock already), so two administrators disabling each other at once
// cannot leave none.
func (s *Store) LockActiveAdmins(ctx context.Context) ([]int64, error) {
	q := "SELECT id FROM users WHERE role = ? AND NOT disabled ORDER BY id"
	if s.c.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(q, app.RoleAdmin).Scan(&ids).Error; err != nil {
		return nil, s.fail(ctx, err, "lock admins", on{})
	}
	return ids, nil
}

// ListAPITokens returns every API token (not logins) in id order.
func (s *Store) ListAPITokens(ctx context.Context) ([]app.Token, error) {
	var rows []tokenRow
	if err := s.db.WithContext(ctx).Where("kind = ?", app.TokenAPI).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list tokens", on{})
	}
	out := make([]app.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// DeleteAPIToken deletes the API token with id and returns it (its Hash
// included, so the caller can forget it at once); ENotFound when there
// is no API token with that id.
func (s *Store) DeleteAPIToken(ctx context.Context, id int64) (*app.Token, error) {
	var r tokenRow
	err := s.db.WithContext(ctx).Where("id = ? AND kind = ?", id, app.TokenAPI).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get token", on{notFound: notFound("API token %d not found", id)})
	}
	if err := s.db.WithContext(ctx).Where("id = ?", id).Delete(&tokenRow{}).Error; err != nil {
		return nil, s.fail(ctx, err, "delete token", on{})
	}
	t := r.toApp()
	return &t, nil
}

// DeleteUserTokens deletes the user's tokens (their logins) except the
// one with id keep (0 keeps none) and returns the hashes deleted.
func (s *Store) DeleteUserTokens(ctx context.Context, userID, keep int64) ([]string, error) {
	var hashes []string
	q := s.db.WithContext(ctx).Model(&tokenRow{}).Where("user_id = ? AND id <> ?", userID, keep)
	if err := q.Pluck("hash", &hashes).Error; err != nil {
		return nil, s.fail(ctx, err, "list user tokens", on{})
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	if err := s.db.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, keep).Delete(&tokenRow{}).Error; err != nil {
		return nil, s.fail(ctx, err, "delete user tokens", on{})
	}
	return hashes, nil
}
