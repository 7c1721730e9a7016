package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/reconcile"
)

// showTab selects the patient screen's tab called title.
func showTab(t *testing.T, ui *UI, title string) {
	t.Helper()
	for _, o := range objects(ui) {
		if tabs, ok := o.(*container.AppTabs); ok {
			for _, it := range tabs.Items {
				if it.Text == title {
					tabs.Select(it)
					settle(ui)
					return
				}
			}
		}
	}
	t.Fatalf("no tab %q; screen shows %q", title, texts(ui))
}

func TestMedicines_RecordDueDoseInOneTap(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3 * time.Hour) // 12:00 doses are now due
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Paracetamol 500 mg tablets", "06:00 given", "12:00 due")

	tap(t, ui, "12:00 due")
	tap(t, ui, "Given")
	admins, err := db.Administrations(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	var got *forms.AdminRecord
	for i, a := range admins {
		if slotLabel(a.Slot) == "12:00" {
			got = &admins[i]
		}
	}
	if got == nil || got.Outcome != forms.OutcomeGiven || got.Author != ui.Session().User.ID || !got.PerformedAt.Equal(clock.Now()) {
		t.Fatalf("stored 12:00 dose = %+v, want given now by Nia Nurse", got)
	}
	mustShow(t, ui, "12:00 given")
}

func TestMedicines_OmittedNeedsAReason(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	tap(t, ui, "12:00 due")
	tap(t, ui, "Omitted")
	radio(t, ui).SetSelected(forms.ReasonNilByMouth.Label())
	tap(t, ui, "Save")
	admins, _ := db.Administrations(t.Context(), pid)
	found := false
	for _, a := range admins {
		found = found || (a.Outcome == forms.OutcomeOmitted && a.ReasonCode == forms.ReasonNilByMouth)
	}
	if !found {
		t.Errorf("no omitted dose with reason nil by mouth among %+v", admins)
	}
	mustShow(t, ui, "12:00 omitted")
}

// doubleDose opens Smith's 12:00 dose at 12:00 and, while its dialog is
// open, has the pharmacist record it as given at 12:01 (another device,
// synced); then taps Given at 12:03. It returns the pharmacist's dose.
func doubleDose(t *testing.T, ui *UI, db *store.DB, clock *testClock, size fyne.Size) forms.Administration {
	t.Helper()
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	medsTab(t, ui, size)
	para := orderNamed(t, db, pid, "Paracetamol 500 mg tablets", false)
	tap(t, ui, "12:00 due")
	phil, _ := userNamed(t, db, "Phil Pharmacist")
	sess, err := db.SignIn(t.Context(), phil.ID, "2468", "")
	if err != nil {
		t.Fatal(err)
	}
	a := forms.Administration{OrderID: para.ID, PatientID: pid, Slot: forms.SlotTime(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)),
		Outcome: forms.OutcomeGiven, Dose: para.Dose}
	storetest.MustAppend(t, db, sess, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: clock.Now().Add(time.Minute), Payload: a})
	clock.Advance(3 * time.Minute)
	settle(ui)
	tap(t, ui, "Given")
	return a
}

// The warning names who gave the dose and when, and the safe answer is
// the highlighted one with the keyboard: Return at 3 a.m. gives nothing.
func TestMedicines_DoubleDoseSaysWhoAndWhenAndDefaultsToCancel(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	a := doubleDose(t, ui, db, clock, desktop)
	before := len(givenOf(t, db, a.PatientID, a.OrderID))
	mustShow(t, ui, "Already given?", "SMITH, Richard", "Paracetamol 500 mg tablets", "Dose 1 g   Route oral",
		"The 12:00 dose is already recorded as given by Phil Pharmacist at 22-Nov-2026 12:01.", "Giving it again may be a double dose")
	again, cancel := button(t, ui, "Record it again"), button(t, ui, "Cancel: do not give")
	if again.Importance == widget.HighImportance || again.Importance == widget.DangerImportance {
		t.Errorf("Record it again is drawn with importance %v, want a plain button (Cancel is the safe choice)", again.Importance)
	}
	if cancel.Importance != widget.HighImportance {
		t.Errorf("Cancel importance = %v, want high (the highlighted default)", cancel.Importance)
	}
	// Nothing has the keyboard: a Return or Space records nothing.
	if f := ui.win.Canvas().Focused(); f != nil {
		t.Errorf("focused = %T, want nothing (a key typed must not record the dose again)", f)
	}
	tap(t, ui, "Cancel: do not give")
	if shows(ui, "Already given?") {
		t.Error("Cancel left the warning open")
	}
	if n := len(givenOf(t, db, a.PatientID, a.OrderID)); n != before {
		t.Fatalf("doses after Return and Space = %d, want %d (nothing saved)", n, before)
	}
}

