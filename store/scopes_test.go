package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

var (
	w1 = lifeboat.WardScope("W01")
	w2 = lifeboat.WardScope("W02")
)

// admitted registers and admits a patient to ward on db; it returns the
// patient ID.
func admitted(t *testing.T, db *store.DB, s *store.Session, surname, ward string) string {
	t.Helper()
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft(surname, "Test", "1960-01-01", "", storetest.T0))
	storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, ward, "Bed 1", storetest.T0))
	return p.Subject
}

func surnames(t *testing.T, db *store.DB) []string {
	t.Helper()
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pts {
		out = append(out, p.Surname)
	}
	slices.Sort(out)
	return out
}

// TestScopes_WardDeviceHoldsItsWardOnly: a device given ward W01 holds
// W01's patients and the site's registry, never W02's patients, however
// they are pushed at it. Fails without scopes: every device held every
// ward.
func TestScopes_WardDeviceHoldsItsWardOnly(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	admitted(t, a, as, "Wardone", "W01")
	p2 := admitted(t, a, as, "Wardtwo", "W02")

	b, _ := storetest.MustJoinScoped(t, a, as, store.Options{NoBackup: true}, w1)
	if got := surnames(t, b); !slices.Equal(got, []string{"Wardone"}) {
		t.Errorf("W01 device's patients = %v, want only Wardone", got)
	}
	sub, err := b.Subscription(ctx)
	if err != nil || !slices.Equal(sub, lifeboat.Subscription{w1}) {
		t.Errorf("Subscription() = %v, %v; want [ward:W01]", sub, err)
	}
	vv, _ := b.VersionVector(ctx)
	for chain := range vv {
		if s := lifeboat.ScopeOf(chain); s != lifeboat.ScopeSite && s != w1 {
			t.Errorf("W01 device holds chain %s", chain)
		}
	}

	// A hostile peer pushes W02's records anyway: refused, none kept.
	evs, err := a.EventsAfter(ctx, nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var w2evs []lifeboat.Event
	for _, e := range evs {
		if lifeboat.ScopeOf(e.Device) == w2 {
			w2evs = append(w2evs, e)
		}
	}
	if len(w2evs) == 0 {
		t.Fatal("no W02 records on the founding device")
	}
	res, err := b.ApplyRemote(ctx, w2evs)
	if err != nil || res.Applied != 0 || len(res.Refused) != len(w2evs) || !errors.Is(res.Refused[0].Err, store.ErrScopeNotHeld) {
		t.Fatalf("ApplyRemote(W02 records) on a W01 device = %+v, %v; want all refused as not held", res, err)
	}
	if _, err := b.Event(ctx, w2evs[0].ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("Event(W02 record) on the W01 device = %v, want not found", err)
	}
	if evs, _ := b.Events(ctx, p2, ""); len(evs) != 0 {
		t.Errorf("the W01 device holds %d events of a W02 patient", len(evs))
	}
}

// TestScopes_RecordOutsideItsScopesIsNotAccepted: a stolen W01 device
// signs records into W02's chain. Its own store refuses to record them;
// forged with its key, every device holding W02 keeps them out (held for
// a grant that never comes). Fails without the grant check: any enrolled
// device could write into any ward.
func TestScopes_RecordOutsideItsScopesIsNotAccepted(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	p2 := admitted(t, a, as, "Wardtwo", "W02")
	b, bs := storetest.MustJoinScoped(t, a, as, store.Options{NoBackup: true}, w1)

	// Through the product: the W01 device cannot record in W02.
	_, err := b.Append(ctx, bs, store.Draft{Kind: forms.KindHandoverNote, Scope: w2, PerformedAt: storetest.T0,
		Payload: forms.HandoverNote{ID: "n0", PatientID: p2, Ward: "W02", Text: "hello"}})
	if !errors.Is(err, lifeboat.ErrPermission) {
		t.Fatalf("Append into W02 on a W01 device = %v, want ErrPermission", err)
	}

	// Forged with a W01 device's key straight into a W02 chain.
	rogue := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, rogue.Pub, "ward phone", w1); err != nil {
		t.Fatal(err)
	}
	forged := rogue.NextIn(w2, as.User.ID, forms.KindHandoverNote, p2,
		[]byte(`{"id":"n1","ward":"W02","patient_id":"`+p2+`","text":"forged"}`), storetest.T0)
	res, err := a.ApplyRemote(ctx, []lifeboat.Event{forged})
	if err != nil || res.Applied != 0 || len(res.Held) != 1 {
		t.Fatalf("ApplyRemote(record in an ungranted scope) = %+v, %v; want held, not applied", res, err)
	}
	// Given W02 later (an IT admin's act), the same record is accepted.
	if _, err := a.SetDeviceScopes(ctx, as, rogue.ID, lifeboat.Subscription{w1, w2}); err != nil {
		t.Fatal(err)
	}
	if res, err := a.ApplyRemote(ctx, []lifeboat.Event{forged}); err != nil || res.Applied != 1 {
		t.Fatalf("ApplyRemote after the grant = %+v, %v; want applied", res, err)
	}
}

