package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"lifeboat/internal/fhirtest"
	"lifeboat/sync/reconcile"
)

const demoAdminIn = DemoPassphrase + "\n" + DemoAdminPIN + "\n"

// worklist reads the back-entry worklist of the store in dir.
func worklist(t *testing.T, dir string) []reconcile.Item {
	t.Helper()
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
	defer db.Close()
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
	types := []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense", "Provenance"}
	counts := map[string]int{}
	for _, typ := range types {
		counts[typ] = srv.Count(t, typ)
	}
	// Each transaction's Provenance names people by name and role, and
	// every resource is tagged as recorded during downtime.
	provs := srv.Search(t, "Provenance", "")
	if len(provs) == 0 {
		t.Error("no Provenance on the server")
	}
	for _, p := range provs {
		if !strings.Contains(string(p.Raw), `"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"author"`) ||
			!strings.Contains(string(p.Raw), `"role":[{"text":"`) || !strings.Contains(string(p.Raw), "Recorded during downtime") {
			t.Errorf("Provenance on the server = %s", p.Raw)
			break
		}
	}
	for _, r := range srv.Search(t, "MedicationAdministration", "") {
		if !strings.Contains(string(r.Raw), `"code":"downtime-entry"`) {
			t.Errorf("MedicationAdministration without the downtime tag: %s", r.Raw)
			break
		}
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

// TestSend_DemoWardToMedplumInParallel runs `lifeboat send --workers 8`
// against a real FHIR server that runs transactions side by side
// (--concurrent: two conditional creates of one resource at once make two
// copies there, as on a server over a database). The demo ward's
// patients share the ward's Location and beds: the server ends with one
// Location per ward and bed, no resource twice, every record accepted
// with its transaction's Provenance; one at a time (--workers 1) to a
// fresh server gives the same resources.
func TestSend_DemoWardToMedplumInParallel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	types := []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense", "QuestionnaireResponse", "AllergyIntolerance", "Provenance"}
	counts := map[string]map[string]int{}
	for _, workers := range []string{"8", "1"} {
		srv := fhirtest.Start(t, "--concurrent")
		dir := mustDemo(t)
		out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--workers", workers, "--user", "Ada Admin")
		if err != nil || !strings.Contains(out, " 0 rejected") {
			t.Fatalf("send --workers %s = %q, %v", workers, out, err)
		}
		for _, it := range worklist(t, dir) {
			if it.Status != reconcile.StatusAccepted {
				t.Errorf("--workers %s: %s %s is %s: %s", workers, it.Kind, it.EventID, it.Status, it.Reason)
			}
		}
		counts[workers] = map[string]int{}
		for _, typ := range types {
			seen := map[string]string{}
			for _, r := range srv.Search(t, typ, "") {
				for _, id := range r.Identifiers() {
					k := id.System + "|" + id.Value
					if other, ok := seen[k]; ok && other != r.ID {
						t.Errorf("--workers %s: %s %s and %s share identifier %s: written twice", workers, typ, other, r.ID, k)
					}
					seen[k] = r.ID
				}
			}
			counts[workers][typ] = srv.Count(t, typ)
		}
	}
	if counts["8"]["Location"] == 0 || counts["8"]["Patient"] < 2 {
		t.Errorf("server holds %v: the test needs patients sharing Locations", counts["8"])
	}
	for _, typ := range types {
		if counts["8"][typ] != counts["1"][typ] {
			t.Errorf("%s: %d sent with 8 workers, %d one at a time", typ, counts["8"][typ], counts["1"][typ])
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

// TestSend_ServerRefusesUsKeepsRecordsPending runs `lifeboat send` against
// a real FHIR server that wants a bearer token, with the wrong token, and
// at a URL with no FHIR endpoint: the command fails saying why in plain
// words, after one Bundle, and every record stays pending (before, each
// was marked rejected and the command exited 0). With the right token the
// same records then all go.
func TestSend_ServerRefusesUsKeepsRecordsPending(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t, "--token", "right-token")
	dir := mustDemo(t)
	wrong := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(wrong, []byte("stale-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pending := func(when string) {
		t.Helper()
		for _, it := range worklist(t, dir) {
			if it.Status != reconcile.StatusPending {
				t.Errorf("%s: %s %s is %s %q, want pending", when, it.Kind, it.EventID, it.Status, it.Reason)
			}
		}
	}
	out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--token-file", wrong, "--user", "Ada Admin")
	if err == nil || !strings.Contains(err.Error(), "the FHIR server refused our credentials (401): check the token file") || strings.Contains(err.Error(), "stale-token") {
		t.Fatalf("send with a wrong token = %q, %v; want a 401 error in plain words", out, err)
	}
	if !strings.Contains(out, "0 records accepted, 0 rejected") {
		t.Errorf("send with a wrong token printed %q", out)
	}
	pending("after a 401")
	if n := srv.Count(t, "Patient"); n != 0 {
		t.Errorf("server holds %d patients after a 401", n)
	}

	right := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(right, []byte("right-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--token-file", right, "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, " 0 rejected") {
		t.Fatalf("send with the right token = %q, %v", out, err)
	}
	for _, it := range worklist(t, dir) {
		if it.Status != reconcile.StatusAccepted {
			t.Errorf("after the right token: %s %s is %s %q", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
}

// TestSend_NoFHIREndpointKeepsRecordsPending runs `lifeboat send` at a URL
// of the real FHIR server where there is no FHIR endpoint (404): it stops
// saying so, and nothing is marked rejected.
func TestSend_NoFHIREndpointKeepsRecordsPending(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	dir := mustDemo(t)
	out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL+"/fhir/R4", "--user", "Ada Admin")
	if err == nil || !strings.Contains(err.Error(), "no FHIR endpoint at "+srv.URL+"/fhir/R4 (404)") {
		t.Fatalf("send to a wrong path = %q, %v; want a 404 error in plain words", out, err)
	}
	for _, it := range worklist(t, dir) {
		if it.Status != reconcile.StatusPending {
			t.Errorf("%s %s is %s %q, want pending", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
}

// answerDropper is a proxy in front of a FHIR server that, from the nth
// request on, passes the transaction to the server (which applies it) and
// then drops the connection without an answer: a send whose answer is
// lost, as when the network or Lifeboat dies between send and answer.
func answerDropper(t *testing.T, base string, n int) *httptest.Server {
	var mu sync.Mutex
	seen := 0
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen++
		drop := seen >= n
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if drop {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(p.Close)
	return p
}

// TestSend_LostAnswerLeavesSentAndResendIsIdempotent runs `lifeboat send`
// to a real FHIR server through a proxy that, from the third Bundle on,
// lets the server apply the transaction but loses its answer. The records
// of the first two Bundles are accepted, those of the third are "sent"
// (sent, no answer: `worklist --status sent` lists them; before, nothing
// could tell them from never sent), the rest pending. Sending again
// straight to the server resolves them: every record accepted and the
// server holding one resource per identifier (the conditional writes of
// the repeated Bundle created nothing twice). The lossy send goes one
// transaction at a time (--workers 1); the second in parallel.
func TestSend_LostAnswerLeavesSentAndResendIsIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	dir := mustDemo(t)
	proxy := answerDropper(t, srv.URL, 3)
	// One transaction at a time, so "the third" is well defined (in
	// parallel, which transactions are answered depends on timing).
	out, err := run(t, dir, demoAdminIn, "send", "--url", proxy.URL, "--workers", "1", "--user", "Ada Admin")
	if err == nil || !strings.Contains(out, "sent with no answer yet") {
		t.Fatalf("send with lost answers = %q, %v; want an error and the records sent with no answer counted", out, err)
	}
	n := map[reconcile.Status]int{}
	for _, it := range worklist(t, dir) {
		n[it.Status]++
	}
	if n[reconcile.StatusAccepted] == 0 || n[reconcile.StatusSent] == 0 || n[reconcile.StatusPending] == 0 || n[reconcile.StatusRejected] != 0 {
		t.Fatalf("after lost answers: %v; want some accepted, some sent, the rest pending", n)
	}
	list, err := run(t, dir, DemoPassphrase+"\n", "worklist", "--status", "sent")
	if err != nil || strings.Count(list, ",sent,") != n[reconcile.StatusSent] {
		t.Errorf("worklist --status sent = %q, %v; want the %d sent records", list, err, n[reconcile.StatusSent])
	}
	sum, err := run(t, dir, DemoPassphrase+"\n", "worklist", "--by", "ward")
	if err != nil || !strings.Contains(sum, "pending,sent,accepted") {
		t.Errorf("worklist --by ward = %q, %v; want a sent column", sum, err)
	}

	out, err = run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, " 0 rejected") {
		t.Fatalf("second send = %q, %v", out, err)
	}
	for _, it := range worklist(t, dir) {
		if it.Status != reconcile.StatusAccepted {
			t.Errorf("after the second send: %s %s is %s %q", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
	for _, typ := range []string{"Patient", "Location", "Encounter", "Observation", "MedicationAdministration", "MedicationDispense"} {
		seen := map[string]string{}
		for _, r := range srv.Search(t, typ, "") {
			for _, id := range r.Identifiers() {
				k := id.System + "|" + id.Value
				if other, ok := seen[k]; ok && other != r.ID {
					t.Errorf("%s %s and %s share identifier %s: written twice", typ, other, r.ID, k)
				}
				seen[k] = r.ID
			}
		}
	}
}

// TestSend_TrustSystemsToMedplum: `lifeboat send --system-base` writes
// every record under the trust's systems on a real FHIR server.
func TestSend_TrustSystemsToMedplum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node FHIR server")
	}
	srv := fhirtest.Start(t)
	dir := mustDemo(t)
	const base = "https://fhir.trust.nhs.uk/lifeboat"
	if out, err := run(t, dir, demoAdminIn, "send", "--url", srv.URL, "--system-base", base, "--user", "Ada Admin"); err != nil || !strings.Contains(out, " 0 rejected") {
		t.Fatalf("send --system-base = %q, %v", out, err)
	}
	for _, typ := range []string{"Patient", "Observation", "MedicationAdministration"} {
		rs := srv.Search(t, typ, "")
		if len(rs) == 0 {
			t.Errorf("no %s on the server", typ)
		}
		for _, r := range rs {
			if strings.Contains(string(r.Raw), "lifeboat.example") || !strings.Contains(string(r.Raw), base+"/") {
				t.Errorf("%s %s is not under the trust's systems: %s", typ, r.ID, r.Raw)
				break
			}
		}
	}
}