// Every dose dialog names the patient (to check against the wristband),
// the drug, dose and route, with the allergy line.
func TestMedicines_DoseDialogsNamePatientDrugDoseRoute(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	p, err := db.Patient(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	who := []string{"SMITH, Richard", identityLine(p.Patient), "Paracetamol 500 mg tablets", "Dose 1 g   Route oral", "Allergies NOT RECORDED"}
	showTab(t, ui, "Medicines")
	tap(t, ui, "12:00 due")
	mustShow(t, ui, append(who, "Record dose")...)
	tap(t, ui, "Omitted")
	mustShow(t, ui, append(who, "Why was it omitted?")...)
	tap(t, ui, "Cancel")

	ui, db, _ = newTestUI(t, desktop)
	pid = openPatient(t, ui, db, "Okafor", "OKAFOR, Grace")
	p, _ = db.Patient(t.Context(), pid)
	showTab(t, ui, "Medicines")
	tap(t, ui, "Give a dose now")
	mustShow(t, ui, "OKAFOR, Grace", identityLine(p.Patient), "Dose 1 g   Route oral   when required", "Allergies: Penicillin")
}

// Saving an omitted or held dose without a reason keeps the dialog and
// says so in place; Other needs its note, which is saved with the dose
// and shown on the MAR.
func TestMedicines_OmitWithoutReasonStaysOpenAndOtherNeedsANote(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	before, _ := db.Administrations(t.Context(), pid)
	showTab(t, ui, "Medicines")
	tap(t, ui, "12:00 due")
	tap(t, ui, "Held")
	tap(t, ui, "Save")
	mustProblem(t, ui, "Choose why it was held.")
	tap(t, ui, "Cancel")

	tap(t, ui, "12:00 due")
	tap(t, ui, "Omitted")
	tap(t, ui, "Save")
	mustProblem(t, ui, "Choose why it was omitted.")
	if got, _ := db.Administrations(t.Context(), pid); len(got) != len(before) {
		t.Fatalf("doses after Save with no reason = %d, want %d", len(got), len(before))
	}
	radio(t, ui).SetSelected(forms.ReasonOther.Label())
	settle(ui)
	tap(t, ui, "Save")
	mustProblem(t, ui, "Type the reason in the note")
	test.Type(entry(t, ui, "What happened"), "in theatre until 14:00")
	tap(t, ui, "Save")
	got, _ := db.Administrations(t.Context(), pid)
	if len(got) != len(before)+1 {
		t.Fatalf("doses = %d, want %d", len(got), len(before)+1)
	}
	last := got[len(got)-1]
	if last.Outcome != forms.OutcomeOmitted || last.ReasonCode != forms.ReasonOther || last.Note != "in theatre until 14:00" {
		t.Errorf("saved %+v, want omitted, other, with the note", last.Administration)
	}
	mustShow(t, ui, "12:00 omitted", "12:00 dose: Omitted: in theatre until 14:00 (Nia Nurse, 12:00).")
}

// radio is the visible radio group.
func radio(t *testing.T, ui *UI) *widget.RadioGroup {
	t.Helper()
	for _, o := range objects(ui) {
		if r, ok := o.(*widget.RadioGroup); ok {
			return r
		}
	}
	t.Fatalf("no choice of reasons on screen %q", texts(ui))
	return nil
}

// The MAR moves with the clock while it is shown, without counting as use
// of the app (the idle lock still comes), and its ticker stops once the
// patient is left.
func TestMedicines_MARMovesWithTheClock(t *testing.T) {
	defer func(d time.Duration) { marTick = d }(marTick)
	marTick = 20 * time.Millisecond
	ui, db, clock := newTestUI(t, desktop)
	openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "12:00 later")

	clock.Advance(3*time.Hour + 5*time.Minute) // 12:05, nobody touching the screen
	used := ui.lastUsed
	for deadline := time.Now().Add(10 * time.Second); !shows(ui, "12:00 due"); {
		if time.Now().After(deadline) {
			t.Fatalf("at 12:05 the MAR still shows %q, want 12:00 due", texts(ui))
		}
		time.Sleep(marTick / 2)
		settle(ui)
	}
	if shows(ui, "12:00 later") {
		t.Error("12:00 later still shown at 12:05")
	}
	if !ui.lastUsed.Equal(used) {
		t.Errorf("the MAR's ticking counted as use at %v: the idle lock would never come", ui.lastUsed)
	}

	// Leave the patient: the ticker notices at its next tick and ends (it
	// is the only loop the test UI runs).
	ui.ShowSection("ward")
	stopped := make(chan struct{})
	go func() { ui.loops.Wait(); close(stopped) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		settle(ui)
		select {
		case <-stopped:
		case <-time.After(marTick):
			if time.Now().After(deadline) {
				t.Fatal("the MAR kept ticking after the patient was left")
			}
			continue
		}
		break
	}
}

