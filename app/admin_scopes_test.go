package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
	"lifeboat/sync/mesh/meshtest"
)

// addWards sets up wards 8 and 9 beside the demo's ward 7, as the site's
// IT admin (signed in on ui).
func addWards(t *testing.T, ui *UI, db *store.DB) {
	t.Helper()
	for _, w := range []forms.Ward{
		{ID: "w8", Name: "Ward 8 - Surgery", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "b2", Label: "Bed 2"}}},
		{ID: "w9", Name: "Ward 9 - Elderly Care", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "b2", Label: "Bed 2"}}},
	} {
		if _, err := db.Append(t.Context(), ui.Session(), store.Draft{Kind: forms.KindWardDefined, PerformedAt: demoNow.Add(-time.Hour), Payload: w}); err != nil {
			t.Fatalf("define %s: %v", w.ID, err)
		}
	}
	settle(ui)
}

// radioOffering finds the visible radio group offering option.
func radioOffering(t *testing.T, ui *UI, option string) *widget.RadioGroup {
	t.Helper()
	return visible(t, ui, fmt.Sprintf("choice %q", option), func(r *widget.RadioGroup) bool { return slices.Contains(r.Options, option) })
}

// tick finds the visible tick box labelled label.
func tick(t *testing.T, ui *UI, label string) *widget.Check {
	t.Helper()
	return visible(t, ui, fmt.Sprintf("tick box %q", label), func(c *widget.Check) bool { return c.Text == label })
}

// cardHasButton reports whether the card showing text has a button label.
func cardHasButton(t *testing.T, ui *UI, text, label string) bool {
	t.Helper()
	c := card(t, ui, text)
	test.Tap(c) // lays it out
	for _, o := range test.LaidOutObjects(c) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && b.Visible() {
			return true
		}
	}
	return false
}

// deviceNamed is the ID of the device enrolled as name.
func deviceNamed(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	devs, err := db.Devices(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		evs, _ := db.Events(t.Context(), "device:"+d.ID, lifeboat.KindDeviceEnrolled)
		for _, e := range evs {
			if strings.Contains(string(e.Payload), `"name":"`+name+`"`) {
				return d.ID
			}
		}
	}
	t.Fatalf("no device named %q", name)
	return ""
}

