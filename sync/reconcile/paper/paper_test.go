package paper_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
	"lifeboat/sync/reconcile/paper"
	"lifeboat/sync/reconcile/paper/papertest"
)

var update = flag.Bool("update", false, "rewrite the review PNGs in testdata/review")

// printedAt is when the fixture is printed: mid-morning, so some doses
// are given, one is due, one overdue and some to come.
var printedAt = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func bp(v bool) *bool       { return &v }

func header() paper.Header {
	return paper.Header{SiteID: "site-3f9c2a", Site: "St Elsewhere General (demo)", WardID: "w7", Ward: "Ward 7 - Acute Medicine",
		PrintedAt: printedAt, PrintedBy: "Nia Nurse", Names: map[string]string{"u-nia": "Nia Nurse", "u-sam": "Sam Staff Nurse"}}
}

func patient(id, surname, given, dob, nhs, bed string) store.PatientView {
	return store.PatientView{Patient: forms.Patient{ID: id, NHSNumber: nhs, Surname: surname, Given: given, BirthDate: dob},
		Status: store.PatientAdmitted, Ward: "w7", Bed: bed}
}

func obs(pid string, at time.Time, status string, o forms.Observations) store.ObsView {
	o.PatientID = pid
	return store.ObsView{EventID: pid + at.Format("1504"), PatientID: pid, PerformedAt: at, Author: "u-nia", Status: status, Obs: o}
}

func well(pid string) forms.Observations {
	return forms.Observations{PatientID: pid, RespRate: ip(16), SpO2: ip(97), OnOxygen: bp(false), Systolic: ip(128), Diastolic: ip(76),
		Pulse: ip(72), Consciousness: "A", TempC: fp(36.6)}
}

func order(id, pid, drug, dose, unit, route, freq string) forms.MedicationOrder {
	return forms.MedicationOrder{ID: id, PatientID: pid, Drug: drug, Dose: forms.MustQuantity(dose), DoseUnit: unit, Route: route,
		Frequency: freq, Start: printedAt.Add(-30 * time.Hour), Source: forms.SourceSnapshot}
}

func given(o forms.MedicationOrder, slot time.Time, outcome forms.Outcome, reason forms.OmissionReason, by string) forms.AdminRecord {
	a := forms.AdminRecord{Administration: forms.Administration{OrderID: o.ID, PatientID: o.PatientID, Slot: forms.SlotTime(slot),
		Outcome: outcome, ReasonCode: reason}, EventID: fmt.Sprint(o.ID, slot.Unix(), by), PerformedAt: slot.Add(10 * time.Minute), Author: by}
	if outcome == forms.OutcomeGiven {
		a.Dose = o.Dose
	}
	return a
}

func at(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, time.UTC) }

