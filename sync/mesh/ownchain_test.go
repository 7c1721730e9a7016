package mesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lifeboat/store"
	"lifeboat/store/storetest"
)

// copyStore copies a store's folder as `cp -r` would: the database (a
// consistent copy) and its high-water mark as they are now.
func copyStore(t *testing.T, db *store.DB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy.lifeboat")
	if err := db.Backup(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(db.Path() + store.MarkSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst + store.MarkSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return dst
}

func openCopy(t *testing.T, s *site, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{Now: s.clock.Now, NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Unlock(context.Background(), storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestNode_CopiedStoreThatWroteIsStopped: a copy of A's store (with its
// mark, so nothing shows on open) records on its own while A goes on and
// its records reach B. When the copy meets B it is told it forked, stops
// recording and keeps its records; B loses nothing. Fails on main before
// this change: the copy went on recording (Append succeeded) events no
// peer would ever take, and nobody was told.
func TestNode_CopiedStoreThatWroteIsStopped(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 2)
	cp := copyStore(t, s.founder)
	ward(t, s.founder, s.admin, 2) // A goes on after the copy was taken
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	want := converged(t, 20*time.Second, n0, s.founder, b)
	a.stop() // A leaves; its copy comes up in its place

	c := openCopy(t, s, cp)
	cs := s.signIn(c)
	pts, err := c.Patients(ctx, "")
	if err != nil || len(pts) == 0 {
		t.Fatalf("Patients on the copy: %d, %v", len(pts), err)
	}
	mine := storetest.MustAppend(t, c, cs, storetest.ObsDraft(pts[0].ID, 22, 91, 95, 120, 38.5, storetest.T0))
	s.start(c, []string{nb.Addr()})

	waitFor(t, 20*time.Second, "the copy flagged as forked", func() (bool, string) {
		chain, err := c.OwnChain(ctx)
		return err == nil && chain.Forked, fmt.Sprintf("%+v %v", chain, err)
	})
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(pts[0].ID, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainForked) {
		t.Fatalf("Append on the forked copy = %v, want ErrOwnChainForked", err)
	}
	if _, err := c.Event(ctx, mine.ID); err != nil {
		t.Errorf("the copy's own record was deleted: %v", err)
	}
	if got, _ := digest(t, b); got[:8] != want {
		t.Errorf("B's log changed after meeting the copy: digest %s, want %s", got[:8], want)
	}
	if _, err := b.Event(ctx, mine.ID); err == nil {
		t.Errorf("B took the copy's forked record %s", mine.ID)
	}
}

// TestNode_CopiedStoreCatchesUpThenRecords: the way back. A copy that
// recorded nothing takes A's later records from B, then records above
// them and B takes its new records. (This one passes on main too: the
// attack tests above are the ones that fail there.)
func TestNode_CopiedStoreCatchesUpThenRecords(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 2)
	cp := copyStore(t, s.founder)
	ward(t, s.founder, s.admin, 2)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b)
	a.stop()

	c := openCopy(t, s, cp)
	cs := s.signIn(c)
	s.start(c, []string{nb.Addr()})
	converged(t, 20*time.Second, n0, b, c)
	chain, err := c.OwnChain(ctx)
	if err != nil || !chain.CanWrite() {
		t.Fatalf("OwnChain() after catching up = %+v, %v; want recording", chain, err)
	}
	pts, _ := c.Patients(ctx, "")
	e := storetest.MustAppend(t, c, cs, storetest.ObsDraft(pts[0].ID, 14, 96, 120, 70, 37, storetest.T0))
	waitFor(t, 20*time.Second, "B takes the copy's new record", func() (bool, string) {
		_, err := b.Event(ctx, e.ID)
		return err == nil, fmt.Sprint(err)
	})
	if q, _ := b.Quarantined(ctx); len(q) != 0 {
		t.Errorf("B refused records of the copy: %+v", q)
	}
}

// TestNode_LostWALTailTakenBackFromPeers: A's last import reached B, then
// a flipped byte in A's WAL dropped it from A. A reopens, reports the
// loss, records nothing until B has returned the import, then records
// above it. Fails on main before this change: A reopened without the
// import and recorded over its seq numbers; B refused those records as
// a fork and the import's numbers were given twice.
func TestNode_LostWALTailTakenBackFromPeers(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 1)
	// Reopen A so its WAL starts empty: the import below is all it holds.
	path := s.founder.Path()
	s.founder.Close()
	s.founder = openCopy(t, s, path)
	s.admin = s.signIn(s.founder)
	pts, _ := s.founder.Patients(ctx, "")
	drafts := make([]store.Draft, 300)
	for i := range drafts {
		drafts[i] = storetest.ObsDraft(pts[0].ID, 12+i%10, 96, 120, 70, 37, storetest.T0)
	}
	if _, err := s.founder.AppendAll(ctx, s.admin, drafts); err != nil {
		t.Fatal(err)
	}
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b)

	// A power cut leaves A's files as they are, with a byte in the middle
	// of the WAL (the import) damaged.
	dir := t.TempDir()
	crashed := filepath.Join(dir, "ward.lifeboat")
	for _, suffix := range []string{"", "-wal", store.MarkSuffix} {
		raw, err := os.ReadFile(s.founder.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if suffix == "-wal" {
			raw[len(raw)/2] ^= 0x01
		}
		if err := os.WriteFile(crashed+suffix, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a.stop()

	c := openCopy(t, s, crashed)
	chain, err := c.OwnChain(ctx)
	if err != nil || chain.Lost == 0 || chain.CanWrite() {
		t.Fatalf("OwnChain() after the WAL's tail was lost = %+v, %v; want events lost and recording paused", chain, err)
	}
	cs := s.signIn(c)
	if _, err := c.Append(ctx, cs, storetest.ObsDraft(pts[0].ID, 14, 96, 120, 70, 37, storetest.T0)); !errors.Is(err, store.ErrOwnChainBehind) {
		t.Fatalf("Append before the lost events are back = %v, want ErrOwnChainBehind", err)
	}
	s.start(c, []string{nb.Addr()})
	converged(t, 20*time.Second, n0, b, c)
	waitFor(t, 10*time.Second, "recording resumes", func() (bool, string) {
		chain, err := c.OwnChain(ctx)
		return err == nil && chain.CanWrite(), fmt.Sprintf("%+v %v", chain, err)
	})
	before, err := c.VersionVector(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := storetest.MustAppend(t, c, cs, storetest.ObsDraft(pts[0].ID, 14, 96, 120, 70, 37, storetest.T0))
	if want := before[e.Device] + 1; e.Seq != want || before[e.Device] == 0 {
		t.Errorf("first record after the loss has seq %d, want %d (above the lost ones)", e.Seq, want)
	}
	waitFor(t, 20*time.Second, "B takes the new record", func() (bool, string) {
		_, err := b.Event(ctx, e.ID)
		return err == nil, fmt.Sprint(err)
	})
}
