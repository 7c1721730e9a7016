package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

// question returns the objects shown after the question (a label starting
// with label) up to the next question's label.
func question(t *testing.T, ui *UI, label string) []fyne.CanvasObject {
	t.Helper()
	objs := objects(ui)
	for i, o := range objs {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, label) && l.TextStyle.Bold {
			return objs[i+1:]
		}
	}
	t.Fatalf("no question %q on screen %q", label, texts(ui))
	return nil
}

// answerEntry finds the entry that answers the question labelled label.
func answerEntry(t *testing.T, ui *UI, label string) *widget.Entry {
	t.Helper()
	for _, o := range question(t, ui, label) {
		if fe, ok := o.(*focusEntry); ok {
			return &fe.Entry
		}
	}
	t.Fatalf("question %q has no entry", label)
	return nil
}

// answer taps the option called option of the question labelled label.
func answer(t *testing.T, ui *UI, label, option string) {
	t.Helper()
	var card *Card
	for _, o := range question(t, ui, label) {
		switch x := o.(type) {
		case *Card:
			card = x
		case *widget.Label:
			if x.Text == option && card != nil {
				test.Tap(card)
				settle(ui)
				return
			}
		}
	}
	t.Fatalf("question %q has no option %q", label, option)
}

// retype replaces an entry's text by typing.
func retype(e *widget.Entry, text string) {
	e.SetText("")
	test.Type(e, text)
}

// openForm opens a form from the patient's Forms tab.
func openForm(t *testing.T, ui *UI, title string) {
	t.Helper()
	test.Tap(card(t, ui, title))
	settle(ui)
	if !shows(ui, "Save form") {
		t.Fatalf("form %q did not open; screen shows %q", title, texts(ui))
	}
}

