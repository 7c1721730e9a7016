package forms

import (
	"fmt"
	"strings"
	"time"
)

// Event kinds for medicines (the MAR).
const (
	KindMedOrdered      = "med.ordered"      // payload MedicationOrder; subject the patient
	KindMedStopped      = "med.stopped"      // payload MedicationStop; subject the patient
	KindMedAdministered = "med.administered" // payload Administration; subject the patient
)

// Where a medication order came from.
const (
	SourceSnapshot = "snapshot" // imported from the core system before downtime
	SourceEntered  = "entered"  // entered in Lifeboat during downtime
)

// Frequency codes. A regular order has one of these, or an explicit list of
// Times instead; the clock times each code means are in RoundTimes.
const (
	FreqOD     = "OD"     // once a day, morning
	FreqMANE   = "MANE"   // in the morning
	FreqON     = "ON"     // at night
	FreqBD     = "BD"     // twice a day
	FreqTDS    = "TDS"    // three times a day
	FreqQDS    = "QDS"    // four times a day
	FreqWeekly = "WEEKLY" // once a week, on the weekday of Start, at the OD time
)

// MedicationOrder is the payload of med.ordered: one prescribed medicine
// for one patient, from the core-system snapshot or entered during downtime.
// A changed order is a new order (new ID) and a stop of the old one, so the
// doses recorded against each stay attached to what was prescribed.
//
// A regular order has Frequency or Times; a PRN ("when required") order has
// neither fixed slot and is limited by MinIntervalHours and MaxDailyDose.
// Start and Stop are instants; Stop is exclusive and zero means no end.
type MedicationOrder struct {
	ID               string    `json:"id"`
	PatientID        string    `json:"patient_id"`
	Drug             string    `json:"drug"`
	DMDCode          string    `json:"dmd_code,omitempty"` // dm+d concept ID, when known
	Dose             Quantity  `json:"dose"`
	DoseUnit         string    `json:"dose_unit"` // mg, microgram, ml, tablet, ...
	Route            string    `json:"route"`     // oral, IV, SC, ...
	Frequency        string    `json:"frequency,omitempty"`
	Times            []string  `json:"times,omitempty"` // "HH:MM" ward-local, instead of Frequency
	PRN              bool      `json:"prn,omitempty"`
	MinIntervalHours Quantity  `json:"min_interval_hours,omitzero"` // PRN: shortest gap between doses
	MaxDailyDose     Quantity  `json:"max_daily_dose,omitzero"`     // PRN: most in any 24 hours
	MaxDailyDoseUnit string    `json:"max_daily_dose_unit,omitempty"`
	Controlled       bool      `json:"controlled,omitempty"` // controlled drug: each dose given needs a witness
	Start            time.Time `json:"start"`
	Stop             time.Time `json:"stop,omitzero"`
	Source           string    `json:"source"` // SourceSnapshot or SourceEntered
	Notes            string    `json:"notes,omitempty"`

	// CDProduct names the controlled-drugs register product a dose of a
	// Controlled order comes from (drug, form, strength), so giving it from
	// the MAR also writes the register line. Nil when not known: the dose
	// is then recorded on the MAR and the register by hand.
	CDProduct *CDProduct `json:"cd_product,omitempty"`
}

// MedicationStop is the payload of med.stopped: the order stops taking
// effect at Effective (zero means the event's performed_at). Doses already
// recorded stay on record.
type MedicationStop struct {
	OrderID   string    `json:"order_id"`
	PatientID string    `json:"patient_id"`
	Effective time.Time `json:"effective,omitzero"`
	Reason    string    `json:"reason,omitempty"`
}

// ApplyStop returns o with its Stop brought forward to when s takes effect
// (s.Effective, or performedAt if that is zero). A stop never extends an
// order that already ends earlier, and a stop for another order is ignored.
func ApplyStop(o MedicationOrder, s MedicationStop, performedAt time.Time) MedicationOrder {
	if s.OrderID != o.ID {
		return o
	}
	at := s.Effective
	if at.IsZero() {
		at = performedAt
	}
	if o.Stop.IsZero() || at.Before(o.Stop) {
		o.Stop = at
	}
	return o
}

