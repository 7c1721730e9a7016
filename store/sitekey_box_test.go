package store

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/curve25519"

	"lifeboat"
)

// TestBoxKeys: the X25519 public key computed from a device's Ed25519
// public key matches the one derived from its private key, for many keys.
func TestBoxKeys(t *testing.T) {
	for i := 0; i < 200; i++ {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		fromPub, err := boxPublic(pub)
		if err != nil {
			t.Fatal(err)
		}
		sk := boxPrivate(priv)
		fromPriv, err := curve25519.X25519(sk[:], curve25519.Basepoint)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fromPub[:], fromPriv) {
			t.Fatalf("key %d: X25519 public keys differ", i)
		}
	}
	if _, err := boxPublic(make([]byte, 31)); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("short key: %v, want ErrInvalid", err)
	}
}

func TestSiteKeySealing(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	key := randomBytes(32)
	id := keyID(key)
	dev, other := DeviceID(pub), DeviceID(otherPub)
	sealed, err := sealSiteKey(key, "site-1", dev, pub)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, key) {
		t.Fatal("the sealed key contains the key")
	}
	got, err := openSiteKey(sealed, "site-1", id, dev, priv)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("open = %v; want the key back", err)
	}
	for _, c := range []struct {
		name             string
		site, id, device string
		priv             ed25519.PrivateKey
	}{
		{"another device's key", "site-1", id, other, otherPriv},
		{"another site", "site-2", id, dev, priv},
		{"another rotation", "site-1", keyID(randomBytes(32)), dev, priv},
		{"claimed for another device", "site-1", id, other, priv},
	} {
		if _, err := openSiteKey(sealed, c.site, c.id, c.device, c.priv); !errors.Is(err, lifeboat.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", c.name, err)
		}
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := openSiteKey(bad, "site-1", id, dev, priv); !errors.Is(err, lifeboat.ErrCorrupt) {
		t.Errorf("damaged: %v, want ErrCorrupt", err)
	}
}

// FuzzOpenSiteKey: a sealed key comes from a peer's event; nothing in it
// may crash the store or open as a key.
func FuzzOpenSiteKey(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	dev := DeviceID(pub)
	key := randomBytes(32)
	sealed, _ := sealSiteKey(key, "s", dev, pub)
	f.Add(sealed)
	f.Add([]byte{})
	f.Add(make([]byte, maxSealedKey+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := openSiteKey(b, "s", keyID(key), dev, priv)
		if err == nil && !bytes.Equal(b, sealed) {
			t.Fatalf("an altered sealed key opened: %x", got)
		}
	})
}

// FuzzCheckKeyEvent: the key events' payloads come from peers; checking
// them never crashes, and what passes decodes to the limits checked.
func FuzzCheckKeyEvent(f *testing.F) {
	f.Add(lifeboat.KindSiteKeyRotated, []byte(`{"key":"0123456789abcdef","reason":"x","wrapped":{"dev":"AAAA"}}`), "device:d")
	f.Add(lifeboat.KindSiteKeyStep, []byte(`{"key":"0123456789abcdef","step":"installed"}`), "device:d")
	f.Add(lifeboat.KindSiteKeyStep, []byte(`{"key":1}`), "u")
	f.Add(lifeboat.KindSiteKeyShared, []byte(`{"key":"0123456789abcdef","wrapped":{"dev":"AAAA"}}`), "device:d")
	f.Add(lifeboat.KindSiteKeyShared, []byte(`{"key":"0123456789abcdef","wrapped":{}}`), "device:e")
	f.Fuzz(func(t *testing.T, kind string, payload []byte, author string) {
		e := &lifeboat.Event{Kind: kind, Subject: "site", Device: "d", Author: author, Payload: payload}
		if checkKeyEvent(e) != nil {
			return
		}
		switch kind {
		case lifeboat.KindSiteKeyRotated:
			var p lifeboat.SiteKeyRotated
			if err := decodePayload(e, &p); err != nil || len(p.Wrapped) == 0 {
				t.Fatalf("accepted a rotation that does not decode: %v", err)
			}
		case lifeboat.KindSiteKeyShared:
			var p lifeboat.SiteKeyShared
			if err := decodePayload(e, &p); err != nil || len(p.Wrapped) == 0 || author != "device:d" {
				t.Fatalf("accepted a share that does not decode or is in another's name: %v", err)
			}
		}
	})
}

// TestShareOfAnUnknownKeyIsIgnored: a site.key_shared event sealing a key
// that no rotation in the log started (any enrolled device could make
// one) never reaches the keyring.
func TestShareOfAnUnknownKeyIsIgnored(t *testing.T) {
	ctx := t.Context()
	db, _, err := Init(ctx, filepath.Join(t.TempDir(), "ward.lifeboat"), Setup{SiteName: "S", Ward: "W", Passphrase: "a long ward passphrase",
		AdminName: "Ada Admin", AdminPIN: "2580", BreakGlassPIN: "7391", KDF: TestKDF,
		AdminPassphrase: "admin's own long passphrase", AdminKDF: TestKDF}, Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	self, _ := db.Device(ctx)
	pub, _ := db.DevicePublicKey(ctx)
	info, _ := db.Site(ctx)
	stray := bytes.Repeat([]byte{9}, 32)
	w, err := sealSiteKey(stray, info.SiteID, self, pub)
	if err != nil {
		t.Fatal(err)
	}
	me := &Session{User: User{ID: "device:" + self, Name: "this device"}}
	if _, err := db.AppendAll(ctx, me, []Draft{{Kind: lifeboat.KindSiteKeyShared, Subject: "site", PerformedAt: db.now(),
		Payload: lifeboat.SiteKeyShared{Key: keyID(stray), Wrapped: map[string][]byte{self: w}}}}); err != nil {
		t.Fatal(err)
	}
	st, err := db.AdvanceSiteKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range st.Ring {
		if bytes.Equal(k, stray) {
			t.Fatal("a key no rotation started was taken into the keyring")
		}
	}
	if len(st.Ring) != 1 {
		t.Errorf("keyring has %d keys, want the site key alone", len(st.Ring))
	}
}
