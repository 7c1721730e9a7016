package forms

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Event kinds for allergies and weight.
const (
	KindAllergyRecorded  = "allergy.recorded"   // payload Allergy; subject the patient; newest record of an allergy ID wins
	KindAllergyNoneKnown = "allergy.none_known" // payload NoKnownAllergies; subject the patient
	KindWeightRecorded   = "weight.recorded"    // payload Weight; subject the patient
)

// Allergy severities (of the reaction), as FHIR AllergyIntolerance.reaction.severity.
const (
	SeverityMild     = "mild"
	SeverityModerate = "moderate"
	SeveritySevere   = "severe"
)

// Allergy statuses, as FHIR AllergyIntolerance.clinicalStatus. Only an
// active allergy warns at a dose; an inactive or resolved one stays on
// record and in the export.
const (
	AllergyActive   = "active"
	AllergyInactive = "inactive"
	AllergyResolved = "resolved"
)

// Allergy is the payload of allergy.recorded: one substance a patient
// reacts to. A correction is a new allergy.recorded with the same ID (and
// Corrects naming the record it amends); the newest by clock stands.
type Allergy struct {
	ID        string `json:"id"`
	PatientID string `json:"patient_id"`
	Substance string `json:"substance"`          // as written: "Penicillin", "Latex"
	Code      string `json:"code,omitempty"`     // dm+d or SNOMED CT concept, when known
	Reaction  string `json:"reaction,omitempty"` // "rash", "anaphylaxis"
	Severity  string `json:"severity,omitempty"` // SeverityMild, SeverityModerate, SeveritySevere or empty (not known)
	Status    string `json:"status"`             // AllergyActive, AllergyInactive or AllergyResolved
	Source    string `json:"source"`             // SourceSnapshot or SourceEntered
	Note      string `json:"note,omitempty"`
}

// NoKnownAllergies is the payload of allergy.none_known: someone asked and
// the patient has no known allergies. It is not the same as nothing
// recorded. An active allergy recorded later outranks it.
type NoKnownAllergies struct {
	PatientID string `json:"patient_id"`
	Note      string `json:"note,omitempty"`
}

// Weight is the payload of weight.recorded: the patient's weight in kg and
// when it was measured (MeasuredAt; zero means the event's performed_at).
// Estimated marks a weight that was estimated, not measured.
type Weight struct {
	PatientID  string    `json:"patient_id"`
	Kg         Quantity  `json:"kg"`
	MeasuredAt time.Time `json:"measured_at,omitzero"`
	Estimated  bool      `json:"estimated,omitempty"`
}

// AllergyList is what is known of a patient's allergies: the standing
// record of each allergy (active first), and whether "no known allergies"
// was recorded. With no allergies and NoneKnown false, nothing is recorded:
// the nurse must ask, never assume.
type AllergyList struct {
	Allergies []Allergy
	NoneKnown bool
	// NoneKnownDisputed is set when "no known allergies" was recorded after
	// an allergy that stands active (on a device that had not heard of it,
	// or in error): the allergy stands and the screen asks someone to
	// check with the patient.
	NoneKnownDisputed bool
}

// Active returns the active allergies.
func (l AllergyList) Active() []Allergy {
	var out []Allergy
	for _, a := range l.Allergies {
		if a.Status == AllergyActive {
			out = append(out, a)
		}
	}
	return out
}

// Recorded reports whether anything at all is recorded.
func (l AllergyList) Recorded() bool { return len(l.Allergies) > 0 || l.NoneKnown }

// Summary is the list in a few words for a banner: "Allergies: Penicillin
// (anaphylaxis, severe); Latex", "No known allergies" or "Allergies NOT
// RECORDED: ask".
func (l AllergyList) Summary() string {
	active := l.Active()
	switch {
	case len(active) > 0:
		parts := make([]string, len(active))
		for i, a := range active {
			parts[i] = a.Substance
			var detail []string
			if a.Reaction != "" {
				detail = append(detail, a.Reaction)
			}
			if a.Severity != "" {
				detail = append(detail, a.Severity)
			}
			if len(detail) > 0 {
				parts[i] += " (" + strings.Join(detail, ", ") + ")"
			}
		}
		return "Allergies: " + strings.Join(parts, "; ")
	case l.NoneKnown:
		return "No known allergies"
	case len(l.Allergies) > 0:
		return "No active allergies (past ones on record)"
	}
	return "Allergies NOT RECORDED: ask"
}

