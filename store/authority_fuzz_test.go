package store

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"lifeboat"
)

// FuzzAuthStatement: a privileged event's payload comes from a peer. The
// statement an admin signs never crashes on it, does not depend on the
// "auth" member (so a signature can be checked), and a signature made
// over one payload never verifies over a payload that differs in
// anything but "auth".
func FuzzAuthStatement(f *testing.F) {
	f.Add([]byte(`{"id":"u","role":"it_admin","seen":{"D":3}}`), []byte(`{"id":"u","role":"ward_staff","seen":{"D":3}}`))
	f.Add([]byte(`{"device":"X","last_seq":4,"auth":{"by":"a","sig":"AAAA"}}`), []byte(`{"device":"X","last_seq":5}`))
	f.Add([]byte(`{}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"a":"\u003c"}`), []byte(`{"a":"<"}`))
	f.Add([]byte(`[1]`), []byte(`nul`))
	_, key, _ := ed25519.GenerateKey(nil)
	sign := func(msg []byte) ([]byte, bool) { return ed25519.Sign(key, msg), true }
	f.Fuzz(func(t *testing.T, p1, p2 []byte) {
		e := lifeboat.Event{ID: "e", Device: "D", Seq: 2, Author: "a", Kind: lifeboat.KindUserSaved, Payload: p1}
		s1, err := authStatement(&e)
		if err != nil {
			return
		}
		if err := signAuth(&e, "a", sign); err != nil {
			t.Fatalf("signAuth on a payload authStatement took: %v", err)
		}
		s2, err := authStatement(&e)
		if err != nil || string(s1) != string(s2) {
			t.Fatalf("the statement changed when auth was added: %v", err)
		}
		var f authFields
		if json.Unmarshal(e.Payload, &f) != nil || f.Auth == nil || !ed25519.Verify(key.Public().(ed25519.PublicKey), s2, f.Auth.Sig) {
			t.Fatal("the signed payload does not carry a verifying auth")
		}
		other := e
		other.Payload = p2
		s3, err := authStatement(&other)
		if err != nil {
			return
		}
		var m1, m2 map[string]json.RawMessage
		_ = json.Unmarshal(p1, &m1)
		_ = json.Unmarshal(p2, &m2)
		delete(m1, "auth")
		delete(m2, "auth")
		c1, _ := json.Marshal(m1)
		c2, _ := json.Marshal(m2)
		if string(c1) != string(c2) && ed25519.Verify(key.Public().(ed25519.PublicKey), s3, f.Auth.Sig) {
			t.Fatal("a signature verified over a different payload")
		}
	})
}
