package forms

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"lifeboat"
	"lifeboat/assets"
)

func defJSON(id string, version int, label string) []byte {
	return []byte(`{"id":"` + id + `","version":` + string(rune('0'+version)) +
		`,"title":"T","fields":[{"id":"a","label":"` + label + `","type":"text"}]}`)
}

func TestLoadDefinitions_Versions(t *testing.T) {
	fsys := fstest.MapFS{
		"defs/obs-v1.json": {Data: defJSON("obs", 1, "First")},
		"defs/obs-v3.json": {Data: defJSON("obs", 3, "Third")},
		"defs/obs-v2.json": {Data: defJSON("obs", 2, "Second")},
		"defs/other.json":  {Data: defJSON("other", 1, "Other")},
		"defs/readme.txt":  {Data: []byte("not a form")},
		"defs/sub/x.json":  {Data: []byte("not read: only dir itself")},
		"elsewhere/y.json": {Data: []byte("{")},
	}
	r, err := LoadDefinitions(fsys, "defs")
	if err != nil {
		t.Fatalf("LoadDefinitions() = %v", err)
	}
	if got := r.IDs(); !slices.Equal(got, []string{"obs", "other"}) {
		t.Errorf("Registry.IDs() = %v, want [obs other]", got)
	}
	if got := r.Versions("obs"); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Registry.Versions(obs) = %v, want [1 2 3]", got)
	}
	d, err := r.Latest("obs")
	if err != nil || d.Version != 3 || d.Fields[0].Label != "Third" {
		t.Errorf("Registry.Latest(obs) = %v, %v, want version 3", d, err)
	}
	d, err = r.Lookup("obs", 1)
	if err != nil || d.Fields[0].Label != "First" {
		t.Errorf("Registry.Lookup(obs, 1) = %v, %v, want version 1", d, err)
	}
	if _, err := r.Lookup("obs", 4); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("Registry.Lookup(obs, 4) error = %v, want ErrNotFound", err)
	}
	if _, err := r.Latest("nope"); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("Registry.Latest(nope) error = %v, want ErrNotFound", err)
	}
}

func TestLoadDefinitions_AllErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"f/a.json":  {Data: []byte(`{"id":"a","version":1,"title":"A","fields":[{"id":"x","label":"X","type":"nope"}]}`)},
		"f/b.json":  {Data: []byte(`{"id":`)},
		"f/c.json":  {Data: defJSON("c", 1, "C")},
		"f/c2.json": {Data: defJSON("c", 1, "Changed")},
		"f/ok.json": {Data: defJSON("ok", 1, "OK")},
	}
	r, err := LoadDefinitions(fsys, "f")
	if err == nil || r != nil {
		t.Fatalf("LoadDefinitions() = %v, %v, want an error and no registry", r, err)
	}
	for _, want := range []string{
		`f/a.json: field x has unknown type "nope"`,
		"f/b.json: bad JSON",
		"f/c2.json: add form c version 1: a different definition already has this version",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("LoadDefinitions() error = %q, want it to contain %q", err, want)
		}
	}
	if !errors.Is(err, lifeboat.ErrInvalid) || !errors.Is(err, lifeboat.ErrConflict) {
		t.Errorf("LoadDefinitions() error = %v, want it to wrap ErrInvalid and ErrConflict", err)
	}
}

func TestRegistry_AddSameTwice(t *testing.T) {
	r := NewRegistry()
	for range 2 {
		d, err := ParseDefinition(defJSON("x", 1, "X"))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Add(d); err != nil {
			t.Errorf("Registry.Add(same definition) = %v, want nil", err)
		}
	}
	if got := r.Versions("x"); !slices.Equal(got, []int{1}) {
		t.Errorf("Registry.Versions(x) = %v, want [1]", got)
	}
	if err := r.Add(&Definition{ID: "y", Version: 1}); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("Registry.Add(unparsed) = %v, want ErrInvalid", err)
	}
}

