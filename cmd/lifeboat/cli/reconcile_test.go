package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/reconcile"
)

const reconTestdata = "../../../sync/reconcile/testdata/"

// adminIn is what a command that records events reads from stdin: the
// passphrase, then the admin's PIN.
const adminIn = "a long ward passphrase\n2580\n"

func eventCount(t *testing.T, dir string) int {
	t.Helper()
	return len(storeEvents(t, dir))
}

// storeEvents is every event in the store in dir, opened and unlocked
// with the tests' ward passphrase.
func storeEvents(t *testing.T, dir string) []lifeboat.Event {
	t.Helper()
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), "a long ward passphrase")
	defer db.Close()
	evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestImport_CSVAndFHIR(t *testing.T) {
	dir := mustInit(t)
	out, err := run(t, dir, adminIn, "import", reconTestdata+"census-good.csv", "--as-of", "2026-11-20 06:00", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "3 patients (3 new") {
		t.Fatalf("import good CSV = %q, %v", out, err)
	}
	before := eventCount(t, dir)
	// The same census again changes nothing but records the import.
	if out, err = run(t, dir, adminIn, "import", reconTestdata+"census-good.csv", "--as-of", "2026-11-20 06:00", "--user", "Ada Admin"); err != nil || !strings.Contains(out, "(0 new, 0 updated)") {
		t.Fatalf("re-import = %q, %v", out, err)
	}
	if n := eventCount(t, dir); n != before+1 {
		t.Errorf("re-import added %d events, want only the census.imported record", n-before)
	}
	if out, err = run(t, dir, adminIn, "import", reconTestdata+"census-bundle.json", "--user", "Ada Admin"); err != nil || !strings.Contains(out, "Imported census-bundle.json") {
		t.Fatalf("import FHIR bundle = %q, %v", out, err)
	}
}

func TestImport_BadInputLeavesNothing(t *testing.T) {
	dir := mustInit(t)
	before := eventCount(t, dir)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad rows", []string{"import", reconTestdata + "census-bad.csv", "--as-of", "2026-11-20 06:00", "--user", "Ada Admin"}, "line 2: NHS number 943 476 5918 fails its check digit"},
		{"bad bundle", []string{"import", reconTestdata + "census-bundle-bad.json", "--user", "Ada Admin"}, "nothing imported"},
		{"csv without as-of", []string{"import", reconTestdata + "census-good.csv", "--user", "Ada Admin"}, "--as-of"},
		{"as-of in the future", []string{"import", reconTestdata + "census-good.csv", "--as-of", "2099-01-01 00:00", "--user", "Ada Admin"}, "in the future"},
		{"nobody named", []string{"import", reconTestdata + "census-good.csv", "--as-of", "2026-11-20 06:00"}, "--user"},
		{"unknown person", []string{"import", reconTestdata + "census-good.csv", "--as-of", "2026-11-20 06:00", "--user", "Zed"}, `nobody called "Zed"`},
		{"missing file", []string{"import", "nope.csv", "--user", "Ada Admin"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, dir, adminIn, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (out %q), want it to say %q", err, out, tt.want)
			}
		})
	}
	if n := eventCount(t, dir); n != before {
		t.Errorf("failed imports left %d events", n-before)
	}
}

