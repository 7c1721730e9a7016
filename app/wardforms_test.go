package app

import (
	"encoding/json"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

// openWardForms signs in as the demo nurse and opens Ward forms from the
// ward list.
func openWardForms(t *testing.T, ui *UI) {
	t.Helper()
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	tap(t, ui, "Ward forms")
	mustShow(t, ui, "Fill in a form", "Filled in")
}

// choosePatient chooses the patient whose label starts with name in the
// ward form's patient chooser, and returns the label chosen.
func choosePatient(t *testing.T, ui *UI, name string) string {
	t.Helper()
	s := choose(t, ui, "Choose a patient")
	for _, o := range s.Options {
		if strings.HasPrefix(o, name) {
			s.SetSelected(o)
			settle(ui)
			return o
		}
	}
	t.Fatalf("patient chooser offers %q, want %q among them", s.Options, name)
	return ""
}

// fillIncident answers the incident log's questions up to "Was a patient
// involved?", and what happened.
func fillIncident(t *testing.T, ui *UI, involved string) {
	t.Helper()
	answer(t, ui, "Which system was unavailable?", "ePrescribing / eMAR")
	answer(t, ui, "What kind of incident?", "Medication error or near miss")
	answer(t, ui, "Was a patient involved?", involved)
	if involved == "Yes" {
		answer(t, ui, "Is the patient on this ward?", "Yes")
	}
	test.Type(answerEntry(t, ui, "What happened?"), "Evening furosemide given twice: paper chart not updated")
}

// wardSubmissions returns the ward's records of form id.
func wardSubmissions(t *testing.T, db *store.DB, id string) ([]store.Record, []forms.FormSubmission) {
	t.Helper()
	rs, err := db.Records(t.Context(), forms.KindFormSubmitted, "form:"+id)
	if err != nil {
		t.Fatal(err)
	}
	var subs []forms.FormSubmission
	for _, r := range rs {
		var s forms.FormSubmission
		if err := json.Unmarshal(r.Payload, &s); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	return rs, subs
}

// problemUnder returns the problem shown under the question labelled
// label ("" when none is).
func problemUnder(t *testing.T, ui *UI, label string) string {
	t.Helper()
	for _, o := range question(t, ui, label) {
		if l, ok := o.(*widget.Label); ok {
			if l.Importance == widget.DangerImportance && l.Text != "" {
				return l.Text
			}
			if l.TextStyle.Bold && l.SizeName == "text" {
				return "" // the next question
			}
		}
	}
	return ""
}

func TestWardForms_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			openWardForms(t, ui)
			openForm(t, ui, "Downtime incident log")
			retype(answerEntry(t, ui, "When did it happen?"), "22-Nov-2026 06:10")
			fillIncident(t, ui, "Yes")
			choosePatient(t, ui, "HUGHES, Gareth")
			answer(t, ui, "Harm to the patient", "No harm (near miss)")
			tap(t, ui, "Save form")

			openForm(t, ui, "Downtime incident log")
			fillIncident(t, ui, "Yes")
			tap(t, ui, "Save form") // no patient chosen: the problem under the chooser, in view
			golden(t, ui, "wardforms_fill_"+sizeSuffix(size))

			ui.Back()
			settle(ui)
			golden(t, ui, "wardforms_"+sizeSuffix(size))
		})
	}
}