func mustSubmissions(t *testing.T, db *store.DB, id string) []forms.FormSubmission {
	t.Helper()
	rs, err := db.FormSubmissions(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []forms.FormSubmission
	for _, r := range rs {
		var s forms.FormSubmission
		if err := json.Unmarshal(r.Payload, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// fillFallsRisk answers the falls risk form's questions other than the
// time, leaving out the one named skip.
func fillFallsRisk(t *testing.T, ui *UI, skip string) {
	t.Helper()
	for _, a := range []struct{ q, a string }{
		{"Fallen in the last 12 months?", "No"},
		{"Fallen during this admission?", "No"},
		{"Confused, delirious", "Yes"},
		{"Mobility", "Walks with an aid or one person"},
		{"Needs help or urgency", "Yes"},
		{"Medicines that raise falls risk", "No"},
		{"Lying/standing BP drop", "Not done (cannot stand)"},
		{"Poor eyesight", "No"},
	} {
		if a.q != skip {
			answer(t, ui, a.q, a.a)
		}
	}
}

func TestForms_FillFallsRisk(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	showTab(t, ui, "Forms")
	mustShow(t, ui, "Falls risk assessment (downtime)", "Pressure area check (Waterlow-style)", "Fluid balance (per entry)",
		"No forms filled in for this patient yet.")
	if shows(ui, "Downtime incident log") {
		t.Error("the ward's incident log is offered on a patient's record")
	}

	openForm(t, ui, "Falls risk assessment")
	// The time done is the form's own question, filled in and editable.
	at := answerEntry(t, ui, "Assessed at")
	if at.Text != "22-Nov-2026 09:00" {
		t.Errorf("Assessed at = %q, want the time the form was opened", at.Text)
	}
	mustShow(t, ui, "Falls risk score", "Not complete yet")

	// show_if: what happened is asked only after a fall this admission.
	fillFallsRisk(t, ui, "Poor eyesight")
	if shows(ui, "What happened (where, when, injuries)?") {
		t.Error("fall details asked with no fall this admission")
	}
	answer(t, ui, "Fallen during this admission?", "Yes")
	mustShow(t, ui, "What happened (where, when, injuries)?")

	// Save with a question unanswered and a bad time: every problem
	// shown by its question, nothing saved.
	retype(at, "yesterday")
	tap(t, ui, "Save form")
	mustShow(t, ui, "Poor eyesight or not wearing their glasses? is required",
		"What happened (where, when, injuries)? is required",
		"Type the time as DD-Mmm-YYYY HH:MM", "Put right the problems marked in red")
	if got := mustSubmissions(t, db, id); len(got) != 0 {
		t.Fatalf("saved %+v with problems on the form", got)
	}

	// Put them right: each problem goes as it is fixed; the score is
	// worked out as answers come in.
	retype(at, "22-Nov-2026 08:30")
	if shows(ui, "Type the time as") {
		t.Error("time problem still shown after it was put right")
	}
	answer(t, ui, "Poor eyesight", "Yes")
	test.Type(answerEntry(t, ui, "What happened"), "Found on the floor by the bed at 06:00, no injury")
	mustShow(t, ui, "5") // aid 1 + this admission 1 + confusion 1 + toileting 1 + eyesight 1
	if got := button(t, ui, "Save form"); got.Disabled() {
		t.Fatal("Save disabled")
	}
	tap(t, ui, "Save form")

	subs := mustSubmissions(t, db, id)
	if len(subs) != 1 {
		t.Fatalf("submissions %+v, want 1", subs)
	}
	s := subs[0]
	if s.FormID != "falls-risk" || s.Version != 1 || s.PatientID != id {
		t.Errorf("submission %s v%d for %s, want falls-risk v1 for %s", s.FormID, s.Version, s.PatientID, id)
	}
	want := map[string]any{
		"assessed_at": "2026-11-22T08:30:00Z", "fall_last_year": false, "fall_this_admission": true,
		"fall_details": "Found on the floor by the bed at 06:00, no injury", "confusion": true,
		"mobility": "aid", "toileting": true, "medicines": false, "postural_drop": "not_done", "vision": true,
	}
	for k, v := range want {
		if s.Values[k] != v {
			t.Errorf("value %s = %#v, want %#v", k, s.Values[k], v)
		}
	}
	if p, ok := s.Values["assessor"].(string); !ok || p == "" {
		t.Errorf("assessor = %#v, want the signed-in nurse's user ID", s.Values["assessor"])
	}
	if _, ok := s.Values["score"]; ok {
		t.Error("computed score stored; it is worked out again from the answers")
	}
	rs, _ := db.FormSubmissions(t.Context(), id)
	if got, want := rs[0].PerformedAt, time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("performed at %v, want the time typed %v", got, want)
	}

	// Back on the tab: the filled-in form, who and when, and its score.
	mustShow(t, ui, "22-Nov-2026 08:30 · Nia Nurse", "Falls risk score: 5")
	if shows(ui, "No forms filled in") {
		t.Error("tab still says nothing is filled in")
	}
	test.Tap(card(t, ui, "22-Nov-2026 08:30"))
	settle(ui)
	mustShow(t, ui, "Done 22-Nov-2026 08:30 by Nia Nurse", "Falls risk score: 5", "Walks with an aid or one person",
		"Found on the floor by the bed at 06:00, no injury", "HUGHES, Gareth")
	if shows(ui, "Save form") {
		t.Error("a filled-in form opened for editing, want read only")
	}
}

func TestForms_DraftKept(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	showTab(t, ui, "Forms")
	openForm(t, ui, "Pressure area check")
	answer(t, ui, "Build / weight for height", "Below average (BMI under 20)")
	answer(t, ui, "Skin type in risk areas", "Dry")
	answer(t, ui, "Skin type in risk areas", "Tissue paper")
	answer(t, ui, "Skin intact", "No")
	test.Type(answerEntry(t, ui, "Describe the damage"), "Red patch on sacrum, blanching")
	retype(answerEntry(t, ui, "Checked at"), "22-Nov-2026 08:45")

	// Leave half done: nothing saved, the draft offered on the tab.
	ui.Back()
	settle(ui)
	if got := mustSubmissions(t, db, id); len(got) != 0 {
		t.Fatalf("leaving the form saved %+v", got)
	}
	mustShow(t, ui, "Draft kept")

	// Opening another patient and coming back keeps it.
	ui.Back()
	settle(ui)
	entry(t, ui, "Search name").SetText("nowak")
	test.Tap(card(t, ui, "NOWAK, Piotr"))
	settle(ui)
	showTab(t, ui, "Forms")
	if shows(ui, "Draft kept") {
		t.Error("another patient shows this patient's draft")
	}
	ui.Back()
	settle(ui)
	entry(t, ui, "Search name").SetText("hughes")
	test.Tap(card(t, ui, "HUGHES, Gareth"))
	settle(ui)
	showTab(t, ui, "Forms")
	openForm(t, ui, "Pressure area check")
	if got := answerEntry(t, ui, "Describe the damage").Text; got != "Red patch on sacrum, blanching" {
		t.Errorf("draft note = %q", got)
	}
	if got := answerEntry(t, ui, "Checked at").Text; got != "22-Nov-2026 08:45" {
		t.Errorf("draft time = %q", got)
	}
	mustShow(t, ui, "Where is the skin damaged?") // still shown: skin not intact

	// Discard drops it.
	tap(t, ui, "Discard")
	tap(t, ui, "Yes")
	if shows(ui, "Draft kept") {
		t.Error("draft still offered after discarding")
	}

	// Switching user drops drafts too: nobody saves another's answers.
	openForm(t, ui, "Fluid balance")
	test.Type(answerEntry(t, ui, "Oral intake"), "200")
	ui.SwitchUser()
	settle(ui)
	tap(t, ui, "Nia Nurse")
	typePIN(t, ui, cli.DemoNursePIN)
	tap(t, ui, "Sign in")
	entry(t, ui, "Search name").SetText("hughes")
	test.Tap(card(t, ui, "HUGHES, Gareth"))
	settle(ui)
	showTab(t, ui, "Forms")
	if shows(ui, "Draft kept") {
		t.Error("draft kept across a switch of user")
	}
}

func TestForms_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			showTab(t, ui, "Forms")
			openForm(t, ui, "Falls risk assessment")
			retype(answerEntry(t, ui, "Assessed at"), "22-Nov-2026 08:30")
			fillFallsRisk(t, ui, "Poor eyesight")
			answer(t, ui, "Poor eyesight", "Yes")
			tap(t, ui, "Save form")

			openForm(t, ui, "Pressure area check")
			answer(t, ui, "Skin type in risk areas", "Dry")
			answer(t, ui, "Skin type in risk areas", "Oedematous")
			answer(t, ui, "Sex", "Male")
			tap(t, ui, "Save form") // problems shown by their questions, the first in view
			golden(t, ui, "forms_fill_"+sizeSuffix(size))

			ui.Back()
			settle(ui)
			golden(t, ui, "forms_tab_"+sizeSuffix(size))
		})
	}
}

