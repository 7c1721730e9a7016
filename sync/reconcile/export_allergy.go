package reconcile

import (
	"encoding/json"
	"fmt"

	"lifeboat"
	"lifeboat/forms"
)

// Code systems of AllergyIntolerance.
const (
	allergyClinical     = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	allergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)

// allergyRoot is the first record (by clock) of an allergy ID: the
// AllergyIntolerance every later record of that allergy updates.
func (x *exporter) allergyRoot(id string) *lifeboat.Event {
	if x.allergies == nil {
		x.allergies = map[string]*lifeboat.Event{}
		for _, e := range x.byID {
			if e.Kind != forms.KindAllergyRecorded {
				continue
			}
			var a forms.Allergy
			if json.Unmarshal(e.Payload, &a) != nil {
				continue
			}
			if r, ok := x.allergies[a.ID]; !ok || e.HLC.Compare(r.HLC) < 0 {
				x.allergies[a.ID] = e
			}
		}
	}
	return x.allergies[id]
}

// allergyEntries maps an allergy recorded during downtime to an
// AllergyIntolerance: created at the allergy's first record, updated
// (conditionally, on that record's identifier) by every later record of
// the same allergy ID, and marked entered-in-error with it. An amendment
// of an allergy from the census is not sent: the core system holds that
// one, under an id Lifeboat does not know.
func (x *exporter) allergyEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var a forms.Allergy
	if err := json.Unmarshal(src.Payload, &a); err != nil {
		return nil, "", fmt.Errorf("read allergy: %w", err)
	}
	root := x.allergyRoot(a.ID)
	if root == nil {
		root = src
	}
	if x.snapshot[root.ID] && !x.snapshot[src.ID] {
		return nil, "", fmt.Errorf("it amends an allergy from the census: amend it in the core system by hand")
	}
	h.idEvent = root
	h.update = h.update || root.ID != src.ID
	r := x.allergyResource(src, e, h)
	r.Code = &Codeable{Text: a.Substance}
	if a.Code != "" {
		r.Code.Coding = []Coding{{System: snomed, Code: a.Code, Display: a.Substance}}
	}
	if h.status != "entered-in-error" {
		r.ClinicalStatus = code(allergyClinical, a.Status, a.Status)
	}
	if a.Reaction != "" {
		r.Reaction = []Reaction{{Manifestation: []Codeable{{Text: a.Reaction}}, Severity: a.Severity}}
	} else if a.Severity != "" {
		r.Note = append(r.Note, Note{Text: "severity " + a.Severity + ", reaction not recorded"})
	}
	if a.Note != "" {
		r.Note = append(r.Note, Note{Text: a.Note})
	}
	return x.finishAllergy(r, src, e, h)
}

// noneKnownEntries maps "no known allergies" to an AllergyIntolerance
// coded SNOMED CT 716186003 (No known allergy).
func (x *exporter) noneKnownEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var n forms.NoKnownAllergies
	if err := json.Unmarshal(src.Payload, &n); err != nil {
		return nil, "", fmt.Errorf("read no known allergies: %w", err)
	}
	r := x.allergyResource(src, e, h)
	r.Code = code(snomed, SnomedNoKnownAllergy, "No known allergy")
	if h.status != "entered-in-error" {
		r.ClinicalStatus = code(allergyClinical, forms.AllergyActive, "Active")
	}
	if n.Note != "" {
		r.Note = []Note{{Text: n.Note}}
	}
	return x.finishAllergy(r, src, e, h)
}

// allergyResource is the part every AllergyIntolerance shares.
func (x *exporter) allergyResource(src, e *lifeboat.Event, h how) *Resource {
	verification := "confirmed"
	if h.status == "entered-in-error" {
		verification = "entered-in-error"
	}
	return &Resource{ResourceType: "AllergyIntolerance", Patient: x.patientRef(src.Subject),
		VerificationStatus: code(allergyVerification, verification, verification),
		RecordedDate:       x.performedAt(e), Recorder: new(x.person(e.Author))}
}

// finishAllergy stamps an AllergyIntolerance (which has no status: an
// entry in error is its verificationStatus) and wraps it after its Patient.
func (x *exporter) finishAllergy(r *Resource, src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	h.status = ""
	x.stamp(r, h, e, "")
	return []Entry{x.patientEntry(src.Subject, e), x.entry(r, h, "")}, src.Subject, nil
}

// weightEntries maps a weight to a vital-signs body-weight Observation
// (LOINC 29463-7, kg), effective when it was measured.
func (x *exporter) weightEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var w forms.Weight
	if err := json.Unmarshal(src.Payload, &w); err != nil {
		return nil, "", fmt.Errorf("read weight: %w", err)
	}
	if w.Kg <= 0 {
		return nil, "", fmt.Errorf("the weight %s kg is not more than zero", w.Kg)
	}
	pid := src.Subject
	at := x.performedAt(e)
	if !w.MeasuredAt.IsZero() {
		at = fhirTime(w.MeasuredAt)
	}
	r := &Resource{ResourceType: "Observation", Status: "final", Category: vitalSigns,
		Code:          &Codeable{Coding: []Coding{{System: loinc, Code: "29463-7", Display: "Body weight"}, {System: snomed, Code: "27113001", Display: "Body weight"}}, Text: "Body weight"},
		Subject:       x.patientRef(pid),
		ValueQuantity: ucumQ(float64(w.Kg)/forms.QuantityScale, "kg", "kg"), EffectiveDateTime: at, Issued: x.recordedAt(e),
		Performer: []Ref{x.person(e.Author)}}
	if w.Estimated {
		r.Note = []Note{{Text: "estimated, not measured"}}
	}
	x.stamp(r, h, e, "")
	return []Entry{x.patientEntry(pid, e), x.entry(r, h, "")}, pid, nil
}

// overrideWords names each dose warning in an override's note.
var overrideWords = map[string]string{
	forms.WarnTooSoon:      "within the minimum interval",
	forms.WarnOverDailyMax: "over the 24-hour maximum",
	forms.WarnUnitMismatch: "maximum not checkable, units differ",
	forms.WarnAllergy:      "matches a recorded allergy",
	forms.WarnDuplicate:    "another active order of the same medicine",
}

// overrideNotes is a note for each warning a person went past to give a
// dose, with their reason, so the core system sees the override.
func overrideNotes(os []forms.DoseOverride) []Note {
	var out []Note
	for _, o := range os {
		what := overrideWords[o.Code]
		if what == "" {
			what = "warning"
		}
		out = append(out, Note{Text: fmt.Sprintf("Override %s (%s): %s", o.Code, what, o.Reason)})
	}
	return out
}
