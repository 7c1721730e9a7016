package reconcile

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"lifeboat/forms"
)

// ControlledDrugURL is the extension (valueBoolean) that marks a
// MedicationRequest or Medication as a controlled drug on import. An
// extension whose URL ends in "ControlledDrug" or "controlled-drug" (a
// site's or UK Core's) counts too: valueBoolean true, or a valueCoding or
// valueCodeableConcept with a dm+d controlled drug category other than
// 0000 ("no controlled drug status").
const ControlledDrugURL = "https://lifeboat.example/fhir/StructureDefinition/controlled-drug"

// SNOMED CT concepts that say a patient has no known allergies.
const (
	SnomedNoKnownAllergy     = "716186003" // No known allergy
	SnomedNoKnownDrugAllergy = "409137002" // No known drug allergy
)

// gtsFrequencies maps HL7 GTS timing abbreviations (and Lifeboat's own
// codes) to Lifeboat frequencies.
var gtsFrequencies = map[string]string{
	"QD": forms.FreqOD, "BID": forms.FreqBD, "TID": forms.FreqTDS, "QID": forms.FreqQDS, "AM": forms.FreqMANE,
	"HS": forms.FreqON, "WK": forms.FreqWeekly,
	forms.FreqOD: forms.FreqOD, forms.FreqMANE: forms.FreqMANE, forms.FreqON: forms.FreqON, forms.FreqBD: forms.FreqBD,
	forms.FreqTDS: forms.FreqTDS, forms.FreqQDS: forms.FreqQDS, forms.FreqWeekly: forms.FreqWeekly, "PRN": "PRN",
}

// gtsIntervals are the GTS "every N hours" codes, as hours.
var gtsIntervals = map[string]int{"Q1H": 1, "Q2H": 2, "Q3H": 3, "Q4H": 4, "Q6H": 6, "Q8H": 8}

// dosesPerDay maps a number of regular doses a day to a frequency.
var dosesPerDay = map[int64]string{1: forms.FreqOD, 2: forms.FreqBD, 3: forms.FreqTDS, 4: forms.FreqQDS}

// periodHours is a UCUM time unit (as in Timing.repeat.periodUnit and a
// Ratio denominator) in hours.
var periodHours = map[string]float64{"h": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24, "wk": 168, "week": 168, "weeks": 168}

// requestLeftOut says why a MedicationRequest is not imported, or "" if
// it becomes an order (active, on hold, stopped or completed).
func requestLeftOut(r fhirResource) string {
	switch r.Status {
	case "active", "on-hold", "stopped", "completed":
	case "cancelled", "entered-in-error", "draft", "unknown":
		return fmt.Sprintf("not imported: its status is %s", r.Status)
	default:
		return fmt.Sprintf("not imported: its status %q is not one of active, on-hold, stopped or completed", r.Status)
	}
	switch r.Intent {
	case "proposal", "plan":
		return fmt.Sprintf("not imported: its intent is %s, not an order", r.Intent)
	}
	return ""
}

