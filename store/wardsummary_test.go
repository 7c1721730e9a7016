package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// copyKinds gives to a store the events of from of the given kinds only,
// and fails on any refused.
func copyKinds(t *testing.T, from, to *store.DB, kinds ...string) []lifeboat.Event {
	t.Helper()
	evs, err := from.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []lifeboat.Event
	for _, e := range evs {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
			}
		}
	}
	res, err := to.ApplyRemote(t.Context(), out)
	if err != nil || len(res.Refused) > 0 || len(res.Held) > 0 {
		t.Fatalf("ApplyRemote(%d %v events) = %+v, %v", len(out), kinds, res, err)
	}
	return out
}

// mustServe gives to what from holds of its scopes (for a bed
// manager's device: the site's, with the ward summaries) and fails on
// anything refused.
func mustServe(t *testing.T, from, to *store.DB) {
	t.Helper()
	if res := storetest.Serve(t, from, to); len(res.Refused) > 0 || len(res.Held) > 0 {
		t.Fatalf("Serve() = %+v", res)
	}
}

// wardLine returns ward's line of a site capacity view.
func wardLine(t *testing.T, db *store.DB, ward string) forms.WardCapacity {
	t.Helper()
	cs, _, err := db.SiteCapacity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Ward == ward {
			return c
		}
	}
	t.Fatalf("SiteCapacity() = %+v, no ward %s", cs, ward)
	return forms.WardCapacity{}
}

func summaryEvents(t *testing.T, db *store.DB, ward string) []lifeboat.Event {
	t.Helper()
	evs, err := db.Events(t.Context(), "ward:"+ward, forms.KindWardSummary)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A bed manager's device that holds the site's records and the ward
// summaries, and none of the ward's clinical records, shows the ward's
// capacity and sitrep as the ward's own device counts them, with the time
// of the count; and the summary events carry no patient's ID, name or
// NHS number.
func TestSiteCapacity_BedManagerFromWardSummaries(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	// The bed manager's device holds the site scope only.
	mgr, _ := storetest.MustJoinScoped(t, ward, admin, testOpts(clock), lifeboat.ScopeSite)
	pid, _ := seedWard(t, ward, admin)
	w8 := forms.Ward{ID: "w8", Name: "Ward 8", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}}}
	storetest.MustAppend(t, ward, admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: clock.Now(), Payload: w8})

	n, err := ward.PublishWardSummaries(ctx)
	if err != nil || n != 2 {
		t.Fatalf("PublishWardSummaries() = %d, %v; want 2 (w7 and w8: the founding device holds every ward)", n, err)
	}
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 0 {
		t.Fatalf("PublishWardSummaries() again = %d, %v; want 0: nothing changed", n, err)
	}
	mustServe(t, ward, mgr)
	if pts, err := mgr.Patients(ctx, ""); err != nil || len(pts) != 0 {
		t.Fatalf("the bed manager's device holds patients %v, %v; want none", pts, err)
	}
	if _, err := mgr.BedBoard(ctx, "w7"); !errors.Is(err, store.ErrWardNotHeld) {
		t.Errorf("bed manager's BedBoard(w7) = %v, want ErrWardNotHeld", err)
	}

	live, got := wardLine(t, ward, "w7"), wardLine(t, mgr, "w7")
	if live.FromSummary || live.NoSummary {
		t.Errorf("ward device's w7 = %+v, want its live board", live)
	}
	if !got.FromSummary || !got.AsOf.Equal(clock.Now()) || got.WardSummary != live.WardSummary {
		t.Errorf("bed manager's w7 = %+v, want the ward's counts %+v from its summary as of %v", got, live.WardSummary, clock.Now())
	}
	if got.Occupied != 1 {
		t.Errorf("bed manager's w7 occupied = %d, want the admitted patient's bed", got.Occupied)
	}
	repWard, _ := ward.Sitrep(ctx, day)
	repMgr, _ := mgr.Sitrep(ctx, day)
	if repWard.Site != repMgr.Site {
		t.Errorf("sitrep site totals: ward %+v, bed manager %+v", repWard.Site, repMgr.Site)
	}

	// The patient goes home: the ward's device counts again, the bed
	// manager's follows, and the bed waits for cleaning.
	clock.Advance(20 * time.Minute)
	storetest.MustAppend(t, ward, admin, store.Draft{Kind: forms.KindPatientDischarged, Subject: pid, PerformedAt: clock.Now(), Payload: forms.Discharge{PatientID: pid}})
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Fatalf("PublishWardSummaries() after a discharge = %d, %v; want 1", n, err)
	}
	mustServe(t, ward, mgr)
	live, got = wardLine(t, ward, "w7"), wardLine(t, mgr, "w7")
	if got.WardSummary != live.WardSummary || got.Cleaning != 1 || got.Occupied != 0 || !got.AsOf.Equal(clock.Now()) {
		t.Errorf("after the discharge: bed manager's w7 = %+v, ward's %+v; want the same counts, one bed cleaning, as of %v", got, live, clock.Now())
	}

	// Nothing in a summary names the patient.
	p, err := ward.Patient(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range summaryEvents(t, mgr, "w7") {
		b, _ := json.Marshal(e)
		for _, secret := range []string{pid, p.Patient.Surname, p.Patient.Given, p.Patient.NHSNumber, "Smith", "Richard", "9434765919"} {
			if secret != "" && strings.Contains(strings.ToLower(string(b)), strings.ToLower(secret)) {
				t.Errorf("summary event %s carries %q: %s", e.ID, secret, b)
			}
		}
	}
}

