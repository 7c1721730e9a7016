package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// While the app syncs, it keeps the summaries of the wards this device
// holds current (store.RunWardSummaries, as `lifeboat serve` does), and
// stops doing so when sync stops (on lock).
func TestMeshStarter_RecordsWardSummaries(t *testing.T) {
	path := filepath.Join(t.TempDir(), cli.StoreFile)
	if err := cli.SeedDemo(t.Context(), path, store.TestKDF, time.Now()); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), cli.DemoPassphrase); err != nil {
		t.Fatal(err)
	}
	summaries := func() int {
		evs, err := db.Events(t.Context(), "ward:w7", forms.KindWardSummary)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if n := summaries(); n != 0 {
		t.Fatalf("%d summaries before sync started, want 0", n)
	}
	start := meshStarter(db, mesh.Config{BindAddr: "127.0.0.1", BindPort: 0}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, stop, err := start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for summaries() == 0 {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("no ward summary within 20s of sync starting")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if n := summaries(); n != 1 {
		t.Errorf("%d summaries, want 1 (the ward's beds did not change)", n)
	}
}
