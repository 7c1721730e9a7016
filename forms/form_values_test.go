package forms

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// goodValues is a complete, valid answer set for testdata/form-good.json.
func goodValues() map[string]any {
	return map[string]any{
		"name":     "Test",
		"weight":   70.0,
		"height":   175.0,
		"pain":     "0",
		"seen_on":  "2025-06-15",
		"seen_at":  "09:30",
		"given_at": "2025-06-15T09:45:00+01:00",
		"nhs":      "943 476 5919",
		"patient":  "p1",
		"checker":  "u2",
	}
}

func TestValidate_Cases(t *testing.T) {
	d := mustDefinition(t, "form-good.json")
	now := time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(v map[string]any)
		want []string // "field:hard|soft:message fragment", in order
	}{
		{"valid", func(v map[string]any) {}, []string{"ratio:hard:Ratio cannot be worked out: it would divide by zero"}},
		{"valid without height", func(v map[string]any) { delete(v, "height") }, nil},
		{"numbers as strings", func(v map[string]any) { v["weight"], v["height"] = " 70.5", "175"; delete(v, "height") }, nil},
		{"json numbers", func(v map[string]any) { v["weight"] = json.Number("70"); delete(v, "height") }, nil},
		{"missing required", func(v map[string]any) { delete(v, "name"); v["weight"] = ""; delete(v, "pain"); delete(v, "height") },
			[]string{"name:hard:Name is required", "weight:hard:Weight is required", "pain:hard:Pain is required"}},
		{"blank text is missing", func(v map[string]any) { v["name"] = "   "; delete(v, "height") }, []string{"name:hard:Name is required"}},
		{"unknown field", func(v map[string]any) { v["zzz"] = 1; delete(v, "height") }, []string{`zzz:hard:"zzz" is not a question on the form Test form`}},
		{"hard range", func(v map[string]any) { v["weight"] = 401; delete(v, "height") }, []string{"weight:hard:Weight must be between 0.5 and 400 kg"}},
		{"hard range low edge ok", func(v map[string]any) { v["weight"] = 0.5; delete(v, "height") }, []string{"weight:soft:Weight of 0.5 kg is unusual: check and confirm"}},
		{"soft range", func(v map[string]any) { v["weight"] = 250; delete(v, "height") }, []string{"weight:soft:Weight of 250 kg is unusual: check and confirm"}},
		{"soft edge ok", func(v map[string]any) { v["weight"] = 200; delete(v, "height") }, nil},
		{"not a number", func(v map[string]any) { v["weight"] = "seventy"; delete(v, "height") }, []string{"weight:hard:Weight must be a number"}},
		{"bool is not a number", func(v map[string]any) { v["weight"] = true; delete(v, "height") }, []string{"weight:hard:Weight must be a number"}},
		{"integer not whole", func(v map[string]any) { v["height"] = 175.5 }, []string{"height:hard:Height must be a whole number"}},
		{"integer range", func(v map[string]any) { v["height"] = 251 }, []string{"height:hard:Height must be between 30 and 250 cm"}},
		{"computed soft range", func(v map[string]any) { v["weight"], v["height"] = 30.0, 180.0 },
			[]string{"bmi:soft:BMI of 9.3 kg/m2 is unusual: check and confirm", "ratio:hard:it would divide by zero"}},
		{"computed from out-of-range answer", func(v map[string]any) { v["height"] = 20.0 },
			[]string{"height:hard:Height must be between 30 and 250 cm"}},
		{"choice not an option", func(v map[string]any) { v["pain"] = "9"; delete(v, "height") }, []string{"pain:hard:Pain: choose one of the options"}},
		{"choice number not string", func(v map[string]any) { v["pain"] = 0; delete(v, "height") }, []string{"pain:hard:Pain: choose one of the options"}},
		{"shown multichoice required", func(v map[string]any) { v["pain"] = "2"; delete(v, "height") }, []string{"pain_site:hard:Where is the pain? is required"}},
		{"shown multichoice ok", func(v map[string]any) { v["pain"] = "2"; v["pain_site"] = []any{"head"}; delete(v, "height") }, nil},
		{"chained show_if", func(v map[string]any) {
			v["pain"] = "2"
			v["pain_site"] = []string{"head", "chest"}
			delete(v, "height")
		},
			[]string{"chest_pain_ecg:hard:ECG done? is required"}},
		{"multichoice bad option", func(v map[string]any) { v["pain"] = "1"; v["pain_site"] = []any{"knee"}; delete(v, "height") },
			[]string{"pain_site:hard:Where is the pain?: choose each option at most once, from the options"}},
		{"multichoice twice", func(v map[string]any) { v["pain"] = "1"; v["pain_site"] = []any{"head", "head"}; delete(v, "height") },
			[]string{"pain_site:hard:at most once"}},
		{"multichoice not a list", func(v map[string]any) { v["pain"] = "1"; v["pain_site"] = "head"; delete(v, "height") },
			[]string{"pain_site:hard:choose from the options"}},
		{"hidden fields ignored", func(v map[string]any) {
			v["pain_site"] = []any{"knee"}
			v["chest_pain_ecg"] = "maybe"
			delete(v, "height")
		}, nil},
		{"date bad", func(v map[string]any) { v["seen_on"] = "15/06/2025"; delete(v, "height") }, []string{"seen_on:hard:Date seen must be a date written YYYY-MM-DD"}},
		{"date impossible", func(v map[string]any) { v["seen_on"] = "2025-02-30"; delete(v, "height") }, []string{"seen_on:hard:YYYY-MM-DD"}},
		{"date future", func(v map[string]any) { v["seen_on"] = "2025-06-16"; delete(v, "height") }, []string{"seen_on:hard:Date seen cannot be in the future"}},
		{"time bad", func(v map[string]any) { v["seen_at"] = "25:00"; delete(v, "height") }, []string{"seen_at:hard:Time seen must be a time written HH:MM (24-hour clock)"}},
		{"datetime local", func(v map[string]any) { v["given_at"] = "2025-06-15 09:59"; delete(v, "height") }, nil},
		{"datetime bad", func(v map[string]any) { v["given_at"] = "yesterday"; delete(v, "height") }, []string{"given_at:hard:Given at must be a date and time"}},
		{"datetime future", func(v map[string]any) { v["given_at"] = "2025-06-15T10:01"; delete(v, "height") }, []string{"given_at:hard:Given at cannot be in the future"}},
		{"datetime zone", func(v map[string]any) { v["given_at"] = "2025-06-15T10:30:00+01:00"; delete(v, "height") }, nil},
		{"nhs bad", func(v map[string]any) { v["nhs"] = "943 476 5918"; delete(v, "height") }, []string{"nhs:hard:NHS number 943 476 5918 fails its check digit: please re-check it"}},
		{"nhs test range", func(v map[string]any) { v["nhs"] = "9990000018"; delete(v, "height") }, []string{"nhs:soft:test range"}},
		{"nhs not text", func(v map[string]any) { v["nhs"] = 9434765919.0; delete(v, "height") }, []string{"nhs:hard:NHS number must be an NHS number"}},
		{"person not text", func(v map[string]any) { v["checker"] = 7; delete(v, "height") }, []string{"checker:hard:Second checker must be text"}},
		{"text too long", func(v map[string]any) { v["name"] = strings.Repeat("x", 10001); delete(v, "height") }, []string{"name:hard:at most 10000 characters"}},
		{"computed value given is ignored", func(v map[string]any) { v["bmi"] = "rubbish"; delete(v, "height") }, nil},
		{"everything at once", func(v map[string]any) {
			delete(v, "name")
			v["weight"], v["height"], v["seen_at"], v["nhs"] = 500, 10.5, "noon", "123"
		}, []string{"name:hard:", "weight:hard:", "height:hard:", "seen_at:hard:", "nhs:hard:"}}, // bad answers feed no computation
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := goodValues()
			tt.edit(v)
			ps := Validate(d, v, now)
			if len(ps) != len(tt.want) {
				t.Fatalf("Validate(%s) = %d problems %q, want %d %q", tt.name, len(ps), ps.Error(), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				parts := strings.SplitN(w, ":", 3)
				p := ps[i]
				if p.Field != parts[0] || p.Soft != (parts[1] == "soft") || !strings.Contains(p.Message, parts[2]) {
					t.Errorf("Validate(%s)[%d] = %+v, want field %q %s containing %q", tt.name, i, p, parts[0], parts[1], parts[2])
				}
			}
		})
	}
}

