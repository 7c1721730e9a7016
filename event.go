package lifeboat

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"
)

// Limits on an event's fields. Decoders refuse anything larger, so a peer
// cannot make a node allocate without bound.
const (
	MaxIDLen      = 64      // id, device, author, corrects
	MaxKindLen    = 64      // e.g. "obs.recorded"
	MaxSubjectLen = 128     // patient, bed or stock item ID
	MaxPayload    = 1 << 20 // 1 MiB of JSON
)

// Hash is the SHA-256 of an event's signed bytes. Each event carries the
// hash of its device's previous event (Prev), chaining a device's history.
type Hash [32]byte

// IsZero reports whether h is all zeros (the Prev of a device's first event).
func (h Hash) IsZero() bool { return h == Hash{} }

// String returns the first 8 bytes in hex, enough to name a hash in reports.
func (h Hash) String() string { return hex.EncodeToString(h[:8]) }

// Event is the immutable, signed envelope around every change in Lifeboat.
// Times are UTC with microsecond precision (Seal normalises them), so the
// canonical encoding round-trips exactly.
type Event struct {
	ID          string    // UUIDv7, unique across the site
	Device      string    // chain: the device that signed it, and its scope (see ChainOf)
	Seq         uint64    // per chain, gap-free, from 1
	Prev        Hash      // hash of the same chain's event Seq-1; zero for Seq 1
	HLC         HLC       // hybrid logical clock when recorded
	Author      string    // user ID of the person who made it
	Kind        string    // e.g. "obs.recorded"
	Subject     string    // patient, bed or stock item the event is about
	PerformedAt time.Time // when the care happened (entered by the user)
	RecordedAt  time.Time // when it was saved
	Corrects    string    // ID of an earlier event this one amends or cancels
	Payload     []byte    // JSON; its schema depends on Kind
	// Sealed is the payload as signed when its scope is sealed under a
	// scope key (see IsSealedPayload): then it, not Payload, is in the
	// signed bytes, and Payload is the opened JSON (nil where this device
	// cannot read the scope).
	Sealed []byte
	Sig    []byte // Ed25519 signature by Device over SignedBytes
}

// LogValue keeps events out of logs except for their non-identifying
// envelope: never the author, subject or payload.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", e.ID),
		slog.String("device", e.Device),
		slog.Uint64("seq", e.Seq),
		slog.String("kind", e.Kind),
	)
}

var magic = []byte("LBE1")

// ErrEncoding reports bytes that are not a canonical Lifeboat event.
var ErrEncoding = fmt.Errorf("bad event encoding: %w", ErrCorrupt)

// SignedBytes is the canonical, deterministic encoding of every field but
// Sig: the bytes the device signs and the chain hashes. Strings are
// length-prefixed (uvarint), integers big-endian, times Unix microseconds.
func (e *Event) SignedBytes() []byte {
	return e.appendSigned(make([]byte, 0, e.signedLen()))
}

// appendSigned appends SignedBytes to b.
func (e *Event) appendSigned(b []byte) []byte {
	b = append(b, magic...)
	b = appendString(b, e.ID)
	b = appendString(b, e.Device)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.HLC.Wall))
	b = binary.BigEndian.AppendUint32(b, e.HLC.Logical)
	b = appendString(b, e.Author)
	b = appendString(b, e.Kind)
	b = appendString(b, e.Subject)
	b = binary.BigEndian.AppendUint64(b, uint64(e.PerformedAt.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.RecordedAt.UnixMicro()))
	b = appendString(b, e.Corrects)
	b = appendBytes(b, e.signedPayload())
	return b
}

// signedPayload is what the payload field of the signed bytes holds.
func (e *Event) signedPayload() []byte {
	if e.Sealed != nil {
		return e.Sealed
	}
	return e.Payload
}

// SealedPayloadMagic begins a sealed payload; a JSON payload never does.
const SealedPayloadMagic = "\x00LBS1"

