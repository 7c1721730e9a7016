package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/golang/snappy"

	"lifeboat"
)

// The mesh's own messages ride inside memberlist's encrypted envelopes:
// a state summary (push/pull and announcements), a pull request and a batch
// of events. Each starts with a magic byte, a version and a type, and every
// length is checked against a bound before anything is allocated, so a
// malformed or hostile message is refused with an error, never a panic.
// A batch's body (everything after the header) is compressed with Snappy:
// events compress to about 40% at hundreds of MB/s. memberlist's own LZW
// compression is switched off: on the same batches it was eight times
// slower and its output half as large again.
const (
	wireMagic   = 0xB7
	wireVersion = 3 // 2: batch bodies compressed with Snappy; 3: the handshake (proof.go)
)

type msgType byte

const (
	msgState     msgType = 1 + iota // version vector summary
	msgPull                         // please send events after these seqs
	msgBatch                        // events answering a pull
	msgChallenge                    // prove you hold your device key (proof.go)
	msgProof                        // the answer to a challenge
)

// Bounds on what a decoder accepts.
const (
	maxMessage     = 8 << 20 // bytes in one message
	maxDevices     = 4096    // entries in a version vector
	maxBatchEvents = 10000   // events in one batch
	maxWindow      = 64      // batches sent for one pull
)

var errWire = fmt.Errorf("malformed mesh message: %w", lifeboat.ErrInvalid)

// state is a node's summary: who is speaking, what it holds and its clock.
type state struct {
	From   string
	Wall   int64 // sender's clock, Unix ms (clock skew is reported)
	Vector map[string]uint64
}

// pull asks a peer for the events of some devices after the given seqs.
type pull struct {
	From      string
	ID        uint64
	Have      map[string]uint64 // exactly the devices wanted, with the seq held
	MaxEvents uint32
	MaxBytes  uint32
	// Window is how many batches the peer may send in a row without
	// waiting to be asked again (pipelining: it reads the next while we
	// apply this one).
	Window uint32
}

// batch answers a pull: events in (device, seq) order, the sender's vector
// and whether more of the requested devices remain.
type batch struct {
	From   string
	ID     uint64
	Part   uint32 // 0, 1, ... within the request's window
	More   bool
	Vector map[string]uint64
	Events []lifeboat.Event
	Size   int // bytes of the body before compression (set by decodeBatch)

	// prepared is the store's PrepareRemote of Events, made as the batch
	// arrived (nil if it was not asked for, or could not be prepared).
	prepared lifeboat.PreparedBatch
}

func header(t msgType) []byte { return []byte{wireMagic, wireVersion, byte(t)} }

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendVector(b []byte, v map[string]uint64) []byte {
	devs := make([]string, 0, len(v))
	for d := range v {
		devs = append(devs, d)
	}
	sort.Strings(devs) // deterministic bytes
	b = binary.AppendUvarint(b, uint64(len(devs)))
	for _, d := range devs {
		b = appendStr(b, d)
		b = binary.AppendUvarint(b, v[d])
	}
	return b
}

func (m *state) encode() []byte {
	b := header(msgState)
	b = appendStr(b, m.From)
	b = binary.AppendVarint(b, m.Wall)
	return appendVector(b, m.Vector)
}

func (m *pull) encode() []byte {
	b := header(msgPull)
	b = appendStr(b, m.From)
	b = binary.AppendUvarint(b, m.ID)
	b = appendVector(b, m.Have)
	b = binary.AppendUvarint(b, uint64(m.MaxEvents))
	b = binary.AppendUvarint(b, uint64(m.MaxBytes))
	return binary.AppendUvarint(b, uint64(m.Window))
}

// encodeBatch encodes a batch whose events are already encoded (the server
// measures them to fit its byte budget).
// It returns the message and the size of its body before compression.
func encodeBatch(from string, id uint64, part uint32, more bool, vector map[string]uint64, events [][]byte) ([]byte, int) {
	n := 64 + 16*len(vector)
	for _, e := range events {
		n += len(e) + 4
	}
	b := make([]byte, 0, n)
	b = appendStr(b, from)
	b = binary.AppendUvarint(b, id)
	b = binary.AppendUvarint(b, uint64(part))
	if more {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendVector(b, vector)
	b = binary.AppendUvarint(b, uint64(len(events)))
	for _, e := range events {
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	msg := make([]byte, 3, 3+snappy.MaxEncodedLen(len(b)))
	copy(msg, header(msgBatch))
	return append(msg, snappy.Encode(msg[3:cap(msg)], b)...), len(b)
}

func (m *batch) encode() []byte {
	evs := make([][]byte, len(m.Events))
	for i := range m.Events {
		evs[i] = m.Events[i].Encode()
	}
	msg, _ := encodeBatch(m.From, m.ID, m.Part, m.More, m.Vector, evs)
	return msg
}

// reader decodes with bounds; the first failure sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", what, errWire)
	}
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(what string, max int) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(max) || n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail(what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) device(what string) string {
	s := r.bytes(what, lifeboat.MaxIDLen)
	if r.err == nil && len(s) == 0 {
		r.fail(what)
	}
	return string(s)
}

func (r *reader) vector() map[string]uint64 {
	n := r.uvarint("vector length")
	if r.err != nil {
		return nil
	}
	if n > maxDevices || n > uint64(len(r.b)/2) {
		r.fail("vector length")
		return nil
	}
	v := make(map[string]uint64, n)
	for range n {
		d := r.device("vector device")
		s := r.uvarint("vector seq")
		if r.err != nil {
			return nil
		}
		if _, dup := v[d]; dup || s > math.MaxInt64 {
			r.fail("vector entry")
			return nil
		}
		v[d] = s
	}
	return v
}

// done reports trailing bytes as an error: one message, one encoding.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	return r.err
}

