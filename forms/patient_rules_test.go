package forms

import (
	"strings"
	"testing"
	"time"
)

// clinicNow is a fixed clock for rules that need "now".
var clinicNow = time.Date(2025, time.June, 15, 10, 30, 0, 0, time.UTC)

func validPatient() Patient {
	return Patient{ID: "p1", NHSNumber: "9434765919", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04"}
}

func TestValidatePatient_Cases(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(p *Patient)
		fields []string // fields with problems, in order
		soft   []bool
		msg    string // a message that must appear
	}{
		{"valid", func(p *Patient) {}, nil, nil, ""},
		{"valid spaced NHS number", func(p *Patient) { p.NHSNumber = "943 476 5919" }, nil, nil, ""},
		{"temp id instead of NHS number", func(p *Patient) { p.NHSNumber = ""; p.TempID = "DT-K3XQ7ZPA-3" }, nil, nil, ""},
		{"both NHS number and temp id", func(p *Patient) { p.TempID = "DT-K3XQ7ZPA-3" }, nil, nil, ""},
		{"born today", func(p *Patient) { p.BirthDate = "2025-06-15" }, nil, nil, ""},
		{"exactly 130 years", func(p *Patient) { p.BirthDate = "1895-06-15" }, nil, nil, ""},
		{"missing surname", func(p *Patient) { p.Surname = "  " }, []string{"surname"}, []bool{false}, "Surname is required"},
		{"missing given", func(p *Patient) { p.Given = "" }, []string{"given"}, []bool{false}, "First name is required"},
		{"long surname", func(p *Patient) { p.Surname = strings.Repeat("a", 101) }, []string{"surname"}, []bool{false}, "at most 100"},
		{"control character", func(p *Patient) { p.Given = "Ri\x00chard" }, []string{"given"}, []bool{false}, "control characters"},
		{"missing dob", func(p *Patient) { p.BirthDate = "" }, []string{"birth_date"}, []bool{false}, "Date of birth is required"},
		{"dob wrong format", func(p *Patient) { p.BirthDate = "04/03/1957" }, []string{"birth_date"}, []bool{false}, "YYYY-MM-DD"},
		{"dob impossible day", func(p *Patient) { p.BirthDate = "1957-02-30" }, []string{"birth_date"}, []bool{false}, "real date"},
		{"dob tomorrow", func(p *Patient) { p.BirthDate = "2025-06-16" }, []string{"birth_date"}, []bool{false}, "Date of birth 16-Jun-2025 is in the future"},
		{"dob over 130 years", func(p *Patient) { p.BirthDate = "1895-06-14" }, []string{"birth_date"}, []bool{false}, "more than 130 years ago"},
		{"bad check digit", func(p *Patient) { p.NHSNumber = "9434765918" }, []string{"nhs_number"}, []bool{false}, "NHS number 943 476 5918 fails its check digit: please re-check it"},
		{"short NHS number", func(p *Patient) { p.NHSNumber = "943476" }, []string{"nhs_number"}, []bool{false}, "NHS number must have 10 digits"},
		{"test range NHS number", func(p *Patient) { p.NHSNumber = "9990000018" }, []string{"nhs_number"}, []bool{true}, "test range"},
		{"no NHS number no temp id", func(p *Patient) { p.NHSNumber = "" }, []string{"temp_id"}, []bool{false}, "temporary downtime ID"},
		{"bad temp id", func(p *Patient) { p.NHSNumber = ""; p.TempID = "DT-3" }, []string{"temp_id"}, []bool{false}, "DT-<device>-<number>"},
		{"everything missing", func(p *Patient) { *p = Patient{} },
			[]string{"surname", "given", "birth_date", "temp_id"}, []bool{false, false, false, false}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPatient()
			tt.edit(&p)
			ps := ValidatePatient(p, clinicNow)
			var fields []string
			var soft []bool
			for _, x := range ps {
				fields = append(fields, x.Field)
				soft = append(soft, x.Soft)
			}
			if strings.Join(fields, ",") != strings.Join(tt.fields, ",") || len(soft) != len(tt.soft) {
				t.Fatalf("ValidatePatient(%+v) = %v, want problems on %v", p, ps, tt.fields)
			}
			for i := range soft {
				if soft[i] != tt.soft[i] {
					t.Errorf("ValidatePatient(%+v)[%d].Soft = %v, want %v", p, i, soft[i], tt.soft[i])
				}
			}
			if tt.msg != "" && !strings.Contains(ps.Error(), tt.msg) {
				t.Errorf("ValidatePatient(%+v) = %q, want a message containing %q", p, ps.Error(), tt.msg)
			}
			if strings.Contains(ps.Error(), ": invalid") {
				t.Errorf("ValidatePatient(%+v) = %q, want plain words without the error kind", p, ps.Error())
			}
		})
	}
}