// orderNamed returns the patient's order of drug, PRN or not.
func orderNamed(t *testing.T, db *store.DB, pid, drug string, prn bool) forms.MedicationOrder {
	t.Helper()
	orders, err := db.MedicationOrders(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.Drug == drug && o.PRN == prn {
			return o
		}
	}
	t.Fatalf("no order of %s (PRN %v) among %+v", drug, prn, orders)
	return forms.MedicationOrder{}
}

// giveOverriding records a dose of o at at through the store, with a
// reason for every warning the store's own check raises.
func giveOverriding(t *testing.T, db *store.DB, sess *store.Session, o forms.MedicationOrder, at time.Time) {
	t.Helper()
	ws, err := db.DoseWarnings(t.Context(), o.PatientID, o.ID, o.Dose, at)
	if err != nil {
		t.Fatal(err)
	}
	a := forms.Administration{OrderID: o.ID, PatientID: o.PatientID, Outcome: forms.OutcomeGiven, Dose: o.Dose}
	for _, w := range ws {
		a.Overrides = append(a.Overrides, forms.DoseOverride{Code: w.Code, Reason: "test: given on the consultant's advice"})
	}
	storetest.MustAppend(t, db, sess, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at, Payload: a})
}

// reasonEntries are the dose dialog's override reason entries, in order.
func reasonEntries(ui *UI) []*widget.Entry {
	var out []*widget.Entry
	for _, o := range objects(ui) {
		if fe, ok := o.(*focusEntry); ok {
			o = &fe.Entry
		}
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == "Why this dose is right for the patient" {
			out = append(out, e)
		}
	}
	return out
}

func buttonsLabelled(ui *UI, label string) int {
	n := 0
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			n++
		}
	}
	return n
}

func givenOf(t *testing.T, db *store.DB, pid, orderID string) []forms.AdminRecord {
	t.Helper()
	recs, err := db.Administrations(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	var out []forms.AdminRecord
	for _, r := range recs {
		if r.OrderID == orderID && r.Outcome == forms.OutcomeGiven {
			out = append(out, r)
		}
	}
	return out
}

func TestMedicines_HeaderShowsAllergiesAndWeight(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPatient(t, ui, db, "Okafor", "OKAFOR, Grace")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Allergies: Penicillin (anaphylaxis, severe)", "Weight 61.4 kg, weighed")
}

func TestMedicines_HeaderSaysAllergiesNotRecorded(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Allergies NOT RECORDED: ask", "Weight NOT RECORDED")
}

func TestMedicines_StoppedOrderStruckThroughAndCannotBeGiven(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Nowak", "NOWAK, Piotr")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Ibuprofen 400 mg tablets", "STOPPED at", "by Nia Nurse: acute kidney injury: no NSAIDs. Do not give.")
	// Only the PRN Oramorph offers a dose: the stopped ibuprofen does not.
	if n := buttonsLabelled(ui, "Give a dose now"); n != 1 {
		t.Errorf("%d Give a dose now buttons, want 1 (the Oramorph, not the stopped ibuprofen)", n)
	}
	// The store refuses a dose at or after the stop, whoever records it.
	ibu := orderNamed(t, db, pid, "Ibuprofen 400 mg tablets", true)
	for _, at := range []time.Time{ibu.Stop, clock.Now()} {
		_, err := db.Append(t.Context(), ui.Session(), store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at,
			Payload: forms.Administration{OrderID: ibu.ID, PatientID: pid, Outcome: forms.OutcomeGiven, Dose: ibu.Dose}})
		if !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("dose of the stopped order at %s: err = %v, want ErrInvalid", at, err)
		}
	}
	if got := givenOf(t, db, pid, ibu.ID); len(got) != 0 {
		t.Errorf("stopped order has %d doses recorded, want none", len(got))
	}
}

