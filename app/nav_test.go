package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

func TestWardList_DosesAndLiveUpdate(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	if shows(ui, "dose") {
		t.Errorf("doses shown at 09:00 with none due: %q", texts(ui))
	}
	// At 11:30 the 12:00 round is due.
	clock.Advance(2*time.Hour + 30*time.Minute)
	ui.ShowSection("ward")
	settle(ui)
	mustShow(t, ui, "1 dose due")

	// A set recorded elsewhere (here straight into the store, as sync
	// would) shows without anyone tapping.
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var okafor store.PatientView
	for _, p := range pts {
		if p.Surname == "Okafor" {
			okafor = p
		}
	}
	i := func(v int) *int { return &v }
	tc, air := 39.6, false
	_, err = db.Append(t.Context(), ui.Session(), store.Draft{Kind: forms.KindObsRecorded, Subject: okafor.ID, PerformedAt: clock.Now(),
		Payload: forms.Observations{PatientID: okafor.ID, RespRate: i(26), SpO2: i(90), OnOxygen: &air, Systolic: i(88), Pulse: i(135), Consciousness: "V", TempC: &tc}})
	if err != nil {
		t.Fatal(err)
	}
	settle(ui)
	mustShow(t, ui, "NEWS2 17")
}

func TestPhoneMenu(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	if shows(ui, "Switch user") {
		t.Error("phone shows the sidebar's Switch user on the ward list; want it behind Menu")
	}
	tap(t, ui, "Menu")
	mustShow(t, ui, "Ward list", "Switch user", "Lock")
	tap(t, ui, "Ward list")
	mustShow(t, ui, "18 patients")
	tap(t, ui, "Menu")
	tap(t, ui, "Lock")
	settle(ui)
	if !db.Locked() {
		t.Error("Lock from the menu did not lock the store")
	}
	mustShow(t, ui, "Unlock this device")
}

func TestPIN_Keyboard(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	tap(t, ui, "Nia Nurse")
	c := ui.win.Canvas().(test.WindowlessCanvas)
	for _, r := range cli.DemoNursePIN {
		c.OnTypedRune()(r)
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	settle(ui)
	if ui.Session() == nil {
		t.Fatalf("PIN typed on the keyboard did not sign in; screen shows %q", texts(ui))
	}
}

// failingStore is the real store with Append failing as a full disk
// would, with patient data in the error text.
type failingStore struct{ *store.DB }

func (f failingStore) Append(context.Context, *store.Session, store.Draft) (lifeboat.Event, error) {
	return lifeboat.Event{}, errors.New("disk full writing SMITH Richard 9990000379")
}

func TestShowError_NoRawText(t *testing.T) {
	clock := &testClock{t: demoNow}
	db := mustDemoStore(t, clock)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(desktop)
	ui := newUI(fyne.CurrentApp(), w, failingStore{db}, Options{Now: clock.Now}, testDo.add)
	t.Cleanup(ui.Close)
	openPatient(t, ui, db, "smith", "SMITH, Richard")
	before := len(mustObs(t, db, ""+mustPatientID(t, db, "Smith")))
	tap(t, ui, "Record observations")
	fillObs(t, ui, "18", "97", "120", "80", "70", "37", optAir, "A")
	tap(t, ui, "Save observations")
	mustShow(t, ui, "Something went wrong saving this. Nothing was changed.")
	if shows(ui, "disk full") || shows(ui, "9990000379") {
		t.Errorf("raw error text on screen: %q", texts(ui))
	}
	if _, ok := ui.drafts[ui.draftKey(mustPatientID(t, db, "Smith"))]; !ok {
		t.Error("draft dropped after a failed save")
	}
	if n := len(mustObs(t, db, mustPatientID(t, db, "Smith"))); n != before {
		t.Errorf("store holds %d sets, want %d", n, before)
	}
}

func mustPatientID(t *testing.T, db *store.DB, surname string) string {
	t.Helper()
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.Surname == surname {
			return p.ID
		}
	}
	t.Fatalf("no patient %s", surname)
	return ""
}

func TestTransfer(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	tap(t, ui, "Transfer")
	// The bed board's move dialog: free beds only (bed 20 is closed, bed
	// 2 is Smith's own), and a ward with no bed yet.
	bed := choose(t, ui, "Choose a free bed")
	for _, o := range bed.Options {
		if strings.HasSuffix(o, ", Bed 20") || strings.HasSuffix(o, ", Bed 2") {
			t.Errorf("transfer offers %q, not a free bed", o)
		}
	}
	if !slices.Contains(bed.Options, "Ward 7 - Acute Medicine, no bed yet") {
		t.Errorf("transfer offers %q, want the ward with no bed yet among them", bed.Options)
	}
	bed.SetSelected("Ward 7 - Acute Medicine, Bed 17")
	tap(t, ui, "Move")
	p, err := db.Patient(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bed != "b17" {
		t.Fatalf("bed after transfer = %q, want b17", p.Bed)
	}
	mustShow(t, ui, "Bed 17, Ward 7 - Acute Medicine")
}
