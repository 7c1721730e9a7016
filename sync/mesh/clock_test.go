package mesh_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

var y2099 = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

// clockedDevice is site.device for a device whose store reads its own
// wall clock (one set wrong).
func (s *site) clockedDevice(now func() time.Time) *store.DB {
	s.t.Helper()
	ctx := context.Background()
	db, err := store.Create(ctx, filepath.Join(s.t.TempDir(), "device.lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{Now: now, NoBackup: true})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { db.Close() })
	pub, _ := db.DevicePublicKey(ctx)
	if _, err := s.founder.Enrol(ctx, s.admin, pub, "laptop with a wrong clock"); err != nil {
		s.t.Fatal(err)
	}
	apub, _ := s.founder.DevicePublicKey(ctx)
	keys, err := s.founder.SiteKeys(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	info, _ := s.founder.Site(ctx)
	if err := db.JoinSite(ctx, store.SiteJoin{SiteID: info.SiteID, SiteName: info.SiteName, Ward: info.Ward, Anchor: apub, SiteKeys: keys}); err != nil {
		s.t.Fatal(err)
	}
	return db
}

// shortBackoff asks again soon for a device whose events were refused
// (held), so events made after the first refusal are seen within a test.
func shortBackoff(c *mesh.Config) { c.RefusalBackoff = 200 * time.Millisecond }

// clockHeld counts the events of device a node's status lists as held
// for a clock far ahead.
func clockHeld(n *node, device string) int {
	k := 0
	for _, q := range n.Status().Quarantined {
		if lifeboat.DeviceOf(q.Device) == device && errors.Is(q.Err, lifeboat.ErrClockAhead) && lifeboat.ClockAheadReason(q.Reason) {
			k++
		}
	}
	return k
}

// stampedNow appends a local event on db and checks its HLC is the test
// wall time, not dragged ahead by a peer.
func (s *site) stampedNow(t *testing.T, name string, db *store.DB) {
	t.Helper()
	e := storetest.MustAppend(t, db, s.signIn(db), storetest.PatientDraft("Local", name, "1970-01-01", "", storetest.T0))
	if got, want := e.HLC.Time(), s.clock.Now(); !got.Equal(want) {
		t.Errorf("new event on %s stamped %v, want the wall time %v (the clock was dragged by a peer)", name, got, want)
	}
}

// A device whose clock jumps to 2099 records an event: every peer holds
// it, no peer's clock moves, and every honest event (its own before the
// jump, and the others') still reaches every device. Fails on main before
// this change: A and B applied the 2099 event (nothing was held) and
// their next events were stamped 2099.
func TestNode_Year2099EventHeldOnEveryPeerClocksUnmoved(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b := s.device(true)
	var jumped atomic.Bool
	dnow := func() time.Time {
		if jumped.Load() {
			return y2099
		}
		return s.clock.Now()
	}
	d := s.clockedDevice(dnow)
	ward(t, s.founder, s.admin, 2)
	a := s.start(s.founder, nil, shortBackoff)
	nb := s.start(b, []string{a.Addr()}, shortBackoff)
	dev := s.start(d, []string{a.Addr()}, shortBackoff, func(c *mesh.Config) { c.Now = dnow }).Device()
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, d)
	ward(t, d, s.signIn(d), 1) // honest, before the jump
	converged(t, 20*time.Second, n0+3, s.founder, b, d)

	jumped.Store(true)
	pts, err := d.Patients(ctx, "")
	if err != nil || len(pts) == 0 {
		t.Fatalf("Patients on D = %v, %v", pts, err)
	}
	far := storetest.MustAppend(t, d, s.signIn(d), storetest.ObsDraft(pts[0].ID, 18, 95, 110, 80, 37.5, storetest.T0))
	if far.HLC.Time().Year() != 2099 {
		t.Fatalf("D's event stamped %v, want 2099", far.HLC)
	}
	ward(t, b, s.signIn(b), 1) // honest, after it

	for name, n := range map[string]*node{"A": a, "B": nb} {
		waitFor(t, 60*time.Second, name+" holds D's 2099 event", func() (bool, string) {
			return clockHeld(n, dev) == 1, fmt.Sprintf("%+v", n.Status().Quarantined)
		})
	}
	converged(t, 20*time.Second, n0+6, s.founder, b)
	waitFor(t, 20*time.Second, "D receives B's events", func() (bool, string) {
		_, n := digest(t, d)
		return n == n0+7, fmt.Sprintf("%d events, want %d", n, n0+7)
	})
	for name, db := range map[string]*store.DB{"A": s.founder, "B": b} {
		if _, err := db.Event(ctx, far.ID); !errors.Is(err, lifeboat.ErrNotFound) {
			t.Errorf("2099 event on %s: err = %v, want not found (held)", name, err)
		}
		s.stampedNow(t, name, db)
	}
}

// A device 3 h fast: its events are held on every peer and move no
// peer's clock; the others' events still flow; once wall time catches up
// every held event applies and leaves the quarantine (nothing honest is
// lost). Fails on main before this change: its events applied at once
// and dragged A's and B's clocks 3 h ahead.
func TestNode_DeviceThreeHoursFastHeldThenApplied(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	fast := func() time.Time { return s.clock.Now().Add(3 * time.Hour) }
	d := s.clockedDevice(fast)
	ward(t, s.founder, s.admin, 2)
	a := s.start(s.founder, nil, shortBackoff)
	nb := s.start(b, []string{a.Addr()}, shortBackoff)
	dev := s.start(d, []string{a.Addr()}, shortBackoff, func(c *mesh.Config) { c.Now = fast }).Device()
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, d)

	ward(t, d, s.signIn(d), 2) // 6 events stamped 3 h ahead
	ward(t, b, s.signIn(b), 1)
	for name, n := range map[string]*node{"A": a, "B": nb} {
		waitFor(t, 60*time.Second, name+" holds D's 6 events", func() (bool, string) {
			return clockHeld(n, dev) == 6, fmt.Sprintf("%+v", n.Status().Quarantined)
		})
		for chain, v := range n.Status().Vector {
			if lifeboat.DeviceOf(chain) == dev && lifeboat.ScopeOf(chain) != lifeboat.ScopeSite && v != 0 {
				t.Errorf("%s's vector for D's chain %s = %d, want 0 (all held)", name, chain, v)
			}
		}
	}
	converged(t, 20*time.Second, n0+3, s.founder, b)
	for name, db := range map[string]*store.DB{"A": s.founder, "B": b} {
		s.stampedNow(t, name, db)
	}

	// Wall time catches up: everything applies, on every device.
	s.clock.Advance(3 * time.Hour)
	converged(t, 30*time.Second, n0+3+6+2, s.founder, b, d)
	for name, n := range map[string]*node{"A": a, "B": nb} {
		waitFor(t, 10*time.Second, name+" empties its quarantine", func() (bool, string) {
			st := n.Status()
			return st.QuarantinedTotal == 0, fmt.Sprintf("%+v", st.Quarantined)
		})
	}
}
