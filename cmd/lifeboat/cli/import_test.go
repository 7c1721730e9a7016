package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/forms"
	"lifeboat/store"
)

// admittedWards maps each admitted patient's bed to its ward, read from
// the store in dir.
func admittedWards(t *testing.T, dir string) map[string]string {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), "a long ward passphrase"); err != nil {
		t.Fatal(err)
	}
	evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	beds := map[string]string{}
	for _, e := range evs {
		if e.Kind != forms.KindPatientAdmitted {
			continue
		}
		var a forms.Admission
		if err := json.Unmarshal(e.Payload, &a); err != nil {
			t.Fatal(err)
		}
		beds[a.Bed] = a.Ward
	}
	return beds
}

// TestImportCommand_BedWithNoWard: lifeboat import puts a bed the FHIR
// census names with no ward on --ward, by default the device's own ward,
// follows bed → room → ward, and counts the resource types it ignores.
// Before #17 this census was refused ("has a bed but no ward", and Go
// unmarshal errors for MedicationAdministration and QuestionnaireResponse).
func TestImportCommand_BedWithNoWard(t *testing.T) {
	tests := []struct {
		name     string
		flags    []string
		wantWard string
	}{
		{"device's ward", nil, "Ward 7"},
		{"--ward", []string{"--ward", "w3"}, "w3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mustInit(t)
			args := append([]string{"import", reconTestdata + "census-beds.json", "--user", "Ada Admin"}, tt.flags...)
			out, err := run(t, dir, adminIn, args...)
			if err != nil {
				t.Fatalf("import = %v\n%s", err, out)
			}
			for _, want := range []string{
				"2 patients (2 new",
				"1 patient whose bed the census named with no ward was put on ward " + tt.wantWard + ".",
				"Ignored (not part of a census): 1 Flag, 2 MedicationAdministration, 1 QuestionnaireResponse.",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("import output lacks %q:\n%s", want, out)
				}
			}
			beds := admittedWards(t, dir)
			if beds["b1"] != tt.wantWard || beds["b2"] != "w9" {
				t.Errorf("admitted beds = %v, want b1 on %s and b2 on w9 (its room's ward)", beds, tt.wantWard)
			}
		})
	}
}
