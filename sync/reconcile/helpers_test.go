package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"lifeboat/store"
	"lifeboat/store/storetest"
)

// storeAppender appends reconcile drafts to a real store.
func storeAppender(db *store.DB, s *store.Session) Appender {
	return AppenderFunc(func(ctx context.Context, ds []Draft) error {
		sds := make([]store.Draft, len(ds))
		for i, d := range ds {
			sds[i] = store.Draft{Kind: d.Kind, Subject: d.Subject, PerformedAt: d.PerformedAt, Corrects: d.Corrects, Payload: d.Payload, PayloadFrom: d.PayloadFrom}
		}
		_, err := db.AppendAll(ctx, s, sds)
		return err
	})
}

// MustStore is a fresh store with the admin signed in.
func MustStore(t testing.TB) (*store.DB, *store.Session) {
	t.Helper()
	return storetest.MustInit(t, store.Options{Now: storetest.NewClock(storetest.T0.Add(48 * 3600e9)).Now})
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
