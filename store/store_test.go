package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

func testOpts(c *storetest.Clock) store.Options {
	return store.Options{Now: c.Now, NoBackup: true}
}

func TestAppend_RoundTripThroughReopen(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, testOpts(clock))

	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", storetest.T0))
	storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "Ward 7", "Bed 3", storetest.T0))
	obs := storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 18, 97, 128, 72, 36.8, storetest.T0.Add(-5*time.Minute)))

	// The site's records (site, admin, break-glass) are the device's
	// site chain; the patient's (patient, admission, obs) its ward chain.
	if want := lifeboat.ChainOf(obs.Device[:8], lifeboat.WardScope("Ward 7")); obs.Seq != 3 || obs.Device != want {
		t.Errorf("obs = %s/%d, want %s/3", obs.Device, obs.Seq, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, path, testOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, err := db2.Patients(ctx, ""); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Patients before unlock error = %v, want ErrLocked", err)
	}
	if err := db2.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	pts, err := db2.Patients(ctx, "Ward 7")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Surname != "Smith" || pts[0].Bed != "Bed 3" || pts[0].Status != store.PatientAdmitted {
		t.Fatalf("Patients(Ward 7) = %+v, want Smith admitted in Bed 3", pts)
	}
	chart, err := db2.Observations(ctx, p.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(chart) != 1 || *chart[0].Obs.RespRate != 18 || chart[0].Status != store.StatusFinal || chart[0].Author != s.User.ID {
		t.Fatalf("Observations = %+v, want one final set with resp 18 by the admin", chart)
	}
	if !chart[0].PerformedAt.Equal(storetest.T0.Add(-5*time.Minute)) || !chart[0].RecordedAt.Equal(storetest.T0) {
		t.Errorf("times = performed %v recorded %v, want both kept apart", chart[0].PerformedAt, chart[0].RecordedAt)
	}
	got, err := db2.Event(ctx, obs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Encode()) != string(obs.Encode()) {
		t.Error("Event(id) after reopen differs from what Append returned")
	}
	vv, err := db2.VersionVector(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The site chain: the site, the admin, and the ward's first key.
	if dev, _ := db2.Device(ctx); len(vv) != 2 || vv[dev] != 4 || vv[obs.Device] != 3 {
		t.Errorf("VersionVector = %v, want %s:4 and %s:3", vv, dev, obs.Device)
	}
}

func TestAppend_RefusesBadDrafts(t *testing.T) {
	clock := storetest.NewClock(storetest.T0)
	db, s := storetest.MustInit(t, testOpts(clock))
	ctx := t.Context()
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Jones", "Amy", "1990-01-02", "", storetest.T0))
	_ = p
	tests := []struct {
		name string
		s    *store.Session
		d    store.Draft
		want error
	}{
		{"nobody signed in", nil, storetest.ObsDraft(p.Subject, 18, 97, 120, 70, 37, storetest.T0), lifeboat.ErrPermission},
		{"no performed time", s, storetest.ObsDraft(p.Subject, 18, 97, 120, 70, 37, time.Time{}), lifeboat.ErrInvalid},
		{"performed in the future", s, storetest.ObsDraft(p.Subject, 18, 97, 120, 70, 37, storetest.T0.Add(time.Hour)), lifeboat.ErrInvalid},
		{"payload not an object", s, store.Draft{Kind: "obs.recorded", Subject: p.Subject, PerformedAt: storetest.T0, Payload: []byte("[1]")}, lifeboat.ErrInvalid},
		{"obs for another subject", s, store.Draft{Kind: forms.KindObsRecorded, Subject: p.Subject, PerformedAt: storetest.T0, Payload: forms.Observations{PatientID: "someone-else"}}, lifeboat.ErrInvalid},
		{"obs for an unknown patient", s, storetest.ObsDraft("no-such-patient", 18, 97, 120, 70, 37, storetest.T0), lifeboat.ErrNotFound},
		{"patient without identifiers", s, storetest.PatientDraft("", "Amy", "1990-01-02", "", storetest.T0), lifeboat.ErrInvalid},
		{"correcting a missing record", s, store.Draft{Kind: lifeboat.KindEnteredInError, Subject: p.Subject, PerformedAt: storetest.T0, Corrects: "nope", Payload: lifeboat.EnteredInError{Reason: "x"}}, lifeboat.ErrNotFound},
		{"entered in error without reason", s, store.Draft{Kind: lifeboat.KindEnteredInError, Subject: p.Subject, PerformedAt: storetest.T0, Corrects: p.ID, Payload: lifeboat.EnteredInError{}}, lifeboat.ErrInvalid},
		{"amendment of another kind", s, store.Draft{Kind: forms.KindObsRecorded, Subject: p.Subject, PerformedAt: storetest.T0, Corrects: p.ID, Payload: forms.Observations{PatientID: p.Subject}}, lifeboat.ErrInvalid},
	}
	before, _ := db.VersionVector(ctx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.Append(ctx, tt.s, tt.d); !errors.Is(err, tt.want) {
				t.Errorf("Append(%s) error = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
	after, _ := db.VersionVector(ctx)
	dev, _ := db.Device(ctx)
	if after[dev] != before[dev] {
		t.Errorf("version vector moved from %d to %d after refused appends: something was half-written", before[dev], after[dev])
	}
}

func TestAppend_CorrectionsKeepHistory(t *testing.T) {
	clock := storetest.NewClock(storetest.T0)
	db, s := storetest.MustInit(t, testOpts(clock))
	ctx := t.Context()
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Khan", "Zara", "1980-05-06", "9434765919", storetest.T0))
	first := storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 18, 97, 120, 70, 37, storetest.T0))
	amend := storetest.ObsDraft(p.Subject, 28, 97, 120, 70, 37, storetest.T0)
	amend.Corrects = first.ID
	second := storetest.MustAppend(t, db, s, amend)
	wrong := storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 12, 99, 130, 60, 36.5, storetest.T0.Add(time.Minute)))
	if _, err := db.EnterInError(ctx, s, wrong.ID, "recorded on the wrong patient", storetest.T0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	chart, err := db.Observations(ctx, p.Subject)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{first.ID: store.StatusAmended, second.ID: store.StatusFinal, wrong.ID: store.StatusEnteredInError}
	if len(chart) != 3 {
		t.Fatalf("chart has %d rows, want 3 (corrections never remove records)", len(chart))
	}
	for _, row := range chart {
		if row.Status != want[row.EventID] {
			t.Errorf("status of %s = %s, want %s", row.EventID, row.Status, want[row.EventID])
		}
	}
	if chart[0].CorrectedBy != second.ID && chart[1].CorrectedBy != second.ID {
		t.Errorf("amended row does not name its amendment %s: %+v", second.ID, chart)
	}
}
