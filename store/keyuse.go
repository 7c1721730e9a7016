package store

import (
	"crypto/ed25519"
	"sync"
)

// Key lifetimes. Lock takes the keys away at once: from then on every new
// read, write or signature fails with ErrLocked. An operation that already
// borrowed them (an Append signing its events, a passphrase change wrapping
// the data key) finishes with them, and their bytes are zeroed when the
// last such borrower is done, never while one still reads them.
//
// The AEAD keeps its own copy of the data key inside x/crypto, which Go
// cannot zero; dropping the last reference to it (Lock sets db.aead to
// nil) is what makes it unusable.

// keyUse counts the borrowers of one unlocked set of keys (from one
// loadKeys to the Lock or reload that retires it). Guarded by DB.mu.
type keyUse struct {
	users   int
	retired bool
	bytes   [][]byte // zeroed once retired and no longer used
	// scope keys handed to this device and opened (see scopekeys.go), by
	// ID; their bytes are in bytes too.
	scope map[string][]byte
}

// heldKeys is what one borrower may use until it calls the release that
// borrowKeys returned with it.
type heldKeys struct {
	aead    cipherAEAD
	dataKey []byte
	devPriv ed25519.PrivateKey
}

// borrowKeys returns the unlocked keys and the release to call (once,
// usually deferred) when done with them, or ErrLocked. Never keep the
// key slices after the release.
func (db *DB) borrowKeys() (heldKeys, func(), error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.aead == nil || db.keyUse == nil {
		return heldKeys{}, func() {}, ErrLocked
	}
	u := db.keyUse
	u.users++
	var once sync.Once
	release := func() {
		once.Do(func() {
			db.mu.Lock()
			defer db.mu.Unlock()
			u.users--
			u.zeroIfDone()
		})
	}
	return heldKeys{aead: db.aead, dataKey: db.dataKey, devPriv: db.devPriv}, release, nil
}

// installKeysLocked makes these the store's keys (db.mu held), retiring
// any it held before.
func (db *DB) installKeysLocked(aead cipherAEAD, dataKey []byte, devPriv ed25519.PrivateKey) {
	db.retireKeysLocked()
	db.aead, db.dataKey, db.devPriv = aead, dataKey, devPriv
	db.keyUse = &keyUse{bytes: [][]byte{dataKey, devPriv}}
}

// retireKeysLocked takes the keys away from new borrowers (db.mu held);
// their bytes are zeroed now, or by the last borrower's release.
func (db *DB) retireKeysLocked() {
	if u := db.keyUse; u != nil {
		u.retired = true
		u.zeroIfDone()
	}
	db.aead, db.dataKey, db.devPriv, db.keyUse = nil, nil, nil, nil
}

func (u *keyUse) zeroIfDone() {
	if !u.retired || u.users > 0 {
		return
	}
	for _, b := range u.bytes {
		clear(b)
	}
	u.bytes = nil
}
