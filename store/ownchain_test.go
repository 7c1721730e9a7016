package store_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// copyFile copies src to dst if src exists.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// crashCopy copies a live store's files (database, WAL, mark) as a power
// cut would leave them, into a new folder.
func crashCopy(t *testing.T, path string, withMark bool) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(path))
	copyFile(t, path, dst)
	copyFile(t, path+"-wal", dst+"-wal")
	if withMark {
		copyFile(t, path+store.MarkSuffix, dst+store.MarkSuffix)
	}
	return dst
}

func mustOpenUnlocked(t *testing.T, path string) (*store.DB, *store.Session) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, path, store.Options{NoBackup: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role == lifeboat.RoleITAdmin {
			s, err := db.SignIn(ctx, u.ID, storetest.AdminPIN, "")
			if err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			return db, s
		}
	}
	t.Fatal("no admin")
	return nil, nil
}

func obsDrafts(patient string, n int) []store.Draft {
	ds := make([]store.Draft, n)
	for i := range ds {
		ds[i] = storetest.ObsDraft(patient, 12+i%10, 96, 120, 70, 37, storetest.T0)
	}
	return ds
}

// TestOwnChain_LostWALTailDetected flips one byte in the WAL under a
// committed import, as in issue #14. Fails on main before this change:
// the store opened with the import silently gone, Verify said OK and the
// next Append reused the lost seq numbers.
func TestOwnChain_LostWALTailDetected(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Wal", "Tail", "1970-01-01", "", storetest.T0))
	db.Close() // checkpointed: what follows lives in the WAL only

	db, s = mustOpenUnlocked(t, path)
	evs, err := db.AppendAll(ctx, s, obsDrafts(p.Subject, 400))
	if err != nil {
		t.Fatal(err)
	}
	own, _ := db.OwnChain(ctx)
	head := own.Head // over the device's chains (site and ward)

	crashed := crashCopy(t, path, true)
	wal, err := os.ReadFile(crashed + "-wal")
	if err != nil || len(wal) < 1<<16 {
		t.Fatalf("WAL of the live store: %d bytes, %v; want the import in it", len(wal), err)
	}
	wal[len(wal)/2] ^= 0x40
	if err := os.WriteFile(crashed+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}

	// Verify opens read-only and names the loss.
	ro, err := store.OpenReadOnly(ctx, crashed, store.Options{})
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	if err := ro.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatalf("Unlock read-only: %v", err)
	}
	rep, err := ro.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	if rep.OK() || !strings.Contains(strings.Join(problems(rep), "\n"), "recorded events of this device are missing") {
		t.Errorf("Verify() after losing the WAL's tail = %v, want the missing events named", problems(rep))
	}
	if after, err := os.ReadFile(crashed + "-wal"); err != nil || len(after) != len(wal) {
		t.Errorf("read-only verify changed the WAL: %d bytes, want %d (%v)", len(after), len(wal), err)
	}

	// Opening for use reports the loss and refuses to reuse the numbers.
	c, cs := mustOpenUnlocked(t, crashed)
	chain, err := c.OwnChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if chain.Head >= head || chain.Lost != head-chain.Head || chain.Floor != head || chain.CanWrite() {
		t.Fatalf("OwnChain() = %+v, want %d events lost and recording paused", chain, head-chain.Head)
	}
	if w := chain.Words(); !strings.Contains(w, "recorded events were lost") {
		t.Errorf("Words() = %q", w)
	}
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append on a store that lost its tail = %v, want ErrOwnChainBehind", err)
	}

	// The pause survives a restart.
	c.Close()
	c, cs = mustOpenUnlocked(t, crashed)
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append after restart = %v, want ErrOwnChainBehind", err)
	}

	// Peers return the lost events (signed by this device): recording
	// resumes above them.
	lost := evs[len(evs)-int(head-chain.Head):]
	if res, err := c.ApplyRemote(ctx, lost); err != nil || res.Applied != len(lost) {
		t.Fatalf("ApplyRemote(lost events) = %+v, %v", res, err)
	}
	e, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0))
	if last := evs[len(evs)-1].Seq; err != nil || e.Seq != last+1 {
		t.Fatalf("Append after the lost events came back = seq %d, %v; want %d", e.Seq, err, last+1)
	}
}

