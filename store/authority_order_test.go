package store_test

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// The authority rules decide from an event and its causal past only, so
// every store accepts the same events and builds the same views whatever
// order they arrive in. A ward's privileged history (admins granted and
// removed, devices enrolled and revoked, a concurrent change, key
// rotation) and a rogue device's forgeries are delivered to fresh stores
// in 200 random orders and batchings, with the redelivery anti-entropy
// does for held events.
func TestAuthority_OrderIndependence(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0.Add(10 * time.Hour))
	opts := store.Options{Now: clock.Now, NoBackup: true}
	a, as := storetest.MustInit(t, opts)
	b, _ := storetest.MustJoin(t, a, as, opts)
	nurse := storetest.MustPerson(t, a, as, "Nia Nurse", lifeboat.RoleWardStaff)
	x, err := a.NewAdmin(ctx, as, "Xena Admin", "4826", "xena's own passphrase")
	if err != nil {
		t.Fatal(err)
	}
	h := newRogue(t, a, as)
	exchange(t, a, b)

	// On B, Xena enrols a phone and, apart from A, adds a pharmacist,
	// while on A her admin role is removed.
	xs, err := b.SignIn(ctx, x.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnlockAdmin(ctx, xs, "xena's own passphrase"); err != nil {
		t.Fatal(err)
	}
	phone := storetest.NewDevice(t)
	if _, err := b.Enrol(ctx, xs, phone.Pub, "ward phone"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetUserActive(ctx, as, x.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.NewUser(ctx, xs, "Pat Pharmacist", lifeboat.RolePharmacist, "4827"); err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)

	// The phone records three observation sets; A has seen two of them
	// when Ada revokes it, so the third is refused everywhere.
	var phoneEvs []lifeboat.Event
	for i := range 3 {
		r := 14 + i
		o, _ := json.Marshal(forms.Observations{PatientID: "p-1", RespRate: &r})
		phoneEvs = append(phoneEvs, phone.Next(nurse.User.ID, forms.KindObsRecorded, "p-1", o, storetest.T0.Add(time.Duration(i)*time.Minute)))
	}
	mustApply(t, a, phoneEvs[:2])
	if err := a.Revoke(ctx, as, phone.ID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	exchange(t, a, b)

	// The rogue's forgeries.
	self, _ := a.Device(ctx)
	forged := []lifeboat.Event{
		h.event(t, as.User.ID, lifeboat.KindUserSaved, "user:mallory", lifeboat.UserRecord{ID: "mallory", Name: "M", Role: lifeboat.RoleITAdmin,
			Active: true, PINHash: make([]byte, 32), PINSalt: make([]byte, 16), KDF: [3]int{1, 64, 1}}),
		h.event(t, as.User.ID, lifeboat.KindDeviceRevoked, "device:"+self, lifeboat.DeviceRevoked{Device: self}),
		h.event(t, "nobody", forms.KindObsRecorded, "p-1", forms.Observations{PatientID: "p-1"}),
	}

	seen := map[string]bool{}
	var universe []lifeboat.Event
	for _, e := range append(append(append(allEvents(t, a), allEvents(t, b)...), phoneEvs...), forged...) {
		if !seen[e.ID] {
			seen[e.ID] = true
			universe = append(universe, e)
		}
	}
	priv := 0
	for _, e := range universe {
		switch e.Kind {
		case lifeboat.KindUserSaved, lifeboat.KindDeviceEnrolled, lifeboat.KindDeviceRevoked, lifeboat.KindSiteKeyRotated:
			priv++
		}
	}
	t.Logf("%d events, %d of them privileged", len(universe), priv)

	info, _ := a.Site(ctx)
	anchor, _ := a.DevicePublicKey(ctx)
	keys, _ := a.SiteKeys(ctx)
	orders := 200
	if testing.Short() {
		orders = 40
	}
	var wantLog, wantViews string
	var wantReview int
	for k := range orders {
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		c, err := store.Create(ctx, filepath.Join(t.TempDir(), "c.lifeboat"), storetest.Passphrase, store.TestKDF, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.JoinSite(ctx, store.SiteJoin{SiteID: info.SiteID, SiteName: info.SiteName, Ward: info.Ward, Anchor: anchor, SiteKeys: keys}); err != nil {
			t.Fatal(err)
		}
		deliverInAnyOrder(t, c, universe, rng)
		log, views := digests(t, c)
		review, err := c.AuthorityReview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			wantLog, wantViews, wantReview = log, views, len(review)
			checkOutcome(t, c, x.ID, phoneEvs, forged)
		} else if log != wantLog || views != wantViews || len(review) != wantReview {
			t.Fatalf("order %d: log same %v, views same %v, review %d (want %d)", k, log == wantLog, views == wantViews, len(review), wantReview)
		}
		c.Close()
	}
}

// deliverInAnyOrder hands c the events shuffled, in batches of random
// size, then offers again what it does not hold (as a peer does on the
// next pull) until nothing more applies.
func deliverInAnyOrder(t *testing.T, c *store.DB, evs []lifeboat.Event, rng *rand.Rand) {
	t.Helper()
	pending := append([]lifeboat.Event(nil), evs...)
	for round := 0; len(pending) > 0; round++ {
		rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
		applied := 0
		for len(pending) > 0 {
			n := min(1+rng.IntN(8), len(pending))
			applied += mustApply(t, c, pending[:n]).Applied
			pending = pending[n:]
		}
		held := map[string]bool{}
		for _, e := range allEvents(t, c) {
			held[e.ID] = true
		}
		for _, e := range evs {
			if !held[e.ID] {
				pending = append(pending, e)
			}
		}
		if applied == 0 {
			return // what is left is refused (or waits for what never comes)
		}
		if round > 50 {
			t.Fatal("delivery does not settle")
		}
	}
}

// checkOutcome is what the ward's history must come to.
func checkOutcome(t *testing.T, c *store.DB, xena string, phone, forged []lifeboat.Event) {
	t.Helper()
	ctx := t.Context()
	held := map[string]bool{}
	for _, e := range allEvents(t, c) {
		held[e.ID] = true
	}
	if !held[phone[0].ID] || !held[phone[1].ID] || held[phone[2].ID] {
		t.Errorf("phone's records held: %v %v %v, want the two before its revocation only", held[phone[0].ID], held[phone[1].ID], held[phone[2].ID])
	}
	for _, e := range forged {
		if held[e.ID] {
			t.Errorf("forged %s was accepted", e.Kind)
		}
	}
	users, _ := c.Users(ctx)
	var pat, xenaActive bool
	for _, u := range users {
		pat = pat || u.Name == "Pat Pharmacist"
		if u.ID == xena {
			xenaActive = u.Active
		}
	}
	if !pat || xenaActive {
		t.Errorf("Pat added: %v (want true); Xena still active: %v (want false)", pat, xenaActive)
	}
	review, _ := c.AuthorityReview(ctx)
	if len(review) == 0 {
		t.Error("Xena's concurrent change is not listed for review")
	}
}
