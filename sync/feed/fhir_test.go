package feed

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/sync/reconcile"
)

// fakeFHIR is a small FHIR server for what the Medplum test server cannot
// do (TLS, OAuth2, misbehaving): it answers every search on a type with
// the resources of that type it holds (by _id if asked), ignoring other
// parameters.
type fakeFHIR struct {
	mu       sync.Mutex
	res      map[string][]map[string]any
	wantAuth string                                            // the Authorization header required, if any
	auths    []string                                          // Authorization headers received
	status   int                                               // answer every search with this status, if set
	hook     func(w http.ResponseWriter, r *http.Request) bool // answers a request itself if it returns true
	hits     map[string]int                                    // requests by path
}

// oneInpatient is the smallest census: one patient on ward W1.
func oneInpatient() map[string][]map[string]any {
	return map[string][]map[string]any{
		"Patient": {{"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01",
			"identifier": []any{map[string]any{"system": reconcile.NHSNumberSystem, "value": "9434765919"}},
			"name":       []any{map[string]any{"family": "SMITH", "given": []any{"Ann"}}}}},
		"Location": {{"resourceType": "Location", "id": "w1", "identifier": []any{map[string]any{"value": "W1"}},
			"physicalType": map[string]any{"coding": []any{map[string]any{"code": "wa"}}}}},
		"Encounter": {{"resourceType": "Encounter", "id": "e1", "status": "in-progress", "class": map[string]any{"code": "IMP"},
			"subject": map[string]any{"reference": "Patient/p1"}, "location": []any{map[string]any{"location": map[string]any{"reference": "Location/w1"}}}}},
	}
}

func newFake(res map[string][]map[string]any) *fakeFHIR {
	return &fakeFHIR{res: res, hits: map[string]int{}}
}

func (f *fakeFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.URL.Path]++
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	if f.hook != nil && f.hook(w, r) {
		return
	}
	if f.wantAuth != "" && r.Header.Get("Authorization") != f.wantAuth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	typ := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	var entries []any
	ids := r.URL.Query().Get("_id")
	for _, res := range f.res[typ] {
		if ids == "" || strings.Contains(","+ids+",", ","+res["id"].(string)+",") {
			entries = append(entries, map[string]any{"resource": res})
		}
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	json.NewEncoder(w).Encode(map[string]any{"resourceType": "Bundle", "type": "searchset",
		"meta": map[string]any{"lastUpdated": time.Now().UTC().Format(time.RFC3339Nano)}, "entry": entries})
}

// tlsCAFile writes a TLS test server's certificate as a PEM file.
func tlsCAFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return writeSecret(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
}

// mustKind checks err is of kind and its text holds words and none of
// secrets.
func mustKind(t *testing.T, err, kind error, words string, secrets ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v, want %v", err, kind)
	}
	if !strings.Contains(err.Error(), words) {
		t.Errorf("error = %q, want it to say %q", err, words)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds the secret %q", err, s)
		}
	}
}

// TestFHIR_TLS: a server whose certificate the system does not trust is
// refused with words saying to set ca_file; with its CA in ca_file it is
// trusted; a ca_file with no certificate is refused at NewFHIR.
func TestFHIR_TLS(t *testing.T) {
	fake := newFake(oneInpatient())
	srv := httptest.NewUnstartedServer(fake)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()

	f, err := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrRefused, "certificate signed by unknown authority: set ca_file")

	f, err = NewFHIR(FHIRConfig{Base: srv.URL, CAFile: tlsCAFile(t, srv)}, reconcile.CensusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Pull(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Patients) != 1 || c.Patients[0].Ward != "W1" {
		t.Errorf("census = %+v, want SMITH on W1", c.Patients)
	}
	if v := f.hc.Transport.(*http.Transport).TLSClientConfig.MinVersion; v < 0x0303 {
		t.Errorf("TLS minimum version = %x, want 1.2", v)
	}

	_, err = NewFHIR(FHIRConfig{Base: srv.URL, CAFile: writeSecret(t, "ca.pem", "not a certificate\n")}, reconcile.CensusOptions{})
	mustKind(t, err, ErrRefused, "holds no PEM certificate")
}

