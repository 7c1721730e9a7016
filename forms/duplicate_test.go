package forms

import (
	"testing"
)

func TestDuplicateReason_Cases(t *testing.T) {
	base := Patient{ID: "a", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04", TempID: "DT-A-1"}
	with := func(edit func(p *Patient)) Patient {
		p := Patient{ID: "b", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04", TempID: "DT-B-1"}
		edit(&p)
		return p
	}
	tests := []struct {
		name string
		a, b Patient
		want string
	}{
		{"same name and dob", base, with(func(p *Patient) {}), "same date of birth and similar name"},
		{"case", base, with(func(p *Patient) { p.Surname = "SMITH"; p.Given = "richard" }), "same date of birth and similar name"},
		{"spelling smyth", base, with(func(p *Patient) { p.Surname = "Smyth" }), "same date of birth and similar name"},
		{"typo richrad", base, with(func(p *Patient) { p.Given = "Richrad" }), "same date of birth and similar name"},
		{"initial only", base, with(func(p *Patient) { p.Given = "R" }), "same date of birth and similar name"},
		{"middle name run in", base, with(func(p *Patient) { p.Given = "Richard John" }), "same date of birth and similar name"},
		{"swapped", base, with(func(p *Patient) { p.Surname = "Richard"; p.Given = "Smith" }), "same date of birth and similar name, first name and surname swapped"},
		{"different dob", base, with(func(p *Patient) { p.BirthDate = "1957-03-05" }), ""},
		{"day and month swapped", base, with(func(p *Patient) { p.BirthDate = "1957-04-03" }), "date of birth with day and month swapped and similar name"},
		{"day and month swapped, names swapped", base, with(func(p *Patient) { p.BirthDate = "1957-04-03"; p.Surname = "Richard"; p.Given = "Smith" }),
			"date of birth with day and month swapped and similar name, first name and surname swapped"},
		{"day and month swapped, other year", base, with(func(p *Patient) { p.BirthDate = "1958-04-03" }), ""},
		{"day and month swapped, other name", base, with(func(p *Patient) { p.BirthDate = "1957-04-03"; p.Surname = "Jones" }), ""},
		{"day equals month is the same date", Patient{Surname: "Smith", Given: "Ann", BirthDate: "1990-05-05"},
			Patient{Surname: "Smith", Given: "Ann", BirthDate: "1990-05-05"}, "same date of birth and similar name"},
		{"different surname", base, with(func(p *Patient) { p.Surname = "Jones" }), ""},
		{"different given", base, with(func(p *Patient) { p.Given = "Margaret" }), ""},
		{"empty dob both", Patient{Surname: "Smith", Given: "R"}, Patient{Surname: "Smith", Given: "R"}, ""},
		{"same NHS number different everything", Patient{NHSNumber: "9434765919", Surname: "Smith"},
			Patient{NHSNumber: "943 476 5919", Surname: "Jones", BirthDate: "2001-01-01"}, "same NHS number"},
		{"invalid NHS numbers do not match", Patient{NHSNumber: "9434765918"}, Patient{NHSNumber: "9434765918"}, ""},
		{"same temp id", Patient{TempID: "DT-A-7"}, Patient{TempID: "dt-a-7"}, "same temporary ID"},
		{"accents", Patient{Surname: "Öztürk", Given: "Zoë", BirthDate: "1990-01-01"},
			Patient{Surname: "Ozturk", Given: "Zoe", BirthDate: "1990-01-01"}, "same date of birth and similar name"},
		{"apostrophe and space", Patient{Surname: "O'Brien", Given: "Sean", BirthDate: "1990-01-01"},
			Patient{Surname: "O Brien", Given: "Seán", BirthDate: "1990-01-01"}, "same date of birth and similar name"},
		{"hyphen", Patient{Surname: "Smith-Jones", Given: "Ann", BirthDate: "1990-01-01"},
			Patient{Surname: "Smith Jones", Given: "Ann", BirthDate: "1990-01-01"}, "same date of birth and similar name"},
		{"double barrel part", Patient{Surname: "Smith-Jones", Given: "Ann", BirthDate: "1990-01-01"},
			Patient{Surname: "Smith", Given: "Ann", BirthDate: "1990-01-01"}, "same date of birth and similar name"},
		{"phonetic", Patient{Surname: "Ashcraft", Given: "Catherine", BirthDate: "1990-01-01"},
			Patient{Surname: "Ashcroft", Given: "Kathryn", BirthDate: "1990-01-01"}, "same date of birth and similar name"},
		{"short names differ", Patient{Surname: "Li", Given: "Ann", BirthDate: "1990-01-01"},
			Patient{Surname: "Li", Given: "Ian", BirthDate: "1990-01-01"}, ""},
		{"empty given does not match", Patient{Surname: "Li", BirthDate: "1990-01-01"},
			Patient{Surname: "Li", Given: "Ian", BirthDate: "1990-01-01"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DuplicateReason(tt.a, tt.b); got != tt.want {
				t.Errorf("DuplicateReason(%+v, %+v) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
			if got := DuplicateReason(tt.b, tt.a); got != tt.want {
				t.Errorf("DuplicateReason(%+v, %+v) = %q, want %q (symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestPossibleDuplicates_Cases(t *testing.T) {
	existing := []Patient{
		{ID: "1", Surname: "Smith", Given: "Richard", BirthDate: "1957-03-04", NHSNumber: "9434765919"},
		{ID: "2", Surname: "Smyth", Given: "Rich", BirthDate: "1957-03-04", TempID: "DT-A-1"},
		{ID: "3", Surname: "Smith", Given: "Richard", BirthDate: "1975-03-04", TempID: "DT-A-2"},
		{ID: "4", Surname: "Jones", Given: "Mary", BirthDate: "1980-01-01", NHSNumber: "9990000018"},
		{ID: "5", Surname: "Richard", Given: "Smith", BirthDate: "1957-03-04", TempID: "DT-A-3"},
	}
	tests := []struct {
		name string
		c    Patient
		want []string
	}{
		{"new smith", Patient{Surname: "smith", Given: "Richard", BirthDate: "1957-03-04", TempID: "DT-B-1"}, []string{"1", "2", "5"}},
		{"self excluded", existing[0], []string{"2", "5"}},
		{"by NHS number only", Patient{Surname: "Jonas", Given: "Marie", BirthDate: "1980-10-01", NHSNumber: "999 000 0018"}, []string{"4"}},
		{"nobody", Patient{Surname: "Patel", Given: "Anita", BirthDate: "1957-03-04"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PossibleDuplicates(tt.c, existing)
			var ids []string
			for _, p := range got {
				ids = append(ids, p.ID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("PossibleDuplicates(%+v) = %v, want %v", tt.c, ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Errorf("PossibleDuplicates(%+v) = %v, want %v", tt.c, ids, tt.want)
					break
				}
			}
		})
	}
}

func TestSoundex_Cases(t *testing.T) {
	tests := []struct{ in, want string }{
		{"robert", "R163"},
		{"rupert", "R163"},
		{"rubin", "R150"},
		{"ashcraft", "A261"},
		{"ashcroft", "A261"},
		{"tymczak", "T522"},
		{"pfister", "P236"},
		{"honeyman", "H555"},
		{"a", "A000"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := soundex(tt.in); got != tt.want {
			t.Errorf("soundex(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEditDistance_Cases(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"richard", "richard", 2, 0},
		{"richard", "richrad", 2, 1},
		{"smith", "smyth", 2, 1},
		{"smith", "smiths", 2, 1},
		{"kitten", "sitting", 3, 3},
		{"abc", "xyzabc", 2, 3}, // cut short: more than limit
		{"", "abc", 5, 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}
