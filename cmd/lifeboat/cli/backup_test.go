package cli

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/store"
)

// filesDigest hashes the store's database and WAL as they are on disk.
func filesDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		h.Write([]byte(f))
		h.Write(b)
	}
	return [32]byte(h.Sum(nil))
}

// TestVerify_ChangesNothing: verify opens the store read-only. Fails on
// main before this change: verify unlocked the store for writing,
// recorded an audit entry and checkpointed the WAL on closing, so it
// wrote over the evidence it was examining.
func TestVerify_ChangesNothing(t *testing.T) {
	dir := mustInit(t)
	path := filepath.Join(dir, StoreFile)
	before := filesDigest(t, path)
	if out, err := run(t, dir, "a long ward passphrase\n", "verify"); err != nil {
		t.Fatalf("verify = %v\n%s", err, out)
	}
	if after := filesDigest(t, path); after != before {
		t.Errorf("verify changed the store's files")
	}
}

// TestBackupRestore_CLI: a backup taken while the store is open restores
// only over the live store with --replace, keeps the old one aside, and
// the restored store says it waits for the ward. Fails on main before
// this change: there were no backup and restore commands (the guide said
// to copy the file, which reused seq numbers).
func TestBackupRestore_CLI(t *testing.T) {
	ctx := t.Context()
	dir := mustInit(t)
	path := filepath.Join(dir, StoreFile)
	live, err := store.Open(ctx, path, store.Options{}) // the app is running
	if err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(t.TempDir(), "ward.lifeboat-backup")
	out, err := run(t, dir, "", "backup", bak)
	if err != nil || !strings.Contains(out, "Backed up device") {
		t.Fatalf("backup = %q, %v", out, err)
	}
	live.Close()

	if out, err := run(t, dir, "", "restore", bak); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("restore over a store without --replace = %q, %v; want a refusal naming --replace", out, err)
	}
	out, err = run(t, dir, "", "restore", "--replace", bak)
	if err != nil || !strings.Contains(out, "Restored device") || !strings.Contains(out, "restored from a backup") {
		t.Fatalf("restore --replace = %q, %v", out, err)
	}
	if aside, _ := filepath.Glob(path + ".replaced-*"); len(aside) == 0 {
		t.Errorf("the replaced store was not kept aside")
	}
	out, err = run(t, dir, "a long ward passphrase\n", "verify")
	if err == nil || !strings.Contains(out, "Recording is paused") {
		t.Errorf("verify of a restored store = %v\n%s\nwant the pause reported", err, out)
	}
}