// SealedOverhead bounds what sealing adds to a payload: the header, key
// ID, nonce and tag (the store's scope sealing).
const SealedOverhead = 64

// IsSealedPayload reports whether a payload field holds a sealed payload.
func IsSealedPayload(b []byte) bool { return bytes.HasPrefix(b, []byte(SealedPayloadMagic)) }

// signedLen is len(SignedBytes()), so that encoders allocate once (events
// are encoded several times on their way through sync).
func (e *Event) signedLen() int {
	return len(magic) + fieldLen(len(e.ID)) + fieldLen(len(e.Device)) + 8 + len(e.Prev) + 8 + 4 +
		fieldLen(len(e.Author)) + fieldLen(len(e.Kind)) + fieldLen(len(e.Subject)) + 8 + 8 +
		fieldLen(len(e.Corrects)) + fieldLen(len(e.signedPayload()))
}

// fieldLen is the encoded size of a length-prefixed field of n bytes.
func fieldLen(n int) int {
	k := 1
	for u := uint64(n); u >= 0x80; u >>= 7 {
		k++
	}
	return k + n
}

// Encode returns SignedBytes followed by the length-prefixed signature: the
// form an event takes on the wire and inside its ciphertext at rest.
func (e *Event) Encode() []byte {
	enc, _ := e.encode(false)
	return enc
}

// EncodedLen is len(Encode()), worked out without encoding.
func (e *Event) EncodedLen() int { return e.signedLen() + fieldLen(len(e.Sig)) }

// Hash returns the SHA-256 of SignedBytes.
func (e *Event) Hash() Hash { return sha256.Sum256(e.SignedBytes()) }

// EncodeAndHash returns Encode() and Hash(), encoding the event once.
func (e *Event) EncodeAndHash() ([]byte, Hash) { return e.encode(true) }

func (e *Event) encode(hash bool) ([]byte, Hash) {
	n := e.signedLen()
	b := e.appendSigned(make([]byte, 0, e.EncodedLen()))
	var h Hash
	if hash {
		h = sha256.Sum256(b[:n])
	}
	return appendBytes(b, e.Sig), h
}

// Sign normalises the times and signs the event with the device key.
func (e *Event) Sign(key ed25519.PrivateKey) {
	e.PerformedAt = normTime(e.PerformedAt)
	e.RecordedAt = normTime(e.RecordedAt)
	e.Sig = ed25519.Sign(key, e.SignedBytes())
}

// VerifySig reports whether Sig is the device's signature over the event.
func (e *Event) VerifySig(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(e.Sig) == ed25519.SignatureSize &&
		ed25519.Verify(pub, e.SignedBytes(), e.Sig)
}

