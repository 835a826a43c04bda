package storage_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// BenchmarkAnnouncementTx is the durable part of posting an announcement,
// as app.Service.PostAnnouncement does it: one transaction writing the
// announcement, its live log entry (taking the event's next seq) and its
// audit row. At 1,000 viewers this transaction is most of what a
// broadcast costs beside the deliveries (docs/benchmarks.md).
//
//	go test ./storage -run '^$' -bench AnnouncementTx -benchtime 2000x -count 5
func BenchmarkAnnouncementTx(b *testing.B) {
	s := storagetest.Open(b)
	ctx := context.Background()
	ev := &app.Event{
		Slug: "bench-announcements", Title: app.Text{EN: "Bench"}, VenueTZ: "Asia/Shanghai",
		ViewerTZs: []string{"Asia/Shanghai"}, Languages: []string{"zh", "en", "hu"},
		StartsAt: day, EndsAt: day.Add(8 * time.Hour),
	}
	if err := s.CreateEvent(ctx, ev); err != nil {
		b.Fatal(err)
	}
	text := app.Text{ZH: "请各位嘉宾入座", EN: "Please take your seats", HU: "Kérjük, foglaljanak helyet"}
	b.ReportAllocs()
	for b.Loop() {
		a := &app.Announcement{EventID: ev.ID, Text: text, Author: "Organizer", CreatedAt: time.Now().UTC()}
		err := s.Tx(ctx, func(r app.Repo) error {
			if err := r.CreateAnnouncement(ctx, a); err != nil {
				return err
			}
			if _, err := r.AppendLive(ctx, ev.ID, app.TypeAnnouncement, a); err != nil {
				return err
			}
			after, _ := json.Marshal(a)
			return r.AddAudit(ctx, &app.AuditEntry{EventID: &ev.ID, Actor: "bench", Action: "announcement.post",
				ObjectType: "announcement", ObjectID: strconv.FormatInt(a.ID, 10), After: after, At: a.CreatedAt})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