// fixture is a small ward that shows every colour and status: a well
// patient, one deteriorating (high NEWS2, a set entered in error, doses
// omitted, refused, overdue and in conflict, a PRN dose), one with only a
// temporary ID and an incomplete set, and one with a long chart.
func fixture() ([]paper.Patient, forms.WardBoard) {
	var ps []paper.Patient

	grace := paper.Patient{PatientView: patient("p-grace", "Okafor", "Grace", "1948-02-11", "9990000018", "b1"), BedLabel: "Bed 1", Scale: 1}
	for i := range 4 {
		grace.Obs = append(grace.Obs, obs("p-grace", printedAt.Add(-time.Duration(4-i)*4*time.Hour), store.StatusFinal, well("p-grace")))
	}
	para := order("o-para", "p-grace", "Paracetamol 500 mg tablets", "1", "g", "oral", "QDS")
	enox := order("o-enox", "p-grace", "Enoxaparin", "40", "mg", "SC", "OD")
	grace.MAR = forms.MARDay([]forms.MedicationOrder{para, enox},
		[]forms.AdminRecord{given(para, at(6, 0), forms.OutcomeGiven, "", "u-nia"), given(enox, at(8, 0), forms.OutcomeGiven, "", "u-sam")}, printedAt, printedAt)
	grace.Allergies = forms.AllergyList{Allergies: []forms.Allergy{{ID: "a1", PatientID: "p-grace", Substance: "Penicillin", Reaction: "anaphylaxis",
		Severity: forms.SeveritySevere, Status: forms.AllergyActive}}}
	grace.Weight, grace.HasWeight = forms.Weight{PatientID: "p-grace", Kg: forms.MustQuantity("61.4"), MeasuredAt: at(7, 0)}, true
	ps = append(ps, grace)

	piotr := paper.Patient{PatientView: patient("p-piotr", "Nowak", "Łukasz Piotr", "1939-12-25", "9990000026", "b3"), BedLabel: "Bed 3", Scale: 1}
	sets := []forms.Observations{
		well("p-piotr"),
		{RespRate: ip(21), SpO2: ip(95), OnOxygen: bp(false), Systolic: ip(108), Diastolic: ip(70), Pulse: ip(95), Consciousness: "A", TempC: fp(37.9)},
		{RespRate: ip(24), SpO2: ip(93), OnOxygen: bp(true), O2FlowLPM: fp(2), O2Device: "nasal cannula", Systolic: ip(98), Diastolic: ip(60), Pulse: ip(118), Consciousness: "A", TempC: fp(38.6)},
		{RespRate: ip(27), SpO2: ip(90), OnOxygen: bp(true), O2FlowLPM: fp(4), Systolic: ip(88), Diastolic: ip(52), Pulse: ip(132), Consciousness: "V", TempC: fp(39.3)},
	}
	for i, o := range sets {
		status := store.StatusFinal
		if i == 1 {
			piotr.Obs = append(piotr.Obs, obs("p-piotr", printedAt.Add(-time.Duration(4-i)*3*time.Hour-20*time.Minute), store.StatusEnteredInError,
				forms.Observations{RespRate: ip(40), SpO2: ip(80), OnOxygen: bp(false), Systolic: ip(80), Pulse: ip(150), Consciousness: "U", TempC: fp(34.0)}))
		}
		piotr.Obs = append(piotr.Obs, obs("p-piotr", printedAt.Add(-time.Duration(4-i)*3*time.Hour), status, o))
	}
	para2 := order("o-para2", "p-piotr", "Paracetamol 500 mg tablets", "1", "g", "oral", "QDS")
	amox := order("o-amox", "p-piotr", "Amoxicillin 500 mg capsules", "500", "mg", "oral", "TDS")
	furo := order("o-furo", "p-piotr", "Furosemide 40 mg tablets", "40", "mg", "oral", "BD")
	morph := forms.MedicationOrder{ID: "o-morph", PatientID: "p-piotr", Drug: "Oramorph 10 mg/5 ml oral solution", Dose: forms.MustQuantity("2.5"),
		DoseUnit: "mg", Route: "oral", PRN: true, MinIntervalHours: forms.MustQuantity("4"), MaxDailyDose: forms.MustQuantity("15"),
		MaxDailyDoseUnit: "mg", Controlled: true, Start: printedAt.Add(-30 * time.Hour), Source: forms.SourceSnapshot}
	prn := forms.AdminRecord{Administration: forms.Administration{OrderID: "o-morph", PatientID: "p-piotr", Outcome: forms.OutcomeGiven,
		Dose: forms.MustQuantity("2.5"), Witness: "u-sam", Overrides: []forms.DoseOverride{{Code: forms.WarnTooSoon, Reason: "pain score 9, registrar agreed"}}},
		EventID: "e-prn", PerformedAt: at(5, 40), Author: "u-nia"}
	furo.Stop = at(9, 0) // after its 08:00 dose was refused; the 20:00 dose is gone
	piotr.Stops = map[string]store.OrderStop{"o-furo": {At: at(9, 0), Author: "u-sam", Reason: "low blood pressure"}}
	piotr.MAR = forms.MARDay([]forms.MedicationOrder{para2, amox, furo, morph}, []forms.AdminRecord{
		given(para2, at(6, 0), forms.OutcomeOmitted, forms.ReasonNilByMouth, "u-nia"),
		given(amox, at(8, 0), forms.OutcomeGiven, "", "u-nia"),
		given(amox, at(8, 0), forms.OutcomeGiven, "", "u-sam"), // two devices: a conflict
		given(furo, at(8, 0), forms.OutcomeRefused, forms.ReasonRefused, "u-sam"),
		prn,
	}, printedAt, printedAt)
	ps = append(ps, piotr)

	siobhan := paper.Patient{PatientView: patient("p-siobhan", "O'Brien", "Siobhán", "1983-11-21", "", "b8"), BedLabel: "Bed 8", Scale: 2}
	siobhan.TempID = "DT-4F2A-7"
	siobhan.Obs = []store.ObsView{obs("p-siobhan", printedAt.Add(-50*time.Minute), store.StatusFinal,
		forms.Observations{RespRate: ip(19), SpO2: ip(89), OnOxygen: bp(false), Pulse: ip(88), Consciousness: "A"})}
	siobhan.MAR = forms.MARDay(nil, nil, printedAt, printedAt)
	ps = append(ps, siobhan)

	hamish := paper.Patient{PatientView: patient("p-hamish", "MacLeod", "Hamish", "1944-05-17", "9990000034", "e1"), BedLabel: "Trolley 1", Scale: 1}
	for i := range 15 {
		o := well("p-hamish")
		o.Pulse = ip(85 + i*2)
		hamish.Obs = append(hamish.Obs, obs("p-hamish", printedAt.Add(-time.Duration(15-i)*2*time.Hour), store.StatusFinal, o))
	}
	hamish.MAR = forms.MARDay([]forms.MedicationOrder{order("o-h", "p-hamish", "Bisoprolol 2.5 mg tablets", "2.5", "mg", "oral", "OD")}, nil, printedAt, printedAt)
	ps = append(ps, hamish)

	w := forms.Ward{ID: "w7", Name: "Ward 7 - Acute Medicine"}
	for i := 1; i <= 22; i++ {
		w.Beds = append(w.Beds, forms.BedDef{ID: fmt.Sprintf("b%d", i), Label: fmt.Sprintf("Bed %d", i)})
	}
	w.Beds = append(w.Beds, forms.BedDef{ID: "e1", Label: "Trolley 1", Escalation: true}, forms.BedDef{ID: "e2", Label: "Trolley 2", Escalation: true})
	states := []forms.BedStateSet{{Ward: "w7", Bed: "e1", State: forms.BedAvailable}, {Ward: "w7", Bed: "b20", State: forms.BedClosed},
		{Ward: "w7", Bed: "b21", State: forms.BedIsolation}, {Ward: "w7", Bed: "b5", State: forms.BedOccupied}}
	var places []forms.Placement
	for _, p := range ps {
		places = append(places, forms.Placement{PatientID: p.ID, Ward: "w7", Bed: p.Bed})
	}
	return ps, forms.BedBoard(w, states, places)
}

