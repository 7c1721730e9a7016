package forms

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"lifeboat"
)

// dateLayout is how dates are stored: YYYY-MM-DD.
const dateLayout = "2006-01-02"

// MaxPatientAgeYears is the oldest a recorded date of birth may make a patient.
const MaxPatientAgeYears = 130

// maxNameLen bounds a surname or first name, in characters.
const maxNameLen = 100

// ValidatePatient checks a patient's four core identifiers as entered and
// returns every problem at once. Surname and first name are required; the
// date of birth must be a real YYYY-MM-DD date, not after today (in now's
// location) and not more than MaxPatientAgeYears ago; an NHS number, when given,
// must pass its check digit; without one, a temporary downtime ID is
// required so the record can be matched up after recovery. A number in the
// test range is a soft problem (training data must never reach a live
// record). NHS numbers with spaces or dashes pass here; store the digits
// (see NormalizePatient).
func ValidatePatient(p Patient, now time.Time) Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	checkName := func(field, label, v string) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			hard(field, label+" is required")
		case len([]rune(v)) > maxNameLen:
			hard(field, fmt.Sprintf("%s must be at most %d characters", label, maxNameLen))
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			hard(field, label+" must not contain control characters")
		}
	}
	checkName("surname", "Surname", p.Surname)
	checkName("given", "First name", p.Given)

	if p.BirthDate == "" {
		hard("birth_date", "Date of birth is required")
	} else if msg := checkBirthDate(p.BirthDate, now); msg != "" {
		hard("birth_date", msg)
	}

	nhs := strings.TrimSpace(p.NHSNumber)
	switch {
	case nhs != "":
		d, err := ParseNHSNumber(nhs)
		if err != nil {
			hard("nhs_number", nhsMessage(err))
		} else if IsTestNHSNumber(d) {
			ps = append(ps, Problem{Field: "nhs_number", Soft: true,
				Message: fmt.Sprintf("NHS number %s is in the test range: use it only for training, check and confirm", FormatNHSNumber(d))})
		}
	case strings.TrimSpace(p.TempID) == "":
		hard("temp_id", "Enter the NHS number, or give the patient a temporary downtime ID")
	}
	if t := strings.TrimSpace(p.TempID); t != "" && !IsTempID(t) {
		hard("temp_id", fmt.Sprintf("Temporary ID %q must look like DT-<device>-<number>", t))
	}
	return ps
}

// nhsMessage turns a ParseNHSNumber error into the sentence shown to
// people, without the error-kind suffix.
func nhsMessage(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+lifeboat.ErrInvalid.Error())
}

// checkBirthDate returns a plain-words problem with a date of birth, or "".
func checkBirthDate(s string, now time.Time) string {
	dob, err := time.ParseInLocation(dateLayout, s, time.UTC)
	if err != nil {
		return fmt.Sprintf("Date of birth %q must be a real date written YYYY-MM-DD", s)
	}
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if dob.After(today) {
		return "Date of birth " + FormatBirthDate(s) + " is in the future"
	}
	if dob.Before(today.AddDate(-MaxPatientAgeYears, 0, 0)) {
		return fmt.Sprintf("Date of birth %s is more than %d years ago", FormatBirthDate(s), MaxPatientAgeYears)
	}
	return ""
}

// NormalizePatient returns p as it should be stored: names and IDs
// trimmed, the NHS number reduced to its 10 digits when it parses, and the
// temporary ID upper-cased. It does not validate; call ValidatePatient.
func NormalizePatient(p Patient) Patient {
	p.Surname = strings.TrimSpace(p.Surname)
	p.Given = strings.TrimSpace(p.Given)
	p.BirthDate = strings.TrimSpace(p.BirthDate)
	p.NHSNumber = strings.TrimSpace(p.NHSNumber)
	if d, err := ParseNHSNumber(p.NHSNumber); err == nil {
		p.NHSNumber = d
	}
	p.TempID = strings.ToUpper(strings.TrimSpace(p.TempID))
	return p
}

// FormatBirthDate writes a stored YYYY-MM-DD date as DD-Mmm-YYYY, the form
// printed beside the other core identifiers: "1957-03-04" becomes
// "04-Mar-1957". Anything that is not a valid date is returned unchanged,
// so a display never hides what was stored.
func FormatBirthDate(s string) string {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return s
	}
	return t.Format("02-Jan-2006")
}

// DisplayName is how a patient's name is shown and printed: the surname in
// capitals, a comma, then the first name as entered ("SMITH, Richard").
func DisplayName(p Patient) string {
	sur := strings.ToUpper(strings.TrimSpace(p.Surname))
	given := strings.TrimSpace(p.Given)
	switch {
	case sur == "":
		return given
	case given == "":
		return sur
	}
	return sur + ", " + given
}

// PatientIdentifier is the identifier shown with a patient's name: the NHS number
// in 3-3-4 form, or the temporary downtime ID when there is none.
func PatientIdentifier(p Patient) string {
	if p.NHSNumber != "" {
		if d, err := ParseNHSNumber(p.NHSNumber); err == nil {
			return FormatNHSNumber(d)
		}
		return p.NHSNumber
	}
	return p.TempID
}