func TestMedicines_PRNLimitsAcrossTwoOrdersNeedOverride(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Okafor", "OKAFOR, Grace")
	regular := orderNamed(t, db, pid, "Paracetamol 500 mg tablets", false)
	prn := orderNamed(t, db, pid, "Paracetamol 500 mg tablets", true)
	// 06:10 regular 1 g (seeded); two PRN doses since: 3 g in 24 hours.
	giveOverriding(t, db, ui.Session(), prn, clock.Now().Add(-2*time.Hour))
	giveOverriding(t, db, ui.Session(), prn, clock.Now().Add(-time.Hour))
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Also prescribed as 1 g oral, when required: doses on either count toward the limits.",
		"Also prescribed as 1 g oral, QDS: doses on either count toward the limits.")

	tap(t, ui, "Give a dose now")
	// The fourth gram reaches the maximum exactly: allowed; the interval
	// (the dose an hour ago, on this order) is not. The second order is
	// flagged on both cards but asks no reason of its own: a regular and a
	// PRN order of one drug is the usual pattern, and its doses already
	// count toward the PRN limits.
	mustShow(t, ui, "Allergies: Penicillin", "Warning: A dose was given at 08:00")
	if shows(ui, "in 24 hours; the maximum is") {
		t.Error("the dose reaching the maximum exactly is warned as over it")
	}
	if shows(ui, "Warning: Paracetamol 500 mg tablets is also prescribed") {
		t.Error("a PRN dose beside a regular order of the same drug asks a duplicate-order reason")
	}
	rs := reasonEntries(ui)
	if len(rs) != 1 {
		t.Fatalf("%d reason entries, want 1 (interval)", len(rs))
	}
	tap(t, ui, "Give dose")
	mustProblem(t, ui, "Say why you are giving it anyway, or cancel.")
	if n := len(givenOf(t, db, pid, prn.ID)); n != 2 {
		t.Fatalf("PRN doses after saving with no reasons = %d, want 2", n)
	}
	rs[0].SetText("severe pain, consultant agreed")
	tap(t, ui, "Give dose")
	got := givenOf(t, db, pid, prn.ID)
	if len(got) != 3 {
		t.Fatalf("PRN doses = %d, want 3", len(got))
	}
	last := got[2]
	if len(last.Overrides) != 1 || last.Overrides[0].Code != forms.WarnTooSoon || last.Overrides[0].Reason != "severe pain, consultant agreed" {
		t.Errorf("overrides = %+v, want too soon with its reason", last.Overrides)
	}
	mustShow(t, ui, "OVERRIDE: too soon after the last dose — severe pain, consultant agreed")

	// A fifth gram within 24 hours: over the maximum, counted across both
	// orders. Cancel saves nothing.
	clock.Advance(time.Minute)
	tap(t, ui, "Give a dose now")
	mustShow(t, ui, "This dose would make 5 g in 24 hours; the maximum is 4 g")
	tap(t, ui, "Cancel")
	if n := len(givenOf(t, db, pid, prn.ID)) + len(givenOf(t, db, pid, regular.ID)); n != 4 {
		t.Errorf("paracetamol doses after Cancel = %d, want 4", n)
	}
}

