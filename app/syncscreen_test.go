package app

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
	"lifeboat/sync/mesh/meshtest"
)

// fakeSync is a mesh with a fixed status that records releases: a real
// hold needs a flood of 100 corrections.
type fakeSync struct {
	mu       sync.Mutex
	st       mesh.Status
	released []string
	reads    int // Status calls
}

func (f *fakeSync) Status() mesh.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	st := f.st
	st.Held = maps.Clone(f.st.Held)
	return st
}

func (f *fakeSync) Release(device string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, device)
	f.st.Held = maps.Clone(f.st.Held)
	delete(f.st.Held, device)
}

func (f *fakeSync) statusReads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *fakeSync) releases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.released)
}

// reviewStatus is a mesh in the middle of a large sync with something of
// everything to review. Its times are fixed, so goldens are stable. Its
// refused record is listed only while the store's quarantine cannot be
// read: see quarantineRevoked for the one the screen lists.
func reviewStatus() mesh.Status {
	at := demoNow.Add(-3 * time.Minute)
	return mesh.Status{
		Device: "d-self", Addr: "10.7.0.11:7946",
		ToReceive: 300, Received: 900, LastSync: at,
		Peers: []mesh.PeerStatus{
			{Device: "d-laptop", Addr: "10.7.0.12:7946", LastHeard: demoNow, LastSync: at, Ahead: 300, ClockSkew: 2 * time.Second},
			{Device: "d-tablet", Addr: "10.7.0.13:7946", LastHeard: demoNow, ClockSkew: -12 * time.Minute, SkewWarning: true},
		},
		Held: map[string]string{"d-tablet": mesh.ErrFlood.Error()},
		Quarantined: []mesh.Quarantined{{Peer: "d-laptop", At: at, Refusal: lifeboat.Refusal{
			ID: "e1", Device: "d-old", Seq: 42, Reason: "signed by a revoked device: " + store.ErrRevokedDevice.Error(), Err: store.ErrRevokedDevice}}},
		RefusedPeers: map[string]string{"d-stranger": "refuse: " + mesh.ErrUnknownPeer.Error()},
	}
}

// quarantineRevoked keeps in db's quarantine (which must be unlocked) a
// record from revoked device d-old, offered by d-laptop: the store keeps
// whatever it is given, so the event need not be real to be listed.
func quarantineRevoked(t *testing.T, db *store.DB) {
	t.Helper()
	e := lifeboat.Event{ID: "e1", Device: "d-old", Seq: 42, Kind: forms.KindObsRecorded}
	if err := db.Quarantine(t.Context(), e, "d-laptop", "signed by a revoked device: "+store.ErrRevokedDevice.Error()); err != nil {
		t.Fatal(err)
	}
}

// openSync signs in and opens the Sync section.
func openSync(t *testing.T, ui *UI, name, pin string) {
	t.Helper()
	signInAs(t, ui, name, pin)
	ui.ShowSection("sync")
	settle(ui)
}

