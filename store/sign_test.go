package store_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"testing"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

func TestDB_SignProof(t *testing.T) {
	ctx := context.Background()
	db, _ := storetest.MustInit(t, store.Options{NoBackup: true})
	pub, err := db.DevicePublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("a handshake transcript")
	sig, err := db.SignProof(ctx, msg)
	if err != nil {
		t.Fatalf("SignProof: %v", err)
	}
	opts := &ed25519.Options{Hash: crypto.Hash(0), Context: lifeboat.ProofContext}
	if err := ed25519.VerifyWithOptions(pub, msg, sig, opts); err != nil {
		t.Errorf("the proof does not verify under ProofContext: %v", err)
	}
	// Never a plain Ed25519 signature: a proof must not pass for an event's.
	if ed25519.Verify(pub, msg, sig) {
		t.Error("the proof verifies as a plain Ed25519 signature")
	}

	db.Lock()
	if _, err := db.SignProof(ctx, msg); !errors.Is(err, store.ErrLocked) {
		t.Errorf("SignProof on a locked store: err = %v, want ErrLocked", err)
	}
}