func TestWardForms_IncidentLog(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openWardForms(t, ui)
	hughes := mustPatientID(t, db, "Hughes")
	mustShow(t, ui, "Downtime incident log", "No ward forms filled in yet.")
	if shows(ui, "Falls risk assessment") {
		t.Error("a patient's form is offered on the ward's forms")
	}

	openForm(t, ui, "Downtime incident log")
	mustShow(t, ui, "A ward form for Ward 7 - Acute Medicine")
	if shows(ui, "This patient") {
		t.Error("a ward form answers its patient question with \"This patient\"")
	}
	// show_if: the patient is asked only when one was involved.
	fillIncident(t, ui, "No")
	if shows(ui, "Patient *") {
		t.Error("patient asked with no patient involved")
	}
	answer(t, ui, "Was a patient involved?", "Yes")
	answer(t, ui, "Is the patient on this ward?", "Yes")
	mustShow(t, ui, "Patient *", "Choose a patient on this ward")

	// The chooser offers the ward's patients in bed order, by name, bed
	// and NHS number.
	s := choose(t, ui, "Choose a patient")
	rows, err := wardPatients(t.Context(), db, ui.Site().Ward)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Options) != len(rows) || len(rows) == 0 {
		t.Fatalf("chooser offers %d patients, want the %d on the ward", len(s.Options), len(rows))
	}
	for i, r := range rows {
		want := forms.DisplayName(r.Patient.Patient) + " (" + r.BedName + ", "
		if !strings.HasPrefix(s.Options[i], want) {
			t.Errorf("option %d = %q, want it to start %q", i, s.Options[i], want)
		}
	}
	p, err := db.Patient(t.Context(), hughes)
	if err != nil {
		t.Fatal(err)
	}
	nhs := forms.FormatNHSNumber(p.NHSNumber)
	bed := ""
	for _, r := range rows {
		if r.Patient.ID == hughes {
			bed = r.BedName
		}
	}
	if label, want := choosePatient(t, ui, "HUGHES, Gareth"), "HUGHES, Gareth ("+bed+", "+nhs+")"; label != want {
		t.Errorf("chosen %q, want %q", label, want)
	}
	answer(t, ui, "Harm to the patient", "Low harm")
	tap(t, ui, "Save form")

	// Filed for the ward, not on the patient's record; the patient is the
	// answer to the patient question.
	rs, subs := wardSubmissions(t, db, "downtime-incident")
	if len(subs) != 1 {
		t.Fatalf("ward submissions %+v, want 1", subs)
	}
	sub := subs[0]
	if sub.PatientID != "" || sub.Values["patient"] != hughes || sub.Values["harm"] != "low" || sub.Values["system"] != "eprescribing" {
		t.Errorf("submission %+v, want no patient ID and patient %s", sub, hughes)
	}
	if got := mustSubmissions(t, db, hughes); len(got) != 0 {
		t.Errorf("incident filed on the patient's record: %+v", got)
	}
	if rs[0].Subject != "form:downtime-incident" {
		t.Errorf("subject %q, want form:downtime-incident", rs[0].Subject)
	}

	// Back on Ward forms: listed, and opened read only with the patient's
	// name.
	mustShow(t, ui, "22-Nov-2026 09:00 · Nia Nurse")
	if shows(ui, "No ward forms filled in") {
		t.Error("list still says nothing is filled in")
	}
	test.Tap(card(t, ui, "22-Nov-2026 09:00"))
	settle(ui)
	mustShow(t, ui, "Done 22-Nov-2026 09:00 by Nia Nurse", "ePrescribing / eMAR", "Medication error or near miss",
		"HUGHES, Gareth ("+nhs+")", "Low harm",
		"Evening furosemide given twice")
	if shows(ui, "Save form") || shows(ui, "This patient") {
		t.Errorf("read-only view shows %q", texts(ui))
	}
}

func TestWardForms_PatientRequired(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	openWardForms(t, ui)
	openForm(t, ui, "Downtime incident log")
	fillIncident(t, ui, "Yes")
	answer(t, ui, "Harm to the patient", "No harm (near miss)")
	tap(t, ui, "Save form")
	if got := problemUnder(t, ui, "Patient *"); got != "Patient is required" {
		t.Errorf("problem under Patient = %q, want \"Patient is required\"", got)
	}
	if _, subs := wardSubmissions(t, db, "downtime-incident"); len(subs) != 0 {
		t.Fatalf("saved %+v with no patient chosen", subs)
	}
	choosePatient(t, ui, "NOWAK")
	if got := problemUnder(t, ui, "Patient *"); got != "" {
		t.Errorf("problem %q still shown after choosing a patient", got)
	}
	// No longer involved: the patient chosen is dropped, not recorded.
	answer(t, ui, "Was a patient involved?", "No")
	tap(t, ui, "Save form")
	_, subs := wardSubmissions(t, db, "downtime-incident")
	if len(subs) != 1 {
		t.Fatalf("ward submissions %+v, want 1", subs)
	}
	if _, ok := subs[0].Values["patient"]; ok || subs[0].Values["patient_involved"] != false {
		t.Errorf("values %v, want no patient with none involved", subs[0].Values)
	}
}