// TestFHIR_TokenFile: the bearer token is read from its file at each pull
// (a rotated token is picked up), a refused token is ErrRefused in plain
// words that never hold it, an empty file is refused before asking.
func TestFHIR_TokenFile(t *testing.T) {
	fake := newFake(oneInpatient())
	fake.wantAuth = "Bearer first-token"
	srv := httptest.NewTLSServer(fake)
	defer srv.Close()
	tok := writeSecret(t, "token", "  first-token\n")
	f, err := NewFHIR(FHIRConfig{Base: srv.URL, CAFile: tlsCAFile(t, srv), TokenFile: tok}, reconcile.CensusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pull(t.Context()); err != nil {
		t.Fatal(err)
	}

	fake.mu.Lock()
	fake.wantAuth = "Bearer second-token"
	fake.mu.Unlock()
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrRefused, "HTTP 401 from "+srv.URL+"/Encounter: the token was refused", "first-token")

	os.WriteFile(tok, []byte("second-token"), 0o600) // rotated
	if _, err := f.Pull(t.Context()); err != nil {
		t.Fatalf("pull after the token was rotated: %v", err)
	}

	os.WriteFile(tok, []byte("\n"), 0o600)
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrRefused, "is empty")
}

// TestFHIR_OAuth2: the client-credentials token is fetched once and reused
// across pulls; a refused secret is ErrRefused in words that never hold
// the secret; a 401 from the FHIR server drops the token so the next pull
// fetches a new one.
func TestFHIR_OAuth2(t *testing.T) {
	fake := newFake(oneInpatient())
	fake.wantAuth = "Bearer access-1"
	var tokens int
	fake.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/token" {
			return false
		}
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if id != "lifeboat" || secret != "s3cret-value" || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "system/*.read" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad secret %s"}`, secret)
			return true
		}
		tokens++
		fmt.Fprintf(w, `{"access_token":"access-%d","token_type":"Bearer","expires_in":3600}`, tokens)
		return true
	}
	srv := httptest.NewTLSServer(fake)
	defer srv.Close()
	secretFile := writeSecret(t, "secret", "s3cret-value\n")
	cfg := FHIRConfig{Base: srv.URL + "/fhir", CAFile: tlsCAFile(t, srv),
		OAuth2: &OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "lifeboat", ClientSecretFile: secretFile, Scopes: []string{"system/*.read"}}}
	f, err := NewFHIR(cfg, reconcile.CensusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := f.Pull(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if tokens != 1 {
		t.Errorf("token fetched %d times over three pulls, want once", tokens)
	}

	// The server stops accepting the token: refused, and the next pull
	// gets a new one.
	fake.mu.Lock()
	fake.wantAuth = "Bearer access-2"
	fake.mu.Unlock()
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrRefused, "the OAuth2 access token was refused", "access-1")
	if _, err := f.Pull(t.Context()); err != nil || tokens != 2 {
		t.Fatalf("pull after a refused token = %v with %d tokens fetched, want a second token", err, tokens)
	}

	os.WriteFile(secretFile, []byte("wrong-secret"), 0o600)
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrRefused, "HTTP 401 from "+srv.URL+"/token: the client id or secret was refused (invalid_client)", "wrong-secret", "s3cret-value")
}

// TestFHIR_Unreachable: no server, a server error and a slow server are
// ErrUnreachable (lifeboat.ErrTransient), in words naming the server.
func TestFHIR_Unreachable(t *testing.T) {
	fake := newFake(oneInpatient())
	srv := httptest.NewServer(fake)
	base := srv.URL
	f, err := NewFHIR(FHIRConfig{Base: base}, reconcile.CensusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fake.status = http.StatusServiceUnavailable
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrUnreachable, "HTTP 503 from "+base+"/Encounter: the server is not working")
	if !errors.Is(err, lifeboat.ErrTransient) {
		t.Errorf("error %v is not transient", err)
	}

	srv.Close()
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrUnreachable, "connect "+base+": connection refused")

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	f, _ = NewFHIR(FHIRConfig{Base: slow.URL}, reconcile.CensusOptions{})
	f.hc.Timeout = 100 * time.Millisecond
	_, err = f.Pull(t.Context())
	mustKind(t, err, ErrUnreachable, "connect "+slow.URL+": no answer in time")
}