// An IT admin enrols a device from the app for one ward: the chooser
// starts at this device's ward, the admin ticks ward 8 instead, the
// dialog says in plain words what the device will hold, and the device
// is enrolled holding exactly that (its subscription in the store), which
// the devices list then shows.
func TestAdminScopes_EnrolWithAChosenWard(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	openAdmin(t, ui, "Devices")
	addWards(t, ui, db)
	node := meshtest.Start(t, db)
	ui.sync = node
	ui.enrolAt = "127.0.0.1:0"

	tap(t, ui, "Enrol a device")
	mustShow(t, ui, "What will the new device hold?", "Ward 7 - Acute Medicine", "Ward 8 - Surgery", "Ward 9 - Elderly Care")
	if got := radioOffering(t, ui, holdWards).Selected; got != holdWards {
		t.Errorf("chooser starts at %q, want %q (this device's ward)", got, holdWards)
	}
	if !tick(t, ui, "Ward 7 - Acute Medicine").Checked || tick(t, ui, "Ward 8 - Surgery").Checked {
		t.Error("the chooser does not start at this device's ward alone")
	}
	if shows(ui, "--short-code") {
		t.Fatal("an enrolment code was shown before the scopes were chosen")
	}
	tick(t, ui, "Ward 7 - Acute Medicine").SetChecked(false)
	tick(t, ui, "Ward 8 - Surgery").SetChecked(true)
	tap(t, ui, "Next")
	typeAdminPassphrase(t, ui)
	mustShow(t, ui, "The new device will hold Ward 8 - Surgery and the site.")

	g := enrolFromScreen(t, ui, clock, "Ward 8 laptop 1")
	if g.Ward != "w8" {
		t.Errorf("the grant's ward = %q, want w8 (the device shows the ward it holds)", g.Ward)
	}
	mustShow(t, ui, "It holds Ward 8 - Surgery and the site")
	sub, err := db.SubscriptionOf(t.Context(), g.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (lifeboat.Subscription{lifeboat.WardScope("w8")}); !slices.Equal(sub, want) {
		t.Errorf("SubscriptionOf(new device) = %v, want %v", sub, want)
	}
	tap(t, ui, "Close")
	if c := card(t, ui, "Ward 8 laptop 1"); !cardShows(c, "Holds Ward 8 - Surgery and the site") {
		t.Errorf("the new device's card does not say what it holds; screen shows %q", texts(ui))
	}
}

// Enrolment with nothing chosen is refused in the dialog, in plain
// words, and no code is shown: a device is never given every scope
// because nobody chose. Each kind of device makes its subscription.
func TestAdminScopes_EnrolRefusesNoChoice(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Devices")
	addWards(t, ui, db)
	ui.sync = &fakeSync{st: mesh.Status{Addr: "127.0.0.1:7946"}}

	tap(t, ui, "Enrol a device")
	tick(t, ui, "Ward 7 - Acute Medicine").SetChecked(false)
	tap(t, ui, "Next")
	mustProblem(t, ui, "Tick the wards the device serves")
	radioOffering(t, ui, holdWards).SetSelected("")
	tap(t, ui, "Next")
	mustProblem(t, ui, "Choose what the device holds")
	if shows(ui, "Your admin passphrase") || shows(ui, "--short-code") {
		t.Fatal("enrolment went ahead with nothing chosen")
	}

	// Each kind of device, as the chooser makes it.
	for _, tc := range []struct {
		kind  string
		ticks []string
		want  lifeboat.Subscription
		words string
	}{
		{holdWards, []string{"Ward 7 - Acute Medicine", "Ward 9 - Elderly Care", "Pharmacy: stock and supplies"},
			lifeboat.Subscription{lifeboat.WardScope("w7"), lifeboat.WardScope("w9"), lifeboat.ScopePharmacy},
			"Ward 7 - Acute Medicine, Ward 9 - Elderly Care, Pharmacy and the site"},
		{holdAll, nil, lifeboat.Subscription{lifeboat.ScopeAll}, "every ward, the pharmacy and the site (reads all)"},
		{holdRelay, nil, lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}, "every ward and the pharmacy sealed (forwards them, reads none)"},
		{holdSite, nil, lifeboat.Subscription{lifeboat.ScopeSite}, "the site only"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			wards, _ := db.Wards(t.Context())
			c := newScopeChooser(ui, wards, nil)
			c.kind.SetSelected(tc.kind)
			for _, ch := range c.checks {
				ch.SetChecked(slices.Contains(tc.ticks, ch.Text))
			}
			c.pharmacy.SetChecked(slices.Contains(tc.ticks, c.pharmacy.Text))
			sub, err := c.Subscription()
			if err != nil || !slices.Equal(sub, tc.want) {
				t.Fatalf("Subscription() = %v, %v, want %v", sub, err, tc.want)
			}
			if got := holdsText(sub, wards); !strings.HasPrefix(got, tc.words) {
				t.Errorf("holdsText(%v) = %q, want it to start %q", sub, got, tc.words)
			}
			// The chooser opened on what a device holds shows that choice.
			again, err := newScopeChooser(ui, wards, sub).Subscription()
			if err != nil || !slices.Equal(again, sub) {
				t.Errorf("a chooser opened on %v makes %v, %v", sub, again, err)
			}
		})
	}
}

