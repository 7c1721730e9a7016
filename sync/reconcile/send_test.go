package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store/storetest"
)

// fakeFHIR is a small FHIR transaction endpoint: conditional creates and
// updates keyed on the first identifier, atomic transactions, an optional
// rule that refuses some resources, and a number of 503s to start with.
type fakeFHIR struct {
	mu        sync.Mutex
	byIdent   map[string][]byte // "Type|system|value" -> resource
	posts     int
	busy      int                      // answer 503 this many times first
	refuse    func(r *Resource) string // a reason to refuse, or ""
	lastToken string
}

func newFakeFHIR(t *testing.T) (*fakeFHIR, *httptest.Server) {
	f := &fakeFHIR{byIdent: map[string][]byte{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts++
	f.lastToken = r.Header.Get("Authorization")
	if f.busy > 0 {
		f.busy--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var b Bundle
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Type != "transaction" {
		http.Error(w, "not a transaction", http.StatusBadRequest)
		return
	}
	type resp struct {
		Response struct {
			Status   string `json:"status"`
			Location string `json:"location,omitempty"`
		} `json:"response"`
	}
	out := struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []resp `json:"entry"`
	}{ResourceType: "Bundle", Type: "transaction-response"}
	staged := map[string][]byte{}
	for i, e := range b.Entry {
		if f.refuse != nil {
			if why := f.refuse(e.Resource); why != "" {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":%q,"expression":["Bundle.entry[%d].resource"]}]}`, why, i)
				return
			}
		}
		var key string
		switch e.Request.Method {
		case "POST":
			key = e.Request.URL + "|" + strings.TrimPrefix(e.Request.IfNoneExist, "identifier=")
		case "PUT":
			typ, q, _ := strings.Cut(e.Request.URL, "?identifier=")
			key = typ + "|" + q
		}
		_, exists := f.byIdent[key]
		raw, _ := json.Marshal(e.Resource)
		var rr resp
		rr.Response.Location = e.Resource.ResourceType + "/" + ResourceID(key) + "/_history/1"
		switch {
		case e.Request.Method == "POST" && exists:
			rr.Response.Status = "200 OK"
		case e.Request.Method == "POST":
			staged[key], rr.Response.Status = raw, "201 Created"
		default:
			staged[key], rr.Response.Status = raw, "200 OK"
		}
		out.Entry = append(out.Entry, rr)
	}
	for k, v := range staged {
		f.byIdent[k] = v
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	json.NewEncoder(w).Encode(out)
}

func (f *fakeFHIR) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.byIdent) }

// countOf is how many resources of typ the fake holds.
func (f *fakeFHIR) countOf(typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k := range f.byIdent {
		if strings.HasPrefix(k, typ+"|") || strings.HasPrefix(k, typ+"/") {
			n++
		}
	}
	return n
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestSend_TwiceCreatesNothingNewAndAllAccepted(t *testing.T) {
	ctx := t.Context()
	d := MustDowntime(t)
	f, srv := newFakeFHIR(t)
	f.busy = 2 // two 503s: retried
	c := &Client{BaseURL: srv.URL, Token: "s3cret", Sleep: noSleep}
	x, _ := ExportFHIR(d.events, ExportOptions{})
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	rep, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != 0 || rep.Accepted != len(x.Events) || f.lastToken != "Bearer s3cret" {
		t.Fatalf("send = %+v of %d events, token %q", rep, len(x.Events), f.lastToken)
	}
	n := f.count()
	// The same export again: nothing new on the server.
	if _, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	if f.count() != n {
		t.Errorf("resources after second send = %d, want %d", f.count(), n)
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	items := Worklist(evs)
	if len(items) != len(x.Events) {
		t.Errorf("worklist = %d items, want %d", len(items), len(x.Events))
	}
	for _, it := range items {
		if it.Status != StatusAccepted {
			t.Errorf("%s %s is %s, want accepted", it.Kind, it.EventID, it.Status)
		}
	}
	// With done items skipped there is nothing left to send.
	left, _ := ExportFHIR(evs, ExportOptions{Skip: Done(items)})
	if len(left.Bundles) != 0 {
		t.Errorf("after acceptance, %d bundles left", len(left.Bundles))
	}
}

func TestSend_RefusedEntriesAreRejectedWithReason(t *testing.T) {
	ctx := t.Context()
	d := MustDowntime(t)
	f, srv := newFakeFHIR(t)
	f.refuse = func(r *Resource) string {
		if r.ResourceType == "MedicationDispense" {
			return "MedicationDispense.performer: unknown practitioner"
		}
		return ""
	}
	x, _ := ExportFHIR(d.events, ExportOptions{BundleSize: 50})
	rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep}, x, StoreAppender(d.db, d.s), "tester", storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	var rejected, notApplied int
	for _, it := range Worklist(evs) {
		switch {
		case it.Kind == "pharmacy.supply":
			if it.Status != StatusRejected || it.Reason != "MedicationDispense.performer: unknown practitioner" {
				t.Errorf("supply = %s %q", it.Status, it.Reason)
			}
			rejected++
		case it.Status == StatusRejected && strings.HasPrefix(it.Reason, "not applied"):
			notApplied++ // same patient's transaction
		case it.Status != StatusAccepted:
			t.Errorf("%s = %s %q", it.Kind, it.Status, it.Reason)
		}
	}
	if rejected != 1 || notApplied == 0 || rep.Rejected != 1+notApplied {
		t.Errorf("rejected %d, not applied %d, report %+v", rejected, notApplied, rep)
	}
}

func TestClient_Post(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		attempts int
		wantErr  bool
		reason   string
	}{
		{"always busy", 503, "", 3, true, ""},
		{"too many requests", 429, "", 3, true, ""},
		{"refused, no outcome", 400, "nope", 1, false, "server answered 400 Bad Request"},
		{"refused with outcome", 422, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"text":"bad code"}}]}`, 1, false, "bad code"},
		{"garbled answer", 200, `{"resourceType":"Bundle"`, 1, true, ""},
		{"wrong entry count", 200, `{"resourceType":"Bundle","entry":[]}`, 1, true, ""},
		{"entry refused", 200, `{"resourceType":"Bundle","entry":[{"response":{"status":"409 Conflict","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"conflict","diagnostics":"duplicate"}]}}}]}`, 1, false, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tries++
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			var waits []time.Duration
			c := &Client{BaseURL: srv.URL, MaxAttempts: 3, Backoff: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}
			outs, err := c.Post(t.Context(), Bundle{ResourceType: "Bundle", Type: "transaction", Entry: []Entry{{}}})
			if (err != nil) != tt.wantErr || tries != tt.attempts {
				t.Fatalf("Post = %v after %d tries; want error %v after %d", err, tries, tt.wantErr, tt.attempts)
			}
			if tt.attempts == 3 && (len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second) {
				t.Errorf("waits = %v, want [1s 2s]", waits)
			}
			if tt.reason != "" && (len(outs) != 1 || outs[0].OK || outs[0].Reason != tt.reason) {
				t.Errorf("outcomes = %+v, want reason %q", outs, tt.reason)
			}
		})
	}
}

// FuzzDecodeResponse: any server answer gives outcomes or an error.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":"201 Created"}}]}`), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":"409 Conflict","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"x"}]}}}]}`), 1)
	f.Add(mustRead(f, "Bundle-bundle-transaction.json"), 6)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		outs, err := ParseResponse(b, n)
		if err == nil && len(outs) != n {
			t.Fatalf("%d outcomes, want %d", len(outs), n)
		}
		if r := refused(n, "400", b); len(r) != n {
			t.Fatalf("refused gave %d outcomes, want %d", len(r), n)
		}
	})
}

