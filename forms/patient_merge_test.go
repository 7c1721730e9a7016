package forms

import (
	"strings"
	"testing"
)

func TestMergeProblems_Cases(t *testing.T) {
	known := Patient{ID: "k", NHSNumber: "9434765919", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04"}
	temp := Patient{ID: "t", TempID: "DT-A-1", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04"}
	with := func(p Patient, edit func(p *Patient)) Patient { edit(&p); return p }
	tests := []struct {
		name             string
		survivor, merged Patient
		nhs              string
		want             []string // fields with a problem, in order
		says             string   // part of the first message
	}{
		{"temp onto known", known, temp, "9434765919", nil, ""},
		{"temp onto known, number typed with spaces", known, temp, "943 476 5919", nil, ""},
		{"temp onto known, no number given", known, temp, "", nil, ""},
		{"same NHS on both (split registration)", known, with(temp, func(p *Patient) { p.NHSNumber = "9434765919"; p.TempID = "" }), "", nil, ""},
		{"misspelt name still one person", known, with(temp, func(p *Patient) { p.Surname = "Smyth" }), "", nil, ""},
		{"names entered swapped", known, with(temp, func(p *Patient) { p.Surname = "Richard"; p.Given = "Smith" }), "", nil, ""},
		{"different date of birth", known, with(temp, func(p *Patient) { p.BirthDate = "1957-04-03" }), "9434765919",
			[]string{"birth_date"}, "check identity"},
		{"different names", known, with(temp, func(p *Patient) { p.Surname = "Jones"; p.Given = "Mary" }), "", []string{"surname"}, "check identity"},
		{"two different NHS numbers", known, with(temp, func(p *Patient) { p.NHSNumber = "4010232137" }), "", []string{"nhs_number"}, "two people"},
		{"survivor holds another number", known, temp, "4010232137", []string{"nhs_number"}, "already has NHS number"},
		{"invalid number", known, temp, "9434765918", []string{"nhs_number"}, "not valid"},
		{"same record", known, known, "", []string{"merged_id"}, "two different"},
		{"no survivor", Patient{}, temp, "", []string{"merged_id"}, "two different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := MergeProblems(tt.survivor, tt.merged, tt.nhs)
			var fields []string
			for _, p := range ps {
				fields = append(fields, p.Field)
				if p.Soft {
					t.Errorf("problem %q is soft; every merge problem must stop the merge", p.Message)
				}
			}
			if strings.Join(fields, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("MergeProblems fields = %v, want %v (%v)", fields, tt.want, ps)
			}
			if tt.says != "" && !strings.Contains(ps[0].Message, tt.says) {
				t.Errorf("message %q does not say %q", ps[0].Message, tt.says)
			}
		})
	}
}

func TestPatientMerge_Validate(t *testing.T) {
	ok := PatientMerge{SurvivorID: "a", MergedID: "b", NHSNumber: "9434765919", Reason: "same person"}
	tests := []struct {
		name string
		m    PatientMerge
		want string
	}{
		{"valid", ok, ""},
		{"no merged", PatientMerge{SurvivorID: "a", Reason: "x"}, "merged_id"},
		{"self", PatientMerge{SurvivorID: "a", MergedID: "a", Reason: "x"}, "merged_id"},
		{"no reason", PatientMerge{SurvivorID: "a", MergedID: "b", Reason: "  "}, "reason"},
		{"long reason", PatientMerge{SurvivorID: "a", MergedID: "b", Reason: strings.Repeat("x", 501)}, "reason"},
		{"reason at limit", PatientMerge{SurvivorID: "a", MergedID: "b", Reason: strings.Repeat("x", 500)}, ""},
		{"bad NHS", PatientMerge{SurvivorID: "a", MergedID: "b", Reason: "x", NHSNumber: "123"}, "nhs_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.m.Validate()
			got := ""
			if len(ps) > 0 {
				got = ps[0].Field
			}
			if got != tt.want {
				t.Errorf("Validate() = %v, want field %q", ps, tt.want)
			}
		})
	}
}

func TestSharedNHSNumbers(t *testing.T) {
	a := Patient{ID: "a", NHSNumber: "9434765919"}
	b := Patient{ID: "b", NHSNumber: "943 476 5919"}
	c := Patient{ID: "c", NHSNumber: "4010232137"}
	d := Patient{ID: "d", TempID: "DT-A-1"}
	e := Patient{ID: "e", NHSNumber: "9434765918"} // invalid: never grouped
	f := Patient{ID: "f", NHSNumber: "9434765918"}
	got := SharedNHSNumbers([]Patient{a, c, d, b, e, f})
	if len(got) != 1 || len(got["9434765919"]) != 2 || got["9434765919"][0].ID != "a" || got["9434765919"][1].ID != "b" {
		t.Errorf("SharedNHSNumbers = %v, want one group a, b", got)
	}
	if got := SharedNHSNumbers(nil); len(got) != 0 {
		t.Errorf("SharedNHSNumbers(nil) = %v", got)
	}
}

func TestMergeRoots_Cases(t *testing.T) {
	m := func(s, d string) PatientMerge { return PatientMerge{SurvivorID: s, MergedID: d} }
	tests := []struct {
		name   string
		merges []PatientMerge
		want   map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"one", []PatientMerge{m("k", "t")}, map[string]string{"t": "k"}},
		{"chain", []PatientMerge{m("b", "a"), m("c", "b")}, map[string]string{"a": "c", "b": "c"}},
		{"chain other order", []PatientMerge{m("c", "b"), m("b", "a")}, map[string]string{"a": "c", "b": "c"}},
		{"crossed while apart: first wins", []PatientMerge{m("a", "b"), m("b", "a")}, map[string]string{"b": "a"}},
		{"repeat ignored", []PatientMerge{m("k", "t"), m("k", "t")}, map[string]string{"t": "k"}},
		{"two into one", []PatientMerge{m("k", "t1"), m("k", "t2")}, map[string]string{"t1": "k", "t2": "k"}},
		{"survivor merged later", []PatientMerge{m("k", "t"), m("z", "k")}, map[string]string{"t": "z", "k": "z"}},
		{"empty IDs skipped", []PatientMerge{m("", "t"), m("k", "")}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeRoots(tt.merges)
			if len(got) != len(tt.want) {
				t.Fatalf("MergeRoots = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("MergeRoots[%s] = %q, want %q (all %v)", k, got[k], v, got)
				}
			}
		})
	}
}
