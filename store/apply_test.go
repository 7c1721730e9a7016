package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// pair makes two devices of one site: A founds it and enrols B, which
// joins with A's log.
func pair(t *testing.T) (a *store.DB, as *store.Session, b *store.DB, bs *store.Session) {
	t.Helper()
	clock := storetest.NewClock(storetest.T0.Add(15 * time.Hour)) // late evening: the day's doses are past
	a, as = storetest.MustInit(t, testOpts(clock))
	b, bs = storetest.MustJoin(t, a, as, testOpts(clock))
	return a, as, b, bs
}

// allEvents reads everything a store holds.
func allEvents(t *testing.T, db *store.DB) []lifeboat.Event {
	t.Helper()
	evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func mustApply(t *testing.T, db *store.DB, evs []lifeboat.Event) lifeboat.ApplyResult {
	t.Helper()
	res, err := db.ApplyRemote(t.Context(), evs)
	if err != nil {
		t.Fatalf("ApplyRemote: %v", err)
	}
	return res
}

func digests(t *testing.T, db *store.DB) (log, views string) {
	t.Helper()
	log, _, err := db.LogDigest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	views, err = db.ProjectionDigest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return log, views
}

func ward(t *testing.T, db *store.DB, s *store.Session, patients int) {
	t.Helper()
	at := storetest.T0
	for i := range patients {
		p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Patient", string(rune('A'+i)), "1950-01-01", "", at))
		storetest.MustAppend(t, db, s, storetest.AdmitDraft(p.Subject, "Ward 7", "Bed "+string(rune('1'+i)), at))
		for j := range 3 {
			storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 14+j, 96, 120, 70+j, 37, at.Add(time.Duration(j)*time.Minute)))
		}
	}
}

func TestApplyRemote_TwoWayConvergence(t *testing.T) {
	a, as, b, bs := pair(t)
	ward(t, a, as, 3)
	ward(t, b, bs, 2)
	res := mustApply(t, b, allEvents(t, a))
	if len(res.Refused) != 0 {
		t.Fatalf("B refused A's events: %+v", res.Refused)
	}
	res = mustApply(t, a, allEvents(t, b))
	if len(res.Refused) != 0 {
		t.Fatalf("A refused B's events: %+v", res.Refused)
	}
	// Both now hold the union; a second exchange is all duplicates.
	res = mustApply(t, a, allEvents(t, b))
	if res.Applied != 0 || res.Duplicates == 0 {
		t.Errorf("re-applying = %+v, want only duplicates", res)
	}
	la, _ := digests(t, a)
	lb, _ := digests(t, b)
	if la != lb {
		t.Fatal("logs differ after exchange")
	}
	pa, _ := a.Patients(t.Context(), "Ward 7")
	pb, _ := b.Patients(t.Context(), "Ward 7")
	if len(pa) != 5 || len(pb) != 5 {
		t.Errorf("patients on A = %d, on B = %d, want 5 each", len(pa), len(pb))
	}
}

func TestApplyRemote_OutOfOrderAndDuplicatesGiveSameViews(t *testing.T) {
	a, as, b, _ := pair(t)
	ward(t, a, as, 4)
	p := storetest.MustAppend(t, a, as, storetest.PatientDraft("Late", "Corrected", "1970-01-01", "", storetest.T0))
	obs := storetest.MustAppend(t, a, as, storetest.ObsDraft(p.Subject, 30, 90, 90, 130, 39.5, storetest.T0))
	if _, err := a.EnterInError(t.Context(), as, obs.ID, "wrong patient", storetest.T0); err != nil {
		t.Fatal(err)
	}
	evs := allEvents(t, a)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	// Deliver in small shuffled batches, some twice; the correction may
	// land before the record it cancels.
	for i := 0; i < len(evs); i += 5 {
		batch := evs[i:min(i+5, len(evs))]
		mustApply(t, b, batch)
		if i%10 == 0 {
			if res := mustApply(t, b, batch); res.Applied != 0 {
				t.Fatalf("second delivery applied %d events, want 0", res.Applied)
			}
		}
	}
	vv, _ := b.VersionVector(t.Context())
	vva, _ := a.VersionVector(t.Context())
	dev, _ := a.Device(t.Context())
	if vv[dev] != vva[dev] {
		t.Fatalf("B's high-water mark for A = %d, want %d", vv[dev], vva[dev])
	}
	// B's view of A's patients equals A's own.
	pa, _ := a.Patients(t.Context(), "")
	pb, _ := b.Patients(t.Context(), "")
	ja, _ := json.Marshal(pa)
	jb, _ := json.Marshal(pb)
	if string(ja) != string(jb) {
		t.Errorf("patient list differs:\nA %s\nB %s", ja, jb)
	}
	chart, _ := b.Observations(t.Context(), p.Subject)
	if len(chart) != 1 || chart[0].Status != store.StatusEnteredInError {
		t.Errorf("chart on B = %+v, want the set marked entered-in-error", chart)
	}
}

