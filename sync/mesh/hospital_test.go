package mesh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/internal/procmem"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// A hospital on loopback: wards with their own devices, the pharmacy, bed
// managers and two site relays, every one a real store and a real mesh
// node. Sized by LIFEBOAT_SIM_WARDS and LIFEBOAT_SIM_PER_WARD (defaults:
// 6 wards of 2 devices, 21 devices in all, so make test stays short; 4 of
// 2 with -short, under the race detector; make sim runs 40 of 5, 209).

// simDevice is one device of the simulated hospital.
type simDevice struct {
	name   string
	role   string // ward, pharmacy, beds, relay
	db     *store.DB
	n      *node
	scopes lifeboat.Subscription
	gone   bool // revoked and switched off
}

type hospital struct {
	t     testing.TB
	s     *site
	wards []string
	devs  []*simDevice
	rng   *rand.Rand
	// movedFrom is the ward each moved patient left: its devices keep
	// the patient's record there, and see where they went.
	movedFrom map[string]string
	// lacking: when the stall report first saw a device lack a chain
	// ("device chain"); probed: those it handed over to see why.
	lacking map[string]time.Time
	probed  map[string]bool
	crowded bool // over a hundred nodes: simTuneCrowded
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// simWait is how long the simulation waits for a step: d, or less with
// LIFEBOAT_SIM_WAIT (a duration), to profile a size that does not finish
// (go test -cpuprofile writes nothing if the test times out).
func simWait(d time.Duration) time.Duration {
	if w, err := time.ParseDuration(os.Getenv("LIFEBOAT_SIM_WAIT")); err == nil && w > 0 {
		return min(d, w)
	}
	return d
}

// simTune gives hundreds of nodes on two CPUs memberlist's LAN probe and
// gossip timings, a push/pull (and reannounce) interval shortened from
// 30 s to 2 s, and connection and request timeouts a process this busy
// can keep (with every node in one process, a dial's goroutine can wait
// a second to run; memberlist's LAN TCPTimeout is 10 s).
func simTune(c *mesh.Config) {
	c.ProbeInterval, c.ProbeTimeout = time.Second, 500*time.Millisecond
	c.GossipInterval, c.PushPullInterval = 200*time.Millisecond, 2*time.Second
	c.SyncInterval, c.RequestTimeout, c.TCPTimeout = 300*time.Millisecond, 8*time.Second, 4*time.Second
}

// simTuneCrowded is simTune for more than a hundred nodes on two CPUs:
// every node's probes, gossip and sync ticks then share a CPU with two
// hundred others (a ward PC has its own), so they run at half memberlist's
// LAN pace, and a probe or a pull may wait seconds for its goroutine.
// At simTune's pace the site spent a third of its CPU on memberlist's
// suspicions of nodes that were only waiting their turn, and the heal
// did not finish in ten minutes.
func simTuneCrowded(c *mesh.Config) {
	c.ProbeInterval, c.ProbeTimeout = 2*time.Second, time.Second
	c.GossipInterval, c.PushPullInterval = 400*time.Millisecond, 4*time.Second
	c.SyncInterval, c.RequestTimeout, c.TCPTimeout = time.Second, 15*time.Second, 8*time.Second
}

// device makes, enrols (with scopes) and starts a device joined to the relays.
func (h *hospital) device(name, role string, scopes ...lifeboat.Scope) *simDevice {
	h.t.Helper()
	ctx := context.Background()
	s := h.s
	db, err := store.Create(ctx, filepath.Join(h.t.TempDir(), name+".lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{Now: s.clock.Now, NoBackup: true})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	pub, _ := db.DevicePublicKey(ctx)
	adm, err := s.founder.Admit(ctx, s.admin, pub, name, scopes...)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := db.JoinSite(ctx, adm.SiteJoin); err != nil {
		h.t.Fatal(err)
	}
	d := &simDevice{name: name, role: role, db: db, scopes: scopes}
	if len(scopes) == 0 {
		d.scopes = lifeboat.Subscription{lifeboat.ScopeAll}
	}
	h.devs = append(h.devs, d)
	return d
}

func (h *hospital) start(d *simDevice, join []string) {
	tune := simTune
	if h.crowded {
		tune = simTuneCrowded
	}
	d.n = h.s.start(d.db, join, tune)
}

func (h *hospital) live() []*simDevice {
	var out []*simDevice
	for _, d := range h.devs {
		if !d.gone && d.n != nil {
			out = append(out, d)
		}
	}
	return out
}

func (h *hospital) relays() []*simDevice {
	var out []*simDevice
	for _, d := range h.devs {
		if d.role == "relay" {
			out = append(out, d)
		}
	}
	return out
}

// owed reports, for every live device, the chains of its scopes where
// some device holds more than it does ("" when every device is level).
func (h *hospital) owed() string {
	ctx := context.Background()
	vvs := map[*simDevice]map[string]uint64{}
	union := map[string]uint64{}
	for _, d := range h.live() {
		vv, err := d.db.VersionVector(ctx)
		if err != nil {
			return err.Error()
		}
		vvs[d] = vv
		for chain, seq := range vv {
			union[chain] = max(union[chain], seq)
		}
	}
	behind := 0
	first := ""
	for d, vv := range vvs {
		for chain, seq := range union {
			if d.scopes.Holds(lifeboat.ScopeOf(chain)) && vv[chain] < seq {
				behind++
				if first == "" {
					st := d.n.Status()
					first = fmt.Sprintf("%s lacks %s %d..%d (it talks to %d peers, refuses %d, holds back %d chains; %s)",
						d.name, chain, vv[chain]+1, seq, len(st.Peers), len(st.RefusedPeers), len(st.Held), d.n.ChainState(chain))
					var holders []string
					for o, ovv := range vvs {
						if ovv[chain] >= seq {
							holders = append(holders, o.name+"("+o.n.Device()+")")
						}
					}
					first += fmt.Sprintf("; held whole by %d devices", len(holders))
					if len(holders) <= 2 {
						for o, ovv := range vvs {
							if ovv[chain] >= seq {
								ost := o.n.Status()
								first += fmt.Sprintf("; %s(%s) talks to %d peers, refuses %d, %s; %s", o.name, o.n.Device(), len(ost.Peers), len(ost.RefusedPeers), o.n.ChainState(chain), o.n.HandshakeState())
							}
						}
					}
				}
				k := fmt.Sprint(d.name, " ", chain, " ", seq)
				if h.lacking[k].IsZero() {
					h.lacking[k] = time.Now()
				}
				if os.Getenv("LIFEBOAT_SIM_PROBE") != "" && time.Since(h.lacking[k]) > time.Minute && !h.probed[k] {
					h.probed[k] = true
					h.t.Logf("%s has lacked %s %d..%d for a minute%s", d.name, chain, vv[chain]+1, seq, h.probe(d, chain, vv, vvs))
				}
			}
		}
	}
	if behind == 0 {
		return ""
	}
	return fmt.Sprintf("%d chains behind; %s", behind, first)
}

// probe, for a stall report (with LIFEBOAT_SIM_PROBE set), hands d the events of chain it lacks
// straight from a device that holds them, and says what its store did.
func (h *hospital) probe(d *simDevice, chain string, vv map[string]uint64, vvs map[*simDevice]map[string]uint64) string {
	ctx := context.Background()
	for o, ovv := range vvs {
		if ovv[chain] <= vv[chain] {
			continue
		}
		have := map[string]uint64{}
		for c, seq := range ovv {
			have[c] = seq
		}
		have[chain] = vv[chain]
		evs, err := o.db.EventsAfter(ctx, have, 1000)
		if err != nil {
			return "; probe: " + err.Error()
		}
		res, err := d.db.ApplyRemote(ctx, evs)
		out := fmt.Sprintf("; probe from %s: %d events (%s), applied %d, refused %d, held %d, err %v", o.name, len(evs), evs[0].Kind, res.Applied, len(res.Refused), len(res.Held), err)
		for _, r := range res.Held {
			out += "; held: " + r.Reason
		}
		for _, r := range res.Refused {
			out += "; refused: " + r.Reason
		}
		return out
	}
	return ""
}

// admitPatients records n patients on a ward device: registered and
// admitted together (as the arrival screen does), with observations.
func (h *hospital) admitPatients(d *simDevice, ward string, n int) []string {
	h.t.Helper()
	ctx := context.Background()
	sess := h.s.signIn(d.db)
	var ids []string
	for i := range n {
		reg := storetest.PatientDraft("Patient", fmt.Sprintf("%s-%s-%d", ward, d.name, i), "1950-01-01", "", storetest.T0)
		pid := reg.Subject
		evs, err := d.db.AppendAll(ctx, sess, []store.Draft{reg, storetest.AdmitDraft(pid, ward, fmt.Sprintf("Bed %s-%d", d.name, i), storetest.T0)})
		if err != nil {
			h.t.Fatalf("admit on %s: %v", d.name, err)
		}
		pid = evs[0].Subject
		storetest.MustAppend(h.t, d.db, sess, storetest.ObsDraft(pid, 16+i%5, 96, 120, 72, 37, storetest.T0))
		ids = append(ids, pid)
	}
	return ids
}

// newHospital builds and starts a hospital of nWards wards of perWard
// devices each, two pharmacy devices, four bed managers and two relays;
// it returns the hospital, its ward devices by ward, and a reference
// store (every scope, never started) for comparing views.
func newHospital(t testing.TB, nWards, perWard int) (*hospital, map[string][]*simDevice, *simDevice) {
	h := &hospital{t: t, s: newSite(t), rng: rand.New(rand.NewPCG(18, 40)), movedFrom: map[string]string{}, lacking: map[string]time.Time{}, probed: map[string]bool{},
		crowded: nWards*perWard > 100}
	// The IT admin's PC reads every scope (it enrols, revokes and
	// reconciles); the two site relays forward every ward sealed.
	founder := &simDevice{name: "it-1", role: "it", db: h.s.founder, scopes: lifeboat.Subscription{lifeboat.ScopeAll}}
	h.devs = append(h.devs, founder)
	h.start(founder, nil)
	relay1 := h.device("relay-1", "relay", lifeboat.Forward(lifeboat.ScopeAll))
	h.start(relay1, []string{founder.n.Addr()})
	relay2 := h.device("relay-2", "relay", lifeboat.Forward(lifeboat.ScopeAll))
	h.start(relay2, []string{founder.n.Addr(), relay1.n.Addr()})
	join := []string{relay1.n.Addr(), relay2.n.Addr()}

	var pharmacyScopes []lifeboat.Scope
	for i := range nWards {
		w := fmt.Sprintf("W%02d", i+1)
		h.wards = append(h.wards, w)
		pharmacyScopes = append(pharmacyScopes, lifeboat.WardScope(w))
	}
	pharmacyScopes = append(pharmacyScopes, lifeboat.ScopePharmacy)
	byWard := map[string][]*simDevice{}
	for _, w := range h.wards {
		for j := range perWard {
			d := h.device(fmt.Sprintf("%s-%d", w, j+1), "ward", lifeboat.WardScope(w))
			byWard[w] = append(byWard[w], d)
		}
	}
	for j := range 2 {
		h.device(fmt.Sprintf("pharmacy-%d", j+1), "pharmacy", pharmacyScopes...)
	}
	for j := range 4 {
		h.device(fmt.Sprintf("beds-%d", j+1), "beds", lifeboat.ScopeSite)
	}
	// The store the devices are compared with: it holds every scope and
	// takes in the union of their logs at the end (never started).
	ref := h.device("reference", "reference")
	for _, d := range h.devs {
		if d.n == nil && d != ref {
			h.start(d, join)
		}
	}
	// At the end, every node leaves at once (one after another, each
	// waiting up to a second for its leave to spread, takes minutes).
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, d := range h.devs {
			if d.n != nil {
				wg.Go(d.n.stop)
			}
		}
		wg.Wait()
	})
	return h, byWard, ref
}

func TestHospital_EveryDeviceHoldsItsScopesThroughPartitionsMovesAndRevocations(t *testing.T) {
	nWards, perWard := envInt("LIFEBOAT_SIM_WARDS", 6), envInt("LIFEBOAT_SIM_PER_WARD", 2)
	if testing.Short() {
		nWards, perWard = 4, 2
	}
	ctx := context.Background()
	began := time.Now()
	h, byWard, ref := newHospital(t, nWards, perWard)
	t.Logf("%d wards, %d devices (and the reference store), set up in %v", nWards, len(h.devs)-1, time.Since(began).Round(time.Millisecond))
	began = time.Now()
	waitFor(t, simWait(10*time.Minute), "every device holds the site's registry", func() (bool, string) {
		o := h.owed()
		return o == "", o
	})
	t.Logf("settled in %v", time.Since(began).Round(time.Millisecond))

	// Each ward admits patients on its first device; then the ward splits
	// from the relays (a network fault) and records on both sides.
	began = time.Now()
	patients := map[string][]string{}
	for _, w := range h.wards {
		patients[w] = h.admitPatients(byWard[w][0], w, 2)
	}
	waitFor(t, simWait(5*time.Minute), "every ward device holds its ward's patients", func() (bool, string) {
		o := h.owed()
		return o == "", o
	})
	t.Logf("patients admitted and held in %v", time.Since(began).Round(time.Millisecond))
	var left, right []string
	for _, d := range h.live() {
		if h.rng.IntN(2) == 0 && d.role != "relay" {
			left = append(left, d.n.Addr())
		} else {
			right = append(right, d.n.Addr())
		}
	}
	h.s.faults.partition(left, right)
	for _, w := range h.wards {
		d := byWard[w][len(byWard[w])-1]
		sess := h.s.signIn(d.db)
		for _, pid := range patients[w] {
			if _, err := d.db.Append(ctx, sess, storetest.ObsDraft(pid, 20, 94, 110, 90, 37.9, storetest.T0.Add(time.Hour))); err != nil {
				t.Fatalf("obs on %s: %v", d.name, err)
			}
		}
	}
	h.s.faults.heal()

	// Patients move between wards, each moved by a device of the ward
	// they leave (which holds no record of the ward they go to).
	moves := max(nWards/4, 2)
	for i := range moves {
		from, to := h.wards[i%nWards], h.wards[(i+nWards/2)%nWards]
		d := byWard[from][0]
		pid := patients[from][0]
		storetest.MustAppend(t, d.db, h.s.signIn(d.db), store.Draft{Kind: forms.KindPatientTransferred, Subject: pid, PerformedAt: storetest.T0.Add(2 * time.Hour),
			Payload: forms.Transfer{PatientID: pid, FromWard: from, Ward: to, Bed: "Bed moved-" + strconv.Itoa(i)}})
		patients[from] = patients[from][1:]
		patients[to] = append(patients[to], pid)
		h.movedFrom[pid] = from
	}

	// Two ward devices are stolen: revoked and switched off.
	for _, w := range []string{h.wards[0], h.wards[nWards-1]} {
		d := byWard[w][1]
		d.n.stop()
		d.gone = true
		if err := h.s.founder.Revoke(ctx, h.s.admin, d.n.Device(), "stolen"); err != nil {
			t.Fatalf("Revoke %s: %v", d.name, err)
		}
	}

	began = time.Now()
	waitFor(t, simWait(10*time.Minute), "every device holds its scopes", func() (bool, string) {
		o := h.owed()
		return o == "", o
	})
	t.Logf("healed, moved and revoked in %v", time.Since(began).Round(time.Millisecond))
	h.checkScopes(ref, patients)
}

// checkScopes compares every device with a store rebuilt from the union
// of all the devices' logs.
func (h *hospital) checkScopes(ref *simDevice, patients map[string][]string) {
	t := h.t
	ctx := context.Background()
	// The union of every device's log, applied to a fresh store that
	// holds every scope.
	seen := map[string]bool{}
	var union []lifeboat.Event
	for _, d := range h.live() {
		evs, err := d.db.EventsAfter(ctx, nil, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				union = append(union, e)
			}
		}
	}
	kinds := map[string]int{}
	for _, e := range union {
		kinds[e.Kind]++
	}
	t.Logf("the union of the logs: %d events, by kind %v", len(union), kinds)
	res, err := ref.db.ApplyRemote(ctx, union)
	if err != nil || len(res.Refused) > 0 || len(res.Held) > 0 {
		t.Fatalf("the union of the logs: %d events, applied %d, refused %d, held %d, %v", len(union), res.Applied, len(res.Refused), len(res.Held), err)
	}
	refVV, _ := ref.db.VersionVector(ctx)
	for _, d := range h.live() {
		vv, err := d.db.VersionVector(ctx)
		if err != nil {
			t.Fatal(err)
		}
		own := d.n.Device()
		// No less: every chain of its scopes, whole.
		for chain, seq := range refVV {
			if d.scopes.Holds(lifeboat.ScopeOf(chain)) && vv[chain] != seq {
				t.Errorf("%s holds %s to %d, the union to %d", d.name, chain, vv[chain], seq)
			}
		}
		// No more: no chain of a scope it was not given (but its own
		// handoffs into the wards its patients went to).
		for chain := range vv {
			if !d.scopes.Holds(lifeboat.ScopeOf(chain)) && !(lifeboat.DeviceOf(chain) == own) {
				t.Errorf("%s holds chain %s outside its scopes %v", d.name, chain, d.scopes)
			}
		}
		// Views: each ward it holds shows what the union shows.
		for _, w := range h.wards {
			if !d.scopes.Reads(lifeboat.WardScope(w)) {
				continue
			}
			got, want := patientsJSON(t, d.db, w), patientsJSON(t, ref.db, w)
			if got != want {
				t.Errorf("%s's patients on %s differ from the union's:\n got %s\nwant %s", d.name, w, got, want)
			}
			for _, pid := range patients[w] {
				if g, w := obsJSON(t, d.db, pid), obsJSON(t, ref.db, pid); g != w {
					t.Errorf("%s's chart of %s differs from the union's", d.name, pid)
				}
			}
		}
		// Never a patient of a ward it does not hold.
		all, err := d.db.Patients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range all {
			if from, moved := h.movedFrom[p.ID]; moved && d.scopes.Reads(lifeboat.WardScope(from)) {
				continue
			}
			if p.Ward != "" && !d.scopes.Reads(lifeboat.WardScope(p.Ward)) {
				t.Errorf("%s (scopes %v) holds patient %s of %s", d.name, d.scopes, p.ID, p.Ward)
			}
		}
		if (d.role == "beds" || d.role == "relay") && len(all) > 0 {
			t.Errorf("%s %s holds %d patients, want none", d.role, d.name, len(all))
		}
		// It opens no record of a scope it does not read (a relay reads
		// no ward; a ward device only the copies handed to its ward).
		evs, err := d.db.EventsAfter(ctx, nil, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for _, e := range evs {
			scope := lifeboat.ScopeOf(e.Device)
			if e.Sealed == nil {
				if scope.Sealed() {
					t.Errorf("%s holds a record of %s in clear", d.name, scope)
				}
				continue
			}
			if e.Payload == nil {
				continue
			}
			read++
			if _, moved := h.movedFrom[e.Subject]; !d.scopes.Reads(scope) && !(moved && e.Subject != "") {
				t.Errorf("%s (scopes %v) reads a record of %s", d.name, d.scopes, scope)
			}
		}
		if d.role == "relay" && read > 0 {
			t.Errorf("relay %s reads %d sealed records, want none", d.name, read)
		}
	}
}

func patientsJSON(t testing.TB, db *store.DB, ward string) string {
	t.Helper()
	pts, err := db.Patients(context.Background(), ward)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(pts, func(a, b store.PatientView) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	b, _ := json.Marshal(pts)
	return string(b)
}

func obsJSON(t testing.TB, db *store.DB, pid string) string {
	t.Helper()
	obs, err := db.Observations(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(obs)
	return string(b)
}

// BenchmarkHealHospital: the hospital of the simulation splits in two
// (each ward's devices on both sides), every ward records on both sides,
// and the network heals. Reports the time until every device holds its
// scopes again and the bytes each device received, on average and at
// most (relays serve the most). Size as the simulation.
func BenchmarkHealHospital(b *testing.B) {
	nWards, perWard := envInt("LIFEBOAT_SIM_WARDS", 40), envInt("LIFEBOAT_SIM_PER_WARD", 5)
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		h, byWard, _ := newHospital(b, nWards, perWard)
		level := func(within time.Duration) {
			waitFor(b, within, "every device holds its scopes", func() (bool, string) {
				o := h.owed()
				return o == "", o
			})
		}
		began := time.Now()
		level(10 * time.Minute)
		settled := time.Since(began)
		patients := map[string][]string{}
		for _, w := range h.wards {
			patients[w] = h.admitPatients(byWard[w][0], w, 2)
		}
		level(10 * time.Minute)
		var left, right []string
		for i, d := range h.live() {
			if i%2 == 0 {
				left = append(left, d.n.Addr())
			} else {
				right = append(right, d.n.Addr())
			}
		}
		h.s.faults.partition(left, right)
		for _, w := range h.wards {
			for _, d := range byWard[w] {
				sess := h.s.signIn(d.db)
				for _, pid := range patients[w] {
					if _, err := d.db.Append(ctx, sess, storetest.ObsDraft(pid, 20, 94, 110, 90, 37.9, storetest.T0.Add(time.Hour))); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		before := map[*simDevice]uint64{}
		for _, d := range h.live() {
			before[d] = d.n.Status().WireBytesReceived
		}
		b.StartTimer()
		start := time.Now()
		h.s.faults.heal()
		level(10 * time.Minute)
		took := time.Since(start)
		b.StopTimer()
		var sum, most float64
		for _, d := range h.live() {
			got := float64(d.n.Status().WireBytesReceived-before[d]) / 1024
			sum += got
			most = max(most, got)
		}
		b.ReportMetric(took.Seconds(), "heal-s")
		b.ReportMetric(settled.Seconds(), "settle-s")
		b.ReportMetric(float64(len(h.live())), "devices")
		b.ReportMetric(sum/float64(len(h.live())), "wire-KiB/device")
		b.ReportMetric(most, "wire-KiB-max")
		if m, ok := procmem.Sample(); ok {
			b.ReportMetric(m.PeakMB(), "MB-rss-peak-all")
		}
	}
}