// An IT admin changes what a device holds from Admin → Devices: the
// chooser opens on what it holds now, and the change is recorded and
// shows in the list at once.
func TestAdminScopes_ChangeScopesShowsInTheList(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Devices")
	addWards(t, ui, db)
	phone := deviceNamed(t, db, "Ward 7 phone")
	if c := card(t, ui, "Ward 7 phone"); !cardShows(c, "Holds Ward 7 - Acute Medicine and the site") {
		t.Fatalf("the demo phone's card does not say it holds its ward; screen shows %q", texts(ui))
	}

	tapIn(t, ui, "Ward 7 phone", "Change scopes")
	mustShow(t, ui, "Change what Ward 7 phone holds", "does not remove what it holds")
	if got := radioOffering(t, ui, holdAll).Selected; got != holdWards || !tick(t, ui, "Ward 7 - Acute Medicine").Checked {
		t.Errorf("chooser opens at %q, want %q with Ward 7 ticked (what the phone holds now)", got, holdWards)
	}
	tick(t, ui, "Ward 7 - Acute Medicine").SetChecked(false)
	tick(t, ui, "Ward 8 - Surgery").SetChecked(true)
	tap(t, ui, "Change")
	typeAdminPassphrase(t, ui)

	sub, err := db.SubscriptionOf(t.Context(), phone)
	if err != nil {
		t.Fatal(err)
	}
	if want := (lifeboat.Subscription{lifeboat.WardScope("w8")}); !slices.Equal(sub, want) {
		t.Errorf("SubscriptionOf(phone) = %v, want %v", sub, want)
	}
	if c := card(t, ui, "Ward 7 phone"); !cardShows(c, "Holds Ward 8 - Surgery and the site") {
		t.Errorf("the list does not show the change; screen shows %q", texts(ui))
	}

	// Opened again, the chooser starts at the new choice.
	tapIn(t, ui, "Ward 7 phone", "Change scopes")
	if !tick(t, ui, "Ward 8 - Surgery").Checked || tick(t, ui, "Ward 7 - Acute Medicine").Checked {
		t.Error("the chooser does not open on what the phone holds now")
	}
	tap(t, ui, "Cancel")
}

// refusingStore refuses every change of scopes, as the store does for an
// admin whose rights were removed on another device.
type refusingStore struct{ *store.DB }

func (refusingStore) SetDeviceScopes(context.Context, *store.Session, string, lifeboat.Subscription) (lifeboat.Event, error) {
	return lifeboat.Event{}, fmt.Errorf("set scopes: %w", store.ErrNotAuthorised)
}

// A refused change is said in plain words (never the raw error), and the
// list keeps what the device holds.
func TestAdminScopes_ChangeRefusedInPlainWords(t *testing.T) {
	clock := &testClock{t: demoNow}
	db := mustDemoStore(t, clock)
	ui := newUIWithStore(t, desktop, refusingStore{db}, clock)
	openAdmin(t, ui, "Devices")
	tapIn(t, ui, "Ward 7 phone", "Change scopes")
	radioOffering(t, ui, holdWards).SetSelected(holdSite)
	tap(t, ui, "Change")
	typeAdminPassphrase(t, ui)
	mustShow(t, ui, "Your IT admin rights do not allow this")
	if shows(ui, store.ErrNotAuthorised.Error()) {
		t.Error("the raw error is shown")
	}
	tap(t, ui, "OK")
	if c := card(t, ui, "Ward 7 phone"); !cardShows(c, "Holds Ward 7 - Acute Medicine and the site") {
		t.Errorf("the list changed after a refused change; screen shows %q", texts(ui))
	}
}

// Only an IT admin changes what a device holds: ward staff have no
// Devices screen, and the list built for anyone else offers no Change
// scopes (nor Revoke), though it says what each device holds.
func TestAdminScopes_OnlyITAdminsSeeChangeScopes(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	for _, s := range ui.Sections() {
		if s.ID == "admin" {
			t.Fatal("ward staff are offered the Devices and staff section")
		}
	}
	ui.Push("Devices", newAdminScreen(ui))
	settle(ui)
	showTab(t, ui, "Devices")
	mustShow(t, ui, "Ward 7 phone", "Holds every ward")
	for _, label := range []string{"Change scopes", "Revoke"} {
		if cardHasButton(t, ui, "Ward 7 phone", label) {
			t.Errorf("ward staff are offered %s", label)
		}
	}

	admin, _, _ := newTestUI(t, desktop)
	openAdmin(t, admin, "Devices")
	if !cardHasButton(t, admin, "Ward 7 phone", "Change scopes") {
		t.Error("an IT admin is not offered Change scopes")
	}
}

