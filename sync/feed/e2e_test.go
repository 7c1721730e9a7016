package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/internal/fhirtest"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh/meshtest"
	"lifeboat/sync/reconcile"
)

// offsetClock is the wall clock moved on by the test: the feed's outage
// time passes without waiting for it, and the store (on the wall clock)
// still takes what the feed records (never more than a few minutes
// ahead).
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) Advance(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// mustSync waits until both stores hold the same log.
func mustSync(t *testing.T, what string, a, b *store.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		da, na, err := a.LogDigest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		db, nb, err := b.LogDigest(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if da == db && na == nb {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: logs not the same within 30s (%d and %d events)", what, na, nb)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newestCensus is the as-of of the newest census.imported in db.
func newestCensus(t *testing.T, db *store.DB) time.Time {
	t.Helper()
	evs, err := db.EventsOfKind(t.Context(), reconcile.KindCensusImported)
	if err != nil || len(evs) == 0 {
		t.Fatalf("census records: %d, %v", len(evs), err)
	}
	var newest time.Time
	for _, e := range evs {
		var ci reconcile.CensusImported
		if err := json.Unmarshal(e.Payload, &ci); err != nil {
			t.Fatal(err)
		}
		if ci.AsOf.After(newest) {
			newest = ci.AsOf
		}
	}
	return newest
}

// admittedNHS maps the NHS number of every admitted patient in db to the
// patient.
func admittedNHS(t *testing.T, db *store.DB) map[string]store.PatientView {
	t.Helper()
	ps, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.PatientView{}
	for _, p := range ps {
		if p.Ward != "" {
			out[p.NHSNumber] = p
		}
	}
	return out
}

// downtimeRecords records, as s on db the way the ward screens do, an
// observation set and a scheduled dose given for the first patient in
// nhs (tried in order) with a regular order whose dose raises no warning.
// It returns the two events.
func downtimeRecords(t *testing.T, db *store.DB, s *store.Session, patients map[string]store.PatientView, nhs []string) (obs, dose lifeboat.Event) {
	t.Helper()
	ctx := t.Context()
	now := time.Now()
	for _, n := range nhs {
		p := patients[n]
		chart, err := db.MedicineChart(ctx, p.ID, now, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range chart.Orders {
			if o.PRN || !o.Stop.IsZero() {
				continue
			}
			slots := forms.DueSlots(o, now, time.Local)
			if len(slots) == 0 {
				continue
			}
			if ws, err := db.DoseWarnings(ctx, p.ID, o.ID, o.Dose, now); err != nil || len(ws) > 0 {
				continue
			}
			obs = storetest.MustAppend(t, db, s, storetest.ObsDraft(p.ID, 18, 96, 128, 84, 37.2, now))
			dose = storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindMedAdministered, Subject: p.ID, PerformedAt: now,
				Payload: forms.Administration{OrderID: o.ID, PatientID: p.ID, Slot: forms.SlotTime(slots[0].Time), Outcome: forms.OutcomeGiven, Dose: o.Dose}})
			return obs, dose
		}
	}
	t.Fatal("no patient with a regular order to give")
	return
}

// TestFeed_EndToEnd is the "must show", on real parts: the local
// FHIR server (Medplum's router) seeded with 300 inpatients with orders
// and allergies, reached through a TCP proxy; two devices of the ward
// synced by real memberlist nodes on loopback; the feed runner on device
// A with the FHIR source. The first pull is full and device B gets the
// census through the mesh; after changes on the server the next pull is
// incremental. The core system goes down (the proxy closes its listener:
// stopping Medplum would lose its data, which is held in memory): once
// pulls have failed for outage_after, feed.status "down" is recorded and
// B has it. Downtime records are made on both devices (observations and a
// dose given, through the store as the screens record them) and synced.
// The server comes back: "up" is recorded at the first pull that works.
// Send from A's store (ExportFHIR and Send, as lifeboat send does): the
// server holds each downtime record exactly once, no resource twice, and a
// Provenance per transaction.
func TestFeed_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	ctx := t.Context()
	const token = "e2e-feed-token"
	srv := fhirtest.Start(t, "--token", token)
	seed := fhirtest.SeedCensus(t, srv, 300, 17)
	proxy := fhirtest.NewProxy(t, srv.URL)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(fmt.Appendf(nil, `{"fhir":{"base":%q,"token_file":"token","page_size":100},"every":"30s","outage_after":"30s"}`, proxy.URL), dir)
	if err != nil {
		t.Fatal(err)
	}

	// Two devices of the ward, syncing over real memberlist nodes.
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b, _ := storetest.MustJoin(t, a, as, store.Options{NoBackup: true})
	nodeA := meshtest.Start(t, a)
	meshtest.Start(t, b, nodeA.Addr())

	clk := &offsetClock{}
	src, err := NewSource(cfg, reconcile.CensusOptions{Ward: "Ward 7"})
	if err != nil {
		t.Fatal(err)
	}
	fhir := src.(*FHIR)
	// The census was seeded seconds ago: with the usual minute of overlap
	// the incremental pull would fetch it all again. The server stamps
	// changes to the millisecond, so none is missed without it.
	fhir.overlap = 0
	r := NewRunner(cfg, src, a, reconcile.StoreAppender(a, as), Options{Now: clk.Now})

	// The first pull: the whole census, one import, on B through the mesh.
	p, err := r.PullOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Import.Counts; !p.Imported || !fhir.last.wasFull || n.NewPatients != 300 || n.Admissions != 300 || n.Medicines < 300 || n.Allergies == 0 {
		t.Fatalf("first pull = %+v (full %v), want 300 new patients admitted with their orders and allergies", n, fhir.last.wasFull)
	}
	mustSync(t, "after the first pull", a, b)
	onB := admittedNHS(t, b)
	for _, w := range seed.Patients {
		if p, ok := onB[w.NHSNumber]; !ok || p.Ward != w.Ward || p.Bed != w.Bed {
			t.Fatalf("device B: %s is %+v, want on %s/%s", w.NHSNumber, p, w.Ward, w.Bed)
		}
	}
	if got := newestCensus(t, b); !got.Equal(p.Census.AsOf) {
		t.Errorf("device B's patient data as of %s, want %s", got, p.Census.AsOf)
	}

	// Changes on the server: an order stopped, an allergy added, a new
	// patient admitted to a new bed, one sent home. The next pull asks
	// only for them.
	home := seed.Patients[2]
	enc := srv.Read(t, "Encounter/"+home.EncounterID)
	enc["status"] = "finished"
	srv.Put(t, enc)
	stopped := seed.Patients[0].Orders[0]
	mr := srv.Read(t, "MedicationRequest/"+stopped.ID)
	mr["status"] = "stopped"
	srv.Put(t, mr)
	srv.Put(t, fhirtest.AllergyIntolerance("al-e2e", seed.Patients[1].ID, "Eggs", "102263004")) // not one SeedCensus gives
	const newNHS = "9434765870"
	ward := seed.Patients[0].Ward
	srv.Put(t,
		map[string]any{"resourceType": "Location", "id": "bed-" + ward + "-B31", "status": "active",
			"identifier": []any{map[string]any{"value": "B31"}}, "name": "Bed B31",
			"physicalType": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd"}}},
			"partOf":       map[string]any{"reference": "Location/ward-" + ward}},
		map[string]any{"resourceType": "Patient", "id": "pat-e2e",
			"identifier": []any{map[string]any{"system": reconcile.NHSNumberSystem, "value": newNHS}},
			"name":       []any{map[string]any{"family": "ADEYEMI", "given": []any{"Tunde"}}}, "birthDate": "1961-04-02"},
		map[string]any{"resourceType": "Encounter", "id": "enc-e2e", "status": "in-progress",
			"class":    map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
			"subject":  map[string]any{"reference": "Patient/pat-e2e"},
			"location": []any{map[string]any{"location": map[string]any{"reference": "Location/bed-" + ward + "-B31"}}}},
		fhirtest.MedicationRequest("mr-e2e", "pat-e2e", "Furosemide 40mg tablets", "317972000", 40, "mg", "oral", "active", false, false),
		fhirtest.AllergyIntolerance("al-e2e-2", "pat-e2e", "Codeine", "300954003"),
	)
	clk.Advance(time.Second)
	p, err = r.PullOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Import.Counts; !p.Imported || fhir.last.wasFull || n.NewPatients != 1 || n.Admissions != 1 || n.Discharges != 1 || n.StoppedMedicines != 1 || n.Allergies != 2 || n.Medicines != 1 {
		t.Fatalf("incremental pull = %+v (full %v, %s), want the new patient, the one sent home, the stopped order and the allergies only", n, fhir.last.wasFull, fhir.last.fellBack)
	}
	if fhir.last.resources > 30 {
		t.Errorf("incremental pull fetched %d resources, want only the changes", fhir.last.resources)
	}
	mustSync(t, "after the incremental pull", a, b)
	if p, ok := admittedNHS(t, b)[newNHS]; !ok || p.Bed != "B31" {
		t.Errorf("device B: the new patient is %+v, want on bed B31", p)
	}
	if p, ok := admittedNHS(t, b)[home.NHSNumber]; ok {
		t.Errorf("device B: %s, sent home by the core system, is still on %s/%s", home.NHSNumber, p.Ward, p.Bed)
	}

	// The core system goes down.
	proxy.Down()
	firstFail := clk.Now()
	if _, err := r.PullOnce(ctx); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("pull with the server down = %v, want ErrUnreachable", err)
	}
	if n := countKind(t, a, forms.KindFeedStatus); n != 0 {
		t.Fatalf("%d feed.status after one failed pull, want none before outage_after", n)
	}
	clk.Advance(30 * time.Second)
	if _, err := r.PullOnce(ctx); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("second pull with the server down = %v", err)
	}
	mustSync(t, "after the outage", a, b)
	if fs := feedStatuses(t, b); len(fs) != 1 || fs[0].Up || fs[0].Since.Sub(firstFail).Abs() > time.Second || fs[0].Reason == "" {
		t.Fatalf("device B's feed.status = %+v, want one down since %s with the reason", fs, firstFail)
	}

	// Downtime: a nurse records on both devices.
	nurseA := storetest.MustPerson(t, a, as, "Nia Nurse", lifeboat.RoleWardStaff)
	mustSync(t, "the nurse", a, b)
	nurseB, err := b.SignIn(ctx, nurseA.User.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	patients := admittedNHS(t, a)
	var first, second []string
	for i, w := range seed.Patients[3:] { // 2 went home
		if i%2 == 0 {
			first = append(first, w.NHSNumber)
		} else {
			second = append(second, w.NHSNumber)
		}
	}
	obsA, doseA := downtimeRecords(t, a, nurseA, patients, first)
	obsB, doseB := downtimeRecords(t, b, nurseB, patients, second)
	mustSync(t, "the downtime records", a, b)

	// The server is back: "up" at the first pull that works.
	proxy.Up(t)
	clk.Advance(30 * time.Second)
	p, err = r.PullOnce(ctx)
	if err != nil || p.Recorded == nil || !p.Recorded.Up {
		t.Fatalf("pull with the server back = %+v, %v; want an up record", p.Recorded, err)
	}
	mustSync(t, "after the server came back", a, b)
	if fs := feedStatuses(t, b); len(fs) != 2 || !fs[1].Up {
		t.Fatalf("device B's feed.status = %+v, want down then up", fs)
	}

	// Send from A's store, which holds B's records too.
	events, err := a.EventsAfter(ctx, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	x, err := reconcile.ExportFHIR(events, reconcile.ExportOptions{Skip: reconcile.Done(reconcile.Worklist(events)), HoldUnmatched: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{obsA.ID, doseA.ID, obsB.ID, doseB.ID}
	for _, id := range want {
		if !slices.Contains(x.Events, id) {
			t.Fatalf("export lacks downtime event %s (exported %d events)", id, len(x.Events))
		}
	}
	rep, err := reconcile.Send(ctx, &reconcile.Client{BaseURL: srv.URL, Token: token}, x, reconcile.StoreAppender(a, as), as.User.Name, time.Now, nil)
	if err != nil || rep.Rejected != 0 || rep.Accepted != len(x.Events) {
		t.Fatalf("send = %+v, %v; want all %d events accepted", rep, err, len(x.Events))
	}
	fhirtest.MustEachOnce(t, srv, "Observation", reconcile.EventIDSystem, []string{obsA.ID, obsB.ID})
	fhirtest.MustEachOnce(t, srv, "MedicationAdministration", reconcile.EventIDSystem, []string{doseA.ID, doseB.ID})
	types := []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense", "QuestionnaireResponse", "AllergyIntolerance", "Provenance"}
	for _, typ := range types {
		fhirtest.MustNoDuplicates(t, srv, typ)
	}
	fhirtest.MustProvenance(t, srv, len(x.Bundles), reconcile.DowntimeCode, types)
	if n, had := srv.Count(t, "Patient"), len(seed.Patients)+seed.Others+1; n != had {
		t.Errorf("server holds %d Patients after the send, want the %d it had (the downtime records are on them)", n, had)
	}
}