func TestCompute_Cases(t *testing.T) {
	d := mustDefinition(t, "form-good.json")
	tests := []struct {
		name   string
		values map[string]any
		want   map[string]float64
		probs  int
	}{
		{"bmi", map[string]any{"weight": 70.0, "height": 175.0}, map[string]float64{"bmi": 22.9}, 1}, // ratio divides by zero
		{"nothing entered", map[string]any{}, map[string]float64{}, 0},
		{"bad input leaves it out", map[string]any{"weight": "x", "height": 175.0}, map[string]float64{}, 0},
		{"multichoice scores", map[string]any{"pain": "3", "pain_site": []any{"chest", "abdomen"}}, map[string]float64{"site_score": 10}, 0},
		{"hidden multichoice not used", map[string]any{"pain": "0", "pain_site": []any{"chest"}}, map[string]float64{}, 0},
	}
	for _, tt := range tests {
		got, ps := Compute(d, tt.values)
		if len(got) != len(tt.want) || len(ps) != tt.probs {
			t.Errorf("Compute(%s) = %v, %v, want %v with %d problems", tt.name, got, ps, tt.want, tt.probs)
			continue
		}
		for k, w := range tt.want {
			if got[k] != w {
				t.Errorf("Compute(%s)[%s] = %v, want %v", tt.name, k, got[k], w)
			}
		}
	}
}