// Check validates the envelope's shape (not its signature): sizes, a
// non-empty ID, device, author and kind, Seq >= 1, Prev zero exactly when
// Seq is 1, non-zero times, valid UTF-8 text and a 64-byte signature.
func (e *Event) Check() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	text := func(name, s string, max int, required bool) {
		switch {
		case required && s == "":
			bad("%s is empty", name)
		case len(s) > max:
			bad("%s is %d bytes, more than %d", name, len(s), max)
		case !utf8.ValidString(s):
			bad("%s is not valid UTF-8", name)
		}
	}
	text("id", e.ID, MaxIDLen, true)
	text("device", e.Device, MaxIDLen, true)
	text("author", e.Author, MaxIDLen, true)
	text("kind", e.Kind, MaxKindLen, true)
	text("subject", e.Subject, MaxSubjectLen, false)
	text("corrects", e.Corrects, MaxIDLen, false)
	if _, scope := SplitChain(e.Device); scope != ScopeSite {
		if err := scope.Check(); err != nil {
			bad("device chain: %v", err)
		}
	}
	if e.Seq == 0 {
		bad("seq is 0")
	}
	if (e.Seq == 1) != e.Prev.IsZero() {
		bad("prev hash does not fit seq %d", e.Seq)
	}
	if e.HLC.Wall <= 0 {
		bad("clock reading is missing")
	}
	if e.PerformedAt.IsZero() || e.RecordedAt.IsZero() {
		bad("performed or recorded time is missing")
	}
	if len(e.Payload) > MaxPayload {
		bad("payload is %d bytes, more than %d", len(e.Payload), MaxPayload)
	}
	if e.Sealed != nil {
		switch _, scope := SplitChain(e.Device); {
		case !IsSealedPayload(e.Sealed):
			bad("sealed payload has no sealed header")
		case len(e.Sealed) > MaxPayload+SealedOverhead:
			bad("sealed payload is %d bytes, more than %d", len(e.Sealed), MaxPayload+SealedOverhead)
		case !scope.Sealed():
			bad("a sealed payload in the %s scope, which every device reads", scope.Label())
		}
	} else if IsSealedPayload(e.Payload) {
		bad("payload carries a sealed header but is not sealed")
	}
	if len(e.Sig) != ed25519.SignatureSize {
		bad("signature is %d bytes, want %d", len(e.Sig), ed25519.SignatureSize)
	}
	if e.Corrects != "" && e.Corrects == e.ID {
		bad("event corrects itself")
	}
	if len(errs) > 0 {
		return fmt.Errorf("event %s: %w: %w", e.ID, ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// DecodeEvent parses the canonical encoding made by Encode. It refuses
// trailing bytes, oversized fields and any non-canonical form, so that
// DecodeEvent(b) succeeds only when Encode of the result gives b back.
func DecodeEvent(b []byte) (Event, error) {
	d := decoder{b: b}
	if !bytes.HasPrefix(b, magic) {
		return Event{}, fmt.Errorf("%w: no event header", ErrEncoding)
	}
	d.b = d.b[len(magic):]
	var e Event
	e.ID = d.str(MaxIDLen)
	e.Device = d.str(MaxIDLen)
	e.Seq = d.u64()
	copy(e.Prev[:], d.take(32))
	e.HLC.Wall = int64(d.u64())
	e.HLC.Logical = d.u32()
	e.Author = d.str(MaxIDLen)
	e.Kind = d.str(MaxKindLen)
	e.Subject = d.str(MaxSubjectLen)
	e.PerformedAt = fromMicros(d.u64())
	e.RecordedAt = fromMicros(d.u64())
	e.Corrects = d.str(MaxIDLen)
	if p := d.bytes(MaxPayload + SealedOverhead); IsSealedPayload(p) {
		e.Sealed = p
	} else if len(p) > MaxPayload {
		d.err = fmt.Errorf("payload of %d bytes exceeds %d", len(p), MaxPayload)
	} else {
		e.Payload = p
	}
	e.Sig = d.bytes(ed25519.SignatureSize)
	if d.err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrEncoding, d.err)
	}
	if len(d.b) != 0 {
		return Event{}, fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(d.b))
	}
	if !bytes.Equal(e.Encode(), b) {
		return Event{}, fmt.Errorf("%w: not in canonical form", ErrEncoding)
	}
	return e, nil
}

// normTime is t in UTC truncated to the microsecond, the precision the
// canonical encoding keeps.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func fromMicros(u uint64) time.Time {
	if u == uint64(time.Time{}.UnixMicro()) {
		return time.Time{}
	}
	return time.UnixMicro(int64(u)).UTC()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// decoder reads the canonical encoding, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errors.New("truncated")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *decoder) bytes(max int) []byte { return bytes.Clone(d.field(max)) }

// str copies a field into a string (once: not through bytes).
func (d *decoder) str(max int) string { return string(d.field(max)) }

// field returns a length-prefixed field, not copied.
func (d *decoder) field(max int) []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errors.New("bad length")
		return nil
	}
	if n > uint64(max) {
		d.err = fmt.Errorf("field of %d bytes exceeds %d", n, max)
		return nil
	}
	d.b = d.b[k:]
	return d.take(int(n))
}