// TestScopes_OnlyAnITAdminChangesScopes: a nurse cannot give a device
// (their own, stolen) another ward.
func TestScopes_OnlyAnITAdminChangesScopes(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b, _ := storetest.MustJoinScoped(t, a, as, store.Options{NoBackup: true}, w1)
	nurse := storetest.MustPerson(t, b, as, "Nia Nurse", lifeboat.RoleWardStaff)
	dev, _ := b.Device(ctx)
	if _, err := b.SetDeviceScopes(ctx, nurse, dev, lifeboat.Subscription{w1, w2}); !errors.Is(err, lifeboat.ErrPermission) {
		t.Fatalf("SetDeviceScopes by a nurse = %v, want ErrPermission", err)
	}
	if sub, _ := b.Subscription(ctx); !slices.Equal(sub, lifeboat.Subscription{w1}) {
		t.Errorf("Subscription() = %v, want unchanged", sub)
	}
}

// TestScopes_RevocationCutsEveryChain: a revoked device's records in its
// ward chain beyond what the revoking device held are refused like those
// of its site chain, and one the revocation does not name is cut whole.
func TestScopes_RevocationCutsEveryChain(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	pid := admitted(t, a, as, "Wardone", "W01")
	rogue := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, rogue.Pub, "ward phone", w1, w2); err != nil {
		t.Fatal(err)
	}
	note := func(scope lifeboat.Scope, ward, text string) lifeboat.Event {
		return rogue.NextIn(scope, as.User.ID, forms.KindHandoverNote, pid,
			[]byte(`{"id":"`+text+`","ward":"`+ward+`","patient_id":"`+pid+`","text":"`+text+`"}`), storetest.T0)
	}
	before := note(w1, "W01", "before")
	if res, err := a.ApplyRemote(ctx, []lifeboat.Event{before}); err != nil || res.Applied != 1 {
		t.Fatalf("ApplyRemote(before) = %+v, %v", res, err)
	}
	if err := a.Revoke(ctx, as, rogue.ID, "stolen"); err != nil {
		t.Fatal(err)
	}
	after := note(w1, "W01", "after")
	elsewhere := note(w2, "W02", "elsewhere")
	res, err := a.ApplyRemote(ctx, []lifeboat.Event{after, elsewhere})
	if err != nil || res.Applied != 0 || len(res.Refused) != 2 {
		t.Fatalf("ApplyRemote(after the revocation) = %+v, %v; want both refused", res, err)
	}
	for _, r := range res.Refused {
		if !errors.Is(r.Err, store.ErrRevokedDevice) {
			t.Errorf("refused %s/%d: %v, want ErrRevokedDevice", r.Device, r.Seq, r.Err)
		}
	}
	if _, err := a.Event(ctx, before.ID); err != nil {
		t.Errorf("the record made before the revocation = %v, want kept", err)
	}
}

