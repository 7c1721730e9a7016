package reconcile

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"lifeboat/forms"
)

func medByDrug(t *testing.T, p CensusPatient, drug string) CensusMedicine {
	t.Helper()
	for _, m := range p.Medicines {
		if strings.HasPrefix(m.Drug, drug) {
			return m
		}
	}
	t.Fatalf("no %s among %+v", drug, p.Medicines)
	return CensusMedicine{}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestParseCensusFHIR_OrdersAsPrescribed reads MedicationRequests in every
// shape the census carries: PRN with an interval and a 24-hour maximum in
// another unit, a controlled drug by a contained Medication, a GTS code
// with bounds, a Medication resolved by reference and on hold, a stopped
// order with times of day; cancelled, entered-in-error and unstartable
// completed orders are left out and listed.
func TestParseCensusFHIR_OrdersAsPrescribed(t *testing.T) {
	c, err := ParseCensusFHIR(mustRead(t, "census-orders.json"), "census-orders.json", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Patients) != 3 {
		t.Fatalf("patients = %d", len(c.Patients))
	}
	grace, richard, anjali := c.Patients[0], c.Patients[1], c.Patients[2]
	tests := []struct {
		name string
		got  CensusMedicine
		want CensusMedicine
	}{
		{"PRN paracetamol: every 4 (to 6) hours is a 4-hour minimum; 4 g per 24 h is 4000 mg", medByDrug(t, grace, "Paracetamol"), CensusMedicine{
			Drug: "Paracetamol 500mg tablets", DMDCode: "42109611000001109", Dose: forms.Units(500), DoseUnit: "mg", Route: "oral", PRN: true,
			MinIntervalHours: forms.Units(4), MaxDailyDose: forms.Units(4000), MaxDailyDoseUnit: "mg", Start: at("2026-11-19T10:00:00Z"),
			Notes: "500 mg every 4 to 6 hours when required for pain, max 4 g in 24 hours"}},
		{"controlled morphine from a contained Medication; a 4-hour maximum kept as text", medByDrug(t, grace, "Morphine"), CensusMedicine{
			Drug: "Morphine sulfate 10mg/5ml oral solution", Dose: forms.MustQuantity("2.5"), DoseUnit: "mg", Route: "oral", PRN: true,
			MinIntervalHours: forms.Units(4), Controlled: true,
			Notes: "maximum 10 mg per 4 h (from the core system; Lifeboat checks only a 24-hour maximum)"}},
		{"BID with bounds: BD, start and stop", medByDrug(t, grace, "Ramipril"), CensusMedicine{
			Drug: "Ramipril 5mg capsules", Dose: forms.Units(5), DoseUnit: "mg", Route: "oral", Frequency: forms.FreqBD,
			Start: at("2026-11-18T00:00:00Z"), Stop: at("2026-11-25T10:00:00Z")}},
		{"on hold, Medication by reference, 3 a day is TDS", medByDrug(t, richard, "Amoxicillin"), CensusMedicine{
			Drug: "Amoxicillin 500mg capsules", DMDCode: "323509004", Dose: forms.Units(500), DoseUnit: "mg", Route: "oral", Frequency: forms.FreqTDS,
			Notes: "500 mg three times a day for 5 days; On hold in the core system at the census."}},
		{"stopped warfarin: times of day, stop at boundsPeriod.end", medByDrug(t, richard, "Warfarin"), CensusMedicine{
			Drug: "Warfarin 1mg tablets", Dose: forms.Units(3), DoseUnit: "mg", Route: "oral", Times: []string{"18:00"},
			Start: at("2026-11-10T09:00:00Z"), Stop: at("2026-11-20T12:00:00Z")}},
	}
	for _, tt := range tests {
		tt.got.Line = 0
		if g, w := tt.got, tt.want; g.Drug != w.Drug || g.DMDCode != w.DMDCode || g.Dose != w.Dose || g.DoseUnit != w.DoseUnit ||
			g.Route != w.Route || g.Frequency != w.Frequency || !slices.Equal(g.Times, w.Times) || g.PRN != w.PRN ||
			g.MinIntervalHours != w.MinIntervalHours || g.MaxDailyDose != w.MaxDailyDose || g.MaxDailyDoseUnit != w.MaxDailyDoseUnit ||
			g.Controlled != w.Controlled || !g.Start.Equal(w.Start) || !g.Stop.Equal(w.Stop) || g.Notes != w.Notes {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, g, w)
		}
	}
	if len(anjali.Medicines) != 0 {
		t.Errorf("Anjali's medicines = %+v, want none (entered in error; completed with no start)", anjali.Medicines)
	}
	notes := ""
	for _, n := range c.Notes {
		notes += n.String() + "\n"
	}
	for _, want := range []string{
		"entry 10: (MedicationRequest/cancelled) not imported: its status is cancelled",
		"entry 11: (MedicationRequest/eie) not imported: its status is entered-in-error",
		"entry 12: (MedicationRequest/done) not imported: it stops at 2026-11-21T06:00:00Z, not after it starts",
		"entry 6: (MedicationRequest/prn-morphine) has a maximum of 10 mg per 4 h, not per 24 hours: kept as text in its notes, not checked",
		"entry 8: (MedicationRequest/amox-rx) is on hold in the core system",
		"entry 15: (AllergyIntolerance/refuted) Latex not imported: its verification status is refuted",
		"entry 21: (Observation/weight-eie) body weight not imported: its status is \"entered-in-error\"",
		`entry 3: (Patient) 999 000 0034: "No known drug allergy" not imported, the census also lists allergies for them`,
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if c.LeftOut != 6 {
		t.Errorf("left out = %d, want 6:\n%s", c.LeftOut, notes)
	}
}

// TestParseCensusFHIR_AllergiesAndWeight reads AllergyIntolerance (the
// official R4 cashew example's shape: several reactions, the worst
// severity stands) and body-weight Observations in lb and g.
func TestParseCensusFHIR_AllergiesAndWeight(t *testing.T) {
	c, err := ParseCensusFHIR(mustRead(t, "census-orders.json"), "census-orders.json", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	grace, richard, anjali := c.Patients[0], c.Patients[1], c.Patients[2]
	want := []CensusAllergy{
		{Substance: "Cashew nuts", Code: "227493005", Reaction: "Anaphylactic reaction, Urticaria", Severity: "severe", Status: "active",
			Note: "High criticality. The criticality is high becasue of the observed anaphylactic reaction when challenged with cashew extract."},
		{Substance: "Penicillin", Code: "764146007", Reaction: "rash", Status: "inactive", Note: "Verification: unconfirmed."},
	}
	var got []CensusAllergy
	for _, a := range grace.Allergies {
		a.Line = 0
		got = append(got, a)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Grace's allergies:\n got %+v\nwant %+v", got, want)
	}
	if grace.NoKnownAllergies || !richard.NoKnownAllergies || richard.NoKnownNote != "No known allergy" || anjali.NoKnownAllergies {
		t.Errorf("no known allergies: Grace %v, Richard %v %q, Anjali %v (she has an allergy)", grace.NoKnownAllergies, richard.NoKnownAllergies, richard.NoKnownNote, anjali.NoKnownAllergies)
	}
	if len(anjali.Allergies) != 1 || anjali.Allergies[0].Severity != "mild" {
		t.Errorf("Anjali's allergies = %+v", anjali.Allergies)
	}
	if len(grace.Weights) != 1 || grace.Weights[0].Kg != forms.MustQuantity("83.915") || !grace.Weights[0].MeasuredAt.Equal(at("2026-11-20T08:30:00Z")) {
		t.Errorf("Grace's weight = %+v, want 185 lb = 83.915 kg at 08:30", grace.Weights)
	}
	if len(richard.Weights) != 1 || richard.Weights[0].Kg != forms.MustQuantity("81.5") || !richard.Weights[0].MeasuredAt.Equal(at("2026-11-19T00:00:00Z")) {
		t.Errorf("Richard's weight = %+v, want 81500 g = 81.5 kg", richard.Weights)
	}
}

// bundleWith is a one-patient census Bundle with extra resources.
func bundleWith(resources ...string) []byte {
	return []byte(`{"resourceType": "Bundle", "type": "collection", "timestamp": "2026-11-21T06:00:00Z", "entry": [
	{"resource": {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}],
	 "name": [{"family": "OKAFOR", "given": ["Grace"]}], "birthDate": "1948-02-11"}}` + func() string {
		s := ""
		for _, r := range resources {
			s += `,{"resource": ` + r + `}`
		}
		return s
	}() + `]}`)
}

func request(status, dosage string) string {
	return `{"resourceType": "MedicationRequest", "id": "m", "status": "` + status + `", "intent": "order", "subject": {"reference": "Patient/p1"},
	 "medicationCodeableConcept": {"text": "Drug X"}, "dosageInstruction": [` + dosage + `]}`
}

// TestParseCensusFHIR_UnsafeOrdersRefused: an active order that cannot
// become a safe order stops the whole import, with why (and the
// prescriber's text, to chart it by hand); nothing is half-imported.
func TestParseCensusFHIR_UnsafeOrdersRefused(t *testing.T) {
	const dose = `"route": {"text": "oral"}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "g"}}]`
	tests := []struct{ name, res, want string }{
		{"every 4 hours, regular, no times", request("active", `{"text": "1 g every 4 hours", "timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "h"}}, `+dose+`}`),
			`timing of 6 doses a day has no ward round in Lifeboat (OD, BD, TDS, QDS, WEEKLY): the core system must give timeOfDay (the dosage text is "1 g every 4 hours")`},
		{"a dose range", request("active", `{"text": "1-2 tablets", "timing": {"code": {"text": "QDS"}}, "route": {"text": "oral"}, "doseAndRate": [{"doseRange": {"low": {"value": 1}, "high": {"value": 2}}}]}`),
			`has a dose range, not one dose: Lifeboat needs the dose prescribed (the dosage text is "1-2 tablets")`},
		{"free text only", request("active", `{"text": "as directed"}`), `has no doseQuantity (the dosage text is "as directed")`},
		{"unknown code", request("active", `{"timing": {"code": {"text": "Q36H"}}, `+dose+`}`), `timing code "Q36H" is not one Lifeboat knows`},
		{"Q4H regular", request("active", `{"timing": {"code": {"text": "Q4H"}}, `+dose+`}`), `timing every 4 hours has no ward round in Lifeboat`},
		{"no timing", request("active", `{`+dose+`}`), `has no timing (code, repeat or timeOfDay) and is not as needed`},
		{"no medicine", `{"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
		  "dosageInstruction": [{"timing": {"code": {"text": "OD"}}, ` + dose + `}]}`, "has no medicine"},
		{"zero dose", request("active", `{"timing": {"code": {"text": "OD"}}, "route": {"text": "oral"}, "doseAndRate": [{"doseQuantity": {"value": 0, "unit": "g"}}]}`), "dose 0 is not a positive number"},
		{"no route", request("active", `{"timing": {"code": {"text": "OD"}}, "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "g"}}]}`), "enter the route (route)"},
		{"minutes", request("active", `{"asNeededBoolean": true, "timing": {"repeat": {"period": 30, "periodUnit": "min"}}, `+dose+`}`), `periodUnit "min" is not h, d or wk`},
		{"times and count disagree", request("active", `{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d", "timeOfDay": ["08:00:00"]}}, `+dose+`}`),
			"timing says 2 doses a day but lists 1 times of day"},
		{"bad time of day", request("active", `{"timing": {"repeat": {"timeOfDay": ["8am"]}}, `+dose+`}`), `time "8am" is not HH:MM (times[0])`},
		{"unresolved Medication", `{"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
		  "medicationReference": {"reference": "Medication/nowhere"}, "dosageInstruction": [{"timing": {"code": {"text": "OD"}}, ` + dose + `}]}`,
			`medicationReference "Medication/nowhere" is not a Medication in this bundle`},
		{"bad authoredOn", `{"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"}, "authoredOn": "yesterday",
		  "medicationCodeableConcept": {"text": "Drug X"}, "dosageInstruction": [{"timing": {"code": {"text": "OD"}}, ` + dose + `}]}`, `authoredOn "yesterday" is not a date`},
		{"bad allergy severity", `{"resourceType": "AllergyIntolerance", "id": "a", "patient": {"reference": "Patient/p1"}, "code": {"text": "Latex"},
		  "reaction": [{"manifestation": [{"text": "rash"}], "severity": "awful"}]}`, `reaction severity "awful" is not mild, moderate or severe`},
		{"allergy with no substance", `{"resourceType": "AllergyIntolerance", "id": "a", "patient": {"reference": "Patient/p1"}}`, "allergy has no substance"},
		{"allergy with no patient", `{"resourceType": "AllergyIntolerance", "id": "a", "code": {"text": "Latex"}}`, "(AllergyIntolerance/a) has no patient"},
		{"weight in stone", `{"resourceType": "Observation", "id": "w", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
		  "subject": {"reference": "Patient/p1"}, "valueQuantity": {"value": 12, "code": "[stone_av]"}}`, `body weight unit "[stone_av]" is not kg, g or [lb_av]`},
		{"weight a typo", `{"resourceType": "Observation", "id": "w", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
		  "subject": {"reference": "Patient/p1"}, "valueQuantity": {"value": 7250, "code": "kg"}}`, `weight 701 kg is not between 0.3 and 350 kg`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCensusFHIR(bundleWith(tt.res), "t.json", time.Time{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(c.Patients) != 0 {
				t.Fatalf("= %d patients, %v\nwant error %q", len(c.Patients), err, tt.want)
			}
		})
	}
	// A stopped order that cannot be an order is listed, not refused.
	c, err := ParseCensusFHIR(bundleWith(request("stopped", `{"text": "as directed"}`)), "t.json", time.Time{})
	if err != nil || c.LeftOut != 1 || !strings.Contains(c.Notes[0].Msg, "stopped order not imported: it has no doseQuantity") {
		t.Fatalf("stopped and unreadable: %v, notes %+v", err, c.Notes)
	}
	// An order that ended before it started has nothing to give: listed.
	c, err = ParseCensusFHIR(bundleWith(request("active", `{"timing": {"code": {"text": "OD"}, "repeat": {"boundsPeriod": {"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T09:00:00Z"}}}, `+dose+`}`)), "t.json", time.Time{})
	if err != nil || c.LeftOut != 1 || len(c.Patients[0].Medicines) != 0 || !strings.Contains(c.Notes[0].Msg, "not imported: it stops at 2026-11-20T09:00:00Z, not after it starts") {
		t.Fatalf("ended before it started: %v, notes %+v", err, c.Notes)
	}
	// PRN "up to 2 doses a day": no interval, kept as text and listed.
	c, err = ParseCensusFHIR(bundleWith(request("active", `{"asNeededBoolean": true, "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}, `+dose+`}`)), "t.json", time.Time{})
	if err != nil || c.Patients[0].Medicines[0].MinIntervalHours != 0 || c.Patients[0].Medicines[0].Notes != "at most 2 doses every 1 d (from the core system; not checked)" ||
		len(c.Notes) != 1 || c.LeftOut != 0 {
		t.Fatalf("PRN 2 a day: %v, %+v, notes %+v", err, c.Patients, c.Notes)
	}
	// A regular BD order by repeat has no such note.
	c, err = ParseCensusFHIR(bundleWith(request("active", `{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}, `+dose+`}`)), "t.json", time.Time{})
	if err != nil || c.Patients[0].Medicines[0].Frequency != forms.FreqBD || c.Patients[0].Medicines[0].Notes != "" || len(c.Notes) != 0 {
		t.Fatalf("BD by repeat: %v, %+v, notes %+v", err, c.Patients, c.Notes)
	}
	// A UK Core style controlled-drug extension with a dm+d category.
	cd := `{"resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order", "subject": {"reference": "Patient/p1"},
	  "extension": [{"url": "https://example.org/StructureDefinition/Extension-MedicationControlledDrug", "valueCoding": {"code": "0002", "display": "Schedule 2 (CD)"}}],
	  "medicationCodeableConcept": {"text": "Oxycodone 5mg capsules"}, "dosageInstruction": [{"timing": {"code": {"text": "BD"}}, ` + dose + `}]}`
	c, err = ParseCensusFHIR(bundleWith(cd), "t.json", time.Time{})
	if err != nil || !c.Patients[0].Medicines[0].Controlled {
		t.Fatalf("dm+d CD category: %v, %+v", err, c.Patients)
	}
}

// TestParseCensusCSV_NewColumns reads the allergy, weight, PRN limit,
// controlled and stop columns; a file without them reads as before
// (TestParseCensusCSV_Good).
func TestParseCensusCSV_NewColumns(t *testing.T) {
	c := mustCSV(t, "census-full.csv", asOf)
	if len(c.Patients) != 3 {
		t.Fatalf("patients = %+v", c.Patients)
	}
	grace, richard, anjali := c.Patients[0], c.Patients[1], c.Patients[2]
	para := medByDrug(t, grace, "Paracetamol")
	if !para.PRN || para.MinIntervalHours != forms.Units(4) || para.MaxDailyDose != forms.Units(4) || para.MaxDailyDoseUnit != "g" || para.Notes != "for pain" {
		t.Errorf("paracetamol = %+v", para)
	}
	morph := medByDrug(t, anjali, "Morphine")
	if !morph.Controlled || morph.MaxDailyDose != forms.Units(20) || morph.MaxDailyDoseUnit != "mg" {
		t.Errorf("morphine = %+v (max unit defaults to the dose unit)", morph)
	}
	war := medByDrug(t, richard, "Warfarin")
	if !war.Start.Equal(at("2026-11-10T09:00:00Z")) || !war.Stop.Equal(at("2026-11-20T12:00:00Z")) {
		t.Errorf("warfarin = %+v", war)
	}
	if len(grace.Allergies) != 2 || grace.Allergies[0] != (CensusAllergy{Line: 2, Substance: "Penicillin", Code: "764146007", Reaction: "anaphylaxis", Severity: "severe", Status: "active"}) ||
		grace.Allergies[1].Status != "resolved" {
		t.Errorf("Grace's allergies = %+v", grace.Allergies)
	}
	if !richard.NoKnownAllergies || len(richard.Allergies) != 0 || anjali.NoKnownAllergies || len(anjali.Allergies) != 0 {
		t.Errorf("no known allergies: Richard %v, Anjali %v (not recorded)", richard.NoKnownAllergies, anjali.NoKnownAllergies)
	}
	if len(grace.Weights) != 1 || grace.Weights[0].Kg != forms.MustQuantity("61.4") || !grace.Weights[0].MeasuredAt.Equal(at("2026-11-20T07:00:00Z")) ||
		len(richard.Weights) != 1 || !richard.Weights[0].MeasuredAt.IsZero() {
		t.Errorf("weights: Grace %+v, Richard %+v", grace.Weights, richard.Weights)
	}
}

// TestParseCensusCSV_NewColumnErrors: every new column's mistakes are
// found, with the line.
func TestParseCensusCSV_NewColumnErrors(t *testing.T) {
	const head = "nhs_number,surname,given,birth_date,ward,drug,dose,dose_unit,route,frequency,prn_min_interval_hours,max_daily_dose,max_daily_dose_unit,controlled,start_at,stop_at,notes,allergy,allergy_code,allergy_reaction,allergy_severity,allergy_status,no_known_allergies,weight_kg,weighed_at\n"
	const p = "9990000018,OKAFOR,Grace,1948-02-11,w7,"
	tests := []struct{ row, want string }{
		{p + "Para,1,g,oral,QDS,4,,,,,,,,,,,,,,", "line 2: prn_min_interval_hours is only for a PRN medicine"},
		{p + "Para,1,g,oral,PRN,four,,,,,,,,,,,,,,", `line 2: prn_min_interval_hours "four" is not a number of hours`},
		{p + "Para,1,g,oral,PRN,,-4,,,,,,,,,,,,,", `line 2: max_daily_dose "-4" is not a number`},
		{p + "Para,1,g,oral,PRN,,,g,,,,,,,,,,,,", "line 2: max_daily_dose_unit is given but max_daily_dose is empty"},
		{p + "Para,1,g,oral,PRN,,,,maybe,,,,,,,,,,,", `line 2: controlled "maybe" is not yes or no`},
		{p + "Para,1,g,oral,QDS,,,,,,2026-11-20T00:00:00Z,,,,,,,,,", "line 2: stops at 2026-11-20T00:00:00Z, not after it starts (2026-11-21T06:00:00Z): an order stopped before the census needs its start time"},
		{p + "Para,1,g,oral,QDS,,,,,2026-11-22T00:00:00Z,,,,,,,,,,", "line 2: start_at 2026-11-22T00:00:00Z is after the census time"},
		{p + "Para,1,g,oral,QDS,,,,,,tomorrow,,,,,,,,,", `line 2: stop_at "tomorrow" is not a date and time`},
		{p + ",,,,,,,,,,,,,,anaphylaxis,,,,,", "line 2: allergy_reaction is given but allergy is empty"},
		{p + ",,,,,,,,,,,,,,,,,,,", ""},
		{p + ",,,,,,,,,,,,Latex,L1,,,,,,", `line 2: allergy code "L1" is not a SNOMED CT or dm+d code`},
		{p + ",,,,,,,,,,,,Latex,,,awful,,,,", `line 2: allergy severity "awful" is not mild, moderate or severe`},
		{p + ",,,,,,,,,,,,Latex,,,,gone,,,", `line 2: allergy status "gone" is not active, inactive or resolved`},
		{p + ",,,,,,,,,,,,Latex,,,,,yes,,", "line 2: no_known_allergies is yes but allergies are listed for NHS number 999 000 0018"},
		{p + ",,,,,,,,,,,,,,,,,perhaps,,", `line 2: no_known_allergies "perhaps" is not yes or no`},
		{p + ",,,,,,,,,,,,,,,,,,0,", "line 2: weight 0 kg is not between 0.3 and 350 kg"},
		{p + ",,,,,,,,,,,,,,,,,,70kg,", `line 2: weight_kg "70kg" is not a number of kilograms`},
		{p + ",,,,,,,,,,,,,,,,,,,2026-11-20T07:00:00Z", "line 2: weighed_at is given but weight_kg is empty"},
		{p + ",,,,,,,,,,,,,,,,,,70,2026-11-22T07:00:00Z", "line 2: weighed_at 2026-11-22T07:00:00Z is after the census time"},
		{p + ",,,,,,,,,,,,,,,,,,70,\n9990000018,,,,,,,,,,,,,,,,,,,,,,,71,", `line 3: weight_kg "71" differs from line 2 ("70") for NHS number 999 000 0018`},
		{p + ",,,,,,,,,,,,,,,,,,,\n9990000018,,,,,,,,,,,,,,,,,,,,,,yes,,", `line 3: no_known_allergies "yes" differs from line 2 ("")`},
		{p + ",,,,,,,,,,,for pain,,,,,,,,", "line 2: notes is given but drug is empty"},
	}
	for _, tt := range tests {
		_, err := ParseCensusCSV(strings.NewReader(head+tt.row+"\n"), "t.csv", asOf)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.row, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s:\n got %v\nwant %q", tt.row, err, tt.want)
		}
	}
}

// TestImport_ReimportAppendsNothing imports the FHIR census with orders,
// allergies and weights twice, and the CSV census twice: the second
// import of each appends only its census.imported record.
func TestImport_ReimportAppendsNothing(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		parse func() Census
		want  ImportCounts
	}{
		{"fhir", func() Census {
			c, err := ParseCensusFHIR(mustRead(t, "census-orders.json"), "census-orders.json", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, ImportCounts{Patients: 3, NewPatients: 3, Medicines: 5, Allergies: 3, NoKnownAllergies: 1, Weights: 2, LeftOut: 6}},
		{"csv", func() Census { return mustCSV(t, "census-full.csv", asOf) },
			ImportCounts{Patients: 3, NewPatients: 3, Admissions: 3, Medicines: 5, Allergies: 2, NoKnownAllergies: 1, Weights: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, s := MustStore(t)
			res, err := Import(ctx, db, StoreAppender(db, s), tc.parse())
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts != tc.want {
				t.Errorf("first import = %+v, want %+v", res.Counts, tc.want)
			}
			again, err := Import(ctx, db, StoreAppender(db, s), tc.parse())
			if err != nil {
				t.Fatal(err)
			}
			if again.Events != 1 || again.Counts.Medicines+again.Counts.Allergies+again.Counts.NoKnownAllergies+again.Counts.Weights+again.Counts.StoppedMedicines != 0 {
				t.Errorf("second import = %+v, %d events; want only the census record", again.Counts, again.Events)
			}
			// What the store now says.
			ps, _ := db.Patients(ctx, "")
			for _, p := range ps {
				l, err := db.Allergies(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if p.NHSNumber == "9990000018" && !strings.HasPrefix(l.Summary(), "Allergies: ") {
					t.Errorf("Grace's allergies: %q", l.Summary())
				}
				if p.NHSNumber == "9990000026" && l.Summary() != "No known allergies" {
					t.Errorf("Richard's allergies: %q", l.Summary())
				}
			}
		})
	}
}

// TestImport_CoreChangesFollow: a newer census that stops an order stops
// it (once), an allergy the core system changed is amended (same ID, the
// old record corrected), and an allergy entered during downtime is left
// as the nurse recorded it.
func TestImport_CoreChangesFollow(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	app := StoreAppender(db, s)
	if _, err := Import(ctx, db, app, mustCSV(t, "census-full.csv", asOf)); err != nil {
		t.Fatal(err)
	}
	later := asOf.Add(6 * time.Hour)
	newer := strings.NewReplacer(
		"Paracetamol 500mg tablets,42109611000001109,1,g,oral,PRN,4,4,g,,,,for pain", "Paracetamol 500mg tablets,42109611000001109,1,g,oral,PRN,4,4,g,,2026-11-20T09:00:00Z,2026-11-21T10:00:00Z,for pain",
		"anaphylaxis,severe,active", "anaphylaxis,severe,inactive").Replace(string(mustRead(t, "census-full.csv")))
	parse := func() Census {
		c, err := ParseCensusCSV(strings.NewReader(newer), "newer.csv", later)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	res, err := Import(ctx, db, app, parse())
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.StoppedMedicines != 1 || res.Counts.Medicines != 0 || res.Counts.Allergies != 1 {
		t.Fatalf("newer census = %+v", res.Counts)
	}
	stops, _ := db.EventsOfKind(ctx, forms.KindMedStopped)
	var st forms.MedicationStop
	json.Unmarshal(stops[0].Payload, &st)
	if len(stops) != 1 || !st.Effective.Equal(at("2026-11-21T10:00:00Z")) {
		t.Errorf("stops = %d, effective %v", len(stops), st.Effective)
	}
	recs, _ := db.EventsOfKind(ctx, forms.KindAllergyRecorded)
	last := recs[len(recs)-1]
	var a forms.Allergy
	json.Unmarshal(last.Payload, &a)
	if a.Status != forms.AllergyInactive || last.Corrects == "" {
		t.Errorf("amended allergy = %+v corrects %q", a, last.Corrects)
	}
	again, err := Import(ctx, db, app, parse())
	if err != nil || again.Events != 1 {
		t.Fatalf("the newer census again = %+v, %v; want only its census record", again, err)
	}
}
