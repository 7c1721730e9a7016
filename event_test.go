package lifeboat

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

// MustTestEvent returns a signed, valid event with the given device and seq.
func MustTestEvent(tb testing.TB, key ed25519.PrivateKey, seq uint64, prev Hash) Event {
	tb.Helper()
	e := Event{
		ID:          "0193f000-0000-7000-8000-00000000000" + string(rune('0'+seq%10)),
		Device:      "DEVA1234",
		Seq:         seq,
		Prev:        prev,
		HLC:         HLC{Wall: t0.UnixMilli(), Logical: uint32(seq)},
		Author:      "user-1",
		Kind:        "obs.recorded",
		Subject:     "patient-1",
		PerformedAt: t0.Add(-10 * time.Minute).In(time.FixedZone("BST", 3600)).Add(123 * time.Nanosecond),
		RecordedAt:  t0,
		Payload:     []byte(`{"resp_rate":18}`),
	}
	e.Sign(key)
	if err := e.Check(); err != nil {
		tb.Fatalf("test event invalid: %v", err)
	}
	return e
}

func testKey(tb testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		tb.Fatal(err)
	}
	return pub, priv
}

func TestEvent_EncodeDecodeRoundTrip(t *testing.T) {
	pub, priv := testKey(t)
	e := MustTestEvent(t, priv, 1, Hash{})
	b := e.Encode()
	got, err := DecodeEvent(b)
	if err != nil {
		t.Fatalf("DecodeEvent(Encode(e)) error %v", err)
	}
	if !bytes.Equal(got.Encode(), b) || got.ID != e.ID || got.Seq != e.Seq || !got.PerformedAt.Equal(e.PerformedAt) {
		t.Errorf("DecodeEvent(Encode(e)) = %+v, want %+v", got, e)
	}
	if got.PerformedAt.Location() != time.UTC || got.PerformedAt.Nanosecond()%1000 != 0 {
		t.Errorf("decoded PerformedAt = %v, want UTC microseconds", got.PerformedAt)
	}
	if !got.VerifySig(pub) {
		t.Error("VerifySig after round trip = false, want true")
	}
}

func TestEvent_SignatureCoversEveryField(t *testing.T) {
	pub, priv := testKey(t)
	base := MustTestEvent(t, priv, 2, Hash{1})
	mutations := map[string]func(*Event){
		"id":        func(e *Event) { e.ID += "x" },
		"device":    func(e *Event) { e.Device = "DEVB" },
		"seq":       func(e *Event) { e.Seq++ },
		"prev":      func(e *Event) { e.Prev[0] ^= 1 },
		"hlc":       func(e *Event) { e.HLC.Logical++ },
		"author":    func(e *Event) { e.Author = "user-2" },
		"kind":      func(e *Event) { e.Kind = "obs.amended" },
		"subject":   func(e *Event) { e.Subject = "patient-2" },
		"performed": func(e *Event) { e.PerformedAt = e.PerformedAt.Add(time.Microsecond) },
		"recorded":  func(e *Event) { e.RecordedAt = e.RecordedAt.Add(time.Second) },
		"corrects":  func(e *Event) { e.Corrects = "other" },
		"payload":   func(e *Event) { e.Payload = []byte(`{"resp_rate":28}`) },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			e := base
			e.Payload = bytes.Clone(base.Payload)
			mutate(&e)
			if e.VerifySig(pub) {
				t.Errorf("VerifySig after changing %s = true, want false", name)
			}
			if e.Hash() == base.Hash() {
				t.Errorf("Hash after changing %s unchanged", name)
			}
		})
	}
}

func TestEvent_Check(t *testing.T) {
	_, priv := testKey(t)
	tests := []struct {
		name   string
		mutate func(*Event)
	}{
		{"empty id", func(e *Event) { e.ID = "" }},
		{"zero seq", func(e *Event) { e.Seq = 0 }},
		{"first event with prev", func(e *Event) { e.Prev = Hash{9} }},
		{"no author", func(e *Event) { e.Author = "" }},
		{"no kind", func(e *Event) { e.Kind = "" }},
		{"no performed time", func(e *Event) { e.PerformedAt = time.Time{} }},
		{"short signature", func(e *Event) { e.Sig = e.Sig[:10] }},
		{"bad utf8 subject", func(e *Event) { e.Subject = "\xff" }},
		{"corrects itself", func(e *Event) { e.Corrects = e.ID }},
		{"huge payload", func(e *Event) { e.Payload = make([]byte, MaxPayload+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustTestEvent(t, priv, 1, Hash{})
			tt.mutate(&e)
			if err := e.Check(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Check() = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeEvent_RefusesDamage(t *testing.T) {
	_, priv := testKey(t)
	e := MustTestEvent(t, priv, 1, Hash{})
	b := e.Encode()
	tests := map[string][]byte{
		"empty":          nil,
		"no magic":       append([]byte("XXXX"), b[4:]...),
		"truncated":      b[:len(b)-1],
		"trailing":       append(bytes.Clone(b), 0),
		"huge length":    append(bytes.Clone(b[:4]), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"non-minimal id": append(append(bytes.Clone(b[:4]), byte(len(e.ID))|0x80, 0x00), b[5:]...),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeEvent(in); !errors.Is(err, ErrCorrupt) {
				t.Errorf("DecodeEvent(%s) error = %v, want ErrCorrupt", name, err)
			}
		})
	}
}

// TestEvent_SealedPayload: a sealed payload is what is signed and what
// travels; the opened payload beside it is neither, and a sealed payload
// belongs outside the site scope only.
func TestEvent_SealedPayload(t *testing.T) {
	pub, priv := testKey(t)
	e := MustTestEvent(t, priv, 1, Hash{})
	e.Device += "/ward:W1"
	e.Payload, e.Sealed = nil, []byte(SealedPayloadMagic+"01234567sealed")
	e.Sign(priv)
	if err := e.Check(); err != nil {
		t.Fatalf("Check = %v", err)
	}
	d, err := DecodeEvent(e.Encode())
	if err != nil || !bytes.Equal(d.Sealed, e.Sealed) || d.Payload != nil || !d.VerifySig(pub) {
		t.Fatalf("DecodeEvent = sealed %q payload %q, %v", d.Sealed, d.Payload, err)
	}
	opened := d
	opened.Payload = []byte(`{"x":1}`)
	if !opened.VerifySig(pub) || !bytes.Equal(opened.Encode(), e.Encode()) {
		t.Error("the opened payload changed what is signed or sent")
	}
	site := e
	site.Device = "DEV"
	if site.Check() == nil {
		t.Error("a sealed payload in the site scope passed Check")
	}
	fake := MustTestEvent(t, priv, 1, Hash{})
	fake.Payload = []byte(SealedPayloadMagic + "x")
	if fake.Check() == nil {
		t.Error("a clear payload with a sealed header passed Check")
	}
}