// fhirMedicine reads a MedicationRequest or MedicationStatement: its
// medicine (medicationCodeableConcept, or medicationReference resolved in
// the Bundle), its first dosage, its status and bounds. msgs are problems
// that stop the import; notes are what the import summary lists (what was
// kept only as text).
func fhirMedicine(e censusEntry, asOf time.Time, resolve func(*fhirRef, string) (censusEntry, bool)) (m CensusMedicine, msgs, notes []string) {
	r := e.r
	var text []string
	cc := r.MedicationCodeableConcept
	var med *fhirResource
	if ref := r.MedicationReference; ref != nil && cc == nil {
		med = containedMedication(r, ref.Reference)
		if med == nil {
			if me, ok := resolve(ref, "Medication"); ok {
				med = &me.r
			}
		}
		if med == nil {
			msgs = append(msgs, fmt.Sprintf("medicationReference %q is not a Medication in this bundle", ref.Reference))
		} else {
			cc = med.codeOf()
		}
	}
	if cc != nil {
		m.Drug = cc.Text
		for _, c := range cc.Coding {
			if dmdSystems[c.System] && m.DMDCode == "" && digits(c.Code) {
				m.DMDCode = c.Code
				if m.Drug == "" {
					m.Drug = c.Display
				}
			}
		}
		if m.Drug == "" && len(cc.Coding) > 0 {
			m.Drug = cc.Coding[0].Display
		}
	}
	if m.Drug == "" && len(msgs) == 0 {
		msgs = append(msgs, "has no medicine: no medicationCodeableConcept or Medication with text or a dm+d display")
	}
	m.Controlled = controlled(r.Extension) || (med != nil && controlled(med.Extension))

	var ds []fhirDosage
	if r.ResourceType == "MedicationStatement" {
		if len(r.Dosage) > 0 && json.Unmarshal(r.Dosage, &ds) != nil {
			return m, append(msgs, "dosage is not a list of Dosage"), notes
		}
	} else {
		ds = r.DosageInstruction
	}
	if len(ds) == 0 {
		return m, append(msgs, "has no dosage"), notes
	}
	d := ds[0]
	if d.Text != "" {
		text = append(text, d.Text)
	}
	if len(ds) > 1 {
		notes = append(notes, fmt.Sprintf("has %d dosage instructions: only the first is structured, the others are kept as text", len(ds)))
		for _, o := range ds[1:] {
			if o.Text != "" {
				text = append(text, o.Text)
			}
		}
	}
	quote := ""
	if d.Text != "" {
		quote = fmt.Sprintf(" (the dosage text is %q)", d.Text)
	}
	if d.Route != nil {
		m.Route = d.Route.Text
		for _, c := range d.Route.Coding {
			if m.Route == "" {
				m.Route = c.Display
			}
		}
	}
	switch {
	case len(d.DoseAndRate) > 0 && d.DoseAndRate[0].DoseQuantity != nil && d.DoseAndRate[0].DoseQuantity.Value != nil:
		dq := d.DoseAndRate[0].DoseQuantity
		q, err := forms.ParseQuantity(dq.Value.String())
		if err != nil || q <= 0 {
			msgs = append(msgs, fmt.Sprintf("dose %s is not a positive number with at most three decimals", dq.Value))
		}
		m.Dose, m.DoseUnit = q, dq.Unit
		if m.DoseUnit == "" {
			m.DoseUnit = dq.Code
		}
	case len(d.DoseAndRate) > 0 && d.DoseAndRate[0].DoseRange != nil:
		msgs = append(msgs, "has a dose range, not one dose: Lifeboat needs the dose prescribed"+quote)
	default:
		msgs = append(msgs, "has no doseQuantity"+quote)
	}
	m.PRN = d.AsNeededBoolean || d.AsNeededCodeableConcept != nil
	if cc := d.AsNeededCodeableConcept; cc != nil {
		if why := codeText(cc); why != "" && !strings.Contains(strings.ToLower(d.Text), strings.ToLower(why)) {
			text = append(text, "when required for "+why)
		}
	}
	tm, count := m.readTiming(d, quote)
	msgs = append(msgs, tm...)
	if count != "" && m.PRN {
		text = append(text, count+" (from the core system; not checked)")
		notes = append(notes, "allows "+count+" when required: kept as text in its notes, not checked")
	}
	if mx := d.MaxDosePerPeriod; mx != nil {
		n, note := m.readMaxDose(mx.Numerator, mx.Denominator)
		if note != "" {
			notes = append(notes, note)
			text = append(text, n)
		}
	}

	// Start and stop.
	var start, end time.Time
	var bad []string
	if d.Timing != nil && d.Timing.Repeat != nil && d.Timing.Repeat.BoundsPeriod != nil {
		bp := d.Timing.Repeat.BoundsPeriod
		start, bad = fhirDate(bp.Start, "boundsPeriod.start", bad)
		end, bad = fhirDate(bp.End, "boundsPeriod.end", bad)
	}
	if start.IsZero() {
		start, bad = fhirDate(r.AuthoredOn, "authoredOn", bad)
	}
	msgs = append(msgs, bad...)
	if !start.IsZero() && !start.After(asOf) {
		m.Start = start
	}
	switch r.Status {
	case "on-hold":
		text = append(text, "On hold in the core system at the census.")
		notes = append(notes, "is on hold in the core system: imported as an order, with that in its notes")
	case "stopped", "completed":
		m.Stop = asOf
		if !end.IsZero() && end.Before(asOf) {
			m.Stop = end
		}
	}
	if m.Stop.IsZero() && !end.IsZero() {
		m.Stop = end
	}
	m.Notes = strings.Join(text, "; ")
	for _, msg := range checkMedicine(m) {
		if !strings.Contains(msg, "(drug)") && !strings.Contains(msg, "(frequency)") && !strings.Contains(msg, "(dose)") {
			msgs = append(msgs, msg)
		}
	}
	return m, msgs, notes
}

