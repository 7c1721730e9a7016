package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"lifeboat"
)

// Limits on a form definition, so a definition typed by a person (or a
// corrupt one) cannot make the app do unbounded work.
const (
	maxFormFields  = 500
	maxFormChoices = 200
	maxFieldIDLen  = 64
)

// Definition is one version of a data-driven form, as trusts write them in
// JSON (see assets/forms for examples). Definitions are immutable once
// parsed: a change is a new Version under the same ID, and every version is
// kept so records made on an old one still render. Build one with
// ParseDefinition; a Definition is safe for concurrent use.
type Definition struct {
	ID          string  `json:"id"`
	Version     int     `json:"version"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Fields      []Field `json:"fields"`

	index    map[string]int   // field ID -> position in Fields
	exprs    map[string]*Expr // computed field ID -> expression
	computed []string         // computed field IDs, each after the ones it uses
}

// Field returns the field with the given ID.
func (d *Definition) Field(id string) (*Field, bool) {
	i, ok := d.index[id]
	if !ok {
		return nil, false
	}
	return &d.Fields[i], true
}

// DefinitionError is a form definition refused by ParseDefinition,
// listing every problem found so the author can fix them in one pass.
// It wraps lifeboat.ErrInvalid.
type DefinitionError struct {
	// Source names the definition: its file name when loaded from files,
	// else its ID and version when known.
	Source   string
	Problems []string
}

// Error names the definition and lists its problems.
func (e *DefinitionError) Error() string {
	src := e.Source
	if src == "" {
		src = "form definition"
	}
	if len(e.Problems) == 1 {
		return src + ": " + e.Problems[0]
	}
	return fmt.Sprintf("%s: %d problems: %s", src, len(e.Problems), strings.Join(e.Problems, "; "))
}

// Unwrap lets errors.Is(err, lifeboat.ErrInvalid) match.
func (e *DefinitionError) Unwrap() error { return lifeboat.ErrInvalid }

// ParseDefinition reads and checks a form definition. It refuses a bad one
// with a *DefinitionError listing every problem: JSON syntax (with line
// and column), unknown keys, a missing ID, title or version, empty,
// malformed or duplicate field IDs, unknown field types, choice fields
// without choices, bad ranges (min above max, a soft range outside the
// hard one, a range on a field that is not a number), show_if naming a
// missing field, computed fields with a bad expression, naming a missing
// or non-numeric field, or using each other in a cycle.
func ParseDefinition(data []byte) (*Definition, error) {
	var d Definition
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, &DefinitionError{Problems: []string{jsonProblem(data, err)}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &DefinitionError{Problems: []string{"unexpected data after the definition"}}
	}
	if probs := d.check(); len(probs) > 0 {
		src := ""
		if d.ID != "" {
			src = fmt.Sprintf("form %s version %d", d.ID, d.Version)
		}
		return nil, &DefinitionError{Source: src, Problems: probs}
	}
	return &d, nil
}

// jsonProblem describes a JSON decoding error with its line and column.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset-1) // Offset is just after the bad byte
		return fmt.Sprintf("bad JSON at line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		where := typ.Field
		if where == "" {
			where = "value"
		}
		return fmt.Sprintf("bad JSON at line %d, column %d: %s must be %s, not %s", line, col, where, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "the definition is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "bad JSON: the definition ends too soon"
	}
	return "bad JSON: " + err.Error()
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// check validates d and fills its derived indexes. It returns every problem.
func (d *Definition) check() []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	if strings.TrimSpace(d.ID) == "" {
		add("the form has no id")
	} else if !validFormID(d.ID) {
		add("form id %q must be letters, digits, dashes and underscores", d.ID)
	}
	if d.Version < 1 {
		add("version must be a whole number from 1, not %d", d.Version)
	}
	if strings.TrimSpace(d.Title) == "" {
		add("the form has no title")
	}
	if len(d.Fields) == 0 {
		add("the form has no fields")
	}
	if len(d.Fields) > maxFormFields {
		add("the form has %d fields; at most %d are allowed", len(d.Fields), maxFormFields)
		return probs
	}

	d.index = make(map[string]int, len(d.Fields))
	for i := range d.Fields {
		f := &d.Fields[i]
		switch {
		case f.ID == "":
			add("field %d has no id", i+1)
		case !validFieldID(f.ID):
			add("field id %q must be letters, digits and underscores, starting with a letter, at most %d characters", f.ID, maxFieldIDLen)
		default:
			if _, dup := d.index[f.ID]; dup {
				add("field id %q is used twice", f.ID)
			} else {
				d.index[f.ID] = i
			}
		}
	}

	d.exprs = map[string]*Expr{}
	for i := range d.Fields {
		f := &d.Fields[i]
		name := f.ID
		if name == "" {
			name = fmt.Sprintf("%d", i+1)
		}
		if strings.TrimSpace(f.Label) == "" {
			add("field %s has no label", name)
		}
		if !f.Type.Known() {
			if f.Type == "" {
				add("field %s has no type", name)
			} else {
				add("field %s has unknown type %q", name, f.Type)
			}
		}
		probs = append(probs, f.checkRanges(name)...)
		probs = append(probs, f.checkChoices(name)...)
		if f.NotFuture && f.Type != FieldDate && f.Type != FieldDateTime {
			add("field %s: not_future applies only to date and datetime fields", name)
		}
		if f.ShowIf != nil {
			probs = append(probs, d.checkShowIf(f, name)...)
		}
		switch {
		case f.Type == FieldComputed && strings.TrimSpace(f.Compute) == "":
			add("computed field %s has no compute expression", name)
		case f.Type == FieldComputed:
			if f.Required {
				add("computed field %s cannot be required: make the fields it uses required", name)
			}
			e, err := ParseExpr(f.Compute)
			if err != nil {
				add("computed field %s: %s", name, strings.TrimSuffix(err.Error(), ": "+lifeboat.ErrInvalid.Error()))
				continue
			}
			for _, ref := range e.Refs() {
				j, ok := d.index[ref]
				switch {
				case !ok:
					add("computed field %s uses %s, which is not a field on this form", name, ref)
				case !d.Fields[j].usableInExpr():
					add("computed field %s uses %s, a %s field with no number value", name, ref, d.Fields[j].Type)
				}
			}
			if f.ID != "" {
				d.exprs[f.ID] = e
			}
		case f.Compute != "":
			add("field %s has a compute expression but is not a computed field", name)
		}
	}
	probs = append(probs, d.orderComputed()...)
	probs = append(probs, d.checkShowIfCycles()...)
	return probs
}

// validFieldID reports whether s can name a field in an expression.
func validFieldID(s string) bool {
	if s == "" || len(s) > maxFieldIDLen || !(isIdentStart(s[0]) && s[0] != '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// validFormID allows dashes too: form IDs are never used in expressions.
func validFormID(s string) bool {
	if s == "" || len(s) > maxFieldIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentPart(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// usableInExpr reports whether an expression may use this field's value.
func (f *Field) usableInExpr() bool {
	switch f.Type {
	case FieldNumber, FieldInteger, FieldComputed, FieldYesNo:
		return true
	case FieldChoice:
		for _, c := range f.Choices {
			if _, ok := choiceNumber(c); !ok {
				return false
			}
		}
		return len(f.Choices) > 0
	case FieldMultiChoice:
		for _, c := range f.Choices {
			if c.Score == nil {
				return false
			}
		}
		return len(f.Choices) > 0
	}
	return false
}

func (f *Field) checkRanges(name string) []string {
	var probs []string
	has := f.Min != nil || f.Max != nil || f.SoftMin != nil || f.SoftMax != nil
	if has && f.Type.Known() && !f.Type.numeric() {
		probs = append(probs, fmt.Sprintf("field %s: min, max, soft_min and soft_max apply only to number, integer and computed fields", name))
	}
	order := func(loName string, lo *float64, hiName string, hi *float64) {
		if lo != nil && hi != nil && *lo > *hi {
			probs = append(probs, fmt.Sprintf("field %s: %s %s is above %s %s", name, loName, fmtLimit(*lo), hiName, fmtLimit(*hi)))
		}
	}
	order("min", f.Min, "max", f.Max)
	order("soft_min", f.SoftMin, "soft_max", f.SoftMax)
	order("min", f.Min, "soft_min", f.SoftMin)
	order("soft_max", f.SoftMax, "max", f.Max)
	order("min", f.Min, "soft_max", f.SoftMax)
	order("soft_min", f.SoftMin, "max", f.Max)
	return probs
}

func (f *Field) checkChoices(name string) []string {
	var probs []string
	isChoice := f.Type == FieldChoice || f.Type == FieldMultiChoice
	switch {
	case isChoice && len(f.Choices) == 0:
		return []string{fmt.Sprintf("%s field %s has no choices", f.Type, name)}
	case !isChoice && len(f.Choices) > 0 && f.Type.Known():
		return []string{fmt.Sprintf("field %s has choices but is a %s field", name, f.Type)}
	case len(f.Choices) > maxFormChoices:
		return []string{fmt.Sprintf("field %s has %d choices; at most %d are allowed", name, len(f.Choices), maxFormChoices)}
	}
	seen := map[string]bool{}
	for i, c := range f.Choices {
		switch {
		case strings.TrimSpace(c.Value) == "":
			probs = append(probs, fmt.Sprintf("field %s: choice %d has no value", name, i+1))
		case seen[c.Value]:
			probs = append(probs, fmt.Sprintf("field %s: choice value %q is used twice", name, c.Value))
		}
		seen[c.Value] = true
		if strings.TrimSpace(c.Label) == "" {
			probs = append(probs, fmt.Sprintf("field %s: choice %d has no label", name, i+1))
		}
	}
	return probs
}

func (d *Definition) checkShowIf(f *Field, name string) []string {
	c := f.ShowIf
	var probs []string
	add := func(format string, args ...any) {
		probs = append(probs, fmt.Sprintf("field %s: show_if "+format, append([]any{name}, args...)...))
	}
	j, ok := d.index[c.Field]
	switch {
	case c.Field == "":
		add("names no field")
		return probs
	case !ok:
		add("names %s, which is not a field on this form", c.Field)
		return probs
	case c.Field == f.ID:
		add("names the field itself")
		return probs
	}
	if (c.Equals == nil) == (len(c.In) == 0) {
		add("needs exactly one of equals or in")
		return probs
	}
	target := &d.Fields[j]
	if target.Type == FieldComputed {
		add("names computed field %s: show fields by what people enter", c.Field)
		return probs
	}
	for _, w := range append([]any{c.Equals}, c.In...) {
		switch w.(type) {
		case nil, string, float64, bool:
		default:
			add("compares %s with %v: use a text, number or true/false", c.Field, w)
			return probs
		}
	}
	if target.Type == FieldChoice || target.Type == FieldMultiChoice {
		wants := c.In
		if c.Equals != nil {
			wants = []any{c.Equals}
		}
		for _, w := range wants {
			found := false
			for _, ch := range target.Choices {
				if valueKey(ch.Value) == valueKey(w) {
					found = true
				}
			}
			if !found {
				add("compares %s with %v, which is not one of its choices", c.Field, w)
			}
		}
	}
	return probs
}

// orderComputed sorts computed fields so each comes after the computed
// fields it uses, reporting any cycle.
func (d *Definition) orderComputed() []string {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var probs []string
	var path []string
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case done:
			return true
		case visiting:
			i := slices.Index(path, id)
			cycle := append(append([]string(nil), path[i:]...), id)
			probs = append(probs, "computed fields use each other in a cycle: "+strings.Join(cycle, " -> "))
			return false
		}
		state[id] = visiting
		path = append(path, id)
		ok := true
		for _, ref := range d.exprs[id].Refs() {
			if _, isComputed := d.exprs[ref]; isComputed && !visit(ref) {
				ok = false
				break
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		if ok {
			d.computed = append(d.computed, id)
		}
		return ok
	}
	for _, f := range d.Fields {
		if _, ok := d.exprs[f.ID]; ok && state[f.ID] == unvisited {
			visit(f.ID)
		}
	}
	return probs
}

// checkShowIfCycles refuses fields whose show_if rules depend on each
// other in a loop: neither could ever be decided.
func (d *Definition) checkShowIfCycles() []string {
	var probs []string
	reported := map[string]bool{}
	for _, f := range d.Fields {
		seen := map[string]bool{f.ID: true}
		path := []string{f.ID}
		for cur := &f; cur.ShowIf != nil; {
			next := cur.ShowIf.Field
			path = append(path, next)
			if seen[next] {
				if next == f.ID && !reported[f.ID] {
					for _, id := range path {
						reported[id] = true
					}
					probs = append(probs, "show_if rules depend on each other in a cycle: "+strings.Join(path, " -> "))
				}
				break
			}
			seen[next] = true
			j, ok := d.index[next]
			if !ok {
				break // reported by checkShowIf
			}
			cur = &d.Fields[j]
		}
	}
	return probs
}