func TestMedicines_AllergyNeedsOverrideOnAScheduledDose(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	storetest.MustAppend(t, db, ui.Session(), store.Draft{Kind: forms.KindAllergyRecorded, PerformedAt: clock.Now(), Payload: forms.Allergy{
		ID: "a-amox", PatientID: pid, Substance: "Amoxicillin", Reaction: "rash", Status: forms.AllergyActive, Source: forms.SourceEntered}})
	amox := orderNamed(t, db, pid, "Amoxicillin 500 mg capsules", false)
	before := len(givenOf(t, db, pid, amox.ID))
	clock.Advance(5 * time.Hour) // 14:00 dose due
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Allergies: Amoxicillin (rash)")
	tap(t, ui, "14:00 due")
	mustShow(t, ui, "Allergies: Amoxicillin (rash)") // repeated in the dose dialog
	tap(t, ui, "Given")
	mustShow(t, ui, "Warning: The patient is recorded as allergic to Amoxicillin (rash).")
	tap(t, ui, "Cancel")
	if n := len(givenOf(t, db, pid, amox.ID)); n != before {
		t.Fatalf("doses after Cancel = %d, want %d", n, before)
	}
	tap(t, ui, "14:00 due")
	tap(t, ui, "Given")
	reasonEntries(ui)[0].SetText("rash was mild; microbiology advise continue")
	tap(t, ui, "Give dose")
	got := givenOf(t, db, pid, amox.ID)
	if len(got) != before+1 || len(got[len(got)-1].Overrides) != 1 || got[len(got)-1].Overrides[0].Code != forms.WarnAllergy {
		t.Fatalf("doses = %+v, want one more with the allergy overridden", got)
	}
	mustShow(t, ui, "14:00 given", "OVERRIDE: allergy — rash was mild; microbiology advise continue")
}

func TestMedicines_ControlledDrugWithWitnessOnMARAndRegister(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Nowak", "NOWAK, Piotr")
	oramorph := orderNamed(t, db, pid, "Oramorph 10 mg/5 ml oral solution", true)
	showTab(t, ui, "Medicines")
	// The register's own administration (entered on the register screen).
	mustShow(t, ui, "Controlled drug: each dose needs a witness.", "From the CD register: 1.25 ml Oramorph (morphine sulfate) given", "witness Sam Staff Nurse")

	tap(t, ui, "Give a dose now")
	if got := entry(t, ui, "Quantity").Text; got != "1.25" {
		t.Errorf("register quantity = %q, want 1.25 (2.5 mg of 10 mg/5 ml)", got)
	}
	// Nobody chosen: nothing saved.
	tap(t, ui, "Give dose")
	mustProblem(t, ui, "Choose who is witnessing.")
	for _, o := range choose(t, ui, "Choose the witness").Options {
		if o == "Nia Nurse" || o == "Bea Beds" {
			t.Errorf("witness choices %q offer %s (the giver, or a bed manager)", choose(t, ui, "Choose the witness").Options, o)
		}
	}
	choose(t, ui, "Choose the witness").SetSelected("Phil Pharmacist")
	// A wrong PIN: nothing saved, in the MAR or the register.
	test.Type(entry(t, ui, "Witness types their PIN"), "0000")
	tap(t, ui, "Give dose")
	mustProblem(t, ui, "That is not Phil Pharmacist's PIN")
	// More than the register holds: refused, both or neither.
	entry(t, ui, "Witness types their PIN").SetText("2468")
	entry(t, ui, "Quantity").SetText("1000")
	tap(t, ui, "Give dose")
	if n := len(givenOf(t, db, pid, oramorph.ID)); n != 0 {
		t.Fatalf("doses after refusals = %d, want 0", n)
	}
	if n := len(mustRegister(t, db, demoOramorph, "w7")); n != 2 {
		t.Fatalf("register lines after refusals = %d, want 2", n)
	}
	entry(t, ui, "Quantity").SetText("1.25")
	tap(t, ui, "Give dose")

	got := givenOf(t, db, pid, oramorph.ID)
	if len(got) != 1 || got[0].Witness == "" || got[0].Witness == ui.Session().User.ID {
		t.Fatalf("doses = %+v, want one witnessed by the pharmacist", got)
	}
	lines := mustRegister(t, db, demoOramorph, "w7")
	if len(lines) != 3 {
		t.Fatalf("register lines = %d, want 3", len(lines))
	}
	e := lines[2].Entry
	if e.Type != forms.CDAdministration || e.PatientID != pid || e.OrderID != oramorph.ID || e.Witness != "Phil Pharmacist" ||
		e.Quantity != forms.MustQuantity("1.25") || lines[2].Balance != forms.MustQuantity("297.5") {
		t.Errorf("register line %+v (balance %s), want 1.25 ml to the patient witnessed by Phil Pharmacist leaving 297.5", e, lines[2].Balance)
	}
	mustShow(t, ui, "Given 09:00 by Nia Nurse, witness Phil Pharmacist.")
}

