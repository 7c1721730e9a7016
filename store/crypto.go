package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"runtime/debug"
	"strconv"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"lifeboat"
)

// KDFParams are Argon2id costs. They are stored beside each wrapped key,
// so a store keeps opening after the defaults change.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32 // memory in KiB
	Lanes     uint8  // parallelism
}

// DefaultKDF (64 MiB, 4 passes, 2 lanes: above RFC 9106's second
// recommended setting of 64 MiB and 3 passes) costs 280-320 ms on this
// two-core machine (`make bench`, BenchmarkUnlock): slow enough to make
// guessing a PIN from a stolen file expensive, quick enough for a nurse
// to wait for. At 128 MiB an unlock took 560-650 ms once its memory was
// handed back to the system after each use, as it is: each unlock then
// faults its memory in afresh, as the first one after launch always does.
// Key slots keep the cost they were made with, so stores keep opening.
var DefaultKDF = KDFParams{Time: 4, MemoryKiB: 64 * 1024, Lanes: 2}

// TestKDF is a deliberately cheap cost for tests only.
var TestKDF = KDFParams{Time: 1, MemoryKiB: 64, Lanes: 1}

func (p KDFParams) valid() bool {
	return p.Time >= 1 && p.Time <= 64 && p.Lanes >= 1 && p.MemoryKiB >= 8*uint32(p.Lanes) && p.MemoryKiB <= 4<<20
}

func (p KDFParams) derive(secret string, salt []byte) []byte {
	k := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Lanes, 32)
	if p.MemoryKiB >= bigKDFKiB {
		// The derivation's memory (64 MiB at DefaultKDF) is garbage now:
		// hand it back straight away, so an unlock followed by a PIN does
		// not hold two of them and a ward PC or phone keeps its memory.
		// In the background: the forced collection would otherwise add
		// about a third to the unlock itself (BenchmarkUnlock).
		go debug.FreeOSMemory()
	}
	return k
}

// bigKDFKiB is the derivation size above which derive returns its memory
// to the operating system straight away.
const bigKDFKiB = 8 * 1024

// ErrWrongSecret: the passphrase or PIN does not open the store.
var ErrWrongSecret = fmt.Errorf("wrong passphrase or PIN: %w", lifeboat.ErrPermission)

// errOpen is returned when a ciphertext fails authentication.
var errOpen = fmt.Errorf("ciphertext failed authentication (tampered, damaged or moved): %w", lifeboat.ErrCorrupt)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no randomness: nothing is safe
	}
	return b
}

// seal encrypts plaintext as nonce||ciphertext bound to ad.
func seal(a cipherAEAD, plaintext, ad []byte) []byte {
	n := a.NonceSize()
	out := make([]byte, n, n+len(plaintext)+chacha20poly1305.Overhead)
	if _, err := rand.Read(out); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no randomness: nothing is safe
	}
	return a.Seal(out, out, plaintext, ad)
}

// open reverses seal.
func open(a cipherAEAD, sealed, ad []byte) ([]byte, error) {
	n := a.NonceSize()
	if len(sealed) < n {
		return nil, errOpen
	}
	p, err := a.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, errOpen
	}
	return p, nil
}

// subkey derives a purpose-specific key from the data key.
func subkey(dataKey []byte, purpose string) []byte {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("lifeboat subkey " + purpose))
	return m.Sum(nil)
}

// ad builds associated data from labelled parts, unambiguously: each
// part as "<len>:<part>|". Every sealed row is bound to these bytes, so
// they must never change.
func ad(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 8
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
		b = append(b, '|')
	}
	return b
}

// wrapKey seals the data key under a key derived from secret.
func wrapKey(dataKey []byte, slot string, secret string, p KDFParams) (salt, wrapped []byte) {
	salt = randomBytes(16)
	kek := p.derive(secret, salt)
	defer clear(kek)
	return salt, seal(mustAEAD(kek), dataKey, ad("keyslot", slot))
}

// unwrapKey recovers the data key, or ErrWrongSecret.
func unwrapKey(slot, secret string, salt, wrapped []byte, p KDFParams) ([]byte, error) {
	if !p.valid() {
		return nil, fmt.Errorf("key slot %s has invalid costs: %w", slot, lifeboat.ErrCorrupt)
	}
	kek := p.derive(secret, salt)
	defer clear(kek)
	key, err := open(mustAEAD(kek), wrapped, ad("keyslot", slot))
	if errors.Is(err, errOpen) {
		return nil, ErrWrongSecret
	}
	return key, err
}

func newDigest() hash.Hash { return sha256.New() }
