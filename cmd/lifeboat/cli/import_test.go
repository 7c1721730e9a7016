package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/forms"
)

// admittedWards maps each admitted patient's bed to its ward, read from
// the store in dir.
func admittedWards(t *testing.T, dir string) map[string]string {
	t.Helper()
	evs := storeEvents(t, dir)
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
		{"--ward the census names", []string{"--ward", "w9"}, "w9"},
		{"--ward by the site's name", []string{"--ward", "ward 7"}, "Ward 7"},
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

// TestImportCommand_UnknownWardRefused: a --ward neither the site nor the
// census knows is refused, naming the wards that are, and nothing is
// recorded. Before, "w3" was taken as written and the bed went on a ward
// no device shows.
func TestImportCommand_UnknownWardRefused(t *testing.T) {
	dir := mustInit(t)
	out, err := run(t, dir, adminIn, "import", reconTestdata+"census-beds.json", "--user", "Ada Admin", "--ward", "w3")
	if err == nil {
		t.Fatalf("import --ward w3 worked:\n%s", out)
	}
	for _, want := range []string{"--ward w3: no ward of that ID or name", "Ward 7, w9", "nothing was imported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if beds := admittedWards(t, dir); len(beds) != 0 {
		t.Errorf("refused import admitted %v", beds)
	}
}

// TestImportCommand_StrictCSV: lifeboat import refuses each of these CSV
// files, naming the line, and a refused file records nothing (no patient
// and no census.imported, so "patient data as of" does not move). Each was
// imported before #17.
func TestImportCommand_StrictCSV(t *testing.T) {
	dir := mustInit(t)
	const head = "nhs_number,surname,given,birth_date,ward,bed\n"
	tests := []struct{ name, csv, want string }{
		{"Latin-1", head + "9990000018,Zo\xeb,Ann,1948-02-11,w7,b1\n", "line 2: is not UTF-8 text (byte 0xEB"},
		{"too many columns", head + "9990000018,Smith,Ann,1948-02-11,w7,b1,x\n", "line 2: has 7 columns, the header has 6"},
		{"too few columns", head + "9990000018,Smith,Ann,1948-02-11\n", "line 2: has 4 columns, the header has 6"},
		{"born 2099", head + "9990000018,Smith,Ann,2099-01-01,w7,b1\n", "line 2: birth_date 2099-01-01 is after the census date"},
		{"born 1879", head + "9990000018,Smith,Ann,1879-01-01,w7,b1\n", "line 2: birth_date 1879-01-01 is before 1880"},
		{"two in one bed", head + "9990000018,Smith,Ann,1948-02-11,w7,b1\n9990000026,Jones,Bob,1950-01-01,w7,b1\n", "line 3: bed b1 on ward w7 is also given to line 2"},
		{"header only", head, "line 1: the file has a header but no patients"},
		{"bad NHS number and more", head + "943 476 5918,,Ann,1948-02-11,w7,b1\n", "line 2: surname is empty"},
	}
	before := eventCount(t, dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "census.csv")
			if err := os.WriteFile(file, []byte(tt.csv), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, dir, adminIn, "import", file, "--as-of", "2026-11-20 06:00", "--user", "Ada Admin")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing imported") {
				t.Fatalf("import = %v (out %q), want it refused saying %q", err, out, tt.want)
			}
		})
	}
	if n := eventCount(t, dir); n != before {
		t.Errorf("refused imports recorded %d events, want none", n-before)
	}
	// A UTF-8 file with a BOM imports, and Zoë stays Zoë.
	file := filepath.Join(t.TempDir(), "census.csv")
	if err := os.WriteFile(file, []byte("\ufeff"+head+"9990000018,Zoë,Ann,1948-02-11,w7,b1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, dir, adminIn, "import", file, "--as-of", "2026-11-20 06:00", "--user", "Ada Admin"); err != nil || !strings.Contains(out, "1 patients (1 new") {
		t.Fatalf("import UTF-8 with BOM = %q, %v", out, err)
	}
	if got := registeredSurnames(t, dir); len(got) != 1 || got[0] != "Zoë" {
		t.Errorf("registered surnames = %q, want Zoë", got)
	}
}

// registeredSurnames lists the surnames of the patients registered in
// the store in dir.
func registeredSurnames(t *testing.T, dir string) []string {
	t.Helper()
	evs := storeEvents(t, dir)
	var names []string
	for _, e := range evs {
		if e.Kind != forms.KindPatientRegistered {
			continue
		}
		var p forms.Patient
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		names = append(names, p.Surname)
	}
	return names
}

// TestImportCommand_Progress: lifeboat import of a big census says on
// stderr how many rows it has read and what it writes; stdout keeps only
// the summary. Before #17 it printed nothing until the end.
func TestImportCommand_Progress(t *testing.T) {
	file := writeBigCensus(t, 12_000)
	dir := mustInit(t)
	out, errOut, err := runTB(t, dir, adminIn, "import", file, "--as-of", "2026-11-20 06:00", "--user", "Ada Admin")
	if err != nil {
		t.Fatalf("import = %v\n%s", err, errOut)
	}
	for _, want := range []string{"Read 5000 of 12000 rows\n", "Read 10000 of 12000 rows\n", "Read 12000 of 12000 rows\n",
		"Writing ", " records in one transaction (all or nothing)...\n", "Wrote "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "2400 patients (2400 new") || strings.Contains(out, "Read ") {
		t.Errorf("stdout = %q, want the summary alone", out)
	}
	// A small census prints no progress.
	dir = mustInit(t)
	if _, errOut, err := runTB(t, dir, adminIn, "import", reconTestdata+"census-good.csv", "--as-of", "2026-11-20 06:00", "--user", "Ada Admin"); err != nil || errOut != "" {
		t.Errorf("small import stderr = %q, %v; want nothing", errOut, err)
	}
}

// TestRowProgress: a progress line every 5000 rows or every second,
// whichever comes first, and at the end; none for a census of 5000 rows
// or fewer.
func TestRowProgress(t *testing.T) {
	tests := []struct {
		name  string
		total int
		calls []int // rows read at each call, one second apart when slow
		slow  bool
		want  []int
	}{
		{"small census", 5000, []int{1000, 2000, 3000, 4000, 5000}, true, nil},
		{"fast", 12000, []int{1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000}, false, []int{5000, 10000, 12000}},
		{"slow: every second", 8000, []int{1000, 2000, 3000, 8000}, true, []int{1000, 2000, 3000, 8000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
			p := rowProgress(&buf, func() time.Time { return now })
			for _, read := range tt.calls {
				if tt.slow {
					now = now.Add(time.Second)
				}
				p(read, tt.total)
			}
			var want strings.Builder
			for _, n := range tt.want {
				fmt.Fprintf(&want, "Read %d of %d rows\n", n, tt.total)
			}
			if buf.String() != want.String() {
				t.Errorf("progress = %q, want %q", buf.String(), want.String())
			}
		})
	}
}