// readTiming sets m's frequency, times or PRN interval from a dosage's
// timing: its code (GTS abbreviation or Lifeboat code), else its repeat
// (frequency per period, timeOfDay). count is a PRN limit of more than one
// dose a period ("at most 2 doses every 1 d"), which sets no interval and
// is kept as text.
func (m *CensusMedicine) readTiming(d fhirDosage, quote string) (msgs []string, count string) {
	code := ""
	var rep *fhirRepeat
	if d.Timing != nil {
		rep = d.Timing.Repeat
		if d.Timing.Code != nil {
			code = strings.ToUpper(strings.TrimSpace(d.Timing.Code.Text))
			for _, c := range d.Timing.Code.Coding {
				if _, ok := gtsFrequencies[code]; !ok && gtsIntervals[code] == 0 {
					code = strings.ToUpper(c.Code)
				}
			}
		}
	}
	freq, hasCode := gtsFrequencies[code]
	every := float64(gtsIntervals[code]) // hours between doses, from the code
	var perDay float64                   // regular doses a day, from repeat
	if rep != nil {
		for _, t := range rep.TimeOfDay {
			if len(t) >= 5 {
				t = t[:5]
			}
			m.Times = append(m.Times, t)
		}
		if rep.Period != nil {
			p, err := rep.Period.Float64()
			h, ok := periodHours[rep.PeriodUnit]
			n := 1
			if rep.Frequency != nil {
				n = *rep.Frequency
			}
			switch {
			case err != nil || p <= 0 || n <= 0:
				return []string{fmt.Sprintf("timing.repeat period %s or frequency is not a positive number", rep.Period)}, ""
			case !ok:
				return []string{fmt.Sprintf("timing.repeat periodUnit %q is not h, d or wk%s", rep.PeriodUnit, quote)}, ""
			}
			if n == 1 && every == 0 {
				every = p * h
			} else if n > 1 {
				count = fmt.Sprintf("at most %d doses every %s %s", n, rep.Period, rep.PeriodUnit)
			}
			perDay = float64(n) * 24 / (p * h)
		}
	}
	if m.PRN {
		m.Times = nil
		if every > 0 {
			q, err := forms.ParseQuantity(fmt.Sprint(every))
			if err != nil {
				return []string{fmt.Sprintf("the interval of %g hours is not a number of hours Lifeboat can hold", every)}, ""
			}
			m.MinIntervalHours = q
		}
		return nil, count
	}
	switch {
	case freq == "PRN":
		m.PRN = true
		return nil, count
	case len(m.Times) > 0:
		if hasCode && freq != "" {
			return []string{fmt.Sprintf("timing gives both code %s and timeOfDay", code)}, ""
		}
		if perDay > 0 && perDay != float64(len(m.Times)) {
			return []string{fmt.Sprintf("timing says %g doses a day but lists %d times of day", perDay, len(m.Times))}, ""
		}
		return nil, count
	case hasCode:
		m.Frequency = freq
		return nil, count
	case perDay == 1.0/7:
		m.Frequency = forms.FreqWeekly
		return nil, count
	case perDay == math.Trunc(perDay) && dosesPerDay[int64(perDay)] != "":
		m.Frequency = dosesPerDay[int64(perDay)]
		return nil, count
	case perDay > 0:
		return []string{fmt.Sprintf("timing of %g doses a day has no ward round in Lifeboat (OD, BD, TDS, QDS, WEEKLY): the core system must give timeOfDay%s", perDay, quote)}, ""
	case every > 0:
		return []string{fmt.Sprintf("timing every %g hours has no ward round in Lifeboat (OD, BD, TDS, QDS, WEEKLY): the core system must give timeOfDay%s", every, quote)}, ""
	case code != "":
		return []string{fmt.Sprintf("timing code %q is not one Lifeboat knows (QD, BID, TID, QID, AM, HS, WK or OD, MANE, ON, BD, TDS, QDS, WEEKLY)%s", code, quote)}, ""
	}
	return []string{"has no timing (code, repeat or timeOfDay) and is not as needed" + quote}, ""
}

