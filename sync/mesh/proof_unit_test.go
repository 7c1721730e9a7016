package mesh

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"lifeboat"
)

// A proof holds for one transcript only: another session, device or
// nonce (a relayed or replayed proof) does not verify, nor does a plain
// Ed25519 signature (what signs events) of the same bytes.
func TestVerifyProof_BindsTheTranscript(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := session{Device: "AAAAAAAA", Boot: "0123456789abcdef", Addr: addr16([]byte{127, 0, 0, 1}), Port: 7946}
	b := session{Device: "BBBBBBBB", Boot: "fedcba9876543210", Addr: addr16([]byte{127, 0, 0, 2}), Port: 7946}
	var cn, pn [nonceLen]byte
	cn[0], pn[0] = 1, 2
	sign := func(msg []byte) []byte {
		sig, err := priv.Sign(nil, msg, &ed25519.Options{Hash: crypto.Hash(0), Context: lifeboat.ProofContext})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	sig := sign(transcript(a, b, cn, pn))
	if !verifyProof(pub, transcript(a, b, cn, pn), sig) {
		t.Fatal("verifyProof(the signed transcript) = false")
	}
	moved, restarted, other := b, b, a
	moved.Addr = addr16([]byte{10, 0, 0, 9})
	restarted.Boot = "0000000000000000"
	other.Device = "CCCCCCCC"
	var cn2 [nonceLen]byte
	cn2[0] = 9
	for name, msg := range map[string][]byte{
		"prover moved (relayed)": transcript(a, moved, cn, pn),
		"prover restarted":       transcript(a, restarted, cn, pn),
		"another challenger":     transcript(other, b, cn, pn),
		"another challenge":      transcript(a, b, cn2, pn),
		"roles swapped":          transcript(b, a, cn, pn),
	} {
		if verifyProof(pub, msg, sig) {
			t.Errorf("%s: verifyProof = true, want false", name)
		}
	}
	msg := transcript(a, b, cn, pn)
	if verifyProof(pub, msg, ed25519.Sign(priv, msg)) {
		t.Error("a plain Ed25519 signature passes as a proof")
	}
	if verifyProof(pub[:10], msg, sig) {
		t.Error("a short key verifies")
	}
}
