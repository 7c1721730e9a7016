package reconcile

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lifeboat/internal/fhirtest"
	"lifeboat/store/storetest"
)

// exportedTypes are the resource types a downtime export writes.
var exportedTypes = []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense", "QuestionnaireResponse", "AllergyIntolerance"}

// TestSend_Medplum sends a ward's downtime to a real FHIR server (Medplum's
// router, in memory) twice: every record is accepted, and the second send
// creates nothing (conditional creates and updates match what the first
// made).
func TestSend_Medplum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	ctx := t.Context()
	d := MustDowntime(t)
	c := &Client{BaseURL: srv.URL, Sleep: noSleep}
	x, err := ExportFHIR(d.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	rep, err := Send(ctx, c, x, storeAppender(d.db, d.s), "tester", clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	for _, it := range Worklist(evs) {
		if it.Status != StatusAccepted {
			t.Errorf("first send: %s %s is %s: %s", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
	if rep.Rejected != 0 || rep.Accepted != len(x.Events) {
		t.Fatalf("first send = %+v, want all %d events accepted", rep, len(x.Events))
	}
	counts := map[string]int{}
	for _, typ := range exportedTypes {
		counts[typ] = srv.Count(t, typ)
		mustNoDuplicates(t, srv, typ)
	}
	if counts["Patient"] == 0 || counts["Observation"] == 0 {
		t.Fatalf("server holds %v after the first send", counts)
	}
	mustAllergiesOnServer(t, srv)

	// The same export again, as after a send whose answer was lost.
	if _, err := Send(ctx, c, x, storeAppender(d.db, d.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	for _, typ := range exportedTypes {
		if n := srv.Count(t, typ); n != counts[typ] {
			t.Errorf("%s after the second send = %d, want %d", typ, n, counts[typ])
		}
	}
	evs, _ = d.db.EventsAfter(ctx, nil, 1<<30)
	items := Worklist(evs)
	if len(items) != len(x.Events) {
		t.Errorf("worklist = %d items, want %d", len(items), len(x.Events))
	}
	for _, it := range items {
		if it.Status != StatusAccepted {
			t.Errorf("%s %s is %s, want accepted: %s", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
}

// TestSend_MedplumRejects: a server that refuses MedicationDispense
// resources. The supply is rejected with the server's reason; other
// records in its transaction are rejected as not applied; the rest are
// accepted and the refused transaction left nothing behind.
func TestSend_MedplumRejects(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	const why = "MedicationDispense.performer: unknown practitioner"
	srv := fhirtest.Start(t, "--reject-kind", "MedicationDispense", "--reject-reason", why)
	ctx := t.Context()
	d := MustDowntime(t)
	x, _ := ExportFHIR(d.events, ExportOptions{})
	rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep}, x, storeAppender(d.db, d.s), "tester", storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	var rejected, notApplied int
	for _, it := range Worklist(evs) {
		switch {
		case it.Kind == "pharmacy.supply":
			if it.Status != StatusRejected || it.Reason != why {
				t.Errorf("supply = %s %q, want rejected %q", it.Status, it.Reason, why)
			}
			rejected++
		case it.Status == StatusRejected && strings.HasPrefix(it.Reason, "not applied"):
			notApplied++
		case it.Status != StatusAccepted:
			t.Errorf("%s = %s %q", it.Kind, it.Status, it.Reason)
		}
	}
	if rejected != 1 || rep.Rejected != rejected+notApplied {
		t.Errorf("rejected %d, not applied %d, report %+v", rejected, notApplied, rep)
	}
	if n := srv.Count(t, "MedicationDispense"); n != 0 {
		t.Errorf("server holds %d MedicationDispense, want 0", n)
	}
}

// mustNoDuplicates fails if two resources of typ share an identifier.
func mustNoDuplicates(t *testing.T, srv *fhirtest.Server, typ string) {
	t.Helper()
	seen := map[string]string{}
	for _, r := range srv.Search(t, typ, "") {
		for _, id := range r.Identifiers() {
			k := id.System + "|" + id.Value
			if other, ok := seen[k]; ok && other != r.ID {
				t.Errorf("%s %s and %s share identifier %s", typ, other, r.ID, k)
			}
			seen[k] = r.ID
		}
	}
}

// mustAllergiesOnServer checks MustDowntime's allergies on the server:
// penicillin once, as corrected (severe); latex marked entered in error;
// "no known allergies"; each on a Patient the server holds (no orphan).
func mustAllergiesOnServer(t *testing.T, srv *fhirtest.Server) {
	t.Helper()
	patients := map[string]bool{}
	for _, p := range srv.Search(t, "Patient", "") {
		patients["Patient/"+p.ID] = true
	}
	full := func(r fhirtest.Resource) Resource {
		var x Resource
		if err := json.Unmarshal(r.Raw, &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	got := map[string]string{}
	for _, sr := range srv.Search(t, "AllergyIntolerance", "") {
		r := full(sr)
		if r.Patient == nil || !patients[r.Patient.Reference] {
			t.Errorf("AllergyIntolerance %s is on %+v, not a Patient on the server", r.ID, r.Patient)
		}
		v := r.VerificationStatus.Coding[0].Code
		if len(r.Reaction) > 0 {
			v += " " + r.Reaction[0].Severity
		}
		got[r.Code.Text] = v
	}
	want := map[string]string{"Penicillin": "confirmed severe", "Latex": "entered-in-error", "No known allergy": "confirmed"}
	if len(got) != len(want) || got["Penicillin"] != want["Penicillin"] || got["Latex"] != want["Latex"] || got["No known allergy"] != want["No known allergy"] {
		t.Errorf("allergies on the server = %v, want %v", got, want)
	}
	ws := srv.Search(t, "Observation", "code=http://loinc.org|29463-7")
	if len(ws) != 1 || full(ws[0]).ValueQuantity.Value != 61.4 || !patients[full(ws[0]).Subject.Reference] {
		t.Errorf("weights on the server = %+v", ws)
	}
	overrides := 0
	for _, r := range srv.Search(t, "MedicationAdministration", "") {
		for _, n := range full(r).Note {
			if strings.HasPrefix(n.Text, "Override ") {
				overrides++
			}
		}
	}
	if overrides != 2 {
		t.Errorf("override notes on the server = %d, want 2", overrides)
	}
}