// readMaxDose sets m's 24-hour maximum from maxDosePerPeriod. The
// numerator is converted to the dose unit when both are mass units and
// the conversion is exact ("4 g" becomes 4000 mg for a dose in mg). A
// period other than 24 hours is not scaled (a limit per 4 hours is not a
// limit per day, nor the other way round): it comes back as text for the
// order's notes and a note for the import summary.
func (m *CensusMedicine) readMaxDose(num, den *fhirQuantity) (text, note string) {
	if num == nil || num.Value == nil || den == nil {
		return "", ""
	}
	unit := num.Unit
	if unit == "" {
		unit = num.Code
	}
	dv := "1"
	if den.Value != nil {
		dv = den.Value.String()
	}
	du := den.Code
	if du == "" {
		du = den.Unit
	}
	text = fmt.Sprintf("maximum %s %s per %s %s", num.Value, unit, dv, du)
	q, err := forms.ParseQuantity(num.Value.String())
	dp, derr := den.Value.Float64()
	if den.Value == nil {
		dp, derr = 1, nil
	}
	h, ok := periodHours[du]
	switch {
	case err != nil || q <= 0:
		return text, fmt.Sprintf("maxDosePerPeriod %s is not a positive number with at most three decimals: kept as text", num.Value)
	case derr != nil || !ok || dp*h != 24:
		return text + " (from the core system; Lifeboat checks only a 24-hour maximum)",
			fmt.Sprintf("has a maximum of %s %s per %s %s, not per 24 hours: kept as text in its notes, not checked", num.Value, unit, dv, du)
	}
	if c, ok := convertMass(q, unit, m.DoseUnit); ok {
		q, unit = c, m.DoseUnit
	}
	m.MaxDailyDose, m.MaxDailyDoseUnit = q, unit
	return "", ""
}

// massMicrograms is a mass unit in micrograms.
var massMicrograms = map[string]int64{"g": 1e6, "gram": 1e6, "grams": 1e6, "mg": 1e3, "milligram": 1e3, "milligrams": 1e3,
	"microgram": 1, "micrograms": 1, "mcg": 1, "ug": 1}

// convertMass converts q from one mass unit to another, if both are mass
// units and the result is exact to three decimals.
func convertMass(q forms.Quantity, from, to string) (forms.Quantity, bool) {
	f, ok1 := massMicrograms[strings.ToLower(from)]
	t, ok2 := massMicrograms[strings.ToLower(to)]
	if !ok1 || !ok2 || f == t {
		return q, false
	}
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(f)), big.NewInt(t))
	if !r.IsInt() || !r.Num().IsInt64() {
		return q, false
	}
	return forms.Quantity(r.Num().Int64()), true
}

// fhirDate reads a FHIR date or dateTime ("" is zero); a bad one adds a
// message to bad.
func fhirDate(s, field string, bad []string) (time.Time, []string) {
	if s == "" {
		return time.Time{}, bad
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), bad
		}
	}
	return time.Time{}, append(bad, fmt.Sprintf("%s %q is not a date or date and time", field, s))
}

// codeOf is a Medication's code.
func (r *fhirResource) codeOf() *fhirCodeable {
	if r.MedicationCodeableConcept != nil {
		return r.MedicationCodeableConcept
	}
	return r.medCode
}

// containedMedication finds "#id" among r's contained resources.
func containedMedication(r fhirResource, ref string) *fhirResource {
	id, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	for _, raw := range r.Contained {
		var c fhirResource
		if json.Unmarshal(raw, &c) == nil && c.ResourceType == "Medication" && c.ID == id {
			c.readMedication(raw)
			return &c
		}
	}
	return nil
}

// readMedication reads a Medication's code, which other resource types
// shape differently.
func (r *fhirResource) readMedication(raw json.RawMessage) {
	var m struct {
		Code *fhirCodeable `json:"code"`
	}
	if json.Unmarshal(raw, &m) == nil {
		r.medCode = m.Code
	}
}

