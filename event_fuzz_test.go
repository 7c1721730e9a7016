package lifeboat

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// FuzzDecodeEvent checks the decoder never panics and that anything it
// accepts re-encodes to exactly the same bytes.
func FuzzDecodeEvent(f *testing.F) {
	_, priv := testKey(f)
	e1 := MustTestEvent(f, priv, 1, Hash{})
	e2 := MustTestEvent(f, priv, 2, e1.Hash())
	e2.Corrects = e1.ID
	f.Add(e1.Encode())
	f.Add(e2.Encode())
	e3 := e2
	e3.Device, e3.Payload, e3.Sealed = e2.Device+"/ward:W1", nil, []byte(SealedPayloadMagic+"01234567nonce-and-ciphertext")
	f.Add(e3.Encode())
	f.Add([]byte("LBE1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b)
		if err != nil {
			return
		}
		if got := e.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Encode(DecodeEvent(b)) = %x, want %x", got, b)
		}
		_ = e.Check()
	})
}

// FuzzCanonicalEncoding builds events from arbitrary field values and checks
// that encoding is deterministic and decoding returns the same event.
func FuzzCanonicalEncoding(f *testing.F) {
	f.Add("id-1", "DEV1", uint64(1), int64(1700000000000), uint32(0), "user", "obs.recorded", "p-1", int64(1700000000000000), "", []byte(`{}`))
	f.Add("", "", uint64(0), int64(0), uint32(7), "", "", "", int64(-5), "x", []byte(nil))
	f.Add("id-2", "DEV2", uint64(300), int64(1), uint32(1), "u", "k", "s", int64(0), "", bytes.Repeat([]byte("x"), 20000))
	f.Fuzz(func(t *testing.T, id, dev string, seq uint64, wall int64, logical uint32, author, kind, subject string, micros int64, corrects string, payload []byte) {
		e := Event{ID: id, Device: dev, Seq: seq, HLC: HLC{wall, logical}, Author: author, Kind: kind, Subject: subject,
			PerformedAt: fromMicros(uint64(micros)), RecordedAt: fromMicros(uint64(micros + 1)), Corrects: corrects, Payload: payload, Sig: make([]byte, 64)}
		b := e.Encode()
		if !bytes.Equal(b, e.Encode()) {
			t.Fatal("Encode is not deterministic")
		}
		if enc, h := e.EncodeAndHash(); !bytes.Equal(enc, b) || h != sha256.Sum256(e.SignedBytes()) || h != e.Hash() {
			t.Fatal("EncodeAndHash differs from Encode and Hash")
		}
		if e.EncodedLen() != len(b) || cap(b) != len(b) || len(e.SignedBytes()) != e.signedLen() {
			t.Fatalf("EncodedLen = %d, cap %d, want len(Encode()) = %d", e.EncodedLen(), cap(b), len(b))
		}
		got, err := DecodeEvent(b)
		if len(id) > MaxIDLen || len(dev) > MaxIDLen || len(author) > MaxIDLen || len(corrects) > MaxIDLen ||
			len(kind) > MaxKindLen || len(subject) > MaxSubjectLen {
			if err == nil {
				t.Fatal("DecodeEvent accepted an oversized field")
			}
			return
		}
		if err != nil {
			t.Fatalf("DecodeEvent(Encode(e)) error %v", err)
		}
		if !bytes.Equal(got.Encode(), b) || got.Hash() != e.Hash() {
			t.Fatal("DecodeEvent(Encode(e)) differs from e")
		}
	})
}
