package forms

import (
	"strings"
	"testing"
	"time"
)

func penicillin() Allergy {
	return Allergy{ID: "a1", PatientID: "p1", Substance: "Penicillin", Reaction: "anaphylaxis", Severity: SeveritySevere,
		Status: AllergyActive, Source: SourceEntered}
}

func TestAllergy_Validate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Allergy)
		want string
	}{
		{"ok", nil, ""},
		{"snapshot ok", func(a *Allergy) { a.Source = SourceSnapshot }, ""},
		{"severity not known ok", func(a *Allergy) { a.Severity = "" }, ""},
		{"mild ok", func(a *Allergy) { a.Severity = SeverityMild }, ""},
		{"moderate ok", func(a *Allergy) { a.Severity = SeverityModerate }, ""},
		{"inactive ok", func(a *Allergy) { a.Status = AllergyInactive }, ""},
		{"resolved ok", func(a *Allergy) { a.Status = AllergyResolved }, ""},
		{"no reaction or note ok", func(a *Allergy) { a.Reaction, a.Note = "", "" }, ""},
		{"empty", func(a *Allergy) { *a = Allergy{} }, "id,patient_id,substance,status,source"},
		{"blank substance", func(a *Allergy) { a.Substance = "   " }, "substance"},
		{"punctuation only substance", func(a *Allergy) { a.Substance = "-?" }, "substance"},
		{"blank ID", func(a *Allergy) { a.ID = " " }, "id"},
		{"severity upper case", func(a *Allergy) { a.Severity = "Severe" }, "severity"},
		{"severity life-threatening", func(a *Allergy) { a.Severity = "life-threatening" }, "severity"},
		{"status empty", func(a *Allergy) { a.Status = "" }, "status"},
		{"status entered-in-error", func(a *Allergy) { a.Status = "entered-in-error" }, "status"},
		{"source empty", func(a *Allergy) { a.Source = "" }, "source"},
		{"source fax", func(a *Allergy) { a.Source = "fax" }, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := penicillin()
			if tt.edit != nil {
				tt.edit(&a)
			}
			if got := problemList(a.Validate()); got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNoKnownAllergies_Validate(t *testing.T) {
	if ps := (NoKnownAllergies{PatientID: "p1"}).Validate(); len(ps) != 0 {
		t.Errorf("Validate() = %v, want none", ps)
	}
	if got := problemList((NoKnownAllergies{PatientID: " "}).Validate()); got != "patient_id" {
		t.Errorf("Validate() with no patient = %q, want patient_id", got)
	}
}

func TestWeight_Validate(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		kg       string
		measured time.Time
		want     string
	}{
		{"70", now, ""},
		{"70", time.Time{}, ""}, // zero: the record's performed time
		{"0.3", now, "kg~"},     // hard limit itself: possible, unusual
		{"0.299", now, "kg"},
		{"0.001", now, "kg"},
		{"0", now, "kg"},
		{"-70", now, "kg"},
		{"1.999", now, "kg~"},
		{"2", now, ""}, // typical range is inclusive
		{"3.2", now, ""},
		{"200", now, ""},
		{"200.001", now, "kg~"},
		{"350", now, "kg~"},
		{"350.001", now, "kg"},
		{"7000", now, "kg"}, // grams typed for kg
		{"70", now.Add(time.Millisecond), "measured_at"},
		{"70", now.Add(-365 * 24 * time.Hour), ""},
		{"7000", now.Add(time.Hour), "kg,measured_at"},
	}
	for _, tt := range tests {
		t.Run(tt.kg+"kg "+tt.measured.Format(time.RFC3339Nano), func(t *testing.T) {
			w := Weight{PatientID: "p1", Kg: MustQuantity(tt.kg), MeasuredAt: tt.measured}
			if got := problemList(w.ValidateAt(now)); got != tt.want {
				t.Errorf("ValidateAt(%v) = %q, want %q", now, got, tt.want)
			}
			if got, want := problemList(w.Validate()), strings.TrimSuffix(strings.TrimSuffix(tt.want, "measured_at"), ","); got != want {
				t.Errorf("Validate() = %q, want %q (the measured time is ValidateAt's)", got, want)
			}
		})
	}
	if got := problemList((Weight{Kg: Units(70)}).Validate()); got != "patient_id" {
		t.Errorf("Validate() with no patient = %q, want patient_id", got)
	}
}

func TestResolveAllergies(t *testing.T) {
	active := func(id, sub string) AllergyEntry {
		return AllergyEntry{Allergy: &Allergy{ID: id, Substance: sub, Status: AllergyActive}}
	}
	with := func(id, sub, status string) AllergyEntry {
		return AllergyEntry{Allergy: &Allergy{ID: id, Substance: sub, Status: status}}
	}
	nka := AllergyEntry{}
	tests := []struct {
		name    string
		entries []AllergyEntry
		want    string // substances with status, then "NKA" when none known stands
		summary string
	}{
		{"nothing recorded", nil, "", "Allergies NOT RECORDED: ask"},
		{"no known allergies", []AllergyEntry{nka}, "NKA", "No known allergies"},
		{"no known allergies twice", []AllergyEntry{nka, nka}, "NKA", "No known allergies"},
		{"one allergy", []AllergyEntry{active("a", "Latex")}, "Latex:active", "Allergies: Latex"},
		{"allergy recorded after NKA outranks it", []AllergyEntry{nka, active("a", "Latex")}, "Latex:active", "Allergies: Latex"},
		{"NKA recorded while an allergy is active: the allergy stands, disputed", []AllergyEntry{active("a", "Latex"), nka},
			"Latex:active DISPUTED", "Allergies: Latex"},
		{"NKA disputed, then the allergy confirmed again", []AllergyEntry{active("a", "Latex"), nka, active("a", "Latex")},
			"Latex:active", "Allergies: Latex"},
		{"NKA after one active allergy, before another", []AllergyEntry{active("a", "Latex"), nka, active("b", "Codeine")},
			"Latex:active Codeine:active DISPUTED", "Allergies: Latex; Codeine"},
		{"NKA after an allergy resolved, another active after it", []AllergyEntry{with("a", "Latex", AllergyResolved), nka, active("b", "Codeine")},
			"Codeine:active Latex:resolved", "Allergies: Codeine"},
		{"allergy after NKA, resolved later: NKA stays outranked", []AllergyEntry{nka, active("a", "Latex"), with("a", "Latex", AllergyResolved)},
			"Latex:resolved", "No active allergies (past ones on record)"},
		{"NKA asked again after the allergy resolved", []AllergyEntry{active("a", "Latex"), with("a", "Latex", AllergyResolved), nka},
			"Latex:resolved NKA", "No known allergies"},
		{"NKA after an inactive allergy", []AllergyEntry{with("a", "Latex", AllergyInactive), nka}, "Latex:inactive NKA", "No known allergies"},
		{"newest record of an ID stands", []AllergyEntry{active("a", "Penicilin"), active("a", "Penicillin")}, "Penicillin:active", "Allergies: Penicillin"},
		{"corrected back to active", []AllergyEntry{active("a", "Latex"), with("a", "Latex", AllergyInactive), active("a", "Latex")},
			"Latex:active", "Allergies: Latex"},
		{"active first, then in order recorded",
			[]AllergyEntry{with("a", "Codeine", AllergyResolved), active("b", "Latex"), with("c", "Aspirin", AllergyInactive), active("d", "Penicillin")},
			"Latex:active Penicillin:active Codeine:resolved Aspirin:inactive", "Allergies: Latex; Penicillin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ResolveAllergies(tt.entries)
			var got []string
			for _, a := range l.Allergies {
				got = append(got, a.Substance+":"+a.Status)
			}
			if l.NoneKnown {
				got = append(got, "NKA")
			}
			if l.NoneKnownDisputed {
				got = append(got, "DISPUTED")
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("ResolveAllergies = %q, want %q", s, tt.want)
			}
			if s := l.Summary(); s != tt.summary {
				t.Errorf("Summary() = %q, want %q", s, tt.summary)
			}
			if rec := len(tt.entries) > 0; l.Recorded() != rec {
				t.Errorf("Recorded() = %v, want %v", l.Recorded(), rec)
			}
		})
	}
}