// A summary is the device's own record (author "device:<its ID>"), made
// with nobody signed in; a summary never overrides the live board of a
// ward held here, and a wrong one is corrected by the next count.
func TestPublishWardSummaries_DeviceAuthoredAndNeverOverridesLive(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	mgr, mgrAdmin := storetest.MustJoinScoped(t, ward, admin, testOpts(clock), lifeboat.ScopeSite)
	seedWard(t, ward, admin)
	if _, err := ward.PublishWardSummaries(ctx); err != nil {
		t.Fatal(err)
	}
	dev, err := ward.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := summaryEvents(t, ward, "w7")
	if len(evs) != 1 || evs[0].Author != "device:"+dev || evs[0].Subject != "ward:w7" {
		t.Fatalf("summary events = %+v, want one by device:%s about ward:w7", evs, dev)
	}

	// A wrong summary (every bed free) recorded later by this device, as
	// by an older Lifeboat or a fault: the ward's own view keeps its live
	// board; a device without the ward's records shows it until the next
	// count replaces it.
	clock.Advance(time.Minute)
	me := &store.Session{User: store.User{ID: "device:" + dev}}
	wrong := forms.WardSummaryReport{WardSummary: forms.WardSummary{Ward: "w7", Name: "Ward 7", CoreBeds: 2, Open: 2, Available: 2}, AsOf: clock.Now()}
	storetest.MustAppend(t, ward, me, store.Draft{Kind: forms.KindWardSummary, Subject: "ward:w7", PerformedAt: clock.Now(), Payload: wrong})
	mustServe(t, ward, mgr)
	if c := wardLine(t, ward, "w7"); c.FromSummary || c.Occupied != 1 {
		t.Errorf("ward device's w7 = %+v, want its live board (1 occupied), not the summary", c)
	}
	if c := wardLine(t, mgr, "w7"); !c.FromSummary || c.Available != 2 {
		t.Errorf("bed manager's w7 = %+v, want the newest summary", c)
	}
	clock.Advance(time.Minute)
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Fatalf("PublishWardSummaries() after a wrong summary = %d, %v; want 1", n, err)
	}
	mustServe(t, ward, mgr)
	if c := wardLine(t, mgr, "w7"); c.Occupied != 1 || c.Available != 1 {
		t.Errorf("bed manager's w7 = %+v, want the corrected count", c)
	}

	// A summary entered in error stands no more: the one before it shows.
	last := summaryEvents(t, ward, "w7")
	storetest.MustAppend(t, mgr, storetest.MustPerson(t, mgr, mgrAdmin, "Bea Beds", lifeboat.RoleBedManager), store.Draft{
		Kind: lifeboat.KindEnteredInError, Subject: "ward:w7", PerformedAt: clock.Now(), Corrects: last[len(last)-1].ID,
		Payload: lifeboat.EnteredInError{Reason: "counted during a fault"}})
	if c := wardLine(t, mgr, "w7"); c.Available != 2 {
		t.Errorf("bed manager's w7 after the newest summary was entered in error = %+v, want the one before it", c)
	}
}

