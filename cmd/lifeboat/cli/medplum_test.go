package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"lifeboat/internal/fhirtest"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
)

const demoAdminIn = DemoPassphrase + "\n" + DemoAdminPIN + "\n"

// worklist reads the back-entry worklist of the store in dir.
func worklist(t *testing.T, dir string) []reconcile.Item {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), DemoPassphrase); err != nil {
		t.Fatal(err)
	}
	evs, err := wholeLog(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return reconcile.Worklist(evs)
}

// TestSend_DemoWardToMedplum sends the demo ward's downtime with `lifeboat
// send` to a real FHIR server (Medplum's router, in memory): everything is
// accepted, and sending again sends nothing and the server holds the same.
func TestSend_DemoWardToMedplum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	dir := mustDemo(t)
	out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, " 0 rejected") {
		t.Fatalf("send = %q, %v", out, err)
	}
	items := worklist(t, dir)
	if len(items) == 0 {
		t.Fatal("the demo ward has no downtime records to send")
	}
	for _, it := range items {
		if it.Status != reconcile.StatusAccepted {
			t.Errorf("%s %s is %s: %s", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
	types := []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense"}
	counts := map[string]int{}
	for _, typ := range types {
		counts[typ] = srv.Count(t, typ)
	}
	out, err = run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Nothing to send") {
		t.Errorf("second send = %q, %v; want nothing to send", out, err)
	}
	for _, typ := range types {
		if n := srv.Count(t, typ); n != counts[typ] {
			t.Errorf("%s after the second send = %d, want %d", typ, n, counts[typ])
		}
	}
}

// TestSend_DemoWardToMedplumRejecting: a server that refuses
// MedicationAdministration. Those records are rejected with the server's
// words, listed by `worklist --status rejected`.
func TestSend_DemoWardToMedplumRejecting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	const why = "MedicationAdministration: no matching prescription in EPMA"
	srv := fhirtest.Start(t, "--reject-kind", "MedicationAdministration", "--reject-reason", why)
	dir := mustDemo(t)
	out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin")
	if err != nil || strings.Contains(out, " 0 rejected") {
		t.Fatalf("send = %q, %v; want some rejected", out, err)
	}
	rejected := 0
	for _, it := range worklist(t, dir) {
		switch {
		case it.Kind == "med.administered" && it.Status == reconcile.StatusRejected && it.Reason == why:
			rejected++
		case it.Kind == "med.administered" && (it.Status != reconcile.StatusRejected || !strings.HasPrefix(it.Reason, "not applied")):
			// A server stops a transaction at its first refusal: later
			// doses in it are not applied, nothing else is said of them.
			t.Errorf("%s = %s %q, want rejected %q or not applied", it.Kind, it.Status, it.Reason, why)
		case it.Status == reconcile.StatusRejected && !strings.HasPrefix(it.Reason, "not applied"):
			t.Errorf("%s = rejected %q", it.Kind, it.Reason)
		}
	}
	if rejected == 0 {
		t.Error("no medicine administrations rejected")
	}
	if n := srv.Count(t, "MedicationAdministration"); n != 0 {
		t.Errorf("server holds %d MedicationAdministration, want 0", n)
	}
	out, err = run(t, dir, DemoPassphrase+"\n", "worklist", "--status", "rejected")
	if err != nil || !strings.Contains(out, why) {
		t.Errorf("worklist --status rejected = %q, %v; want the server's reason", out, err)
	}
}