// TestFHIR_Paging: a next link to another host is refused (the token
// would go there); next links that never end stop at the page cap; a next
// link back to a page already read stops at once.
func TestFHIR_Paging(t *testing.T) {
	for _, tc := range []struct {
		name string
		next func(r *http.Request) string
		kind error
		says string
	}{
		{"another host", func(r *http.Request) string { return "https://evil.example/fhir/Encounter?page=2" }, ErrRefused, "next page is on another host (https://evil.example/fhir/Encounter)"},
		{"endless", func(r *http.Request) string {
			n := len(r.URL.Query().Get("p"))
			return "http://" + r.Host + "/Encounter?p=" + strings.Repeat("x", n+1)
		}, lifeboat.ErrInvalid, "more than 5 pages"},
		{"loop", func(r *http.Request) string { return "http://" + r.Host + "/Encounter?p=1" }, lifeboat.ErrInvalid, "goes back to a page already read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(map[string]any{"resourceType": "Bundle", "type": "searchset",
					"link": []any{map[string]any{"relation": "next", "url": tc.next(r)}}})
			}))
			defer srv.Close()
			f, _ := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
			f.maxPages = 5
			_, err := f.Pull(t.Context())
			mustKind(t, err, tc.kind, tc.says)
		})
	}
}

// TestFHIR_BadData: an answer that is not a search Bundle is bad data
// (lifeboat.ErrInvalid); a census the import checks refuse is an
// *reconcile.ImportError naming the problem.
func TestFHIR_BadData(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html>login</html>`)
	}))
	defer srv.Close()
	f, _ := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
	_, err := f.Pull(t.Context())
	mustKind(t, err, lifeboat.ErrInvalid, "read "+srv.URL+"/Encounter: the answer is not FHIR JSON")

	res := oneInpatient()
	res["Patient"][0]["identifier"] = []any{}
	fake := newFake(res)
	srv2 := httptest.NewServer(fake)
	defer srv2.Close()
	f, _ = NewFHIR(FHIRConfig{Base: srv2.URL}, reconcile.CensusOptions{})
	_, err = f.Pull(t.Context())
	var ie *reconcile.ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "has no NHS number") {
		t.Errorf("pull of a patient with no NHS number = %v, want an ImportError saying so", err)
	}
}

// TestFHIR_FallsBackToFull: an incremental pull that meets HTTP 410, or a
// change naming a resource the server cannot return, pulls everything
// instead; and every fullPulls-th pull is full anyway.
func TestFHIR_FallsBackToFull(t *testing.T) {
	fake := newFake(oneInpatient())
	srv := httptest.NewServer(fake)
	defer srv.Close()
	f, _ := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
	pull := func() {
		t.Helper()
		if _, err := f.Pull(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	pull()
	pull()
	if f.last.wasFull {
		t.Fatalf("second pull was full (%s)", f.last.fellBack)
	}

	fake.mu.Lock()
	fake.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("_lastUpdated") != "" {
			w.WriteHeader(http.StatusGone)
			return true
		}
		return false
	}
	fake.mu.Unlock()
	pull()
	if !f.last.wasFull || !strings.Contains(f.last.fellBack, "410") {
		t.Errorf("pull after a 410 = full %v (%q), want full after the 410", f.last.wasFull, f.last.fellBack)
	}

	// An order naming a Medication the server does not return.
	fake.mu.Lock()
	fake.hook = nil
	fake.res["MedicationRequest"] = []map[string]any{{"resourceType": "MedicationRequest", "id": "mr1", "status": "active", "intent": "order",
		"subject": map[string]any{"reference": "Patient/p1"}, "medicationReference": map[string]any{"reference": "Medication/gone"}}}
	fake.mu.Unlock()
	_, err := f.Pull(t.Context())
	if !f.last.wasFull || !strings.Contains(f.last.fellBack, "Medication/gone") {
		t.Errorf("pull with a missing Medication = full %v (%q), want full", f.last.wasFull, f.last.fellBack)
	}
	if err == nil || !strings.Contains(err.Error(), "Medication/gone") {
		t.Errorf("census with a missing Medication = %v, want the census checks to name it", err)
	}

	fake.mu.Lock()
	delete(fake.res, "MedicationRequest")
	fake.mu.Unlock()
	f.fullPulls = 3
	pull()
	if !f.last.wasFull {
		// The order was deleted, which no search by _lastUpdated shows;
		// the copy held still names Medication/gone, so a full pull.
		t.Errorf("pull after the order was deleted was incremental, want full")
	}
	var full []bool
	for range 4 {
		pull()
		full = append(full, f.last.wasFull)
	}
	if fmt.Sprint(full) != "[false false true false]" {
		t.Errorf("pulls full = %v, want every third full", full)
	}
}

// TestChunks: long id lists are split so each search URL stays short.
func TestChunks(t *testing.T) {
	var ids []string
	for i := range 500 {
		ids = append(ids, fmt.Sprintf("Patient/%036d", i))
	}
	cs := chunks(ids, "patient")
	n := 0
	for _, c := range cs {
		q := url.Values{"patient": {strings.Join(c, ",")}}.Encode()
		if len(q) > maxQueryBytes {
			t.Errorf("chunk of %d ids makes a query of %d bytes, want at most %d", len(c), len(q), maxQueryBytes)
		}
		n += len(c)
	}
	if n != len(ids) || len(cs) < 2 {
		t.Errorf("chunks = %d lists of %d ids, want all %d split", len(cs), n, len(ids))
	}
}

// TestFHIR_ServerWithoutInclude: a server that ignores _include (as the
// fake does) still gives the whole census: the source reads the stays'
// patients and Locations by _id, one search each.
func TestFHIR_ServerWithoutInclude(t *testing.T) {
	fake := newFake(oneInpatient())
	srv := httptest.NewServer(fake)
	defer srv.Close()
	f, _ := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
	c, err := f.Pull(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Patients) != 1 || c.Patients[0].Surname != "SMITH" || c.Patients[0].Ward != "W1" {
		t.Errorf("census = %+v, want SMITH on W1", c.Patients)
	}
	if fake.hits["/Patient"] != 1 || fake.hits["/Location"] != 1 {
		t.Errorf("searches = %v, want one for the Patient and one for the Location", fake.hits)
	}
}

// TestStatusError: every HTTP error status is one kind, in words.
func TestStatusError(t *testing.T) {
	for _, tc := range []struct {
		status int
		oauth  bool
		kind   error
		says   string
	}{
		{401, false, ErrRefused, "HTTP 401 from https://pas.example/fhir/Encounter: the token was refused"},
		{401, true, ErrRefused, "the OAuth2 access token was refused"},
		{403, false, ErrRefused, "not allowed to read this (check its scopes)"},
		{404, false, ErrRefused, "not found (check the base URL)"},
		{410, false, ErrRefused, "HTTP 410"},
		{400, false, ErrRefused, "the server refused the search"},
		{422, false, ErrRefused, "the server refused the search"},
		{408, false, ErrUnreachable, "the server is not working"},
		{429, false, ErrUnreachable, "the server is not working"},
		{500, false, ErrUnreachable, "HTTP 500 from https://pas.example/fhir/Encounter: the server is not working"},
		{503, false, ErrUnreachable, "HTTP 503"},
	} {
		err := statusError(tc.status, "https://pas.example/fhir/Encounter", tc.oauth)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("statusError(%d, oauth %v) = %v, want %v saying %q", tc.status, tc.oauth, err, tc.kind, tc.says)
		}
	}
}

// TestFHIR_LogValue: a source logged, after a pull, shows its base URL and
// none of the patients it holds.
func TestFHIR_LogValue(t *testing.T) {
	fake := newFake(oneInpatient())
	srv := httptest.NewServer(fake)
	defer srv.Close()
	f, _ := NewFHIR(FHIRConfig{Base: srv.URL + "/fhir?key=abc"}, reconcile.CensusOptions{})
	if _, err := f.Pull(t.Context()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&b, nil), slog.NewJSONHandler(&b, nil)} {
		slog.New(h).Info("pulled", "source", f)
	}
	if !strings.Contains(b.String(), srv.URL+"/fhir") || strings.Contains(b.String(), "SMITH") || strings.Contains(b.String(), "9434765919") || strings.Contains(b.String(), "abc") {
		t.Errorf("logged %q, want the base URL only", b.String())
	}
}

// TestFHIR_TooManyChangesPullsFull: an incremental pull that meets more
// changes than a full pull would read (a bulk update of every patient in
// the hospital) stops and pulls the census in full instead.
func TestFHIR_TooManyChangesPullsFull(t *testing.T) {
	res := oneInpatient()
	for i := range 50 {
		res["Patient"] = append(res["Patient"], map[string]any{"resourceType": "Patient", "id": fmt.Sprintf("other-%d", i)})
	}
	fake := newFake(res)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	f, _ := NewFHIR(FHIRConfig{Base: srv.URL}, reconcile.CensusOptions{})
	f.minChanges = 20
	for range 2 {
		c, err := f.Pull(t.Context())
		if err != nil || len(c.Patients) != 1 {
			t.Fatalf("pull = %d patients, %v; want SMITH", len(c.Patients), err)
		}
	}
	if !f.last.wasFull || !strings.Contains(f.last.fellBack, "more than 20 changed resources") {
		t.Errorf("pull with 50 changed patients = full %v (%q), want a full pull", f.last.wasFull, f.last.fellBack)
	}
}
