package mesh

import (
	"bytes"
	"testing"
)

func sampleChallenge() *challenge {
	c := &challenge{From: "AAAAAAAA", To: "BBBBBBBB", ToBoot: "0123456789abcdef", ToPort: 7946}
	copy(c.ToAddr[:], []byte{10: 0xff, 11: 0xff, 12: 127, 15: 1})
	copy(c.Nonce[:], bytes.Repeat([]byte{0xC1}, nonceLen))
	return c
}

func sampleProof() *proof {
	p := &proof{From: "BBBBBBBB", To: "AAAAAAAA"}
	copy(p.Nonce[:], bytes.Repeat([]byte{0xB2}, nonceLen))
	copy(p.Challenge[:], bytes.Repeat([]byte{0xC1}, nonceLen))
	copy(p.Sig[:], bytes.Repeat([]byte{0x5A}, len(p.Sig)))
	return p
}

func FuzzDecodeChallenge(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeChallenge(b)
		if err != nil {
			return
		}
		if m2, err := decodeChallenge(m.encode()); err != nil || m2 != m {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, m2, err)
		}
		if !bytes.Equal(m.encode(), b) {
			t.Fatalf("two encodings of one challenge: %x", b)
		}
	})
}

func FuzzDecodeProof(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeProof(b)
		if err != nil {
			return
		}
		if m2, err := decodeProof(m.encode()); err != nil || m2 != m {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, m2, err)
		}
		if !bytes.Equal(m.encode(), b) {
			t.Fatalf("two encodings of one proof: %x", b)
		}
	})
}
