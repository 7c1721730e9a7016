package store

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"

	"lifeboat"
)

// SignProof signs a mesh handshake transcript with this device's key,
// under lifeboat.ProofContext (Ed25519ctx): never plain Ed25519, so what
// a peer's challenge makes it sign can never be taken for an event. The
// key does not leave the store: it is used under the lock Lock takes to
// wipe it. The store must be unlocked.
func (db *DB) SignProof(ctx context.Context, transcript []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sign proof: %w", err)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.devPriv == nil {
		return nil, fmt.Errorf("sign proof: %w", ErrLocked)
	}
	sig, err := db.devPriv.Sign(nil, transcript, &ed25519.Options{Hash: crypto.Hash(0), Context: lifeboat.ProofContext})
	if err != nil {
		return nil, fmt.Errorf("sign proof: %w", err)
	}
	return sig, nil
}
