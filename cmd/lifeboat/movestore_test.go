package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

// oldStore seeds the demo ward (a real store) in dir, as an earlier
// version left it in the per-user folder, with the sync settings and a
// drill store beside it, and returns its event count.
func oldStore(t *testing.T, dir string) int {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, drillDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := cli.SeedDemo(t.Context(), filepath.Join(dir, cli.StoreFile), store.TestKDF, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cli.SyncFile), []byte(`{"join":["10.1.7.20:7946"]}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, drillDir, "note"), []byte("drill"), 0o600); err != nil {
		t.Fatal(err)
	}
	return storeEvents(t, dir)
}

// storeEvents opens the store in dir with the demo passphrase and counts
// its events, checking it verifies.
func storeEvents(t *testing.T, dir string) int {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(dir, cli.StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), cli.DemoPassphrase); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(t.Context())
	if err != nil || !rep.OK() {
		t.Fatalf("verify %s: %v %v", dir, err, rep.Problems)
	}
	return rep.Events
}

// A real store in the per-user folder is moved to the machine-wide one
// the first time that is used: all of the folder comes, the store opens
// and verifies there with every event, the old folder is left beside as
// a backup under a name nothing opens, and a line says so. Then nothing
// moves again.
func TestMoveOldStore_RealStore(t *testing.T) {
	base := t.TempDir()
	old, dir := filepath.Join(base, "Roaming", "Lifeboat"), filepath.Join(base, "ProgramData", "Lifeboat")
	want := oldStore(t, old)
	var log bytes.Buffer
	now := time.Date(2026, 12, 5, 3, 4, 5, 0, time.Local)
	moved, err := moveOldStore(dir, old, now, &log)
	if err != nil || !moved {
		t.Fatalf("moveOldStore = %v, %v; want moved", moved, err)
	}
	if got := storeEvents(t, dir); got != want {
		t.Errorf("moved store has %d events, want %d", got, want)
	}
	for _, f := range []string{cli.SyncFile, filepath.Join(drillDir, "note")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not moved: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, cli.StoreFile+".moving")); err == nil {
		t.Error("the temporary copy is left in the new folder")
	}
	backup := old + ".moved-20261205-030405"
	if got := storeEvents(t, backup); got != want {
		t.Errorf("backup copy has %d events, want %d", got, want)
	}
	if _, err := os.Stat(old); err == nil {
		t.Errorf("the old folder %s is still where a Lifeboat would find it", old)
	}
	if !strings.Contains(log.String(), "moved the store from "+old+" to the machine-wide data folder "+dir) || !strings.Contains(log.String(), backup) {
		t.Errorf("log = %q, want a line naming both folders and the backup", log.String())
	}

	// Again, with another store at the old place (a second Windows user's):
	// the new folder holds one, so nothing moves.
	oldStore(t, old)
	log.Reset()
	if moved, err := moveOldStore(dir, old, now.Add(time.Hour), &log); moved || err != nil || log.Len() > 0 {
		t.Errorf("second moveOldStore = %v, %v, log %q; want nothing done", moved, err, log.String())
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("the second store was touched: %v", err)
	}
}

// Nothing at the old place, or no old place: nothing happens, and no
// folder is made.
func TestMoveOldStore_NothingToMove(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "new")
	for _, old := range []string{"", filepath.Join(base, "old"), dir} {
		if moved, err := moveOldStore(dir, old, time.Now(), os.Stderr); moved || err != nil {
			t.Errorf("moveOldStore(old %q) = %v, %v", old, moved, err)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the new folder was made though nothing was moved")
	}
}

// A Lifeboat still running on the old folder (its lock held) stops the
// move: nothing is copied, the error says what to do.
func TestMoveOldStore_OldInUse(t *testing.T) {
	base := t.TempDir()
	old, dir := filepath.Join(base, "old"), filepath.Join(base, "new")
	oldStore(t, old)
	release, err := cli.LockDataDir(old)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	moved, err := moveOldStore(dir, old, time.Now(), os.Stderr)
	if moved || err == nil || !strings.Contains(err.Error(), "nothing was moved") || !strings.Contains(err.Error(), "another Lifeboat is using") {
		t.Fatalf("moveOldStore with the old folder in use = %v, %v", moved, err)
	}
	if _, err := os.Stat(filepath.Join(dir, cli.StoreFile)); err == nil {
		t.Error("a store appeared in the new folder")
	}
}

// Through the command: on a shared Linux PC (LIFEBOAT_SHARED names the
// machine's folder) the first command run without --data finds the store
// in the person's own folder, moves it and works on it there.
func TestRun_DefaultFolderMovesThePerUserStore(t *testing.T) {
	base := t.TempDir()
	shared := filepath.Join(base, "var-lib-lifeboat")
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "xdg"))
	t.Setenv("LIFEBOAT_SHARED", shared)
	old := filepath.Join(base, "xdg", "lifeboat")
	want := oldStore(t, old)
	pass := filepath.Join(base, "pass")
	if err := os.WriteFile(pass, []byte(cli.DemoPassphrase), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"verify", "--passphrase-file", pass}, &out, &errOut); code != 0 {
		t.Fatalf("lifeboat verify = %d: %s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "moved the store from "+old) {
		t.Errorf("stderr = %q, want the move said", errOut.String())
	}
	if got := storeEvents(t, shared); got != want {
		t.Errorf("store in %s has %d events, want %d", shared, got, want)
	}
	// --data names a folder: nothing is moved from anywhere.
	oldStore(t, old)
	other := t.TempDir()
	errOut.Reset()
	run(context.Background(), []string{"verify", "--data", other, "--passphrase-file", pass}, &out, &errOut)
	if _, err := os.Stat(old); err != nil || strings.Contains(errOut.String(), "moved") {
		t.Errorf("with --data the per-user store was moved (%v; %q)", err, errOut.String())
	}
}