// newUIWithStore is newTestUI over st (a fake wrapping the demo store).
func newUIWithStore(t *testing.T, size fyne.Size, st Store, clock *testClock) *UI {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(size)
	ui := newUI(fyne.CurrentApp(), w, st, Options{Now: clock.Now, IdleLock: 5 * time.Minute}, testDo.add)
	t.Cleanup(ui.Close)
	w.Resize(size)
	settle(ui)
	return ui
}

// fixedIDStore shows devices under fixed IDs and enrolment times, for
// goldens: the demo's device keys are made afresh on every run.
type fixedIDStore struct {
	*store.DB
	shown, real map[string]string // real ID -> shown, and back
}

func (f *fixedIDStore) Device(ctx context.Context) (string, error) {
	id, err := f.DB.Device(ctx)
	return f.show(id), err
}

func (f *fixedIDStore) show(id string) string {
	if s, ok := f.shown[id]; ok {
		return s
	}
	return id
}

func (f *fixedIDStore) Devices(ctx context.Context) ([]lifeboat.Device, error) {
	devs, err := f.DB.Devices(ctx)
	for i := range devs {
		devs[i].ID = f.show(devs[i].ID)
	}
	return devs, err
}

func (f *fixedIDStore) Events(ctx context.Context, subject, kind string) ([]lifeboat.Event, error) {
	if id, ok := strings.CutPrefix(subject, "device:"); ok {
		if r, ok := f.real[id]; ok {
			subject = "device:" + r
		}
	}
	evs, err := f.DB.Events(ctx, subject, kind)
	for i := range evs {
		if evs[i].Kind == lifeboat.KindDeviceEnrolled {
			evs[i].RecordedAt = demoNow.Add(-26 * time.Hour)
		}
	}
	return evs, err
}

func (f *fixedIDStore) Subscriptions(ctx context.Context) (map[string]lifeboat.Subscription, error) {
	subs, err := f.DB.Subscriptions(ctx)
	out := map[string]lifeboat.Subscription{}
	for id, s := range subs {
		out[f.show(id)] = s
	}
	return out, err
}

// fixedKey is a device key made from name, the same on every run.
func fixedKey(name string) ed25519.PublicKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

// The devices list and the enrolment chooser at both sizes: each device
// says what it holds, and both fit a phone.
func TestAdminScopes_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			clock := &testClock{t: demoNow}
			db := mustDemoStore(t, clock)
			f := &fixedIDStore{DB: db, shown: map[string]string{}, real: map[string]string{}}
			ui := newUIWithStore(t, size, f, clock)
			signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
			addWards(t, ui, db)
			ctx := t.Context()
			if err := db.UnlockAdmin(ctx, ui.Session(), cli.DemoAdminPassphrase); err != nil {
				t.Fatal(err)
			}
			for _, d := range []struct {
				name string
				sub  lifeboat.Subscription
			}{
				{"Pharmacy PC", lifeboat.Subscription{lifeboat.WardScope("w7"), lifeboat.WardScope("w8"), lifeboat.ScopePharmacy}},
				{"Site relay, east building", lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}},
				{"Bed manager laptop", lifeboat.Subscription{lifeboat.ScopeSite}},
				{"Ward 8 PC", lifeboat.Subscription{lifeboat.WardScope("w8")}},
			} {
				if _, err := db.Enrol(ctx, ui.Session(), fixedKey(d.name), d.name, d.sub...); err != nil {
					t.Fatal(err)
				}
			}
			self, _ := db.Device(ctx)
			for name, id := range map[string]string{"Ward 7 laptop 2": "LAPTOP72", "Ward 7 phone": "PHONE7AB",
				"Pharmacy PC": "PHARMPC1", "Site relay, east building": "RELAYEA5", "Bed manager laptop": "BEDMGR2L", "Ward 8 PC": "WARD8PC3"} {
				f.shown[deviceNamed(t, db, name)] = id
			}
			f.shown[self] = "WARD7PC4"
			for r, s := range f.shown {
				f.real[s] = r
			}
			ui.ShowSection("admin")
			settle(ui)
			showTab(t, ui, "Devices")
			mustShow(t, ui, "Holds every ward, the pharmacy and the site (reads all)",
				"Holds Ward 7 - Acute Medicine, Ward 8 - Surgery, Pharmacy and the site",
				"Holds every ward and the pharmacy sealed (forwards them, reads none) and the site",
				"Holds the site only")
			golden(t, ui, "admin_devices_"+sizeSuffix(size))

			ui.sync = &fakeSync{st: mesh.Status{Addr: "127.0.0.1:7946"}}
			tap(t, ui, "Enrol a device")
			mustShow(t, ui, "What will the new device hold?")
			golden(t, ui, "admin_enrol_scopes_"+sizeSuffix(size))
		})
	}
}

