package mesh_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// *store.DB is the store the mesh runs on.
var _ mesh.Store = (*store.DB)(nil)

// day is the date of the test clock; doses due earlier today are past.
var day = storetest.T0.Truncate(24 * time.Hour)

// site is a founding store and what it takes to add devices to its site.
type site struct {
	t       testing.TB
	clock   *storetest.Clock
	founder *store.DB
	admin   *store.Session
	faults  *faults
}

func newSite(t testing.TB) *site {
	t.Helper()
	clock := storetest.NewClock(storetest.T0.Add(15 * time.Hour))
	db, s := storetest.MustInit(t, store.Options{Now: clock.Now, NoBackup: true})
	return &site{t: t, clock: clock, founder: db, admin: s, faults: newFaults()}
}

// device makes a store for a new device of the site (enrolled by the
// founder unless enrol is false) through Create and JoinSite, as
// enrolment does.
func (s *site) device(enrol bool) *store.DB {
	s.t.Helper()
	ctx := context.Background()
	db, err := store.Create(ctx, filepath.Join(s.t.TempDir(), "device.lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{Now: s.clock.Now, NoBackup: true})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { db.Close() })
	pub, _ := db.DevicePublicKey(ctx)
	if enrol {
		if _, err := s.founder.Enrol(ctx, s.admin, pub, "ward laptop"); err != nil {
			s.t.Fatal(err)
		}
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

// signIn signs the site's admin in on a device that has synced the users.
func (s *site) signIn(db *store.DB) *store.Session {
	s.t.Helper()
	sess, err := db.SignIn(context.Background(), s.admin.User.ID, storetest.AdminPIN, "")
	if err != nil {
		s.t.Fatalf("SignIn: %v", err)
	}
	return sess
}

// quietHandler drops memberlist's own lines (MESH_LOG=mesh).
type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	drop := false
	r.Attrs(func(a slog.Attr) bool {
		drop = drop || (a.Key == "source" && a.Value.String() == "memberlist")
		return !drop
	})
	if drop {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("MESH_LOG") == "mesh" {
		return slog.New(quietHandler{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})})
	}
	if os.Getenv("MESH_LOG") == "warn" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if os.Getenv("MESH_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// node is a running mesh node and the way to stop it.
type node struct {
	*mesh.Node
	db   mesh.Store
	stop func()
}

// start runs a node on 127.0.0.1 with a free port, short intervals and a
// fault-injecting transport; it is stopped when the test ends.
func (s *site) start(db mesh.Store, join []string, tune ...func(*mesh.Config)) *node {
	s.t.Helper()
	cfg := mesh.Config{
		Store: db, Logger: testLogger(s.t), BindAddr: "127.0.0.1", BindPort: 0, Join: join,
		ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, GossipInterval: 20 * time.Millisecond,
		PushPullInterval: 500 * time.Millisecond, TCPTimeout: time.Second,
		AnnounceDelay: 20 * time.Millisecond, SyncInterval: 100 * time.Millisecond, RequestTimeout: 2 * time.Second,
		ReconnectInterval: 200 * time.Millisecond,
		WrapTransport:     s.faults.wrap,
	}
	for _, f := range tune {
		f(&cfg)
	}
	n, err := mesh.New(cfg)
	if err != nil {
		s.t.Fatalf("mesh.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				s.t.Errorf("Run: %v", err)
			}
		})
	}
	s.t.Cleanup(stop)
	return &node{Node: n, db: db, stop: stop}
}

func digest(t testing.TB, db *store.DB) (string, int) {
	t.Helper()
	d, n, err := db.LogDigest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d, n
}

// waitFor polls cond until it holds or the deadline passes. It waits
// 10 ms between polls, or twice as long as a poll took, up to a second (a
// hospital's poll reads hundreds of stores: polling must not take the CPU
// the nodes need). With -v, a long wait logs where it is every 30 s.
func waitFor(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	start := time.Now()
	deadline, report := start.Add(within), start.Add(30*time.Second)
	for {
		began := time.Now()
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %s", what, within, state)
		}
		if time.Now().After(report) && testing.Verbose() {
			t.Logf("%s: %v: %s", what, time.Since(start).Round(time.Second), state)
			report = time.Now().Add(30 * time.Second)
		}
		time.Sleep(min(max(10*time.Millisecond, 2*time.Since(began)), time.Second))
	}
}

// converged waits until every store holds an identical log of at least
// min events.
func converged(t testing.TB, within time.Duration, min int, dbs ...*store.DB) string {
	t.Helper()
	var want string
	waitFor(t, within, "identical logs", func() (bool, string) {
		var ds []string
		var ns []int
		for _, db := range dbs {
			d, n := digest(t, db)
			ds, ns = append(ds, d[:8]), append(ns, n)
		}
		for i := range ds {
			if ds[i] != ds[0] || ns[i] < min {
				return false, fmt.Sprintf("digests %v, events %v", ds, ns)
			}
		}
		want = ds[0]
		return true, ""
	})
	return want
}

// ward records a few patients with observations on db.
func ward(t testing.TB, db *store.DB, s *store.Session, patients int) {
	t.Helper()
	for i := range patients {
		p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Patient", string(rune('A'+i)), "1950-01-01", "", storetest.T0))
		storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "Ward 7", fmt.Sprintf("Bed %d", i+1), storetest.T0))
		storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 16, 96, 120, 72, 37, storetest.T0))
	}
}

