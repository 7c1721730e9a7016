package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

// openPatient signs in as the nurse and opens the patient whose name
// shows as name (e.g. "SMITH, Richard"); it returns the patient's ID.
func openPatient(t *testing.T, ui *UI, db *store.DB, search, name string) string {
	t.Helper()
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	entry(t, ui, "Search name").SetText(search)
	test.Tap(card(t, ui, name))
	settle(ui)
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if forms.DisplayName(p.Patient) == name {
			return p.ID
		}
	}
	t.Fatalf("no patient %q in the store", name)
	return ""
}

// radios returns the form's radio groups: air or oxygen, then ACVPU.
func radios(ui *UI) []*widget.RadioGroup {
	var out []*widget.RadioGroup
	for _, o := range objects(ui) {
		if r, ok := o.(*widget.RadioGroup); ok {
			out = append(out, r)
		}
	}
	return out
}

// fillObs types a set of observations into the open form.
func fillObs(t *testing.T, ui *UI, resp, spo2, sys, dia, pulse, temp string, air, acvpu string) {
	t.Helper()
	for ph, v := range map[string]string{
		"breaths/min": resp, "%": spo2, "mmHg (top": sys, "mmHg (bottom": dia, "beats/min": pulse, "°C": temp,
	} {
		if v != "" {
			test.Type(entry(t, ui, ph), v)
		}
	}
	rs := radios(ui)
	if len(rs) != 2 {
		t.Fatalf("form has %d radio groups, want 2", len(rs))
	}
	if air != "" {
		rs[0].SetSelected(air)
	}
	if acvpu != "" {
		for _, o := range rs[1].Options { // "A  Alert" on a phone, "A" on a desktop
			if o[:1] == acvpu {
				rs[1].SetSelected(o)
			}
		}
	}
}

// added returns the one set in now that was not in old.
func added(t *testing.T, old, now []store.ObsView) store.ObsView {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range old {
		seen[o.EventID] = true
	}
	for _, o := range now {
		if !seen[o.EventID] {
			return o
		}
	}
	t.Fatal("no new observation set in the store")
	return store.ObsView{}
}

func mustObs(t *testing.T, db *store.DB, id string) []store.ObsView {
	t.Helper()
	obs, err := db.Observations(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

func TestRecordObservations(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			id := openPatient(t, ui, db, "smith", "SMITH, Richard")
			old := mustObs(t, db, id)
			before := len(old)
			tap(t, ui, "Record observations")
			mustShow(t, ui, "SMITH, Richard", "NHS 999 000 0379", "incomplete")
			when := choose(t, ui, "Time taken")
			if got := when.Selected; got != "22-Nov-2026 09:00" {
				t.Errorf("time taken defaults to %q, want the time shown as 22-Nov-2026 09:00", got)
			}
			// Taken half an hour ago: the person picks the time.
			when.SetSelected("22-Nov-2026 08:30")

			test.Type(entry(t, ui, "breaths/min"), "22")
			mustShow(t, ui, "Score 2", "NEWS2 2+ incomplete")
			fillObs(t, ui, "", "95", "105", "70", "105", "38.4", optAir, "A")
			// 2 + 1 + 0 + 1 + 1 + 0 + 1 = 6: medium, urgent response.
			if size == phone { // the score is one line: a tap opens the response and due time
				test.Tap(scoreBar(t, ui))
			}
			mustShow(t, ui, "NEWS2 6", "Medium risk", "Next observations due by 09:30 (within 1 hour)")
			tap(t, ui, "Save observations")

			obs := mustObs(t, db, id)
			if len(obs) != before+1 {
				t.Fatalf("store holds %d sets, want %d", len(obs), before+1)
			}
			got := added(t, old, obs)
			if !got.PerformedAt.Equal(time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)) {
				t.Errorf("performed at %v, want 08:30 as typed", got.PerformedAt)
			}
			if n := forms.ScoreNEWS2(got.Obs, 1); n.Total != 6 || *got.Obs.RespRate != 22 || *got.Obs.TempC != 38.4 || got.Obs.Consciousness != "A" {
				t.Errorf("stored set %+v scores %d, want the typed set scoring 6", got.Obs, n.Total)
			}
			if got.Author != ui.Session().User.ID {
				t.Errorf("author = %q, want the nurse", got.Author)
			}
			if _, ok := ui.drafts[ui.draftKey(id)]; ok {
				t.Error("draft kept after saving")
			}
			// Back on the chart, newest first.
			mustShow(t, ui, "Observation sets, newest first", "22-Nov-2026 08:30", "NEWS2 6", "Resp 22/min (2)")
		})
	}
}

