package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// downtime is a ward's downtime recorded in a real store after a census.
type downtime struct {
	db      *store.DB
	s       *store.Session
	events  []lifeboat.Event
	byNHS   map[string]string // NHS number -> patient ID
	tempPID string
	obs     lifeboat.Event // the observation set later amended
	omitted lifeboat.Event // the dose later entered in error

	allergy, allergyFix lifeboat.Event // an allergy and its correction
	override            lifeboat.Event // a dose given past two warnings
}

func add(t testing.TB, d *downtime, dr store.Draft) lifeboat.Event {
	t.Helper()
	return storetest.MustAppend(t, d.db, d.s, dr)
}

func ip(v int) *int { return &v }

// MustDowntime records: census of 3, a ward definition, a DT- patient
// admitted, observations (one amended), doses given and omitted (one
// entered in error), a pharmacy supply, a custom form, a bed closed, a
// transfer and a discharge; an allergy and its correction, an allergy
// entered in error, "no known allergies", a weight and a dose given past
// two warnings with the reasons.
func MustDowntime(t testing.TB) *downtime {
	t.Helper()
	ctx := context.Background()
	db, s := MustStore(t)
	d := &downtime{db: db, s: s, byNHS: map[string]string{}}
	c, err := ParseCensusCSV(bytes.NewReader(mustRead(t, "census-good.csv")), "census-good.csv", asOf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, db, StoreAppender(db, s), c); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Patients(ctx, "")
	for _, p := range ps {
		d.byNHS[p.NHSNumber] = p.ID
	}
	grace, richard, anjali := d.byNHS["9990000018"], d.byNHS["9990000026"], d.byNHS["9990000034"]
	at := storetest.T0
	w := forms.Ward{ID: "w7", Name: "Ward 7"}
	for _, b := range []string{"b1", "b2", "b3", "b4", "b5", "b6"} {
		w.Beds = append(w.Beds, forms.BedDef{ID: b, Label: "Bed " + b[1:]})
	}
	add(t, d, store.Draft{Kind: forms.KindWardDefined, Subject: "ward:w7", PerformedAt: at, Payload: w})
	reg := storetest.PatientDraft("DOE", "Jane", "1980-05-05", "", at)
	d.tempPID = reg.Subject
	add(t, d, reg)
	add(t, d, storetest.AdmitDraft(d.tempPID, "w7", "b3", at.Add(time.Minute)))
	d.obs = add(t, d, storetest.ObsDraft(grace, 22, 95, 120, 95, 37.5, at.Add(time.Hour)))
	fixed := storetest.ObsDraft(grace, 22, 95, 118, 95, 37.5, at.Add(time.Hour))
	fixed.Corrects = d.obs.ID
	add(t, d, fixed)
	add(t, d, store.Draft{Kind: forms.KindObsRecorded, Subject: anjali, PerformedAt: at.Add(70 * time.Minute),
		Payload: forms.Observations{PatientID: anjali, RespRate: ip(14), Consciousness: "V"}})
	orders, _ := db.EventsOfKind(ctx, forms.KindMedOrdered)
	var para forms.MedicationOrder
	json.Unmarshal(orders[0].Payload, &para)
	add(t, d, store.Draft{Kind: forms.KindMedAdministered, Subject: grace, PerformedAt: at.Add(2 * time.Hour),
		Payload: forms.Administration{OrderID: para.ID, PatientID: grace, Slot: "2026-11-22T06:00:00Z", Outcome: forms.OutcomeGiven, Dose: forms.Units(1)}})
	d.omitted = add(t, d, store.Draft{Kind: forms.KindMedAdministered, Subject: grace, PerformedAt: at.Add(3 * time.Hour),
		Payload: forms.Administration{OrderID: para.ID, PatientID: grace, Slot: "2026-11-22T12:00:00Z", Outcome: forms.OutcomeOmitted, ReasonCode: forms.ReasonNilByMouth}})
	if _, err := db.EnterInError(ctx, s, d.omitted.ID, "wrong patient", at.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The pharmacy's supply, by a pharmacist (the authority rule of the kind).
	pharm := storetest.MustPerson(t, db, s, "Phil Pharmacist", lifeboat.RolePharmacist)
	if _, err := db.Append(ctx, pharm, store.Draft{Kind: forms.KindPharmacySupply, Subject: richard, PerformedAt: at.Add(5 * time.Hour),
		Payload: forms.PharmacySupply{ID: "sup-1", PatientID: richard, Drug: "Amoxicillin 500mg capsules", Quantity: forms.Units(21), Unit: "capsules", Ward: "w7", SuppliedBy: "Phil", CheckedBy: "Pat"}}); err != nil {
		t.Fatal(err)
	}
	add(t, d, store.Draft{Kind: forms.KindFormSubmitted, Subject: anjali, PerformedAt: at.Add(6 * time.Hour),
		Payload: forms.FormSubmission{FormID: "falls-risk", Version: 1, PatientID: anjali, Values: map[string]any{"score": 3.0, "history": true, "notes": "unsteady", "weight": 61.5, "aids": []any{"frame", "stick"}}}})
	add(t, d, store.Draft{Kind: forms.KindBedState, Subject: store.BedSubject("w7", "b6"), PerformedAt: at.Add(7 * time.Hour),
		Payload: forms.BedStateSet{Ward: "w7", Bed: "b6", State: forms.BedClosed, Reason: "estates"}})
	add(t, d, store.Draft{Kind: forms.KindPatientTransferred, Subject: richard, PerformedAt: at.Add(8 * time.Hour),
		Payload: forms.Transfer{PatientID: richard, FromWard: "w7", FromBed: "b2", Ward: "w7", Bed: "b5"}})
	add(t, d, store.Draft{Kind: forms.KindPatientDischarged, Subject: anjali, PerformedAt: at.Add(9 * time.Hour),
		Payload: forms.Discharge{PatientID: anjali, Destination: "home"}})
	// Allergies, "no known allergies", a weight and a dose given past a
	// warning, recorded during downtime.
	pen := forms.Allergy{ID: "allergy-pen", PatientID: grace, Substance: "Penicillin", Code: "764146007", Reaction: "rash",
		Severity: forms.SeverityModerate, Status: forms.AllergyActive, Source: forms.SourceEntered}
	d.allergy = add(t, d, store.Draft{Kind: forms.KindAllergyRecorded, Subject: grace, PerformedAt: at.Add(10 * time.Hour), Payload: pen})
	pen.Reaction, pen.Severity, pen.Note = "anaphylaxis", forms.SeveritySevere, "daughter confirms: anaphylaxis in 2019"
	d.allergyFix = add(t, d, store.Draft{Kind: forms.KindAllergyRecorded, Subject: grace, PerformedAt: at.Add(11 * time.Hour), Corrects: d.allergy.ID, Payload: pen})
	latex := add(t, d, store.Draft{Kind: forms.KindAllergyRecorded, Subject: richard, PerformedAt: at.Add(10 * time.Hour),
		Payload: forms.Allergy{ID: "allergy-latex", PatientID: richard, Substance: "Latex", Status: forms.AllergyActive, Source: forms.SourceEntered}})
	if _, err := db.EnterInError(ctx, s, latex.ID, "wrong patient", at.Add(10*time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	add(t, d, store.Draft{Kind: forms.KindAllergyNoneKnown, Subject: anjali, PerformedAt: at.Add(10 * time.Hour), Payload: forms.NoKnownAllergies{PatientID: anjali}})
	add(t, d, store.Draft{Kind: forms.KindWeightRecorded, Subject: grace, PerformedAt: at.Add(10 * time.Hour),
		Payload: forms.Weight{PatientID: grace, Kg: forms.MustQuantity("61.4"), MeasuredAt: at.Add(9 * time.Hour)}})
	d.override = add(t, d, store.Draft{Kind: forms.KindMedAdministered, Subject: grace, PerformedAt: at.Add(12 * time.Hour),
		Payload: forms.Administration{OrderID: para.ID, PatientID: grace, Slot: "2026-11-22T18:00:00Z", Outcome: forms.OutcomeGiven, Dose: forms.Units(1),
			Overrides: []forms.DoseOverride{{Code: forms.WarnTooSoon, Reason: "pain uncontrolled, Dr Rao agreed"}, {Code: forms.WarnDuplicate, Reason: "the other order was stopped on paper"}}}})
	d.events, err = db.EventsAfter(ctx, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// validator is google/fhir's R4 JSON parser: it refuses any resource that
// breaks the R4 structure definitions (unknown fields, bad codes for
// required bindings, bad dates, ids, references).
func validator(t testing.TB) *jsonformat.Unmarshaller {
	t.Helper()
	u, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestExportFHIR_ValidR4(t *testing.T) {
	d := MustDowntime(t)
	x, err := ExportFHIR(d.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Skipped) != 0 {
		t.Errorf("skipped = %+v", x.Skipped)
	}
	u := validator(t)
	resources := 0
	for i, b := range x.Bundles {
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Unmarshal(raw); err != nil {
			t.Errorf("bundle %d is not valid R4: %v\n%s", i, err, raw)
		}
		if len(b.Entry) > DefaultBundleSize {
			t.Errorf("bundle %d has %d entries, more than %d", i, len(b.Entry), DefaultBundleSize)
		}
		urls := map[string]bool{}
		for _, e := range b.Entry {
			resources++
			raw, _ := json.Marshal(e.Resource)
			if _, err := u.Unmarshal(raw); err != nil {
				t.Errorf("%s is not valid R4: %v\n%s", e.Resource.ResourceType, err, raw)
			}
			if urls[e.FullURL] {
				t.Errorf("bundle %d repeats fullUrl %s", i, e.FullURL)
			}
			urls[e.FullURL] = true
			r := e.Resource
			if r.ResourceType == "Provenance" {
				if e.Request.Method != "PUT" || e.Request.URL != "Provenance/"+r.ID || e.FullURL != "urn:uuid:"+r.ID || e.FullURL != b.Entry[len(b.Entry)-1].FullURL {
					t.Errorf("bundle %d: Provenance %s is not its last entry, an update-as-create of its id: %+v", i, e.FullURL, e.Request)
				}
				continue
			}
			if len(r.Identifiers()) == 0 || len(r.Extension) < 2 || r.Extension[0].URL != PerformedAtURL || r.Extension[1].URL != RecordedAtURL {
				t.Errorf("%s %s lacks identifier or performed/recorded times", r.ResourceType, e.FullURL)
			}
			switch e.Request.Method {
			case "POST":
				if e.Request.IfNoneExist == "" || e.FullURL != "urn:uuid:"+r.ID {
					t.Errorf("create %s %s is not conditional on a deterministic id", r.ResourceType, e.FullURL)
				}
			case "PUT":
				if !strings.Contains(e.Request.URL, "?identifier=") {
					t.Errorf("update %s is not conditional: %s", r.ResourceType, e.Request.URL)
				}
			default:
				t.Errorf("method %s", e.Request.Method)
			}
		}
		// Every reference to a urn:uuid resolves inside the bundle.
		for _, ref := range refsIn(raw) {
			if !urls[ref] {
				t.Errorf("bundle %d refers to %s, not in the bundle", i, ref)
			}
		}
		// As written to a file, with its Provenance: valid, and the
		// Provenance's targets resolve inside the bundle too.
		if provenanceOf(b) == nil {
			t.Fatalf("bundle %d has no Provenance", i)
		}
		whole, _ := json.Marshal(b.Whole())
		if _, err := u.Unmarshal(whole); err != nil {
			t.Errorf("bundle %d with its Provenance is not valid R4: %v\n%s", i, err, whole)
		}
		for _, ref := range refsIn(whole) {
			if !urls[ref] {
				t.Errorf("bundle %d's Provenance refers to %s, not in the bundle", i, ref)
			}
		}
	}
	t.Logf("%d events -> %d bundles, %d entries", len(x.Events), len(x.Bundles), resources)
	// Census records are context, not downtime care.
	snap := Snapshot(d.events)
	for _, id := range x.Events {
		if snap[id] {
			t.Errorf("snapshot event %s exported", id)
		}
	}
	if len(snap) != 10 {
		t.Errorf("snapshot events = %d, want 10 (3 patients, 3 admissions, 3 medicines and the census record)", len(snap))
	}
}

var urnRef = []byte(`"reference":"urn:uuid:`)

func refsIn(raw []byte) []string {
	var out []string
	for {
		i := bytes.Index(raw, urnRef)
		if i < 0 {
			return out
		}
		raw = raw[i+len(urnRef)-len("urn:uuid:"):]
		j := bytes.IndexByte(raw, '"')
		out = append(out, string(raw[:j]))
		raw = raw[j:]
	}
}

// find returns the entries whose resource matches.
func find(x *Export, match func(e Entry) bool) []Entry {
	var out []Entry
	for _, b := range x.Bundles {
		for _, e := range b.Entry {
			if match(e) {
				out = append(out, e)
			}
		}
	}
	return out
}

func hasCode(r *Resource, system, c string) bool {
	if r.Code == nil {
		return false
	}
	return slices.ContainsFunc(r.Code.Coding, func(x Coding) bool { return x.System == system && x.Code == c })
}

func TestExportFHIR_Codes(t *testing.T) {
	d := MustDowntime(t)
	x, _ := ExportFHIR(d.events, ExportOptions{})
	obs := func(system, c string) []Entry {
		return find(x, func(e Entry) bool { return e.Resource.ResourceType == "Observation" && hasCode(e.Resource, system, c) })
	}
	tests := []struct {
		name, system, code, unit string
		n                        int
		value                    float64
	}{
		{"resp rate", loinc, "9279-1", "/min", 3, 22},
		{"SpO2", loinc, "2708-6", "%", 2, 95},
		{"SpO2 pulse oximetry", loinc, "59408-5", "%", 2, 95},
		{"heart rate", loinc, "8867-4", "/min", 2, 95},
		{"temperature", loinc, "8310-5", "Cel", 2, 37.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := obs(tt.system, tt.code)
			if len(es) != tt.n {
				t.Fatalf("%s observations = %d, want %d", tt.code, len(es), tt.n)
			}
			q := es[0].Resource.ValueQuantity
			if q == nil || q.Code != tt.unit || q.System != ucum || q.Value != tt.value {
				t.Errorf("%s value = %+v, want %g %s", tt.code, q, tt.value, tt.unit)
			}
		})
	}
	bp := obs(loinc, "85354-9")
	if len(bp) != 2 || len(bp[0].Resource.Component) != 2 || bp[0].Resource.Component[0].Code.Coding[0].Code != "8480-6" ||
		bp[0].Resource.Component[1].Code.Coding[0].Code != "8462-4" || bp[0].Resource.Component[0].ValueQuantity.Code != "mm[Hg]" {
		t.Errorf("BP panel = %+v", bp)
	}
	acvpu := obs(snomed, "1104441000000107")
	if len(acvpu) != 3 || acvpu[2].Resource.ValueCodeableConcept.Coding[0].Code != "300202002" {
		t.Errorf("ACVPU = %d entries", len(acvpu))
	}
	news := obs(snomed, "1104051000000101")
	if len(news) != 2 { // the incomplete set has no total
		t.Fatalf("NEWS2 totals = %d, want 2", len(news))
	}
	// 22/min 2, SpO2 95 on air 1, BP 120 0, pulse 95 1, alert 0, 37.5 0: total 4
	// (the UK Core example scores 37.5 as 1; the RCP chart says 0).
	if n := news[0].Resource; *n.ValueInteger != 4 || len(n.DerivedFrom) != 6 {
		t.Errorf("NEWS2 = %d derived from %d, want 4 from 6", *n.ValueInteger, len(n.DerivedFrom))
	}
	// The amendment is a conditional update of the original, status amended.
	amended := find(x, func(e Entry) bool { return e.Request.Method == "PUT" && e.Resource.Status == "amended" })
	if len(amended) != 7 || !strings.HasSuffix(amended[0].Request.URL, d.obs.ID+"%23resp") {
		t.Errorf("amended = %d entries, first %+v", len(amended), amended[0].Request)
	}
	eie := find(x, func(e Entry) bool { return e.Resource.Status == "entered-in-error" })
	if len(eie) != 1 || eie[0].Resource.ResourceType != "MedicationAdministration" || !strings.HasSuffix(eie[0].Request.URL, d.omitted.ID) {
		t.Errorf("entered-in-error = %+v", eie)
	}
	pats := find(x, func(e Entry) bool { return e.Resource.ResourceType == "Patient" })
	for _, p := range pats {
		if p.Resource.Identifiers()[0].System == NHSNumberSystem && !strings.Contains(p.Request.IfNoneExist, NHSNumberSystem+"|"+p.Resource.Identifiers()[0].Value) {
			t.Errorf("Patient not matched on NHS number: %+v", p.Request)
		}
	}
	enc := find(x, func(e Entry) bool { return e.Resource.ResourceType == "Encounter" })
	var moved *Resource
	for _, e := range enc {
		if len(e.Resource.Location) == 2 {
			moved = e.Resource
		}
	}
	if moved == nil || moved.Location[0].Status != "completed" || moved.Location[1].Status != "active" {
		t.Errorf("no Encounter with the bed move over time: %+v", enc)
	}
	beds := find(x, func(e Entry) bool { return e.Resource.OperationalStatus != nil })
	if len(beds) != 1 || beds[0].Resource.OperationalStatus.Code != "C" {
		t.Errorf("bed state = %+v", beds)
	}
	for _, typ := range []string{"MedicationDispense", "QuestionnaireResponse", "Location"} {
		if len(find(x, func(e Entry) bool { return e.Resource.ResourceType == typ })) == 0 {
			t.Errorf("no %s exported", typ)
		}
	}
}

func TestExportFHIR_DeterministicAndSized(t *testing.T) {
	d := MustDowntime(t)
	for _, size := range []int{3, 8, 50} {
		a, _ := ExportFHIR(d.events, ExportOptions{BundleSize: size})
		rev := slices.Clone(d.events)
		slices.Reverse(rev)
		b, _ := ExportFHIR(rev, ExportOptions{BundleSize: size})
		ja, _ := json.Marshal(a.Bundles)
		jb, _ := json.Marshal(b.Bundles)
		if !bytes.Equal(ja, jb) {
			t.Errorf("size %d: export depends on input order", size)
		}
		for _, bu := range a.Bundles {
			// An obs set needs the patient and 7 resources: it may exceed a tiny size.
			if len(bu.Entry) > max(size, 8) {
				t.Errorf("size %d: bundle of %d", size, len(bu.Entry))
			}
		}
	}
}

func TestExportFHIR_TempPatientUsesNHSNumberOnceMatched(t *testing.T) {
	d := MustDowntime(t)
	x, _ := ExportFHIR(d.events, ExportOptions{})
	p := find(x, func(e Entry) bool { return e.FullURL == "urn:uuid:"+ResourceID("patient:"+d.tempPID) })
	if len(p) == 0 || !strings.Contains(p[0].Request.IfNoneExist, PatientIDSystem) {
		t.Fatalf("temporary patient = %+v", p)
	}
	if _, err := ConfirmMatch(t.Context(), d.db, StoreAppender(d.db, d.s), d.tempPID, "9990000093", storetest.T0.Add(10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	evs, _ := d.db.EventsAfter(t.Context(), nil, 1<<30)
	x, _ = ExportFHIR(evs, ExportOptions{})
	for _, e := range find(x, func(e Entry) bool { return e.FullURL == "urn:uuid:"+ResourceID("patient:"+d.tempPID) }) {
		if e.Request.IfNoneExist != "identifier="+NHSNumberSystem+"|9990000093" {
			t.Errorf("after the match, patient matched on %s", e.Request.IfNoneExist)
		}
	}
}

// A record and its correction (or an admission and a move) write the same
// server resource; in one transaction the server resolves both conditions
// before applying either, so they must go in separate Bundles, in order.
func TestExportFHIR_OneWritePerResourcePerBundle(t *testing.T) {
	d := MustDowntime(t)
	x, err := ExportFHIR(d.events, ExportOptions{BundleSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	created := map[targetKey]int{} // target -> bundle of its create
	for i, b := range x.Bundles {
		writes := map[targetKey]string{}
		for _, e := range b.Entry {
			k := target(e)
			if u, ok := writes[k]; ok && u != e.FullURL {
				t.Errorf("bundle %d writes %v twice (%s and %s)", i, k, u, e.FullURL)
			}
			writes[k] = e.FullURL
			if _, ok := created[k]; !ok && e.Request.Method == "POST" {
				created[k] = i
			}
			if j, ok := created[k]; ok && e.Request.Method == "PUT" && j >= i {
				t.Errorf("bundle %d updates %v created in bundle %d", i, k, j)
			}
		}
	}
	if len(x.Bundles) < 4 {
		t.Errorf("%d bundles: the corrections should have split some", len(x.Bundles))
	}
}

// TestExportFHIR_AllergiesWeightAndOverrides: an allergy recorded in
// downtime is one AllergyIntolerance, its correction a conditional update
// of the same resource and its entry in error a verificationStatus;
// "no known allergies" is SNOMED 716186003; a weight is a vital-signs body
// weight in kg at the time measured; each override of a dose is a note on
// its MedicationAdministration. (TestExportFHIR_ValidR4 validates them all
// against R4; TestSend_Medplum round-trips them.)
func TestExportFHIR_AllergiesWeightAndOverrides(t *testing.T) {
	d := MustDowntime(t)
	x, err := ExportFHIR(d.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ai := find(x, func(e Entry) bool { return e.Resource.ResourceType == "AllergyIntolerance" })
	if len(ai) != 5 {
		t.Fatalf("AllergyIntolerance entries = %d, want 5 (penicillin and its correction, latex and its entry in error, none known)", len(ai))
	}
	pen, fix := ai[0], ai[1]
	r := pen.Resource
	if pen.Request.Method != "POST" || pen.Request.IfNoneExist != "identifier="+EventIDSystem+"|"+d.allergy.ID ||
		r.ClinicalStatus.Coding[0].Code != "active" || r.VerificationStatus.Coding[0].Code != "confirmed" || r.Code.Text != "Penicillin" ||
		!hasCode(r, snomed, "764146007") || r.Reaction[0].Manifestation[0].Text != "rash" || r.Reaction[0].Severity != "moderate" ||
		r.Patient == nil || r.RecordedDate == "" || r.Status != "" {
		t.Errorf("penicillin = %+v %+v", pen.Request, r)
	}
	if fix.Request.Method != "PUT" || fix.Request.URL != "AllergyIntolerance?identifier="+EventIDSystem+"|"+d.allergy.ID ||
		fix.Resource.Reaction[0].Severity != "severe" || fix.Resource.Note[0].Text != "daughter confirms: anaphylaxis in 2019" || fix.Resource.Status != "" {
		t.Errorf("correction = %+v %+v", fix.Request, fix.Resource)
	}
	var eie, nka *Entry
	for i, e := range ai {
		switch {
		case e.Resource.VerificationStatus.Coding[0].Code == "entered-in-error":
			eie = &ai[i]
		case hasCode(e.Resource, snomed, SnomedNoKnownAllergy):
			nka = &ai[i]
		}
	}
	if eie == nil || eie.Request.Method != "PUT" || eie.Resource.ClinicalStatus != nil || eie.Resource.Code.Text != "Latex" {
		t.Errorf("latex in error = %+v", eie)
	}
	if nka == nil || nka.Resource.ClinicalStatus.Coding[0].Code != "active" || nka.Request.Method != "POST" {
		t.Errorf("no known allergies = %+v", nka)
	}
	w := find(x, func(e Entry) bool {
		return e.Resource.ResourceType == "Observation" && hasCode(e.Resource, loinc, "29463-7")
	})
	if len(w) != 1 || w[0].Resource.ValueQuantity.Value != 61.4 || w[0].Resource.ValueQuantity.Code != "kg" ||
		w[0].Resource.EffectiveDateTime != fhirTime(storetest.T0.Add(9*time.Hour)) || w[0].Resource.Category[0].Coding[0].Code != "vital-signs" {
		t.Errorf("weight = %+v", w)
	}
	ma := find(x, func(e Entry) bool {
		return e.Resource.ResourceType == "MedicationAdministration" && e.Resource.Identifiers()[0].Value == d.override.ID
	})
	if len(ma) != 1 {
		t.Fatalf("overridden dose = %d entries", len(ma))
	}
	var notes []string
	for _, n := range ma[0].Resource.Note {
		notes = append(notes, n.Text)
	}
	want := []string{"Override too_soon (within the minimum interval): pain uncontrolled, Dr Rao agreed",
		"Override duplicate_order (another active order of the same medicine): the other order was stopped on paper"}
	if !slices.Equal(notes, want) {
		t.Errorf("override notes = %q, want %q", notes, want)
	}
}

// TestExportFHIR_CensusAllergiesStayHome: allergies, "no known allergies"
// and weights from a census are not sent back (the core system has them),
// and a downtime amendment of a census allergy is listed as skipped with
// the way forward, not sent as a new allergy.
func TestExportFHIR_CensusAllergiesStayHome(t *testing.T) {
	ctx := t.Context()
	db, s := MustStore(t)
	if _, err := Import(ctx, db, StoreAppender(db, s), mustCSV(t, "census-full.csv", asOf)); err != nil {
		t.Fatal(err)
	}
	recs, _ := db.EventsOfKind(ctx, forms.KindAllergyRecorded)
	var a forms.Allergy
	json.Unmarshal(recs[0].Payload, &a)
	a.Status, a.Source = forms.AllergyResolved, forms.SourceEntered
	fix := storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindAllergyRecorded, Subject: recs[0].Subject, PerformedAt: storetest.T0, Corrects: recs[0].ID, Payload: a})
	evs, _ := db.EventsAfter(ctx, nil, 1<<30)
	x, err := ExportFHIR(evs, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Events) != 0 || len(x.Bundles) != 0 {
		t.Errorf("exported %d events from a census alone", len(x.Events))
	}
	if len(x.Skipped) != 1 || x.Skipped[0].EventID != fix.ID || !strings.Contains(x.Skipped[0].Reason, "correct it in the core system by hand") {
		t.Errorf("skipped = %+v", x.Skipped)
	}
}

// TestExportFHIR_BundleSize: sizes outside 1..MaxBundleSize are refused
// (before, negative sizes silently became 8); 0 is the default. With 1 or
// 2 every Bundle holds one record, never split (its resources refer to
// each other by fullUrl), so a Bundle is larger than the size only when
// its one record's resources need more.
func TestExportFHIR_BundleSize(t *testing.T) {
	d := MustDowntime(t)
	for _, n := range []int{-1, -8, MaxBundleSize + 1} {
		if _, err := ExportFHIR(d.events, ExportOptions{BundleSize: n}); !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("size %d: %v, want ErrInvalid", n, err)
		}
	}
	def, _ := ExportFHIR(d.events, ExportOptions{})
	eight, _ := ExportFHIR(d.events, ExportOptions{BundleSize: DefaultBundleSize})
	if len(def.Bundles) != len(eight.Bundles) {
		t.Errorf("size 0 gave %d bundles, size %d %d", len(def.Bundles), DefaultBundleSize, len(eight.Bundles))
	}
	alone, _ := ExportFHIR(d.events, ExportOptions{BundleSize: MaxBundleSize})
	for _, size := range []int{1, 2} {
		x, err := ExportFHIR(d.events, ExportOptions{BundleSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Bundles) <= len(alone.Bundles) || len(x.Events) != len(alone.Events) {
			t.Errorf("size %d: %d bundles of %d events; size %d gave %d", size, len(x.Bundles), len(x.Events), MaxBundleSize, len(alone.Bundles))
		}
		small := 0
		for i, b := range x.Bundles {
			records := map[string]bool{}
			for _, en := range b.Entry {
				for _, id := range en.Events {
					records[id] = true
				}
			}
			if len(records) != 1 {
				t.Errorf("size %d: bundle %d holds %d records, want 1", size, i, len(records))
			}
			if len(b.Entry) <= size {
				small++
			}
		}
		if size == 2 && small == 0 {
			t.Errorf("size 2: no bundle of 2 or fewer entries (a supply is its Patient and a MedicationDispense)")
		}
	}
}

// TestIdentQuery: hostile identifier values give a conditional URL with
// nothing that ends it ("#"), adds a parameter ("&"), changes a character
// ("+", "%") or makes an OR (","); read back as a query it is the one
// identifier parameter "system|value" (with "," escaped "\," as FHIR
// search wants), whatever the value holds.
func TestIdentQuery(t *testing.T) {
	for _, tt := range []struct{ system, value, want string }{
		{EventIDSystem, "01JD#spo2", "identifier=https://lifeboat.example/event-id|01JD%23spo2"},
		{LocationSystem, "A&E/Bay 4", "identifier=https://lifeboat.example/location|A%26E%2FBay+4"},
		{LocationSystem, "w|x", "identifier=https://lifeboat.example/location|w%7Cx"},
		{LocationSystem, "2,3", `identifier=https://lifeboat.example/location|2%5C%2C3`},
		{NHSNumberSystem, "9990000018", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"},
		{"urn:oid:1.2.3", "a", "identifier=urn:oid:1.2.3|a"},
		{"https://trust.example/id?x=1&y#z", "v", "identifier=https://trust.example/id%3Fx%3D1%26y%23z|v"},
	} {
		if got := IdentQuery(tt.system, tt.value); got != tt.want {
			t.Errorf("IdentQuery(%q, %q) = %q, want %q", tt.system, tt.value, got, tt.want)
		}
	}
	for _, v := range []string{"a#b", "a|b", "a&identifier=x|y", "a+b c", "100%", "a=b", "a,b", "ü€\n", "a\\b", "#|&=+%, ?/"} {
		q := IdentQuery(PatientIDSystem, v)
		if strings.ContainsAny(q[len("identifier="):], "#& ,\n") || strings.Count(q, "=") != 1 {
			t.Errorf("IdentQuery(%q) = %q: holds a character with a meaning", v, q)
		}
		vals, err := url.ParseQuery(q)
		if err != nil || len(vals) != 1 || len(vals["identifier"]) != 1 {
			t.Fatalf("IdentQuery(%q) = %q reads back as %v, %v", v, q, vals, err)
		}
		if got, want := vals["identifier"][0], PatientIDSystem+"|"+strings.ReplaceAll(v, ",", `\,`); got != want {
			t.Errorf("IdentQuery(%q) reads back as %q, want %q", v, got, want)
		}
	}
}

// TestExportFHIR_TrustSystems: a trust's systems replace every
// lifeboat.example system and URL in the export; the zero Systems are
// today's (the defaults are SystemsUnder(DefaultSystemBase)); bad systems
// are refused.
func TestExportFHIR_TrustSystems(t *testing.T) {
	d := MustDowntime(t)
	if SystemsUnder(DefaultSystemBase) != DefaultSystems {
		t.Fatalf("SystemsUnder(%s) = %+v, want the defaults %+v", DefaultSystemBase, SystemsUnder(DefaultSystemBase), DefaultSystems)
	}
	def, _ := ExportFHIR(d.events, ExportOptions{})
	same, _ := ExportFHIR(d.events, ExportOptions{Systems: DefaultSystems})
	a, _ := json.Marshal(def.Bundles)
	b, _ := json.Marshal(same.Bundles)
	if !bytes.Equal(a, b) {
		t.Error("the default systems given explicitly change the export")
	}
	const base = "https://fhir.trust.nhs.uk/lifeboat"
	x, err := ExportFHIR(d.events, ExportOptions{Systems: SystemsUnder(base + "/")})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(x.Bundles)
	if strings.Contains(string(raw), "lifeboat.example") {
		t.Errorf("a trust export still names lifeboat.example")
	}
	for _, want := range []string{base + "/event-id", base + "/patient-id", base + "/location", base + "/fhir/StructureDefinition/performed-at", base + "/fhir/Questionnaire/falls-risk|1",
		"identifier=" + base + "/event-id|"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("a trust export has no %q", want)
		}
	}
	for _, tt := range []struct{ file, want string }{
		{`{"base":"https://fhir.trust.nhs.uk/lb"}`, ""},
		{`{"base":"https://fhir.trust.nhs.uk/lb","location":"urn:oid:2.16.840.1.113883.2.1.3.2.4.18.48"}`, ""},
		{`{}`, ""},
		{`{"base":"fhir.trust.nhs.uk"}`, "not an absolute URL"},
		{`{"base":"https://trust.example/a|x"}`, "holds a |"},
		{`{"location":"https://a.example/loc,x"}`, "holds a |"},
		{`{"event_id":"https://fhir.nhs.uk/Id/nhs-number"}`, "NHS number"},
		{`{"event_id":"https://a.example/x","patient_id":"https://a.example/x"}`, "are both"},
		{`{"base":"https://a.example","locaton":"https://a.example/l"}`, "unknown field"},
		{`not json`, "invalid"},
	} {
		s, err := ParseSystems([]byte(tt.file))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ParseSystems(%s) = %v", tt.file, err)
		case tt.want != "" && (!errors.Is(err, lifeboat.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseSystems(%s) = %+v, %v; want ErrInvalid saying %q", tt.file, s, err, tt.want)
		}
	}
	if s, _ := ParseSystems([]byte(`{"base":"https://t.example/lb","location":"urn:oid:1.2.3"}`)); s.Location != "urn:oid:1.2.3" || s.EventID != "https://t.example/lb/event-id" {
		t.Errorf("a file's own location system and base: %+v", s)
	}
	if _, err := ExportFHIR(d.events, ExportOptions{Systems: Systems{EventID: "x"}}); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("export with bad systems: %v", err)
	}
}

// provenanceOf is b's Provenance entry, inside it or apart.
func provenanceOf(b Bundle) *Entry {
	if b.Provenance != nil {
		return b.Provenance
	}
	if n := len(b.Entry); n > 0 && b.Entry[n-1].Resource.ResourceType == "Provenance" {
		return &b.Entry[n-1]
	}
	return nil
}

// TestExportFHIR_ProvenanceAndDowntimeTag: every exported resource carries
// the downtime meta tag; each Bundle has a Provenance whose targets are
// its records' resources (not the Patient and Locations they lean on),
// naming each person who recorded them by name and role (from the store's
// people, never the bare user ID), the device, and "recorded during
// downtime"; performers are references to the person, shown by name.
// Before, performers were the internal user ID and there was neither.
func TestExportFHIR_ProvenanceAndDowntimeTag(t *testing.T) {
	d := MustDowntime(t)
	x, err := ExportFHIR(d.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range d.events {
		ids[e.Author] = true
	}
	tagged := func(r *Resource) bool {
		return r.Meta != nil && len(r.Meta.Tag) == 1 && r.Meta.Tag[0] == Coding{System: DowntimeSystem, Code: DowntimeCode, Display: DowntimeDisplay}
	}
	agents := map[string]string{}
	for i, b := range x.Bundles {
		records := map[string]bool{}
		for _, en := range b.Whole().Entry {
			if !tagged(en.Resource) {
				t.Errorf("bundle %d: %s has no downtime tag: %+v", i, en.Resource.ResourceType, en.Resource.Meta)
			}
			if len(en.Events) > 0 {
				records[en.FullURL] = true
			}
		}
		pe := provenanceOf(b)
		p := pe.Resource
		if !tagged(p) || p.Recorded == "" || len(p.Reason) != 1 || p.Reason[0].Coding[0].Code != DowntimeCode || !strings.Contains(p.Reason[0].Text, "downtime") {
			t.Errorf("bundle %d: Provenance %+v", i, p)
		}
		if pe.Request.Method != "PUT" || pe.Request.URL != "Provenance/"+p.ID {
			t.Errorf("bundle %d: Provenance request %+v, want an update-as-create of its id", i, pe.Request)
		}
		if b.Provenance != nil && len(b.Entry) < DefaultBundleSize || b.Provenance == nil && len(b.Entry) > DefaultBundleSize {
			t.Errorf("bundle %d: %d entries, Provenance apart %v: it goes apart only when the records fill the bundle", i, len(b.Entry), b.Provenance != nil)
		}
		if len(p.Target) != len(records) {
			t.Errorf("bundle %d: Provenance targets %d resources, the bundle has %d records' resources", i, len(p.Target), len(records))
		}
		for _, tg := range p.Target {
			if !records[tg.Reference] {
				t.Errorf("bundle %d: Provenance targets %s, not one of its records' resources", i, tg.Reference)
			}
		}
		for _, a := range p.Agent {
			role := ""
			if len(a.Role) > 0 {
				role = a.Role[0].Text
			}
			agents[a.Type.Coding[0].Code+" "+a.Who.Display] = role
			if ids[a.Who.Display] || a.Who.Identifier == nil {
				t.Errorf("bundle %d: agent %+v is shown by a user ID or has no identifier", i, a.Who)
			}
		}
	}
	if agents["author Ada Admin"] != "IT admin" || agents["author Phil Pharmacist"] != "Pharmacist" {
		t.Errorf("Provenance authors = %v, want Ada Admin (IT admin) and Phil Pharmacist (Pharmacist)", agents)
	}
	devices := 0
	for k := range agents {
		if strings.HasPrefix(k, "assembler ") && strings.Contains(k, "during downtime") {
			devices++
		}
	}
	if devices == 0 {
		t.Errorf("no device agent in %v", agents)
	}
	// Performers: a reference to the person by user ID, shown by name.
	raw, _ := json.Marshal(x.Bundles)
	for id := range ids {
		if strings.Contains(string(raw), `"display":"`+id+`"`) {
			t.Errorf("a performer is shown as user ID %s", id)
		}
	}
	obs := find(x, func(e Entry) bool { return e.Resource.ResourceType == "Observation" })
	perf, _ := obs[0].Resource.Performer.([]Ref)
	if len(perf) != 1 || perf[0].Display != "Ada Admin" || perf[0].Identifier == nil || perf[0].Identifier.System != UserIDSystem || !ids[perf[0].Identifier.Value] {
		t.Errorf("observation performer = %+v", perf)
	}
	sup := find(x, func(e Entry) bool { return e.Resource.ResourceType == "MedicationAdministration" })
	if act, _ := sup[0].Resource.Performer.([]Actor); len(act) != 1 || act[0].Actor.Display != "Ada Admin" {
		t.Errorf("administration performer = %+v", sup[0].Resource.Performer)
	}
}

// TestExportFHIR_CodedOxygenScaleAndDose: oxygen is coded on the SpO2
// Observation (SNOMED CT room air, or the delivery device, and the flow in
// L/min UCUM), the NEWS2 SpO2 scale is a code on the NEWS2 score (scale 2
// too), and a dose given has a UCUM dose and a reference to its order.
// Before, oxygen and scale 2 were notes in words, the dose had no UCUM
// code and the administration no link to its MedicationRequest.
func TestExportFHIR_CodedOxygenScaleAndDose(t *testing.T) {
	d := MustDowntime(t)
	grace := d.byNHS["9990000018"]
	at := storetest.T0.Add(14 * time.Hour)
	add(t, d, store.Draft{Kind: forms.KindNEWS2Scale, Subject: grace, PerformedAt: at,
		Payload: forms.SpO2ScaleSetting{PatientID: grace, Scale: 2, SetBy: "Dr Rao", Reason: "COPD, hypercapnic"}})
	o2 := storetest.ObsDraft(grace, 20, 90, 125, 88, 37.1, at.Add(time.Minute))
	obs := o2.Payload.(forms.Observations)
	on, flow := true, 2.0
	obs.OnOxygen, obs.O2Device, obs.O2FlowLPM, obs.SpO2Scale = &on, "Nasal cannula", &flow, 2
	o2.Payload = obs
	oxy := add(t, d, o2)
	evs, _ := d.db.EventsAfter(t.Context(), nil, 1<<30)
	x, err := ExportFHIR(evs, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spo2 := find(x, func(e Entry) bool {
		return e.Resource.ResourceType == "Observation" && hasCode(e.Resource, loinc, "59408-5")
	})
	var air, oxygen *Resource
	for _, e := range spo2 {
		ids := e.Resource.Identifiers()
		switch {
		case len(ids) > 0 && ids[0].Value == oxy.ID+"#spo2":
			oxygen = e.Resource
		case len(ids) > 0 && ids[0].Value == d.obs.ID+"#spo2" && e.Request.Method == "POST":
			air = e.Resource
		}
	}
	if air == nil || oxygen == nil {
		t.Fatalf("SpO2 observations: %d, room air %v, on oxygen %v", len(spo2), air != nil, oxygen != nil)
	}
	if len(air.Note) != 0 || len(air.Component) != 1 || air.Component[0].ValueCodeableConcept.Coding[0].Code != "722742002" {
		t.Errorf("room air SpO2 = notes %+v, components %+v; want coded breathing room air", air.Note, air.Component)
	}
	if len(oxygen.Note) != 0 || len(oxygen.Component) != 2 {
		t.Fatalf("on oxygen SpO2 = notes %+v, components %+v", oxygen.Note, oxygen.Component)
	}
	dev, fl := oxygen.Component[0], oxygen.Component[1]
	if dev.Code.Coding[0].Code != "57485005" || dev.ValueCodeableConcept.Coding[0] != (Coding{System: snomed, Code: "336623009", Display: "Oxygen nasal cannula"}) {
		t.Errorf("oxygen device component = %+v", dev)
	}
	if fl.Code.Coding[0] != (Coding{System: loinc, Code: "3151-8", Display: "Inhaled oxygen flow rate"}) || *fl.ValueQuantity != (Quantity{Value: 2, Unit: "L/min", System: ucum, Code: "L/min"}) {
		t.Errorf("oxygen flow component = %+v %+v", fl, fl.ValueQuantity)
	}
	news := find(x, func(e Entry) bool { return hasCode(e.Resource, snomed, "1104051000000101") })
	scales := map[string]int{}
	for _, e := range news {
		if m := e.Resource.Method; m == nil || len(m.Coding) != 1 || m.Coding[0].System != NEWS2System {
			t.Errorf("NEWS2 score method = %+v, want a coded SpO2 scale", m)
		} else {
			scales[m.Coding[0].Code]++
		}
	}
	if scales["scale-2"] != 1 || scales["scale-1"] == 0 {
		t.Errorf("NEWS2 scales = %v, want one scale-2 and some scale-1", scales)
	}
	// Doses: UCUM and a reference to the order.
	given := find(x, func(e Entry) bool {
		return e.Resource.ResourceType == "MedicationAdministration" && e.Resource.Status == "completed"
	})
	if len(given) == 0 {
		t.Fatal("no dose given exported")
	}
	for _, e := range given {
		r := e.Resource
		if q := r.Dosage.Dose; q.System != ucum || q.Code != "g" || q.Unit != "g" || q.Value != 1 {
			t.Errorf("dose = %+v, want 1 g in UCUM", q)
		}
		if r.Request == nil || r.Request.Identifier == nil || r.Request.Identifier.System != OrderIDSystem || r.Request.Identifier.Value == "" || !strings.HasPrefix(r.Request.Display, "Paracetamol") {
			t.Errorf("administration request = %+v, want a reference to its order", r.Request)
		}
	}
	// Still valid R4.
	u := validator(t)
	for _, b := range x.Bundles {
		raw, _ := json.Marshal(b.Whole())
		if _, err := u.Unmarshal(raw); err != nil {
			t.Errorf("not valid R4: %v\n%s", err, raw)
		}
	}
	// A unit with no UCUM code keeps its words and no code.
	if q := doseQuantity(2, "spoonfuls"); q.System != "" || q.Code != "" || q.Unit != "spoonfuls" {
		t.Errorf("dose in spoonfuls = %+v", q)
	}
	if q := doseQuantity(500, "microgram"); q.Code != "ug" {
		t.Errorf("dose in microgram = %+v", q)
	}
}

// TestFHIRExportDoc: docs/fhir-export.md (cited in the code) names every
// exported kind, every system a trust can set and every status.
func TestFHIRExportDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "fhir-export.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range ExportKinds {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/fhir-export.md does not name exported kind %s", k)
		}
	}
	raw, _ := json.Marshal(DefaultSystems)
	var names map[string]string
	json.Unmarshal(raw, &names)
	for name, v := range names {
		if !strings.Contains(doc, "`"+name+"`") || !strings.Contains(doc, strings.TrimPrefix(v, DefaultSystemBase)) {
			t.Errorf("docs/fhir-export.md does not give system %s (%s)", name, v)
		}
	}
	for _, s := range Statuses {
		if !strings.Contains(doc, "| "+string(s)+" |") {
			t.Errorf("docs/fhir-export.md does not explain status %s", s)
		}
	}
}

// FuzzParseSystems: any systems file gives checked systems or an error
// wrapping ErrInvalid, and what it accepts makes conditional URLs that read
// back as the one identifier parameter.
func FuzzParseSystems(f *testing.F) {
	f.Add([]byte(`{"base":"https://fhir.trust.nhs.uk/lb"}`))
	f.Add([]byte(`{"base":"https://t.example","location":"urn:oid:1.2.3","news2":"https://t.example/n"}`))
	f.Add([]byte(`{"event_id":"https://a.example/x","patient_id":"https://a.example/x"}`))
	f.Add([]byte(`{"base":"https://a.example/%7C"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSystems(b)
		if err != nil {
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("ParseSystems error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := s.Check(); err != nil {
			t.Fatalf("ParseSystems accepted systems Check refuses: %v", err)
		}
		q := IdentQuery(s.Location, "w|1,b#2")
		vals, err := url.ParseQuery(q)
		if err != nil || len(vals) != 1 || len(vals["identifier"]) != 1 {
			t.Fatalf("systems %+v make %q, reading back as %v, %v", s, q, vals, err)
		}
	})
}