// Every role that works on the ward has the Sync section; break-glass,
// which is for reading a record in an emergency, does not.
func TestSyncScreen_Roles(t *testing.T) {
	for _, tc := range []struct {
		name, pin string
		want      bool
	}{
		{"Nia Nurse", cli.DemoNursePIN, true},
		{"Phil Pharmacist", "2468", true},
		{"Bea Beds", "3691", true},
		{"Ada Admin", cli.DemoAdminPIN, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ui, _, _ := newTestUI(t, desktop)
			signInAs(t, ui, tc.name, tc.pin)
			got := slices.ContainsFunc(ui.Sections(), func(s Section) bool { return s.ID == "sync" })
			if got != tc.want {
				t.Errorf("%s has the Sync section = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
	if sec := sectionByID("sync"); sec.Allowed(lifeboat.RoleBreakGlass) {
		t.Error("break-glass has the Sync section")
	}
}

func sectionByID(id string) Section {
	for _, s := range sections {
		if s.ID == id {
			return s
		}
	}
	return Section{}
}

// With sync off the screen says, in plain words, that records are kept
// and shared at the next sync, and how IT turns sync on.
func TestSyncScreen_Off(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	openSync(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "Sync is off on this device", "keeps every record made on it", "the next time it syncs", "--join", "enrol this device")
	golden(t, ui, "syncscreen_off_desktop")
}

// A real node alone on its ward: the screen shows this device's sync
// address and that it is up to date.
func TestSyncScreen_Alone(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	node := meshtest.Start(t, db)
	ui.sync = node
	ui.ShowSection("sync")
	settle(ui)
	st := node.Status()
	mustShow(t, ui, "Sync address "+st.Addr, "ID "+st.Device, "Up to date", "Devices in reach (0)", "Nothing to review")
}

// Two real nodes: a second device enrolled at the demo site joins this
// one, and its card appears once the mesh sees it (the screen polls).
func TestSyncScreen_Peer(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	ctx := t.Context()

	as := adminSession(t, db)
	peer, err := store.Create(ctx, filepath.Join(t.TempDir(), "peer.lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	pub, _ := peer.DevicePublicKey(ctx)
	if _, err := db.Enrol(ctx, as, pub, "Ward 7 laptop 2"); err != nil {
		t.Fatal(err)
	}
	anchor, _ := db.DevicePublicKey(ctx)
	keys, err := db.SiteKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := db.Site(ctx)
	if err := peer.JoinSite(ctx, store.SiteJoin{SiteID: info.SiteID, SiteName: info.SiteName, Ward: info.Ward, Anchor: anchor, SiteKeys: keys}); err != nil {
		t.Fatal(err)
	}
	peerID, err := peer.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}

	node := meshtest.Start(t, db)
	ui.sync = node
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Devices in reach (0)")
	meshtest.Start(t, peer, node.Status().Addr)

	deadline := time.Now().Add(20 * time.Second)
	for !shows(ui, "ID "+peerID) {
		if time.Now().After(deadline) {
			t.Fatalf("peer %s never shown; screen shows %q", peerID, texts(ui))
		}
		time.Sleep(50 * time.Millisecond)
		settle(ui) // runs the screen's poll when it fires
	}
	// Named from its enrolment event.
	mustShow(t, ui, "Devices in reach (1)", "Ward 7 laptop 2")
}

// The review list in plain words: a held device (IT may let it in, others
// are told to ask IT), a refused record, a refused device, a peer whose
// clock is wrong, and progress through a large sync.
func TestSyncScreen_Review(t *testing.T) {
	for _, tc := range []struct {
		name, pin string
		admin     bool
	}{
		{"Nia Nurse", cli.DemoNursePIN, false},
		{"Ada Admin", cli.DemoAdminPIN, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSync{st: reviewStatus()}
			ui, db, _ := newTestUIWith(t, phone, Options{Sync: fake})
			signInAs(t, ui, tc.name, tc.pin)
			quarantineRevoked(t, db)
			ui.ShowSection("sync")
			settle(ui)
			mustShow(t, ui,
				"Sync address 10.7.0.11:7946",
				"Receiving: 300 events to go",
				"Last sync 22-Nov-2026 08:57",
				"Devices in reach (2)",
				"ID d-laptop · address 10.7.0.12:7946",
				"Holds 300 events this device does not have yet",
				"Clock 2 s ahead of this device",
				"Clock differs by 12 min",
				"Records held from Device d-tablet",
				"Many corrections or cancellations",
				"Refused record 42 from Device d-old",
				"Observations · offered by Device d-laptop at 22-Nov-2026 09:00",
				"after that device was revoked",
				"Devices refused",
				"not enrolled at this site",
			)
			bar := progressBar(t, ui)
			if got := bar.Value; got != 0.75 {
				t.Errorf("progress bar at %v, want 0.75", got)
			}
			for _, raw := range []string{mesh.ErrFlood.Error(), store.ErrRevokedDevice.Error(), mesh.ErrUnknownPeer.Error()} {
				if shows(ui, raw) {
					t.Errorf("screen shows the raw reason %q", raw)
				}
			}
			if !tc.admin {
				mustShow(t, ui, "Ask IT to review")
				if shows(ui, "Let these in") {
					t.Error("ward staff are offered Let these in")
				}
				return
			}
			golden(t, ui, "syncscreen_phone")
			tap(t, ui, "Let these in")
			mustShow(t, ui, "Let in the records held from Device d-tablet?")
			tap(t, ui, "Yes")
			if got := fake.releases(); !slices.Equal(got, []string{"d-tablet"}) {
				t.Fatalf("released %q, want [d-tablet]", got)
			}
			if e, ok := lastAudit(t, db, "admin.device_released"); !ok || e.Subject != "d-tablet" {
				t.Errorf("audit of the release = %+v, %v, want one for d-tablet", e, ok)
			}
			if shows(ui, "Records held from") {
				t.Errorf("held device still shown after release: %q", texts(ui))
			}
		})
	}
}

func progressBar(t *testing.T, ui *UI) *widget.ProgressBar {
	t.Helper()
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.ProgressBar); ok {
			return b
		}
	}
	t.Fatalf("no progress bar on screen %q", texts(ui))
	return nil
}

// Reasons are always plain words, whatever the mesh reports.
func TestReasonText(t *testing.T) {
	for _, tc := range []struct {
		err    error
		reason string
		want   string
	}{
		{mesh.ErrFlood, "", "Many corrections"},
		{nil, "101 corrections within 10m0s, from seq 7 on: " + mesh.ErrFlood.Error(), "Many corrections"},
		{fmt.Errorf("apply: %w", store.ErrBadSignature), "", "signature does not check out"},
		{store.ErrFork, "", "restored from an old copy"},
		{lifeboat.ErrInvalid, "", "not a record this version"},
		{nil, "something new", "could not be checked"},
	} {
		if got := reasonText(tc.err, tc.reason); !strings.Contains(got, tc.want) {
			t.Errorf("reasonText(%v, %q) = %q, want it to say %q", tc.err, tc.reason, got, tc.want)
		}
	}
	for reason, want := range map[string]string{
		mesh.ErrRevokedPeer.Error(): "revoked",
		fmt.Sprintf("metadata names device %q: %v", "x", mesh.ErrKeyMismatch): "key does not match",
		"decode meta: short": "did not identify itself",
	} {
		if got := peerReasonText(reason); !strings.Contains(got, want) {
			t.Errorf("peerReasonText(%q) = %q, want it to say %q", reason, got, want)
		}
	}
}

// The screen polls the mesh while it is shown and stops once another
// screen replaces it.
func TestSyncScreen_PollsOnlyWhileShown(t *testing.T) {
	defer func(d time.Duration) { syncScreenPoll = d }(syncScreenPoll)
	syncScreenPoll = 20 * time.Millisecond
	fake := &fakeSync{st: reviewStatus()}
	ui, _, _ := newTestUIWith(t, desktop, Options{Sync: fake})
	openSync(t, ui, "Nia Nurse", cli.DemoNursePIN)

	start := fake.statusReads()
	deadline := time.Now().Add(10 * time.Second)
	for fake.statusReads() < start+3 {
		if time.Now().After(deadline) {
			t.Fatalf("Status read %d times while shown, want polling", fake.statusReads()-start)
		}
		time.Sleep(syncScreenPoll / 2)
		settle(ui)
	}

	// Leave the screen: the poller notices at its next tick and ends (it
	// is the only loop the test UI runs). Once it has, nothing reads the
	// mesh any more.
	ui.ShowSection("ward")
	stopped := make(chan struct{})
	go func() { ui.loops.Wait(); close(stopped) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		settle(ui)
		select {
		case <-stopped:
		case <-time.After(syncScreenPoll):
			if time.Now().After(deadline) {
				t.Fatal("the Sync screen kept polling after it was left")
			}
			continue
		}
		break
	}
	settle(ui)
	after := fake.statusReads()
	settle(ui)
	if got := fake.statusReads(); got != after {
		t.Errorf("Status read %d more times after leaving the screen, want 0", got-after)
	}
}
