package storage_test

import (
	"context"
	"testing"

	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// TestIdentity: two Stores on one database (two nodes of a deployment)
// report the same identity; another database reports another.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	opts := storagetest.NewOptions(t)
	identity := func(o storage.Options) string {
		t.Helper()
		s, err := storage.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		id, err := s.Identity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := identity(opts), identity(opts)
	if a == "" || a != b {
		t.Errorf("one database: identities %q and %q, want one non-empty", a, b)
	}
	if other := identity(storagetest.NewOptions(t)); other == a {
		t.Errorf("two databases share the identity %q", a)
	}
}
