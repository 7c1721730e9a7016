package store_test

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// joinVia makes a new store and enrols it through admin, as the enrolment
// channel would (Admit, then JoinSite with what it hands over).
func joinVia(t *testing.T, admin *store.DB, as *store.Session, name string) *store.DB {
	t.Helper()
	ctx := t.Context()
	db, err := store.Create(ctx, t.TempDir()+"/"+name+".lifeboat", storetest.Passphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pub, _ := db.DevicePublicKey(ctx)
	adm, err := admin.Admit(ctx, as, pub, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.JoinSite(ctx, adm.SiteJoin); err != nil {
		t.Fatal(err)
	}
	return db
}

// exchange gives every store what the others hold, until none learns
// anything new.
func exchange(t *testing.T, dbs ...*store.DB) {
	t.Helper()
	for round := 0; ; round++ {
		moved := false
		for _, from := range dbs {
			for _, to := range dbs {
				have, err := to.VersionVector(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				evs, err := from.EventsAfter(t.Context(), have, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) > 0 && mustApply(t, to, evs).Applied > 0 {
					moved = true
				}
			}
		}
		if !moved {
			return
		}
		if round > 10 {
			t.Fatal("stores do not converge")
		}
	}
}

func ring(t *testing.T, db *store.DB) [][]byte {
	t.Helper()
	keys, err := db.SiteKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func advance(t *testing.T, dbs ...*store.DB) bool {
	t.Helper()
	any := false
	for _, db := range dbs {
		st, err := db.AdvanceSiteKeys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := ring(t, db); len(st.Ring) != len(want) || !bytes.Equal(st.Ring[0], want[0]) {
			t.Fatalf("AdvanceSiteKeys returned a ring of %d keys, SiteKeys %d", len(st.Ring), len(want))
		}
		any = any || st.Changed
	}
	return any
}

// TestRevoke_RotatesTheSiteKey: revoking a device gives the others a new
// site key that only they can open, and they move to it through install,
// use and retire, ending with the new key alone; the revoked device, even
// with every event in hand, is left with the old key.
func TestRevoke_RotatesTheSiteKey(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b := joinVia(t, a, as, "laptop")
	lost := joinVia(t, a, as, "phone")
	exchange(t, a, b, lost)
	old := ring(t, a)
	if len(old) != 1 || !bytes.Equal(ring(t, b)[0], old[0]) || !bytes.Equal(ring(t, lost)[0], old[0]) {
		t.Fatal("the ward does not start on one shared key")
	}
	lostID, _ := lost.Device(ctx)
	if err := a.Revoke(ctx, as, lostID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	aID, _ := a.Device(ctx)
	if err := a.Revoke(ctx, as, aID, "oops"); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("revoking this device itself: %v, want ErrInvalid", err)
	}
	bID, _ := b.Device(ctx)
	rots, err := a.KeyRotations(ctx)
	if err != nil || len(rots) != 1 || rots[0].Step != "install" || len(rots[0].Waiting) != 1 || rots[0].Waiting[0] != bID {
		t.Fatalf("rotations after revoke = %+v, %v; want one waiting for the laptop to install (the admin device took its step)", rots, err)
	}
	if r := ring(t, a); len(r) != 2 || !bytes.Equal(r[0], old[0]) {
		t.Fatalf("the admin device's ring after revoking: %d keys; want the old key primary and the new one installed", len(r))
	}
	// Step by step: the ward never loses a key in common, and gets there.
	var steps []string
	for round := 0; round < 10 && (len(ring(t, a)) > 1 || len(ring(t, b)) > 1 || bytes.Equal(ring(t, a)[0], old[0])); round++ {
		advance(t, a, b)
		exchange(t, a, b)
		ra, rb := ring(t, a), ring(t, b)
		if !hasKey(rb, ra[0]) || !hasKey(ra, rb[0]) {
			t.Fatalf("round %d: a and b cannot read each other", round)
		}
		rots, _ = a.KeyRotations(ctx)
		steps = append(steps, rots[0].Step)
	}
	ra, rb := ring(t, a), ring(t, b)
	if len(ra) != 1 || len(rb) != 1 || !bytes.Equal(ra[0], rb[0]) || bytes.Equal(ra[0], old[0]) {
		t.Fatalf("after the rotation a has %d keys, b %d; want the same new key alone (steps %v)", len(ra), len(rb), steps)
	}
	if rots[0].Step != "done" {
		t.Errorf("rotation step = %s, want done (steps %v)", rots[0].Step, steps)
	}
	advance(t, a, b) // forgets the retired key
	if advance(t, a, b) {
		t.Error("AdvanceSiteKeys still changes something after the rotation was done")
	}

	// The lost phone gets every event (as if it still synced): it cannot
	// open the new key and still holds only the old one.
	exchange(t, a, lost)
	advance(t, lost)
	if rl := ring(t, lost); len(rl) != 1 || !bytes.Equal(rl[0], old[0]) {
		t.Errorf("the revoked device's keyring changed")
	}
	if rots, _ := lost.KeyRotations(ctx); len(rots) != 1 || !rots[0].Missed {
		t.Errorf("the revoked device's view of the rotation = %+v, want missed", rots)
	}
	// Views are the same everywhere (the key events are in the log).
	la, _ := digests(t, a)
	lb, _ := digests(t, b)
	if la != lb {
		t.Error("logs differ after the rotation")
	}
}

// TestRevoke_RotationWaitsForADeviceSwitchedOff: a device away during
// the rotation keeps the ward on the old key (so it can rejoin and catch
// up) until it has installed the new one.
func TestRevoke_RotationWaitsForADeviceSwitchedOff(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b := joinVia(t, a, as, "laptop")
	away := joinVia(t, a, as, "ward pc")
	lost := joinVia(t, a, as, "phone")
	exchange(t, a, b, away, lost)
	old := ring(t, a)[0]
	lostID, _ := lost.Device(ctx)
	if err := a.Revoke(ctx, as, lostID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		advance(t, a, b)
		exchange(t, a, b)
	}
	for _, db := range []*store.DB{a, b} {
		if r := ring(t, db); !bytes.Equal(r[0], old) || len(r) != 2 {
			t.Fatalf("with a device away the ward moved off the old key (%d keys)", len(r))
		}
	}
	awayID, _ := away.Device(ctx)
	if rots, _ := a.KeyRotations(ctx); rots[0].Step != "install" || len(rots[0].Waiting) != 1 || rots[0].Waiting[0] != awayID {
		t.Fatalf("rotation = %+v, want waiting for the device away", rots[0])
	}
	// It comes back, catches up and the ward completes the rotation.
	for round := 0; round < 10 && (len(ring(t, a)) > 1 || len(ring(t, away)) > 1); round++ {
		exchange(t, a, b, away)
		advance(t, a, b, away)
	}
	exchange(t, a, b, away)
	for _, db := range []*store.DB{a, b, away} {
		if r := ring(t, db); len(r) != 1 || bytes.Equal(r[0], old) {
			t.Errorf("after the device came back a keyring has %d keys", len(r))
		}
	}
}

// TestRevoke_DeviceEnrolledDuringTheRotationGetsTheKey: a device enrolled
// through an admin device that had not yet heard of a rotation is given
// only the old key; once that admin device has the new key it hands it
// over before taking its own first step, the ward waits for the new device
// too, and all end on the new key, never without a key in common.
func TestRevoke_DeviceEnrolledDuringTheRotationGetsTheKey(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b := joinVia(t, a, as, "laptop")
	lost := joinVia(t, a, as, "phone")
	exchange(t, a, b, lost)
	bs, err := b.SignIn(ctx, as.User.ID, storetest.AdminPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnlockAdmin(ctx, bs, storetest.AdminPassphrase); err != nil {
		t.Fatal(err)
	}
	old := ring(t, a)[0]
	lostID, _ := lost.Device(ctx)
	if err := a.Revoke(ctx, as, lostID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	// The laptop has not heard of the revocation when it enrols a ward PC.
	late := joinVia(t, b, bs, "ward pc")
	if r := ring(t, late); len(r) != 1 || !bytes.Equal(r[0], old) {
		t.Fatalf("the ward PC starts with %d keys, want the old key alone", len(r))
	}
	lateID, _ := late.Device(ctx)
	waitedFor := false
	devs := []*store.DB{a, b, late}
	for round := 0; round < 12; round++ {
		exchange(t, devs...)
		advance(t, devs...)
		for _, x := range devs {
			for _, y := range devs {
				if !hasKey(ring(t, x), ring(t, y)[0]) {
					t.Fatalf("round %d: a device cannot read what another sends", round)
				}
			}
		}
		rots, _ := a.KeyRotations(ctx)
		waitedFor = waitedFor || slices.Contains(rots[0].Waiting, lateID)
	}
	if !waitedFor {
		t.Error("the rotation never waited for the ward PC")
	}
	want := ring(t, a)
	for i, db := range devs {
		if r := ring(t, db); len(r) != 1 || bytes.Equal(r[0], old) || !bytes.Equal(r[0], want[0]) {
			t.Errorf("device %d ends with %d keys, want the new key alone", i, len(r))
		}
		if rots, _ := db.KeyRotations(ctx); rots[0].Step != "done" || rots[0].Missed {
			t.Errorf("device %d sees the rotation as %+v, want done and not missed", i, rots[0])
		}
	}
}

// TestAdmit_RefusedDuringAKeyChange: a device that knows of a key change
// under way enrols no one until it has finished (the new device could hold
// keys the ward drops before it is counted), and writes nothing trying.
func TestAdmit_RefusedDuringAKeyChange(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b := joinVia(t, a, as, "laptop")
	lost := joinVia(t, a, as, "phone")
	exchange(t, a, b, lost)
	lostID, _ := lost.Device(ctx)
	if err := a.Revoke(ctx, as, lostID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	if err := a.CanEnrol(ctx); !errors.Is(err, store.ErrKeyChangeUnderWay) {
		t.Fatalf("CanEnrol during the change = %v, want ErrKeyChangeUnderWay", err)
	}
	before, _ := a.VersionVector(ctx)
	pc, err := store.Create(ctx, t.TempDir()+"/pc.lifeboat", storetest.Passphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pub, _ := pc.DevicePublicKey(ctx)
	if _, err := a.Admit(ctx, as, pub, "ward pc"); !errors.Is(err, store.ErrKeyChangeUnderWay) {
		t.Fatalf("Admit during the change = %v, want ErrKeyChangeUnderWay", err)
	}
	if after, _ := a.VersionVector(ctx); !maps.Equal(before, after) {
		t.Error("a refused Admit wrote to the log")
	}
	for range 6 {
		advance(t, a, b)
		exchange(t, a, b)
	}
	if err := a.CanEnrol(ctx); err != nil {
		t.Fatalf("CanEnrol after the change = %v", err)
	}
	if _, err := a.Admit(ctx, as, pub, "ward pc"); err != nil {
		t.Fatalf("Admit after the change: %v", err)
	}
}

func hasKey(ring [][]byte, k []byte) bool {
	for _, x := range ring {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}