// A summary is refused when it claims a person as author, when its
// counts do not add up, or when it names a ward other than its subject.
func TestWardSummary_Authority(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	seedWard(t, ward, admin)
	good := forms.WardSummaryReport{WardSummary: forms.WardSummary{Ward: "w7", CoreBeds: 2, Open: 2, Available: 2}, AsOf: clock.Now()}
	bad := good
	bad.Available = 5
	tests := []struct {
		name string
		s    *store.Session
		d    store.Draft
		want error
	}{
		{"a person as author", admin, store.Draft{Kind: forms.KindWardSummary, Subject: "ward:w7", PerformedAt: clock.Now(), Payload: good}, lifeboat.ErrPermission},
		{"counts that do not add up", nil, store.Draft{Kind: forms.KindWardSummary, Subject: "ward:w7", PerformedAt: clock.Now(), Payload: bad}, lifeboat.ErrInvalid},
		{"another ward's subject", nil, store.Draft{Kind: forms.KindWardSummary, Subject: "ward:w8", PerformedAt: clock.Now(), Payload: good}, lifeboat.ErrInvalid},
	}
	dev, _ := ward.Device(ctx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s == nil {
				s = &store.Session{User: store.User{ID: "device:" + dev}}
			}
			if _, err := ward.Append(ctx, s, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Append(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

// RunWardSummaries, the trigger the app and `lifeboat serve` run, records
// a summary after a commit that changes a ward's beds.
func TestRunWardSummaries_AfterABedChange(t *testing.T) {
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ward.RunWardSummaries(ctx, 10*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })

	seedWard(t, ward, admin)
	newest := func() forms.WardSummaryReport {
		evs := summaryEvents(t, ward, "w7")
		if len(evs) == 0 {
			return forms.WardSummaryReport{}
		}
		r, _ := forms.WardSummaryOf(evs[len(evs)-1])
		return r
	}
	waitFor(t, func() bool { return newest().Occupied == 1 }, "a summary with the admitted patient")
	storetest.MustAppend(t, ward, admin, store.Draft{Kind: forms.KindBedState, PerformedAt: clock.Now(), Payload: forms.BedStateSet{Ward: "w7", Bed: "b2", State: forms.BedClosed, Reason: "no nurse"}})
	waitFor(t, func() bool { return newest().Closed == 1 }, "a summary with the bed closed")
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A device that has not received what the newest summary's device had
// seen (a relay cut off from the ward) does not replace that summary
// with its older count, until the summary is SummaryStaleAfter old.
func TestPublishWardSummaries_BehindDeviceHoldsBack(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	seedWard(t, ward, admin)
	relay, _ := storetest.MustJoin(t, ward, admin, testOpts(clock)) // holds everything so far
	pid := func() string {
		pts, err := ward.Patients(ctx, "")
		if err != nil || len(pts) != 1 {
			t.Fatalf("Patients() = %v, %v", pts, err)
		}
		return pts[0].ID
	}()
	clock.Advance(time.Minute)
	storetest.MustAppend(t, ward, admin, store.Draft{Kind: forms.KindPatientDischarged, Subject: pid, PerformedAt: clock.Now(), Payload: forms.Discharge{PatientID: pid}})
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Fatalf("ward: PublishWardSummaries() = %d, %v; want 1", n, err)
	}
	copyKinds(t, ward, relay, forms.KindWardSummary) // the summary arrives, the discharge not yet
	if c := wardLine(t, relay, "w7"); c.FromSummary || c.Occupied != 1 {
		t.Fatalf("relay's w7 = %+v, want its own live board, the patient still in", c)
	}
	if n, err := relay.PublishWardSummaries(ctx); err != nil || n != 0 {
		t.Errorf("relay behind the ward: PublishWardSummaries() = %d, %v; want 0", n, err)
	}
	clock.Advance(store.SummaryStaleAfter)
	if n, err := relay.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Errorf("relay, the ward's summary %s old: PublishWardSummaries() = %d, %v; want 1", store.SummaryStaleAfter, n, err)
	}
}

// A quiet ward's count is recorded again once its newest summary is
// SummaryRefresh old, so its age tells the site when the ward's devices
// were last heard from.
func TestPublishWardSummaries_RefreshesAQuietWard(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(day.Add(9 * time.Hour))
	ward, admin := storetest.MustInit(t, testOpts(clock))
	seedWard(t, ward, admin)
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Fatalf("PublishWardSummaries() = %d, %v; want 1", n, err)
	}
	clock.Advance(store.SummaryRefresh - time.Second)
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 0 {
		t.Errorf("PublishWardSummaries() %s later = %d, %v; want 0", store.SummaryRefresh-time.Second, n, err)
	}
	clock.Advance(time.Second)
	if n, err := ward.PublishWardSummaries(ctx); err != nil || n != 1 {
		t.Errorf("PublishWardSummaries() %s later = %d, %v; want 1", store.SummaryRefresh, n, err)
	}
	if c := wardLine(t, ward, "w7"); c.FromSummary {
		t.Errorf("w7 = %+v, want the live board still", c)
	}
}
