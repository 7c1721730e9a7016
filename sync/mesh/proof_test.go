package mesh_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// impostor runs a device's store under another device's name and key
// fingerprint: what a stolen device announces to pass for one that is
// switched off. It signs with its own key (it has no other).
type impostor struct {
	*store.DB
	id  string
	pub ed25519.PublicKey
}

func (i impostor) Device(context.Context) (string, error) { return i.id, nil }

func (i impostor) DevicePublicKey(context.Context) (ed25519.PublicKey, error) { return i.pub, nil }

// TestNode_RevokedImpostorOfASwitchedOffDeviceGetsNothing: a revoked
// laptop, still holding the site key (the rotation waits for a PC that is
// switched off) and its own real key, announces the PC's name and key
// fingerprint. It gets no event, none of its events is taken (not even
// quarantined: nothing of it is pulled), and the honest ward keeps
// syncing.
//
// Fails on main before this change: the alive delegate admits the
// impostor on the PC's name and fingerprint; A and B list it as a peer,
// serve it ("event made after the revocation reached the impostor") and
// take its planted record ("the impostor's event on A: err = <nil>").
func TestNode_RevokedImpostorOfASwitchedOffDeviceGetsNothing(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, off, lost := s.device(true), s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	noff := s.start(off, []string{a.Addr()})
	nl := s.start(lost, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, off, lost)
	offID := noff.Device()
	offPub, err := off.DevicePublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	thief := s.signIn(lost)
	noff.stop()
	nl.stop()

	if err := s.founder.Revoke(ctx, s.admin, nl.Device(), "laptop lost"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "A's key rotation waits for the PC", func() (bool, string) {
		st := a.Status()
		return len(st.KeyRotations) == 1 && len(st.KeyRotations[0].Waiting) == 1 && st.KeyRotations[0].Waiting[0] == offID,
			fmt.Sprintf("%+v", st.KeyRotations)
	})
	// The thief records on the laptop, then starts it as the PC.
	own := storetest.MustAppend(t, lost, thief, storetest.PatientDraft("Planted", "Record", "1960-01-01", "", storetest.T0))
	s.start(impostor{DB: lost, id: offID, pub: offPub}, []string{a.Addr()})
	waitFor(t, 30*time.Second, "A refuses the impostor's proof", func() (bool, string) {
		_, ok := a.Status().RefusedPeers[offID]
		return ok, fmt.Sprint(a.Status().RefusedPeers)
	})

	// The ward goes on: records made now reach B, not the impostor.
	later := storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("After", "Theft", "1970-01-01", "", storetest.T0))
	_, n1 := digest(t, s.founder)
	converged(t, 30*time.Second, n1, s.founder, b)
	storetest.MustAppend(t, b, s.signIn(b), storetest.PatientDraft("From", "B", "1971-01-01", "", storetest.T0))
	_, n2 := digest(t, b)
	converged(t, 30*time.Second, n2, s.founder, b)

	if _, err := lost.Event(ctx, later.ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("event made after the revocation reached the impostor: err = %v, want not found", err)
	}
	for name, n := range map[string]*node{"A": a, "B": nb} {
		for _, q := range n.Status().Quarantined {
			if q.ID == own.ID {
				t.Errorf("%s pulled the impostor's event (quarantined: %s)", name, q.Reason)
			}
		}
		for _, p := range n.Status().Peers {
			if p.Device == offID {
				t.Errorf("%s lists the impostor as a peer", name)
			}
		}
	}
	for name, db := range map[string]*store.DB{"A": s.founder, "B": b} {
		if _, err := db.Event(ctx, own.ID); !errors.Is(err, lifeboat.ErrNotFound) {
			t.Errorf("the impostor's event on %s: err = %v, want not found", name, err)
		}
	}
	if why := a.Status().RefusedPeers[offID]; !strings.Contains(why, mesh.ErrUnproven.Error()) {
		t.Errorf("A's reason for refusing the impostor = %q, want %q", why, mesh.ErrUnproven)
	}
}
