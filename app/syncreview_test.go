package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// lastAudit is the newest audit entry for action, if any (among the
// newest 50).
func lastAudit(t *testing.T, db *store.DB, action string) (store.AuditEntry, bool) {
	t.Helper()
	log, err := db.AuditLog(t.Context(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == action {
			return e, true
		}
	}
	return store.AuditEntry{}, false
}

// quarantineForged takes a real patient registration from the demo log,
// alters its payload as a bad peer would, has the store refuse it, and
// keeps it in the quarantine as the mesh does. db must be unlocked.
func quarantineForged(t *testing.T, db *store.DB) lifeboat.Event {
	t.Helper()
	ctx := t.Context()
	pts, err := db.Patients(ctx, "")
	if err != nil || len(pts) == 0 {
		t.Fatalf("Patients() = %d, %v", len(pts), err)
	}
	evs, err := db.Events(ctx, pts[0].ID, forms.KindPatientRegistered)
	if err != nil || len(evs) == 0 {
		t.Fatalf("Events(%s) = %d, %v", pts[0].ID, len(evs), err)
	}
	forged := evs[0]
	// The registration as a forger sends it: altered, in clear, under the
	// device's signature over the sealed original.
	forged.Sealed = nil
	forged.Payload = []byte(strings.Replace(string(forged.Payload), pts[0].Surname, "Forgedname", 1))
	if string(forged.Payload) == string(evs[0].Payload) {
		t.Fatal("the payload was not altered")
	}
	res, err := db.ApplyRemote(ctx, []lifeboat.Event{forged})
	if err != nil || len(res.Refused) != 1 {
		t.Fatalf("ApplyRemote(forged) = %+v, %v, want it refused", res, err)
	}
	if err := db.Quarantine(ctx, forged, "d-laptop", res.Refused[0].Reason); err != nil {
		t.Fatal(err)
	}
	return forged
}

// An IT admin reviews a forged record from the Sync screen with sync
// off: it is listed in plain words; Try again leaves it refused and says
// why; Discard wants a reason, then removes it, and the audit log has both.
func TestSyncReview_AdminTriesAgainThenDiscards(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	forged := quarantineForged(t, db)
	ui.ShowSection("sync")
	settle(ui)

	self, err := db.Device(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	title := fmt.Sprintf("Refused record %d from ", forged.Seq)
	mustShow(t, ui, "Sync is off on this device", "Needs review", title,
		"Patient details · offered by Device d-laptop at 22-Nov-2026 09:00")
	if lifeboat.DeviceOf(forged.Device) != self {
		t.Fatalf("the demo patient was registered on %s, want this device %s", forged.Device, self)
	}
	title += "this device"
	mustShow(t, ui, title)
	qs, _ := db.Quarantined(t.Context())
	if len(qs) != 1 {
		t.Fatalf("Quarantined() = %+v, want the forged record", qs)
	}
	plain := reasonText(nil, qs[0].Reason)
	if strings.Contains(plain, "could not be checked") {
		t.Fatalf("reason %q has no plain words", qs[0].Reason)
	}
	mustShow(t, ui, plain)
	if shows(ui, qs[0].Reason) {
		t.Errorf("screen shows the raw reason %q", qs[0].Reason)
	}
	if shows(ui, "Ask IT to review") {
		t.Error("an IT admin is told to ask IT")
	}

	tapIn(t, ui, title, "Try again")
	mustShow(t, ui, "Tried again: still refused. "+plain, title)
	golden(t, ui, "syncreview_desktop")
	if qs, _ := db.Quarantined(t.Context()); len(qs) != 1 {
		t.Errorf("after Try again, Quarantined() = %+v, want it kept", qs)
	}
	if e, ok := lastAudit(t, db, "admin.quarantine_released"); !ok || e.Subject != forged.ID {
		t.Errorf("audit of Try again = %+v, %v", e, ok)
	}
	if _, err := db.Event(t.Context(), forged.ID); err != nil {
		t.Fatalf("the genuine record is gone: %v", err)
	}

	tapIn(t, ui, title, "Discard")
	mustShow(t, ui, "Discard refused record", "deleted from this device for good")
	tap(t, ui, "Discard") // the dialog's, on top
	mustProblem(t, ui, "Say why it is discarded")
	if qs, _ := db.Quarantined(t.Context()); len(qs) != 1 {
		t.Fatalf("discarded without a reason: Quarantined() = %+v", qs)
	}
	test.Type(entry(t, ui, "e.g. forged"), "forged: reported to IT security")
	tap(t, ui, "Discard")
	if shows(ui, title) || shows(ui, "Tried again") {
		t.Errorf("discarded record still shown: %q", texts(ui))
	}
	mustShow(t, ui, "Needs review", "Nothing to review.")
	if qs, _ := db.Quarantined(t.Context()); len(qs) != 0 {
		t.Errorf("after Discard, Quarantined() = %+v, want none", qs)
	}
	if e, ok := lastAudit(t, db, "admin.quarantine_discarded"); !ok || e.Subject != forged.ID || e.Detail != "forged: reported to IT security" {
		t.Errorf("audit of Discard = %+v, %v", e, ok)
	}
}

// Ward staff see the refused record and whom to ask, and cannot act on it.
func TestSyncReview_NurseAsksIT(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	forged := quarantineForged(t, db)
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, fmt.Sprintf("Refused record %d from ", forged.Seq), "Patient details", "Ask IT to review")
	for _, b := range []string{"Try again", "Discard"} {
		if hasButton(ui, b) {
			t.Errorf("ward staff are offered %q", b)
		}
	}
}

// Once the device a record came from is enrolled, Try again lets it in:
// it leaves the list, which says so, and the record is in the log.
func TestSyncReview_TryAgainLetsInOnceEnrolled(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	ctx := t.Context()
	admin, _ := userNamed(t, db, "Ada Admin")
	dev := storetest.NewDevice(t)
	b, _ := json.Marshal(forms.Patient{ID: "p-late", Surname: "Late", Given: "Lou", BirthDate: "1950-01-01", TempID: "DT-LATE-1"})
	ev := dev.Next(admin.ID, forms.KindPatientRegistered, "p-late", b, demoNow)
	res, err := db.ApplyRemote(ctx, []lifeboat.Event{ev})
	if err != nil || len(res.Refused) != 1 {
		t.Fatalf("ApplyRemote(unknown device) = %+v, %v", res, err)
	}
	if err := db.Quarantine(ctx, ev, "d-laptop", res.Refused[0].Reason); err != nil {
		t.Fatal(err)
	}
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Refused record 1 from Device "+dev.ID, "not enrolled at this site")

	as := adminSession(t, db)
	if _, err := db.Enrol(ctx, as, dev.Pub, "Ward 7 tablet"); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	mustShow(t, ui, "Refused record 1 from Ward 7 tablet")
	tapIn(t, ui, "Refused record 1 from Ward 7 tablet", "Try again")
	mustShow(t, ui, "Refused record 1 from Ward 7 tablet passed every check", "Nothing to review.")
	if _, err := db.Event(ctx, ev.ID); err != nil {
		t.Errorf("the record let in is not in the log: %v", err)
	}
}

// A long quarantine lists its newest 50 and counts the rest.
func TestSyncReview_Bounded(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	for i := 1; i <= maxQuarantineShown+3; i++ {
		clock.Advance(time.Second)
		e := lifeboat.Event{ID: fmt.Sprintf("e%d", i), Device: "d-old", Seq: uint64(i), Kind: "x.unknown"}
		if err := db.Quarantine(t.Context(), e, "d-laptop", store.ErrUnknownDevice.Error()); err != nil {
			t.Fatal(err)
		}
	}
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, fmt.Sprintf("Refused record %d from", maxQuarantineShown+3), "And 3 more refused records.", `Record of type "x.unknown"`)
	if shows(ui, "Refused record 3 from") {
		t.Error("the oldest records are listed, want the newest")
	}
	if !shows(ui, "Refused record 4 from") {
		t.Error("the 50th newest record is not listed")
	}
}

