package app

import (
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// headerAllergy returns the text and colour of the allergy line on the
// patient header on screen (fails if none shows).
func headerAllergy(t *testing.T, ui *UI) (string, color.Color) {
	t.Helper()
	for _, o := range objects(ui) {
		h, ok := o.(*PatientHeader)
		if !ok || !h.allergies.Visible() || len(h.allergies.Objects) == 0 {
			continue
		}
		chip := h.allergies.Objects[0].(*fyne.Container)
		return chip.Objects[1].(*widget.RichText).String(), chip.Objects[0].(*canvas.Rectangle).FillColor
	}
	t.Fatalf("no allergy line on a patient header; screen shows %q", texts(ui))
	return "", nil
}

// headerWeight returns the weight line on the patient header.
func headerWeight(t *testing.T, ui *UI) string {
	t.Helper()
	for _, o := range objects(ui) {
		if h, ok := o.(*PatientHeader); ok && h.weight.Visible() {
			return h.weight.Text
		}
	}
	t.Fatalf("no weight on a patient header; screen shows %q", texts(ui))
	return ""
}

func mustHeaderAllergy(t *testing.T, ui *UI, want string, col color.Color) {
	t.Helper()
	got, c := headerAllergy(t, ui)
	if got != want || c != col {
		t.Errorf("header allergy line = %q in %v, want %q in %v", got, c, want, col)
	}
}

// addAllergy fills in the open allergy dialog and saves it.
func addAllergy(t *testing.T, ui *UI, substance, reaction, severity string) {
	t.Helper()
	tap(t, ui, "Add allergy")
	e := entry(t, ui, "e.g. Penicillin")
	e.SetText("")
	test.Type(e, substance)
	test.Type(entry(t, ui, "e.g. rash"), reaction)
	radios(ui)[0].SetSelected(severity)
	tap(t, ui, "Save allergy")
}

// cardButton taps the button labelled label on the card showing text.
func cardButton(t *testing.T, ui *UI, text, label string) {
	t.Helper()
	for _, o := range objects(ui) {
		if c, ok := o.(*Card); ok && cardShows(c, text) {
			for _, in := range test.LaidOutObjects(c) {
				if b, ok := in.(*widget.Button); ok && b.Text == label {
					test.Tap(b)
					settle(ui)
					return
				}
			}
		}
	}
	t.Fatalf("no card %q with a %q button; screen shows %q", text, label, texts(ui))
}

func mustAllergyList(t *testing.T, db *store.DB, id string) forms.AllergyList {
	t.Helper()
	l, err := db.Allergies(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestAllergies_RecordedShowsOnEveryTab records an allergy through the
// Allergies & weight tab and finds it on the header of the Medicines and
// Observations tabs, and of the observations form.
func TestAllergies_RecordedShowsOnEveryTab(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			id := openPatient(t, ui, db, "smith", "SMITH, Richard")
			mustHeaderAllergy(t, ui, "Allergies NOT RECORDED: ask", nhsWarmYellow)
			tab := "Allergies & weight"
			if size == phone {
				tab = "Allergies"
			}
			showTab(t, ui, tab)
			addAllergy(t, ui, "Penicillin", "anaphylaxis", "Severe")

			l := mustAllergyList(t, db, id)
			if len(l.Allergies) != 1 || l.Allergies[0].Substance != "Penicillin" || l.Allergies[0].Severity != forms.SeveritySevere ||
				l.Allergies[0].Status != forms.AllergyActive || l.Allergies[0].Source != forms.SourceEntered || l.Allergies[0].PatientID != id {
				t.Fatalf("stored allergies %+v, want Penicillin, severe, active, entered", l.Allergies)
			}
			want := "Allergies: Penicillin (anaphylaxis, severe)"
			mustHeaderAllergy(t, ui, want, nhsRed)
			for _, tab := range []string{"Medicines", "Observations"} {
				if size == phone {
					tab = map[string]string{"Medicines": "Meds", "Observations": "Obs"}[tab]
				}
				showTab(t, ui, tab)
				mustHeaderAllergy(t, ui, want, nhsRed)
			}
			tap(t, ui, "Record observations")
			mustHeaderAllergy(t, ui, want, nhsRed)
		})
	}
}

