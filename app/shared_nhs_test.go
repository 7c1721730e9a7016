package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh/meshtest"
)

// newUIOver is a UI at size over db (an unlocked storetest store),
// with the test clock at now.
func newUIOver(t *testing.T, db *store.DB, size fyne.Size, now time.Time) *UI {
	t.Helper()
	return newUIWithStore(t, size, db, &testClock{t: now})
}

// sharedRows returns, for each row of the ward list that db shows, whether
// it is flagged as sharing its NHS number.
func sharedRows(t *testing.T, db *store.DB, now time.Time) map[string]bool {
	t.Helper()
	rows, err := LoadWard(t.Context(), db, "w7", now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		out[r.Patient.ID] = r.SharedNHS
	}
	return out
}

// pollUntil polls cond until it holds or the deadline passes.
func pollUntil(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %s", what, within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSharedNHS_PartitionHealFlagsBothMergeClearsBoth: two devices apart
// each register the same NHS number (neither can know of the other's).
// Once they sync through real mesh nodes both records are flagged on both
// devices, on the ward list and the patient screen; the IT admin merges
// them from the worklist on one device, and after the next sync the flag
// is gone on both, with one live record holding the number.
func TestSharedNHS_PartitionHealFlagsBothMergeClearsBoth(t *testing.T) {
	ctx := t.Context()
	now := storetest.T0.Add(2 * time.Hour)
	opts := store.Options{Now: func() time.Time { return now }, NoBackup: true}
	a, as := storetest.MustInit(t, opts)
	w := forms.Ward{ID: "w7", Name: "Ward 7", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "b2", Label: "Bed 2"}}}
	storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindWardDefined, PerformedAt: storetest.T0, Payload: w})
	b, bs := storetest.MustJoin(t, a, as, opts)

	// Apart: no nodes running. Each device registers the man in front of it.
	pa, err := a.RegisterArrival(ctx, as, store.Arrival{Patient: forms.Patient{Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04", Sex: "male", NHSNumber: "943 476 5919"}, Ward: "w7", Bed: "b1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.RegisterArrival(ctx, bs, store.Arrival{Patient: forms.Patient{Surname: "Smith", Given: "Rich", BirthDate: "1957-03-04", Sex: "male", NHSNumber: "9434765919"}, Ward: "w7", Bed: "b2"}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if f := sharedRows(t, a, now); f[pa.ID] {
		t.Fatalf("flagged before the devices met: %v", f)
	}

	// The partition heals.
	na := meshtest.Start(t, a)
	meshtest.Start(t, b, na.Addr())
	both := func(db *store.DB, flagged bool) func() (bool, string) {
		return func() (bool, string) {
			f := sharedRows(t, db, now)
			return len(f) == 2 && f[pa.ID] == flagged && f[pb.ID] == flagged, fmt.Sprint(f)
		}
	}
	pollUntil(t, 30*time.Second, "both records flagged on device A", both(a, true))
	pollUntil(t, 30*time.Second, "both records flagged on device B", both(b, true))

	// Device A's screens: the chip on the ward list and on the patient.
	ui := newUIOver(t, a, desktop, now)
	tap(t, ui, "Ada Admin")
	typePIN(t, ui, storetest.AdminPIN)
	tap(t, ui, "Sign in")
	ui.ShowSection("ward")
	settle(ui)
	mustShow(t, ui, "SMITH, Richard", "SMITH, Rich", sharedNHSWords)
	test.Tap(card(t, ui, "SMITH, Rich"))
	settle(ui)
	mustShow(t, ui, sharedNHSWords)
	if button(t, ui, "Merge records") == nil {
		t.Fatal("no way to merge from the patient screen")
	}

	// The merge task on the worklist: a reason is required, then it merges.
	ui.ShowSection("reconcile")
	settle(ui)
	showTab(t, ui, "Worklist")
	mustShow(t, ui, "Records to merge: 1 NHS number", "NHS 943 476 5919 is held by 2 records:", "SMITH, Richard, born 04-Mar-1957 (registered first: kept)")
	tap(t, ui, "Merge SMITH, Rich into the first record")
	tapExact(t, ui, "Merge")
	mustShow(t, ui, "Say how you checked they are one person")
	entry(t, ui, "How you checked").SetText("Same man: checked his wristband and date of birth with him")
	tapExact(t, ui, "Merge")
	if v, _ := a.Patient(ctx, pb.ID); v.MergedInto != pa.ID {
		t.Fatalf("after the merge on A: %s is %s into %q, want merged into the first record", pb.ID, v.Status, v.MergedInto)
	}
	if shows(ui, "Records to merge") {
		t.Error("the merge task is still on the worklist after merging")
	}

	// Both devices: one live record, no flag.
	one := func(db *store.DB) func() (bool, string) {
		return func() (bool, string) {
			f := sharedRows(t, db, now)
			return len(f) == 1 && !f[pa.ID], fmt.Sprint(f)
		}
	}
	pollUntil(t, 30*time.Second, "flag cleared on device A", one(a))
	pollUntil(t, 30*time.Second, "flag cleared on device B", one(b))
	sv, err := b.Patient(ctx, pa.ID)
	if err != nil || !sv.KnownAs(pb.ID) {
		t.Errorf("on device B the survivor %+v, %v does not hold the merged record", sv, err)
	}
	ui.ShowSection("ward")
	settle(ui)
	if shows(ui, sharedNHSWords) {
		t.Error("the ward list still flags the merged records")
	}
}

// TestSharedNHS_WardStaffMergeFromPatientScreen: a nurse sees the flag on
// the patient and merges the two records from there.
func TestSharedNHS_WardStaffMergeFromPatientScreen(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	signInAs(t, ui, "Nia Nurse", "1357")
	var smith store.PatientView
	ps, _ := db.Patients(t.Context(), "")
	for _, p := range ps {
		if p.Surname == "Smith" && p.Given == "Richard" {
			smith = p
		}
	}
	// A second record with his number, as another device registered him
	// while apart.
	dup := storetest.PatientDraft("SMITH", "Rich", smith.BirthDate, smith.NHSNumber, demoNow)
	if _, err := db.Append(t.Context(), ui.Session(), dup); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(t.Context(), ui.Session(), storetest.AdmitDraft(dup.Subject, "w7", "", demoNow)); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	entry(t, ui, "Search name").SetText("smith")
	settle(ui)
	mustShow(t, ui, sharedNHSWords)
	test.Tap(card(t, ui, "SMITH, Rich"))
	settle(ui)
	tap(t, ui, "Merge records")
	entry(t, ui, "How you checked").SetText("Asked him; same wristband")
	tapExact(t, ui, "Merge")
	v, err := db.Patient(t.Context(), dup.Subject)
	if err != nil || v.Status != store.PatientMerged {
		t.Fatalf("after the nurse's merge: %+v, %v; want one record merged into the other", v, err)
	}
	if shows(ui, sharedNHSWords) {
		t.Error("the flag is still shown after merging")
	}
}
