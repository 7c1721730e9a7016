package app

import (
	"context"
	"image/color"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/mesh"
	"lifeboat/sync/mesh/meshtest"
	"lifeboat/sync/reconcile"
)

// The banner says how old the imported census is, from the newest
// census.imported event, as soon as one is recorded (here or by a peer).
// The demo ward comes with its census, taken at 06:00 the day the
// downtime began.
func TestBanner_SnapshotTime(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "Patient data as of 21-Nov-2026 06:00")

	for _, asOf := range []time.Time{
		time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC), // an older one does not win
	} {
		if _, err := db.Append(t.Context(), ui.Session(), store.Draft{Kind: reconcile.KindCensusImported, Subject: "census",
			PerformedAt: asOf, Payload: reconcile.CensusImported{Source: "PAS extract", AsOf: asOf}}); err != nil {
			t.Fatal(err)
		}
		settle(ui)
		mustShow(t, ui, "Patient data as of 21-Nov-2026 18:00")
	}
}

// With a mesh, the banner shows sync on and the peers the node can see:
// a real node on loopback, alone on its ward.
func TestBanner_SyncState(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "Sync: off")

	node := meshtest.Start(t, db)

	ui.sync = node
	ui.refreshSync()
	mustShow(t, ui, "Sync: on, no other devices yet")
}

// A drill store is unmistakable: purple banner, "DRILL: TRAINING DATA
// ONLY", on every screen from unlock on.
func TestBanner_Drill(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui := newDrillUI(t, size)
			mustShow(t, ui, DrillTitle)
			if got := ui.banner.bg.FillColor; got != color.Color(drillBackground) {
				t.Errorf("locked drill banner colour %v, want %v", got, drillBackground)
			}
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			if size == phone {
				ui.banner.SetOpen(true) // a phone's banner shows who on a tap
			}
			mustShow(t, ui, DrillTitle, "Signed in: Nia Nurse")
			if shows(ui, BannerTitle) {
				t.Errorf("drill screen also shows %q", BannerTitle)
			}
			if size == phone {
				ui.banner.SetOpen(false) // the golden: as a phone shows it
				mustShow(t, ui, DrillTitle)
			}
			file := "ui_drill_ward_" + map[bool]string{true: "desktop", false: "phone"}[size == desktop] + ".png"
			relayout(ui)
			img := ui.win.Canvas().Capture()
			if *update {
				writePNG(t, filepath.Join("testdata", file), img)
			}
			test.AssertImageMatches(t, file, img)
		})
	}
}

// With StartSync the mesh runs only while the store is unlocked: a real
// node starts after the passphrase, stops when the device locks (it could
// not apply anything without the keys), and starts afresh at the next
// unlock.
func TestSync_StartsOnUnlockStopsOnLock(t *testing.T) {
	var (
		mu      sync.Mutex
		running int // nodes started and not yet stopped
		started int
	)
	var db *store.DB
	start := func(ctx context.Context) (Sync, func(), error) {
		node, err := mesh.New(mesh.Config{Store: db, BindAddr: "127.0.0.1", BindPort: 0,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return nil, nil, err
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- node.Run(runCtx) }()
		mu.Lock()
		running++
		started++
		mu.Unlock()
		return node, func() {
			cancel()
			<-done
			mu.Lock()
			running--
			mu.Unlock()
		}, nil
	}
	ui, d, _ := newTestUIWith(t, desktop, Options{StartSync: start})
	db = d
	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return running, started }

	if r, s := count(); r != 0 || s != 0 {
		t.Fatalf("before unlock: %d running, %d started", r, s)
	}
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	if r, s := count(); r != 1 || s != 1 {
		t.Fatalf("after unlock: %d running, %d started; want 1, 1", r, s)
	}
	mustShow(t, ui, "Sync: on, no other devices yet")

	ui.Lock()
	settle(ui)
	if r, _ := count(); r != 0 {
		t.Fatalf("after lock: %d nodes still running", r)
	}
	if ui.Sync() != nil {
		t.Error("Sync() is not nil after lock")
	}
	if got := ui.banner.Status().SyncText(); got != "Sync: off" {
		t.Errorf("banner after lock says %q", got)
	}

	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	if r, s := count(); r != 1 || s != 2 {
		t.Fatalf("after second unlock: %d running, %d started; want 1, 2", r, s)
	}
}