func TestLoadDefinitions_BuiltIn(t *testing.T) {
	r, err := LoadDefinitions(assets.Forms, "forms")
	if err != nil {
		t.Fatalf("LoadDefinitions(assets.Forms) = %v", err)
	}
	want := []string{"downtime-incident", "falls-risk", "fluid-balance", "pressure-area"}
	if got := r.IDs(); !slices.Equal(got, want) {
		t.Errorf("LoadDefinitions(assets.Forms).IDs() = %v, want %v", got, want)
	}
	names, _ := fs.Glob(assets.Forms, "forms/*.json")
	if len(names) != len(want)+1 {
		t.Errorf("assets.Forms holds %d files, want %d (the incident log has two versions)", len(names), len(want)+1)
	}
	// Records made on the first incident log keep their definition.
	if d, err := r.Lookup("downtime-incident", 1); err != nil || slices.ContainsFunc(d.Fields, func(f Field) bool { return f.ID == "patient_here" }) {
		t.Errorf("incident log version 1 = %v; want it kept as it was", err)
	}
	if d, _ := r.Latest("downtime-incident"); d.Version != 2 {
		t.Errorf("latest incident log is version %d, want 2", d.Version)
	}
}

func TestBuiltInForms_Examples(t *testing.T) {
	r, err := LoadDefinitions(assets.Forms, "forms")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		form     string
		values   map[string]any
		computed map[string]float64
		problems []string // fields with problems
	}{
		{"fluid-balance", map[string]any{
			"period_end": "2025-06-15T12:00", "oral_ml": 200.0, "iv_given": true, "iv_fluid": "hartmanns", "iv_ml": 500.0,
			"urine_ml": 350.0, "stool": "loose", "stool_ml": 150.0, "recorded_by": "u1",
		}, map[string]float64{"total_in": 700, "total_out": 500, "balance": 200}, nil},
		{"fluid-balance", map[string]any{"period_end": "2025-06-15T12:00", "urine_ml": 1600.0, "recorded_by": "u1"},
			map[string]float64{"total_in": 0, "total_out": 1600, "balance": -1600}, []string{"urine_ml", "balance"}},
		{"falls-risk", map[string]any{
			"assessed_at": "2025-06-15T11:00", "fall_last_year": true, "fall_this_admission": false, "confusion": true,
			"mobility": "unsafe", "toileting": false, "medicines": true, "postural_drop": "not_done", "vision": false,
			"actions": []any{"bed_low", "call_bell"}, "assessor": "u1",
		}, map[string]float64{"score": 5, "high_risk": 1}, nil},
		{"falls-risk", map[string]any{
			"assessed_at": "2025-06-15T11:00", "fall_last_year": false, "fall_this_admission": true, "confusion": false,
			"mobility": "independent", "toileting": false, "medicines": false, "postural_drop": "no", "vision": false, "assessor": "u1",
		}, map[string]float64{"score": 1, "high_risk": 1}, []string{"fall_details"}},
		{"pressure-area", map[string]any{
			"checked_at": "2025-06-15T11:00", "build": "below", "skin": []any{"dry", "discoloured"}, "sex": "female",
			"age_band": "81+", "continence": "urine", "mobility": "restricted", "appetite": "poor",
			"special_risks": []any{"diabetes"}, "skin_intact": false, "damage_sites": []any{"sacrum"},
			"damage_notes": "Non-blanching redness 3 cm", "repositioned": true, "turn_interval_h": 2.0, "checked_by": "u1",
		}, map[string]float64{"total": 22, "risk_level": 3}, nil},
		{"pressure-area", map[string]any{
			"checked_at": "2025-06-15T11:00", "build": "average", "skin": []any{"healthy"}, "sex": "male",
			"age_band": "14-49", "continence": "complete", "mobility": "fully", "appetite": "average",
			"skin_intact": true, "repositioned": false, "checked_by": "u1",
		}, map[string]float64{}, []string{"special_risks"}},
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T09:10", "system": "eprescribing", "category": []any{"medication"},
			"patient_involved": true, "patient_here": true, "patient": "p1", "harm": "moderate", "escalated_to": "consultant",
			"description": "Dose given twice: paper chart not updated", "reported_by": "u1",
		}, map[string]float64{}, nil},
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T13:10", "system": "other", "category": []any{"delay"},
			"patient_involved": true, "patient_here": false, "harm": "severe", "nhs_number": "9434765918", "description": "x", "reported_by": "u1",
		}, map[string]float64{}, []string{"occurred_at", "system_other", "nhs_number", "escalated_to"}},
		// A patient not on this ward (another ward's, or discharged) is
		// named by NHS number: the chooser of this ward's patients is not asked.
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T09:10", "system": "pas", "category": []any{"identity"}, "patient_involved": true,
			"patient_here": false, "nhs_number": "9434765919", "harm": "none", "description": "x", "reported_by": "u1",
		}, map[string]float64{}, nil},
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T09:10", "system": "pas", "category": []any{"identity"}, "patient_involved": true,
			"patient_here": false, "harm": "none", "description": "x", "reported_by": "u1",
		}, map[string]float64{}, []string{"nhs_number"}},
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T09:10", "system": "pas", "category": []any{"identity"}, "patient_involved": true,
			"patient_here": true, "harm": "none", "description": "x", "reported_by": "u1",
		}, map[string]float64{}, []string{"patient"}},
		{"downtime-incident", map[string]any{
			"occurred_at": "2025-06-15T09:10", "system": "pas", "category": []any{"identity"}, "patient_involved": true,
			"harm": "none", "description": "x", "reported_by": "u1",
		}, map[string]float64{}, []string{"patient_here"}},
	}
	for i, tt := range tests {
		d, err := r.Latest(tt.form)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := Compute(d, tt.values)
		for k, w := range tt.computed {
			if got[k] != w {
				t.Errorf("Compute(%s #%d)[%s] = %v, want %v", tt.form, i, k, got[k], w)
			}
		}
		if len(got) != len(tt.computed) {
			t.Errorf("Compute(%s #%d) = %v, want %v", tt.form, i, got, tt.computed)
		}
		ps := r.ValidateSubmission(NewSubmission(d, "p1", tt.values), now)
		var fields []string
		for _, p := range ps {
			fields = append(fields, p.Field)
		}
		if !slices.Equal(fields, tt.problems) {
			t.Errorf("ValidateSubmission(%s #%d) = %q on %v, want problems on %v", tt.form, i, ps.Error(), fields, tt.problems)
		}
	}
}