// TestAllergies_NoKnownThenAllergy: "no known allergies" is offered only
// while no allergy is active, and an allergy recorded after it outranks it.
func TestAllergies_NoKnownThenAllergy(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	showTab(t, ui, "Allergies & weight")
	mustShow(t, ui, "Nothing is recorded. Ask the patient")
	tap(t, ui, "No known allergies")
	tap(t, ui, "Save")
	if l := mustAllergyList(t, db, id); !l.NoneKnown || len(l.Allergies) != 0 {
		t.Fatalf("stored %+v, want no known allergies", l)
	}
	mustHeaderAllergy(t, ui, "No known allergies", nhsGreen)
	mustShow(t, ui, "The patient has no known allergies.")
	if shows(ui, "Nothing is recorded") {
		t.Error("still says nothing is recorded")
	}

	addAllergy(t, ui, "Latex", "", "Not known")
	if l := mustAllergyList(t, db, id); l.NoneKnown || len(l.Active()) != 1 {
		t.Fatalf("stored %+v, want the latex allergy outranking no known allergies", l)
	}
	mustHeaderAllergy(t, ui, "Allergies: Latex", nhsRed)
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && b.Text == "No known allergies" {
			t.Error(`"No known allergies" offered while an allergy is active`)
		}
	}
	if shows(ui, "was recorded after an allergy") {
		t.Error("disputed notice shown for an allergy learnt after no known allergies")
	}
}

// TestAllergies_NoKnownWhileActiveIsDisputed: "no known allergies" arriving
// (as from a device that had not heard of the allergy) after an active
// allergy does not hide it; the tab says to check.
func TestAllergies_NoKnownWhileActiveIsDisputed(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	showTab(t, ui, "Allergies & weight")
	addAllergy(t, ui, "Codeine", "vomiting", "Moderate")
	clock.Advance(time.Minute)
	if _, err := db.Append(t.Context(), ui.Session(), store.Draft{Kind: forms.KindAllergyNoneKnown, PerformedAt: clock.Now(),
		Payload: forms.NoKnownAllergies{PatientID: id}}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	mustHeaderAllergy(t, ui, "Allergies: Codeine (vomiting, moderate)", nhsRed)
	mustShow(t, ui, `"No known allergies" was recorded after an allergy below that is still active`)
}

// TestAllergies_CorrectResolveAndEnteredInError changes an allergy through
// its card (a new record of the same allergy correcting the old), marks
// it resolved (greyed, no longer on the banner) and then entered in error.
func TestAllergies_CorrectResolveAndEnteredInError(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	showTab(t, ui, "Allergies & weight")
	// What the patient is allergic to is needed: refused in the dialog.
	tap(t, ui, "Add allergy")
	test.Type(entry(t, ui, "e.g. rash"), "rash")
	tap(t, ui, "Save allergy")
	mustShow(t, ui, "enter what the patient is allergic to")
	tap(t, ui, "Cancel")
	if l := mustAllergyList(t, db, id); l.Recorded() {
		t.Fatalf("stored %+v from a refused dialog", l)
	}
	addAllergy(t, ui, "Penicilin", "rash", "Mild")
	_, recs, err := db.AllergyRecords(t.Context(), id)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v, %v", recs, err)
	}
	first := recs[0]

	// The typo corrected.
	cardButton(t, ui, "Penicilin", "Change")
	e := entry(t, ui, "e.g. Penicillin")
	e.SetText("Penicillin")
	tap(t, ui, "Save change")
	l, recs, err := db.AllergyRecords(t.Context(), id)
	if err != nil || len(l.Allergies) != 1 || l.Allergies[0].Substance != "Penicillin" || l.Allergies[0].Severity != forms.SeverityMild {
		t.Fatalf("allergies after the change %+v, %v; want one, Penicillin, mild", l.Allergies, err)
	}
	old, err := db.Records(t.Context(), forms.KindAllergyRecorded, id)
	if err != nil || len(old) != 2 || old[0].EventID != first.EventID || old[0].Final() || old[0].CorrectedBy != recs[0].EventID {
		t.Fatalf("records %+v, %v; want the first amended by the change", old, err)
	}
	mustHeaderAllergy(t, ui, "Allergies: Penicillin (rash, mild)", nhsRed)

	// Resolved: kept, greyed with its status, off the banner.
	cardButton(t, ui, "Penicillin", "Change")
	radios(ui)[1].SetSelected("Resolved")
	tap(t, ui, "Save change")
	if l = mustAllergyList(t, db, id); len(l.Allergies) != 1 || l.Allergies[0].Status != forms.AllergyResolved {
		t.Fatalf("allergies %+v, want Penicillin resolved", l.Allergies)
	}
	mustHeaderAllergy(t, ui, "No active allergies (past ones on record)", nhsGrey4)
	mustShow(t, ui, "RESOLVED", "Penicillin")
	button(t, ui, "No known allergies") // offered again: none is active

	// Entered in error needs a reason; then it is gone from the list.
	cardButton(t, ui, "Penicillin", "Entered in error")
	tap(t, ui, "Mark in error")
	mustShow(t, ui, "Say why the allergy is wrong.")
	test.Type(entry(t, ui, "Why is it wrong?"), "wrong patient")
	tap(t, ui, "Mark in error")
	if l = mustAllergyList(t, db, id); l.Recorded() {
		t.Fatalf("allergies %+v, want none standing", l)
	}
	mustHeaderAllergy(t, ui, "Allergies NOT RECORDED: ask", nhsWarmYellow)
}

