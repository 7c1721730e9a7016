package forms

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outcome is what happened at a dose.
type Outcome string

// Dose outcomes. Omitted and held need a reason code; refused implies the
// patient refused.
const (
	OutcomeGiven   Outcome = "given"
	OutcomeOmitted Outcome = "omitted"
	OutcomeRefused Outcome = "refused"
	OutcomeHeld    Outcome = "held" // withheld on purpose for a clinical reason
)

// OmissionReason is a short standard code for why a dose was not given, as
// printed on the back of NHS paper drug charts.
type OmissionReason string

// The omission codes, with plain labels from OmissionReason.Label. Other
// needs a note.
const (
	ReasonRefused     OmissionReason = "refused" // patient refused
	ReasonNilByMouth  OmissionReason = "nil_by_mouth"
	ReasonAway        OmissionReason = "away"        // patient away from ward
	ReasonUnavailable OmissionReason = "unavailable" // drug unavailable
	ReasonClinical    OmissionReason = "clinical"    // clinical reason / held on advice
	ReasonUnable      OmissionReason = "unable"      // patient unable to take or swallow
	ReasonVomiting    OmissionReason = "vomiting"
	ReasonNoAccess    OmissionReason = "no_access" // no IV or other access
	ReasonOther       OmissionReason = "other"     // see note
)

// OmissionReasons lists the codes in display order.
var OmissionReasons = []OmissionReason{
	ReasonRefused, ReasonNilByMouth, ReasonAway, ReasonUnavailable, ReasonClinical,
	ReasonUnable, ReasonVomiting, ReasonNoAccess, ReasonOther,
}

// Label is the code in plain words for the screen and the printed MAR.
func (r OmissionReason) Label() string {
	switch r {
	case ReasonRefused:
		return "Patient refused"
	case ReasonNilByMouth:
		return "Nil by mouth"
	case ReasonAway:
		return "Patient away from ward"
	case ReasonUnavailable:
		return "Drug unavailable"
	case ReasonClinical:
		return "Clinical reason / held"
	case ReasonUnable:
		return "Patient unable to take"
	case ReasonVomiting:
		return "Patient vomiting"
	case ReasonNoAccess:
		return "No access (IV or other)"
	case ReasonOther:
		return "Other (see note)"
	}
	return fmt.Sprintf("unknown reason %q", string(r))
}

// Administration is the payload of med.administered: what happened at one
// dose. Slot is the scheduled instant (SlotTime) of a regular dose, empty
// for a PRN dose. The time the dose was given is the event's performed_at
// and the person the event's author.
type Administration struct {
	OrderID    string         `json:"order_id"`
	PatientID  string         `json:"patient_id"`
	Slot       string         `json:"slot,omitempty"`
	Outcome    Outcome        `json:"outcome"`
	ReasonCode OmissionReason `json:"reason_code,omitempty"`
	Dose       Quantity       `json:"dose,omitzero"` // dose given, in the order's unit
	Witness    string         `json:"witness,omitempty"`
	Note       string         `json:"note,omitempty"`
	// Overrides records each warning the person giving the dose saw and
	// went past, with their reason (an allergy, a PRN limit): shown on the
	// MAR and the back-entry worklist, exported with the dose.
	Overrides []DoseOverride `json:"overrides,omitempty"`
}

// DoseOverride is one DoseWarning a person went past on purpose: its Code
// and their Reason in their own words.
type DoseOverride struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// SlotKey is the identity of the dose a recorded: the same string as
// Slot.Key for a scheduled dose, empty for a PRN dose or an unreadable slot.
func (a Administration) SlotKey() string {
	t, err := time.Parse(time.RFC3339, a.Slot)
	if a.Slot == "" || err != nil {
		return ""
	}
	return a.OrderID + "@" + SlotTime(t)
}

// Validate lists what is wrong with a on its own. ValidateFor also checks it
// against its order.
func (a Administration) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(a.OrderID) == "" {
		hard("order_id", "choose the medicine")
	}
	if strings.TrimSpace(a.PatientID) == "" {
		hard("patient_id", "choose the patient")
	}
	if a.Slot != "" {
		if _, err := time.Parse(time.RFC3339, a.Slot); err != nil {
			hard("slot", "scheduled time is not readable")
		}
	}
	switch a.Outcome {
	case OutcomeGiven:
		if a.Dose <= 0 {
			hard("dose", "enter the dose given")
		}
		if a.ReasonCode != "" {
			hard("reason_code", "a dose given has no omission reason")
		}
	case OutcomeOmitted, OutcomeHeld:
		if a.ReasonCode == "" {
			hard("reason_code", "choose the reason the dose was not given")
		}
	case OutcomeRefused:
		if a.ReasonCode != "" && a.ReasonCode != ReasonRefused {
			hard("reason_code", "a refused dose has the reason patient refused")
		}
	case "":
		hard("outcome", "choose given, omitted, refused or held")
	default:
		hard("outcome", fmt.Sprintf("unknown outcome %q", string(a.Outcome)))
	}
	if a.ReasonCode != "" && !slices.Contains(OmissionReasons, a.ReasonCode) {
		hard("reason_code", fmt.Sprintf("unknown reason %q", string(a.ReasonCode)))
	}
	if a.ReasonCode == ReasonOther && strings.TrimSpace(a.Note) == "" {
		hard("note", "say why in the note")
	}
	if (a.Outcome == OutcomeOmitted || a.Outcome == OutcomeRefused || a.Outcome == OutcomeHeld) && a.Dose != 0 {
		hard("dose", "only a dose given has a dose")
	}
	return ps
}