// hasButton reports whether a visible button is labelled exactly label.
func hasButton(ui *UI, label string) bool {
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return true
		}
	}
	return false
}

// quarantineUnreadable is the real store whose quarantine cannot be read.
type quarantineUnreadable struct{ *store.DB }

func (quarantineUnreadable) Quarantined(context.Context) ([]lifeboat.Quarantined, error) {
	return nil, errors.New("list quarantine: e1: message authentication failed")
}

// If the store's quarantine cannot be read, the mesh's copy is listed and
// the screen says so in plain words.
func TestSyncReview_StoreUnreadableShowsMeshCopy(t *testing.T) {
	clock := &testClock{t: demoNow}
	db := mustDemoStore(t, clock)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(desktop)
	fake := &fakeSync{st: reviewStatus()}
	ui := newUI(fyne.CurrentApp(), w, quarantineUnreadable{db}, Options{Now: clock.Now, Sync: fake}, testDo.add)
	t.Cleanup(ui.Close)
	openSync(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "could not be read just now", "Refused record 42 from Device d-old", "after that device was revoked")
	if shows(ui, "authentication failed") {
		t.Errorf("raw error text on screen: %q", texts(ui))
	}
}

// A record held back with a flood is not offered "Try again": that would
// slip it past the hold, which "Let these in" lifts after review.
func TestSyncReview_FloodHoldHasNoTryAgain(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	pts, _ := db.Patients(t.Context(), "")
	evs, err := db.Events(t.Context(), pts[0].ID, forms.KindPatientRegistered)
	if err != nil || len(evs) == 0 {
		t.Fatal(err)
	}
	if err := db.Quarantine(t.Context(), evs[0], "d-laptop", "101 corrections within 10m0s, from seq 7 on: "+mesh.ErrFlood.Error()); err != nil {
		t.Fatal(err)
	}
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Many corrections", "review them, then use Let these in")
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Try again" {
			t.Fatal("a flood-held record offers Try again")
		}
	}
	button(t, ui, "Discard")
}