func TestNode_ThreeNodesConverge(t *testing.T) {
	s := newSite(t)
	b, c := s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 3)
	a := s.start(s.founder, nil)
	s.start(b, []string{a.Addr()})
	nc := s.start(c, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, c)

	// New events on any device reach every other promptly (announced,
	// not left to the next push/pull).
	bs := s.signIn(b)
	ward(t, b, bs, 1)
	cs := s.signIn(c)
	ward(t, c, cs, 1)
	converged(t, 30*time.Second, n0+6, s.founder, b, c)

	// The logs are identical; C's status follows once the peers'
	// announcements of their newest vectors reach it.
	waitFor(t, 20*time.Second, "C's status shows two peers, fully synced", func() (bool, string) {
		st := nc.Status()
		ok := len(st.Peers) == 2 && st.Synced() && st.Progress() == 1 && st.Received > 0 && !st.LastSync.IsZero()
		return ok, fmt.Sprintf("%d peers, synced %v, progress %v, received %d, last sync %v",
			len(st.Peers), st.Synced(), st.Progress(), st.Received, st.LastSync)
	})
	st := nc.Status()
	if len(st.Quarantined) != 0 {
		t.Errorf("Status().Quarantined = %+v, want none", st.Quarantined)
	}
}

func TestNode_LateJoinerThroughAPeerItDoesNotKnowYet(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 5)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b)

	// D arrives later and is pointed at B, which it cannot admit until it
	// has learnt of B's enrolment from A (its anchor).
	d := s.device(true)
	s.start(d, []string{nb.Addr(), a.Addr()})
	_, n1 := digest(t, s.founder)
	converged(t, 20*time.Second, n1, s.founder, b, d)
}

// stalling is a store whose first ApplyPrepared commits and then hangs
// until the node is stopped: a node stopped in the middle of a sync.
type stalling struct {
	*store.DB
	applied chan struct{}
	once    sync.Once
}

func (s *stalling) ApplyPrepared(ctx context.Context, p lifeboat.PreparedBatch) (lifeboat.ApplyResult, error) {
	res, err := s.DB.ApplyPrepared(ctx, p)
	s.once.Do(func() { close(s.applied) })
	<-ctx.Done()
	return res, err
}

