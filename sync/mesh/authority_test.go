package mesh_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// relaying is a device's real store whose node also offers events it was
// handed from elsewhere (a compromised device relaying forgeries): they
// are in its version vector and in what it serves, never in its store.
type relaying struct {
	*store.DB
	extra []lifeboat.Event // one device's events, in seq order from 1
}

func (r *relaying) VersionVector(ctx context.Context) (map[string]uint64, error) {
	vv, err := r.DB.VersionVector(ctx)
	if err == nil && len(r.extra) > 0 {
		last := r.extra[len(r.extra)-1]
		vv[last.Device] = max(vv[last.Device], last.Seq)
	}
	return vv, err
}

func (r *relaying) EncodedAfter(ctx context.Context, have map[string]uint64, limit int) ([]lifeboat.EncodedEvent, error) {
	out, err := r.DB.EncodedAfter(ctx, have, limit)
	if err != nil {
		return nil, err
	}
	for _, e := range r.extra {
		if e.Seq > have[e.Device] && len(out) < limit {
			out = append(out, lifeboat.EncodedEvent{Device: e.Device, Seq: e.Seq, Bytes: e.Encode()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Device < out[j].Device || (out[i].Device == out[j].Device && out[i].Seq < out[j].Seq)
	})
	return out, nil
}

// A ward of real nodes on loopback with a compromised device in it. Its
// key signs a new IT admin with a PIN it chose, a back-dated revocation
// of the founding device, an enrolment of a device of its own, and a
// revoked phone's record from after its revocation. On main before this
// change every peer applied the first three (remote events were checked
// for signature and chain only) and the last (the revocation compared
// the phone's own clock). Now every honest peer refuses them all, keeps
// them in quarantine with the reason, and loses nothing honest.
func TestNode_CompromisedDeviceCannotMintAuthority(t *testing.T) {
	ctx := t.Context()
	s := newSite(t)
	b := s.device(true)
	rogue := storetest.NewDevice(t)
	phone := storetest.NewDevice(t)
	for _, d := range []*storetest.Device{rogue, phone} {
		if _, err := s.founder.Enrol(ctx, s.admin, d.Pub, "ward tablet"); err != nil {
			t.Fatal(err)
		}
	}
	// The phone's first record reaches the ward; then it is lost.
	r := 16
	obs, _ := json.Marshal(forms.Observations{PatientID: "p-1", RespRate: &r})
	before := phone.Next(s.admin.User.ID, forms.KindObsRecorded, "p-1", obs, storetest.T0)
	if res, err := s.founder.ApplyRemote(ctx, []lifeboat.Event{before}); err != nil || res.Applied != 1 {
		t.Fatalf("phone's first record: %+v %v", res, err)
	}
	if err := s.founder.Revoke(ctx, s.admin, phone.ID, "phone lost"); err != nil {
		t.Fatal(err)
	}
	after := phone.Next(s.admin.User.ID, forms.KindObsRecorded, "p-1", obs, storetest.T0.Add(-time.Hour))

	self, _ := s.founder.Device(ctx)
	mallory := lifeboat.UserRecord{ID: "mallory", Name: "Mallory", Role: lifeboat.RoleITAdmin, Active: true,
		PINHash: make([]byte, 32), PINSalt: make([]byte, 16), KDF: [3]int{1, 64, 1},
		AdminKey: &lifeboat.SealedKey{Public: rogue.Pub, Salt: make([]byte, 16), Sealed: make([]byte, 48), KDF: [3]int{1, 64, 1}}}
	stranger := storetest.NewDevice(t)
	payload := func(v any) []byte { b, _ := json.Marshal(v); return b }
	forged := []lifeboat.Event{
		rogue.Next(s.admin.User.ID, lifeboat.KindUserSaved, "user:mallory", payload(mallory), storetest.T0),
		rogue.Next(s.admin.User.ID, lifeboat.KindDeviceRevoked, "device:"+self, payload(lifeboat.DeviceRevoked{Device: self, Reason: "lost"}), storetest.T0.Add(-48*time.Hour)),
		rogue.Next(s.admin.User.ID, lifeboat.KindDeviceEnrolled, "device:"+stranger.ID, payload(lifeboat.DeviceEnrolled{Device: stranger.ID, PublicKey: stranger.Pub}), storetest.T0),
	}
	// The compromised device's node: a real store, relaying its forgeries
	// and the revoked phone's late record.
	c := s.device(true)
	na := s.start(s.founder, nil)
	nb := s.start(b, []string{na.Addr()})
	nc := s.start(&relaying{DB: c, extra: forged}, []string{na.Addr()})
	np := s.start(&relaying{DB: s.device(true), extra: []lifeboat.Event{before, after}}, []string{na.Addr()})
	_, _, _ = nb, nc, np
	_, total := digest(t, s.founder)
	converged(t, 20*time.Second, total, s.founder, b, c)

	for name, db := range map[string]*store.DB{"founder": s.founder, "B": b} {
		waitFor(t, 20*time.Second, name+" quarantines the forgeries", func() (bool, string) {
			q, err := db.Quarantined(ctx)
			if err != nil {
				return false, err.Error()
			}
			got := map[string]bool{}
			for _, e := range q {
				got[e.ID] = true
			}
			for _, e := range append(forged, after) {
				if !got[e.ID] {
					return false, fmt.Sprintf("%d quarantined, %s (%s) not among them", len(q), e.Kind, e.ID)
				}
			}
			return true, ""
		})
		evs, _ := db.EventsAfter(ctx, nil, 1<<20)
		for _, e := range evs {
			for _, f := range append(forged, after) {
				if e.ID == f.ID {
					t.Errorf("%s applied the forged %s", name, f.Kind)
				}
			}
		}
		users, _ := db.Users(ctx)
		for _, u := range users {
			if u.ID == "mallory" {
				t.Errorf("%s lists the forged admin", name)
			}
		}
		devs, _ := db.Devices(ctx)
		for _, d := range devs {
			if d.ID == self && d.Revoked() {
				t.Errorf("%s: the founding device is revoked", name)
			}
			if d.ID == stranger.ID {
				t.Errorf("%s: the stranger is enrolled", name)
			}
		}
		if _, err := db.SignIn(ctx, s.admin.User.ID, storetest.AdminPIN, ""); err != nil && !errors.Is(err, lifeboat.ErrNotFound) {
			t.Errorf("%s: admin sign-in after the attack: %v", name, err)
		}
	}
}