func TestDefinition_Visible(t *testing.T) {
	d := mustDefinition(t, "form-good.json")
	tests := []struct {
		values map[string]any
		site   bool
		ecg    bool
	}{
		{map[string]any{}, false, false},
		{map[string]any{"pain": "0"}, false, false},
		{map[string]any{"pain": "1"}, true, false},
		{map[string]any{"pain": "1", "pain_site": []any{"chest"}}, true, true},
		{map[string]any{"pain": "0", "pain_site": []any{"chest"}}, false, false}, // hidden parent hides the child
	}
	for _, tt := range tests {
		vis := d.Visible(tt.values)
		if vis["pain_site"] != tt.site || vis["chest_pain_ecg"] != tt.ecg || !vis["name"] {
			t.Errorf("Visible(%v) = pain_site %v ecg %v name %v, want %v %v true", tt.values, vis["pain_site"], vis["chest_pain_ecg"], vis["name"], tt.site, tt.ecg)
		}
	}
}

func TestCondition_Matches(t *testing.T) {
	tests := []struct {
		c    Condition
		v    any
		want bool
	}{
		{Condition{Equals: true}, true, true},
		{Condition{Equals: true}, "yes", true},
		{Condition{Equals: false}, "no", true},
		{Condition{Equals: false}, true, false},
		{Condition{Equals: 2.0}, "2", true},
		{Condition{Equals: 2.0}, 2, true},
		{Condition{Equals: "x"}, "x", true},
		{Condition{Equals: "x"}, "y", false},
		{Condition{In: []any{"a", "b"}}, "b", true},
		{Condition{In: []any{"a", "b"}}, []any{"c", "a"}, true},
		{Condition{In: []any{"a", "b"}}, []string{"c"}, false},
		{Condition{Equals: "x"}, nil, false},
	}
	for _, tt := range tests {
		if got := tt.c.matches(tt.v); got != tt.want {
			t.Errorf("Condition%+v.matches(%v) = %v, want %v", tt.c, tt.v, got, tt.want)
		}
	}
}
