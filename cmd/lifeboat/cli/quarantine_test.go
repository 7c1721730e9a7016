package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

const passphrase = "a long ward passphrase"

// openAsAdmin opens the store in dir, unlocked, with Ada Admin signed in;
// the caller closes it.
func openAsAdmin(t *testing.T, dir string) (*store.DB, *store.Session) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(ctx, passphrase); err != nil {
		db.Close()
		t.Fatal(err)
	}
	users, _ := db.Users(ctx)
	for _, u := range users {
		if u.Name == "Ada Admin" {
			s, err := db.SignIn(ctx, u.ID, "2580", "")
			if err == nil {
				err = db.UnlockAdmin(ctx, s, adminPassphrase)
			}
			if err != nil {
				db.Close()
				t.Fatal(err)
			}
			return db, s
		}
	}
	db.Close()
	t.Fatal("no Ada Admin in the store")
	return nil, nil
}

// mustQuarantine puts an event from a device the site never enrolled into
// the store's quarantine, and adds a ward nurse (PIN 4826).
func mustQuarantine(t *testing.T, dir string) lifeboat.Event {
	t.Helper()
	ctx := t.Context()
	db, admin := openAsAdmin(t, dir)
	defer db.Close()
	if _, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826"); err != nil {
		t.Fatal(err)
	}
	stranger := storetest.NewDevice(t)
	b, _ := json.Marshal(forms.Patient{ID: "p-1", Surname: "Stranger", Given: "Y", BirthDate: "2000-01-01", TempID: "DT-1"})
	ev := stranger.Next(admin.User.ID, forms.KindPatientRegistered, "p-1", b, storetest.T0)
	res, err := db.ApplyRemote(ctx, []lifeboat.Event{ev})
	if err != nil || len(res.Refused) != 1 {
		t.Fatalf("ApplyRemote(stranger) = %+v, %v", res, err)
	}
	if err := db.Quarantine(ctx, ev, "PEER1", res.Refused[0].Reason); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestQuarantine_ListReleaseDiscard(t *testing.T) {
	dir := mustInit(t)
	ev := mustQuarantine(t, dir)

	out, err := run(t, dir, passphrase+"\n", "quarantine", "list")
	if err != nil || !strings.Contains(out, "Quarantined: 1 events") || !strings.Contains(out, ev.ID) || !strings.Contains(out, "from PEER1") || !strings.Contains(out, "not enrolled") {
		t.Fatalf("quarantine list = %q, %v; want the stranger's event with its reason", out, err)
	}
	if strings.Contains(out, "Stranger") {
		t.Errorf("quarantine list shows patient data: %q", out)
	}

	for _, args := range [][]string{
		{"quarantine", "release", ev.ID, "--user", "Nia Nurse"},
		{"quarantine", "discard", ev.ID, "--reason", "unknown laptop", "--user", "Nia Nurse"},
	} {
		if out, err := run(t, dir, passphrase+"\n4826\n", args...); err == nil || !strings.Contains(err.Error(), "only an IT admin") {
			t.Errorf("%s as a nurse = %q, %v; want refused: IT admin only", args[1], out, err)
		}
	}
	out, err = run(t, dir, passphrase+"\n2580\n", "quarantine", "release", ev.ID, "--user", "Ada Admin")
	if err == nil || !strings.Contains(err.Error(), "still refused") {
		t.Errorf("release of an event from an unknown device = %q, %v; want still refused", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n2580\n", "quarantine", "discard", ev.ID, "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("discard without a reason = %q, %v; want the advice to give one", out, err)
	}
	out, err = run(t, dir, passphrase+"\n2580\n", "quarantine", "discard", ev.ID, "--reason", "unknown laptop", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Discarded "+ev.ID) {
		t.Fatalf("discard = %q, %v", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n2580\n", "quarantine", "discard", ev.ID, "--reason", "again", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "no such event") {
		t.Errorf("discard again = %q, %v; want no such event", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n", "quarantine", "list"); err != nil || !strings.Contains(out, "Quarantined: 0 events") {
		t.Errorf("quarantine list after discard = %q, %v", out, err)
	}
	if out, err := run(t, dir, passphrase+"\n", "verify"); err != nil {
		t.Errorf("verify after discard = %q, %v", out, err)
	}
}

func TestStatus_ShowsTheQuarantineTotal(t *testing.T) {
	dir := t.TempDir()
	st := mesh.Status{Device: "DEV1", Addr: "127.0.0.1:7946", Vector: map[string]uint64{"DEV1": 3}, QuarantinedTotal: 1200,
		Quarantined: []mesh.Quarantined{{Peer: "PEER1", At: time.Now(), Refusal: lifeboat.Refusal{ID: "e1", Device: "X", Seq: 1, Reason: "signature does not verify"}}}}
	if err := writeStatus(dir, st, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, dir, "", "status")
	if err != nil || !strings.Contains(out, "Quarantined: 1200 events") {
		t.Errorf("status = %q, %v; want the store's quarantine total", out, err)
	}
	js, _ := run(t, dir, "", "status", "--json")
	var doc statusDoc
	if err := json.Unmarshal([]byte(js), &doc); err != nil || doc.QuarantinedTotal != 1200 {
		t.Errorf("status --json quarantined_total = %d, %v", doc.QuarantinedTotal, err)
	}
}

func TestStatus_ShowsKeyRotations(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	st := mesh.Status{Device: "DEV1", Addr: "127.0.0.1:7946", Keys: 2, KeyRotations: []lifeboat.KeyRotation{
		{Key: "aaaa", Revoked: "LOST1", At: at, Step: "done"},
		{Key: "bbbb", Revoked: "LOST2", At: at, Step: "install", Waiting: []string{"PC1", "PHONE2"}},
	}}
	if err := writeStatus(dir, st, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, dir, "", "status")
	for _, want := range []string{"Site key aaaa (after revoking LOST1", "done, old key retired",
		"Site key bbbb (after revoking LOST2", "waiting for PC1, PHONE2 to receive the new key", "Site keys held: 2"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("status = %q, %v; want %q", out, err, want)
		}
	}
}