func TestForms_NumbersAndUnusualAnswers(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	id := openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	showTab(t, ui, "Forms")
	openForm(t, ui, "Fluid balance")

	// The person filling it in is named, and can be changed.
	var recorder *widget.Select
	for _, o := range question(t, ui, "Recorded by") {
		if s, ok := o.(*widget.Select); ok && recorder == nil {
			recorder = s
		}
	}
	if recorder == nil || recorder.Selected != "Nia Nurse" {
		t.Fatalf("Recorded by = %v, want Nia Nurse chosen", recorder)
	}

	// Totals are worked out as numbers are typed; blanks count as none.
	mustShow(t, ui, "0 ml")
	test.Type(answerEntry(t, ui, "Oral intake"), "2000")
	test.Type(answerEntry(t, ui, "Urine"), "12.5")
	answer(t, ui, "IV fluid running?", "Yes")
	answer(t, ui, "IV fluid given", "Sodium chloride 0.9%")
	tap(t, ui, "Save form")
	mustShow(t, ui, "Urine must be a whole number")
	if got := mustSubmissions(t, db, id); len(got) != 0 {
		t.Fatalf("saved %+v with a problem", got)
	}

	// An unusual amount is asked about, not refused.
	retype(answerEntry(t, ui, "Urine"), "300")
	mustShow(t, ui, "2000 ml", "300 ml", "1700 ml")
	tap(t, ui, "Save form")
	mustShow(t, ui, "Oral intake of 2000 ml is unusual: check and confirm", "Balance (in minus out) of 1700 ml is unusual")
	tap(t, ui, "Yes, save")

	subs := mustSubmissions(t, db, id)
	if len(subs) != 1 {
		t.Fatalf("submissions %+v, want 1", subs)
	}
	v := subs[0].Values
	if v["oral_ml"] != 2000.0 || v["urine_ml"] != 300.0 || v["iv_given"] != true || v["iv_fluid"] != "nacl_0_9" {
		t.Errorf("values %v", v)
	}
	if _, ok := v["period_end"]; !ok {
		t.Error("time of entry not stored")
	}
	mustShow(t, ui, "Balance (in minus out): 1700 ml")

	// The IV fluid answer is dropped if the drip is said not to be running.
	openForm(t, ui, "Fluid balance")
	answer(t, ui, "IV fluid running?", "Yes")
	answer(t, ui, "IV fluid given", "Glucose 5%")
	answer(t, ui, "IV fluid running?", "No")
	if shows(ui, "Glucose 5%") {
		t.Error("IV fluid asked with no drip running")
	}
	tap(t, ui, "Save form")
	if subs := mustSubmissions(t, db, id); len(subs) != 2 {
		t.Fatalf("submissions %+v, want 2", subs)
	} else if _, ok := subs[1].Values["iv_fluid"]; ok {
		t.Errorf("hidden answer recorded: %v", subs[1].Values)
	}
}