// Weight limits in kg. Outside the hard limits no human weighs that: the
// number is a slip (grams typed for kg, a stone/pound mix-up, a stray
// digit) and is refused. Outside the typical range it is possible (a
// premature baby, a bariatric patient) but rare, and the person confirms.
var (
	WeightMinKg        = MustQuantity("0.3")
	WeightMaxKg        = MustQuantity("350")
	WeightTypicalMinKg = MustQuantity("2")
	WeightTypicalMaxKg = MustQuantity("200")
)

// Validate lists what is wrong with a: hard problems only.
func (a Allergy) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(a.ID) == "" {
		hard("id", "allergy has no ID")
	}
	if strings.TrimSpace(a.PatientID) == "" {
		hard("patient_id", "choose the patient")
	}
	if strings.TrimSpace(a.Substance) == "" || len(words(a.Substance)) == 0 {
		hard("substance", "enter what the patient is allergic to")
	}
	switch a.Severity {
	case "", SeverityMild, SeverityModerate, SeveritySevere:
	default:
		hard("severity", "severity must be mild, moderate, severe or not known")
	}
	switch a.Status {
	case AllergyActive, AllergyInactive, AllergyResolved:
	default:
		hard("status", "status must be active, inactive or resolved")
	}
	switch a.Source {
	case SourceSnapshot, SourceEntered:
	default:
		hard("source", "source must be snapshot or entered")
	}
	return ps
}

// Validate lists what is wrong with n.
func (n NoKnownAllergies) Validate() Problems {
	if strings.TrimSpace(n.PatientID) == "" {
		return Problems{{Field: "patient_id", Message: "choose the patient"}}
	}
	return nil
}

// Validate lists what is wrong with w. A weight outside WeightMinKg to
// WeightMaxKg (inclusive) is refused; one outside the typical range is a
// soft problem to confirm. A zero MeasuredAt means the record's performed
// time; ValidateAt also checks it is not in the future.
func (w Weight) Validate() Problems {
	var ps Problems
	if strings.TrimSpace(w.PatientID) == "" {
		ps = append(ps, Problem{Field: "patient_id", Message: "choose the patient"})
	}
	switch {
	case w.Kg <= 0:
		ps = append(ps, Problem{Field: "kg", Message: "enter the weight in kg"})
	case w.Kg < WeightMinKg || w.Kg > WeightMaxKg:
		ps = append(ps, Problem{Field: "kg", Message: fmt.Sprintf("%s kg is not a possible weight: check the number is in kg (%s to %s kg)",
			w.Kg, WeightMinKg, WeightMaxKg)})
	case w.Kg < WeightTypicalMinKg || w.Kg > WeightTypicalMaxKg:
		ps = append(ps, Problem{Field: "kg", Soft: true, Message: fmt.Sprintf("a weight of %s kg is unusual: check and confirm", w.Kg)})
	}
	return ps
}

// ValidateAt is Validate, and refuses a MeasuredAt after latest (the
// recording device's clock plus the skew it allows): a weight is
// recorded after it is measured.
func (w Weight) ValidateAt(latest time.Time) Problems {
	ps := w.Validate()
	if w.MeasuredAt.After(latest) {
		ps = append(ps, Problem{Field: "measured_at", Message: "the time measured cannot be in the future"})
	}
	return ps
}

// AllergyEntry is one standing allergy.recorded or allergy.none_known
// record, for ResolveAllergies: Allergy is nil for "no known allergies".
type AllergyEntry struct {
	Allergy *Allergy
}

