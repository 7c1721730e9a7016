package forms

import (
	"strings"
	"testing"
)

// FuzzAllergyWarnings checks that matching an allergy (typed, or imported
// from a hospital record) against a drug name never panics, that a valid
// substance always warns against a drug named after it (alone, or with a
// strength after it), and that an inactive allergy never warns.
func FuzzAllergyWarnings(f *testing.F) {
	for _, s := range [][2]string{
		{"Penicillin", "Penicillin V 250 mg"}, {"Co-trimoxazole", "Cotrimoxazole"}, {"", ""}, {"-", "-"},
		{"s", "s"}, {"Ibuprofène", "IBUPROFÈNE"}, {"Penicillin\u00a0V", "x"}, {"\xff\xfe", "\xff"}, {"ǅ", "ǆ"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, substance, drug string) {
		a := Allergy{ID: "a", PatientID: "p", Substance: substance, Status: AllergyActive, Source: SourceEntered}
		l := AllergyList{Allergies: []Allergy{a}}
		ws := AllergyWarnings(l, MedicationOrder{Drug: drug})
		if len(ws) > 1 || len(ws) == 1 && ws[0].Code != WarnAllergy {
			t.Fatalf("AllergyWarnings(%q, %q) = %v", substance, drug, ws)
		}
		if a.Validate().HasHard() {
			return
		}
		for _, named := range []string{substance, substance + " 500 mg tablets", "oral " + strings.ToUpper(substance)} {
			if len(AllergyWarnings(l, MedicationOrder{Drug: named})) != 1 {
				t.Fatalf("allergy to %q does not warn for %q", substance, named)
			}
		}
		l.Allergies[0].Status = AllergyResolved
		if ws := AllergyWarnings(l, MedicationOrder{Drug: substance}); len(ws) != 0 {
			t.Fatalf("resolved allergy to %q warns: %v", substance, ws)
		}
	})
}