// TestSend_ServerRefusesUsStopsAndKeepsPending: a server answering 401,
// 403 or 404 to the whole transaction has refused us (our credentials,
// our rights, the URL), not the records. The send stops at the first
// Bundle (one at a time) or those already in flight (in parallel: no more
// than one per worker), says why in plain words, and every record stays
// pending: none is marked rejected (before, all were, and the send
// carried on).
func TestSend_ServerRefusesUsStopsAndKeepsPending(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		kind   error
		words  string
	}{
		{401, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"Unauthorized"}]}`, lifeboat.ErrPermission, "refused our credentials (401): check the token file"},
		{403, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","diagnostics":"Forbidden"}]}`, lifeboat.ErrPermission, "forbidden (403)"},
		{404, `<html>Not Found</html>`, lifeboat.ErrNotFound, "no FHIR endpoint at"},
	} {
		for _, workers := range []int{1, DefaultWorkers} {
			t.Run(fmt.Sprintf("%d/workers=%d", tt.status, workers), func(t *testing.T) {
				ctx := t.Context()
				d := MustDowntime(t)
				var posts atomic.Int64
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					posts.Add(1)
					w.WriteHeader(tt.status)
					fmt.Fprint(w, tt.body)
				}))
				defer srv.Close()
				x, _ := ExportFHIR(d.events, ExportOptions{})
				if len(x.Bundles) < 2 {
					t.Fatalf("%d bundles: the test needs several", len(x.Bundles))
				}
				rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep, Workers: workers}, x, StoreAppender(d.db, d.s), "tester", storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
				if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.words) {
					t.Fatalf("Send = %v, want %v saying %q", err, tt.kind, tt.words)
				}
				if n := posts.Load(); n < 1 || n > int64(workers) || rep.Rejected != 0 || rep.Accepted != 0 {
					t.Errorf("%d posts, report %+v; want 1 to %d posts and nothing accepted or rejected", n, rep, workers)
				}
				evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
				for _, it := range Worklist(evs) {
					if it.Status != StatusPending {
						t.Errorf("%s %s is %s %q, want pending", it.Kind, it.EventID, it.Status, it.Reason)
					}
				}
			})
		}
	}
}

