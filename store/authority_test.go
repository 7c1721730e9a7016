package store_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// rogue is an enrolled device that skips every local check: it signs
// whatever it likes with its own, genuinely enrolled key.
type rogue struct{ *storetest.Device }

func newRogue(t *testing.T, a *store.DB, as *store.Session) rogue {
	t.Helper()
	d := storetest.NewDevice(t)
	if _, err := a.Enrol(t.Context(), as, d.Pub, "ward phone"); err != nil {
		t.Fatal(err)
	}
	return rogue{d}
}

func (r rogue) event(t *testing.T, author, kind, subject string, payload any) lifeboat.Event {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return r.Next(author, kind, subject, b, storetest.T0)
}

// withAuth re-signs e with an "auth" and "seen" made with key, as a rogue
// holding some key of its own would.
func (r rogue) withAuth(t *testing.T, e lifeboat.Event, by string, key ed25519.PrivateKey, seen map[string]uint64) lifeboat.Event {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(e.Payload, &obj); err != nil {
		t.Fatal(err)
	}
	obj["seen"] = seen
	e.Payload, _ = json.Marshal(obj)
	stmt, err := store.AuthStatement(&e)
	if err != nil {
		t.Fatal(err)
	}
	obj["auth"] = lifeboat.Auth{By: by, Sig: ed25519.Sign(key, stmt)}
	e.Payload, _ = json.Marshal(obj)
	e.Sign(r.Priv)
	return e
}

// Each forbidden event below was applied by every peer on main before
// this change (remote events were checked for signature and chain, never
// for authority).
func TestAuthority_RogueDeviceCannotMintAuthority(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	b, _ := storetest.MustJoin(t, a, as, store.Options{NoBackup: true})
	r := newRogue(t, a, as)
	exchange(t, a, b)
	self, _ := a.Device(ctx)
	vv, _ := a.VersionVector(ctx)
	_, ownKey, _ := ed25519.GenerateKey(nil)
	salt := make([]byte, 16)
	pinHash := make([]byte, 32) // the rogue's chosen PIN's hash: shape only
	mallory := lifeboat.UserRecord{ID: "mallory", Name: "Mallory", Role: lifeboat.RoleITAdmin, Active: true, PINHash: pinHash, PINSalt: salt,
		KDF: [3]int{1, 64, 1}, AdminKey: &lifeboat.SealedKey{Public: ownKey.Public().(ed25519.PublicKey), Salt: salt, Sealed: salt, KDF: [3]int{1, 64, 1}}}
	forged := map[string]lifeboat.Event{
		"admin made with no authority": r.event(t, as.User.ID, lifeboat.KindUserSaved, "user:mallory", mallory),
		"admin made with its own key, claiming to be the founding admin": r.withAuth(t,
			r.event(t, as.User.ID, lifeboat.KindUserSaved, "user:mallory", mallory), as.User.ID, ownKey, vv),
		"back-dated revocation of the founding device": func() lifeboat.Event {
			e := r.event(t, as.User.ID, lifeboat.KindDeviceRevoked, "device:"+self, lifeboat.DeviceRevoked{Device: self, Reason: "lost"})
			e.HLC = lifeboat.HLC{Wall: storetest.T0.Add(-24 * time.Hour).UnixMilli()}
			e.Sign(r.Priv)
			return e
		}(),
		"enrolment by a non-admin device": func() lifeboat.Event {
			d := storetest.NewDevice(t)
			return r.event(t, as.User.ID, lifeboat.KindDeviceEnrolled, "device:"+d.ID, lifeboat.DeviceEnrolled{Device: d.ID, PublicKey: d.Pub})
		}(),
		"a second site root": r.event(t, "mallory", lifeboat.KindSiteCreated, "site", lifeboat.SiteCreated{SiteID: "x", Device: r.ID, PublicKey: r.Pub,
			Admin: "mallory", AdminKey: ownKey.Public().(ed25519.PublicKey)}),
		"another person's PIN": r.event(t, "mallory", lifeboat.KindPINChanged, "user:"+as.User.ID,
			lifeboat.PINChange{ID: as.User.ID, PINHash: pinHash, PINSalt: salt, KDF: [3]int{1, 64, 1}}),
	}
	for name, e := range forged {
		for _, db := range []*store.DB{a, b} {
			res := mustApply(t, db, []lifeboat.Event{e})
			if res.Applied != 0 || len(res.Refused) != 1 || !errors.Is(res.Refused[0].Err, lifeboat.ErrPermission) {
				t.Errorf("%s: ApplyRemote = %+v, want refused (permission)", name, res)
			}
		}
	}
	for _, db := range []*store.DB{a, b} {
		users, _ := db.Users(ctx)
		for _, u := range users {
			if u.ID == "mallory" {
				t.Errorf("a store lists the forged admin")
			}
		}
		devs, _ := db.Devices(ctx)
		for _, d := range devs {
			if d.ID == self && d.Revoked() {
				t.Errorf("the founding device was revoked by a forged event")
			}
		}
	}
	// Nothing honest lost: the admin still signs in on both.
	for _, db := range []*store.DB{a, b} {
		if _, err := db.SignIn(ctx, as.User.ID, storetest.AdminPIN, ""); err != nil {
			t.Errorf("admin sign-in after the attack: %v", err)
		}
	}
}

