package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// sharedWard is a ward's downtime where every patient shares the ward's
// Location and the beds are used in turn.
type sharedWard struct {
	db       *store.DB
	s        *store.Session
	events   []lifeboat.Event
	patients []string // patient IDs, in admission order
}

// mustSharedWard records n patients (with NHS numbers) admitted one after
// another to ward "w9"'s five beds, each given an observation set and,
// but for the last five, discharged before the next takes the bed; and
// two bed states (a bed closed, then for isolation) between them, about no
// patient. Every patient's Bundles create the ward's Location and a bed's.
func mustSharedWard(t testing.TB, n int) *sharedWard {
	t.Helper()
	db, s := MustStore(t)
	w := &sharedWard{db: db, s: s}
	at := storetest.T0
	ward := forms.Ward{ID: "w9", Name: "Ward 9"}
	for b := 1; b <= 5; b++ {
		ward.Beds = append(ward.Beds, forms.BedDef{ID: fmt.Sprintf("b%d", b), Label: fmt.Sprintf("Bed %d", b)})
	}
	storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindWardDefined, Subject: "ward:w9", PerformedAt: at, Payload: ward})
	for k, serial := 0, 100000; k < n; serial++ {
		first9 := fmt.Sprintf("999%06d", serial)
		d, ok := forms.NHSCheckDigit(first9)
		if !ok {
			continue
		}
		at := storetest.T0.Add(time.Duration(k) * 10 * time.Minute)
		reg := storetest.PatientDraft(fmt.Sprintf("SHARED%03d", k), "Pat", "1950-01-01", fmt.Sprintf("%s%d", first9, d), at)
		storetest.MustAppend(t, db, s, reg)
		bed := ward.Beds[k%5].ID
		storetest.MustAppend(t, db, s, storetest.AdmitDraft(reg.Subject, "w9", bed, at.Add(time.Minute)))
		storetest.MustAppend(t, db, s, storetest.ObsDraft(reg.Subject, 16, 97, 125, 80, 36.9, at.Add(2*time.Minute)))
		if k < n-5 {
			storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindPatientDischarged, Subject: reg.Subject, PerformedAt: at.Add(45 * time.Minute),
				Payload: forms.Discharge{PatientID: reg.Subject, Destination: "home"}})
		}
		if k == n/3 || k == 2*n/3 {
			state := forms.BedClosed
			if k == 2*n/3 {
				state = forms.BedIsolation
			}
			storetest.MustAppend(t, db, s, store.Draft{Kind: forms.KindBedState, Subject: store.BedSubject("w9", "b1"), PerformedAt: at.Add(3 * time.Minute),
				Payload: forms.BedStateSet{Ward: "w9", Bed: "b1", State: state, Reason: "estates"}})
		}
		w.patients = append(w.patients, reg.Subject)
		k++
	}
	evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	w.events = evs
	return w
}

// raceChecker is a FHIR endpoint in front of fakeFHIR that fails the test
// when two transactions in flight at once write the same resource that
// does not exist yet (the race that makes two copies on a real server),
// and notes each patient's Bundles in the order they arrive and how many
// were in flight at most.
type raceChecker struct {
	t     *testing.T
	f     *fakeFHIR
	mu    sync.Mutex
	now   map[targetKey]int // in flight: resources being written
	max   int               // most transactions in flight at once
	in    int
	order map[string][]string // patient fullUrl -> its Bundles' first event, in arrival order
	// hold, if set, keeps the nth transaction until another is in flight,
	// so the test knows sends overlap.
	hold    int64
	arrived atomic.Int64
	work    time.Duration // each transaction takes this long
}

func (rc *raceChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var b Bundle
	json.Unmarshal(body, &b)
	var keys []targetKey
	rc.mu.Lock()
	rc.in++
	rc.max = max(rc.max, rc.in)
	for _, en := range b.Entry {
		if en.Request == nil {
			continue
		}
		k := target(en)
		if rc.now[k] > 0 && !rc.exists(k) {
			rc.t.Errorf("two transactions in flight at once write %v, which the server does not hold yet", k)
		}
		rc.now[k]++
		keys = append(keys, k)
	}
	if len(b.Entry) > 0 && b.Entry[0].Resource != nil && b.Entry[0].Resource.ResourceType == "Patient" {
		p := b.Entry[0].FullURL
		rc.order[p] = append(rc.order[p], string(body))
	}
	rc.mu.Unlock()
	if rc.arrived.Add(1) == rc.hold {
		deadline := time.Now().Add(10 * time.Second)
		for {
			rc.mu.Lock()
			in := rc.in
			rc.mu.Unlock()
			if in > 1 {
				break
			}
			if time.Now().After(deadline) {
				rc.t.Errorf("transaction %d: no other in flight after 10 s: the send is not parallel", rc.hold)
				break
			}
			time.Sleep(time.Millisecond) // polling for the other transaction, with a deadline
		}
	}
	time.Sleep(rc.work) // the server's work on the transaction, during which another may arrive
	r.Body = io.NopCloser(bytes.NewReader(body))
	rc.f.ServeHTTP(w, r)
	rc.mu.Lock()
	rc.in--
	for _, k := range keys {
		rc.now[k]--
	}
	rc.mu.Unlock()
}