func TestAnswerText(t *testing.T) {
	score := 2.0
	users := map[string]string{"u1": "Nia Nurse"}
	tests := []struct {
		name string
		f    forms.Field
		v    any
		want string
	}{
		{"choice", forms.Field{Type: forms.FieldChoice, Choices: []forms.Choice{{Value: "aid", Label: "With an aid", Score: &score}}}, "aid", "With an aid"},
		{"multichoice", forms.Field{Type: forms.FieldMultiChoice, Choices: []forms.Choice{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}}, []any{"a", "b"}, "A; B"},
		{"yes", forms.Field{Type: forms.FieldYesNo}, true, "Yes"},
		{"no as text", forms.Field{Type: forms.FieldYesNo}, "no", "No"},
		{"datetime", forms.Field{Type: forms.FieldDateTime}, "2026-11-22T08:30:00Z", "22-Nov-2026 08:30"},
		{"date", forms.Field{Type: forms.FieldDate}, "2026-11-22", "22-Nov-2026"},
		{"number with unit", forms.Field{Type: forms.FieldInteger, Unit: "ml"}, 250.0, "250 ml"},
		{"decimal", forms.Field{Type: forms.FieldNumber, Unit: "hours"}, 1.5, "1.5 hours"},
		{"person", forms.Field{Type: forms.FieldPerson}, "u1", "Nia Nurse"},
		{"person from elsewhere", forms.Field{Type: forms.FieldPerson}, "u9", "another device's user"},
		{"nhs number", forms.Field{Type: forms.FieldNHSNumber}, "9990000743", "999 000 0743"},
		{"text", forms.Field{Type: forms.FieldText}, "Found on floor", "Found on floor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := answerText(&tt.f, tt.v, users); got != tt.want {
				t.Errorf("answerText(%v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

// TestForms_DraftKeptAcrossIdleLock: the idle lock signs the person out,
// but when the same person types their PIN their form draft is still
// theirs (a new session, the same person); anyone else's sign-in drops it.
func TestForms_DraftKeptAcrossIdleLock(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	showTab(t, ui, "Forms")
	openForm(t, ui, "Fluid balance")
	test.Type(answerEntry(t, ui, "Oral intake"), "200")
	ui.Back()
	settle(ui)
	mustShow(t, ui, "Draft kept")

	clock.Advance(5 * time.Minute)
	ui.checkIdle()
	settle(ui)
	typePIN(t, ui, cli.DemoNursePIN)
	tap(t, ui, "Sign in")
	mustShow(t, ui, "Draft kept")
	openForm(t, ui, "Fluid balance")
	if got := answerEntry(t, ui, "Oral intake").Text; got != "200" {
		t.Errorf("oral intake after the idle lock = %q, want the draft's 200", got)
	}
}