// controlled reports whether extensions mark a controlled drug.
func controlled(exts []fhirExtension) bool {
	for _, x := range exts {
		u := strings.ToLower(x.URL)
		if x.URL != ControlledDrugURL && !strings.HasSuffix(u, "controlleddrug") && !strings.HasSuffix(u, "controlled-drug") {
			continue
		}
		switch {
		case x.ValueBoolean != nil:
			return *x.ValueBoolean
		case x.ValueCoding != nil:
			return x.ValueCoding.Code != "" && x.ValueCoding.Code != "0000"
		case x.ValueCodeableConcept != nil:
			for _, c := range x.ValueCodeableConcept.Coding {
				return c.Code != "" && c.Code != "0000"
			}
		}
	}
	return false
}

// codeText is a CodeableConcept's text, else its first display.
func codeText(cc *fhirCodeable) string {
	if cc == nil {
		return ""
	}
	if cc.Text != "" {
		return cc.Text
	}
	for _, c := range cc.Coding {
		if c.Display != "" {
			return c.Display
		}
	}
	return ""
}

// codeOfSystem is cc's first code of one of systems, or "".
func codeOfSystem(cc *fhirCodeable, systems map[string]bool) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if systems[c.System] && c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// fhirAllergy is the part of an AllergyIntolerance read.
type fhirAllergy struct {
	ClinicalStatus     *fhirCodeable `json:"clinicalStatus"`
	VerificationStatus *fhirCodeable `json:"verificationStatus"`
	Criticality        string        `json:"criticality"`
	Code               *fhirCodeable `json:"code"`
	Patient            *fhirRef      `json:"patient"`
	Reaction           []struct {
		Manifestation []fhirCodeable `json:"manifestation"`
		Severity      string         `json:"severity"`
	} `json:"reaction"`
	Note []struct {
		Text string `json:"text"`
	} `json:"note"`
}

var severityRank = map[string]int{forms.SeverityMild: 1, forms.SeverityModerate: 2, forms.SeveritySevere: 3}

// readAllergy adds an AllergyIntolerance to its patient: an allergy, or
// "no known allergies" for SNOMED 716186003 and 409137002. One entered in
// error or refuted is left out and listed.
func readAllergy(e censusEntry, c *Census, patientOf func(censusEntry, *fhirRef, string) (int, bool), bad, leave func(int, string, ...any)) {
	where := fmt.Sprintf("(AllergyIntolerance/%s)", e.r.ID)
	var a fhirAllergy
	if err := json.Unmarshal(e.raw, &a); err != nil {
		bad(e.n, "%s cannot be read: %v", where, err)
		return
	}
	i, ok := patientOf(e, a.Patient, "patient")
	if !ok {
		return
	}
	verification := firstCode(a.VerificationStatus)
	switch verification {
	case "entered-in-error", "refuted":
		leave(e.n, "%s %s not imported: its verification status is %s", where, codeText(a.Code), verification)
		return
	}
	code := codeOfSystem(a.Code, dmdSystems)
	if code == SnomedNoKnownAllergy || code == SnomedNoKnownDrugAllergy {
		p := &c.Patients[i]
		p.NoKnownAllergies = true
		if p.NoKnownNote == "" || code == SnomedNoKnownAllergy {
			p.NoKnownNote = codeText(a.Code)
		}
		return
	}
	ca := CensusAllergy{Line: e.n, Substance: codeText(a.Code), Code: code, Status: firstCode(a.ClinicalStatus)}
	if ca.Status == "" {
		ca.Status = forms.AllergyActive // FHIR: absent only when entered in error
	}
	var reactions, notes []string
	for _, r := range a.Reaction {
		for _, mf := range r.Manifestation {
			if t := codeText(&mf); t != "" && !slices.Contains(reactions, t) {
				reactions = append(reactions, t)
			}
		}
		if severityRank[r.Severity] > severityRank[ca.Severity] {
			ca.Severity = r.Severity
		} else if _, ok := severityRank[r.Severity]; !ok && r.Severity != "" {
			bad(e.n, "%s reaction severity %q is not mild, moderate or severe", where, r.Severity)
		}
	}
	ca.Reaction = strings.Join(reactions, ", ")
	if a.Criticality == "high" {
		notes = append(notes, "High criticality.")
	}
	if verification == "unconfirmed" || verification == "presumed" {
		notes = append(notes, "Verification: "+verification+".")
	}
	for _, n := range a.Note {
		if n.Text != "" {
			notes = append(notes, n.Text)
		}
	}
	ca.Note = strings.Join(notes, " ")
	for _, msg := range checkAllergy(ca) {
		bad(e.n, "%s %s", where, msg)
	}
	c.Patients[i].Allergies = append(c.Patients[i].Allergies, ca)
}

