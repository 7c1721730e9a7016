package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"lifeboat"
	"lifeboat/forms"
)

// TestSealPayload: a sealed payload opens under its own event key only,
// and only as the event it was sealed for.
func TestSealPayload(t *testing.T) {
	key := randomBytes(32)
	e := lifeboat.Event{ID: "e1", Device: "D/ward:W1", Kind: forms.KindObsRecorded, Subject: "p1", Payload: []byte(`{"resp_rate":18}`)}
	if err := sealPayload(&e, scopeKeyID(key), key); err != nil {
		t.Fatal(err)
	}
	if id, ok := sealedKeyID(e.Sealed); !ok || id != scopeKeyID(key) {
		t.Fatalf("sealed key ID = %q, %v", id, ok)
	}
	if bytes.Contains(e.Sealed, []byte("resp_rate")) {
		t.Fatal("the sealed payload carries its text in clear")
	}
	got, err := openPayload(&e, eventKey(key, e.Device, e.ID))
	if err != nil || !bytes.Equal(got, e.Payload) {
		t.Fatalf("openPayload = %q, %v", got, err)
	}
	for name, change := range map[string]func(*lifeboat.Event){
		"another event's key": func(x *lifeboat.Event) { x.ID = "e2" },
		"another kind":        func(x *lifeboat.Event) { x.Kind = forms.KindAllergyRecorded },
		"another patient":     func(x *lifeboat.Event) { x.Subject = "p2" },
	} {
		x := e
		change(&x)
		if _, err := openPayload(&x, eventKey(key, x.Device, x.ID)); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := openPayload(&e, eventKey(randomBytes(32), e.Device, e.ID)); err == nil {
		t.Error("opened under another scope key")
	}
}

// FuzzOpenPayload: sealed payloads come from peers; opening one never
// crashes, and nothing but the sealed bytes opens.
func FuzzOpenPayload(f *testing.F) {
	key := randomBytes(32)
	e := lifeboat.Event{ID: "e1", Device: "D/ward:W1", Kind: forms.KindObsRecorded, Subject: "p1", Payload: []byte(`{"a":1}`)}
	if err := sealPayload(&e, scopeKeyID(key), key); err != nil {
		f.Fatal(err)
	}
	f.Add(e.Sealed)
	f.Add([]byte(lifeboat.SealedPayloadMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		x := e
		x.Sealed = b
		sealedKeyID(b)
		if got, err := openPayload(&x, eventKey(key, x.Device, x.ID)); err == nil && !bytes.Equal(b, e.Sealed) {
			t.Fatalf("altered sealed bytes opened: %q", got)
		}
	})
}

// FuzzOpenScopeKey: a scope key sealed to this device opens only as
// sealed, for its own scope.
func FuzzOpenScopeKey(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	dev := DeviceID(pub)
	key := randomBytes(32)
	w := lifeboat.WardScope("W1")
	sealed, _ := sealScopeKey(key, "s", w, dev, pub)
	f.Add(sealed)
	f.Add([]byte{})
	f.Add(make([]byte, maxSealedKey+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := openScopeKey(b, "s", w, scopeKeyID(key), dev, priv)
		if err == nil && !bytes.Equal(b, sealed) {
			t.Fatalf("an altered sealed key opened: %x", got)
		}
		if _, err := openScopeKey(b, "s", lifeboat.WardScope("W2"), scopeKeyID(key), dev, priv); err == nil {
			t.Fatal("a key of W1 opened as W2's")
		}
	})
}

// FuzzCheckScopeKeyAndHandoff: scope.key and handoff.patient payloads come
// from peers; checking them never crashes, and what passes decodes within
// the limits checked.
func FuzzCheckScopeKeyAndHandoff(f *testing.F) {
	f.Add(lifeboat.KindScopeKey, "scope:ward:W1", []byte(`{"scope":"ward:W1","keys":{"0123456789abcdef":{"DEV":"`+
		string(bytes.Repeat([]byte("A"), 108))+`"}}}`))
	f.Add(lifeboat.KindScopeKey, "scope:site", []byte(`{"scope":"site","keys":{}}`))
	f.Add(forms.KindPatientHandoff, "p1", []byte(`{"patient_id":"p1","ward":"W1","records":["TEJFMQ=="],"keys":["AAAA"]}`))
	f.Add(forms.KindPatientHandoff, "p1", []byte(`{"patient_id":"p1","ward":"W1","records":[]}`))
	f.Fuzz(func(t *testing.T, kind, subject string, payload []byte) {
		e := &lifeboat.Event{Kind: kind, Subject: subject, Device: "D/ward:W1", Author: "device:D", Payload: payload}
		if kind == lifeboat.KindScopeKey {
			e.Device = "D"
		}
		if checkPayload(e) != nil {
			return
		}
		switch kind {
		case lifeboat.KindScopeKey:
			var p lifeboat.ScopeKey
			if err := json.Unmarshal(payload, &p); err != nil || !p.Scope.Sealed() || len(p.Keys) == 0 || subject != "scope:"+string(p.Scope) {
				t.Fatalf("accepted a scope key record that does not decode or names no sealed scope: %v", err)
			}
		case forms.KindPatientHandoff:
			var p forms.PatientHandoff
			if err := json.Unmarshal(payload, &p); err != nil || (len(p.Keys) != 0 && len(p.Keys) != len(p.Records)) {
				t.Fatalf("accepted a handoff that does not decode or whose keys do not match its records: %v", err)
			}
			for _, r := range p.Records {
				if _, err := lifeboat.DecodeEvent(r); err != nil {
					t.Fatalf("accepted a handoff carrying bytes that are no event: %v", err)
				}
			}
		}
	})
}
