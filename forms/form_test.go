package forms

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"lifeboat"
)

// mustDefinition parses a definition from testdata or fails the test.
func mustDefinition(tb testing.TB, file string) *Definition {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := ParseDefinition(data)
	if err != nil {
		tb.Fatalf("ParseDefinition(%s) = %v, want no error", file, err)
	}
	return d
}

func TestParseDefinition_Good(t *testing.T) {
	d := mustDefinition(t, "form-good.json")
	if d.ID != "test-form" || d.Version != 2 || len(d.Fields) != 15 {
		t.Errorf("ParseDefinition(form-good.json) = %s v%d with %d fields, want test-form v2 with 15", d.ID, d.Version, len(d.Fields))
	}
	if f, ok := d.Field("weight"); !ok || f.Unit != "kg" || *f.Min != 0.5 || *f.SoftMax != 200 {
		t.Errorf("ParseDefinition(form-good.json).Field(weight) = %+v, %v, want kg 0.5..400 soft ..200", f, ok)
	}
	if _, ok := d.Field("nope"); ok {
		t.Errorf("Definition.Field(nope) ok = true, want false")
	}
	if want := []string{"bmi", "site_score", "ratio"}; !slices.Equal(d.computed, want) {
		t.Errorf("ParseDefinition(form-good.json) computed order = %v, want %v", d.computed, want)
	}
}

func TestParseDefinition_ComputedOrder(t *testing.T) {
	// c uses b uses a: each is worked out after what it uses, whatever
	// the order on the page.
	d, err := ParseDefinition([]byte(`{"id":"x","version":1,"title":"X","fields":[
		{"id":"c","label":"C","type":"computed","compute":"b + 1"},
		{"id":"b","label":"B","type":"computed","compute":"a * 2"},
		{"id":"n","label":"N","type":"number"},
		{"id":"a","label":"A","type":"computed","compute":"n + 1"}]}`))
	if err != nil {
		t.Fatalf("ParseDefinition() = %v", err)
	}
	if want := []string{"a", "b", "c"}; !slices.Equal(d.computed, want) {
		t.Errorf("ParseDefinition() computed order = %v, want %v", d.computed, want)
	}
	got, ps := Compute(d, map[string]any{"n": 1.0})
	if len(ps) != 0 || got["c"] != 5 {
		t.Errorf("Compute(n=1) = %v, %v, want c=5", got, ps)
	}
}

func TestParseDefinition_EveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/form-bad.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseDefinition(data)
	var de *DefinitionError
	if !errors.As(err, &de) || !errors.Is(err, lifeboat.ErrInvalid) {
		t.Fatalf("ParseDefinition(form-bad.json) = %v, want a *DefinitionError wrapping ErrInvalid", err)
	}
	want := []string{
		`field id "a" is used twice`,
		"field 3 has no id",
		"field a: min 10 is above max 5",
		`field b has unknown type "slider"`,
		"choice field c has no choices",
		"field d: show_if names nowhere, which is not a field on this form",
		"computed field e uses missing, which is not a field on this form",
		"computed fields use each other in a cycle: f -> g -> f",
	}
	if len(de.Problems) != len(want) {
		t.Errorf("ParseDefinition(form-bad.json) = %d problems:\n%s\nwant %d", len(de.Problems), strings.Join(de.Problems, "\n"), len(want))
	}
	for _, w := range want {
		if !slices.Contains(de.Problems, w) {
			t.Errorf("ParseDefinition(form-bad.json) problems = %q, want one to be %q", de.Problems, w)
		}
	}
	if de.Source != "form bad-form version 1" || !strings.HasPrefix(err.Error(), "form bad-form version 1: 8 problems: ") {
		t.Errorf("ParseDefinition(form-bad.json) error = %q, want it to start with the form and the count", err)
	}
}