// settleNoneKnown leaves out "no known allergies" for a patient who also
// has allergies in the census: the allergies stand.
func settleNoneKnown(c *Census, leave func(int, string, ...any)) {
	for i := range c.Patients {
		p := &c.Patients[i]
		if p.NoKnownAllergies && len(p.Allergies) > 0 {
			leave(p.Line, "(Patient) %s: %q not imported, the census also lists allergies for them", forms.FormatNHSNumber(p.NHSNumber), p.NoKnownNote)
			p.NoKnownAllergies, p.NoKnownNote = false, ""
		}
	}
}

// firstCode is cc's first coding's code.
func firstCode(cc *fhirCodeable) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		return c.Code
	}
	return ""
}

// weightCodes are the LOINC and SNOMED CT codes of a body weight.
var weightCodes = map[string]bool{"http://loinc.org|29463-7": true, "http://loinc.org|3141-9": true, "http://snomed.info/sct|27113001": true}

// fhirObservation is the part of an Observation read.
type fhirObservation struct {
	Status            string        `json:"status"`
	Code              *fhirCodeable `json:"code"`
	Subject           *fhirRef      `json:"subject"`
	EffectiveDateTime string        `json:"effectiveDateTime"`
	ValueQuantity     *fhirQuantity `json:"valueQuantity"`
}

// kgPer is a UCUM mass unit in kilograms.
var kgPer = map[string]float64{"kg": 1, "g": 0.001, "[lb_av]": 0.45359237}

// readWeight adds a body-weight Observation to its patient. Other
// Observations are ignored.
func readWeight(e censusEntry, c *Census, asOf time.Time, patientOf func(censusEntry, *fhirRef, string) (int, bool), bad, leave func(int, string, ...any)) {
	var o fhirObservation
	if err := json.Unmarshal(e.raw, &o); err != nil {
		return // not an Observation Lifeboat reads
	}
	weight := false
	if o.Code != nil {
		for _, cd := range o.Code.Coding {
			weight = weight || weightCodes[cd.System+"|"+cd.Code]
		}
	}
	if !weight {
		return
	}
	where := fmt.Sprintf("(Observation/%s)", e.r.ID)
	i, ok := patientOf(e, o.Subject, "subject")
	if !ok {
		return
	}
	switch o.Status {
	case "final", "amended", "corrected", "preliminary":
	default:
		leave(e.n, "%s body weight not imported: its status is %q", where, o.Status)
		return
	}
	q := o.ValueQuantity
	if q == nil || q.Value == nil {
		leave(e.n, "%s body weight not imported: it has no valueQuantity", where)
		return
	}
	f, ok := kgPer[q.Code]
	if !ok {
		bad(e.n, "%s body weight unit %q is not kg, g or [lb_av]", where, q.Code)
		return
	}
	v, err := q.Value.Float64() // not big.Rat: "1e999999999" would take forever
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		bad(e.n, "%s body weight %s is not a number", where, q.Value)
		return
	}
	kg := v * f
	w := CensusWeight{Line: e.n, Kg: forms.Quantity(math.Round(kg * forms.QuantityScale))}
	if kg > MaxWeightKg || kg < 0 {
		w.Kg = forms.Units(MaxWeightKg + 1)
	}
	if msg := checkWeight(w); msg != "" {
		bad(e.n, "%s %s", where, msg)
		return
	}
	var msgs []string
	w.MeasuredAt, msgs = fhirDate(o.EffectiveDateTime, "effectiveDateTime", nil)
	for _, m := range msgs {
		bad(e.n, "%s %s", where, m)
	}
	if w.MeasuredAt.After(asOf) {
		leave(e.n, "%s body weight not imported: it was measured at %s, after the census time", where, w.MeasuredAt.Format(time.RFC3339))
		return
	}
	c.Patients[i].Weights = append(c.Patients[i].Weights, w)
}