// ValidateFor is Validate plus checks against o, the order a records: same
// order and patient, a slot for a regular dose and none for a PRN dose, a
// witness for a controlled drug given, and a soft problem when the dose
// given differs from the dose prescribed.
func (a Administration) ValidateFor(o MedicationOrder) Problems {
	ps := a.Validate()
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if a.OrderID != o.ID {
		hard("order_id", "recorded against a different medicine")
	}
	if a.PatientID != o.PatientID {
		hard("patient_id", "the medicine is prescribed for a different patient")
	}
	switch {
	case o.PRN && a.Slot != "":
		hard("slot", "a when-required dose has no scheduled time")
	case !o.PRN && a.Slot == "":
		hard("slot", "choose the scheduled dose time")
	}
	if a.Outcome == OutcomeGiven {
		if o.Controlled && strings.TrimSpace(a.Witness) == "" {
			hard("witness", "a controlled drug needs a witness")
		}
		if a.Dose > 0 && a.Dose != o.Dose {
			ps = append(ps, Problem{Field: "dose", Soft: true,
				Message: fmt.Sprintf("dose given (%s %s) differs from the dose prescribed (%s %s)", a.Dose, o.DoseUnit, o.Dose, o.DoseUnit)})
		}
	}
	return ps
}

// DuplicateSlot reports whether the dose a is about to record is already
// recorded as given in existing (same order and slot), returning that
// record. Call it BEFORE saving a, whatever a's outcome, and warn: the dose
// may already have been given on another device. A PRN dose has no slot and
// is never a duplicate here (CheckPRN guards PRN doses).
func DuplicateSlot(existing []Administration, a Administration) (Administration, bool) {
	k := a.SlotKey()
	if k == "" {
		return Administration{}, false
	}
	for _, e := range existing {
		if e.Outcome == OutcomeGiven && e.SlotKey() == k {
			return e, true
		}
	}
	return Administration{}, false
}

// AdminRecord is a recorded Administration with what the rules need from
// its event envelope. Records cancelled by a record.entered_in_error event
// must be left out by the caller.
type AdminRecord struct {
	Administration
	EventID     string
	Ref         EventRef      // device and seq of the event
	Seen        VersionVector // the recording device's version vector at the time
	PerformedAt time.Time     // when the dose was given (or not)
	Author      string
}

// DoseConflict reports whether a and b are two records of one scheduled
// dose (same order and slot) made while their devices were apart
// (Concurrent): whatever their outcomes, that is a clinical conflict to
// raise on every device for a person to resolve with a new event. Records
// made knowing of each other are not a conflict: the second was recorded
// after the DuplicateSlot warning.
func DoseConflict(a, b AdminRecord) bool {
	k := a.SlotKey()
	if k == "" || k != b.SlotKey() || (a.EventID != "" && a.EventID == b.EventID) {
		return false
	}
	return Concurrent(a.Ref, a.Seen, b.Ref, b.Seen)
}

// DoseClash is a pair of conflicting records of one scheduled dose.
type DoseClash struct {
	SlotKey    string
	A, B       AdminRecord
	DoubleDose bool // both recorded as given: the patient may have had the dose twice
}

// DoseConflicts returns every conflicting pair (DoseConflict) in records,
// grouped by slot and in the order the records were given.
func DoseConflicts(records []AdminRecord) []DoseClash {
	bySlot := map[string][]int{}
	var keys []string
	for i, r := range records {
		k := r.SlotKey()
		if k == "" {
			continue
		}
		if _, ok := bySlot[k]; !ok {
			keys = append(keys, k)
		}
		bySlot[k] = append(bySlot[k], i)
	}
	var out []DoseClash
	for _, k := range keys {
		idx := bySlot[k]
		for x := 0; x < len(idx); x++ {
			for y := x + 1; y < len(idx); y++ {
				a, b := records[idx[x]], records[idx[y]]
				if DoseConflict(a, b) {
					out = append(out, DoseClash{SlotKey: k, A: a, B: b,
						DoubleDose: a.Outcome == OutcomeGiven && b.Outcome == OutcomeGiven})
				}
			}
		}
	}
	return out
}

// PRNDose is one dose already given, for CheckPRN: when, and how much in
// the order's dose unit.
type PRNDose struct {
	At   time.Time
	Dose Quantity
}

// DoseWarning is a reason to stop and check before giving a dose. Code is
// stable for tests and the UI; Message is plain words.
type DoseWarning struct {
	Code    string
	Message string
}