// peekType checks the header and returns the message type.
func peekType(b []byte) (msgType, error) {
	if len(b) < 3 || b[0] != wireMagic {
		return 0, fmt.Errorf("header: %w", errWire)
	}
	if b[1] != wireVersion {
		return 0, fmt.Errorf("version %d: %w", b[1], errWire)
	}
	if len(b) > maxMessage {
		return 0, fmt.Errorf("%d bytes: %w", len(b), errWire)
	}
	t := msgType(b[2])
	if t < msgState || t > msgProof {
		return 0, fmt.Errorf("type %d: %w", t, errWire)
	}
	return t, nil
}

func openMsg(b []byte, want msgType) (*reader, error) {
	t, err := peekType(b)
	if err != nil {
		return nil, err
	}
	if t != want {
		return nil, fmt.Errorf("type %d, want %d: %w", t, want, errWire)
	}
	return &reader{b: b[3:]}, nil
}

func decodeState(b []byte) (state, error) {
	r, err := openMsg(b, msgState)
	if err != nil {
		return state{}, err
	}
	m := state{From: r.device("from"), Wall: r.varint("wall"), Vector: r.vector()}
	if err := r.done(); err != nil {
		return state{}, err
	}
	return m, nil
}

func decodePull(b []byte) (pull, error) {
	r, err := openMsg(b, msgPull)
	if err != nil {
		return pull{}, err
	}
	m := pull{From: r.device("from"), ID: r.uvarint("id"), Have: r.vector()}
	me, mb, w := r.uvarint("max events"), r.uvarint("max bytes"), r.uvarint("window")
	if err := r.done(); err != nil {
		return pull{}, err
	}
	if me == 0 || me > maxBatchEvents || mb == 0 || mb > maxMessage || w == 0 || w > maxWindow {
		return pull{}, fmt.Errorf("limits: %w", errWire)
	}
	m.MaxEvents, m.MaxBytes, m.Window = uint32(me), uint32(mb), uint32(w)
	return m, nil
}

// decodeBatch decodes a batch message; the batch's Size is its body
// before compression.
func decodeBatch(b []byte) (batch, error) {
	r, err := openMsg(b, msgBatch)
	if err != nil {
		return batch{}, err
	}
	// The size is checked before a byte is allocated for the body.
	size, err := snappy.DecodedLen(r.b)
	if err != nil || size > maxMessage {
		return batch{}, fmt.Errorf("batch body: %w", errWire)
	}
	body, err := snappy.Decode(make([]byte, size), r.b)
	if err != nil {
		return batch{}, fmt.Errorf("batch body: %w", errWire)
	}
	r.b = body
	m := batch{Size: len(body), From: r.device("from"), ID: r.uvarint("id")}
	if part := r.uvarint("part"); part < maxWindow {
		m.Part = uint32(part)
	} else {
		r.fail("part")
	}
	switch r.byte("more") {
	case 0:
	case 1:
		m.More = true
	default:
		r.fail("more")
	}
	m.Vector = r.vector()
	n := r.uvarint("event count")
	if r.err == nil && (n > maxBatchEvents || n > uint64(len(r.b))) {
		r.fail("event count")
	}
	if r.err != nil {
		return batch{}, r.err
	}
	m.Events = make([]lifeboat.Event, 0, n)
	for range n {
		p := r.bytes("event", maxMessage)
		if r.err != nil {
			return batch{}, r.err
		}
		e, err := lifeboat.DecodeEvent(p)
		if err != nil {
			return batch{}, errors.Join(fmt.Errorf("event: %w", errWire), err)
		}
		m.Events = append(m.Events, e)
	}
	if err := r.done(); err != nil {
		return batch{}, err
	}
	return m, nil
}