// A person without an IT admin's personal key cannot make privileged
// changes on an honest device either: the same rules run on local appends.
func TestAuthority_LocalPrivilegedChangesNeedTheAdminKey(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	nurse := storetest.MustPerson(t, a, as, "Nia Nurse", lifeboat.RoleWardStaff)
	d := storetest.NewDevice(t)
	// An admin signed in with only their PIN (no admin passphrase).
	pinOnly, err := a.SignIn(ctx, as.User.ID, storetest.AdminPIN, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enrol(ctx, pinOnly, d.Pub, "x"); !errors.Is(err, store.ErrAdminKeyNeeded) {
		t.Errorf("Enrol with the PIN only = %v, want ErrAdminKeyNeeded", err)
	}
	if _, err := a.Enrol(ctx, nurse, d.Pub, "x"); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("Enrol by ward staff = %v, want permission refused", err)
	}
	// A nurse's session forging a person record through Append itself.
	rec := lifeboat.UserRecord{ID: "m", Name: "M", Role: lifeboat.RoleWardStaff, Active: true, PINHash: make([]byte, 32), PINSalt: make([]byte, 16), KDF: [3]int{1, 64, 1}}
	if _, err := a.Append(ctx, nurse, store.Draft{Kind: lifeboat.KindUserSaved, Subject: "user:m", PerformedAt: storetest.T0, Payload: rec}); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("Append(user.saved) by ward staff = %v, want permission refused", err)
	}
	if err := a.UnlockAdmin(ctx, pinOnly, "wrong admin passphrase"); !errors.Is(err, store.ErrWrongSecret) {
		t.Errorf("UnlockAdmin(wrong) = %v, want ErrWrongSecret", err)
	}
	if err := a.UnlockAdmin(ctx, pinOnly, storetest.AdminPassphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enrol(ctx, pinOnly, d.Pub, "x"); err != nil {
		t.Errorf("Enrol with the admin key open: %v", err)
	}
}

// An admin whose role was removed can no longer authorise anything that
// was made after their removal reached the device that made it; an action
// concurrent with the removal stands (and is listed for review).
func TestAuthority_RemovedAdmin(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	x, err := a.NewAdmin(ctx, as, "Xena Admin", "4826", "xena's own passphrase")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := storetest.MustJoin(t, a, as, store.Options{NoBackup: true})
	xs, err := b.SignIn(ctx, x.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnlockAdmin(ctx, xs, "xena's own passphrase"); err != nil {
		t.Fatal(err)
	}
	// Apart: A removes Xena's admin role; on B, Xena adds a person.
	if err := a.SetUserActive(ctx, as, x.ID, false); err != nil {
		t.Fatal(err)
	}
	concurrent, err := b.NewUser(ctx, xs, "Pat Pharmacist", lifeboat.RolePharmacist, "4827")
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)
	for _, db := range []*store.DB{a, b} {
		if _, err := db.SignIn(ctx, concurrent.ID, "4827", ""); err != nil {
			t.Errorf("the concurrent addition did not stand: %v", err)
		}
		review, err := db.AuthorityReview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(review) != 1 || review[0].By != x.ID {
			t.Errorf("AuthorityReview = %+v, want Xena's concurrent change", review)
		}
	}
	// Now B has seen the removal: Xena's key no longer authorises anything.
	if _, err := b.NewUser(ctx, xs, "Late Person", lifeboat.RoleWardStaff, "4828"); !errors.Is(err, store.ErrNotAuthorised) {
		t.Errorf("NewUser by a removed admin = %v, want ErrNotAuthorised", err)
	}
}

// Clinical records need an author the registry knows with a role that may
// record the kind; an unknown author is held (not refused) until their
// record arrives.
func TestAuthority_ClinicalAuthorAndRole(t *testing.T) {
	ctx := t.Context()
	a, as := storetest.MustInit(t, store.Options{NoBackup: true})
	r := newRogue(t, a, as)
	nurse := storetest.MustPerson(t, a, as, "Nia Nurse", lifeboat.RoleWardStaff)
	supply := forms.StockLevel{Item: "Insulin", Location: "Pharmacy", Quantity: forms.MustQuantity("2"), Unit: "cartridges"}
	p := forms.Patient{ID: "p1", Surname: "A", Given: "B", BirthDate: "2000-01-01", TempID: "DT-1"}
	held := r.event(t, "nobody-we-know", forms.KindPatientRegistered, "p1", p)
	res := mustApply(t, a, []lifeboat.Event{held})
	if len(res.Held) != 1 || res.Applied != 0 {
		t.Errorf("unknown author: %+v, want held", res)
	}
	wrongRole := r.event(t, nurse.User.ID, forms.KindStockLevel, "", supply)
	wrongRole.Subject, _ = store.SubjectFor(forms.KindStockLevel, wrongRole.Payload)
	wrongRole.Sign(r.Priv)
	if res := mustApply(t, a, []lifeboat.Event{wrongRole}); len(res.Held) != 1 {
		t.Errorf("ward staff recording pharmacy stock: %+v, want held", res)
	}
	if _, err := a.Append(ctx, nurse, store.Draft{Kind: forms.KindStockLevel, PerformedAt: storetest.T0, Payload: supply}); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("local stock level by ward staff = %v, want permission refused", err)
	}
}