func TestApplyRemote_RefusesWithReasons(t *testing.T) {
	ctx := t.Context()
	a, as, _, _ := pair(t)
	enrolled := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, enrolled.Pub, "test device"); err != nil {
		t.Fatal(err)
	}
	stranger := storetest.NewDevice(t)
	reg := func(d *storetest.Device) lifeboat.Event {
		id := "p-" + d.ID
		b, _ := json.Marshal(forms.Patient{ID: id, Surname: "X", Given: "Y", BirthDate: "2000-01-01", TempID: "DT-" + d.ID + "-1"})
		return d.Next(as.User.ID, forms.KindPatientRegistered, id, b, storetest.T0)
	}

	good := reg(enrolled)
	forged := reg(enrolled)
	forged.Payload = []byte(`{"id":"p-` + enrolled.ID + `","surname":"Forged","given":"Y","birth_date":"2000-01-01","temp_id":"x"}`)
	unknown := reg(stranger)
	badShape := reg(enrolled)
	badShape.Author = ""
	badPayload := enrolled.Next(as.User.ID, forms.KindObsRecorded, "p-x", []byte(`{"patient_id":"p-y"}`), storetest.T0)

	res := mustApply(t, a, []lifeboat.Event{good, forged, unknown, badShape, badPayload})
	if res.Applied != 1 {
		t.Errorf("Applied = %d, want 1 (only the good event)", res.Applied)
	}
	want := map[string]error{
		forged.ID:     store.ErrBadSignature,
		unknown.ID:    store.ErrUnknownDevice,
		badShape.ID:   lifeboat.ErrInvalid,
		badPayload.ID: lifeboat.ErrInvalid,
	}
	for _, r := range res.Refused {
		if w, ok := want[r.ID]; !ok || !errors.Is(r.Err, w) {
			t.Errorf("refusal of %s = %v, want %v", r.ID, r.Err, w)
		}
		if r.Reason == "" {
			t.Errorf("refusal of %s has no reason", r.ID)
		}
		delete(want, r.ID)
	}
	if len(want) != 0 {
		t.Errorf("not refused: %v", want)
	}
}

