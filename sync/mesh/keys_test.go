package mesh_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// recorder keeps every log message, for tests that look for a line.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func oneKey(n *node) ([]byte, bool) {
	ring := n.Keyring()
	if len(ring) != 1 {
		return nil, false
	}
	return ring[0], true
}

// onNewKeyAlone waits until every node holds one key, the same one, and
// not old.
func onNewKeyAlone(t *testing.T, old []byte, nodes ...*node) {
	t.Helper()
	waitFor(t, 30*time.Second, "every device on the new key alone", func() (bool, string) {
		var state []string
		var first []byte
		ok := true
		for _, n := range nodes {
			k, one := oneKey(n)
			state = append(state, fmt.Sprintf("%d keys", len(n.Keyring())))
			if !one || bytes.Equal(k, old) || (first != nil && !bytes.Equal(k, first)) {
				ok = false
			}
			first = k
		}
		return ok, strings.Join(state, ", ")
	})
}

// TestNode_RevocationRotatesTheSiteKey: revoking a lost laptop moves the
// other three devices to a new site key (install, use, retire) with no
// one losing touch; afterwards the laptop, which still holds the old key,
// cannot even open a connection to the ward (its messages fail to
// decrypt), while a remaining device restarted on the new key rejoins.
func TestNode_RevocationRotatesTheSiteKey(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, c, lost := s.device(true), s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	log := &recorder{}
	a := s.start(s.founder, nil, func(cfg *mesh.Config) { cfg.Logger = slog.New(log) })
	nb := s.start(b, []string{a.Addr()})
	s.start(c, []string{a.Addr()})
	nl := s.start(lost, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, c, lost)
	old, _ := oneKey(a)

	if err := s.founder.Revoke(ctx, s.admin, nl.Device(), "laptop lost"); err != nil {
		t.Fatal(err)
	}
	nodes := []*node{a, nb}
	var newKey []byte
	waitFor(t, 30*time.Second, "the ward moves to one new key", func() (bool, string) {
		var state []string
		newKey = nil
		done := true
		for _, n := range nodes {
			st := n.Status()
			k, one := oneKey(n)
			state = append(state, fmt.Sprintf("%d keys %+v", st.Keys, st.KeyRotations))
			if !one || bytes.Equal(k, old) || (newKey != nil && !bytes.Equal(k, newKey)) ||
				len(st.KeyRotations) != 1 || st.KeyRotations[0].Step != "done" {
				done = false
				continue
			}
			newKey = k
		}
		return done, strings.Join(state, "; ")
	})
	// C too (it is not in nodes above only to keep the state short); it
	// may retire the old key a moment after A and B do.
	waitFor(t, 10*time.Second, "C on the new key alone", func() (bool, string) {
		keys, err := c.SiteKeys(ctx)
		return err == nil && len(keys) == 1 && bytes.Equal(keys[0], newKey), fmt.Sprintf("%d keys, %v", len(keys), err)
	})
	if keys, _ := lost.SiteKeys(ctx); len(keys) != 1 || !bytes.Equal(keys[0], old) {
		t.Errorf("the lost laptop's keyring changed: it must never see the new key")
	}

	// The lost laptop is switched on again with its old key. (A minute on,
	// so that A's log, which says one line per host and minute, is free to
	// say what happens: every node here is on 127.0.0.1.)
	nl.stop()
	s.clock.Advance(mesh.DefaultNoiseInterval + time.Second)
	nl2 := s.start(lost, []string{a.Addr()})
	// The laptop keeps trying to join; A logs one line per host and
	// minute, so if another line from 127.0.0.1 took this minute's (under
	// load, a late one about the laptop's old address can), the clock
	// moves on a minute at a time until the failure is logged.
	moved := time.Now()
	waitFor(t, 30*time.Second, "A cannot read the lost laptop's messages", func() (bool, string) {
		if log.has("no installed keys could decrypt") {
			return true, ""
		}
		if time.Since(moved) > time.Second {
			s.clock.Advance(mesh.DefaultNoiseInterval + time.Second)
			moved = time.Now()
		}
		return false, "no decryption failure logged"
	})
	if peers := nl2.Status().Peers; len(peers) != 0 {
		t.Errorf("the lost laptop joined %d peers with the old key", len(peers))
	}

	// A remaining device restarted reads its new key from its store and
	// rejoins: a record made afterwards reaches it.
	nb.stop()
	s.start(b, []string{a.Addr()})
	storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("After", "Rotation", "1970-01-01", "", storetest.T0))
	_, n1 := digest(t, s.founder)
	converged(t, 30*time.Second, n1, s.founder, b, c)
}