func TestRecordObservations_HardProblemBlocksSave(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	before := len(mustObs(t, db, id))
	tap(t, ui, "Record observations")
	fillObs(t, ui, "18", "97", "120", "130", "500", "37", optAir, "A")
	tap(t, ui, "Save observations")
	mustShow(t, ui, "Pulse must be between", "must be lower than systolic", "Put right the problems marked in red")
	if n := len(mustObs(t, db, id)); n != before {
		t.Errorf("store holds %d sets after a blocked save, want %d", n, before)
	}
	// Fixing them clears the messages and saves.
	e := entry(t, ui, "beats/min")
	e.SetText("80")
	e = entry(t, ui, "mmHg (bottom")
	e.SetText("70")
	if shows(ui, "must be between") || shows(ui, "must be lower") {
		t.Errorf("problems still shown after the fix: %q", texts(ui))
	}
	tap(t, ui, "Save observations")
	if n := len(mustObs(t, db, id)); n != before+1 {
		t.Errorf("store holds %d sets after the fix, want %d", n, before+1)
	}
}

func TestRecordObservations_SoftProblemNeedsConfirm(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	before := len(mustObs(t, db, id))
	tap(t, ui, "Record observations")
	fillObs(t, ui, "18", "97", "120", "80", "220", "37", optAir, "A")
	tap(t, ui, "Save observations")
	mustShow(t, ui, "Check these readings", "is unusual")
	tap(t, ui, "Go back")
	if n := len(mustObs(t, db, id)); n != before {
		t.Fatalf("saved without the person confirming")
	}
	tap(t, ui, "Save observations")
	tap(t, ui, "Yes, save")
	if n := len(mustObs(t, db, id)); n != before+1 {
		t.Errorf("store holds %d sets after confirming, want %d", n, before+1)
	}
}

func TestRecordObservations_DraftKept(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	before := len(mustObs(t, db, id))
	tap(t, ui, "Record observations")
	test.Type(entry(t, ui, "breaths/min"), "19")
	tap(t, ui, "Back")
	tap(t, ui, "Back") // to the ward list
	entry(t, ui, "Search name").SetText("smith")
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	tap(t, ui, "Record observations")
	if got := entry(t, ui, "breaths/min").Text; got != "19" {
		t.Errorf("resp rate after coming back = %q, want the draft's 19", got)
	}
	// Someone else signing in on this device starts with an empty form;
	// the draft waits for the nurse who typed it.
	tap(t, ui, "Back")
	tap(t, ui, "Switch user")
	tap(t, ui, "Ada Admin")
	typePIN(t, ui, cli.DemoAdminPIN)
	tap(t, ui, "Sign in")
	entry(t, ui, "Search name").SetText("smith")
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	tap(t, ui, "Record observations")
	if got := entry(t, ui, "breaths/min").Text; got != "" {
		t.Errorf("another person sees the nurse's draft: resp rate %q", got)
	}
	tap(t, ui, "Back")
	tap(t, ui, "Switch user")
	tap(t, ui, "Nia Nurse")
	typePIN(t, ui, cli.DemoNursePIN)
	tap(t, ui, "Sign in")
	entry(t, ui, "Search name").SetText("smith")
	test.Tap(card(t, ui, "SMITH, Richard"))
	settle(ui)
	tap(t, ui, "Record observations")
	if got := entry(t, ui, "breaths/min").Text; got != "19" {
		t.Errorf("resp rate after switching back = %q, want the draft's 19", got)
	}
	tap(t, ui, "Discard")
	tap(t, ui, "Yes")
	if _, ok := ui.drafts[ui.draftKey(id)]; ok {
		t.Error("draft kept after Discard")
	}
	if n := len(mustObs(t, db, id)); n != before {
		t.Errorf("store holds %d sets, want %d: a draft is never saved", n, before)
	}
}

func TestEnterInError(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) { enterObsInError(t, size) })
	}
}

func enterObsInError(t *testing.T, size fyne.Size) {
	ui, db, _ := newTestUI(t, size)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	obs := mustObs(t, db, id)
	last := obs[len(obs)-1]
	when := last.PerformedAt.Format(DateTimeLayout)
	test.Tap(card(t, ui, when))
	settle(ui)
	tap(t, ui, "Entered in error")
	tap(t, ui, "Mark in error") // no reason: refused in the dialog
	mustShow(t, ui, "Say why the observations are wrong.")
	if got := mustObs(t, db, id); got[len(got)-1].Status == store.StatusEnteredInError {
		t.Fatal("entered in error with no reason")
	}
	test.Type(entry(t, ui, "Why is it wrong"), "wrong patient")
	tap(t, ui, "Mark in error")
	obs = mustObs(t, db, id)
	var got store.ObsView
	for _, o := range obs {
		if o.EventID == last.EventID {
			got = o
		}
	}
	if got.Status != store.StatusEnteredInError {
		t.Fatalf("status = %q, want %q", got.Status, store.StatusEnteredInError)
	}
	mustShow(t, ui, "ENTERED IN ERROR")
}