// DoseWarning codes.
const (
	WarnTooSoon      = "too_soon"        // within the minimum interval of another dose
	WarnOverDailyMax = "over_daily_max"  // would exceed the maximum in 24 hours
	WarnUnitMismatch = "unit_mismatch"   // the maximum cannot be checked: units differ
	WarnAllergy      = "allergy"         // the medicine matches a recorded allergy
	WarnDuplicate    = "duplicate_order" // another active order of the same medicine
)

// CheckPRN warns before a when-required dose of o (dose; zero means o.Dose)
// is given at at. previous holds doses of the same medicine already given:
// the caller should include doses of the same drug from the patient's other
// orders (GivenDoses), as a regular and a PRN order of paracetamol share one
// daily maximum.
//
// Minimum interval: any previous dose less than MinIntervalHours before or
// after at (a dose exactly MinIntervalHours apart is allowed). Daily
// maximum: the total in any 24-hour window [s, s+24h) that contains at,
// including this dose, must not exceed MaxDailyDose (reaching it exactly is
// allowed). When MaxDailyDoseUnit differs from DoseUnit the maximum cannot
// be checked, and that is itself a warning. A non-PRN order gets no
// warnings here (DuplicateSlot guards scheduled doses).
func CheckPRN(o MedicationOrder, previous []PRNDose, dose Quantity, at time.Time) []DoseWarning {
	if !o.PRN {
		return nil
	}
	if dose == 0 {
		dose = o.Dose
	}
	var ws []DoseWarning
	if o.MinIntervalHours > 0 {
		gap := time.Duration(int64(o.MinIntervalHours) * int64(time.Hour) / QuantityScale)
		var nearest *PRNDose
		for i, p := range previous {
			d := at.Sub(p.At).Abs()
			if d < gap && (nearest == nil || d < at.Sub(nearest.At).Abs()) {
				nearest = &previous[i]
			}
		}
		if nearest != nil {
			ws = append(ws, DoseWarning{Code: WarnTooSoon, Message: fmt.Sprintf(
				"a dose was given at %s, less than %s hours from %s",
				nearest.At.In(at.Location()).Format("15:04 on 02-Jan"), o.MinIntervalHours, at.Format("15:04 on 02-Jan"))})
		}
	}
	if o.MaxDailyDose > 0 {
		if o.MaxDailyDoseUnit != o.DoseUnit {
			ws = append(ws, DoseWarning{Code: WarnUnitMismatch, Message: fmt.Sprintf(
				"the maximum daily dose is in %s but the dose is in %s: check the 24-hour total by hand",
				o.MaxDailyDoseUnit, o.DoseUnit)})
		} else if total := maxWindowTotal(previous, dose, at); total > o.MaxDailyDose {
			ws = append(ws, DoseWarning{Code: WarnOverDailyMax, Message: fmt.Sprintf(
				"this dose would make %s %s in 24 hours; the maximum is %s %s",
				total, o.DoseUnit, o.MaxDailyDose, o.MaxDailyDoseUnit)})
		}
	}
	return ws
}

// maxWindowTotal is the largest total of doses in any window [s, s+24h)
// that contains at, counting dose at at. A window [s, s+24h) gains doses on
// the right as s grows and loses one on the left only when s passes it, so
// the maximum is reached with s at at itself or at a dose time in
// (at-24h, at]: only those starts are tried.
func maxWindowTotal(previous []PRNDose, dose Quantity, at time.Time) Quantity {
	const day = 24 * time.Hour
	starts := []time.Time{at}
	for _, p := range previous {
		if p.At.After(at.Add(-day)) && !p.At.After(at) {
			starts = append(starts, p.At)
		}
	}
	var best Quantity
	for _, s := range starts {
		end := s.Add(day)
		total := dose
		for _, p := range previous {
			if !p.At.Before(s) && p.At.Before(end) {
				if t, err := total.Add(p.Dose); err == nil {
					total = t
				} else {
					total = MaxQuantity
				}
			}
		}
		best = max(best, total)
	}
	return best
}

// GivenDoses collects, for CheckPRN, the doses given of the same medicine
// as o across all of a patient's orders: same dm+d code or same drug name
// (case and spacing ignored; a tablet and a liquid of one drug have
// different codes but share a daily maximum), and the same dose unit.
// Records of other patients are ignored. Combination products (co-codamol
// holds paracetamol) are not matched: the prescriber's maximum and the
// nurse's check still apply.
func GivenDoses(o MedicationOrder, orders []MedicationOrder, records []AdminRecord) []PRNDose {
	same := map[string]Quantity{o.ID: o.Dose} // order ID -> its prescribed dose
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	for _, x := range orders {
		if x.PatientID != o.PatientID || x.DoseUnit != o.DoseUnit {
			continue
		}
		if (o.DMDCode != "" && x.DMDCode == o.DMDCode) || norm(x.Drug) == norm(o.Drug) {
			same[x.ID] = x.Dose
		}
	}
	var out []PRNDose
	for _, r := range records {
		prescribed, ok := same[r.OrderID]
		if r.PatientID == o.PatientID && r.Outcome == OutcomeGiven && ok {
			d := r.Dose
			if d == 0 {
				d = prescribed
			}
			out = append(out, PRNDose{At: r.PerformedAt, Dose: d})
		}
	}
	return out
}
