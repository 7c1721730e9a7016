package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// patientFrom makes a signed patient registration from d.
func patientFrom(t *testing.T, d *storetest.Device, author, surname string) lifeboat.Event {
	t.Helper()
	id := "p-" + d.ID
	b, _ := json.Marshal(forms.Patient{ID: id, Surname: surname, Given: "Y", BirthDate: "2000-01-01", TempID: "DT-" + d.ID + "-1"})
	return d.Next(author, forms.KindPatientRegistered, id, b, storetest.T0)
}

func auditActions(t *testing.T, db *store.DB) map[string]store.AuditEntry {
	t.Helper()
	log, err := db.AuditLog(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.AuditEntry{}
	for _, e := range log {
		if _, ok := out[e.Action]; !ok {
			out[e.Action] = e // newest first: keep the newest
		}
	}
	return out
}

func TestQuarantine_ForgedSurvivesReopenStaysOnReleaseThenDiscarded(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, admin := storetest.MustInitAt(t, path, testOpts(clock))
	dev := storetest.NewDevice(t)
	if _, err := db.Enrol(ctx, admin, dev.Pub, "ward laptop"); err != nil {
		t.Fatal(err)
	}
	forged := patientFrom(t, dev, admin.User.ID, "Genuine")
	forged.Payload = bytes.ReplaceAll(forged.Payload, []byte("Genuine"), []byte("Forgedname"))
	res, err := db.ApplyRemote(ctx, []lifeboat.Event{forged})
	if err != nil || len(res.Refused) != 1 {
		t.Fatalf("ApplyRemote(forged) = %+v, %v, want one refusal", res, err)
	}
	for range 2 { // idempotent per event
		if err := db.Quarantine(ctx, forged, "peer-1", res.Refused[0].Reason); err != nil {
			t.Fatalf("Quarantine() = %v", err)
		}
	}
	nurse, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, p := range []string{path, path + "-wal"} {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte("Forgedname")) {
			t.Errorf("%s holds the quarantined payload in plaintext", filepath.Base(p))
		}
	}

	db, err = store.Open(ctx, path, testOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Quarantined(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || qs[0].ID != forged.ID || qs[0].Peer != "peer-1" || qs[0].Device != dev.ID || qs[0].Seq != 1 || qs[0].Reason != res.Refused[0].Reason || !qs[0].At.Equal(storetest.T0) {
		t.Fatalf("Quarantined() after reopen = %+v, want the forged event from peer-1", qs)
	}

	ns, err := db.SignIn(ctx, nurse.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReleaseQuarantined(ctx, ns, forged.ID); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("ReleaseQuarantined(nurse) = %v, want ErrPermission", err)
	}
	if err := db.DiscardQuarantined(ctx, ns, forged.ID, "looks bad"); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("DiscardQuarantined(nurse) = %v, want ErrPermission", err)
	}

	as, err := db.SignIn(ctx, admin.User.ID, storetest.AdminPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := db.ReleaseQuarantined(ctx, as, forged.ID)
	if err != nil || ref == nil || !errors.Is(ref.Err, store.ErrBadSignature) {
		t.Fatalf("ReleaseQuarantined(forged) = %+v, %v, want still refused for its signature", ref, err)
	}
	if qs, _ := db.Quarantined(ctx); len(qs) != 1 {
		t.Errorf("after a refused release, Quarantined() = %+v, want it kept", qs)
	}
	if _, err := db.Event(ctx, forged.ID); err == nil {
		t.Error("the forged event was applied by its release")
	}
	if e, ok := auditActions(t, db)["admin.quarantine_released"]; !ok || e.Subject != forged.ID || e.Actor != admin.User.ID {
		t.Errorf("audit of the release = %+v, %v", e, ok)
	}

	if err := db.DiscardQuarantined(ctx, as, forged.ID, ""); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("DiscardQuarantined(no reason) = %v, want ErrInvalid", err)
	}
	if err := db.DiscardQuarantined(ctx, as, forged.ID, "forged: reported to IT security"); err != nil {
		t.Fatalf("DiscardQuarantined() = %v", err)
	}
	if qs, _ := db.Quarantined(ctx); len(qs) != 0 {
		t.Errorf("after discard, Quarantined() = %+v, want none", qs)
	}
	if e := auditActions(t, db)["admin.quarantine_discarded"]; e.Subject != forged.ID || e.Detail != "forged: reported to IT security" {
		t.Errorf("audit of the discard = %+v", e)
	}
	if err := db.DiscardQuarantined(ctx, as, forged.ID, "again"); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("DiscardQuarantined(gone) = %v, want ErrNotFound", err)
	}
	if err := db.VerifyAudit(ctx); err != nil {
		t.Errorf("VerifyAudit() = %v", err)
	}
}

