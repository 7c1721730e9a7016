package forms

import (
	"fmt"
	"strings"
	"time"
)

// KindFormSubmitted is the event kind of a completed custom form.
const KindFormSubmitted = "form.submitted" // payload FormSubmission

// FormSubmission is the payload of form.submitted: the answers given on
// one version of a form. Version pins the definition the answers were
// entered on, so they keep their meaning after the form changes. Values
// holds each answered field by ID (see FieldType for the value types);
// computed fields are not stored but worked out again with Compute.
type FormSubmission struct {
	FormID    string         `json:"form_id"`
	Version   int            `json:"version"`
	PatientID string         `json:"patient_id,omitempty"` // empty for forms not about one patient
	Values    map[string]any `json:"values"`
}

// ValidateSubmission checks a submission against the version of its form
// held in r, returning every problem at once (see Validate). An unknown
// form or version is a hard problem.
func (r *Registry) ValidateSubmission(s FormSubmission, now time.Time) Problems {
	d, err := r.Lookup(s.FormID, s.Version)
	if err != nil {
		return Problems{{Field: "form_id", Message: fmt.Sprintf("Form %s version %d is not on this device", s.FormID, s.Version)}}
	}
	return Validate(d, s.Values, now)
}

// NewSubmission starts a submission on d for a patient, keeping only the
// values of visible, non-computed fields (answers to questions that a
// later answer hid are dropped, so they are never recorded by accident)
// and trimming text. It does not validate; call Validate first.
func NewSubmission(d *Definition, patientID string, values map[string]any) FormSubmission {
	vis := d.Visible(values)
	kept := make(map[string]any, len(values))
	for k, v := range values {
		f, ok := d.Field(k)
		if !ok || !vis[k] || f.Type == FieldComputed || isEmpty(v) {
			continue
		}
		if s, isStr := v.(string); isStr {
			v = strings.TrimSpace(s)
			// NHS numbers are typed with spaces or dashes and kept as
			// digits (one that does not parse is kept as typed, for
			// validation to refuse).
			if digits, err := ParseNHSNumber(s); f.Type == FieldNHSNumber && err == nil {
				v = digits
			}
		}
		kept[k] = v
	}
	return FormSubmission{FormID: d.ID, Version: d.Version, PatientID: patientID, Values: kept}
}