// exists reports whether the fake holds the resource k writes.
func (rc *raceChecker) exists(k targetKey) bool {
	rc.f.mu.Lock()
	defer rc.f.mu.Unlock()
	_, ok := rc.f.byIdent[k.path+"|"+strings.TrimPrefix(k.query, "identifier=")]
	return ok
}

// TestSend_ParallelKeepsEachPatientsOrderAndWritesSharedOnce sends 40
// patients sharing one ward's Location and five beds' with 8 workers:
// transactions overlap, yet no two in flight at once write a Location (or
// anything) the server does not hold yet; each patient's Bundles arrive
// in export order; every record is accepted, progress counts each Bundle
// once, and a second send creates nothing.
func TestSend_ParallelKeepsEachPatientsOrderAndWritesSharedOnce(t *testing.T) {
	ctx := t.Context()
	w := mustSharedWard(t, 40)
	f, _ := newFakeFHIR(t)
	rc := &raceChecker{t: t, f: f, now: map[targetKey]int{}, order: map[string][]string{}, hold: 10, work: 5 * time.Millisecond}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	x, err := ExportFHIR(w.events, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var dones []int
	clock := storetest.NewClock(storetest.T0.Add(30 * time.Hour))
	c := &Client{BaseURL: srv.URL, Sleep: noSleep, Workers: 8}
	rep, err := Send(ctx, c, x, StoreAppender(w.db, w.s), "tester", clock.Now, func(done, total int) {
		if total != len(x.Bundles) {
			t.Errorf("progress total = %d, want %d", total, len(x.Bundles))
		}
		dones = append(dones, done) // on Send's goroutine: no lock needed (-race checks)
	})
	if err != nil || rep.Rejected != 0 || rep.Accepted != len(x.Events) || rep.Bundles != len(x.Bundles) {
		t.Fatalf("send = %+v, %v; want all %d events accepted in %d bundles", rep, err, len(x.Events), len(x.Bundles))
	}
	if rc.max < 2 {
		t.Errorf("at most %d transaction in flight, want several", rc.max)
	}
	for i, d := range dones {
		if d != i+1 {
			t.Fatalf("progress = %v, want 1 to %d", dones, len(x.Bundles))
		}
	}
	if len(dones) != len(x.Bundles) {
		t.Errorf("progress called %d times, want %d", len(dones), len(x.Bundles))
	}
	// Each patient's Bundles in export order.
	want := map[string][]string{}
	for _, b := range x.Bundles {
		if b.Entry[0].Resource.ResourceType == "Patient" {
			raw, _ := json.Marshal(b)
			want[b.Entry[0].FullURL] = append(want[b.Entry[0].FullURL], string(raw))
		}
	}
	if len(want) != len(w.patients) {
		t.Errorf("%d patients in the export, want %d", len(want), len(w.patients))
	}
	for p, bs := range want {
		got := rc.order[p]
		if len(got) != len(bs) {
			t.Errorf("patient %s: %d bundles arrived, want %d", p, len(got), len(bs))
			continue
		}
		for i := range bs {
			if got[i] != bs[i] {
				t.Errorf("patient %s: bundle %d arrived out of order", p, i)
			}
		}
	}
	if n := f.countOf("Location"); n != 6 {
		t.Errorf("server holds %d Locations, want 6 (the ward and its five beds)", n)
	}
	evs, _ := w.db.EventsAfter(ctx, nil, 1<<30)
	for _, it := range Worklist(evs) {
		if it.Status != StatusAccepted {
			t.Errorf("%s %s is %s %q, want accepted", it.Kind, it.EventID, it.Status, it.Reason)
		}
	}
	n := f.count()
	if _, err := Send(ctx, c, x, StoreAppender(w.db, w.s), "tester", clock.Now, nil); err != nil {
		t.Fatal(err)
	}
	if f.count() != n {
		t.Errorf("resources after a second send = %d, want %d", f.count(), n)
	}
}

// TestSend_ParallelRefusedStopsEveryLane: a server that takes the first
// transactions, then answers 401 (a token expiring half-way). With 8
// workers the send stops: no new transaction is posted once the refusal
// is seen (at most one per other worker was already in flight), nothing
// is marked rejected, the records not accepted are pending (those refused
// go back to pending), and it says why.
func TestSend_ParallelRefusedStopsEveryLane(t *testing.T) {
	ctx := t.Context()
	w := mustSharedWard(t, 40)
	f, _ := newFakeFHIR(t)
	var posts, afterRefusal atomic.Int64
	var refused atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if refused.Load() {
			afterRefusal.Add(1)
		}
		if posts.Add(1) > 20 {
			refused.Store(true)
			rw.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(rw, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"Unauthorized"}]}`)
			return
		}
		f.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	x, _ := ExportFHIR(w.events, ExportOptions{})
	rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep, Workers: 8}, x, StoreAppender(w.db, w.s), "tester",
		storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
	if !errors.Is(err, lifeboat.ErrPermission) || !strings.Contains(err.Error(), "refused our credentials (401)") {
		t.Fatalf("Send = %v, want a 401 refusal", err)
	}
	if n := afterRefusal.Load(); n > 7 {
		t.Errorf("%d transactions posted after the first refusal, want at most 7 (those already in flight)", n)
	}
	evs, _ := w.db.EventsAfter(ctx, nil, 1<<30)
	n := map[Status]int{}
	for _, it := range Worklist(evs) {
		n[it.Status]++
	}
	// Sent only: records the server took whose Provenance, posted apart,
	// met the 401 (they go again, harmlessly, next time).
	if n[StatusAccepted] == 0 || n[StatusAccepted] != rep.Accepted || n[StatusPending] == 0 || n[StatusRejected] != 0 || n[StatusSent] != rep.Unanswered || rep.Rejected != 0 {
		t.Errorf("after a 401 half-way: %v, report %+v; want some accepted, the rest pending", n, rep)
	}
}

// TestSend_ParallelUndeliverableStopsAndKeepsSent: one patient's
// transactions always meet 503 with Retry-After. With 8 workers the send
// retries them (waiting as told), then stops with ErrTransient: their
// records stay sent (no answer), the others are accepted or pending,
// nothing is rejected, and the lanes waiting to retry give up at once.
func TestSend_ParallelUndeliverableStopsAndKeepsSent(t *testing.T) {
	ctx := t.Context()
	w := mustSharedWard(t, 40)
	f, _ := newFakeFHIR(t)
	victim := w.patients[12]
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(victim)) {
			rw.Header().Set("Retry-After", "3")
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var waits []time.Duration
	c := &Client{BaseURL: srv.URL, Workers: 8, MaxAttempts: 3, Backoff: time.Millisecond, Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}}
	x, _ := ExportFHIR(w.events, ExportOptions{})
	rep, err := Send(ctx, c, x, StoreAppender(w.db, w.s), "tester", storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, nil)
	if !errors.Is(err, lifeboat.ErrTransient) {
		t.Fatalf("Send = %v, want ErrTransient", err)
	}
	mu.Lock()
	for _, d := range waits {
		if d < 3*time.Second {
			t.Errorf("waited %v before a retry, want the server's Retry-After (3s)", d)
		}
	}
	mu.Unlock()
	evs, _ := w.db.EventsAfter(ctx, nil, 1<<30)
	n := map[Status]int{}
	for _, it := range Worklist(evs) {
		n[it.Status]++
		if it.PatientID == victim && it.Status != StatusSent && it.Status != StatusPending {
			t.Errorf("%s of the patient whose bundles never got through is %s, want sent or pending", it.Kind, it.Status)
		}
	}
	if n[StatusSent] == 0 || n[StatusSent] != rep.Unanswered || n[StatusRejected] != 0 || n[StatusAccepted] != rep.Accepted || n[StatusPending] == 0 {
		t.Errorf("after an undeliverable bundle: %v, report %+v; want its records sent, none rejected, the rest accepted or pending", n, rep)
	}
}

// TestSend_ParallelCancelledStopsAndRecordsWhatWasAnswered: the person
// sending stops it (the context is cancelled) after a few Bundles. With 8
// workers Send returns promptly with context.Canceled; what was answered
// is recorded accepted, nothing rejected, the rest sent (in flight) or
// pending.
func TestSend_ParallelCancelledStopsAndRecordsWhatWasAnswered(t *testing.T) {
	w := mustSharedWard(t, 40)
	f, _ := newFakeFHIR(t)
	srv := httptest.NewServer(f)
	defer srv.Close()
	x, _ := ExportFHIR(w.events, ExportOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rep, err := Send(ctx, &Client{BaseURL: srv.URL, Sleep: noSleep, Workers: 8}, x, StoreAppender(w.db, w.s), "tester",
		storetest.NewClock(storetest.T0.Add(30*time.Hour)).Now, func(done, total int) {
			if done == 5 {
				cancel()
			}
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %+v, %v; want context.Canceled", rep, err)
	}
	evs, _ := w.db.EventsAfter(t.Context(), nil, 1<<30)
	n := map[Status]int{}
	for _, it := range Worklist(evs) {
		n[it.Status]++
	}
	if n[StatusAccepted] < 5 || n[StatusAccepted] != rep.Accepted || n[StatusRejected] != 0 || n[StatusPending] == 0 {
		t.Errorf("after cancelling: %v, report %+v; want what was answered accepted, none rejected, the rest pending or sent", n, rep)
	}
}