// An admin's change made while their admin role was being removed on
// another device stands, and the Sync screen asks a person to check it.
func TestSyncReview_ConcurrentAdminChangeListed(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	ctx := t.Context()
	as := adminSession(t, db)
	x, err := db.NewAdmin(ctx, as, "Xena Admin", "4826", "xena's own passphrase")
	if err != nil {
		t.Fatal(err)
	}
	peer, _ := storetest.MustJoin(t, db, as, store.Options{NoBackup: true})
	xs, err := peer.SignIn(ctx, x.ID, "4826", "")
	if err == nil {
		err = peer.UnlockAdmin(ctx, xs, "xena's own passphrase")
	}
	if err != nil {
		t.Fatal(err)
	}
	// Apart: this device removes Xena's admin role; on the laptop she adds
	// a person.
	if err := db.SetUserActive(ctx, as, x.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.NewUser(ctx, xs, "Pat Porter", lifeboat.RoleWardStaff, "4827"); err != nil {
		t.Fatal(err)
	}
	evs, _ := peer.EventsAfter(ctx, nil, 1<<20)
	if res, err := db.ApplyRemote(ctx, evs); err != nil || len(res.Refused) > 0 {
		t.Fatalf("apply the laptop's events: %+v %v", res, err)
	}
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Check this change", "by Xena Admin")
}

// Every kind Lifeboat declares is named on the review list by its label
// in forms' kind registry (one declaration per kind), never by its code:
// before the registry, allergies, weights, census imports and back-entry
// statuses were listed as `Record of type "allergy.recorded"`.
func TestSyncReview_EveryKindNamedByItsLabel(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	kinds := forms.Kinds()
	if len(kinds) > maxQuarantineShown {
		t.Fatalf("%d kinds do not fit the %d records listed", len(kinds), maxQuarantineShown)
	}
	for i, k := range kinds {
		clock.Advance(time.Second)
		e := lifeboat.Event{ID: fmt.Sprintf("e%d", i), Device: "d-old", Seq: uint64(i + 1), Kind: k.Kind}
		if err := db.Quarantine(t.Context(), e, "d-laptop", store.ErrUnknownDevice.Error()); err != nil {
			t.Fatal(err)
		}
	}
	ui.ShowSection("sync")
	settle(ui)
	for _, k := range kinds {
		mustShow(t, ui, k.Label+" · offered by")
	}
	if shows(ui, "Record of type") {
		t.Errorf("a declared kind is shown by its code: %q", texts(ui))
	}
}

// The back-entry worklist names each kind by the same label.
func TestKindWords_RegistryLabels(t *testing.T) {
	for _, k := range forms.Kinds() {
		if got := kindWords(k.Kind); got != k.Label {
			t.Errorf("kindWords(%s) = %q, want %q", k.Kind, got, k.Label)
		}
		if got := recordKindWords(k.Kind); got != k.Label {
			t.Errorf("recordKindWords(%s) = %q, want %q", k.Kind, got, k.Label)
		}
	}
	if got := kindWords("x.newer"); got != "x.newer" {
		t.Errorf("kindWords of an unknown kind = %q", got)
	}
}

// A peer's records that this device would have refused (an NHS number
// failing its check digit, an SpO2 of 150%) are kept and listed under
// "Needs review" for everyone, with the patient, the device and what is
// wrong in plain words; marked entered in error, the set leaves the list.
func TestSyncReview_PeersImpossibleRecordsFlagged(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeSuffix(size), func(t *testing.T) { peersImpossibleRecordsFlagged(t, size) })
	}
}