func byID(ps []paper.Patient) map[string]store.PatientView {
	m := map[string]store.PatientView{}
	for _, p := range ps {
		m[p.ID] = p.PatientView
	}
	return m
}

// render makes one document into a PDF and returns it with its pages.
func render(t *testing.T, h paper.Header, add func(b *paper.Book)) ([]byte, []paper.Page) {
	t.Helper()
	b := paper.New(h)
	add(b)
	var buf bytes.Buffer
	if err := b.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), b.Pages()
}

func TestBook_EveryPageIdentifiedAndScannable(t *testing.T) {
	papertest.MustHaveTools(t)
	ps, board := fixture()
	docs := []struct {
		name string
		add  func(b *paper.Book)
		// want is text the document must show besides the identifiers.
		want []string
	}{
		{paper.DocWard, func(b *paper.Book) { b.WardList(ps) }, []string{"Ward list", "HIGH", "OVERDUE", "incomplete"}},
		{paper.DocMAR, func(b *paper.Book) {
			for _, p := range ps {
				b.MAR(p)
			}
		}, []string{"Given", "Omitted", "Nil by mouth", "Refused", "CONFLICT", "OVERDUE", "When required", "CD: witness",
			"Allergies: Penicillin (anaphylaxis, severe)", "Weight 61.4 kg (measured 20-Nov-2026 07:00)", "Allergies NOT RECORDED",
			"STOPPED 09:00 20-Nov by S. Staff Nurse: low blood pressure", "wit. S. Staff Nurse",
			"OVERRIDE too soon after the last dose: pain score 9, registrar agreed"}},
		{paper.DocObs, func(b *paper.Book) {
			for _, p := range ps {
				b.ObsChart(p)
			}
		}, []string{"NEWS2 total", "IN ERROR", "O2 2 L", "scale 2", "NEWS2 scoring key"}},
		{paper.DocBeds, func(b *paper.Book) { b.BedBoard(board, byID(ps)) }, []string{"Bed board", "ISOLATION", "CLOSED", "CLEANING", "Occupancy"}},
		{paper.DocBlankObs, func(b *paper.Book) {
			for _, p := range ps {
				b.BlankObs(p)
			}
		}, []string{"blank", "NEWS2 scoring key"}},
		{paper.DocBlankMAR, func(b *paper.Book) {
			for _, p := range ps {
				b.BlankMAR(p)
			}
		}, []string{"blank", "New medicine", "Date:"}},
		{paper.DocWorklist, func(b *paper.Book) { b.Worklist(worklistFixture(ps), "patient") }, []string{
			"what is left", "3 records, 2 left", "records left", "Rejected", "By hand", "Observation.code: unknown LOINC", "Medicine given"}},
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			pdf, pages := render(t, header(), d.add)
			for _, pg := range pages {
				if pg.Label.Doc != d.name {
					t.Errorf("page %d is labelled %q, want %q", pg.Number, pg.Label.Doc, d.name)
				}
			}
			got := papertest.Check(t, pdf, pages)
			all := ""
			for _, r := range got {
				all += r.Text
			}
			for _, w := range d.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s does not show %q", d.name, w)
				}
			}
			if d.name == paper.DocWard || d.name == paper.DocBeds {
				for _, p := range ps {
					for _, id := range papertest.PatientIdentifiers(p.Patient) {
						if !strings.Contains(all, id) {
							t.Errorf("%s: row for %s does not show %q", d.name, p.ID, id)
						}
					}
				}
			}
			review(t, d.name, got)
		})
	}
}