func TestDischargeAndAdmit(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	tap(t, ui, "Discharge")
	test.Type(entry(t, ui, "e.g. home"), "home")
	tap(t, ui, "Discharge") // the dialog's button, on top
	p, err := db.Patient(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != store.PatientDischarged {
		t.Fatalf("status = %q, want discharged", p.Status)
	}
	mustShow(t, ui, "Discharged 22-Nov-2026 09:00", "Admit")

	// Readmitted later the same day, into bed 17: only free beds are
	// offered (the dialog Transfer and the bed board use), never an
	// occupied bed or the one just left, which waits to be cleaned.
	// Failed before: every bed of the ward was offered, occupied ones too.
	tap(t, ui, "Admit")
	sel := choose(t, ui, "Choose a free bed")
	for _, o := range sel.Options {
		if strings.HasSuffix(o, ", Bed 1") || strings.HasSuffix(o, ", Bed 2") {
			t.Errorf("admit offers %q (occupied, or waiting to be cleaned)", o)
		}
	}
	sel.SetSelected("Ward 7 - Acute Medicine, Bed 17")
	tap(t, ui, "Admit") // the dialog's button, on top
	if p, err = db.Patient(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if p.Status != store.PatientAdmitted || p.Bed != "b17" {
		t.Fatalf("after admit: status %q bed %q, want admitted to b17", p.Status, p.Bed)
	}
	mustShow(t, ui, "Bed 17, Ward 7 - Acute Medicine", "Transfer")
}

func TestRecordObservations_SpO2Scale2(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	if _, err := db.Append(t.Context(), ui.Session(), store.Draft{Kind: forms.KindNEWS2Scale, Subject: id, PerformedAt: demoNow,
		Payload: forms.SpO2ScaleSetting{PatientID: id, Scale: 2, SetBy: "Dr Jones", Reason: "COPD with hypercapnia"}}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	tap(t, ui, "Record observations")
	mustShow(t, ui, "SpO2 is scored on scale 2")
	// 90% on air scores 0 on scale 2 (3 on scale 1): the total is 0.
	fillObs(t, ui, "16", "90", "120", "80", "70", "37", optAir, "A")
	mustShow(t, ui, "NEWS2 0")
}

// tapMenu taps the item labelled label on the open pop-up menu.
func tapMenu(t *testing.T, ui *UI, label string) {
	t.Helper()
	for _, o := range objects(ui) {
		if txt, ok := o.(*canvas.Text); ok && txt.Text == label {
			p := fyne.CurrentApp().Driver().AbsolutePositionForObject(txt)
			test.TapCanvas(ui.win.Canvas(), p.AddXY(2, 2))
			settle(ui)
			return
		}
	}
	t.Fatalf("no menu item %q on screen %q", label, texts(ui))
}

// On a phone the patient header is compact and the actions take one row
// (Transfer, Discharge and Print under More), so the tabs keep most of the
// screen; the allergy line stays in view on every tab.
func TestPatientScreen_PhoneHeader(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			relayout(ui)
			var tabs *container.AppTabs
			for _, o := range objects(ui) {
				if a, ok := o.(*container.AppTabs); ok {
					tabs = a
				}
			}
			if tabs == nil {
				t.Fatalf("no tabs on the patient screen %q", texts(ui))
			}
			top, bottom := absRect(tabs)
			t.Logf("tabs get %v px of %v", bottom-top, size.Height)
			for i := range tabs.Items {
				tabs.SelectIndex(i)
				settle(ui)
				mustShow(t, ui, "HUGHES, Gareth", "NHS 999 000 3718", "Bed 11, Ward 7 - Acute Medicine", "Allergies NOT RECORDED", "Weight NOT RECORDED")
			}
			tabs.SelectIndex(0)
			if size == desktop {
				for _, b := range []string{"Transfer", "Discharge", "Print"} {
					button(t, ui, b)
				}
				return
			}
			if h := bottom - top; h < 340 {
				t.Errorf("tabs get %v px on a phone, want at least 340 (were about 250)", h)
			}
			if shows(ui, "Transfer") || shows(ui, "Discharge") {
				t.Errorf("Transfer and Discharge shown as buttons on a phone: %q", texts(ui))
			}
			rt, _ := absRect(button(t, ui, "Record observations"))
			mt, _ := absRect(button(t, ui, "More"))
			if rt != mt {
				t.Errorf("Record observations at y=%v, More at y=%v: want one row", rt, mt)
			}
			tap(t, ui, "More")
			tapMenu(t, ui, "Transfer")
			mustShow(t, ui, "Transfer HUGHES, Gareth")
		})
	}
}