// bulk enrols a test device on db and applies n of its signed
// observations (faster than Append for big logs).
func bulk(t testing.TB, db *store.DB, admin *store.Session, n int) {
	t.Helper()
	ctx := context.Background()
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, admin, dev.Pub, "bulk"); err != nil {
		t.Fatal(err)
	}
	pid := "patient-" + dev.ID
	reg, _ := json.Marshal(forms.Patient{ID: pid, Surname: "Bulk", Given: "Test", BirthDate: "1960-01-01", TempID: "DT-" + dev.ID + "-1"})
	batch := []lifeboat.Event{dev.Next(admin.User.ID, forms.KindPatientRegistered, pid, reg, storetest.T0)}
	flush := func() {
		res, err := db.ApplyRemote(ctx, batch)
		if err != nil || len(res.Refused) > 0 || len(res.Held) > 0 {
			t.Fatalf("ApplyRemote = %+v, %v", res.Refused, err)
		}
		batch = batch[:0]
	}
	for i := 1; i < n; i++ {
		r, sp, pulse, temp, air := 12+i%10, 94+i%5, 60+i%40, 36.5+float64(i%10)/10, false
		obs, _ := json.Marshal(forms.Observations{PatientID: pid, RespRate: &r, SpO2: &sp, SpO2Scale: 1, OnOxygen: &air,
			Systolic: &pulse, Diastolic: &pulse, Pulse: &pulse, Consciousness: "A", TempC: &temp})
		batch = append(batch, dev.Next(admin.User.ID, forms.KindObsRecorded, pid, obs, storetest.T0.Add(time.Duration(i)*time.Second)))
		if len(batch) == 1000 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

func TestNode_RestartInTheMiddleOfASync(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	bulk(t, s.founder, s.admin, 2000)
	a := s.start(s.founder, nil)
	_, total := digest(t, s.founder)

	st := &stalling{DB: b, applied: make(chan struct{})}
	nb := s.start(st, []string{a.Addr()}, func(c *mesh.Config) { c.BatchEvents = 500 })
	select {
	case <-st.applied:
	case <-time.After(20 * time.Second):
		t.Fatal("no batch applied")
	}
	nb.stop()
	if _, got := digest(t, b); got == 0 || got >= total {
		t.Fatalf("events on B when stopped = %d, want some of %d", got, total)
	}
	// Back up on another port: it resumes from its version vector. If
	// B's goodbye did not reach A in time (a loaded machine, the race
	// detector), A lets B back in at a new address only once memberlist's
	// 30 s reclaim time has passed, so wait longer than that.
	nb2 := s.start(b, []string{a.Addr()})
	converged(t, 45*time.Second, total, s.founder, b)
	if q := nb2.Status().Quarantined; len(q) != 0 {
		t.Errorf("refused on resuming: %+v", q)
	}
}

func TestNode_WrongSiteKeyRefused(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 2)
	a := s.start(s.founder, nil)
	s.start(b, []string{a.Addr()})

	// An outsider enrolled in the registry but holding another site key.
	x := s.device(true)
	if err := x.SetSiteKeys(context.Background(), [][]byte{make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	nx := s.start(x, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b)

	// A later event reaches B; by then X has still heard nothing.
	ward(t, s.founder, s.admin, 1)
	converged(t, 30*time.Second, n0+3, s.founder, b)
	if _, n := digest(t, x); n != 0 {
		t.Errorf("events on a node with the wrong site key = %d, want 0", n)
	}
	if st := nx.Status(); len(st.Peers) != 0 {
		t.Errorf("peers of a node with the wrong site key = %+v, want none", st.Peers)
	}
	if st := a.Status(); len(st.Peers) != 1 {
		t.Errorf("A's peers = %+v, want only B", st.Peers)
	}
}

func TestNode_UnknownDeviceRefused(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	ward(t, s.founder, s.admin, 2)
	a := s.start(s.founder, nil)
	s.start(b, []string{a.Addr()})

	// X holds the site key (say, copied) but was never enrolled.
	x := s.device(false)
	nx := s.start(x, []string{a.Addr()})
	waitFor(t, 30*time.Second, "A refuses X", func() (bool, string) {
		why, ok := a.Status().RefusedPeers[nx.Device()]
		return ok && strings.Contains(why, "not enrolled"), fmt.Sprint(a.Status().RefusedPeers)
	})
	_, n0 := digest(t, s.founder)
	ward(t, s.founder, s.admin, 1)
	converged(t, 30*time.Second, n0+3, s.founder, b)
	if _, n := digest(t, x); n != 0 {
		t.Errorf("events on an unknown device = %d, want 0", n)
	}
	for _, p := range a.Status().Peers {
		if p.Device == nx.Device() {
			t.Errorf("A lists the unknown device as a peer")
		}
	}
}

// forger serves its own device's events with a corrupted signature.
type forger struct{ *store.DB }

func (f forger) EncodedAfter(ctx context.Context, have map[string]uint64, limit int) ([]lifeboat.EncodedEvent, error) {
	evs, err := f.DB.EncodedAfter(ctx, have, limit)
	self, _ := f.DB.Device(ctx)
	for i := range evs {
		if lifeboat.DeviceOf(evs[i].Device) == self {
			e, derr := lifeboat.DecodeEvent(evs[i].Bytes)
			if derr != nil {
				return nil, derr
			}
			sig := append([]byte(nil), e.Sig...)
			sig[0] ^= 0xff
			e.Sig = sig
			evs[i].Bytes = e.Encode()
		}
	}
	return evs, err
}

func TestNode_ForgedSignatureQuarantined(t *testing.T) {
	s := newSite(t)
	b, f := s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	s.start(forger{f}, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, f)

	fs := s.signIn(f)
	pts, err := f.Patients(context.Background(), "")
	if err != nil || len(pts) == 0 {
		t.Fatalf("Patients on F = %d, %v", len(pts), err)
	}
	forged := storetest.MustAppend(t, f, fs, storetest.ObsDraft(pts[0].ID, 14, 97, 120, 70, 37, storetest.T0))
	for name, n := range map[string]*node{"A": a, "B": nb} {
		waitFor(t, 30*time.Second, name+" quarantines the forged event", func() (bool, string) {
			for _, q := range n.Status().Quarantined {
				if q.ID == forged.ID && errors.Is(q.Err, store.ErrBadSignature) {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%+v", n.Status().Quarantined)
		})
	}
	for name, db := range map[string]*store.DB{"A": s.founder, "B": b} {
		if _, err := db.Event(context.Background(), forged.ID); !errors.Is(err, lifeboat.ErrNotFound) {
			t.Errorf("forged event on %s: err = %v, want not found", name, err)
		}
	}
}

func TestNode_QuarantineSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, f := s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()})
	nf := s.start(forger{f}, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, f)

	pts, _ := f.Patients(ctx, "")
	forged := storetest.MustAppend(t, f, s.signIn(f), storetest.ObsDraft(pts[0].ID, 14, 97, 120, 70, 37, storetest.T0))
	waitFor(t, 30*time.Second, "B quarantines the forged event", func() (bool, string) {
		st := nb.Status()
		return len(st.Quarantined) > 0 && st.Quarantined[0].ID == forged.ID, fmt.Sprintf("%+v", st.Quarantined)
	})
	nf.stop()

	// B stops, its store is closed and opened again, and B starts again.
	nb.stop()
	path := b.Path()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := store.Open(ctx, path, store.Options{Now: s.clock.Now, NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b2.Close() })
	if err := b2.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	nb2 := s.start(b2, []string{a.Addr()})
	st := nb2.Status()
	if len(st.Quarantined) != 1 || st.QuarantinedTotal != 1 || st.Quarantined[0].ID != forged.ID || st.Quarantined[0].Peer == "" ||
		!strings.Contains(st.Quarantined[0].Reason, "signature") {
		t.Fatalf("after a restart, Status().Quarantined = %+v (total %d), want the forged event", st.Quarantined, st.QuarantinedTotal)
	}

	// An IT admin discards it; the running node stops listing it.
	if err := b2.DiscardQuarantined(ctx, s.signIn(b2), forged.ID, "forged signature: reported"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "B forgets the discarded event", func() (bool, string) {
		st := nb2.Status()
		return len(st.Quarantined) == 0 && st.QuarantinedTotal == 0, fmt.Sprintf("%+v", st.Quarantined)
	})
}

// faults drops traffic between addresses on either side of a partition.
type faults struct {
	mu      sync.Mutex
	blocked map[[2]string]bool
}

func newFaults() *faults { return &faults{blocked: map[[2]string]bool{}} }

// partition cuts every link between the two groups of addresses.
func (f *faults) partition(left, right []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range left {
		for _, r := range right {
			f.blocked[[2]string{l, r}] = true
			f.blocked[[2]string{r, l}] = true
		}
	}
}

func (f *faults) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.blocked)
}

