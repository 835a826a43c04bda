package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// blockedTouch is a store whose last-use writes wait until released.
type blockedTouch struct {
	app.Store
	touched chan int64
	release chan struct{}
}

func (b blockedTouch) TouchToken(ctx context.Context, id int64, at time.Time) error {
	b.touched <- id
	<-b.release
	return b.Store.TouchToken(ctx, id, at)
}

// TestTokenUseRecordedInBackground: authenticating does not wait for the
// last-use write; the write still happens, once per minute per token.
func TestTokenUseRecordedInBackground(t *testing.T) {
	st := blockedTouch{Store: storagetest.Open(t), touched: make(chan int64, 4), release: make(chan struct{})}
	svc := app.NewService(st, nil, nil)
	t.Cleanup(svc.StopAttendance)
	ctx := context.Background()
	tk, err := svc.IssueToken(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.TokenInput{Name: "kiosk", Role: app.RoleOrganizer})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := svc.Authenticate(ctx, tk.Secret)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Authenticate waited for the last-use write")
	}
	if id := <-st.touched; id != tk.ID {
		t.Fatalf("touched token %d, want %d", id, tk.ID)
	}
	if _, err := svc.Authenticate(ctx, tk.Secret); err != nil { // within the minute: no second write
		t.Fatal(err)
	}
	close(st.release)
	svc.FlushTokenUses()
	if n := len(st.touched); n != 0 {
		t.Fatalf("%d more last-use writes within a minute, want none", n)
	}
	ts, err := svc.Tokens(ctx, app.Principal{Name: "t", Role: app.RoleAdmin})
	if err != nil || len(ts) != 1 || ts[0].LastUsedAt == nil {
		t.Fatalf("tokens %+v, %v; want the last use recorded", ts, err)
	}
}