// A patient not on this ward (another ward's, or discharged) is named by
// NHS number instead of being chosen.
func TestWardForms_PatientNotOnThisWard(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openWardForms(t, ui)
	openForm(t, ui, "Downtime incident log")
	fillIncident(t, ui, "Yes")
	answer(t, ui, "Is the patient on this ward?", "No")
	if shows(ui, "Choose a patient on this ward") {
		t.Error("the ward's patients offered for a patient not on the ward")
	}
	answer(t, ui, "Harm to the patient", "No harm (near miss)")
	tap(t, ui, "Save form")
	if got := problemUnder(t, ui, "The patient's NHS number *"); !strings.Contains(got, "required") {
		t.Errorf("problem under the NHS number = %q, want it required", got)
	}
	test.Type(answerEntry(t, ui, "The patient's NHS number"), "943 476 5919")
	tap(t, ui, "Save form")
	_, subs := wardSubmissions(t, db, "downtime-incident")
	if len(subs) != 1 || subs[0].Values["nhs_number"] != "9434765919" || subs[0].Values["patient"] != nil {
		t.Fatalf("ward submissions %+v, want one naming NHS 9434765919 and no patient", subs)
	}
}

func TestWardForms_DraftKept(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openWardForms(t, ui)
	openForm(t, ui, "Downtime incident log")
	fillIncident(t, ui, "Yes")
	choosePatient(t, ui, "HUGHES, Gareth")
	ui.Back()
	settle(ui)
	mustShow(t, ui, "Draft kept")

	// The ward's draft is not a patient's.
	ui.Back()
	settle(ui)
	entry(t, ui, "Search name").SetText("hughes")
	test.Tap(card(t, ui, "HUGHES, Gareth"))
	settle(ui)
	showTab(t, ui, "Forms")
	if shows(ui, "Draft kept") {
		t.Error("a patient's Forms tab shows the ward's draft")
	}
	ui.Back()
	settle(ui)
	tap(t, ui, "Ward forms")
	openForm(t, ui, "Downtime incident log")
	if got := choose(t, ui, "Choose a patient").Selected; !strings.HasPrefix(got, "HUGHES, Gareth") {
		t.Errorf("draft patient = %q, want HUGHES, Gareth", got)
	}
	answer(t, ui, "Harm to the patient", "No harm (near miss)")
	tap(t, ui, "Save form")
	if _, subs := wardSubmissions(t, db, "downtime-incident"); len(subs) != 1 {
		t.Fatalf("ward submissions %+v, want 1", subs)
	}
	if shows(ui, "Draft kept") {
		t.Error("draft still offered after saving")
	}
}

// On a patient's record a patient question is that patient: it is not
// asked, and the answer is the patient's ID.
func TestForms_PatientQuestionOnRecord(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	reg, err := formRegistry()
	if err != nil {
		t.Fatal(err)
	}
	d, err := reg.Latest("downtime-incident")
	if err != nil {
		t.Fatal(err)
	}
	ui.showFormFill(id, d)
	settle(ui)
	fillIncident(t, ui, "Yes")
	mustShow(t, ui, "Patient *", "This patient")
	for _, o := range objects(ui) {
		if s, ok := o.(*widget.Select); ok && strings.HasPrefix(s.PlaceHolder, "Choose a patient") {
			t.Fatal("a patient chooser on a patient's record")
		}
	}
	answer(t, ui, "Harm to the patient", "No harm (near miss)")
	tap(t, ui, "Save form")
	subs := mustSubmissions(t, db, id)
	if len(subs) != 1 || subs[0].PatientID != id || subs[0].Values["patient"] != id {
		t.Fatalf("submissions %+v, want one for %s answering %s", subs, id, id)
	}
}