func (f *faults) cut(from, to string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocked[[2]string{from, to}]
}

func (f *faults) wrap(t memberlist.NodeAwareTransport, addr string) memberlist.Transport {
	return &faultyTransport{NodeAwareTransport: t, self: addr, f: f}
}

type faultyTransport struct {
	memberlist.NodeAwareTransport
	self string
	f    *faults
}

var errCut = errors.New("partitioned")

func (t *faultyTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if t.f.cut(t.self, addr) {
		return time.Now(), nil // lost on the wire
	}
	return t.NodeAwareTransport.WriteTo(b, addr)
}

func (t *faultyTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.f.cut(t.self, a.Addr) {
		return time.Now(), nil
	}
	return t.NodeAwareTransport.WriteToAddress(b, a)
}

func (t *faultyTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	if t.f.cut(t.self, addr) {
		return nil, errCut
	}
	return t.NodeAwareTransport.DialTimeout(addr, d)
}

func (t *faultyTransport) DialAddressTimeout(a memberlist.Address, d time.Duration) (net.Conn, error) {
	if t.f.cut(t.self, a.Addr) {
		return nil, errCut
	}
	return t.NodeAwareTransport.DialAddressTimeout(a, d)
}

func TestNode_PartitionAndHealSurfacesADoubleDose(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, c, d := s.device(true), s.device(true), s.device(true)
	w := forms.Ward{ID: "w7", Name: "Ward 7", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}}}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: storetest.T0, Payload: w})
	p := storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", storetest.T0))
	storetest.MustAppend(t, s.founder, s.admin, storetest.AdmitDraft(p.Subject, "w7", "b1", storetest.T0))
	order := forms.MedicationOrder{ID: "ord-1", PatientID: p.Subject, Drug: "Paracetamol 500 mg tablets", Dose: forms.MustQuantity("1"), DoseUnit: "g",
		Route: "oral", Frequency: "QDS", Start: day, Source: "entered"}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindMedOrdered, PerformedAt: storetest.T0, Payload: order})

	na := s.start(s.founder, nil)
	nodes := []*node{na, s.start(b, []string{na.Addr()}), s.start(c, []string{na.Addr()}), s.start(d, []string{na.Addr()})}
	dbs := []*store.DB{s.founder, b, c, d}
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, dbs...)
	cs := s.signIn(c)

	// A and B lose sight of C and D.
	s.faults.partition([]string{nodes[0].Addr(), nodes[1].Addr()}, []string{nodes[2].Addr(), nodes[3].Addr()})
	waitFor(t, 30*time.Second, "partition seen", func() (bool, string) {
		for i, n := range nodes {
			for _, p := range n.Status().Peers {
				for j, other := range nodes {
					if p.Device == other.Device() && (i < 2) != (j < 2) {
						return false, fmt.Sprintf("node %d still sees node %d", i, j)
					}
				}
			}
		}
		return true, ""
	})
	// Each side gives the noon dose.
	slot := forms.DueSlots(order, day, time.UTC)[1]
	dose := forms.Administration{OrderID: order.ID, PatientID: p.Subject, Slot: forms.SlotTime(slot.Time), Outcome: forms.OutcomeGiven, Dose: forms.MustQuantity("1")}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: dose})
	storetest.MustAppend(t, c, cs, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: slot.Time, Payload: dose})
	converged(t, 30*time.Second, n0+1, s.founder, b)
	converged(t, 30*time.Second, n0+1, c, d)
	if cl, _ := b.DoseConflicts(ctx, p.Subject); len(cl) != 0 {
		t.Fatalf("conflicts on B while partitioned = %+v, want none", cl)
	}

	s.faults.heal()
	converged(t, 20*time.Second, n0+2, dbs...)
	for i, db := range dbs {
		cl, err := db.DoseConflicts(ctx, p.Subject)
		if err != nil || len(cl) != 1 || !cl[0].DoubleDose {
			t.Errorf("conflicts on node %d = %+v, %v; want one double dose", i, cl, err)
		}
	}
}