// ResolveAllergies works out what is known from a patient's standing
// allergy records, oldest first by clock:
//   - the newest record of each allergy ID stands (a correction or a
//     change of status replaces the one before);
//   - "no known allergies" stands only if it is newer than every allergy
//     record and no allergy is active. An allergy recorded after it
//     outranks it for good (someone learnt more since), even once that
//     allergy is resolved; "no known allergies" recorded while an allergy
//     is active (on a device that had not heard of it) does not hide the
//     allergy: the allergy stands and must be corrected itself, and
//     NoneKnownDisputed says someone must check.
//
// Active allergies come first, otherwise in the order first recorded.
func ResolveAllergies(entries []AllergyEntry) AllergyList {
	var l AllergyList
	byID := map[string]int{}
	at := map[string]int{} // allergy ID: position of its standing record
	lastNone := -1
	for n, e := range entries {
		if e.Allergy == nil {
			l.NoneKnown, lastNone = true, n
			continue
		}
		l.NoneKnown = false
		a := *e.Allergy
		at[a.ID] = n
		if i, ok := byID[a.ID]; ok {
			l.Allergies[i] = a
			continue
		}
		byID[a.ID] = len(l.Allergies)
		l.Allergies = append(l.Allergies, a)
	}
	for _, a := range l.Active() {
		l.NoneKnown = false
		if at[a.ID] < lastNone {
			l.NoneKnownDisputed = true
		}
	}
	slices.SortStableFunc(l.Allergies, func(a, b Allergy) int {
		switch {
		case a.Status == b.Status || a.Status != AllergyActive && b.Status != AllergyActive:
			return 0
		case a.Status == AllergyActive:
			return -1
		}
		return 1
	})
	return l
}

// AllergyWarnings returns a WarnAllergy warning for each active allergy
// that matches o's medicine: the same code (o.DMDCode equal to a.Code), or
// the substance named in the drug name as whole words, case, punctuation
// and spacing ignored ("Penicillin" matches "Penicillin V 250 mg tablets";
// "Co-trimoxazole" matches "Cotrimoxazole 480 mg"; "Penicillins" matches
// "penicillin"). It cannot match a drug class or an ingredient not named
// in the drug's name: "Penicillin" does not match "Amoxicillin" or
// "Co-amoxiclav", "NSAIDs" does not match "Ibuprofen", a brand name does
// not match its generic. That needs a drug dictionary Lifeboat does not
// carry during downtime, so the banner shows every active allergy and the
// nurse's own check still applies. A SNOMED CT substance code rarely
// equals a dm+d product code: the code match helps only when both sides
// used the same code.
func AllergyWarnings(l AllergyList, o MedicationOrder) []DoseWarning {
	var ws []DoseWarning
	drug := words(o.Drug)
	for _, a := range l.Active() {
		if !(a.Code != "" && a.Code == o.DMDCode) && !namesSubstance(drug, words(a.Substance)) {
			continue
		}
		what := a.Substance
		if a.Reaction != "" {
			what += " (" + a.Reaction + ")"
		}
		ws = append(ws, DoseWarning{Code: WarnAllergy, Message: fmt.Sprintf("the patient is recorded as allergic to %s", what)})
	}
	return ws
}

// namesSubstance reports whether a run of whole words of drug, joined,
// spells the substance's words joined (or, for a plural substance, without
// its final s).
func namesSubstance(drug, sub []string) bool {
	want := strings.Join(sub, "")
	if want == "" {
		return false
	}
	single := strings.TrimSuffix(want, "s")
	for i := range drug {
		run := ""
		for j := i; j < len(drug) && len(run) < len(want); j++ {
			run += drug[j]
			if run == want || run == single && single != "" {
				return true
			}
		}
	}
	return false
}

// words splits s into case-folded words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.Map(fold, s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// fold maps r to the lower case of its upper case, so "Π", "π" and "ϖ",
// or "I", "i" and "ı", compare equal: a name typed in capitals matches.
func fold(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }
