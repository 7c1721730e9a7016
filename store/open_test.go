package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

var updateFixture = flag.Bool("update-fixture", false, "rewrite testdata/v1.lifeboat")

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpen_RefusesForeignFilesUnchanged(t *testing.T) {
	dir := t.TempDir()
	otherDB := filepath.Join(dir, "other.sqlite")
	sdb, err := sql.Open("sqlite", otherDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	files := map[string][]byte{
		"text.txt":     []byte("hello, this is not a database at all, just some words on a page"),
		"empty.db":     nil,
		"random.bin":   bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 2048),
		"other.sqlite": nil,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if name != "other.sqlite" {
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(name, func(t *testing.T) {
			before := fileBytes(t, path)
			db, err := store.Open(t.Context(), path, store.Options{})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded, want an error", name)
			}
			if !errors.Is(err, store.ErrNotStore) {
				t.Errorf("Open(%s) error = %v, want ErrNotStore", name, err)
			}
			if !bytes.Equal(before, fileBytes(t, path)) {
				t.Errorf("Open(%s) changed the file", name)
			}
			if _, err := os.Stat(path + "-wal"); err == nil {
				t.Errorf("Open(%s) left a WAL file behind", name)
			}
		})
	}
	if _, err := store.Open(t.Context(), filepath.Join(dir, "missing"), store.Options{}); err == nil {
		t.Error("Open(missing file) succeeded, want an error (Open never creates)")
	}
}

func TestOpen_RefusesNewerStoreUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, _ := storetest.MustInitAt(t, path, store.Options{})
	db.Close()
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	before := fileBytes(t, path)
	_, err = store.Open(t.Context(), path, store.Options{})
	if !errors.Is(err, store.ErrNewerStore) {
		t.Fatalf("Open(newer) error = %v, want ErrNewerStore", err)
	}
	if !bytes.Equal(before, fileBytes(t, path)) {
		t.Error("Open(newer) changed the file")
	}
}

// TestMigrate_FromRecordedV1 opens testdata/v1.lifeboat, a store written
// with schema 1 (the log, keys, users and audit, before the patient and
// observation views existed), and checks it is backed up, migrated and its
// views filled from the log.
func TestMigrate_FromRecordedV1(t *testing.T) {
	if *updateFixture {
		writeV1Fixture(t)
	}
	path := filepath.Join(t.TempDir(), "old.lifeboat")
	if err := os.WriteFile(path, fileBytes(t, "testdata/v1.lifeboat"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("Open(v1) error %v", err)
	}
	defer db.Close()
	if _, err := os.Stat(path + ".backup-v1"); err != nil {
		t.Errorf("no backup taken before migrating: %v", err)
	}
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	pts, err := db.Patients(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("patients after migration = %d, want 2 rebuilt from the log", len(pts))
	}
	chart, err := db.Observations(ctx, pts[0].ID)
	if err != nil || len(chart) != 1 {
		t.Errorf("observations after migration = %d (%v), want 1", len(chart), err)
	}
	rep, err := db.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("Verify after migration = %+v, %v", rep.Problems, err)
	}
	if qs, err := db.Quarantined(ctx); err != nil || len(qs) != 0 {
		t.Errorf("Quarantined() after migration = %v, %v; want an empty quarantine (schema 4)", qs, err)
	}
	// The backup is still a v1 store and still opens (migrating its copy).
	backup := filepath.Join(t.TempDir(), "b.lifeboat")
	os.WriteFile(backup, fileBytes(t, path+".backup-v1"), 0o600)
	bdb, err := store.Open(ctx, backup, store.Options{NoBackup: true})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	bdb.Close()
}

// writeV1Fixture makes testdata/v1.lifeboat: a current store with events,
// cut back to exactly what schema 1 had.
func writeV1Fixture(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{})
	for _, name := range []string{"Old", "Older"} {
		p := storetest.MustAppend(t, db, s, storetest.PatientDraft(name, "Record", "1940-01-01", "", storetest.T0))
		storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "Ward 7", "Bed 1", storetest.T0))
		if name == "Old" {
			storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 18, 96, 120, 80, 37, storetest.T0))
		}
	}
	db.Close()
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE p_patients", "DROP TABLE IF EXISTS p_observations", "PRAGMA user_version = 1", "VACUUM"} {
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sdb.Close()
	if err := os.WriteFile("testdata/v1.lifeboat", fileBytes(t, path), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUnlock_WrongPassphraseAndChange(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{})
	if err := db.ChangePassphrase(ctx, s, "short", store.TestKDF); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("ChangePassphrase(short) = %v, want ErrInvalid", err)
	}
	if err := db.ChangePassphrase(ctx, s, "a new sealed-pack passphrase", store.TestKDF); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); !errors.Is(err, store.ErrWrongSecret) {
		t.Errorf("Unlock(old passphrase) = %v, want ErrWrongSecret", err)
	}
	if err := db.Unlock(ctx, "a new sealed-pack passphrase"); err != nil {
		t.Errorf("Unlock(new passphrase) = %v", err)
	}
	log, err := db.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) < 2 || log[1].Action != "store.unlock_failed" {
		t.Errorf("audit after a failed unlock = %+v, want the failure recorded", log)
	}
}

func TestInit_RefusesBadSetupAndLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	good := store.Setup{SiteName: "S", Ward: "W", Passphrase: "long enough passphrase", AdminName: "A", AdminPIN: "2580", KDF: store.TestKDF,
		AdminPassphrase: "admin passphrase here", AdminKDF: store.TestKDF}
	tests := map[string]func(*store.Setup){
		"short passphrase":         func(s *store.Setup) { s.Passphrase = "short" },
		"no ward":                  func(s *store.Setup) { s.Ward = " " },
		"pin letters":              func(s *store.Setup) { s.AdminPIN = "12ab" },
		"pin run":                  func(s *store.Setup) { s.AdminPIN = "1234" },
		"pin same":                 func(s *store.Setup) { s.AdminPIN = "0000" },
		"pin short":                func(s *store.Setup) { s.AdminPIN = "25" },
		"bad costs":                func(s *store.Setup) { s.KDF = store.KDFParams{Time: 0, MemoryKiB: 1, Lanes: 1} },
		"short admin passphrase":   func(s *store.Setup) { s.AdminPassphrase = "short" },
		"admin passphrase is ward": func(s *store.Setup) { s.AdminPassphrase = s.Passphrase },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			s := good
			mutate(&s)
			path := filepath.Join(dir, name+".lifeboat")
			if _, _, err := store.Init(t.Context(), path, s, store.Options{}); !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("Init(%s) = %v, want ErrInvalid", name, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("Init(%s) left files: %v", name, entries)
			}
		})
	}
	path := filepath.Join(dir, "exists.lifeboat")
	os.WriteFile(path, []byte("x"), 0o600)
	if _, _, err := store.Init(t.Context(), path, good, store.Options{}); err == nil {
		t.Error("Init over an existing file succeeded")
	}
}

// New stores are made with 16 KiB pages in WAL mode: the page size can
// only be set before the first table, so a wrong order here leaves 4 KiB.
func TestInit_LargePagesAndWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, _ := storetest.MustInitAt(t, path, store.Options{})
	db.Close()
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var pageSize int
	var mode string
	if err := sdb.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := sdb.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if pageSize != 16384 || mode != "wal" {
		t.Errorf("page size %d, journal mode %q; want 16384, wal", pageSize, mode)
	}
}
