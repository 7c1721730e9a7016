package store_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// TestBackup_RestoreStartsBehindItsOwnChain: a backup taken while the
// store is in use restores as a store that records nothing until a peer
// has been heard and the device's later events taken back. Fails on main
// before this change: there was no restore, and the copy the old guide
// suggested recorded at once over seq numbers already given.
func TestBackup_RestoreStartsBehindItsOwnChain(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Back", "Up", "1970-01-01", "", storetest.T0))
	bak := filepath.Join(t.TempDir(), "ward.backup")
	m, err := db.WriteBackup(ctx, bak)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := db.Device(ctx)
	own, _ := db.OwnChain(ctx)
	if m.Device != dev || m.Head != own.Head || m.SiteName != "St Elsewhere" || m.Taken.IsZero() {
		t.Errorf("manifest = %+v, want device %s head %d", m, dev, own.Head)
	}
	if _, err := db.WriteBackup(ctx, bak); !errors.Is(err, lifeboat.ErrConflict) {
		t.Errorf("WriteBackup over an existing file = %v, want ErrConflict", err)
	}
	later, err := db.AppendAll(ctx, s, obsDrafts(p.Subject, 3))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Over the live store: refused without Replace, nothing touched.
	if _, err := store.Restore(ctx, bak, path, store.RestoreOptions{}); !errors.Is(err, lifeboat.ErrConflict) {
		t.Fatalf("Restore over a live store = %v, want ErrConflict", err)
	}
	if _, err := store.Restore(ctx, bak, path, store.RestoreOptions{Replace: true}); err != nil {
		t.Fatalf("Restore(Replace) = %v", err)
	}
	if aside, _ := filepath.Glob(path + ".replaced-*"); len(aside) == 0 {
		t.Errorf("the replaced store was not kept aside")
	}

	r, rs := mustOpenUnlocked(t, path)
	chain, err := r.OwnChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := later[len(later)-1].Seq
	if floor := own.Head + uint64(len(later)); !chain.Waiting || chain.Floor != floor || chain.Head != own.Head || chain.CanWrite() {
		t.Fatalf("OwnChain() after restore = %+v, want waiting, floor %d from the replaced store's mark", chain, floor)
	}
	if _, err := r.Append(ctx, rs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append on a restored store = %v, want ErrOwnChainBehind", err)
	}
	if err := r.OwnChainSeen(ctx, nil); err != nil { // a peer that holds less
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, rs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append still behind the replaced store's mark = %v, want ErrOwnChainBehind", err)
	}
	if _, err := r.ApplyRemote(ctx, later); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Append(ctx, rs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); err != nil || e.Seq != last+1 {
		t.Fatalf("Append after catching up = %d, %v; want seq %d", e.Seq, err, last+1)
	}
	rep, err := r.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("Verify() of the restored store = %v, %v", problems(rep), err)
	}
}

// TestBackup_DamagedBackupRefused: a backup whose database does not
// match its manifest is refused and nothing is written.
func TestBackup_DamagedBackupRefused(t *testing.T) {
	ctx := t.Context()
	db, _ := storetest.MustInit(t, store.Options{NoBackup: true})
	bak := filepath.Join(t.TempDir(), "ward.backup")
	if _, err := db.WriteBackup(ctx, bak); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(bak)
	raw[len(raw)-100] ^= 1
	os.WriteFile(bak, raw, 0o600)
	dst := filepath.Join(t.TempDir(), "restored.lifeboat")
	if _, err := store.Restore(ctx, bak, dst, store.RestoreOptions{}); !errors.Is(err, lifeboat.ErrCorrupt) {
		t.Fatalf("Restore(damaged) = %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Errorf("a damaged backup left a store at %s", dst)
	}
}

func FuzzDecodeBackupHeader(f *testing.F) {
	f.Add([]byte("LIFEBOAT-BACKUP 1\n{\"device\":\"K3F9QX2A\",\"site\":\"s\",\"head\":7,\"schema\":5,\"taken\":\"2026-11-22T08:00:00Z\",\"size\":4096,\"sha256\":\"" +
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}\nSQLite format 3\x00"))
	f.Add([]byte("LIFEBOAT-BACKUP 1\n{}\n"))
	f.Add([]byte("LIFEBOAT-BACKUP 1\n"))
	f.Add([]byte("SQLite format 3\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := store.DecodeBackupHeader(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if m.Device == "" || m.Size <= 0 || len(m.SHA256) != 64 {
			t.Fatalf("accepted an incomplete manifest %+v", m)
		}
	})
}
