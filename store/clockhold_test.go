package store_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

var y2099 = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

// recordsFrom makes n signed events from d: a patient, their admission
// and observations.
func recordsFrom(t *testing.T, d *storetest.Device, author string, n int) []lifeboat.Event {
	t.Helper()
	id := "p-" + d.ID
	p, _ := json.Marshal(forms.Patient{ID: id, Surname: "Fast", Given: "Clock", BirthDate: "1960-01-01", TempID: "DT-" + d.ID})
	evs := []lifeboat.Event{d.Next(author, forms.KindPatientRegistered, id, p, storetest.T0)}
	for len(evs) < n {
		o, _ := json.Marshal(storetest.ObsDraft(id, 16, 96, 120, 72, 37, storetest.T0).Payload)
		evs = append(evs, d.Next(author, forms.KindObsRecorded, id, o, storetest.T0))
	}
	return evs
}

// localStamp appends a local event and returns its HLC.
func localStamp(t *testing.T, db *store.DB, s *store.Session) lifeboat.HLC {
	t.Helper()
	return storetest.MustAppend(t, db, s, storetest.PatientDraft("Local", "Event", "1970-01-01", "", storetest.T0)).HLC
}

func wantHeld(t *testing.T, res lifeboat.ApplyResult, evs []lifeboat.Event) {
	t.Helper()
	if res.Applied != 0 || len(res.Refused) != len(evs) {
		t.Fatalf("ApplyRemote = %d applied, %d refused, want all %d held", res.Applied, len(res.Refused), len(evs))
	}
	for _, r := range res.Refused {
		if !errors.Is(r.Err, lifeboat.ErrClockAhead) || !lifeboat.ClockAheadReason(r.Reason) {
			t.Errorf("refusal of %s/%d = %q, want held for a clock far ahead", r.Device, r.Seq, r.Reason)
		}
	}
}

// A peer's event stamped 2099 is held, does not move the local clock,
// survives a restart without moving it either, and goes in only when an
// IT admin lets it in (still without moving the clock). Fails on main
// before this change: ApplyRemote applied it and the next local event was
// stamped 2099.
func TestApplyRemote_Year2099HeldAndClockUnmoved(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, admin := storetest.MustInitAt(t, path, testOpts(clock))
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, admin, dev.Pub, "bad clock"); err != nil {
		t.Fatal(err)
	}
	dev.SetClock(y2099)
	evs := recordsFrom(t, dev, admin.User.ID, 1)
	res := mustApply(t, db, evs)
	wantHeld(t, res, evs)
	if err := db.Quarantine(ctx, evs[0], "peer-1", res.Refused[0].Reason); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Event(ctx, evs[0].ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("Event(held) = %v, want ErrNotFound", err)
	}
	if h := localStamp(t, db, admin); h.Wall != storetest.T0.UnixMilli() {
		t.Errorf("local event after the 2099 one = %v, want stamped %v", h, storetest.T0)
	}
	if res, err := db.RetryHeld(ctx); err != nil || res.Applied != 0 {
		t.Errorf("RetryHeld() = %+v, %v, want nothing due", res, err)
	}

	ref, err := db.ReleaseQuarantined(ctx, admin, evs[0].ID)
	if err != nil || ref != nil {
		t.Fatalf("ReleaseQuarantined() = %+v, %v, want let in", ref, err)
	}
	if _, err := db.Event(ctx, evs[0].ID); err != nil {
		t.Errorf("Event(let in) = %v", err)
	}
	clock.Advance(time.Second)
	if h := localStamp(t, db, admin); h.Wall != storetest.T0.Add(time.Second).UnixMilli() {
		t.Errorf("local event after the 2099 one was let in = %v, want stamped %v", h, storetest.T0.Add(time.Second))
	}

	// A restart starts the clock from the log, but not from an event far
	// ahead of wall time.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	db, err = store.Open(ctx, path, testOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	s, err := db.SignIn(ctx, admin.User.ID, storetest.AdminPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	if h := localStamp(t, db, s); h.Wall != storetest.T0.Add(2*time.Second).UnixMilli() {
		t.Errorf("local event after a restart = %v, want stamped %v", h, storetest.T0.Add(2*time.Second))
	}
}

// A device 3 h fast: its events are held, the local clock stays put, and
// once wall time catches up RetryHeld applies every one of them and
// clears them from the quarantine: nothing is lost. Fails on main before
// this change: they applied at once and dragged the local clock 3 h ahead.
func TestRetryHeld_DeviceThreeHoursFastAppliesWhenClockCatchesUp(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	db, admin := storetest.MustInit(t, testOpts(clock))
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, admin, dev.Pub, "fast laptop"); err != nil {
		t.Fatal(err)
	}
	dev.SetClock(storetest.T0.Add(3 * time.Hour))
	evs := recordsFrom(t, dev, admin.User.ID, 4)
	res := mustApply(t, db, evs)
	wantHeld(t, res, evs)
	for i, r := range res.Refused {
		if err := db.Quarantine(ctx, evs[i], "peer-1", r.Reason); err != nil {
			t.Fatal(err)
		}
	}
	if h := localStamp(t, db, admin); h.Wall != storetest.T0.UnixMilli() {
		t.Errorf("local event = %v, want stamped %v", h, storetest.T0)
	}

	clock.Advance(2*time.Hour + 54*time.Minute) // 6 min short
	if res, err := db.RetryHeld(ctx); err != nil || res.Applied != 0 {
		t.Fatalf("RetryHeld() 6 min short = %+v, %v, want nothing due", res, err)
	}
	clock.Advance(time.Minute) // within the 5 minute bound
	res, err := db.RetryHeld(ctx)
	if err != nil || res.Applied != len(evs) {
		t.Fatalf("RetryHeld() once due = %+v, %v, want all %d applied", res, err, len(evs))
	}
	vec, err := db.VersionVector(ctx)
	if err != nil || vec[dev.ID] != uint64(len(evs)) {
		t.Errorf("VersionVector()[fast device] = %d, %v, want %d", vec[dev.ID], err, len(evs))
	}
	if qs, _ := db.Quarantined(ctx); len(qs) != 0 {
		t.Errorf("Quarantined() after the retry = %+v, want none", qs)
	}
	if res, err := db.RetryHeld(ctx); err != nil || res.Applied != 0 || len(res.Refused) != 0 {
		t.Errorf("RetryHeld() again = %+v, %v, want nothing", res, err)
	}
}

// The bound is the store's option: a wider one lets the 3 h fast device
// in at once.
func TestApplyRemote_MaxClockAheadOption(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	opts := testOpts(clock)
	opts.MaxClockAhead = 4 * time.Hour
	db, admin := storetest.MustInit(t, opts)
	if db.MaxClockAhead() != 4*time.Hour {
		t.Errorf("MaxClockAhead() = %v, want 4h", db.MaxClockAhead())
	}
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, admin, dev.Pub, "fast laptop"); err != nil {
		t.Fatal(err)
	}
	dev.SetClock(storetest.T0.Add(3 * time.Hour))
	evs := recordsFrom(t, dev, admin.User.ID, 2)
	if res := mustApply(t, db, evs); res.Applied != 2 {
		t.Errorf("ApplyRemote within a 4 h bound = %+v, want both applied", res)
	}
	if def, _ := storetest.MustInit(t, testOpts(clock)); def.MaxClockAhead() != store.DefaultMaxClockAhead {
		t.Errorf("default MaxClockAhead() = %v, want %v", def.MaxClockAhead(), store.DefaultMaxClockAhead)
	}
}
