package storage

import (
	"context"

	"github.com/hybridcon/hybridcon/app"
)

// ListStages returns the event's stages by position, then id.
func (s *Store) ListStages(ctx context.Context, eventID int64) ([]app.Stage, error) {
	var rows []stageRow
	err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("position, id").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list stages", on{})
	}
	out := make([]app.Stage, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// StageBySlug returns the event's stage with slug, or ENotFound.
func (s *Store) StageBySlug(ctx context.Context, eventID int64, slug string) (*app.Stage, error) {
	var r stageRow
	err := s.db.WithContext(ctx).Where("event_id = ? AND slug = ?", eventID, slug).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get stage", on{notFound: notFound("stage %q not found", slug)})
	}
	st := r.toApp()
	return &st, nil
}

// CreateStage inserts st and fills st.ID. A slug taken in the event is
// EConflict; an unknown event ENotFound.
func (s *Store) CreateStage(ctx context.Context, st *app.Stage) error {
	r := stageToRow(st)
	r.ID = 0
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	r.UpdatedAt = r.CreatedAt
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create stage", on{
			dup: conflict("stage %q already exists in this event", st.Slug),
			fk:  notFound("event %d not found", st.EventID),
		})
	}
	st.ID, st.CreatedAt, st.UpdatedAt = r.ID, r.CreatedAt, r.UpdatedAt
	return nil
}

// UpdateStage writes st's name, position and stream links by st.ID and
// sets st.UpdatedAt. An unknown id is ENotFound.
func (s *Store) UpdateStage(ctx context.Context, st *app.Stage) error {
	r := stageToRow(st)
	r.UpdatedAt = now()
	res := s.db.WithContext(ctx).Model(&stageRow{}).Where("id = ?", st.ID).Updates(map[string]any{
		"name_zh": r.NameZH, "name_en": r.NameEN, "name_hu": r.NameHU,
		"position": r.Position, "stream_links": r.StreamLinks, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update stage", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("stage %d not found", st.ID)
	}
	st.UpdatedAt = r.UpdatedAt
	return nil
}

// DeleteStage deletes the stage with id. An unknown id is ENotFound; a
// stage a session is on is EConflict (the schema's foreign key).
func (s *Store) DeleteStage(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&stageRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete stage", on{fk: conflict("stage %d has sessions: move them first", id)})
	}
	if res.RowsAffected == 0 {
		return notFound("stage %d not found", id)
	}
	return nil
}
