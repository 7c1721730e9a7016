package forms

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FieldType is the kind of answer a form field takes.
type FieldType string

// The field types. The comment says what a value must be in the values
// map passed to Validate and Compute (after JSON decoding, numbers are
// float64 and lists are []any; both are accepted everywhere).
const (
	FieldText        FieldType = "text"        // string
	FieldNumber      FieldType = "number"      // number, or a string holding one
	FieldInteger     FieldType = "integer"     // whole number, or a string holding one
	FieldChoice      FieldType = "choice"      // string: one choice's value
	FieldMultiChoice FieldType = "multichoice" // []string: choice values, each at most once
	FieldDate        FieldType = "date"        // string YYYY-MM-DD
	FieldTime        FieldType = "time"        // string HH:MM, 24-hour clock
	FieldDateTime    FieldType = "datetime"    // string RFC 3339, or YYYY-MM-DDTHH:MM in now's location
	FieldYesNo       FieldType = "yesno"       // bool, or "yes"/"no"
	FieldNHSNumber   FieldType = "nhs_number"  // string; spaces and dashes allowed
	FieldPatient     FieldType = "patient"     // string: the patient's internal ID
	FieldPerson      FieldType = "person"      // string: the user ID of a witness or second checker
	FieldComputed    FieldType = "computed"    // worked out from Compute; any value given is ignored
)

// FieldTypes lists every field type.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldInteger, FieldChoice, FieldMultiChoice,
	FieldDate, FieldTime, FieldDateTime, FieldYesNo, FieldNHSNumber, FieldPatient, FieldPerson, FieldComputed}

// Known reports whether t is one of FieldTypes.
func (t FieldType) Known() bool {
	for _, k := range FieldTypes {
		if t == k {
			return true
		}
	}
	return false
}

// numeric reports whether a field of type t has a number range.
func (t FieldType) numeric() bool {
	return t == FieldNumber || t == FieldInteger || t == FieldComputed
}

// Field is one question on a form definition.
type Field struct {
	// ID names the field in values and expressions: letters, digits and
	// underscores, starting with a letter; unique within the form.
	ID string `json:"id"`
	// Label is the question as shown.
	Label string    `json:"label"`
	Type  FieldType `json:"type"`
	// Unit is shown after numbers ("ml", "kg").
	Unit string `json:"unit,omitempty"`
	// Min and Max bound a number (hard: outside is refused). SoftMin and
	// SoftMax bound the usual range (outside asks to check and confirm).
	// Only for number, integer and computed fields. Nil means unbounded.
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	SoftMin *float64 `json:"soft_min,omitempty"`
	SoftMax *float64 `json:"soft_max,omitempty"`
	// Choices are the options of a choice or multichoice field.
	Choices []Choice `json:"choices,omitempty"`
	// Required fields must be answered when visible.
	Required bool `json:"required,omitempty"`
	// NotFuture refuses a date or datetime after now (the time care was
	// given cannot be in the future).
	NotFuture bool `json:"not_future,omitempty"`
	// ShowIf shows the field only when another field has a given answer.
	// A hidden field is neither required nor checked, and its value is
	// ignored, including by computations.
	ShowIf *Condition `json:"show_if,omitempty"`
	// Compute is the expression of a computed field (see Expr).
	Compute string `json:"compute,omitempty"`
	// Help is a line of guidance shown with the field.
	Help string `json:"help,omitempty"`
}

// Choice is one option of a choice or multichoice field. In expressions a
// choice field stands for its chosen option's Score, or for its Value when
// that is a number; a multichoice field for the sum of its chosen Scores.
type Choice struct {
	Value string   `json:"value"`
	Label string   `json:"label"`
	Score *float64 `json:"score,omitempty"`
}

// Condition is a show_if rule: the field is shown when Field's answer
// equals Equals, or is one of In. For a multichoice field, when any chosen
// option matches; for a yes/no field, compare with true or false.
type Condition struct {
	Field  string `json:"field"`
	Equals any    `json:"equals,omitempty"`
	In     []any  `json:"in,omitempty"`
}

// matches reports whether v (a field's value) satisfies c.
func (c *Condition) matches(v any) bool {
	answers := answerKeys(v)
	for _, a := range answers {
		if c.Equals != nil && a == valueKey(c.Equals) {
			return true
		}
		for _, x := range c.In {
			if a == valueKey(x) {
				return true
			}
		}
	}
	return false
}

// answerKeys turns a value into comparable keys: one per chosen option of
// a list, else one.
func answerKeys(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		keys := make([]string, 0, len(x))
		for _, e := range x {
			keys = append(keys, valueKey(e))
		}
		return keys
	case []string:
		return x
	}
	return []string{valueKey(v)}
}

// valueKey is a canonical string for a scalar, so 2, 2.0 and "2" agree
// and "yes" agrees with true.
func valueKey(v any) string {
	switch x := v.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "true":
			return "true"
		case "no", "false":
			return "false"
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	if f, ok := toFloat(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// toFloat converts the number types a values map may hold.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// isEmpty reports whether v counts as not answered.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// numberValue reads a number field's value: a number or a string holding
// one. ok is false for anything else, including NaN and infinities.
func numberValue(v any) (float64, bool) {
	f, ok := toFloat(v)
	if s, isStr := v.(string); isStr {
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
		ok = err == nil
	}
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// yesNoValue reads a yes/no value.
func yesNoValue(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "true":
			return true, true
		case "no", "false":
			return false, true
		}
	}
	return false, false
}

// stringList reads a multichoice value.
func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// choice returns the option with the given value.
func (f *Field) choice(value string) (Choice, bool) {
	for _, c := range f.Choices {
		if c.Value == value {
			return c, true
		}
	}
	return Choice{}, false
}

// choiceNumber is what a chosen option stands for in an expression.
func choiceNumber(c Choice) (float64, bool) {
	if c.Score != nil {
		return *c.Score, true
	}
	f, err := strconv.ParseFloat(c.Value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseFormTime reads a datetime value: RFC 3339, or a local time
// YYYY-MM-DDTHH:MM (a space instead of T is accepted) in loc.
func parseFormTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
