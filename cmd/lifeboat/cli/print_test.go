package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/store"
	"lifeboat/sync/reconcile/paper"
	"lifeboat/sync/reconcile/paper/papertest"
)

// demoIn is what a command on the demo store reads from stdin: the
// passphrase, then Nia Nurse's PIN.
const demoIn = DemoPassphrase + "\n" + DemoNursePIN + "\n"

func mustDemo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := SeedDemo(t.Context(), filepath.Join(dir, StoreFile), store.TestKDF, time.Now()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func auditCount(t *testing.T, dir string) int {
	t.Helper()
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
	defer db.Close()
	es, err := db.AuditLog(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == "data.exported" && strings.HasPrefix(e.Detail, "printed ") {
			n++
		}
	}
	return n
}

// demoPatientsByID reads the demo store's site and patients.
func demoPatientsByID(t *testing.T, dir string) (store.SiteInfo, map[string]store.PatientView) {
	t.Helper()
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
	defer db.Close()
	site, err := db.Site(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]store.PatientView{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return site, m
}

func TestPrint_EveryDocumentOfTheDemoWard(t *testing.T) {
	papertest.MustHaveTools(t)
	dir := mustDemo(t)
	site, patients := demoPatientsByID(t, dir)
	out := t.TempDir()
	for _, doc := range printDocs {
		t.Run(doc, func(t *testing.T) {
			file := filepath.Join(out, doc+".pdf")
			msg, err := run(t, dir, demoIn, "print", doc, "--out", file, "--user", "Nia Nurse")
			if err != nil || !strings.Contains(msg, "Wrote "+file) {
				t.Fatalf("print %s = %q, %v", doc, msg, err)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "%PDF-") {
				t.Fatalf("%s is not a PDF", file)
			}
			if doc == paper.DocMAR || doc == paper.DocObs || doc == paper.DocBlankMAR {
				// Every page is checked in package paper, and here in the
				// patient printout (the MAR and chart together): rendering
				// 18 more pages each adds little but time.
				return
			}
			pages := 0
			for _, r := range papertest.CheckFile(t, b) {
				pages++
				if !strings.Contains(r.Text, "Ward 7 - Acute Medicine") {
					t.Errorf("page %d does not name the ward", pages)
				}
				wantDoc := doc
				if doc == "patient" && (r.Label.Doc == paper.DocMAR || r.Label.Doc == paper.DocObs) {
					wantDoc = r.Label.Doc
				}
				if r.Label.Doc != wantDoc || r.Label.Site != site.SiteID {
					t.Errorf("page %d QR code %q, want document %s of site %s", pages, r.QR, wantDoc, site.SiteID)
				}
				if strings.HasPrefix(r.Label.Subject, "ward:") {
					continue
				}
				p, ok := patients[r.Label.Subject]
				if !ok {
					t.Errorf("page %d QR code %q names no patient on the demo ward", pages, r.QR)
					continue
				}
				for _, id := range papertest.PatientIdentifiers(p.Patient) {
					if !strings.Contains(r.Text, id) {
						t.Errorf("page %d (%s) does not show %q", pages, r.QR, id)
					}
				}
			}
			switch doc {
			case paper.DocWard, paper.DocBeds:
				if pages != 1 {
					t.Errorf("%s took %d pages, want 1", doc, pages)
				}
			default:
				if pages < len(demoPatients) {
					t.Errorf("%s has %d pages for %d patients", doc, pages, len(demoPatients))
				}
			}
		})
	}
	if n := auditCount(t, dir); n != len(printDocs) {
		t.Errorf("audit log has %d print records, want %d", n, len(printDocs))
	}
}

func TestPrint_OnePatient(t *testing.T) {
	papertest.MustHaveTools(t)
	dir := mustDemo(t)
	file := filepath.Join(t.TempDir(), "okafor.pdf")
	nhs := demoNHS(0)
	if msg, err := run(t, dir, demoIn, "print", "patient", "--patient", nhs[:3]+" "+nhs[3:6]+" "+nhs[6:], "--out", file, "--user", "Nia Nurse"); err != nil {
		t.Fatalf("print patient = %q, %v", msg, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rs := papertest.CheckFile(t, b)
	if len(rs) != 2 {
		t.Errorf("one patient's MAR and chart took %d pages, want 2", len(rs))
	}
	for i, r := range rs {
		if !strings.Contains(r.Text, "OKAFOR") {
			t.Errorf("page %d is not Grace Okafor's", i+1)
		}
	}
}

func TestPrint_BadInputWritesNothing(t *testing.T) {
	dir := mustDemo(t)
	out := t.TempDir()
	file := filepath.Join(out, "x.pdf")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no document", []string{"print", "--out", file, "--user", "Nia Nurse"}, "say what to print"},
		{"unknown document", []string{"print", "drugs", "--out", file, "--user", "Nia Nurse"}, "say what to print: one of ward"},
		{"no out", []string{"print", "ward", "--user", "Nia Nurse"}, "--out FILE.pdf"},
		{"no folder", []string{"print", "ward", "--out", filepath.Join(out, "nope", "x.pdf"), "--user", "Nia Nurse"}, "no folder"},
		{"nobody", []string{"print", "ward", "--out", file}, "--user"},
		{"unknown person", []string{"print", "ward", "--out", file, "--user", "Zed"}, `nobody called "Zed"`},
		{"unknown patient", []string{"print", "mar", "--patient", "999 999 9999", "--out", file, "--user", "Nia Nurse"}, `no patient with ID, NHS number or temporary ID "999 999 9999"`},
		{"patient on ward list", []string{"print", "ward", "--patient", "x", "--out", file, "--user", "Nia Nurse"}, "--patient is for"},
		{"unknown ward", []string{"print", "beds", "--ward", "w99", "--out", file, "--user", "Nia Nurse"}, `no ward "w99": choose one of w7`},
		{"unknown flag", []string{"print", "ward", "--pdf", file}, "unknown flag: --pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := run(t, dir, demoIn, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (out %q), want it to say %q", err, msg, tt.want)
			}
		})
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("failed prints left %d files in the folder", len(left))
	}
	if n := auditCount(t, dir); n != 0 {
		t.Errorf("failed prints left %d audit records", n)
	}
}

func TestPrint_Help(t *testing.T) {
	out, err := run(t, t.TempDir(), "", "print", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"blank-obs", "--patient", "--out", "lifeboat print ward --out", "QR code"} {
		if !strings.Contains(out, want) {
			t.Errorf("print --help does not mention %q", want)
		}
	}
}