// TestAllergies_RecordWeight records a weight with when it was measured;
// the header shows it with its date. An impossible weight, a weight that
// is not a number and a time in the future are refused in the dialog; an
// unusual weight is saved only once confirmed.
func TestAllergies_RecordWeight(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	if got := headerWeight(t, ui); got != "Weight NOT RECORDED" {
		t.Errorf("header weight = %q, want not recorded", got)
	}
	showTab(t, ui, "Allergies")
	weights := func() []store.Record {
		rs, err := db.Records(t.Context(), forms.KindWeightRecorded, id)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	for _, tt := range []struct{ kg, at, want string }{
		{"7250", "", "7250 kg is not a possible weight"},
		{"0.2", "", "0.2 kg is not a possible weight"},
		{"72,5", "", "Type the weight in kg as a number"},
		{"", "", "Type the weight in kg as a number"},
		{"72.5", "23-Nov-2026 08:00", "The time cannot be in the future."},
		{"72.5", "yesterday", "Type the time as DD-Mmm-YYYY HH:MM"},
	} {
		tap(t, ui, "Record weight")
		test.Type(entry(t, ui, "kg, e.g."), tt.kg)
		if tt.at != "" {
			entry(t, ui, "DD-Mmm-YYYY").SetText(tt.at)
		}
		tap(t, ui, "Save weight")
		mustShow(t, ui, tt.want)
		tap(t, ui, "Cancel")
		if n := len(weights()); n != 0 {
			t.Fatalf("weight %q at %q: %d stored, want it refused", tt.kg, tt.at, n)
		}
	}

	tap(t, ui, "Record weight")
	test.Type(entry(t, ui, "kg, e.g."), "72.5")
	entry(t, ui, "DD-Mmm-YYYY").SetText("22-Nov-2026 08:00")
	tap(t, ui, "Save weight")
	w, ok, err := db.LatestWeight(t.Context(), id)
	if err != nil || !ok || w.Kg != forms.MustQuantity("72.5") || !w.MeasuredAt.Equal(demoNow.Add(-time.Hour)) || w.Estimated {
		t.Fatalf("LatestWeight = %+v, %v, %v; want 72.5 kg weighed at 08:00", w, ok, err)
	}
	if got, want := headerWeight(t, ui), "Weight 72.5 kg, weighed 22-Nov-2026 08:00"; got != want {
		t.Errorf("header weight = %q, want %q", got, want)
	}
	mustShow(t, ui, "Weight 72.5 kg, weighed 22-Nov-2026 08:00")

	// A baby's weight is unusual here: asked, and saved once confirmed.
	tap(t, ui, "Record weight")
	test.Type(entry(t, ui, "kg, e.g."), "1.8")
	for _, o := range objects(ui) {
		if c, ok := o.(*widget.Check); ok {
			c.SetChecked(true)
		}
	}
	tap(t, ui, "Save weight")
	mustShow(t, ui, "A weight of 1.8 kg is unusual: check and confirm. If it is right, tap Save weight again.")
	if n := len(weights()); n != 1 {
		t.Fatalf("%d weights stored before confirming, want 1", n)
	}
	tap(t, ui, "Save weight")
	if got, want := headerWeight(t, ui), "Weight 1.8 kg, ESTIMATED 22-Nov-2026 09:00"; got != want {
		t.Errorf("header weight = %q, want %q", got, want)
	}
}

// TestAllergies_Golden is the patient banner with allergies and a weight,
// on the Allergies & weight tab and on the Medicines tab.
func TestAllergies_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			tab, meds := "Allergies & weight", "Medicines"
			if size == phone {
				tab, meds = "Allergies", "Meds"
			}
			showTab(t, ui, tab)
			addAllergy(t, ui, "Penicillin", "anaphylaxis", "Severe")
			addAllergy(t, ui, "Codeine", "vomiting", "Moderate")
			cardButton(t, ui, "Codeine", "Change")
			radios(ui)[1].SetSelected("Resolved")
			tap(t, ui, "Save change")
			tap(t, ui, "Record weight")
			test.Type(entry(t, ui, "kg, e.g."), "68.4")
			entry(t, ui, "DD-Mmm-YYYY").SetText("22-Nov-2026 07:30")
			tap(t, ui, "Save weight")
			golden(t, ui, "allergies_tab_"+sizeSuffix(size))
			showTab(t, ui, meds)
			golden(t, ui, "allergies_banner_"+sizeSuffix(size))
		})
	}
}

// The patient header keeps the allergy line's place while it is read, so
// the form under it does not move under a finger when the line arrives
// (on a phone the Resp rate tap landed on SpO2).
func TestPatientHeader_KeepsAllergyPlaceWhileReading(t *testing.T) {
	test.NewTempApp(t)
	for _, compact := range []bool{false, true} {
		h := NewPatientHeader()
		h.Compact = compact
		w := test.NewWindow(h)
		w.Resize(fyne.NewSize(390, 400))
		before := h.MinSize().Height
		if got := headerChipText(h); got != "Allergies: checking…" {
			t.Errorf("compact=%v: allergy line before reading = %q, want the checking placeholder", compact, got)
		}
		h.SetAllergies(forms.AllergyList{}, forms.Weight{}, false)
		if after := h.MinSize().Height; after != before {
			t.Errorf("compact=%v: header height %v while reading, %v once allergies are known; want no jump", compact, before, after)
		}
		if got := headerChipText(h); got == "Allergies: checking…" {
			t.Errorf("compact=%v: allergy line still %q after SetAllergies", compact, got)
		}
		w.Close()
	}
}

func headerChipText(h *PatientHeader) string {
	return h.allergies.Objects[0].(*fyne.Container).Objects[1].(*widget.RichText).String()
}