// TestNode_RevokedDeviceRefused: a revoked device is refused membership
// and events by the alive delegate, even while the ward still shares its
// old site key (here a ward PC switched off holds up the key rotation;
// TestNode_RevocationRotatesTheSiteKey covers the ward after it).
func TestNode_RevokedDeviceRefused(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, r := s.device(true), s.device(true)
	s.device(true) // enrolled, switched off
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	s.start(b, []string{a.Addr()})
	nr := s.start(r, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, b, r)

	// The laptop is lost: the admin revokes it.
	if err := s.founder.Revoke(ctx, s.admin, nr.Device(), "lost"); err != nil {
		t.Fatal(err)
	}
	converged(t, 30*time.Second, n0+1, s.founder, b)
	later := storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("After", "Revocation", "1970-01-01", "", storetest.T0))
	converged(t, 30*time.Second, n0+2, s.founder, b)
	if _, err := r.Event(ctx, later.ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("event made after the revocation on the revoked device: err = %v, want not found", err)
	}

	// Started again, it is refused membership.
	nr.stop()
	nr2 := s.start(r, []string{a.Addr()})
	waitFor(t, 30*time.Second, "A refuses the revoked device", func() (bool, string) {
		why, ok := a.Status().RefusedPeers[nr2.Device()]
		return ok && strings.Contains(why, "revoked"), fmt.Sprint(a.Status().RefusedPeers)
	})
	if _, err := r.Event(ctx, later.ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("revoked device received an event after restarting: err = %v", err)
	}
}