func TestNewSubmission_KeepsNHSNumbersAsDigits(t *testing.T) {
	r, err := LoadDefinitions(assets.Forms, "forms")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := r.Latest("downtime-incident")
	for typed, want := range map[string]string{"943 476 5919": "9434765919", "943-476-5919": "9434765919", " 9434765919 ": "9434765919", "943 476 591": "943 476 591"} {
		s := NewSubmission(d, "", map[string]any{"patient_involved": true, "patient_here": false, "nhs_number": typed})
		if s.Values["nhs_number"] != want {
			t.Errorf("NewSubmission(nhs_number %q) keeps %q, want %q", typed, s.Values["nhs_number"], want)
		}
	}
}

func TestNewSubmission_DropsHiddenAndComputed(t *testing.T) {
	d := mustDefinition(t, "form-good.json")
	s := NewSubmission(d, "p9", map[string]any{
		"name": "  Ann  ", "pain": "0", "pain_site": []any{"head"}, "bmi": 3.0, "zzz": 1, "checker": "",
	})
	if s.FormID != "test-form" || s.Version != 2 || s.PatientID != "p9" {
		t.Errorf("NewSubmission() = %s v%d %s, want test-form v2 p9", s.FormID, s.Version, s.PatientID)
	}
	if len(s.Values) != 2 || s.Values["name"] != "Ann" || s.Values["pain"] != "0" {
		t.Errorf("NewSubmission().Values = %v, want only name=Ann and pain=0", s.Values)
	}
}

func TestValidateSubmission_UnknownForm(t *testing.T) {
	r := NewRegistry()
	ps := r.ValidateSubmission(FormSubmission{FormID: "x", Version: 3}, time.Time{})
	if len(ps) != 1 || ps[0].Field != "form_id" || !strings.Contains(ps[0].Message, "Form x version 3 is not on this device") {
		t.Errorf("ValidateSubmission(unknown) = %v, want one form_id problem", ps)
	}
}