// The enrol chooser starts at the ward of the device it runs on, named by
// ID or name, only if that device reads the ward: a relay or a bed
// manager's device has no ward to offer, and nothing is chosen.
func TestThisWard(t *testing.T) {
	wards := []forms.Ward{{ID: "w7", Name: "Ward 7 - Acute Medicine"}, {ID: "w8", Name: "Ward 8 - Surgery"}}
	w7 := lifeboat.Subscription{lifeboat.WardScope("w7")}
	for _, tc := range []struct {
		name string
		here string
		mine lifeboat.Subscription
		want lifeboat.Subscription
	}{
		{"ward device, by ID", "w7", w7, w7},
		{"ward device, by name", "Ward 7 - Acute Medicine", w7, w7},
		{"every scope", "w7", lifeboat.Subscription{lifeboat.ScopeAll}, w7},
		{"another ward's device", "w7", lifeboat.Subscription{lifeboat.WardScope("w8")}, nil},
		{"site relay", "w7", lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}, nil},
		{"bed manager", "w7", lifeboat.Subscription{lifeboat.ScopeSite}, nil},
		{"no ward", "", lifeboat.Subscription{lifeboat.ScopeAll}, nil},
		{"a ward with no layout", "w9", lifeboat.Subscription{lifeboat.ScopeAll}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := thisWard(tc.here, wards, tc.mine); !slices.Equal(got, tc.want) {
				t.Errorf("thisWard(%q, %v) = %v, want %v", tc.here, tc.mine, got, tc.want)
			}
		})
	}
}

// What a device holds, in the words the devices list uses.
func TestHoldsText(t *testing.T) {
	wards := []forms.Ward{{ID: "w7", Name: "Ward 7 - Acute Medicine"}, {ID: "w8"}}
	for _, tc := range []struct {
		sub  lifeboat.Subscription
		want string
	}{
		{nil, "every ward, the pharmacy and the site (reads all)"},
		{lifeboat.Subscription{lifeboat.ScopeAll}, "every ward, the pharmacy and the site (reads all)"},
		{lifeboat.Subscription{lifeboat.ScopeSite}, "the site only (staff, devices and bed counts; no patients)"},
		{lifeboat.Subscription{lifeboat.WardScope("w7"), lifeboat.ScopeSite}, "Ward 7 - Acute Medicine and the site"},
		{lifeboat.Subscription{lifeboat.WardScope("w8"), lifeboat.WardScope("w9"), lifeboat.ScopePharmacy}, "Ward w8, Ward w9, Pharmacy and the site"},
		{lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}, "every ward and the pharmacy sealed (forwards them, reads none) and the site"},
		{lifeboat.Subscription{lifeboat.WardScope("w8"), lifeboat.Forward(lifeboat.WardScope("w7"))}, "Ward w8, Ward 7 - Acute Medicine sealed (forwarded, not read) and the site"},
	} {
		if got := holdsText(tc.sub, wards); got != tc.want {
			t.Errorf("holdsText(%v) = %q, want %q", tc.sub, got, tc.want)
		}
	}
}