func TestValidatePatient_NowLocation(t *testing.T) {
	// 00:30 on 16 June in London is still 15 June in UTC: the date of
	// birth is judged by the ward's calendar, which is now's location.
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2025, time.June, 16, 0, 30, 0, 0, london)
	p := validPatient()
	p.BirthDate = "2025-06-16"
	if ps := ValidatePatient(p, now); len(ps) != 0 {
		t.Errorf("ValidatePatient(born %s, now %v) = %v, want none", p.BirthDate, now, ps)
	}
}

func TestNormalizePatient_Cases(t *testing.T) {
	in := Patient{ID: "p1", NHSNumber: " 943-476-5919 ", TempID: " dt-ab12-3", Surname: " Smith ", Given: "Richard ", BirthDate: " 1957-03-04"}
	want := Patient{ID: "p1", NHSNumber: "9434765919", TempID: "DT-AB12-3", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04"}
	if got := NormalizePatient(in); got != want {
		t.Errorf("NormalizePatient(%+v) = %+v, want %+v", in, got, want)
	}
	bad := Patient{NHSNumber: "943 476 5918"}
	if got := NormalizePatient(bad); got.NHSNumber != "943 476 5918" {
		t.Errorf("NormalizePatient(%+v).NHSNumber = %q, want it unchanged", bad, got.NHSNumber)
	}
}

func TestFormatBirthDate_Cases(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1957-03-04", "04-Mar-1957"},
		{"2000-12-31", "31-Dec-2000"},
		{"2024-02-29", "29-Feb-2024"},
		{"2023-02-29", "2023-02-29"},
		{"", ""},
		{"04/03/1957", "04/03/1957"},
	}
	for _, tt := range tests {
		if got := FormatBirthDate(tt.in); got != tt.want {
			t.Errorf("FormatBirthDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDisplayName_Cases(t *testing.T) {
	tests := []struct {
		p    Patient
		want string
	}{
		{Patient{Surname: "Smith", Given: "Richard"}, "SMITH, Richard"},
		{Patient{Surname: " o'brien ", Given: " Siobhán "}, "O'BRIEN, Siobhán"},
		{Patient{Surname: "Müller-Lüdenscheidt", Given: "Jörg"}, "MÜLLER-LÜDENSCHEIDT, Jörg"},
		{Patient{Surname: "Smith"}, "SMITH"},
		{Patient{Given: "Richard"}, "Richard"},
		{Patient{}, ""},
	}
	for _, tt := range tests {
		if got := DisplayName(tt.p); got != tt.want {
			t.Errorf("DisplayName(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestPatientIdentifier_Cases(t *testing.T) {
	tests := []struct {
		p    Patient
		want string
	}{
		{Patient{NHSNumber: "9434765919"}, "943 476 5919"},
		{Patient{NHSNumber: "9434765919", TempID: "DT-A-1"}, "943 476 5919"},
		{Patient{TempID: "DT-A-1"}, "DT-A-1"},
		{Patient{NHSNumber: "12"}, "12"},
		{Patient{}, ""},
	}
	for _, tt := range tests {
		if got := PatientIdentifier(tt.p); got != tt.want {
			t.Errorf("PatientIdentifier(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
