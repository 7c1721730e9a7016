package feed

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeboat/internal/fhirtest"
	"lifeboat/sync/reconcile"
)

// requestLog records the requests a feed makes (path and query), as a
// RoundTripper around its transport.
type requestLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.URL.Path+"?"+r.URL.RawQuery)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

// mustFHIR makes a FHIR source for cfg with its requests logged.
func mustFHIR(tb testing.TB, cfg FHIRConfig, opts reconcile.CensusOptions) (*FHIR, *requestLog) {
	tb.Helper()
	f, err := NewFHIR(cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	l := &requestLog{next: f.hc.Transport}
	f.hc.Transport = l
	return f, l
}

// writeSecret writes a file in a temporary folder and returns its path.
func writeSecret(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// censusByNHS indexes a census's patients by NHS number.
func censusByNHS(c reconcile.Census) map[string]reconcile.CensusPatient {
	m := map[string]reconcile.CensusPatient{}
	for _, p := range c.Patients {
		m[p.NHSNumber] = p
	}
	return m
}

func drugsOf(p reconcile.CensusPatient) []string {
	var out []string
	for _, m := range p.Medicines {
		out = append(out, m.Drug)
	}
	slices.Sort(out)
	return out
}

func allergiesOf(p reconcile.CensusPatient) []string {
	var out []string
	for _, a := range p.Allergies {
		out = append(out, a.Substance)
	}
	slices.Sort(out)
	return out
}

// mustMatchSeed checks the census holds exactly the seeded inpatients,
// each on their ward and bed with their orders, allergies and latest
// weight.
func mustMatchSeed(t *testing.T, c reconcile.Census, want []fhirtest.Inpatient) {
	t.Helper()
	got := censusByNHS(c)
	if len(c.Patients) != len(want) || len(got) != len(want) {
		t.Errorf("census has %d patients, want %d", len(c.Patients), len(want))
	}
	for _, w := range want {
		p, ok := got[w.NHSNumber]
		if !ok {
			t.Errorf("%s (%s) missing from the census", w.ID, w.NHSNumber)
			continue
		}
		if p.Surname != w.Surname || p.Ward != w.Ward || p.Bed != w.Bed {
			t.Errorf("%s = %s on %s/%s, want %s on %s/%s", w.ID, p.Surname, p.Ward, p.Bed, w.Surname, w.Ward, w.Bed)
		}
		var drugs []string
		for _, o := range w.Orders {
			drugs = append(drugs, o.Drug)
		}
		slices.Sort(drugs)
		if d := drugsOf(p); !slices.Equal(d, drugs) {
			t.Errorf("%s medicines = %q, want %q", w.ID, d, drugs)
		}
		allergies := slices.Sorted(slices.Values(w.Allergies))
		if a := allergiesOf(p); !slices.Equal(a, allergies) || p.NoKnownAllergies != w.NoKnownAllergies {
			t.Errorf("%s allergies = %q (none known %v), want %q (none known %v)", w.ID, a, p.NoKnownAllergies, allergies, w.NoKnownAllergies)
		}
		if len(p.Weights) != 1 || p.Weights[0].Kg.String() != w.WeightKg {
			t.Errorf("%s weights = %+v, want one of %s kg", w.ID, p.Weights, w.WeightKg)
		}
	}
}

// TestFHIR_PullMedplum pulls a census of 300 inpatients from the real
// FHIR server (bearer token from a file): the first pull is full and gives
// every inpatient on their bed with their orders, allergies and weight,
// and none of the discharged patients, outpatients or stopped orders
// around them. Then one patient is discharged, one admitted, an order
// stopped, an allergy added, a patient renamed and one weighed on the
// server: the next pull is incremental, asks only what changed (the
// request log) and the census shows exactly those changes.
func TestFHIR_PullMedplum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	const token = "feed-test-token"
	srv := fhirtest.Start(t, "--token", token)
	seed := fhirtest.SeedCensus(t, srv, 300, 1)
	f, log := mustFHIR(t, FHIRConfig{Base: srv.URL, TokenFile: writeSecret(t, "token", token+"\n"), PageSize: 100}, reconcile.CensusOptions{})
	f.overlap = 0 // the server stamps changes to the millisecond: no change is missed in this test
	ctx := t.Context()

	c, err := f.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := log.take()
	if !f.last.wasFull {
		t.Errorf("first pull was not full")
	}
	mustMatchSeed(t, c, seed.Patients)
	if c.Source != srv.URL || c.AsOf.IsZero() || time.Since(c.AsOf) > time.Minute {
		t.Errorf("census source %q as of %s, want %q as of now", c.Source, c.AsOf, srv.URL)
	}
	if !slices.ContainsFunc(first, func(r string) bool { return strings.Contains(r, "_offset=") }) {
		t.Errorf("first pull followed no next link (page size 100, 300 patients): %q", first)
	}
	t.Logf("first pull: %d requests, %d resources", f.last.requests, f.last.resources)

	// Changes on the server.
	want := slices.Clone(seed.Patients)
	gone := want[0]
	enc := srv.Read(t, "Encounter/"+gone.EncounterID)
	enc["status"] = "finished"
	srv.Put(t, enc)
	want = want[1:]

	stopped := want[0].Orders[0]
	mr := srv.Read(t, "MedicationRequest/"+stopped.ID)
	mr["status"] = "stopped"
	srv.Put(t, mr)
	want[0].Orders = want[0].Orders[1:]

	allergic := &want[1]
	srv.Put(t, fhirtest.AllergyIntolerance("al-new", allergic.ID, "Latex", "300916003"))
	allergic.Allergies = append(allergic.Allergies, "Latex")
	allergic.NoKnownAllergies = false

	renamed := &want[2]
	pat := srv.Read(t, "Patient/"+renamed.ID)
	pat["name"] = []any{map[string]any{"use": "official", "family": "RENAMED", "given": []any{renamed.Given}}}
	srv.Put(t, pat)
	renamed.Surname = "RENAMED"

	weighed := &want[3]
	srv.Put(t, fhirtest.Weight("wt-today", weighed.ID, 64, time.Now().Add(-time.Minute)))
	weighed.WeightKg = "64"

	newcomer := fhirtest.Inpatient{ID: "pat-new", EncounterID: "enc-new", NHSNumber: "9434765870", Surname: "ADEYEMI", Given: "Tunde",
		Ward: gone.Ward, Bed: gone.Bed, Orders: []fhirtest.Order{{ID: "mr-new", Drug: "Furosemide 40mg tablets"}}, Allergies: []string{"Codeine"}, WeightKg: "71"}
	srv.Put(t,
		map[string]any{"resourceType": "Patient", "id": "pat-new",
			"identifier": []any{map[string]any{"system": reconcile.NHSNumberSystem, "value": newcomer.NHSNumber}},
			"name":       []any{map[string]any{"family": "ADEYEMI", "given": []any{"Tunde"}}}, "birthDate": "1961-04-02"},
		map[string]any{"resourceType": "Encounter", "id": "enc-new", "status": "in-progress",
			"class":    map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
			"subject":  map[string]any{"reference": "Patient/pat-new"},
			"location": []any{map[string]any{"location": map[string]any{"reference": "Location/bed-" + gone.Ward + "-" + gone.Bed}}}},
		fhirtest.MedicationRequest("mr-new", "pat-new", "Furosemide 40mg tablets", "317972000", 40, "mg", "oral", "active", false, false),
		fhirtest.AllergyIntolerance("al-new-2", "pat-new", "Codeine", "300954003"),
		fhirtest.Weight("wt-new", "pat-new", 71, time.Now().Add(-time.Hour)),
	)
	want = append(want, newcomer)

	c2, err := f.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := log.take()
	if f.last.wasFull {
		t.Errorf("second pull was full (%s), want incremental", f.last.fellBack)
	}
	mustMatchSeed(t, c2, want)
	if c2.AsOf.Before(c.AsOf) {
		t.Errorf("second census as of %s, before the first's %s", c2.AsOf, c.AsOf)
	}
	// Seven change searches, three for the new patient's records, and the
	// new patient's ward (partOf of their bed) if it was not held: nothing
	// of the 300 patients the server holds unchanged.
	if len(second) > 11 || f.last.resources > 20 {
		t.Errorf("incremental pull made %d requests for %d resources, want at most 11 for at most 20:\n%s", len(second), f.last.resources, strings.Join(second, "\n"))
	}
	for _, r := range second {
		if !strings.Contains(r, "_lastUpdated=gt") && !strings.Contains(r, "pat-new") {
			t.Errorf("incremental pull asked %s: neither a change search nor for the new patient", r)
		}
	}
	t.Logf("incremental pull: %d requests, %d resources", f.last.requests, f.last.resources)
}

// TestFHIR_PullMedplumWards pulls only ward W02: its patients whether
// their stay names the ward and the bed or only the bed (whose partOf is
// the ward), and none of the other wards'. A patient moved to another
// ward leaves at the next, incremental, pull; one moved in arrives.
func TestFHIR_PullMedplumWards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	seed := fhirtest.SeedCensus(t, srv, 90, 2)
	f, log := mustFHIR(t, FHIRConfig{Base: srv.URL, Wards: []string{"Location/ward-W02"}}, reconcile.CensusOptions{})
	f.overlap = 0
	var want []fhirtest.Inpatient
	for _, p := range seed.Patients {
		if p.Ward == "W02" {
			want = append(want, p)
		}
	}
	c, err := f.Pull(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mustMatchSeed(t, c, want)
	log.take()

	out, in := want[0], seed.Patients[len(seed.Patients)-1] // from W02 to W03's bed of in, and in to out's bed
	move := func(p fhirtest.Inpatient, ward, bed string) {
		enc := srv.Read(t, "Encounter/"+p.EncounterID)
		enc["location"] = []any{map[string]any{"location": map[string]any{"reference": "Location/bed-" + ward + "-" + bed}}}
		srv.Put(t, enc)
	}
	move(out, in.Ward, in.Bed)
	move(in, out.Ward, out.Bed)
	in.Ward, in.Bed = out.Ward, out.Bed
	want = append(want[1:], in)

	c, err = f.Pull(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.last.wasFull {
		t.Errorf("second pull was full (%s), want incremental", f.last.fellBack)
	}
	mustMatchSeed(t, c, want)
	t.Logf("incremental pull: %q", log.take())
}