func TestParseDefinition_Problems(t *testing.T) {
	const head = `{"id":"f","version":1,"title":"F","fields":[`
	tests := []struct {
		name, json, want string
	}{
		{"syntax with position", "{\n  \"id\": \"f\",\n  \"version\": 1,,\n}", "bad JSON at line 3, column 16: invalid character ',' looking for beginning of object key string"},
		{"wrong type with position", `{"id":"f","version":"one"}`, "bad JSON at line 1, column 26: version must be int, not string"},
		{"empty", ``, "the definition is empty"},
		{"truncated", `{"id":"f"`, "bad JSON: the definition ends too soon"},
		{"trailing data", `{"id":"f","version":1,"title":"F","fields":[{"id":"a","label":"A","type":"text"}]} {}`, "unexpected data after the definition"},
		{"unknown key", `{"id":"f","version":1,"title":"F","feilds":[]}`, `unknown field "feilds"`},
		{"unknown field key", head + `{"id":"a","label":"A","type":"text","requried":true}]}`, `unknown field "requried"`},
		{"no id", `{"version":1,"title":"F","fields":[{"id":"a","label":"A","type":"text"}]}`, "the form has no id"},
		{"bad form id", `{"id":"f x","version":1,"title":"F","fields":[{"id":"a","label":"A","type":"text"}]}`, `form id "f x" must be letters`},
		{"no version", `{"id":"f","title":"F","fields":[{"id":"a","label":"A","type":"text"}]}`, "version must be a whole number from 1, not 0"},
		{"no title", `{"id":"f","version":1,"fields":[{"id":"a","label":"A","type":"text"}]}`, "the form has no title"},
		{"no fields", `{"id":"f","version":1,"title":"F","fields":[]}`, "the form has no fields"},
		{"bad field id", head + `{"id":"2a","label":"A","type":"text"}]}`, `field id "2a" must be letters, digits and underscores`},
		{"field id with dash", head + `{"id":"a-b","label":"A","type":"text"}]}`, `field id "a-b" must be`},
		{"no label", head + `{"id":"a","type":"text"}]}`, "field a has no label"},
		{"no type", head + `{"id":"a","label":"A"}]}`, "field a has no type"},
		{"range on text", head + `{"id":"a","label":"A","type":"text","max":3}]}`, "field a: min, max, soft_min and soft_max apply only to number"},
		{"soft min above soft max", head + `{"id":"a","label":"A","type":"number","soft_min":5,"soft_max":1}]}`, "field a: soft_min 5 is above soft_max 1"},
		{"soft below hard", head + `{"id":"a","label":"A","type":"number","min":5,"soft_min":1}]}`, "field a: min 5 is above soft_min 1"},
		{"soft above hard", head + `{"id":"a","label":"A","type":"number","max":5,"soft_max":10}]}`, "field a: soft_max 10 is above max 5"},
		{"multichoice without choices", head + `{"id":"a","label":"A","type":"multichoice","choices":[]}]}`, "multichoice field a has no choices"},
		{"choices on text", head + `{"id":"a","label":"A","type":"text","choices":[{"value":"x","label":"X"}]}]}`, "field a has choices but is a text field"},
		{"duplicate choice", head + `{"id":"a","label":"A","type":"choice","choices":[{"value":"x","label":"X"},{"value":"x","label":"Y"}]}]}`, `field a: choice value "x" is used twice`},
		{"empty choice value", head + `{"id":"a","label":"A","type":"choice","choices":[{"value":"","label":"X"}]}]}`, "field a: choice 1 has no value"},
		{"choice without label", head + `{"id":"a","label":"A","type":"choice","choices":[{"value":"x"}]}]}`, "field a: choice 1 has no label"},
		{"not_future on text", head + `{"id":"a","label":"A","type":"text","not_future":true}]}`, "not_future applies only to date and datetime"},
		{"show_if self", head + `{"id":"a","label":"A","type":"yesno","show_if":{"field":"a","equals":true}}]}`, "field a: show_if names the field itself"},
		{"show_if no field", head + `{"id":"a","label":"A","type":"yesno","show_if":{"equals":true}}]}`, "field a: show_if names no field"},
		{"show_if both", head + `{"id":"a","label":"A","type":"yesno"},{"id":"b","label":"B","type":"text","show_if":{"field":"a","equals":true,"in":[false]}}]}`, "needs exactly one of equals or in"},
		{"show_if neither", head + `{"id":"a","label":"A","type":"yesno"},{"id":"b","label":"B","type":"text","show_if":{"field":"a"}}]}`, "needs exactly one of equals or in"},
		{"show_if not a choice", head + `{"id":"a","label":"A","type":"choice","choices":[{"value":"x","label":"X"}]},{"id":"b","label":"B","type":"text","show_if":{"field":"a","in":["x","y"]}}]}`, "compares a with y, which is not one of its choices"},
		{"show_if object", head + `{"id":"a","label":"A","type":"text"},{"id":"b","label":"B","type":"text","show_if":{"field":"a","equals":{"x":1}}}]}`, "use a text, number or true/false"},
		{"show_if computed", head + `{"id":"n","label":"N","type":"number"},{"id":"a","label":"A","type":"computed","compute":"n"},{"id":"b","label":"B","type":"text","show_if":{"field":"a","equals":1}}]}`, "show_if names computed field a"},
		{"show_if cycle", head + `{"id":"a","label":"A","type":"yesno","show_if":{"field":"b","equals":true}},{"id":"b","label":"B","type":"yesno","show_if":{"field":"a","equals":true}}]}`, "show_if rules depend on each other in a cycle: a -> b -> a"},
		{"computed without expression", head + `{"id":"a","label":"A","type":"computed"}]}`, "computed field a has no compute expression"},
		{"compute on number", head + `{"id":"a","label":"A","type":"number","compute":"1"}]}`, "field a has a compute expression but is not a computed field"},
		{"computed required", head + `{"id":"a","label":"A","type":"computed","compute":"1","required":true}]}`, "computed field a cannot be required"},
		{"bad expression", head + `{"id":"a","label":"A","type":"computed","compute":"1 +"}]}`, `computed field a: expression "1 +" at position 4: expected a number, field or (`},
		{"compute uses text", head + `{"id":"t","label":"T","type":"text"},{"id":"a","label":"A","type":"computed","compute":"t + 1"}]}`, "computed field a uses t, a text field with no number value"},
		{"compute uses unscored choice", head + `{"id":"c","label":"C","type":"choice","choices":[{"value":"x","label":"X"}]},{"id":"a","label":"A","type":"computed","compute":"c"}]}`, "computed field a uses c, a choice field with no number value"},
		{"compute uses unscored multichoice", head + `{"id":"c","label":"C","type":"multichoice","choices":[{"value":"1","label":"X"}]},{"id":"a","label":"A","type":"computed","compute":"c"}]}`, "computed field a uses c, a multichoice field"},
		{"compute self", head + `{"id":"a","label":"A","type":"computed","compute":"a + 1"}]}`, "computed fields use each other in a cycle: a -> a"},
		{"compute cycle of three", head + `{"id":"a","label":"A","type":"computed","compute":"b"},{"id":"b","label":"B","type":"computed","compute":"c"},{"id":"c","label":"C","type":"computed","compute":"a"}]}`, "cycle: a -> b -> c -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDefinition([]byte(tt.json))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("ParseDefinition(%s) = %v, %v, want a *DefinitionError", tt.name, d, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDefinition(%s) error = %q, want it to contain %q", tt.name, err, tt.want)
			}
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("ParseDefinition(%s) error does not wrap lifeboat.ErrInvalid", tt.name)
			}
		})
	}
}

func TestParseDefinition_SyntaxFile(t *testing.T) {
	data, err := os.ReadFile("testdata/form-syntax.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseDefinition(data)
	if err == nil || !strings.Contains(err.Error(), "bad JSON at line 7, column 3") {
		t.Errorf("ParseDefinition(form-syntax.json) = %v, want bad JSON at line 7, column 3", err)
	}
}