// ActiveAt reports whether o is in force at t: Start <= t < Stop.
func (o MedicationOrder) ActiveAt(t time.Time) bool {
	return !t.Before(o.Start) && (o.Stop.IsZero() || t.Before(o.Stop))
}

// Validate lists what is wrong with o. Hard problems block saving; soft ones
// (a PRN order with no limits, a snapshot order with no dm+d code) are shown
// for the prescriber to confirm.
func (o MedicationOrder) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	soft := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg, Soft: true}) }
	req := func(field, v, msg string) {
		if strings.TrimSpace(v) == "" {
			hard(field, msg)
		}
	}
	req("id", o.ID, "order has no ID")
	req("patient_id", o.PatientID, "choose the patient")
	req("drug", o.Drug, "enter the medicine")
	if o.Dose <= 0 {
		hard("dose", "dose must be more than zero")
	}
	req("dose_unit", o.DoseUnit, "enter the dose unit")
	req("route", o.Route, "enter the route")
	if o.DMDCode != "" && !digitsOnly(o.DMDCode) {
		hard("dmd_code", "a dm+d code is digits only")
	}
	switch o.Source {
	case SourceSnapshot:
		if o.DMDCode == "" {
			soft("dmd_code", "imported order has no dm+d code")
		}
	case SourceEntered:
	default:
		hard("source", "source must be snapshot or entered")
	}
	if o.Start.IsZero() {
		hard("start", "enter when the order starts")
	}
	if !o.Stop.IsZero() && !o.Stop.After(o.Start) {
		hard("stop", "stop must be after start")
	}
	if o.Frequency != "" && len(o.Times) > 0 {
		hard("times", "give a frequency or times, not both")
	}
	if o.Frequency != "" {
		if _, ok := defaultRounds[o.Frequency]; !ok && o.Frequency != FreqWeekly {
			hard("frequency", fmt.Sprintf("unknown frequency %q (use OD, MANE, ON, BD, TDS, QDS, WEEKLY or times)", o.Frequency))
		}
	}
	seen := map[string]bool{}
	for i, s := range o.Times {
		if _, err := clockMinutes(s); err != nil {
			hard(fmt.Sprintf("times[%d]", i), fmt.Sprintf("time %q is not HH:MM", s))
		} else if seen[s] {
			hard(fmt.Sprintf("times[%d]", i), fmt.Sprintf("time %s is listed twice", s))
		}
		seen[s] = true
	}
	if o.MinIntervalHours < 0 {
		hard("min_interval_hours", "minimum interval cannot be negative")
	}
	if o.MaxDailyDose < 0 {
		hard("max_daily_dose", "maximum daily dose cannot be negative")
	}
	if o.MaxDailyDose > 0 && o.MaxDailyDoseUnit == "" {
		hard("max_daily_dose_unit", "enter the unit of the maximum daily dose")
	}
	if o.PRN {
		if o.MinIntervalHours == 0 && o.MaxDailyDose == 0 {
			soft("prn", "when-required order has no minimum interval or maximum daily dose")
		}
		if o.MaxDailyDose > 0 && o.MaxDailyDoseUnit != "" && o.DoseUnit != "" &&
			o.MaxDailyDoseUnit != o.DoseUnit {
			soft("max_daily_dose_unit", "maximum daily dose unit differs from the dose unit, so it cannot be checked")
		}
	} else if o.Frequency == "" && len(o.Times) == 0 {
		hard("frequency", "a regular order needs a frequency or times")
	}
	return ps
}

func digitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// clockMinutes reads "HH:MM" (24-hour, two digits each) as minutes after midnight.
func clockMinutes(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digitsOnly(s[:2]) || !digitsOnly(s[3:]) {
		return 0, fmt.Errorf("bad clock time %q", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("bad clock time %q", s)
	}
	return h*60 + m, nil
}