func TestAllergyList_Summary(t *testing.T) {
	l := AllergyList{Allergies: []Allergy{penicillin(), {Substance: "Latex", Status: AllergyActive},
		{Substance: "Codeine", Reaction: "vomiting", Status: AllergyResolved}, {Substance: "Plasters", Severity: SeverityMild, Status: AllergyActive}}}
	want := "Allergies: Penicillin (anaphylaxis, severe); Latex; Plasters (mild)"
	if got := l.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if n := len(l.Active()); n != 3 {
		t.Errorf("Active() has %d, want 3", n)
	}
}

func TestAllergyWarnings(t *testing.T) {
	tests := []struct {
		substance, code, status string
		drug, dmd               string
		warn                    bool
	}{
		{"Penicillin", "", AllergyActive, "Penicillin V 250 mg tablets", "", true},
		{"penicillin", "", AllergyActive, "PENICILLIN", "", true},
		{"Penicillin", "", AllergyActive, "Phenoxymethylpenicillin 250 mg tablets", "", false}, // not a whole word
		{"Penicillin", "", AllergyActive, "Amoxicillin 500 mg capsules", "", false},            // class: needs a dictionary
		{"Penicillin", "", AllergyActive, "Co-amoxiclav 625 mg tablets", "", false},            // class: needs a dictionary
		{"Penicillins", "", AllergyActive, "Benzylpenicillin", "", false},
		{"Penicillins", "", AllergyActive, "Penicillin V", "", true}, // plural substance
		{"Amoxicillin", "", AllergyActive, "Amoxicillin 500 mg capsules", "", true},
		{"Amoxicillin", "", AllergyInactive, "Amoxicillin 500 mg capsules", "", false},
		{"Amoxicillin", "", AllergyResolved, "Amoxicillin 500 mg capsules", "", false},
		{"Co-amoxiclav", "", AllergyActive, "Co-amoxiclav 625 mg tablets", "", true},
		{"Co-trimoxazole", "", AllergyActive, "Cotrimoxazole 480 mg tablets", "", true}, // hyphen ignored
		{"Cotrimoxazole", "", AllergyActive, "Co-trimoxazole 480 mg tablets", "", true},
		{"Aspirin", "", AllergyActive, "Clopidogrel/aspirin", "", true},
		{"Aspirin", "", AllergyActive, "Aspirin(dispersible)", "", true},
		{"Morphine", "", AllergyActive, "Oramorph (morphine sulfate) 10 mg/5 ml", "", true},
		{"Morphine", "", AllergyActive, "Oramorph 10 mg/5 ml oral solution", "", false}, // brand: needs a dictionary
		{"Codeine", "", AllergyActive, "Co-codamol 30/500", "", false},
		{"Paracetamol 500 mg", "", AllergyActive, "Paracetamol 500 mg tablets", "", true},
		{"Paracetamol 500 mg", "", AllergyActive, "Paracetamol 1 g", "", false},
		{"Iron", "", AllergyActive, "Ironwort tea", "", false},
		{"Latex", "", AllergyActive, "Paracetamol", "", false},
		{"Penicillin\u00a0V", "", AllergyActive, "Penicillin V", "", true}, // no-break space is a space
		{"Ibuprofène", "", AllergyActive, "ibuprofène 200 mg", "", true},
		{"Peanut", "12345", AllergyActive, "Arachis oil enema", "12345", true}, // same code
		{"Peanut", "12345", AllergyActive, "Arachis oil enema", "54321", false},
		{"Peanut", "", AllergyActive, "Arachis oil enema", "", false}, // empty codes never match
		{"-", "", AllergyActive, "Paracetamol - 500", "", false},
		{"s", "", AllergyActive, "Paracetamol s", "", true},
		{"s", "", AllergyActive, "Paracetamol", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.substance+"/"+tt.status+"/"+tt.drug, func(t *testing.T) {
			l := AllergyList{Allergies: []Allergy{{ID: "a", Substance: tt.substance, Code: tt.code, Reaction: "rash", Status: tt.status}}}
			ws := AllergyWarnings(l, MedicationOrder{Drug: tt.drug, DMDCode: tt.dmd})
			if got := len(ws) > 0; got != tt.warn {
				t.Fatalf("AllergyWarnings = %v, want a warning %v", ws, tt.warn)
			}
			if tt.warn && (ws[0].Code != WarnAllergy || !strings.Contains(ws[0].Message, tt.substance+" (rash)")) {
				t.Errorf("warning = %+v, want %s naming the substance and reaction", ws[0], WarnAllergy)
			}
		})
	}
	two := AllergyList{Allergies: []Allergy{penicillin(), {ID: "b", Substance: "Penicillin V", Status: AllergyActive}}}
	if ws := AllergyWarnings(two, MedicationOrder{Drug: "Penicillin V 250 mg"}); len(ws) != 2 {
		t.Errorf("two matching allergies give %d warnings, want 2", len(ws))
	}
	if ws := AllergyWarnings(AllergyList{NoneKnown: true}, MedicationOrder{Drug: "Penicillin V"}); len(ws) != 0 {
		t.Errorf("no known allergies gives %v, want none", ws)
	}
}
