package forms

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxTextLen bounds a text answer, in characters.
const maxTextLen = 10000

// Visible reports, for every field, whether it is shown given values: a
// field with show_if is shown only when the field it names is shown and
// its answer matches.
func (d *Definition) Visible(values map[string]any) map[string]bool {
	vis := make(map[string]bool, len(d.Fields))
	var visible func(i int, depth int) bool
	visible = func(i int, depth int) bool {
		f := &d.Fields[i]
		if v, ok := vis[f.ID]; ok {
			return v
		}
		v := true
		if f.ShowIf != nil {
			j, ok := d.index[f.ShowIf.Field]
			// ParseDefinition refuses loops; depth guards a Definition
			// built by hand.
			v = ok && depth < len(d.Fields) && visible(j, depth+1) && f.ShowIf.matches(values[f.ShowIf.Field])
		}
		vis[f.ID] = v
		return v
	}
	for i := range d.Fields {
		visible(i, 0)
	}
	return vis
}

// Validate checks values entered on form d and returns every problem at
// once. Only visible fields are checked: a field hidden by show_if is
// neither required nor checked. Required fields must be answered; numbers
// must be numbers (whole for integer fields) inside min..max (else a hard
// problem) and soft_min..soft_max (else a soft problem to confirm);
// choices must be among the options; dates, times and datetimes must
// parse (not after now where the field says not_future); NHS numbers must
// pass their check digit. Computed fields are worked out (see Compute) and
// checked against their ranges too. A value for a field the form does not
// have is a hard problem. now's location is used for datetimes without a
// zone.
func Validate(d *Definition, values map[string]any, now time.Time) Problems {
	var ps Problems
	for _, k := range sortedKeys(values) {
		if _, ok := d.index[k]; !ok {
			ps = append(ps, Problem{Field: k, Message: fmt.Sprintf("%q is not a question on the form %s", k, d.Title)})
		}
	}
	vis := d.Visible(values)
	for i := range d.Fields {
		f := &d.Fields[i]
		if !vis[f.ID] || f.Type == FieldComputed {
			continue
		}
		v := values[f.ID]
		if isEmpty(v) {
			if f.Required {
				ps = append(ps, Problem{Field: f.ID, Message: f.Label + " is required"})
			}
			continue
		}
		ps = append(ps, f.check(v, now)...)
	}
	computed, errs := compute(d, values, vis)
	for i := range d.Fields {
		f := &d.Fields[i]
		if p, ok := errs[f.ID]; ok {
			ps = append(ps, p)
		} else if v, ok := computed[f.ID]; ok {
			ps = append(ps, f.checkRange(v)...)
		}
	}
	return ps
}

// Compute works out every visible computed field of d from values, in
// dependency order. Only answers that pass their own checks are used: a
// computed field that uses a field with no valid value yet is left out of
// the result without a problem (the form is not finished, or the answer
// it needs is wrong and Validate says so); division by zero and results
// too large to be numbers are problems on the computed field, in form
// order.
func Compute(d *Definition, values map[string]any) (map[string]float64, Problems) {
	out, errs := compute(d, values, d.Visible(values))
	var ps Problems
	for _, f := range d.Fields {
		if p, ok := errs[f.ID]; ok {
			ps = append(ps, p)
		}
	}
	return out, ps
}

func compute(d *Definition, values map[string]any, vis map[string]bool) (map[string]float64, map[string]Problem) {
	out := map[string]float64{}
	if len(d.computed) == 0 {
		return out, nil
	}
	vars := map[string]float64{}
	for i := range d.Fields {
		f := &d.Fields[i]
		if f.Type == FieldComputed || !vis[f.ID] {
			continue
		}
		if x, ok := f.number(values[f.ID]); ok && !f.checkRange(x).HasHard() {
			vars[f.ID] = x
		}
	}
	errs := map[string]Problem{}
	for _, id := range d.computed {
		if !vis[id] {
			continue
		}
		f, _ := d.Field(id)
		v, err := d.exprs[id].Eval(vars)
		switch {
		case errors.Is(err, ErrMissingValue):
			continue
		case err != nil:
			why := "the result is not a usable number"
			if errors.Is(err, errDivideByZero) {
				why = "it would divide by zero"
			}
			errs[id] = Problem{Field: id, Message: fmt.Sprintf("%s cannot be worked out: %s", f.Label, why)}
			continue
		}
		vars[id] = v
		out[id] = v
	}
	return out, errs
}