// enterInError marks the open form (the only one of its kind filed under
// subject) entered in error: first with no reason, which is refused with
// the problem shown and nothing recorded, then with reason.
func enterInError(t *testing.T, ui *UI, db *store.DB, subject, reason string) {
	t.Helper()
	tap(t, ui, "Entered in error")
	tap(t, ui, "Mark in error")
	mustShow(t, ui, "Say why the form is wrong.")
	rs, err := db.Records(t.Context(), forms.KindFormSubmitted, subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Status != store.StatusFinal {
		t.Fatalf("records %+v after no reason, want one standing", rs)
	}
	test.Type(entry(t, ui, "Why is it wrong"), reason)
	tap(t, ui, "Mark in error")
}

func TestWardForms_EnteredInError(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openWardForms(t, ui)
	openForm(t, ui, "Downtime incident log")
	fillIncident(t, ui, "No")
	tap(t, ui, "Save form")
	test.Tap(card(t, ui, "22-Nov-2026 09:00"))
	settle(ui)
	enterInError(t, ui, db, "form:downtime-incident", "logged twice")
	if rs, _ := wardSubmissions(t, db, "downtime-incident"); rs[0].Status != store.StatusEnteredInError {
		t.Fatalf("status %q, want %q", rs[0].Status, store.StatusEnteredInError)
	}
	mustShow(t, ui, "ENTERED IN ERROR", "Reason: logged twice", "Evening furosemide given twice")
	if shows(ui, "Entered in error…") {
		t.Error("offered again once entered in error")
	}
	ui.Back()
	settle(ui)
	if !cardShows(card(t, ui, "22-Nov-2026 09:00"), "ENTERED IN ERROR") {
		t.Errorf("list does not mark it entered in error: %q", texts(ui))
	}
}

func TestForms_EnteredInError(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	showTab(t, ui, "Forms")
	openForm(t, ui, "Fluid balance")
	test.Type(answerEntry(t, ui, "Oral intake"), "200")
	tap(t, ui, "Save form")
	test.Tap(card(t, ui, "22-Nov-2026 09:00"))
	settle(ui)
	enterInError(t, ui, db, id, "wrong patient")
	rs, err := db.FormSubmissions(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Status != store.StatusEnteredInError {
		t.Fatalf("records %+v, want one entered in error", rs)
	}
	mustShow(t, ui, "ENTERED IN ERROR", "Reason: wrong patient", "HUGHES, Gareth")
	ui.Back()
	settle(ui)
	if !cardShows(card(t, ui, "22-Nov-2026 09:00"), "ENTERED IN ERROR") {
		t.Errorf("Forms tab does not mark it entered in error: %q", texts(ui))
	}
}

// A filled-in form with no scores is listed with its first answers to
// required choice questions; a scored one with its scores.
func TestFormRecord_ListSummary(t *testing.T) {
	reg, err := formRegistry()
	if err != nil {
		t.Fatal(err)
	}
	inc, _ := reg.Latest("downtime-incident")
	fr := formRecord{def: inc, sub: forms.NewSubmission(inc, "", map[string]any{
		"system": "eprescribing", "category": []any{"medication", "communication"}, "patient_involved": true,
		"patient_here": true, "patient": "p1", "harm": "none", "description": "x", "reported_by": "u1"})}
	if got, want := fr.listSummary(), "ePrescribing / eMAR · Medication error or near miss; Communication or handover · No harm (near miss)"; got != want {
		t.Errorf("incident log listSummary() = %q, want %q", got, want)
	}
	falls, _ := reg.Latest("falls-risk")
	fr = formRecord{def: falls, sub: forms.NewSubmission(falls, "p1", map[string]any{
		"assessed_at": "2025-06-15T11:00", "fall_last_year": false, "fall_this_admission": true, "confusion": false,
		"mobility": "independent", "toileting": false, "medicines": false, "postural_drop": "no", "vision": false, "assessor": "u1"})}
	if got := fr.listSummary(); got != fr.summary() || got == "" {
		t.Errorf("scored form listSummary() = %q, want its scores %q", got, fr.summary())
	}
	if got := (formRecord{}).listSummary(); got != "" {
		t.Errorf("unknown form's listSummary() = %q, want nothing", got)
	}
}
