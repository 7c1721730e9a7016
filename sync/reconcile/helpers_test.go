package reconcile

import (
	"os"
	"path/filepath"
	"testing"

	"lifeboat/store"
	"lifeboat/store/storetest"
)

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
