package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"

	"lifeboat"
)

// A scope key is 32 random bytes. Each sealed payload has a key of its
// own, HMAC-SHA256(scope key, chain and event ID): a device handing a
// patient's records to another ward hands it those records' keys, never
// the scope key (see handoff.go). The payload is sealed with
// XChaCha20-Poly1305 under that key, bound to the event's chain, ID, kind
// and subject, before the device signs the event: a relay checks the
// signature and the chain of what it forwards without reading it.
//
//	SealedPayloadMagic | key ID (8 bytes) | nonce (24) | ciphertext and tag
//
// Scope keys reach devices as the site keys do: in NaCl sealed boxes to
// each device's own key (sitekey_box.go).

const scopeKeyIDLen = 8

// scopeKeyID names a scope key without revealing it.
func scopeKeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("lifeboat scope key id\x00"), key...))
	return hex.EncodeToString(sum[:scopeKeyIDLen])
}

// eventKey is the key of one event's payload.
func eventKey(scopeKey []byte, chain, id string) []byte {
	m := hmac.New(sha256.New, scopeKey)
	m.Write(ad("lifeboat event key", chain, id))
	return m.Sum(nil)
}

func payloadAD(e *lifeboat.Event) []byte {
	return ad("lifeboat payload", e.Device, e.ID, e.Kind, e.Subject)
}

// sealPayload sets e.Sealed: e.Payload sealed under the scope key named
// keyID. The event's chain, ID, kind and subject must be final.
func sealPayload(e *lifeboat.Event, keyID string, scopeKey []byte) error {
	id, err := hex.DecodeString(keyID)
	if err != nil || len(id) != scopeKeyIDLen {
		return fmt.Errorf("seal payload: bad key ID: %w", lifeboat.ErrInvalid)
	}
	a, err := chacha20poly1305.NewX(eventKey(scopeKey, e.Device, e.ID))
	if err != nil {
		return fmt.Errorf("seal payload: %w", err)
	}
	head := len(lifeboat.SealedPayloadMagic) + scopeKeyIDLen
	out := make([]byte, head+a.NonceSize(), head+a.NonceSize()+len(e.Payload)+a.Overhead())
	copy(out, lifeboat.SealedPayloadMagic)
	copy(out[len(lifeboat.SealedPayloadMagic):], id)
	if _, err := rand.Read(out[head:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no randomness: nothing is safe
	}
	e.Sealed = a.Seal(out, out[head:], e.Payload, payloadAD(e))
	return nil
}

// sealedKeyID returns the ID of the scope key a sealed payload is under.
func sealedKeyID(sealed []byte) (string, bool) {
	head := len(lifeboat.SealedPayloadMagic) + scopeKeyIDLen
	if !lifeboat.IsSealedPayload(sealed) || len(sealed) < head {
		return "", false
	}
	return hex.EncodeToString(sealed[len(lifeboat.SealedPayloadMagic):head]), true
}

// openPayload opens e.Sealed with the event's own key (eventKey) and
// returns the payload. It fails unless the payload is exactly what the
// device sealed for this event.
func openPayload(e *lifeboat.Event, evKey []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(evKey)
	if err != nil {
		return nil, fmt.Errorf("open payload: %w", err)
	}
	head := len(lifeboat.SealedPayloadMagic) + scopeKeyIDLen
	if !lifeboat.IsSealedPayload(e.Sealed) || len(e.Sealed) < head+a.NonceSize()+a.Overhead() {
		return nil, fmt.Errorf("open payload of %s: too short: %w", e.ID, lifeboat.ErrCorrupt)
	}
	nonce := e.Sealed[head : head+a.NonceSize()]
	p, err := a.Open(nil, nonce, e.Sealed[head+a.NonceSize():], payloadAD(e))
	if err != nil {
		return nil, fmt.Errorf("open payload of %s: %w", e.ID, errOpen)
	}
	return p, nil
}

// scopeKeyTag binds a sealed scope key to its site, scope, key and device.
func scopeKeyTag(site string, scope lifeboat.Scope, id, device string) []byte {
	sum := sha256.Sum256(ad("lifeboat scope key", site, string(scope), id, device))
	return sum[:16]
}

// sealScopeKey seals a scope key for device (whose Ed25519 key is pub).
func sealScopeKey(key []byte, site string, scope lifeboat.Scope, device string, pub ed25519.PublicKey) ([]byte, error) {
	to, err := boxPublic(pub)
	if err != nil {
		return nil, fmt.Errorf("seal %s key for %s: %w", scope.Label(), device, err)
	}
	msg := append(scopeKeyTag(site, scope, scopeKeyID(key), device), key...)
	sealed, err := box.SealAnonymous(nil, msg, to, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal %s key for %s: %w", scope.Label(), device, err)
	}
	return sealed, nil
}

// openScopeKey opens scope key id sealed to this device (priv), checking
// that it is that key, of that scope.
func openScopeKey(sealed []byte, site string, scope lifeboat.Scope, id, device string, priv ed25519.PrivateKey) ([]byte, error) {
	if len(sealed) > maxSealedKey || len(sealed) < box.AnonymousOverhead {
		return nil, fmt.Errorf("open %s key %s: sealed key is %d bytes: %w", scope.Label(), id, len(sealed), lifeboat.ErrInvalid)
	}
	sk := boxPrivate(priv)
	defer clear(sk[:])
	pub, err := curve25519.X25519(sk[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("open %s key %s: %w", scope.Label(), id, err)
	}
	var pk [32]byte
	copy(pk[:], pub)
	msg, ok := box.OpenAnonymous(nil, sealed, &pk, sk)
	if !ok {
		return nil, fmt.Errorf("open %s key %s: not sealed to this device or damaged: %w", scope.Label(), id, lifeboat.ErrCorrupt)
	}
	tag := scopeKeyTag(site, scope, id, device)
	if len(msg) != len(tag)+32 || !bytes.Equal(msg[:len(tag)], tag) {
		return nil, fmt.Errorf("open %s key %s: sealed for another site, scope, key or device: %w", scope.Label(), id, lifeboat.ErrCorrupt)
	}
	key := msg[len(tag):]
	if scopeKeyID(key) != id {
		return nil, fmt.Errorf("open %s key %s: the key does not match its ID: %w", scope.Label(), id, lifeboat.ErrCorrupt)
	}
	return key, nil
}