func peersImpossibleRecordsFlagged(t *testing.T, size fyne.Size) {
	ui, db, _ := newTestUI(t, size)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	ctx := t.Context()
	admin, _ := userNamed(t, db, "Ada Admin")
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, adminSession(t, db), dev.Pub, "Old laptop"); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(forms.Patient{ID: "p-mistyped", Surname: "Mensah", Given: "Kofi", BirthDate: "1962-07-01", NHSNumber: "1234567890"})
	reg := dev.Next(admin.ID, forms.KindPatientRegistered, "p-mistyped", b, demoNow)
	spo2 := 150
	b, _ = json.Marshal(forms.Observations{PatientID: "p-mistyped", SpO2: &spo2})
	obs := dev.Next(admin.ID, forms.KindObsRecorded, "p-mistyped", b, demoNow)
	if res, err := db.ApplyRemote(ctx, []lifeboat.Event{reg, obs}); err != nil || res.Applied != 2 {
		t.Fatalf("ApplyRemote = %+v, %v, want both kept", res, err)
	}

	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Needs review", "Check this record",
		"Patient details for MENSAH, Kofi from Old laptop", "fails its check digit",
		"Observations for MENSAH, Kofi from Old laptop", "Oxygen saturation must be between",
		"This device would not have saved it")
	if shows(ui, "Nothing to review.") {
		t.Error("the list says nothing to review")
	}
	golden(t, ui, "syncreview_flagged_"+sizeSuffix(size))

	if _, err := db.Append(ctx, ui.Session(), store.Draft{Kind: lifeboat.KindEnteredInError, Subject: "p-mistyped", PerformedAt: demoNow,
		Corrects: obs.ID, Payload: lifeboat.EnteredInError{Reason: "probe fault"}}); err != nil {
		t.Fatal(err)
	}
	ui.ShowSection("ward")
	ui.ShowSection("sync")
	settle(ui)
	mustShow(t, ui, "Patient details for MENSAH, Kofi from Old laptop")
	if shows(ui, "Observations for MENSAH, Kofi") {
		t.Error("a set marked entered in error is still listed")
	}
}
