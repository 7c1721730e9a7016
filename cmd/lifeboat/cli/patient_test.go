package cli

import (
	"strings"
	"testing"
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
