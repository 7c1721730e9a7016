package reconcile

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeboat/internal/fhirtest"
	"lifeboat/store/storetest"
)

// exportedTypes are the resource types a downtime export writes.
var exportedTypes = []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense", "QuestionnaireResponse", "AllergyIntolerance", "Provenance"}

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
	rep, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil)
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
		fhirtest.MustNoDuplicates(t, srv, typ)
	}
	if counts["Patient"] == 0 || counts["Observation"] == 0 {
		t.Fatalf("server holds %v after the first send", counts)
	}
	mustAllergiesOnServer(t, srv)
	fhirtest.MustProvenance(t, srv, len(x.Bundles), DowntimeCode, exportedTypes)

	// The same export again, as after a send whose answer was lost.
	if _, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil {
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
	rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep}, x, StoreAppender(d.db, d.s), "tester", storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
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

// TestSend_MedplumHostileIdentifiers sends records whose identifier values
// hold characters that mean something in a URL or a FHIR search ("#", "|",
// "&", "=", ",", "+", "%", spaces): patients admitted to ward "A&E #1=2",
// bed "Bay|4", and to ward "Ward 2,3", bed "Side room +x%20", and an
// amended observation set (its parts are "<event>#bp" and so on). Sent
// twice, the server holds one Location per ward and bed, named exactly,
// and one Observation per part with the amended value: the conditional
// URLs matched what the first send made (before, "A&E #1" was created
// again on each send). A value holding both "|" and "," still does not
// match on Medplum, whose search reads "\," but not together with a "|"
// in the value (docs/fhir-export.md).
func TestSend_MedplumHostileIdentifiers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	ctx := t.Context()
	d := MustDowntime(t)
	beds := [][2]string{{"A&E #1=2", "Bay|4"}, {"Ward 2,3", "Side room +x%20"}}
	for i, wb := range beds {
		at := storetest.T0.Add(13*time.Hour + time.Duration(i)*time.Minute)
		reg := storetest.PatientDraft("HOSTILE", "Hash", "1970-01-01", []string{"9990000042", "9990000050"}[i], at)
		add(t, d, reg)
		add(t, d, storetest.AdmitDraft(reg.Subject, wb[0], wb[1], at.Add(time.Second)))
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	c := &Client{BaseURL: srv.URL, Sleep: noSleep}
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	for range 2 {
		x, err := ExportFHIR(evs, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil || rep.Rejected != 0 {
			t.Fatalf("send = %+v, %v", rep, err)
		}
	}
	for _, typ := range []string{"Location", "Observation", "Encounter", "Patient"} {
		fhirtest.MustNoDuplicates(t, srv, typ)
	}
	names := map[string]int{}
	for _, l := range srv.Search(t, "Location", "") {
		for _, id := range l.Identifiers() {
			names[id.Value]++
		}
	}
	for _, wb := range beds {
		if names[wb[0]] != 1 || names[wb[0]+"/"+wb[1]] != 1 {
			t.Errorf("locations on the server = %v, want one %q and one %q", names, wb[0], wb[0]+"/"+wb[1])
		}
	}
	bp := srv.Search(t, "Observation", "identifier="+EventIDSystem+"|"+strings.ReplaceAll(d.obs.ID+"#bp", "#", "%23"))
	if len(bp) != 1 {
		t.Fatalf("%d blood pressures for the amended set, want 1", len(bp))
	}
	var r Resource
	json.Unmarshal(bp[0].Raw, &r)
	if len(r.Component) == 0 || r.Component[0].ValueQuantity.Value != 118 || r.Status != "amended" {
		t.Errorf("amended blood pressure on the server = %s", bp[0].Raw)
	}
}

// TestSend_MedplumParallelSharedLocations sends 40 patients sharing one
// ward's Location and five beds' with 8 workers to a real FHIR server
// running transactions side by side (--concurrent, as a server over a
// database does). The server ends with exactly one Location per ward and
// bed, one Patient per person and no resource twice; every record is
// accepted with its Provenance. The first subtest shows the server does
// make copies when transactions race: the same conditional create posted
// from 8 goroutines at once leaves more than one Location.
func TestSend_MedplumParallelSharedLocations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	t.Run("the server races", func(t *testing.T) {
		srv := fhirtest.Start(t, "--concurrent")
		loc := Entry{FullURL: "urn:uuid:" + ResourceID("location:race"), Resource: &Resource{ResourceType: "Location", Name: "race", Status: "active",
			Identifier: []Identifier{{System: DefaultSystems.Location, Value: "race"}}},
			Request: &Request{Method: "POST", URL: "Location", IfNoneExist: IdentQuery(DefaultSystems.Location, "race")}}
		c := &Client{BaseURL: srv.URL, Sleep: noSleep}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := c.Post(t.Context(), Bundle{ResourceType: "Bundle", Type: "transaction", Entry: []Entry{loc}}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := srv.Count(t, "Location"); n < 2 {
			t.Skipf("8 racing conditional creates left %d Location: this server did not race, so the test below proves nothing here", n)
		}
	})
	srv := fhirtest.Start(t, "--concurrent")
	ctx := t.Context()
	w := mustSharedWard(t, 40)
	x, err := ExportFHIR(w.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: srv.URL, Sleep: noSleep, Workers: 8}
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	rep, err := Send(ctx, c, x, StoreAppender(w.db, w.s), "tester", clock.Now, nil)
	if err != nil || rep.Rejected != 0 || rep.Accepted != len(x.Events) {
		t.Fatalf("send = %+v, %v; want all %d events accepted", rep, err, len(x.Events))
	}
	counts := map[string]int{}
	for _, typ := range exportedTypes {
		fhirtest.MustNoDuplicates(t, srv, typ)
		counts[typ] = srv.Count(t, typ)
	}
	if counts["Location"] != 6 || counts["Patient"] != len(w.patients) || counts["Encounter"] != len(w.patients) {
		t.Errorf("server holds %v; want 6 Locations (the ward and its five beds), %d Patients and Encounters", counts, len(w.patients))
	}
	if n := srv.Count(t, "Practitioner"); n != 0 {
		t.Errorf("server holds %d Practitioners: performers are references by identifier, none is created", n)
	}
	fhirtest.MustProvenance(t, srv, len(x.Bundles), DowntimeCode, exportedTypes)
	evs, _ := w.db.EventsAfter(ctx, nil, 1<<30)
	for _, it := range Worklist(evs) {
		if it.Status != StatusAccepted {
			t.Errorf("%s %s is %s: %s", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
	// Sent again (a lost answer), side by side: nothing new.
	if _, err := Send(ctx, c, x, StoreAppender(w.db, w.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	for _, typ := range exportedTypes {
		if n := srv.Count(t, typ); n != counts[typ] {
			t.Errorf("%s after the second send = %d, want %d", typ, n, counts[typ])
		}
	}
}
