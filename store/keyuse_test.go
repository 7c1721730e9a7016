package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
)

// A borrower keeps the key bytes it holds, whole, until it gives them
// back, though Lock takes them from everyone else at once; the last
// borrower's release zeroes them.
func TestDB_LockZeroesKeysWhenTheLastBorrowerIsDone(t *testing.T) {
	db := &DB{}
	dataKey := make([]byte, 32)
	_, _ = rand.Read(dataKey)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	want := bytes.Clone(priv)
	db.mu.Lock()
	db.installKeysLocked(mustAEAD(dataKey), dataKey, priv)
	db.mu.Unlock()

	a, releaseA, err := db.borrowKeys()
	if err != nil {
		t.Fatal(err)
	}
	b, releaseB, err := db.borrowKeys()
	if err != nil {
		t.Fatal(err)
	}
	db.Lock()
	if _, _, err := db.borrowKeys(); !errors.Is(err, ErrLocked) {
		t.Fatalf("borrowKeys after Lock = %v, want ErrLocked", err)
	}
	if !db.Locked() {
		t.Error("Locked() = false after Lock")
	}
	releaseA()
	releaseA() // a second release is harmless
	if !bytes.Equal(b.devPriv, want) || bytes.Equal(b.dataKey, make([]byte, 32)) {
		t.Fatal("keys zeroed while a borrower still held them")
	}
	_ = ed25519.Sign(a.devPriv, []byte("still signing")) // the bytes are valid until B's release too
	releaseB()
	if !bytes.Equal(priv, make([]byte, len(priv))) || !bytes.Equal(dataKey, make([]byte, 32)) {
		t.Error("keys not zeroed after the last borrower was done")
	}
}
