package store

import (
	"errors"
	"testing"

	"lifeboat"
)

func TestMark_TornSlotFallsBack(t *testing.T) {
	a := Mark{Device: "K3F9QX2A", Seq: 41, Gen: 7}
	b := Mark{Device: "K3F9QX2A", Seq: 42, Gen: 8}
	file := append(b.encode(), a.encode()...)
	if got, err := DecodeMarkFile(file); err != nil || got != b {
		t.Fatalf("DecodeMarkFile = %+v, %v; want %+v", got, err, b)
	}
	file[10] ^= 1 // the newer slot torn by a crash
	if got, err := DecodeMarkFile(file); err != nil || got != a {
		t.Fatalf("DecodeMarkFile(torn) = %+v, %v; want the older slot %+v", got, err, a)
	}
	file[64+40] ^= 1
	if _, err := DecodeMarkFile(file); !errors.Is(err, lifeboat.ErrCorrupt) {
		t.Fatalf("DecodeMarkFile(both torn) = %v, want ErrCorrupt", err)
	}
}

func FuzzDecodeMarkFile(f *testing.F) {
	m := Mark{Device: "K3F9QX2A", Seq: 1234, Gen: 2}
	f.Add(append(Mark{Device: "K3F9QX2A", Seq: 1233, Gen: 1}.encode(), m.encode()...))
	f.Add(make([]byte, 128))
	f.Add([]byte("LBHWM1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeMarkFile(b)
		if err != nil {
			if !errors.Is(err, lifeboat.ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		// What decodes re-encodes to one of the slots it came from.
		enc := got.encode()
		if string(enc) != string(b[:64]) && string(enc) != string(b[64:]) {
			t.Fatalf("decode(%x) = %+v does not re-encode to a slot", b, got)
		}
	})
}