// A dose given past a warning reaches the back-entry worklist with its
// reason, for the person entering it into the core system.
func TestMedicines_OverrideReachesTheWorklist(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Okafor", "OKAFOR, Grace")
	showTab(t, ui, "Medicines")
	tap(t, ui, "Give a dose now")
	for _, e := range reasonEntries(ui) {
		e.SetText("pain 8/10, regular dose moved")
	}
	tap(t, ui, "Give dose")
	// Her records alone: she moves to a ward of her own.
	w9 := forms.Ward{ID: "w9", Name: "Ward 9 - Surgery", Beds: []forms.BedDef{{ID: "s1", Label: "Bed 1"}}}
	storetest.MustAppend(t, db, adminSession(t, db), store.Draft{Kind: forms.KindWardDefined, PerformedAt: demoNow, Payload: w9})
	storetest.MustAppend(t, db, ui.Session(), store.Draft{Kind: forms.KindPatientTransferred, Subject: pid, PerformedAt: demoNow,
		Payload: forms.Transfer{PatientID: pid, Ward: "w9", Bed: "s1"}})
	tap(t, ui, "Lock")
	openRecon(t, ui, "Worklist")
	choose(t, ui, "Ward").SetSelected("Ward 9 - Surgery")
	settle(ui)
	mustShow(t, ui, "Medicine given", "OVERRIDE too soon after the last dose: pain 8/10, regular dose moved")
}

// medsTab shows the Medicines tab, called Meds on a phone.
func medsTab(t *testing.T, ui *UI, size fyne.Size) {
	t.Helper()
	if size == phone {
		showTab(t, ui, "Meds")
		return
	}
	showTab(t, ui, "Medicines")
}

// TestMedicines_Golden: the MAR with a stopped order and a controlled
// drug given with its witness (and the register's own line), and the
// dose dialog asking for a reason for each warning.
func TestMedicines_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "Nowak", "NOWAK, Piotr")
			medsTab(t, ui, size)
			tap(t, ui, "Give a dose now")
			choose(t, ui, "Choose the witness").SetSelected("Phil Pharmacist")
			entry(t, ui, "Witness types their PIN").SetText("2468")
			tap(t, ui, "Give dose")
			mustShow(t, ui, "witness Phil Pharmacist", "STOPPED at")
			scrollTo(t, ui, "Given 09:00 by Nia Nurse")
			golden(t, ui, "medicines_mar_"+sizeSuffix(size))

			ui2, db2, _ := newTestUI(t, size)
			openPatient(t, ui2, db2, "Okafor", "OKAFOR, Grace")
			medsTab(t, ui2, size)
			tap(t, ui2, "Give a dose now")
			reasonEntries(ui2)[0].SetText("severe pain, 06:00 dose vomited")
			golden(t, ui2, "medicines_override_"+sizeSuffix(size))
		})
	}
}

// scrollTo scrolls the scroller holding the label that starts with text
// so the label is near the top.
func scrollTo(t *testing.T, ui *UI, text string) {
	t.Helper()
	relayout(ui)
	var target fyne.CanvasObject
	for _, o := range objects(ui) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, text) {
			target = l
			break
		}
	}
	if target == nil {
		t.Fatalf("no label %q on screen %q", text, texts(ui))
	}
	d := fyne.CurrentApp().Driver()
	for _, o := range objects(ui) {
		sc, ok := o.(*container.Scroll)
		if !ok || !contains(sc.Content, target) {
			continue
		}
		y := d.AbsolutePositionForObject(target).Y - d.AbsolutePositionForObject(sc).Y + sc.Offset.Y - 8
		sc.ScrollToOffset(fyne.NewPos(0, y))
		settle(ui)
		return
	}
	t.Fatalf("label %q is not in a scroller", text)
}

