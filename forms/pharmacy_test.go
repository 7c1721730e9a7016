package forms

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lifeboat"
	"lifeboat/assets"
)

func problemFields(ps Problems) string {
	var f []string
	for _, p := range ps {
		f = append(f, p.Field)
	}
	return strings.Join(f, ",")
}

func TestParsePlan(t *testing.T) {
	tests := []struct {
		file   string
		fields string // "" means valid
		msg    string
	}{
		{"valid.json", "", ""},
		{"minimal.json", "", ""},
		{"many-problems.json", "id,version,title,phases[0].title,phases[0].tasks[0].title,phases[0].tasks[0].owner_role," +
			"phases[0].tasks[1].id,phases[1].id,phases[1].tasks,phases[2].id,phases[2].tasks[0].id", "task ID a is already used at phases[0].tasks[0]"},
		{"unknown-field.json", "", `unknown field "colour"`},
		{"truncated.json", "", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pharmacy", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePlan(data)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("ParsePlan(%s) = %v, want nil", tt.file, err)
				}
				if p.ID == "" || len(p.Phases) == 0 {
					t.Errorf("ParsePlan(%s) = %+v, want a plan", tt.file, p)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) || !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("ParsePlan(%s) = %v, want Problems wrapping ErrInvalid", tt.file, err)
			}
			if tt.fields != "" && problemFields(ps) != tt.fields {
				t.Errorf("ParsePlan(%s) fields = %s, want %s", tt.file, problemFields(ps), tt.fields)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParsePlan(%s) = %v, want it to contain %q", tt.file, err, tt.msg)
			}
		})
	}
}

func TestParsePlan_Limits(t *testing.T) {
	for name, data := range map[string][]byte{
		"trailing data": []byte(`{"id":"p","version":1,"title":"T","phases":[{"id":"ongoing","title":"x","tasks":[{"id":"a","title":"b","owner_role":"c"}]}]} {}`),
		"too large":     []byte(`{"id":"` + strings.Repeat("x", MaxPlanSize) + `"}`),
		"empty":         nil,
		"array":         []byte(`[]`),
	} {
		if _, err := ParsePlan(data); !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("ParsePlan(%s) = %v, want ErrInvalid", name, err)
		}
	}
}

// The built-in plan must parse and cover all three phases.
func TestParsePlan_Embedded(t *testing.T) {
	files, err := fs.Glob(assets.Plans, "plans/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("assets.Plans holds %v, %v, want plan files", files, err)
	}
	for _, f := range files {
		data, _ := fs.ReadFile(assets.Plans, f)
		p, err := ParsePlan(data)
		if err != nil {
			t.Errorf("ParsePlan(%s) = %v, want nil", f, err)
			continue
		}
		var phases []string
		for _, ph := range p.Phases {
			phases = append(phases, ph.ID)
		}
		if !reflect.DeepEqual(phases, PlanPhases) {
			t.Errorf("ParsePlan(%s) phases = %v, want %v", f, phases, PlanPhases)
		}
	}
}

func TestProgress(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "pharmacy", "valid.json"))
	p, err := ParsePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	done := []PharmacyTaskDone{
		{PlanID: p.ID, TaskID: "switch-to-paper"},
		{PlanID: p.ID, TaskID: "secure-cd-keys"},
		{PlanID: p.ID, TaskID: "secure-cd-keys"}, // ticked twice
		{PlanID: p.ID, TaskID: "weekly-cd-audit"},
		{PlanID: p.ID, TaskID: "no-such-task"},
		{PlanID: "other-plan", TaskID: "declare-downtime"},
	}
	got := Progress(p, done)
	want := []struct {
		id          string
		done, total int
	}{{PhaseFirstHour, 2, 6}, {PhaseFirstDay, 0, 7}, {PhaseOngoing, 1, 5}}
	if len(got) != len(want) {
		t.Fatalf("Progress() = %d phases, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.PhaseID != w.id || g.Done != w.done || g.Total != w.total || len(g.Open) != w.total-w.done {
			t.Errorf("Progress()[%d] = %s %d/%d (%d open), want %s %d/%d", i, g.PhaseID, g.Done, g.Total, len(g.Open), w.id, w.done, w.total)
		}
	}
	if got[0].Open[0].ID != "declare-downtime" {
		t.Errorf("Progress()[0].Open[0] = %s, want declare-downtime (plan order)", got[0].Open[0].ID)
	}
}

func TestPharmacySupply_Validate(t *testing.T) {
	ok := PharmacySupply{ID: "s1", PatientID: "p1", Drug: "Apixaban 5 mg tablets", Quantity: Units(56), Unit: "tablets",
		Ward: "w7", SuppliedBy: "u-pharm", CheckedBy: "u-tech"}
	tests := []struct {
		name string
		edit func(*PharmacySupply)
		want string
	}{
		{"ok", nil, ""},
		{"no second check", func(s *PharmacySupply) { s.CheckedBy = "" }, "checked_by~"},
		{"self-checked", func(s *PharmacySupply) { s.CheckedBy = " U-PHARM" }, "checked_by~"},
		{"zero quantity", func(s *PharmacySupply) { s.Quantity = 0 }, "quantity"},
		{"empty", func(s *PharmacySupply) { *s = PharmacySupply{} }, "id,patient_id,drug,quantity,unit,ward,supplied_by,checked_by~"},
	}
	for _, tt := range tests {
		s := ok
		if tt.edit != nil {
			tt.edit(&s)
		}
		if got := problemList(s.Validate()); got != tt.want {
			t.Errorf("Validate(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
	b, _ := json.Marshal(ok)
	if !strings.Contains(string(b), `"quantity":"56"`) {
		t.Errorf("json.Marshal(supply) = %s, want quantity as a decimal string", b)
	}
}

func FuzzParsePlan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pharmacy", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("ParsePlan error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if ps := p.Validate(); len(ps) != 0 {
			t.Fatalf("ParsePlan accepted a plan with problems: %v", ps)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePlan(b)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("ParsePlan(json.Marshal(p)) = %+v, %v, want %+v", q, err, p)
		}
	})
}