func TestApplyRemote_ForkRefused(t *testing.T) {
	ctx := t.Context()
	a, as, _, _ := pair(t)
	d := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, d.Pub, "test device"); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"p1","surname":"A","given":"B","birth_date":"2000-01-01","temp_id":"DT-1"}`)
	e1 := d.Next(as.User.ID, forms.KindPatientRegistered, "p1", body, storetest.T0)
	mustApply(t, a, []lifeboat.Event{e1})

	// Same device, same seq, different content, validly signed: a fork.
	twin := *d
	_ = twin
	other := storetest.NewDevice(t)
	other.Pub, other.Priv, other.ID = d.Pub, d.Priv, d.ID
	fork := other.Next(as.User.ID, forms.KindPatientRegistered, "p2", []byte(`{"id":"p2","surname":"C","given":"D","birth_date":"2000-01-01","temp_id":"DT-2"}`), storetest.T0)
	res := mustApply(t, a, []lifeboat.Event{fork})
	if len(res.Refused) != 1 || !errors.Is(res.Refused[0].Err, store.ErrFork) {
		t.Errorf("fork at seq 1 = %+v, want ErrFork", res)
	}
	// A seq 2 that does not chain onto the held seq 1.
	bad := other.Next(as.User.ID, forms.KindPatientRegistered, "p3", []byte(`{"id":"p3","surname":"E","given":"F","birth_date":"2000-01-01","temp_id":"DT-3"}`), storetest.T0)
	res = mustApply(t, a, []lifeboat.Event{bad})
	if len(res.Refused) != 1 || !errors.Is(res.Refused[0].Err, store.ErrFork) {
		t.Errorf("unchained seq 2 = %+v, want ErrFork", res)
	}
}

// Revocation is by sequence number, never by clock. On main before this
// change the cut-off compared HLC timestamps, which the revoked device
// sets itself: an event it back-dated to before the revocation was taken
// by every peer, and one that reached a peer before the revocation did
// stayed there.
func TestApplyRemote_RevokedDeviceRefusedBySequence(t *testing.T) {
	ctx := t.Context()
	a, as, b, _ := pair(t)
	d := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, d.Pub, "lost phone"); err != nil {
		t.Fatal(err)
	}
	mustApply(t, b, allEvents(t, a))
	body := func(id string) []byte {
		return []byte(`{"id":"` + id + `","surname":"A","given":"B","birth_date":"2000-01-01","temp_id":"DT-` + id + `"}`)
	}
	before := d.Next(as.User.ID, forms.KindPatientRegistered, "p1", body("p1"), storetest.T0)
	if res := mustApply(t, a, []lifeboat.Event{before}); res.Applied != 1 {
		t.Fatalf("before the revocation: %+v", res)
	}
	// The thief's next record, back-dated to long before the revocation,
	// reaches B (which has not heard of the revocation yet).
	backdated := d.Next(as.User.ID, forms.KindPatientRegistered, "p2", body("p2"), storetest.T0.Add(-48*time.Hour))
	backdated.HLC = lifeboat.HLC{Wall: storetest.T0.Add(-48 * time.Hour).UnixMilli()}
	backdated.Sign(d.Priv)
	if res := mustApply(t, b, []lifeboat.Event{before, backdated}); res.Applied != 2 {
		t.Fatalf("B before the revocation: %+v", res)
	}
	if err := a.Revoke(ctx, as, d.ID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	devs, _ := a.Devices(ctx)
	for _, dv := range devs {
		if dv.ID == d.ID && (!dv.Revoked() || dv.LastSeq != 1) {
			t.Errorf("registry: %+v, want revoked after seq 1", dv)
		}
	}
	// A refuses it, whatever its clock says.
	res := mustApply(t, a, []lifeboat.Event{backdated})
	if res.Applied != 0 || len(res.Refused) != 1 || !errors.Is(res.Refused[0].Err, store.ErrRevokedDevice) {
		t.Errorf("A: ApplyRemote(back-dated) = %+v, want refused as revoked", res)
	}
	// B takes the revocation: the back-dated record leaves its log (kept in
	// quarantine), and B ends with A's log and views.
	mustApply(t, b, allEvents(t, a))
	la, _ := digests(t, a)
	lb, _ := digests(t, b)
	if la != lb {
		t.Errorf("B's log differs from A's after the revocation")
	}
	if pts, _ := b.Patients(ctx, ""); len(pts) != 1 {
		t.Errorf("B's patients = %d, want 1 (the back-dated registration is gone from the views)", len(pts))
	}
	q, err := b.Quarantined(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ID != backdated.ID {
		t.Errorf("B's quarantine = %+v, want the back-dated record", q)
	}
	// Relayed by an honest peer later: still refused.
	res = mustApply(t, b, []lifeboat.Event{backdated})
	if res.Applied != 0 || len(res.Refused) != 1 {
		t.Errorf("B: relayed again = %+v, want refused", res)
	}
}

func TestApplyRemote_GapHoldsHighWaterMark(t *testing.T) {
	ctx := t.Context()
	a, as, _, _ := pair(t)
	d := storetest.NewDevice(t)
	if _, err := a.Enrol(ctx, as, d.Pub, "x"); err != nil {
		t.Fatal(err)
	}
	var evs []lifeboat.Event
	for i := range 5 {
		id := "p" + string(rune('0'+i))
		evs = append(evs, d.Next(as.User.ID, forms.KindPatientRegistered, id,
			[]byte(`{"id":"`+id+`","surname":"A","given":"B","birth_date":"2000-01-01","temp_id":"DT-`+id+`"}`), storetest.T0))
	}
	mustApply(t, a, []lifeboat.Event{evs[0], evs[1], evs[3], evs[4]})
	vv, _ := a.VersionVector(ctx)
	if vv[d.ID] != 2 {
		t.Errorf("high-water mark with seq 3 missing = %d, want 2", vv[d.ID])
	}
	mustApply(t, a, []lifeboat.Event{evs[2]})
	vv, _ = a.VersionVector(ctx)
	if vv[d.ID] != 5 {
		t.Errorf("high-water mark after the gap fills = %d, want 5", vv[d.ID])
	}
}

func TestRebuild_IdenticalViews(t *testing.T) {
	a, as, b, bs := pair(t)
	ward(t, a, as, 3)
	ward(t, b, bs, 2)
	mustApply(t, a, allEvents(t, b))
	p := storetest.MustAppend(t, a, as, storetest.PatientDraft("Moved", "Twice", "1960-02-02", "", storetest.T0))
	storetest.MustAppend(t, a, as, storetest.AdmitDraft(p.Subject, "Ward 7", "Bed 9", storetest.T0))
	tr := storetest.MustAppend(t, a, as, store.Draft{Kind: forms.KindPatientTransferred, Subject: p.Subject, PerformedAt: storetest.T0,
		Payload: forms.Transfer{PatientID: p.Subject, Ward: "Ward 8", Bed: "Bed 1"}})
	if _, err := a.EnterInError(t.Context(), as, tr.ID, "transfer cancelled", storetest.T0); err != nil {
		t.Fatal(err)
	}
	pv, err := a.Patient(t.Context(), p.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Ward != "Ward 7" || pv.Bed != "Bed 9" {
		t.Errorf("after cancelled transfer patient is in %s %s, want Ward 7 Bed 9", pv.Ward, pv.Bed)
	}
	_, before := digests(t, a)
	if err := a.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, after := digests(t, a)
	if before != after {
		t.Error("views after Rebuild differ from the incrementally built ones")
	}
}

func TestJoinSite_NewDeviceReceivesTheWard(t *testing.T) {
	ctx := t.Context()
	a, as, _, _ := pair(t)
	ward(t, a, as, 2)
	c, err := store.Create(ctx, t.TempDir()+"/new.lifeboat", storetest.Passphrase, store.TestKDF, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cpub, _ := c.DevicePublicKey(ctx)
	if _, err := a.Enrol(ctx, as, cpub, "new laptop"); err != nil {
		t.Fatal(err)
	}
	apub, _ := a.DevicePublicKey(ctx)
	keys, err := a.SiteKeys(ctx)
	if err != nil || len(keys) != 1 || len(keys[0]) != 32 {
		t.Fatalf("SiteKeys = %d keys, %v; want one 32-byte key", len(keys), err)
	}
	site, _ := a.Site(ctx)
	if err := c.JoinSite(ctx, store.SiteJoin{SiteID: site.SiteID, SiteName: site.SiteName, Ward: site.Ward, Anchor: apub, SiteKeys: keys}); err != nil {
		t.Fatal(err)
	}
	if err := c.JoinSite(ctx, store.SiteJoin{SiteID: "x", Anchor: apub, SiteKeys: keys}); err == nil {
		t.Error("joining a second site succeeded")
	}
	if res := mustApply(t, c, allEvents(t, a)); len(res.Refused) != 0 {
		t.Fatalf("new device refused the ward's events: %+v", res.Refused)
	}
	// The admin can now sign in on the new device with their PIN.
	if _, err := c.SignIn(ctx, as.User.ID, storetest.AdminPIN, ""); err != nil {
		t.Errorf("admin sign-in on the new device: %v", err)
	}
	pts, _ := c.Patients(ctx, "")
	if len(pts) != 2 {
		t.Errorf("patients on the new device = %d, want 2", len(pts))
	}
}

// ApplyRemote builds view rows ahead of its transaction; Rebuild builds
// them one by one. Every workflow's view must come out the same.
func TestApplyRemote_PreparedRowsMatchRebuild(t *testing.T) {
	db, s := storetest.MustInit(t, store.Options{})
	for _, batch := range peerEventsMix(t, db, s, 2, 600, true) {
		if res := mustApply(t, db, batch); len(res.Refused) != 0 || res.Applied != len(batch) {
			t.Fatalf("ApplyRemote = %+v, want all %d applied", res, len(batch))
		}
	}
	_, before := digests(t, db)
	if err := db.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, after := digests(t, db); before != after {
		t.Error("views after Rebuild differ from the ones ApplyRemote built")
	}
}

// EncodedAfter hands out exactly what EventsAfter does, as the events'
// signed encodings, honouring have and limit.
func TestEncodedAfter_MatchesEventsAfter(t *testing.T) {
	ctx := t.Context()
	a, as, _, _ := pair(t)
	ward(t, a, as, 3)
	mine, _ := a.VersionVector(ctx)
	for _, c := range []struct {
		have  map[string]uint64
		limit int
	}{{nil, 1 << 20}, {nil, 5}, {mine, 10}} {
		evs, err := a.EventsAfter(ctx, c.have, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		encs, err := a.EncodedAfter(ctx, c.have, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(encs) != len(evs) {
			t.Fatalf("EncodedAfter gave %d events, EventsAfter %d", len(encs), len(evs))
		}
		for i := range evs {
			if encs[i].Device != evs[i].Device || encs[i].Seq != evs[i].Seq || !bytes.Equal(encs[i].Bytes, evs[i].Encode()) {
				t.Errorf("event %d differs: %s/%d", i, encs[i].Device, encs[i].Seq)
			}
		}
	}
}

// A batch prepared ahead is applied once, as ApplyRemote would, and not
// at all if the store was locked in between.
func TestApplyPrepared_OnceAndOnlyUnlocked(t *testing.T) {
	ctx := t.Context()
	a, as, b, _ := pair(t)
	ward(t, a, as, 2)
	evs := allEvents(t, a)
	p, err := b.PrepareRemote(evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events()) != len(evs) {
		t.Fatalf("prepared %d events, want %d", len(p.Events()), len(evs))
	}
	res, err := b.ApplyPrepared(ctx, p)
	if err != nil || res.Applied == 0 || len(res.Refused) != 0 {
		t.Fatalf("ApplyPrepared = %+v, %v", res, err)
	}
	if _, err := b.ApplyPrepared(ctx, p); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("applying the same prepared batch again: %v, want ErrInvalid", err)
	}
	for _, e := range evs {
		if _, err := b.Event(ctx, e.ID); err != nil {
			t.Fatalf("event %s not applied: %v", e.ID, err)
		}
	}
	more := storetest.MustAppend(t, a, as, storetest.PatientDraft("Late", "Comer", "1950-01-01", "", storetest.T0))
	p, err = b.PrepareRemote([]lifeboat.Event{more})
	if err != nil {
		t.Fatal(err)
	}
	b.Lock()
	if _, err := b.ApplyPrepared(ctx, p); !errors.Is(err, store.ErrLocked) {
		t.Errorf("ApplyPrepared on a locked store: %v, want ErrLocked", err)
	}
}
