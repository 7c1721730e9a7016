package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"

	"lifeboat"
)

// A new site key is sealed to each remaining device with NaCl's anonymous
// sealed box (X25519 + XSalsa20-Poly1305) under that device's own key:
// the X25519 form of its Ed25519 signing key (the standard birational
// map, as libsodium's crypto_sign_ed25519_pk_to_curve25519), so every
// enrolled device can be reached without enrolling a second key. Nothing
// sealed this way can be read with the old site key.

// keyID names a site key without revealing it.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("lifeboat site key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// boxPublic converts an Ed25519 public key to its X25519 (Montgomery) form.
func boxPublic(pub ed25519.PublicKey) (*[32]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("device key is %d bytes: %w", len(pub), lifeboat.ErrInvalid)
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, fmt.Errorf("device key is not a curve point: %w", lifeboat.ErrInvalid)
	}
	var out [32]byte
	copy(out[:], p.BytesMontgomery())
	return &out, nil
}

// boxPrivate derives the X25519 private key matching boxPublic from an
// Ed25519 private key (the clamped first half of SHA-512 of the seed, the
// scalar Ed25519 itself signs with).
func boxPrivate(priv ed25519.PrivateKey) *[32]byte {
	h := sha512.Sum512(priv.Seed())
	var out [32]byte
	copy(out[:], h[:32])
	out[0] &= 248
	out[31] &= 127
	out[31] |= 64
	clear(h[:])
	return &out
}

// siteKeyTag binds a sealed key to its site, rotation and device, so a
// sealed key cannot be replayed into another rotation or for another
// device.
func siteKeyTag(site, id, device string) []byte {
	sum := sha256.Sum256(ad("lifeboat site key", site, id, device))
	return sum[:16]
}

// sealSiteKey seals key for device (whose Ed25519 public key is pub).
func sealSiteKey(key []byte, site, device string, pub ed25519.PublicKey) ([]byte, error) {
	to, err := boxPublic(pub)
	if err != nil {
		return nil, fmt.Errorf("seal site key for %s: %w", device, err)
	}
	msg := append(siteKeyTag(site, keyID(key), device), key...)
	sealed, err := box.SealAnonymous(nil, msg, to, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal site key for %s: %w", device, err)
	}
	return sealed, nil
}

// maxSealedKey bounds a sealed key: tag, a 32-byte key and the box overhead.
const maxSealedKey = 16 + 32 + box.AnonymousOverhead

// openSiteKey opens a key sealed to this device (priv) for rotation id,
// checking that it is the key the rotation names.
func openSiteKey(sealed []byte, site, id, device string, priv ed25519.PrivateKey) ([]byte, error) {
	if len(sealed) > maxSealedKey || len(sealed) < box.AnonymousOverhead {
		return nil, fmt.Errorf("open site key %s: sealed key is %d bytes: %w", id, len(sealed), lifeboat.ErrInvalid)
	}
	sk := boxPrivate(priv)
	defer clear(sk[:])
	pub, err := curve25519.X25519(sk[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("open site key %s: %w", id, err)
	}
	var pk [32]byte
	copy(pk[:], pub)
	msg, ok := box.OpenAnonymous(nil, sealed, &pk, sk)
	if !ok {
		return nil, fmt.Errorf("open site key %s: not sealed to this device or damaged: %w", id, lifeboat.ErrCorrupt)
	}
	tag := siteKeyTag(site, id, device)
	if len(msg) != len(tag)+32 || !bytes.Equal(msg[:len(tag)], tag) {
		return nil, fmt.Errorf("open site key %s: sealed for another site, rotation or device: %w", id, lifeboat.ErrCorrupt)
	}
	key := msg[len(tag):]
	if keyID(key) != id {
		return nil, fmt.Errorf("open site key %s: the key does not match its ID: %w", id, lifeboat.ErrCorrupt)
	}
	return key, nil
}
