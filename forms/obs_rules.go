package forms

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ObsLimit is the range a vital sign is checked against. Outside Min..Max
// the reading is impossible and refused; outside SoftMin..SoftMax it is
// possible but unusual, and the person is asked to check and confirm.
type ObsLimit struct {
	Min, Max         float64
	SoftMin, SoftMax float64
}

// ObsLimitFor returns the range ValidateObservations checks a reading
// against, by its Observations JSON field name ("resp_rate", "spo2",
// "systolic", "diastolic", "pulse", "temp_c" in degrees Celsius,
// "o2_flow_lpm" in litres per minute), so screens can show the same range.
func ObsLimitFor(field string) (ObsLimit, bool) {
	for _, r := range obsReadings {
		if r.field == field {
			return r.ObsLimit, true
		}
	}
	return ObsLimit{}, false
}

// obsReading is one checked reading: its JSON field, its name and unit in
// words for messages, and its limits.
type obsReading struct {
	field, name, unit string
	ObsLimit
}

// Indexes into obsReadings. An array, not a map: validation runs for every
// set on the ward list and must stay cheap.
const (
	readRespRate = iota
	readSpO2
	readSystolic
	readDiastolic
	readPulse
	readTemp
	readO2Flow
)

var obsReadings = [...]obsReading{
	readRespRate:  {"resp_rate", "respiratory rate", "per minute", ObsLimit{Min: 0, Max: 80, SoftMin: 6, SoftMax: 40}},
	readSpO2:      {"spo2", "oxygen saturation", "%", ObsLimit{Min: 0, Max: 100, SoftMin: 70, SoftMax: 100}},
	readSystolic:  {"systolic", "systolic blood pressure", "mmHg", ObsLimit{Min: 0, Max: 300, SoftMin: 60, SoftMax: 250}},
	readDiastolic: {"diastolic", "diastolic blood pressure", "mmHg", ObsLimit{Min: 0, Max: 200, SoftMin: 30, SoftMax: 150}},
	readPulse:     {"pulse", "pulse", "per minute", ObsLimit{Min: 0, Max: 300, SoftMin: 30, SoftMax: 200}},
	readTemp:      {"temp_c", "temperature", "°C", ObsLimit{Min: 20, Max: 45, SoftMin: 34, SoftMax: 41}},
	readO2Flow:    {"o2_flow_lpm", "oxygen flow", "litres per minute", ObsLimit{Min: 0.1, Max: 70, SoftMin: 0.1, SoftMax: 15}},
}

// ValidateObservations checks one set of observations and returns every
// problem at once. Impossible readings (outside ObsLimitFor's Min..Max), an
// ACVPU value other than A, C, V, P or U, a diastolic pressure not below
// the systolic, oxygen flow or device without the patient on oxygen, an
// unknown SpO2 scale, a missing patient or an empty set are hard
// problems; unusual readings are soft problems to check and confirm.
// A set need not be complete to be valid: NEWS2 reports what is missing.
func ValidateObservations(o Observations) Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }

	if strings.TrimSpace(o.PatientID) == "" {
		hard("patient_id", "Choose the patient these observations are for")
	}
	empty := o.RespRate == nil && o.SpO2 == nil && o.OnOxygen == nil && o.Systolic == nil &&
		o.Diastolic == nil && o.Pulse == nil && o.Consciousness == "" && o.TempC == nil
	if empty {
		hard("", "Record at least one observation")
	}

	checkInt := func(r int, v *int) {
		if v != nil {
			ps = checkReading(ps, r, float64(*v), 0)
		}
	}
	checkInt(readRespRate, o.RespRate)
	checkInt(readSpO2, o.SpO2)
	checkInt(readSystolic, o.Systolic)
	checkInt(readDiastolic, o.Diastolic)
	checkInt(readPulse, o.Pulse)
	if o.Systolic != nil && o.Diastolic != nil && *o.Diastolic >= *o.Systolic {
		hard("diastolic", fmt.Sprintf("Diastolic pressure (%d mmHg) must be lower than systolic (%d mmHg)", *o.Diastolic, *o.Systolic))
	}
	if o.TempC != nil {
		if math.IsNaN(*o.TempC) || math.IsInf(*o.TempC, 0) {
			hard("temp_c", "Temperature must be a number")
		} else {
			ps = checkReading(ps, readTemp, *o.TempC, 1)
		}
	}

	onO2 := o.OnOxygen != nil && *o.OnOxygen
	if o.O2FlowLPM != nil {
		switch f := *o.O2FlowLPM; {
		case !onO2:
			hard("o2_flow_lpm", "Oxygen flow can only be recorded when the patient is on oxygen")
		case math.IsNaN(f) || math.IsInf(f, 0):
			hard("o2_flow_lpm", "Oxygen flow must be a number")
		default:
			ps = checkReading(ps, readO2Flow, f, -1)
		}
	}
	if strings.TrimSpace(o.O2Device) != "" && !onO2 {
		hard("o2_device", "An oxygen device can only be recorded when the patient is on oxygen")
	}

	if o.Consciousness != "" {
		if _, ok := scoreConsciousness(o.Consciousness); !ok {
			hard("consciousness", "Consciousness must be one of A (alert), C (new confusion), V (voice), P (pain) or U (unresponsive)")
		}
	}
	switch o.SpO2Scale {
	case 0, 1, 2:
	default:
		hard("spo2_scale", fmt.Sprintf("SpO2 scale must be 1 or 2, not %d", o.SpO2Scale))
	}
	return ps
}

// checkReading appends a hard problem for a reading outside its limits or
// a soft one for an unusual reading. decimals is how many places to show
// the reading with (-1: as many as it has); the message is only formatted
// when there is a problem, so a normal set allocates nothing.
func checkReading(ps Problems, reading int, v float64, decimals int) Problems {
	r := &obsReadings[reading]
	lim, names, field := r.ObsLimit, r, r.field
	switch {
	case v < lim.Min || v > lim.Max:
		return append(ps, Problem{Field: field, Message: fmt.Sprintf("%s must be between %s and %s%s",
			capitalize(names.name), fmtLimit(lim.Min), fmtLimit(lim.Max), unitSuffix(names.unit))})
	case v < lim.SoftMin || v > lim.SoftMax:
		return append(ps, Problem{Field: field, Soft: true, Message: fmt.Sprintf("%s %s of %s%s is unusual: check and confirm",
			article(names.name), names.name, strconv.FormatFloat(v, 'f', decimals, 64), unitSuffix(names.unit))})
	}
	return ps
}

// unitSuffix is a unit as written after a number: "%" directly, others
// after a space.
func unitSuffix(unit string) string {
	if unit == "%" {
		return unit
	}
	return " " + unit
}

func fmtLimit(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// capitalize upper-cases the first letter of an ASCII phrase.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// article is "An" before a vowel sound, else "A".
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "An"
	}
	return "A"
}