// number is what a field's value stands for in an expression.
func (f *Field) number(v any) (float64, bool) {
	if isEmpty(v) {
		return 0, false
	}
	switch f.Type {
	case FieldNumber:
		return numberValue(v)
	case FieldInteger:
		x, ok := numberValue(v)
		return x, ok && x == math.Trunc(x)
	case FieldYesNo:
		b, ok := yesNoValue(v)
		return b2f(b), ok
	case FieldChoice:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		c, ok := f.choice(s)
		if !ok {
			return 0, false
		}
		return choiceNumber(c)
	case FieldMultiChoice:
		list, ok := stringList(v)
		if !ok {
			return 0, false
		}
		total := 0.0
		for _, s := range list {
			c, ok := f.choice(s)
			if !ok || c.Score == nil {
				return 0, false
			}
			total += *c.Score
		}
		return total, true
	}
	return 0, false
}

// check validates one answered, visible, non-computed field.
func (f *Field) check(v any, now time.Time) Problems {
	hard := func(msg string) Problems { return Problems{{Field: f.ID, Message: msg}} }
	str, isStr := v.(string)
	switch f.Type {
	case FieldNumber, FieldInteger:
		x, ok := numberValue(v)
		if !ok {
			return hard(f.Label + " must be a number")
		}
		if f.Type == FieldInteger && x != math.Trunc(x) {
			return hard(f.Label + " must be a whole number")
		}
		return f.checkRange(x)
	case FieldChoice:
		if _, ok := f.choice(str); !isStr || !ok {
			return hard(f.Label + ": choose one of the options")
		}
	case FieldMultiChoice:
		list, ok := stringList(v)
		if !ok {
			return hard(f.Label + ": choose from the options")
		}
		seen := map[string]bool{}
		for _, s := range list {
			if _, ok := f.choice(s); !ok || seen[s] {
				return hard(f.Label + ": choose each option at most once, from the options")
			}
			seen[s] = true
		}
	case FieldDate:
		t, err := time.ParseInLocation(dateLayout, strings.TrimSpace(str), now.Location())
		if !isStr || err != nil {
			return hard(f.Label + " must be a date written YYYY-MM-DD")
		}
		y, m, dd := now.Date()
		if f.NotFuture && t.After(time.Date(y, m, dd, 0, 0, 0, 0, now.Location())) {
			return hard(f.Label + " cannot be in the future")
		}
	case FieldTime:
		if _, err := time.Parse("15:04", strings.TrimSpace(str)); !isStr || err != nil {
			return hard(f.Label + " must be a time written HH:MM (24-hour clock)")
		}
	case FieldDateTime:
		t, ok := parseFormTime(str, now.Location())
		if !isStr || !ok {
			return hard(f.Label + " must be a date and time, such as 2025-06-15T14:30")
		}
		if f.NotFuture && t.After(now) {
			return hard(f.Label + " cannot be in the future")
		}
	case FieldYesNo:
		if _, ok := yesNoValue(v); !ok {
			return hard(f.Label + " must be yes or no")
		}
	case FieldNHSNumber:
		if !isStr {
			return hard(f.Label + " must be an NHS number")
		}
		d, err := ParseNHSNumber(str)
		if err != nil {
			return hard(nhsMessage(err))
		}
		if IsTestNHSNumber(d) {
			return Problems{{Field: f.ID, Soft: true,
				Message: fmt.Sprintf("NHS number %s is in the test range: use it only for training, check and confirm", FormatNHSNumber(d))}}
		}
	case FieldText, FieldPatient, FieldPerson:
		if !isStr {
			return hard(f.Label + " must be text")
		}
		if utf8.RuneCountInString(str) > maxTextLen {
			return hard(fmt.Sprintf("%s must be at most %d characters", f.Label, maxTextLen))
		}
	}
	return nil
}

// checkRange checks a number against the field's hard and soft ranges.
func (f *Field) checkRange(x float64) Problems {
	unit := ""
	if f.Unit != "" {
		unit = " " + f.Unit
	}
	if (f.Min != nil && x < *f.Min) || (f.Max != nil && x > *f.Max) {
		var msg string
		switch {
		case f.Min != nil && f.Max != nil:
			msg = fmt.Sprintf("%s must be between %s and %s%s", f.Label, fmtLimit(*f.Min), fmtLimit(*f.Max), unit)
		case f.Min != nil:
			msg = fmt.Sprintf("%s must be at least %s%s", f.Label, fmtLimit(*f.Min), unit)
		default:
			msg = fmt.Sprintf("%s must be at most %s%s", f.Label, fmtLimit(*f.Max), unit)
		}
		return Problems{{Field: f.ID, Message: msg}}
	}
	if (f.SoftMin != nil && x < *f.SoftMin) || (f.SoftMax != nil && x > *f.SoftMax) {
		return Problems{{Field: f.ID, Soft: true,
			Message: fmt.Sprintf("%s of %s%s is unusual: check and confirm", f.Label, fmtLimit(x), unit)}}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
