package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// An attacker (or a screen with a bug) appends straight through the store,
// past every form: an impossible SpO2, a pulse of 400 or an NHS number
// that fails its check digit is refused with ErrInvalid and nothing is
// written. Before the store checked them, each was recorded.
func TestAppend_RefusesImpossibleObsAndInvalidNHSNumber(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0.Add(10 * 3600e9))
	db, s := storetest.MustInit(t, testOpts(clock))
	at := clock.Now().Add(-10 * 60e9)
	pt := storetest.MustAppend(t, db, s, storetest.PatientDraft("Okafor", "Grace", "1950-03-14", "9434765919", at))

	obs := func(change func(*forms.Observations)) store.Draft {
		d := storetest.ObsDraft(pt.Subject, 18, 96, 120, 80, 37.0, at)
		o := d.Payload.(forms.Observations)
		change(&o)
		d.Payload = o
		return d
	}
	spo2 := 150
	pulse := 400
	dia := 130
	tests := []struct {
		name  string
		draft store.Draft
		want  string // words the refusal names
	}{
		{"SpO2 of 150%", obs(func(o *forms.Observations) { o.SpO2 = &spo2 }), "xygen saturation"},
		{"pulse of 400", obs(func(o *forms.Observations) { o.Pulse = &pulse }), "ulse"},
		{"diastolic above systolic", obs(func(o *forms.Observations) { o.Diastolic = &dia }), "iastolic"},
		{"empty set", store.Draft{Kind: forms.KindObsRecorded, Subject: pt.Subject, PerformedAt: at,
			Payload: forms.Observations{PatientID: pt.Subject}}, "at least one"},
		{"NHS number 1234567890", storetest.PatientDraft("Mensah", "Kofi", "1962-07-01", "1234567890", at), "check digit"},
		{"NHS number of 9 digits", storetest.PatientDraft("Mensah", "Kofi", "1962-07-01", "943476591", at), "10 digits"},
		{"amended to an invalid NHS number", func() store.Draft {
			var p forms.Patient
			if err := json.Unmarshal(pt.Payload, &p); err != nil {
				t.Fatal(err)
			}
			p.NHSNumber = "9434765918"
			return store.Draft{Kind: forms.KindPatientRegistered, Subject: p.ID, PerformedAt: at, Corrects: pt.ID, Payload: p}
		}(), "check digit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := db.VersionVector(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Append(ctx, s, tc.draft)
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("Append = %v, want ErrInvalid", err)
			}
			var ps forms.Problems
			if !errors.As(err, &ps) || !strings.Contains(ps.Error(), tc.want) {
				t.Errorf("refusal %v does not name the problem (%q) in plain words", err, tc.want)
			}
			after, err := db.VersionVector(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) || func() bool {
				for d, n := range after {
					if before[d] != n {
						return true
					}
				}
				return false
			}() {
				t.Errorf("something was written: version vector %v -> %v", before, after)
			}
		})
	}
	// The rules are the forms' rules, not stricter: a possible set and a
	// test-range NHS number (a soft problem, confirmed on the form) are kept.
	storetest.MustAppend(t, db, s, storetest.ObsDraft(pt.Subject, 8, 84, 85, 131, 35.1, at))
	storetest.MustAppend(t, db, s, storetest.PatientDraft("Test", "Patient", "1980-01-01", "9990000018", at))
}

// The same records arriving from a peer (a device on an older Lifeboat, or
// one whose checks were bypassed) are kept, never dropped, on this store
// and on a second real store it syncs with, and both list them for review
// with the problem in plain words; correcting one takes it off the list.
func TestApplyRemote_KeepsAndFlagsPeersImpossibleRecords(t *testing.T) {
	ctx := t.Context()
	a, as, b, bs := pair(t)
	old := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, old.Pub, "old laptop"); err != nil {
		t.Fatal(err)
	}
	at := storetest.T0
	p := forms.Patient{ID: "p-bad-nhs", Surname: "Mensah", Given: "Kofi", BirthDate: "1962-07-01", NHSNumber: "1234567890"}
	pb, _ := json.Marshal(p)
	reg := old.Next(as.User.ID, forms.KindPatientRegistered, p.ID, pb, at)
	spo2, resp := 150, 18
	ob, _ := json.Marshal(forms.Observations{PatientID: p.ID, SpO2: &spo2, RespRate: &resp})
	obs := old.Next(as.User.ID, forms.KindObsRecorded, p.ID, ob, at)
	fine, _ := json.Marshal(forms.Observations{PatientID: p.ID, SpO2: new(int(95))})
	good := old.Next(as.User.ID, forms.KindObsRecorded, p.ID, fine, at)

	if res := mustApply(t, a, []lifeboat.Event{reg, obs, good}); res.Applied != 3 || len(res.Refused) > 0 || len(res.Held) > 0 {
		t.Fatalf("ApplyRemote = %+v, want all three kept", res)
	}
	exchange(t, a, b)
	for name, db := range map[string]*store.DB{"a": a, "b": b} {
		for _, e := range []lifeboat.Event{reg, obs, good} {
			if _, err := db.Event(ctx, e.ID); err != nil {
				t.Errorf("%s: %s from the peer was dropped: %v", name, e.Kind, err)
			}
		}
		if pv, err := db.Patient(ctx, p.ID); err != nil || pv.NHSNumber != "1234567890" {
			t.Errorf("%s: Patient = %+v, %v, want the peer's record kept as recorded", name, pv, err)
		}
		flags, err := db.RecordReview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.RecordFlag{}
		for _, f := range flags {
			got[f.EventID] = f
		}
		if len(flags) != 2 {
			t.Errorf("%s: RecordReview = %+v, want the registration and the impossible set", name, flags)
		}
		if f := got[reg.ID]; f.Kind != forms.KindPatientRegistered || f.Subject != p.ID || f.Device != old.ID ||
			!strings.Contains(f.Problems.Error(), "check digit") {
			t.Errorf("%s: flag of the registration = %+v", name, f)
		}
		if f := got[obs.ID]; f.Kind != forms.KindObsRecorded || !strings.Contains(f.Problems.Error(), "xygen saturation") {
			t.Errorf("%s: flag of the observations = %+v", name, f)
		}
		if _, ok := got[good.ID]; ok {
			t.Errorf("%s: a possible set is flagged", name)
		}
	}

	// Marked entered in error on b, the set leaves the list on both.
	if _, err := b.Append(ctx, bs, store.Draft{Kind: lifeboat.KindEnteredInError, Subject: p.ID, PerformedAt: at, Corrects: obs.ID,
		Payload: lifeboat.EnteredInError{Reason: "probe fault: 150% is impossible"}}); err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)
	for name, db := range map[string]*store.DB{"a": a, "b": b} {
		flags, err := db.RecordReview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(flags) != 1 || flags[0].EventID != reg.ID {
			t.Errorf("%s: after the correction RecordReview = %+v, want only the registration", name, flags)
		}
	}
}
