package reconcile

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lifeboat/internal/fhirtest"
	"lifeboat/store/storetest"
)

// validBundles fails the test unless every Bundle of x is valid R4.
func validBundles(t *testing.T, x *Export) {
	t.Helper()
	u := validator(t)
	for i, b := range x.Bundles {
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Unmarshal(raw); err != nil {
			t.Errorf("bundle %d is not valid R4: %v\n%s", i, err, raw)
		}
	}
}

// mergeTempIntoKnown registers Jane Doe with an NHS number and matches the
// downtime's temporary Jane Doe to it: a merge.
func mergeTempIntoKnown(t *testing.T, d *downtime, at time.Time) string {
	t.Helper()
	known := add(t, d, storetest.PatientDraft("Doe", "Jane", "1980-05-05", "9434765919", at)).Subject
	if _, err := ConfirmMatch(t.Context(), d.db, StoreAppender(d.db, d.s), d.tempPID, "9434765919", at); err != nil {
		t.Fatal(err)
	}
	return known
}

// TestExportFHIR_MergedPatientUnderSurvivor: after a temporary patient is
// merged into the record holding their NHS number, everything recorded
// under the temporary ID exports under the survivor's Patient (matched on
// the NHS number); no Patient is made for the temporary record.
func TestExportFHIR_MergedPatientUnderSurvivor(t *testing.T) {
	d := MustDowntime(t)
	known := mergeTempIntoKnown(t, d, storetest.T0.Add(10*time.Hour))
	evs, _ := d.db.EventsAfter(t.Context(), nil, 1<<30)
	x, err := ExportFHIR(evs, ExportOptions{})
	if err != nil || len(x.Skipped) != 0 {
		t.Fatalf("export = %v, skipped %+v", err, x.Skipped)
	}
	validBundles(t, x)
	tempURL, knownURL := "urn:uuid:"+ResourceID("patient:"+d.tempPID), "urn:uuid:"+ResourceID("patient:"+known)
	subjects := 0
	for _, b := range x.Bundles {
		for _, e := range b.Entry {
			raw, _ := json.Marshal(e.Resource)
			if strings.Contains(string(raw), tempURL) || e.FullURL == tempURL {
				t.Errorf("%s still refers to the temporary record's Patient", e.Resource.ResourceType)
			}
			if strings.Contains(string(raw), knownURL) {
				subjects++
			}
			if e.Resource.ResourceType == "Patient" && strings.Contains(e.Request.IfNoneExist, d.tempPID) {
				t.Errorf("a Patient is created for the temporary record: %+v", e.Request)
			}
		}
	}
	if subjects < 1 {
		t.Errorf("nothing refers to the survivor's Patient; want the temporary record's admission to")
	}
	var items int
	for _, it := range Worklist(evs) {
		if it.PatientID == d.tempPID {
			t.Errorf("worklist item %s is still under the temporary record", it.Kind)
		}
		if it.PatientID == known && strings.Contains(it.Patient, "recorded as DT-") {
			items++
		}
	}
	if items == 0 {
		t.Error("the worklist does not say which items were recorded under the temporary ID")
	}
}

// TestExportFHIR_HoldUnmatched: the records of a patient with no NHS number
// are held back, listed with the reason, until matched.
func TestExportFHIR_HoldUnmatched(t *testing.T) {
	d := MustDowntime(t)
	x, err := ExportFHIR(d.events, ExportOptions{HoldUnmatched: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Held) < 2 {
		t.Fatalf("held = %+v, want the temporary patient's registration and admission", x.Held)
	}
	for _, h := range x.Held {
		if h.PatientID != d.tempPID || h.Reason != HeldReason || !strings.Contains(h.Patient, "DOE, Jane (DT-") {
			t.Errorf("held %+v", h)
		}
	}
	tempURL := "urn:uuid:" + ResourceID("patient:"+d.tempPID)
	for _, b := range x.Bundles {
		for _, e := range b.Entry {
			if raw, _ := json.Marshal(e.Resource); strings.Contains(string(raw), tempURL) || e.FullURL == tempURL {
				t.Errorf("%s of the unmatched patient is sent", e.Resource.ResourceType)
			}
		}
	}
	all, _ := ExportFHIR(d.events, ExportOptions{})
	if len(all.Events) != len(x.Events)+len(x.Held) || len(all.Held) != 0 {
		t.Errorf("without holding: %d events, with: %d sent + %d held", len(all.Events), len(x.Events), len(x.Held))
	}
}

// TestSend_MedplumMergedTempPatientNoOrphan: a temporary patient's records
// reach the server before their NHS number is known (on a server Patient
// of their own). Once matched to a record holding the number, the next
// send marks that Patient inactive and replaced-by the survivor's (valid
// R4); the server holds no orphan Patient, and the worklist shows every
// record accepted, the merge among them.
func TestSend_MedplumMergedTempPatientNoOrphan(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	ctx := t.Context()
	d := MustDowntime(t)
	c := &Client{BaseURL: srv.URL, Sleep: noSleep}
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	x, _ := ExportFHIR(d.events, ExportOptions{}) // sent anyway, unmatched
	if _, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	orphan := srv.Search(t, "Patient", "identifier="+PatientIDSystem+"|"+d.tempPID)
	if len(orphan) != 1 {
		t.Fatalf("the temporary patient's server Patients = %d, want 1", len(orphan))
	}

	known := mergeTempIntoKnown(t, d, storetest.T0.Add(31*time.Hour))
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	x, err := ExportFHIR(evs, ExportOptions{Skip: Done(Worklist(evs)), HoldUnmatched: true})
	if err != nil || len(x.Held) != 0 {
		t.Fatalf("export after the merge = %v, held %+v", err, x.Held)
	}
	validBundles(t, x)
	if _, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	survivor := srv.Search(t, "Patient", "identifier="+NHSNumberSystem+"|9434765919")
	if len(survivor) != 1 {
		t.Fatalf("survivor's server Patients = %d, want 1", len(survivor))
	}
	old := srv.Search(t, "Patient", "identifier="+PatientIDSystem+"|"+d.tempPID)
	if len(old) != 1 || old[0].Active == nil || *old[0].Active || len(old[0].Link) != 1 ||
		old[0].Link[0].Type != "replaced-by" || old[0].Link[0].Other.Reference != "Patient/"+survivor[0].ID {
		t.Fatalf("the temporary patient's server Patient = %+v, want inactive and replaced-by Patient/%s", old, survivor[0].ID)
	}
	fhirtest.MustNoDuplicates(t, srv, "Patient")
	// No orphan: every Patient on the server is a live person's (an NHS
	// number) or points on to one.
	for _, p := range srv.Search(t, "Patient", "") {
		nhs := false
		for _, id := range p.Identifiers() {
			nhs = nhs || id.System == NHSNumberSystem
		}
		if !nhs && len(p.Link) == 0 {
			t.Errorf("orphan Patient %s on the server: %s", p.ID, p.Identifier)
		}
	}
	evs, _ = d.db.EventsAfter(ctx, nil, 1<<30)
	merged := false
	for _, it := range Worklist(evs) {
		if it.Status != StatusAccepted {
			t.Errorf("%s %s is %s: %s", it.Kind, it.EventID, it.Status, it.Reason)
		}
		merged = merged || it.Kind == "patient.merged"
		if it.PatientID == d.tempPID {
			t.Errorf("worklist item %s still under the temporary record", it.Kind)
		}
	}
	if !merged {
		t.Error("the merge is not on the worklist")
	}
	_ = known
}