func TestReleaseQuarantined_AppliesOnceTheDeviceIsEnrolled(t *testing.T) {
	ctx := t.Context()
	db, admin := storetest.MustInit(t, testOpts(storetest.NewClock(storetest.T0)))
	dev := storetest.NewDevice(t)
	ev := patientFrom(t, dev, admin.User.ID, "Early")
	res, err := db.ApplyRemote(ctx, []lifeboat.Event{ev})
	if err != nil || len(res.Refused) != 1 || !errors.Is(res.Refused[0].Err, store.ErrUnknownDevice) {
		t.Fatalf("ApplyRemote(unknown device) = %+v, %v", res, err)
	}
	if err := db.Quarantine(ctx, ev, "peer-1", res.Refused[0].Reason); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enrol(ctx, admin, dev.Pub, "late laptop"); err != nil {
		t.Fatal(err)
	}
	ref, err := db.ReleaseQuarantined(ctx, admin, ev.ID)
	if err != nil || ref != nil {
		t.Fatalf("ReleaseQuarantined() = %+v, %v, want applied", ref, err)
	}
	if _, err := db.Event(ctx, ev.ID); err != nil {
		t.Errorf("released event not in the log: %v", err)
	}
	if qs, _ := db.Quarantined(ctx); len(qs) != 0 {
		t.Errorf("Quarantined() after release = %+v, want none", qs)
	}
	if _, err := db.ReleaseQuarantined(ctx, admin, ev.ID); !errors.Is(err, lifeboat.ErrNotFound) {
		t.Errorf("ReleaseQuarantined(gone) = %v, want ErrNotFound", err)
	}
}

func TestRecordRelease_AuditedForITAdminOnly(t *testing.T) {
	ctx := t.Context()
	db, admin := storetest.MustInit(t, testOpts(storetest.NewClock(storetest.T0)))
	nurse, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := db.SignIn(ctx, nurse.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordRelease(ctx, ns, "d-tablet"); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("RecordRelease(nurse) = %v, want ErrPermission", err)
	}
	if err := db.RecordRelease(ctx, nil, "d-tablet"); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("RecordRelease(nobody) = %v, want ErrPermission", err)
	}
	if err := db.RecordRelease(ctx, admin, ""); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("RecordRelease(no device) = %v, want ErrInvalid", err)
	}
	if _, ok := auditActions(t, db)["admin.device_released"]; ok {
		t.Fatal("a refused RecordRelease was audited")
	}
	if err := db.RecordRelease(ctx, admin, "d-tablet"); err != nil {
		t.Fatalf("RecordRelease(admin) = %v", err)
	}
	if e, ok := auditActions(t, db)["admin.device_released"]; !ok || e.Subject != "d-tablet" || e.Actor != admin.User.ID {
		t.Errorf("audit of the release = %+v, %v, want d-tablet by %s", e, ok, admin.User.ID)
	}
	if err := db.VerifyAudit(ctx); err != nil {
		t.Errorf("VerifyAudit() = %v", err)
	}
}
