package store_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// A drill store says so in its site info (readable while locked) and in
// its signed site.created event, which peers and exports see; a live
// store says neither.
func TestInit_DrillMarksTheSite(t *testing.T) {
	ctx := context.Background()
	for _, drill := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "ward.lifeboat")
		db, _, err := store.Init(ctx, path, store.Setup{SiteName: "St Elsewhere", Ward: "Ward 7",
			Passphrase: storetest.Passphrase, AdminName: "Ada Admin", AdminPIN: storetest.AdminPIN,
			KDF: store.TestKDF, AdminPassphrase: storetest.AdminPassphrase, AdminKDF: store.TestKDF, Drill: drill}, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := db.Events(ctx, "site", lifeboat.KindSiteCreated)
		if err != nil || len(evs) != 1 {
			t.Fatalf("site.created: %d events, %v", len(evs), err)
		}
		var sc lifeboat.SiteCreated
		if err := json.Unmarshal(evs[0].Payload, &sc); err != nil {
			t.Fatal(err)
		}
		if sc.Drill != drill {
			t.Errorf("drill=%v: site.created says drill=%v", drill, sc.Drill)
		}
		db.Lock()
		site, err := db.Site(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if site.Drill != drill {
			t.Errorf("drill=%v: locked Site().Drill = %v", drill, site.Drill)
		}
		db.Close()
	}
}

// Store files and their backups are readable by their owner only: they
// hold sealed patient data and key slots.
func TestStoreFiles_OwnerOnly(t *testing.T) {
	db, _ := storetest.MustInit(t, store.Options{})
	backup := filepath.Join(t.TempDir(), "copy.lifeboat")
	if err := db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db.Path(), db.Path() + "-wal", backup} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", filepath.Base(p), m)
		}
	}
}