// review keeps a page of each document in testdata/review for a
// person to look at; -update rewrites them.
func review(t *testing.T, name string, pages []papertest.Rendered) {
	t.Helper()
	dst := filepath.Join("testdata", "review", name+".png")
	if _, err := os.Stat(dst); err == nil && !*update {
		return
	}
	// The deteriorating patient's page shows the most colours.
	page := 0
	if name == paper.DocMAR || name == paper.DocObs {
		page = 1
	}
	b, err := os.ReadFile(pages[page].PNG)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBook_Pagination(t *testing.T) {
	ps, _ := fixture()
	_, pages := render(t, header(), func(b *paper.Book) { b.ObsChart(ps[3]) })
	if len(pages) != 2 {
		t.Errorf("15 sets printed on %d pages, want 2 (twelve to a page)", len(pages))
	}
	var many []paper.Patient
	for i := range 40 {
		p := ps[i%len(ps)]
		many = append(many, p)
	}
	_, pages = render(t, header(), func(b *paper.Book) { b.WardList(many) })
	if len(pages) != 3 {
		t.Errorf("a ward list of 40 took %d pages, want 3", len(pages))
	}
}

func TestBook_EmptyIsAnError(t *testing.T) {
	if err := paper.New(header()).Output(&bytes.Buffer{}); err == nil {
		t.Error("Output with no pages succeeded, want an error")
	}
}

func TestBook_Drill(t *testing.T) {
	papertest.MustHaveTools(t)
	ps, _ := fixture()
	h := header()
	h.Drill = true
	pdf, pages := render(t, h, func(b *paper.Book) { b.ObsChart(ps[0]) })
	for _, r := range papertest.Check(t, pdf, pages) {
		if !strings.Contains(r.Text, "TRAINING DRILL") {
			t.Errorf("a drill page does not say TRAINING DRILL")
		}
	}
}

// worklistFixture is three records of the fixture's patients: one
// accepted, one rejected with the server's reason, one pending.
func worklistFixture(ps []paper.Patient) []reconcile.Item {
	at := header().PrintedAt.Add(-3 * time.Hour)
	name := func(p paper.Patient) string { return strings.ToUpper(p.Surname) + ", " + p.Given }
	return []reconcile.Item{
		{EventID: "e1", Kind: "obs.recorded", PatientID: ps[0].ID, Patient: name(ps[0]), Ward: "w7", PerformedAt: at, Status: reconcile.StatusAccepted},
		{EventID: "e2", Kind: "obs.recorded", PatientID: ps[1].ID, Patient: name(ps[1]), Ward: "w7", PerformedAt: at, Status: reconcile.StatusRejected,
			Reason: "Observation.code: unknown LOINC"},
		{EventID: "e3", Kind: "med.administered", PatientID: ps[1].ID, Patient: name(ps[1]), Ward: "w7", PerformedAt: at, Status: reconcile.StatusPending},
	}
}
