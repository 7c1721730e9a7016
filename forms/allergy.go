package forms

import (
	"fmt"
	"slices"
	"strings"
	"time"
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

// AllergyWarnings returns a WarnAllergy warning for each active allergy
// that matches o's medicine: the same code, or the substance named in the
// drug name as a whole word, case ignored ("Penicillin" matches
// "Penicillin V", "amoxicillin" does not). Class membership (amoxicillin is
// a penicillin) needs a drug dictionary Lifeboat does not carry during
// downtime: the banner and the nurse's own check still apply.
func AllergyWarnings(l AllergyList, o MedicationOrder) []DoseWarning {
	var ws []DoseWarning
	drug := words(o.Drug)
	for _, a := range l.Active() {
		match := a.Code != "" && a.Code == o.DMDCode
		if sub := words(a.Substance); !match && len(sub) > 0 {
			for i := 0; i+len(sub) <= len(drug); i++ {
				if slices.Equal(drug[i:i+len(sub)], sub) {
					match = true
					break
				}
			}
		}
		if match {
			what := a.Substance
			if a.Reaction != "" {
				what += " (" + a.Reaction + ")"
			}
			ws = append(ws, DoseWarning{Code: WarnAllergy, Message: fmt.Sprintf("the patient is recorded as allergic to %s", what)})
		}
	}
	return ws
}

// words splits s into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}
