package app

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
	"lifeboat/sync/mesh/meshtest"
)

func openAdmin(t *testing.T, ui *UI, tab string) {
	t.Helper()
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	ui.ShowSection("admin")
	settle(ui)
	showTab(t, ui, tab)
}

func userNamed(t *testing.T, db *store.DB, name string) (store.User, bool) {
	t.Helper()
	users, err := db.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == name {
			return u, true
		}
	}
	return store.User{}, false
}

// An admin adds a person (problems shown in the dialog until the form is
// right) who can then sign in, and deactivates another.
func TestAdmin_Staff(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openAdmin(t, ui, "Staff")
			mustShow(t, ui, "Ada Admin", "IT admin", "You", "Nia Nurse", "Phil Pharmacist")
			golden(t, ui, "admin_staff_"+sizeSuffix(size))
			if size == phone {
				return
			}
			tap(t, ui, "Add a person")
			test.Type(entry(t, ui, "Full name"), "Sam Student")
			test.Type(entry(t, ui, "4 to 8 digits"), "1234")
			tap(t, ui, "Add")
			mustShow(t, ui, "Choose their role.", "not a run like 1234")
			choose(t, ui, "Choose a role").SetSelected(lifeboat.RoleWardStaff.Label())
			e := entry(t, ui, "4 to 8 digits")
			e.SetText("")
			test.Type(e, "4826")
			test.Type(entry(t, ui, "The same PIN again"), "4862")
			tap(t, ui, "Add")
			mustShow(t, ui, "The two PINs are different")
			if _, ok := userNamed(t, db, "Sam Student"); ok {
				t.Fatal("a person was added while the form had problems")
			}
			e = entry(t, ui, "The same PIN again")
			e.SetText("")
			test.Type(e, "4826")
			tap(t, ui, "Add")
			typeAdminPassphrase(t, ui)
			u, ok := userNamed(t, db, "Sam Student")
			if !ok || u.Role != lifeboat.RoleWardStaff || !u.Active {
				t.Fatalf("Sam Student = %+v, %v; want active ward staff", u, ok)
			}
			if _, err := db.SignIn(t.Context(), u.ID, "4826", ""); err != nil {
				t.Errorf("the new person cannot sign in: %v", err)
			}
			mustShow(t, ui, "Sam Student")

			// Deactivate Bea Beds: asked first, then she cannot sign in.
			var deactivate *widget.Button
			test.Tap(card(t, ui, "Bea Beds"))
			for _, o := range test.LaidOutObjects(card(t, ui, "Bea Beds")) {
				if b, ok := o.(*widget.Button); ok && b.Text == "Deactivate" {
					deactivate = b
				}
			}
			if deactivate == nil {
				t.Fatal("no Deactivate on Bea Beds")
			}
			test.Tap(deactivate)
			settle(ui)
			mustShow(t, ui, "no longer be able to sign in")
			tap(t, ui, "Yes")
			bea, _ := userNamed(t, db, "Bea Beds")
			if bea.Active {
				t.Fatal("Bea Beds still active")
			}
			mustShow(t, ui, "Deactivated")
		})
	}
}

// enrolFromScreen enrols a fresh store with the short code the enrol
// dialog shows, as a new device would over the network, and waits for the
// dialog to say it is enrolled. It returns the grant.
func enrolFromScreen(t *testing.T, ui *UI, clock *testClock, name string) mesh.EnrolGrant {
	t.Helper()
	m := regexp.MustCompile(`--short-code (\S+) --from (\S+) --fingerprint (\S+)`).FindStringSubmatch(strings.Join(texts(ui), "\n"))
	if m == nil {
		t.Fatalf("no short code on screen %q", texts(ui))
	}
	fresh, err := store.Create(t.Context(), filepath.Join(t.TempDir(), "new.lifeboat"), storetest.Passphrase, store.TestKDF,
		store.Options{Now: clock.Now, NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	pub, _ := fresh.DevicePublicKey(t.Context())
	g, err := mesh.Enrol(t.Context(), mesh.EnrolWith{ShortCode: m[1], Addr: m[2], Fingerprint: m[3]}, pub, name)
	if err != nil {
		t.Fatalf("Enrol: %v", err)
	}
	// The admin device hears of it just after the new device has its
	// grant: wait for the dialog to say so.
	for deadline := time.Now().Add(10 * time.Second); !shows(ui, name+" is enrolled"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the dialog never said the device enrolled: %q", texts(ui))
		}
		settle(ui)
	}
	return g
}

// The admin shows an enrolment code; a new device enrols with the short
// code over the network and appears in the list; the admin revokes it.
func TestAdmin_EnrolAndRevokeDevice(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	openAdmin(t, ui, "Devices")
	node := meshtest.Start(t, db)
	ui.sync = node
	ui.enrolAt = "127.0.0.1:0"
	mustShow(t, ui, "This device")

	tap(t, ui, "Enrol a device")
	tap(t, ui, "Next") // this device's ward, as the chooser offers
	typeAdminPassphrase(t, ui)
	g := enrolFromScreen(t, ui, clock, "Ward 7 laptop 3")
	if len(g.Join) != 1 || g.Join[0] != node.Addr() {
		t.Errorf("grant joins %v, want this device's sync address %s", g.Join, node.Addr())
	}
	tap(t, ui, "Close")
	mustShow(t, ui, "Ward 7 laptop 3", "enrolled 22-Nov-2026", "by Ada Admin")
	// (No golden: device IDs are fresh keys each run.)

	test.Tap(card(t, ui, "Ward 7 laptop 3"))
	var revoke *widget.Button
	for _, o := range test.LaidOutObjects(card(t, ui, "Ward 7 laptop 3")) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Revoke" {
			revoke = b
		}
	}
	if revoke == nil {
		t.Fatal("no Revoke on the new device")
	}
	test.Tap(revoke)
	settle(ui)
	tap(t, ui, "Revoke") // no reason: refused in the dialog
	mustShow(t, ui, "Say why the device is revoked")
	test.Type(entry(t, ui, "e.g. laptop lost"), "left on the bus")
	tap(t, ui, "Revoke")
	devs, _ := db.Devices(t.Context())
	for _, d := range devs {
		if d.ID == g.DeviceID && !d.Revoked() {
			t.Error("the device is not revoked")
		}
	}
	mustShow(t, ui, "Revoked ", "Site key", "when Ward 7 laptop 3 was revoked (left on the bus)")
}

// While a site key change waits for a device, enrolment is refused in
// plain words (the new device could hold keys the ward drops before it is
// counted).
func TestAdmin_EnrolRefusedDuringAKeyChange(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	ctx := t.Context()
	openAdmin(t, ui, "Devices")
	away, lost := storetest.NewDevice(t), storetest.NewDevice(t)
	if err := db.UnlockAdmin(ctx, ui.Session(), cli.DemoAdminPassphrase); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*storetest.Device{away, lost} {
		if _, err := db.Enrol(ctx, ui.Session(), d.Pub, "ward pc"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Revoke(ctx, ui.Session(), lost.ID, "lost"); err != nil {
		t.Fatal(err)
	}
	ui.sync = meshtest.Start(t, db)
	tap(t, ui, "Enrol a device")
	mustShow(t, ui, "The site key is being changed")
	if shows(ui, "--short-code") {
		t.Error("an enrolment code was shown during the key change")
	}
}

// Without sync running, enrolment is refused in plain words.
func TestAdmin_EnrolNeedsSync(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Devices")
	tap(t, ui, "Enrol a device")
	mustShow(t, ui, "not syncing with the ward")
}

// The audit log lists what was done and by whom, and checks its chain.
func TestAdmin_AuditLog(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Audit log")
	mustShow(t, ui, "Signed in", "By Ada Admin", "Unlocked with the ward passphrase")
	tap(t, ui, "Check the log is intact")
	mustShow(t, ui, "The audit log is intact")
}

// typeAdminPassphrase answers the admin passphrase dialog (withAdminKey)
// with the demo admin's own passphrase.
func typeAdminPassphrase(t *testing.T, ui *UI) {
	t.Helper()
	settle(ui)
	mustShow(t, ui, "Your admin passphrase")
	test.Type(entry(t, ui, "Your own admin passphrase"), cli.DemoAdminPassphrase)
	tap(t, ui, "Continue")
	settle(ui)
}

// A wrong admin passphrase is said in the dialog, which stays open with
// what was typed; the right one goes on with the change.
func TestAdmin_WrongAdminPassphrase(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Staff")
	test.Tap(card(t, ui, "Bea Beds"))
	var deactivate *widget.Button
	for _, o := range test.LaidOutObjects(card(t, ui, "Bea Beds")) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Deactivate" {
			deactivate = b
		}
	}
	test.Tap(deactivate)
	settle(ui)
	tap(t, ui, "Yes")
	settle(ui)
	e := entry(t, ui, "Your own admin passphrase")
	test.Type(e, "the ward passphrase perhaps")
	tap(t, ui, "Continue")
	settle(ui)
	mustShow(t, ui, "That is not your admin passphrase")
	if bea, _ := userNamed(t, db, "Bea Beds"); !bea.Active {
		t.Fatal("deactivated with a wrong admin passphrase")
	}
	e.SetText("")
	test.Type(e, cli.DemoAdminPassphrase)
	tap(t, ui, "Continue")
	settle(ui)
	if bea, _ := userNamed(t, db, "Bea Beds"); bea.Active {
		t.Error("Bea Beds still active after the right admin passphrase")
	}
}

// Adding an IT admin takes their own admin passphrase: too short or typed
// differently twice is said in the form and adds no one; then the new
// admin's passphrase opens their personal key.
func TestAdmin_AddAnITAdmin(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openAdmin(t, ui, "Staff")
	tap(t, ui, "Add a person")
	test.Type(entry(t, ui, "Full name"), "Ivy IT")
	choose(t, ui, "Choose a role").SetSelected(lifeboat.RoleITAdmin.Label())
	test.Type(entry(t, ui, "4 to 8 digits"), "4826")
	test.Type(entry(t, ui, "The same PIN again"), "4826")
	test.Type(entry(t, ui, "IT admins only"), "short")
	tap(t, ui, "Add")
	mustShow(t, ui, "An IT admin needs an admin passphrase of their own")
	e := entry(t, ui, "IT admins only")
	e.SetText("")
	test.Type(e, "ivy's own passphrase")
	test.Type(entry(t, ui, "The same admin passphrase"), "ivy's other passphrase")
	tap(t, ui, "Add")
	mustShow(t, ui, "The two admin passphrases are different")
	if _, ok := userNamed(t, db, "Ivy IT"); ok {
		t.Fatal("an admin was added while the form had problems")
	}
	e = entry(t, ui, "The same admin passphrase")
	e.SetText("")
	test.Type(e, "ivy's own passphrase")
	tap(t, ui, "Add")
	typeAdminPassphrase(t, ui)
	u, ok := userNamed(t, db, "Ivy IT")
	if !ok || u.Role != lifeboat.RoleITAdmin {
		t.Fatalf("Ivy IT = %+v, %v; want an IT admin", u, ok)
	}
	s, err := db.SignIn(t.Context(), u.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UnlockAdmin(t.Context(), s, "ivy's own passphrase"); err != nil {
		t.Errorf("the new admin's passphrase does not open their key: %v", err)
	}
}

// After adding a person the Staff tab says who was added and when they can
// sign in elsewhere, on screen, and lists them. Before this the dialog
// closed with nothing said.
func TestAdmin_AddPersonSaysSo(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openAdmin(t, ui, "Staff")
			tap(t, ui, "Add a person")
			test.Type(entry(t, ui, "Full name"), "Sam Student")
			choose(t, ui, "Choose a role").SetSelected(lifeboat.RoleWardStaff.Label())
			test.Type(entry(t, ui, "4 to 8 digits"), "4826")
			test.Type(entry(t, ui, "The same PIN again"), "4826")
			tap(t, ui, "Add")
			typeAdminPassphrase(t, ui)
			if _, ok := userNamed(t, db, "Sam Student"); !ok {
				t.Fatal("Sam Student was not added")
			}
			const want = "Added Sam Student (ward staff). They can sign in on every device once it syncs."
			var said *widget.Label
			for _, o := range objects(ui) {
				if l, ok := o.(*widget.Label); ok && l.Text == want {
					said = l
				}
			}
			if said == nil {
				t.Fatalf("screen shows %q, want %q", texts(ui), want)
			}
			relayout(ui)
			mustBeInView(t, ui.win, said, "the added message")
			card(t, ui, "Sam Student")
			golden(t, ui, "admin_added_person_"+sizeSuffix(size))
		})
	}
}