func TestExportAndWorklist(t *testing.T) {
	dir := mustInit(t)
	if out, err := run(t, dir, adminIn, "import", reconTestdata+"census-good.csv", "--as-of", "2026-11-20 06:00", "--user", "Ada Admin"); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	// A downtime record: a new patient registered on the ward.
	db, err := store.Open(t.Context(), filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(t.Context(), "a long ward passphrase"); err != nil {
		t.Fatal(err)
	}
	users, _ := db.Users(t.Context())
	s, err := db.SignIn(t.Context(), users[0].ID, "2580", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(t.Context(), s, storetest.PatientDraft("DOE", "Jane", "1980-05-05", "9990000042", time.Now().Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := filepath.Join(t.TempDir(), "export")
	msg, err := run(t, dir, adminIn, "export", "--out", out, "--ndjson", "--user", "Ada Admin")
	if err != nil || !strings.Contains(msg, "Exported 1 events") {
		t.Fatalf("export = %q, %v", msg, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "bundles.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle reconcile.Bundle
	if err := json.Unmarshal([]byte(strings.Split(string(b), "\n")[0]), &bundle); err != nil || bundle.Type != "transaction" {
		t.Fatalf("first line is not a transaction Bundle: %v %+v", err, bundle.Type)
	}

	msg, err = run(t, dir, "a long ward passphrase\n", "worklist")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(msg)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("worklist CSV = %q, %v; want a header and the one downtime record", msg, err)
	}
	if _, err := run(t, dir, "a long ward passphrase\n", "worklist", "--status", "lost"); err == nil || !strings.Contains(err.Error(), "choose one of pending") {
		t.Errorf("bad --status: %v", err)
	}
	// The same report as a PDF to print; never over an existing file.
	pdf := filepath.Join(t.TempDir(), "left.pdf")
	if msg, err := run(t, dir, "a long ward passphrase\n", "worklist", "--pdf", pdf, "--by", "patient"); err != nil || !strings.Contains(msg, "1 record, 2 pages") {
		t.Fatalf("worklist --pdf = %q, %v", msg, err)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("worklist --pdf wrote %d bytes, %v; want a PDF", len(b), err)
	}
	if _, err := run(t, dir, "a long ward passphrase\n", "worklist", "--pdf", pdf); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("worklist --pdf over an existing file: %v", err)
	}
}

func TestSend_RefusesUnsafeURLs(t *testing.T) {
	dir := mustInit(t)
	for _, tt := range []struct{ url, want string }{
		{"", "--url https://"},
		{"fhir.example.nhs.uk/R4", "--url https://"},
		{"http://fhir.example.nhs.uk/R4", "only over https"},
	} {
		if _, err := run(t, dir, adminIn, "send", "--url", tt.url, "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("send --url %q: %v, want %q", tt.url, err, tt.want)
		}
	}
	// A fresh ward has nothing to send, and says so without calling out.
	out, err := run(t, dir, adminIn, "send", "--url", "https://fhir.invalid/R4", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Nothing to send") {
		t.Errorf("send with nothing to send = %q, %v", out, err)
	}
}

// TestImport_OrdersAllergiesWeightsAndWhatWasLeftOut runs `lifeboat import`
// on a FHIR census with orders as prescribed, allergies and weights: the
// summary counts them and lists every record left out (cancelled and
// entered-in-error orders, a refuted allergy, ...) with why; the same
// census again records nothing new.
func TestImport_OrdersAllergiesWeightsAndWhatWasLeftOut(t *testing.T) {
	dir := mustInit(t)
	out, err := run(t, dir, adminIn, "import", reconTestdata+"census-orders.json", "--user", "Ada Admin")
	if err != nil {
		t.Fatalf("import = %q, %v", out, err)
	}
	for _, want := range []string{
		"5 medicines added, 0 stopped; 3 allergies, 1 no known allergies, 2 weights;",
		"6 records not imported and 2 kept only as text; chart any that matter by hand:",
		"  entry 10: (MedicationRequest/cancelled) not imported: its status is cancelled\n",
		"  entry 15: (AllergyIntolerance/refuted) Latex not imported: its verification status is refuted\n",
		"  entry 6: (MedicationRequest/prn-morphine) has a maximum of 10 mg per 4 h, not per 24 hours: kept as text in its notes, not checked\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	before := eventCount(t, dir)
	if out, err = run(t, dir, adminIn, "import", reconTestdata+"census-orders.json", "--user", "Ada Admin"); err != nil ||
		!strings.Contains(out, "0 medicines added, 0 stopped; 0 allergies, 0 no known allergies, 0 weights; 1 events recorded.") {
		t.Fatalf("re-import = %q, %v", out, err)
	}
	if n := eventCount(t, dir); n != before+1 {
		t.Errorf("re-import added %d events, want only the census.imported record", n-before)
	}
}

// Two records holding one NHS number (registered on devices that were
// apart) are named by `lifeboat worklist` as a merge to make before
// sending, on stderr; one record per number is not.
func TestWorklist_SharedNHSNumberNeedsAMerge(t *testing.T) {
	dir := mustInit(t)
	register := func(surname string) {
		t.Helper()
		db := mustUnlocked(t, filepath.Join(dir, StoreFile), "a long ward passphrase")
		defer db.Close()
		users, _ := db.Users(t.Context())
		s, err := db.SignIn(t.Context(), users[0].ID, "2580", "")
		if err != nil {
			t.Fatal(err)
		}
		// A plain registration, as a peer's arrives: the New arrival
		// screen and command refuse a number already held, but two
		// devices apart cannot know of each other's.
		if _, err := db.Append(t.Context(), s, storetest.PatientDraft(surname, "Jane", "1980-05-05", "9990000042", time.Now().Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	register("DOE")
	msg, err := run(t, dir, "a long ward passphrase\n", "worklist")
	if err != nil || strings.Contains(msg, "MERGE NEEDED") {
		t.Fatalf("worklist with one record per NHS number = %q, %v", msg, err)
	}
	register("DOE-SMITH")
	msg, err = run(t, dir, "a long ward passphrase\n", "worklist")
	if err != nil || !strings.Contains(msg, "MERGE NEEDED: NHS number 999 000 0042 is held by 2 records") {
		t.Fatalf("worklist with two records of one NHS number = %q, %v", msg, err)
	}
}
