package reconcile

import (
	"errors"
	"strings"
	"testing"
)

// TestParseCensusCSV_Strict: every case was accepted (or half-reported)
// before #17. want lists every message the file must give; wantAbsent,
// messages it must not.
func TestParseCensusCSV_Strict(t *testing.T) {
	const head = "nhs_number,surname,given,birth_date,ward,bed\n"
	tests := []struct {
		name       string
		in         string
		want       []string // "" alone: accepted
		wantAbsent []string
	}{
		{"UTF-8 with a BOM", "\ufeff" + head + "9990000018,Zoë,Ann,1948-02-11,w7,b1\n", []string{""}, nil},
		{"UTF-8", head + "9990000018,Zoë,Ann,1948-02-11,w7,b1\n", []string{""}, nil},
		{"Latin-1 ë names the first bad line", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000026,Zo\xeb,Ann,1948-02-11,w7,b2\n",
			[]string{"line 3: is not UTF-8 text (byte 0xEB; Latin-1 or Windows-1252?): save the file as UTF-8"}, nil},
		{"Windows-1252 quote", head + "9990000018,O\x92Neill,Ann,1948-02-11,w7,b1\n", []string{"line 2: is not UTF-8 text (byte 0x92"}, nil},
		{"Latin-1 in the header", "nhs_number,surname,given,birth_date,\xe9\n", []string{"line 1: is not UTF-8 text"}, nil},
		{"UTF-16", "\xff\xfen\x00h\x00", []string{"the file is UTF-16"}, nil},
		{"too many columns", head + "9990000018,Smith,Ann,1948-02-11,w7,b1,extra\n", []string{"line 2: has 7 columns, the header has 6"}, nil},
		{"too few columns", head + "9990000018,Smith,Ann,1948-02-11,w7\n", []string{"line 2: has 5 columns, the header has 6"}, nil},
		{"columns counted on every line", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000026,Jones\n9990000034,Brown,Ann,1948-02-11,w7,b3,,\n",
			[]string{"line 3: has 2 columns", "line 4: has 8 columns"}, nil},
		{"birth date in 2099", head + "9990000018,Smith,Ann,2099-01-01,w7,b1\n", []string{"line 2: birth_date 2099-01-01 is after the census date (2026-11-21)"}, nil},
		{"birth date the day after the census", head + "9990000018,Smith,Ann,2026-11-22,w7,b1\n", []string{"line 2: birth_date 2026-11-22 is after the census date"}, nil},
		{"born on the census day", head + "9990000018,Smith,Baby,2026-11-21,w7,b1\n", []string{""}, nil},
		{"birth date 1879", head + "9990000018,Smith,Ann,1879-12-31,w7,b1\n", []string{"line 2: birth_date 1879-12-31 is before 1880"}, nil},
		{"birth date 1880", head + "9990000018,Smith,Ann,1880-01-01,w7,b1\n", []string{""}, nil},
		{"two patients in one bed", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000026,Jones,Bob,1950-01-01,w7,b2\n9990000034,Brown,Cy,1950-01-01,W7,B1\n",
			[]string{"line 4: bed B1 on ward W7 is also given to line 2: two patients in one bed"}, nil},
		{"same bed on two wards", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000026,Jones,Bob,1950-01-01,w8,b1\n", []string{""}, nil},
		{"one patient on two rows in one bed", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000018,,,,,\n", []string{""}, nil},
		{"header only", head, []string{"line 1: the file has a header but no patients"}, nil},
		{"header and blank lines", head + "\n,,,,,\n", []string{"line 1: the file has a header but no patients"}, nil},
		{"bad NHS number hides nothing", head + "943 476 5918,,Ann,2099-01-01,,b1\n",
			[]string{"line 2: NHS number 943 476 5918 fails its check digit", "line 2: surname is empty", "line 2: birth_date 2099-01-01 is after",
				"line 2: bed is given but ward is empty"}, nil},
		{"two bad NHS numbers are two patients", head + "943 476 5918,Smith,Ann,1948-02-11,w7,b1\n943 476 5918,Jones,Bob,1950-01-01,w7,b2\n",
			[]string{"line 2: NHS number", "line 3: NHS number"}, []string{"differs from"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCensusCSV(strings.NewReader(tt.in), "t.csv", asOf)
			if tt.want[0] == "" {
				if err != nil {
					t.Fatalf("ParseCensusCSV = %v, want accepted", err)
				}
				if strings.Contains(tt.in, "Zoë") && c.Patients[0].Surname != "Zoë" {
					t.Errorf("surname = %q, want Zoë", c.Patients[0].Surname)
				}
				return
			}
			var ie *ImportError
			if !errors.As(err, &ie) || len(c.Patients) != 0 {
				t.Fatalf("ParseCensusCSV = %d patients, %v; want none and an *ImportError", len(c.Patients), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			for _, w := range tt.wantAbsent {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error says %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "\uFFFD") {
				t.Errorf("error holds a replacement character:\n%s", err)
			}
		})
	}
}