// TestScopes_TransferHandsTheHistoryToTheReceivingWard: a W01 nurse's
// device moves a patient to W02. W02's device (which holds no W01 record)
// then holds the patient, their observations and allergy, all checked as
// the devices that made them signed them; W01 keeps its records and sees
// the patient gone. Fails without the handoff: W02 never learnt who
// arrived.
func TestScopes_TransferHandsTheHistoryToTheReceivingWard(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b, bs := storetest.MustJoinScoped(t, a, as, store.Options{NoBackup: true}, w1)
	c, _ := storetest.MustJoinScoped(t, a, as, store.Options{NoBackup: true}, w2)

	pid := admitted(t, b, bs, "Mover", "W01")
	obs := storetest.MustAppend(t, b, bs, storetest.ObsDraft(pid, 18, 97, 128, 72, 36.8, storetest.T0))
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindAllergyRecorded, PerformedAt: storetest.T0,
		Payload: forms.Allergy{ID: "a1", PatientID: pid, Substance: "Penicillin", Reaction: "rash", Severity: forms.SeverityModerate, Status: forms.AllergyActive, Source: forms.SourceEntered}})
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindPatientTransferred, Subject: pid, PerformedAt: storetest.T0,
		Payload: forms.Transfer{PatientID: pid, FromWard: "W01", FromBed: "Bed 1", Ward: "W02", Bed: "Bed 4"}})

	// The site relay (a) holds every scope; W02's device is served by it.
	storetest.Serve(t, b, a)
	if res := storetest.Serve(t, a, c); len(res.Refused) > 0 {
		t.Fatalf("W02 device refused: %+v", res.Refused)
	}
	pts, err := c.Patients(ctx, "W02")
	if err != nil || len(pts) != 1 || pts[0].Surname != "Mover" || pts[0].Bed != "Bed 4" {
		t.Fatalf("W02's patients = %+v, %v; want Mover in Bed 4", pts, err)
	}
	chart, err := c.Observations(ctx, pid)
	if err != nil || len(chart) != 1 || chart[0].EventID != obs.ID {
		t.Errorf("W02's chart of the patient = %+v, %v; want W01's set", chart, err)
	}
	al, err := c.Allergies(ctx, pid)
	if err != nil || len(al.Allergies) != 1 {
		t.Errorf("W02's allergies of the patient = %+v, %v; want the penicillin allergy", al, err)
	}
	if got, err := c.Event(ctx, obs.ID); err != nil || got.Device != obs.Device || string(got.Sig) != string(obs.Sig) {
		t.Errorf("W02 holds the observation as %s signed it: %v", obs.Device, err)
	}
	// W01 keeps what it recorded, with the patient gone from its ward.
	if pts, _ := b.Patients(ctx, "W01"); len(pts) != 0 {
		t.Errorf("W01 still lists %+v", pts)
	}
	if _, err := b.Event(ctx, obs.ID); err != nil {
		t.Errorf("W01 lost its observation: %v", err)
	}
	for _, db := range []*store.DB{a, b, c} {
		if rep, err := db.Verify(ctx); err != nil || !rep.OK() {
			t.Errorf("Verify() = %v, %v", problems(rep), err)
		}
	}
}

// TestScopes_HandoffCannotCarryForgedRecords: a stolen W01 device hands
// W02 a "record" it altered after signing, and one signed by a device the
// site never enrolled. W02 keeps neither.
func TestScopes_HandoffCannotCarryForgedRecords(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	pid := admitted(t, a, as, "Target", "W02")
	rogue := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, rogue.Pub, "ward phone", w1); err != nil {
		t.Fatal(err)
	}
	stranger := storetest.NewDevice(t)
	altered := rogue.NextIn(w1, as.User.ID, forms.KindHandoverNote, pid, []byte(`{"id":"n1","patient_id":"`+pid+`","ward":"W01","text":"real"}`), storetest.T0)
	altered.Payload = []byte(`{"id":"n1","patient_id":"` + pid + `","ward":"W01","text":"altered"}`)
	foreign := stranger.NextIn(w1, as.User.ID, forms.KindHandoverNote, pid, []byte(`{"id":"n2","patient_id":"`+pid+`","ward":"W01","text":"stranger"}`), storetest.T0)
	payload, _ := json.Marshal(forms.PatientHandoff{PatientID: pid, Ward: "W02", Records: [][]byte{altered.Encode(), foreign.Encode()}})
	h := rogue.NextIn(w2, "device:"+rogue.ID, forms.KindPatientHandoff, pid, payload, storetest.T0)
	res, err := a.ApplyRemote(ctx, []lifeboat.Event{h})
	if err != nil || res.Applied != 1 {
		t.Fatalf("ApplyRemote(handoff) = %+v, %v; want the handoff itself kept", res, err)
	}
	for _, id := range []string{altered.ID, foreign.ID} {
		if _, err := a.Event(ctx, id); !errors.Is(err, lifeboat.ErrNotFound) {
			t.Errorf("forged record %s kept: %v", id, err)
		}
	}
}
