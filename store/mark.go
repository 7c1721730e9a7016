package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"sync"

	"lifeboat"
)

// The high-water mark is a small file beside the database (<store>.hwm)
// holding the highest seq of its own device the store has committed. It
// is written after each commit, outside SQLite: a WAL whose tail is lost
// (a flipped byte makes SQLite drop every frame from there on, silently)
// then opens with a head below the mark, and the store says how many of
// its records were lost instead of reusing their seq numbers.
//
// The file holds two 64-byte slots written alternately, each with a
// generation and a CRC, so a write torn by a crash leaves the other slot,
// which is never above the database's head (commit first, then mark).

// MarkSuffix names the high-water-mark file: the store's path plus this.
const MarkSuffix = ".hwm"

const markSlot = 64

var markMagic = [8]byte{'L', 'B', 'H', 'W', 'M', '1', 0, 0}

// maxMarkDevice bounds the device ID a slot holds (IDs are 8 characters).
const maxMarkDevice = 23

// Mark is one slot of the high-water-mark file.
type Mark struct {
	Device string // the store's own device
	Seq    uint64 // its highest seq committed
	Gen    uint64 // slot generation: the higher valid one is current
}

// encode returns the slot's 64 bytes.
func (m Mark) encode() []byte {
	b := make([]byte, markSlot)
	copy(b, markMagic[:])
	b[8] = byte(len(m.Device))
	copy(b[9:9+maxMarkDevice], m.Device)
	binary.BigEndian.PutUint64(b[32:], m.Seq)
	binary.BigEndian.PutUint64(b[40:], m.Gen)
	binary.BigEndian.PutUint32(b[60:], crc32.Checksum(b[:60], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// decodeMark parses one slot. It accepts only what encode makes.
func decodeMark(b []byte) (Mark, error) {
	if len(b) != markSlot {
		return Mark{}, fmt.Errorf("decode mark: %d bytes: %w", len(b), lifeboat.ErrCorrupt)
	}
	if !bytes.Equal(b[:8], markMagic[:]) {
		return Mark{}, fmt.Errorf("decode mark: bad magic: %w", lifeboat.ErrCorrupt)
	}
	if crc32.Checksum(b[:60], crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(b[60:]) {
		return Mark{}, fmt.Errorf("decode mark: checksum: %w", lifeboat.ErrCorrupt)
	}
	n := int(b[8])
	if n == 0 || n > maxMarkDevice {
		return Mark{}, fmt.Errorf("decode mark: device length %d: %w", n, lifeboat.ErrCorrupt)
	}
	if !bytes.Equal(b[9+n:32], make([]byte, 32-9-n)) || !bytes.Equal(b[48:60], make([]byte, 12)) {
		return Mark{}, fmt.Errorf("decode mark: padding: %w", lifeboat.ErrCorrupt)
	}
	m := Mark{Device: string(b[9 : 9+n]), Seq: binary.BigEndian.Uint64(b[32:]), Gen: binary.BigEndian.Uint64(b[40:])}
	if bytes.IndexByte(b[9:9+n], 0) >= 0 {
		return Mark{}, fmt.Errorf("decode mark: device: %w", lifeboat.ErrCorrupt)
	}
	return m, nil
}

// DecodeMarkFile returns the current slot of a high-water-mark file's
// contents: the valid slot with the higher generation. It fails with
// ErrCorrupt if neither slot is valid.
func DecodeMarkFile(b []byte) (Mark, error) {
	if len(b) != 2*markSlot {
		return Mark{}, fmt.Errorf("decode mark file: %d bytes: %w", len(b), lifeboat.ErrCorrupt)
	}
	m0, err0 := decodeMark(b[:markSlot])
	m1, err1 := decodeMark(b[markSlot:])
	switch {
	case err0 != nil && err1 != nil:
		return Mark{}, err0
	case err1 != nil || (err0 == nil && m0.Gen > m1.Gen):
		return m0, nil
	}
	return m1, nil
}

// ReadMark reads the high-water mark kept beside the store at path;
// fs.ErrNotExist if there is none.
func ReadMark(path string) (Mark, error) {
	b, err := os.ReadFile(path + MarkSuffix)
	if err != nil {
		return Mark{}, fmt.Errorf("read mark: %w", err)
	}
	return DecodeMarkFile(b)
}

// marker keeps the mark file open and raises it after commits.
type marker struct {
	mu sync.Mutex
	f  *os.File
	m  Mark
}

// openMarker opens (or creates) the mark file at path, starting from
// cur (what the file holds, or the store's head if it held nothing
// usable).
func openMarker(path string, cur Mark, fresh bool) (*marker, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open mark: %w", err)
	}
	w := &marker{f: f, m: cur}
	if fresh {
		// Both slots, so the file is whole from the start.
		cur.Gen = 2
		b := append(Mark{Device: cur.Device, Seq: cur.Seq, Gen: 1}.encode(), cur.encode()...)
		if _, err := f.WriteAt(b, 0); err == nil {
			err = f.Truncate(2 * markSlot)
		}
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("write mark: %w", err)
		}
		w.m = cur
	}
	return w, nil
}

// raise records seq durably if it is above the mark (never lowers it).
func (w *marker) raise(device string, seq uint64) error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil || (device == w.m.Device && seq <= w.m.Seq) {
		return nil
	}
	next := Mark{Device: device, Seq: seq, Gen: w.m.Gen + 1}
	if _, err := w.f.WriteAt(next.encode(), int64(next.Gen%2)*markSlot); err != nil {
		return fmt.Errorf("write mark: %w", err)
	}
	if err := syncData(w.f); err != nil {
		return fmt.Errorf("write mark: %w", err)
	}
	w.m = next
	return nil
}

func (w *marker) close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// isNotExist reports a missing file.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