// contains reports whether o is in the tree under root.
func contains(root, o fyne.CanvasObject) bool {
	if root == o {
		return true
	}
	switch x := root.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			if contains(c, o) {
				return true
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if contains(c, o) {
				return true
			}
		}
	}
	return false
}

// A controlled-drug dose from another device whose witness is the giver
// is kept (a peer's record is never dropped) and flagged on the MAR: the
// remote device's word is not enough.
func TestMedicines_PeerControlledDoseWithBadWitnessFlagged(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Nowak", "NOWAK, Piotr")
	ctx := t.Context()
	nurse, _ := userNamed(t, db, "Nia Nurse")
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, adminSession(t, db), dev.Pub, "Ward 7 tablet"); err != nil {
		t.Fatal(err)
	}
	oramorph := orderNamed(t, db, pid, "Oramorph 10 mg/5 ml oral solution", true)
	b, _ := json.Marshal(forms.Administration{OrderID: oramorph.ID, PatientID: pid, Outcome: forms.OutcomeGiven, Dose: oramorph.Dose, Witness: nurse.ID})
	dev.SetClock(demoNow)
	if res, err := db.ApplyRemote(ctx, []lifeboat.Event{dev.Next(nurse.ID, forms.KindMedAdministered, pid, b, demoNow.Add(-time.Hour))}); err != nil || len(res.Refused) != 0 {
		t.Fatalf("ApplyRemote = %+v, %v; want the peer's dose kept", res, err)
	}
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "CHECK: a controlled drug given 22-Nov-2026 08:00 by Nia Nurse has no witness this device knows")
}

// A dose entered on the CD register screen (not from the MAR) counts
// toward the PRN interval of the patient's order of that product.
func TestMedicines_RegisterDoseCountsTowardPRNInterval(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	pid := openPatient(t, ui, db, "Nowak", "NOWAK, Piotr")
	storetest.MustAppend(t, db, ui.Session(), store.Draft{Kind: forms.KindCDEntry, PerformedAt: clock.Now().Add(-time.Hour),
		Payload: forms.CDEntry{ID: "cd-reg-8", CDProduct: demoOramorph, Location: "w7", Type: forms.CDAdministration,
			Quantity: forms.MustQuantity("1.25"), PatientID: pid, Witness: "Phil Pharmacist"}})
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "From the CD register: 1.25 ml Oramorph (morphine sulfate) given 22-Nov-2026 08:00")
	tap(t, ui, "Give a dose now")
	mustShow(t, ui, "Warning: A dose was given at 08:00 on 22-Nov, less than 4 hours from 09:00 on 22-Nov.")
	tap(t, ui, "Cancel")
}

// TestMedicines_DialogGolden: the dose dialog naming the patient, drug,
// dose and route; an omission with Other and its note missing; the
// double-dose warning with Cancel highlighted.
func TestMedicines_DialogGolden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, clock := newTestUI(t, size)
			clock.Advance(3 * time.Hour)
			openPatient(t, ui, db, "Smith", "SMITH, Richard")
			medsTab(t, ui, size)
			tap(t, ui, "12:00 due")
			golden(t, ui, "medicines_dose_"+sizeSuffix(size))
			tap(t, ui, "Omitted")
			radio(t, ui).SetSelected(forms.ReasonOther.Label())
			settle(ui)
			tap(t, ui, "Save")
			golden(t, ui, "medicines_omit_"+sizeSuffix(size))
			tap(t, ui, "Cancel")

			ui2, db2, clock2 := newTestUI(t, size)
			doubleDose(t, ui2, db2, clock2, size)
			golden(t, ui2, "medicines_double_"+sizeSuffix(size))
		})
	}
}