func TestNode_FloodOfCorrectionsHeldForReview(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b, noisy := s.device(true), s.device(true)
	ward(t, s.founder, s.admin, 1)
	a := s.start(s.founder, nil)
	nn := s.start(noisy, []string{a.Addr()})
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, s.founder, noisy)

	// One device records and then cancels thirty observation sets.
	ns := s.signIn(noisy)
	pts, _ := noisy.Patients(ctx, "")
	for range 30 {
		obs := storetest.MustAppend(t, noisy, ns, storetest.ObsDraft(pts[0].ID, 14, 97, 120, 70, 37, storetest.T0))
		if _, err := noisy.EnterInError(ctx, ns, obs.ID, "wrong patient", storetest.T0); err != nil {
			t.Fatal(err)
		}
	}
	converged(t, 30*time.Second, n0+60, s.founder, noisy)

	// B allows ten corrections in ten minutes: the rest of the noisy
	// device's ward chain is held.
	noisyWard := lifeboat.ChainOf(nn.Device(), lifeboat.WardScope(pts[0].Ward))
	nb := s.start(b, []string{a.Addr()}, func(c *mesh.Config) { c.FloodLimit = 10 })
	waitFor(t, 30*time.Second, "B holds the flood", func() (bool, string) {
		st := nb.Status()
		_, held := st.Held[noisyWard]
		return held && len(st.Quarantined) == 1 && errors.Is(st.Quarantined[0].Err, mesh.ErrFlood), fmt.Sprintf("%+v %+v", st.Held, st.Quarantined)
	})
	// Everything else arrives: the founder's chains (site and ward) whole.
	waitFor(t, 30*time.Second, "B holds every chain but the held one", func() (bool, string) {
		av, bv := a.Status().Vector, nb.Status().Vector
		for chain, seq := range av {
			if chain != noisyWard && bv[chain] != seq {
				return false, fmt.Sprintf("B %v, A %v", bv, av)
			}
		}
		return true, ""
	})
	av, bv := a.Status().Vector, nb.Status().Vector
	if bv[noisyWard] >= av[noisyWard] || bv[a.Device()] != av[a.Device()] {
		t.Errorf("B's vector = %v, want the founder's log whole and the noisy device's cut short of %v", bv, av)
	}
	if st := nb.Status(); st.Synced() != true {
		t.Errorf("B Synced() = false with only held events owed (ToReceive %d)", st.ToReceive)
	}

	// Restarted, B still holds the device back: it knows A holds more of
	// it and does not count that as owed.
	nb.stop()
	before, _ := b.VersionVector(ctx)
	nb = s.start(b, []string{a.Addr()}, func(c *mesh.Config) { c.FloodLimit = 10 })
	if st := nb.Status(); st.Held[noisyWard] == "" || len(st.Quarantined) != 1 || !errors.Is(st.Quarantined[0].Err, mesh.ErrFlood) {
		t.Errorf("after a restart, Held = %v, Quarantined = %+v, want the flood still held", st.Held, st.Quarantined)
	}
	waitFor(t, 30*time.Second, "restarted B knows what A holds", func() (bool, string) {
		st := nb.Status()
		for _, p := range st.Peers {
			if p.Device == a.Device() && p.Ahead > 0 && st.Synced() {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Peers)
	})
	if after := nb.Status().Vector; after[noisyWard] != before[noisyWard] {
		t.Errorf("restarted B pulled the held device: seq %d, was %d", after[noisyWard], before[noisyWard])
	}

	// A person reviews it and releases the device.
	nb.Release(nn.Device())
	converged(t, 30*time.Second, n0+60, s.founder, noisy, b)
}

func TestNode_ClockSkewReported(t *testing.T) {
	s := newSite(t)
	b := s.device(true)
	a := s.start(s.founder, nil)
	nb := s.start(b, []string{a.Addr()}, func(c *mesh.Config) {
		c.Now = func() time.Time { return time.Now().Add(7 * time.Minute) }
	})
	waitFor(t, 30*time.Second, "A reports B's clock", func() (bool, string) {
		for _, p := range a.Status().Peers {
			if p.Device == nb.Device() && p.SkewWarning && p.ClockSkew > 6*time.Minute {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", a.Status().Peers)
	})
	waitFor(t, 30*time.Second, "B reports A's clock", func() (bool, string) {
		for _, p := range nb.Status().Peers {
			if p.Device == a.Device() && p.SkewWarning && p.ClockSkew < -6*time.Minute {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", nb.Status().Peers)
	})
	_, n0 := digest(t, s.founder)
	converged(t, 30*time.Second, n0, s.founder, b) // order is kept by the HLC regardless
}