// TestSend_ProvenanceRefusedRejectsItsRecords: a server that refuses
// Provenance. Inside a transaction it fails the transaction (its records
// rejected, "not applied"); posted apart (an observation set filling its
// Bundle) after the records were taken, the records are rejected saying
// so, not accepted with no Provenance. Sent again once the server takes
// Provenance, each is written once per transaction, those posted apart
// targeting the resources the server answered with.
func TestSend_ProvenanceRefusedRejectsItsRecords(t *testing.T) {
	ctx := t.Context()
	d := MustDowntime(t)
	f, srv := newFakeFHIR(t)
	f.refuse = func(r *Resource) string {
		if r.ResourceType == "Provenance" {
			return "Provenance.agent: unknown device"
		}
		return ""
	}
	c := &Client{BaseURL: srv.URL, Sleep: noSleep}
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	x, _ := ExportFHIR(d.events, ExportOptions{})
	rep, err := Send(ctx, c, x, StoreAppender(d.db, d.s), "tester", clock.Now, nil)
	if err != nil || rep.Accepted != 0 || rep.Rejected != len(x.Events) {
		t.Fatalf("send = %+v, %v; want all %d rejected", rep, err, len(x.Events))
	}
	evs, _ := d.db.EventsAfter(ctx, nil, 1<<30)
	apart := 0
	for _, it := range Worklist(evs) {
		switch {
		case it.Status == StatusRejected && it.Reason == "the server took the record but refused its Provenance: Provenance.agent: unknown device":
			apart++
		case it.Status == StatusRejected && (strings.HasPrefix(it.Reason, "not applied") || it.Reason == "Provenance.agent: unknown device"):
		default:
			t.Errorf("%s = %s %q", it.Kind, it.Status, it.Reason)
		}
	}
	if apart == 0 {
		t.Error("no record whose Provenance went apart")
	}
	f.refuse = nil
	left, _ := ExportFHIR(evs, ExportOptions{Skip: Done(Worklist(evs))})
	if rep, err := Send(ctx, c, left, StoreAppender(d.db, d.s), "tester", clock.Now, nil); err != nil || rep.Accepted != len(x.Events) {
		t.Fatalf("second send = %+v, %v", rep, err)
	}
	if n := f.countOf("Provenance"); n != len(left.Bundles) {
		t.Errorf("server holds %d Provenance, want %d", n, len(left.Bundles))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resolved := 0
	for k, raw := range f.byIdent {
		if !strings.HasPrefix(k, "Provenance/") {
			continue
		}
		var p Resource
		json.Unmarshal(raw, &p)
		for _, tg := range p.Target {
			if strings.HasPrefix(tg.Reference, "urn:") {
				continue // inside its transaction: the server resolves it (this fake does not)
			}
			resolved++
			if strings.Contains(tg.Reference, "_history") || !strings.Contains(tg.Reference, "/") {
				t.Errorf("Provenance target %q, want the server's Type/id", tg.Reference)
			}
		}
	}
	if resolved == 0 {
		t.Error("no Provenance posted apart with the server's Type/id")
	}
}