// "Record it again" (the double-dose warning's other answer, for a dose
// the nurse has checked really is due again) records the second dose as
// the signed-in nurse, at the time it is given, closes the warning, and
// the chart then shows the slot as a conflict for a person to resolve:
// the second dose is never merged away into the first.
func TestMedicines_RecordItAgainRecordsTheSecondDose(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, clock := newTestUI(t, size)
			a := doubleDose(t, ui, db, clock, size)
			before := givenOf(t, db, a.PatientID, a.OrderID)
			tap(t, ui, "Record it again")
			if shows(ui, "Already given?") {
				t.Error("the warning stayed open after Record it again")
			}
			after := givenOf(t, db, a.PatientID, a.OrderID)
			if len(after) != len(before)+1 {
				t.Fatalf("doses given = %d after Record it again, want %d", len(after), len(before)+1)
			}
			nia, _ := userNamed(t, db, "Nia Nurse")
			again := after[len(after)-1]
			if again.Author != nia.ID || again.SlotKey() != a.SlotKey() || !again.PerformedAt.Equal(clock.Now()) {
				t.Errorf("second dose by %s for slot %s at %v, want Nia Nurse, slot %s, at %v",
					again.Author, again.SlotKey(), again.PerformedAt, a.SlotKey(), clock.Now())
			}
			mustShow(t, ui, "12:00 CONFLICT")
		})
	}
}

// TestMedicines_DosesBeforeTheCensusAreTheCoreChart: a snapshot order's
// dose scheduled before the newest census time (a feed pull while the
// core system was up), with nothing recorded here, is the core chart's:
// the MAR says "core chart", not due, and the ward list no longer counts
// it, so nobody gives again a dose the core system's chart may already
// hold. It can still be recorded. Before, it stayed due, then OVERDUE.
func TestMedicines_DosesBeforeTheCensusAreTheCoreChart(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3*time.Hour + 10*time.Minute) // 12:10: the 12:00 dose is due
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	mustShow(t, ui, "Doses due (18)")
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "12:00 due")

	// A peer's feed imports a census as of 12:05: it changes nothing but
	// the time the data is as of.
	asOf := clock.Now().Add(-5 * time.Minute)
	if _, err := reconcile.Import(t.Context(), db, reconcile.StoreAppender(db, adminSession(t, db)), reconcile.Census{Source: "core feed", AsOf: asOf}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	mustShow(t, ui, "Patient data as of 22-Nov-2026 12:05", "12:00 core chart", "Check it there (or on its printout) before giving")
	if hasButton(ui, "12:00 due") {
		t.Error("12:00 still due after a census as of 12:05")
	}
	tap(t, ui, "Ward list")
	mustShow(t, ui, "Doses due (0)")

	// Still recordable: the nurse who gave it on paper says so.
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	showTab(t, ui, "Medicines")
	tap(t, ui, "12:00 core chart")
	tap(t, ui, "Given")
	mustShow(t, ui, "12:00 given")
}

// TestMedicines_CensusDatedAheadLeavesDosesDue: a stolen ward device
// records a census "as of 2099" (the performed time now, so the store
// takes it; the data time is only what the payload says). It must not
// leave every dose to the core chart, tell the wards their data is
// current, or refuse the next real census: its time is believed only as
// far as the record's own. Before, 12:00 became "core chart", the banner
// said 2099 and every later census was refused as older.
func TestMedicines_CensusDatedAheadLeavesDosesDue(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3*time.Hour + 10*time.Minute) // 12:10: the 12:00 dose is due
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	lie := reconcile.CensusImported{Source: "core feed", AsOf: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := db.Append(t.Context(), nurseSession(t, db), store.Draft{Kind: reconcile.KindCensusImported, Subject: "census",
		PerformedAt: demoNow, Payload: lie}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	if shows(ui, "2099") {
		t.Errorf("the banner believes a census as of 2099: %q", texts(ui))
	}
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "12:00 due")
	if _, err := reconcile.Import(t.Context(), db, reconcile.StoreAppender(db, adminSession(t, db)), reconcile.Census{Source: "core feed", AsOf: clock.Now().Add(-5 * time.Minute)}); err != nil {
		t.Fatalf("the real census after the lie = %v, want imported", err)
	}
	settle(ui)
	mustShow(t, ui, "Patient data as of 22-Nov-2026 12:05", "12:00 core chart")
}