func problems(rep store.VerifyReport) []string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestOwnChain_CopiedWithoutMark: a store file copied on its own (as the
// old deploying guide suggested for backups) opens paused until a peer
// has said how far its device's chain goes. Fails on main before this
// change: the copy recorded at once, reusing seq numbers the original
// had already given.
func TestOwnChain_CopiedWithoutMark(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Copy", "Cat", "1970-01-01", "", storetest.T0))
	cp := filepath.Join(t.TempDir(), "copy.lifeboat")
	if err := db.Backup(ctx, cp); err != nil {
		t.Fatal(err)
	}
	orig, err := db.AppendAll(ctx, s, obsDrafts(p.Subject, 5))
	if err != nil {
		t.Fatal(err)
	}

	c, cs := mustOpenUnlocked(t, cp)
	chain, _ := c.OwnChain(ctx)
	if !chain.Waiting || chain.CanWrite() || chain.Words() == "" {
		t.Fatalf("OwnChain() of a copy = %+v, want waiting for a peer", chain)
	}
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append on a copy = %v, want ErrOwnChainBehind", err)
	}
	// A peer says it holds the original's events: still paused until
	// they are taken, then recording continues above them.
	last := orig[len(orig)-1].Seq
	if err := c.OwnChainSeen(ctx, map[string]uint64{orig[len(orig)-1].Device: last}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append while behind the ward = %v, want ErrOwnChainBehind", err)
	}
	if res, err := c.ApplyRemote(ctx, orig); err != nil || res.Applied != len(orig) {
		t.Fatalf("ApplyRemote = %+v, %v", res, err)
	}
	e, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0))
	if err != nil || e.Seq != last+1 {
		t.Fatalf("Append after catching up = seq %d, %v; want %d", e.Seq, err, last+1)
	}
}

// TestOwnChain_ForkFlagged: a copy that already recorded is told, when
// the ward's events of its device arrive, that it forked; it records
// nothing more and keeps what it had. Fails on main before this change:
// the fork was only a refusal in the quarantine and the copy went on
// recording events nobody would take.
func TestOwnChain_ForkFlagged(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Fork", "Ed", "1970-01-01", "", storetest.T0))
	cp := crashCopy(t, path, true) // copied with its mark: nothing to see on open
	orig, err := db.AppendAll(ctx, s, obsDrafts(p.Subject, 5))
	if err != nil {
		t.Fatal(err)
	}

	c, cs := mustOpenUnlocked(t, cp)
	forked := storetest.MustAppend(t, c, cs, storetest.ObsDraft(p.Subject, 20, 90, 100, 110, 38, storetest.T0))
	if res, err := c.ApplyRemote(ctx, orig); err != nil || len(res.Refused) == 0 {
		t.Fatalf("ApplyRemote(original's events) = %+v, %v; want the fork refused", res, err)
	}
	chain, _ := c.OwnChain(ctx)
	if !chain.Forked || chain.ForkSeq != forked.Seq || chain.CanWrite() || !strings.Contains(chain.Words(), "Enrol this computer again") {
		t.Fatalf("OwnChain() = %+v, want forked at %d", chain, forked.Seq)
	}
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainForked) {
		t.Fatalf("Append on a forked copy = %v, want ErrOwnChainForked", err)
	}
	if _, err := c.Event(ctx, forked.ID); err != nil {
		t.Errorf("the copy's own record was deleted: %v", err)
	}
}

// TestOwnChain_ForgedForkIgnored: an event claiming this device's seq
// but not signed by its key is refused as a bad signature and does not
// stop this store recording (a peer cannot silence a device).
func TestOwnChain_ForgedForkIgnored(t *testing.T) {
	ctx := t.Context()
	db, s := storetest.MustInit(t, store.Options{NoBackup: true})
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Forge", "Ry", "1970-01-01", "", storetest.T0))
	e := p
	e.Payload = []byte(`{"surname":"Other"}`)
	other := storetest.NewDevice(t)
	ev := other.Next(s.User.ID, p.Kind, p.Subject, e.Payload, storetest.T0)
	ev.Device, ev.Seq, ev.Prev = p.Device, p.Seq, p.Prev
	if res, err := db.ApplyRemote(ctx, []lifeboat.Event{ev}); err != nil || len(res.Refused) != 1 {
		t.Fatalf("ApplyRemote(forged) = %+v, %v", res, err)
	}
	if chain, _ := db.OwnChain(ctx); !chain.CanWrite() {
		t.Fatalf("OwnChain() after a forged event = %+v, want recording", chain)
	}
	storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 14, 96, 120, 70, 37, time.Now()))
}

// TestOwnChain_NewStoreOverAStaleMark: a store made where another one was
// deleted (its mark left behind) is not taken for a copy.
func TestOwnChain_NewStoreOverAStaleMark(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "ward.lifeboat")
	db, _ := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	db.Close()
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(f)
	}
	db2, s2 := storetest.MustInitAt(t, path, store.Options{NoBackup: true})
	if chain, _ := db2.OwnChain(ctx); !chain.CanWrite() {
		t.Fatalf("OwnChain() of a new store over a stale mark = %+v, want recording", chain)
	}
	storetest.MustAppend(t, db2, s2, storetest.PatientDraft("New", "Store", "1970-01-01", "", storetest.T0))
	dev, _ := db2.Device(ctx)
	if m, err := store.ReadMark(path); err != nil || m.Device != dev {
		t.Errorf("ReadMark = %+v, %v; want the new store's device", m, err)
	}
}
