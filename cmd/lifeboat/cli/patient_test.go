package cli

import (
	"strings"
	"testing"

	"lifeboat/internal/fhirtest"
	"lifeboat/sync/reconcile"
)

// TestPatientAdd_TempIDDuplicatesAndSameNHS drives lifeboat patient add:
// a new arrival without an NHS number gets a DT- temporary ID; a
// look-alike is refused with the candidates listed unless --not-duplicate;
// an NHS number already held is refused whatever; a bad check digit is
// refused in plain words.
func TestPatientAdd_TempIDDuplicatesAndSameNHS(t *testing.T) {
	dir := mustInit(t)
	add := func(args ...string) (string, error) {
		return run(t, dir, adminIn, append([]string{"patient", "add", "--user", "Ada Admin"}, args...)...)
	}
	out, err := add("--surname", "Smith", "--given", "Richard", "--dob", "04/03/1957", "--sex", "male", "--nhs", "943 476 5919")
	if err != nil || !strings.Contains(out, "Registered SMITH, Richard, born 04-Mar-1957, NHS 943 476 5919, admitted to Ward 7") {
		t.Fatalf("add with NHS number = %q, %v", out, err)
	}
	before := eventCount(t, dir)

	out, err = add("--surname", "Smyth", "--given", "Richard", "--dob", "1957-04-03", "--sex", "male")
	if err == nil || !strings.Contains(out, "SMITH, Richard, born 04-Mar-1957, NHS 943 476 5919 (admitted): date of birth with day and month swapped and similar name") ||
		!strings.Contains(err.Error(), "--not-duplicate") {
		t.Fatalf("add look-alike = %q, %v; want the candidate listed and refused", out, err)
	}
	out, err = add("--surname", "Other", "--given", "Person", "--dob", "2000-01-01", "--sex", "female", "--nhs", "9434765919", "--not-duplicate")
	if err == nil || !strings.Contains(err.Error(), "NHS number 943 476 5919 is already SMITH, Richard's record") {
		t.Fatalf("add same NHS number = %q, %v; want refused", out, err)
	}
	_, err = add("--surname", "Other", "--given", "Person", "--dob", "2000-01-01", "--sex", "female", "--nhs", "9434765918")
	if err == nil || !strings.Contains(err.Error(), "fails its check digit") {
		t.Fatalf("add bad NHS number: %v; want the check digit refused", err)
	}
	if n := eventCount(t, dir); n != before {
		t.Fatalf("refused registrations recorded %d events", n-before)
	}

	out, err = add("--surname", "Smyth", "--given", "Richard", "--dob", "1957-04-03", "--sex", "male", "--not-duplicate")
	if err != nil || !strings.Contains(out, "Registered SMYTH, Richard, born 03-Apr-1957, with temporary ID DT-") {
		t.Fatalf("add look-alike checked = %q, %v", out, err)
	}
	if n := eventCount(t, dir); n != before+2 {
		t.Errorf("a registration recorded %d events, want 2 (registered and admitted together)", n-before)
	}
}

// TestSend_HoldsBackUnmatchedTempPatients: `lifeboat send` holds back and
// lists the records of a new arrival still on a temporary ID, with the
// reason; --include-unmatched sends them.
func TestSend_HoldsBackUnmatchedTempPatients(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	dir := mustDemo(t)
	out, err := run(t, dir, DemoPassphrase+"\n"+DemoNursePIN+"\n", "patient", "add", "--user", "Nia Nurse",
		"--surname", "Okonkwo", "--given", "Adaeze", "--dob", "1990-05-06", "--sex", "female")
	if err != nil || !strings.Contains(out, "with temporary ID DT-") {
		t.Fatalf("patient add = %q, %v", out, err)
	}
	out, err = run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Held back 2 records of 1 patients: no NHS number yet — match it on the Reconcile screen or send with --include-unmatched") ||
		!strings.Contains(out, "OKONKWO, Adaeze (DT-") {
		t.Fatalf("send = %q, %v; want the new arrival's records held back and listed", out, err)
	}
	for _, it := range worklist(t, dir) {
		okonkwo := strings.Contains(it.Patient, "OKONKWO")
		if okonkwo && it.Status != reconcile.StatusPending || !okonkwo && it.Status != reconcile.StatusAccepted {
			t.Errorf("after send: %s of %s is %s", it.Kind, it.Patient, it.Status)
		}
	}
	if n := len(srv.Search(t, "Patient", "family=Okonkwo")); n != 0 {
		t.Errorf("server holds %d Patients for the unmatched arrival", n)
	}
	out, err = run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin", "--include-unmatched")
	if err != nil || strings.Contains(out, "Held back") {
		t.Fatalf("send --include-unmatched = %q, %v", out, err)
	}
	for _, it := range worklist(t, dir) {
		if it.Status != reconcile.StatusAccepted {
			t.Errorf("after send --include-unmatched: %s of %s is %s", it.Kind, it.Patient, it.Status)
		}
	}
}