// TestNode_RotationWaitsForADeviceSwitchedOff: a ward PC switched off
// during a revocation keeps the ward on the old key (for reading and
// sending) until it is back and has the new one; then all finish.
func TestNode_RotationWaitsForADeviceSwitchedOff(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, off, lost := s.device(true), s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	s.start(b, []string{a.Addr()})
	noff := s.start(off, []string{a.Addr()})
	nl := s.start(lost, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, off, lost)
	old, _ := oneKey(a)
	noff.stop()
	nl.stop()

	if err := s.founder.Revoke(ctx, s.admin, nl.Device(), "phone lost"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "A and B install the new key and wait for the PC", func() (bool, string) {
		st := a.Status()
		ok := len(st.KeyRotations) == 1 && st.KeyRotations[0].Step == "install" &&
			len(st.KeyRotations[0].Waiting) == 1 && st.KeyRotations[0].Waiting[0] == noff.Device()
		return ok && st.Keys == 2 && bytes.Equal(a.Keyring()[0], old), fmt.Sprintf("%d keys %+v", st.Keys, st.KeyRotations)
	})
	storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("While", "Away", "1970-01-01", "", storetest.T0))

	// Back on, with only the old key: it rejoins, catches up, and the
	// ward completes the rotation.
	nback := s.start(off, []string{a.Addr()})
	onNewKeyAlone(t, old, a, nback)
	_, n1 := digest(t, s.founder)
	converged(t, 30*time.Second, n1, s.founder, b, off)
	if keys, _ := b.SiteKeys(ctx); len(keys) != 1 || !bytes.Equal(keys[0], a.Keyring()[0]) {
		t.Errorf("B's store keys after the rotation: %d", len(keys))
	}
}

// TestNode_EnrolledThroughAnotherAdminDuringARotation: a ward PC is
// enrolled through the laptop (not the founding device) while the laptop
// is switched off and has not heard that the phone was revoked. The PC
// gets the old key only, and the founding device's events come from a
// device that did not vouch for it. Back on, the laptop hands the PC the
// new key, the ward waits for it, and all three end on the new key alone
// with identical logs.
func TestNode_EnrolledThroughAnotherAdminDuringARotation(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	laptop, lost := s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	nb := s.start(laptop, []string{a.Addr()})
	nl := s.start(lost, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, laptop, lost)
	old, _ := oneKey(a)
	nb.stop()
	nl.stop()
	if err := s.founder.Revoke(ctx, s.admin, nl.Device(), "phone lost"); err != nil {
		t.Fatal(err)
	}

	// The laptop, offline, enrols the PC as its enrolment screen would.
	ls, err := laptop.SignIn(ctx, s.admin.User.ID, storetest.AdminPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := laptop.UnlockAdmin(ctx, ls, storetest.AdminPassphrase); err != nil {
		t.Fatal(err)
	}
	pc, err := store.Create(ctx, filepath.Join(t.TempDir(), "pc.lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{Now: s.clock.Now, NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	pub, _ := pc.DevicePublicKey(ctx)
	adm, err := laptop.Admit(ctx, ls, pub, "ward pc")
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.JoinSite(ctx, adm.SiteJoin); err != nil {
		t.Fatal(err)
	}
	if keys, _ := pc.SiteKeys(ctx); len(keys) != 1 || !bytes.Equal(keys[0], old) {
		t.Fatalf("the PC was given %d keys, want the old key alone", len(keys))
	}

	nb = s.start(laptop, []string{a.Addr()})
	npc := s.start(pc, []string{nb.Addr()})
	onNewKeyAlone(t, old, a, nb, npc)
	_, n1 := digest(t, s.founder)
	converged(t, 30*time.Second, n1, s.founder, laptop, pc)
	if st := npc.Status(); len(st.Quarantined) > 0 {
		t.Errorf("the PC quarantined %d events, first: %s", len(st.Quarantined), st.Quarantined[0].Refusal.Reason)
	}
}
