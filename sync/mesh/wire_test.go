package mesh

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/golang/snappy"

	"lifeboat"
	"lifeboat/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/wire/*.bin")

// sampleMessages are the messages whose encodings are kept under
// testdata/wire: golden files, and the seeds of the fuzz tests.
func sampleMessages(tb testing.TB) map[string][]byte {
	dev := storetest.NewDevice(tb)
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	evs := []lifeboat.Event{
		dev.Next("author-1", "obs.recorded", "patient-1", []byte(`{"patient_id":"patient-1","resp_rate":14}`), at),
		dev.Next("author-1", "obs.recorded", "patient-1", []byte(`{"patient_id":"patient-1","resp_rate":18}`), at.Add(time.Minute)),
	}
	vec := map[string]uint64{"AAAAAAAA": 12, "BBBBBBBB": 3, dev.ID: 2}
	return map[string][]byte{
		"state.bin":       (&state{From: "AAAAAAAA", Wall: at.UnixMilli(), Vector: vec}).encode(),
		"state-empty.bin": (&state{From: "AAAAAAAA", Wall: -1, Vector: map[string]uint64{}}).encode(),
		"pull.bin":        (&pull{From: "BBBBBBBB", ID: 7, Have: map[string]uint64{"AAAAAAAA": 10, dev.ID: 0}, MaxEvents: 1000, MaxBytes: 1 << 20, Window: 4}).encode(),
		"batch.bin":       (&batch{From: "AAAAAAAA", ID: 7, Part: 2, More: true, Vector: vec, Events: evs}).encode(),
		"batch-empty.bin": (&batch{From: "AAAAAAAA", ID: 8, Vector: map[string]uint64{}, Events: []lifeboat.Event{}}).encode(),
		"meta.bin":        encodeMeta(meta{Device: "AAAAAAAA", Fingerprint: "0123456789abcdef", Boot: "0123456789abcdef"}),
		"challenge.bin":   sampleChallenge().encode(),
		"proof.bin":       sampleProof().encode(),
	}
}

// seeds returns the committed encodings (written with -update).
func seeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Join("testdata", "wire")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		for name, b := range sampleMessages(tb) {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds in %s (run go test -run TestWire -update): %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestWire_RoundTrip(t *testing.T) {
	for name, b := range sampleMessages(t) {
		t.Run(name, func(t *testing.T) {
			var again []byte
			switch name {
			case "state.bin", "state-empty.bin":
				m, err := decodeState(b)
				if err != nil {
					t.Fatal(err)
				}
				again = m.encode()
			case "pull.bin":
				m, err := decodePull(b)
				if err != nil {
					t.Fatal(err)
				}
				again = m.encode()
			case "batch.bin", "batch-empty.bin":
				m, err := decodeBatch(b)
				if err != nil {
					t.Fatal(err)
				}
				for i := range m.Events {
					if m.Events[i].VerifySig(nil) {
						t.Fatal("VerifySig(nil) = true")
					}
				}
				again = m.encode()
			case "meta.bin":
				m, err := decodeMeta(b)
				if err != nil {
					t.Fatal(err)
				}
				again = encodeMeta(m)
			case "challenge.bin":
				m, err := decodeChallenge(b)
				if err != nil {
					t.Fatal(err)
				}
				again = m.encode()
			case "proof.bin":
				m, err := decodeProof(b)
				if err != nil {
					t.Fatal(err)
				}
				again = m.encode()
			}
			if !bytes.Equal(again, b) {
				t.Errorf("encode(decode(x)) = %x, want %x", again, b)
			}
		})
	}
}

// memberlist reuses a message's bytes once NotifyMsg returns, so a
// decoded batch must not share them.
func TestWire_DecodeBatchCopies(t *testing.T) {
	b := sampleMessages(t)["batch.bin"]
	want, err := decodeBatch(bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xFF
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeBatch result changed with its input: %+v, want %+v", got, want)
	}
}

func TestWire_GoldenDecodes(t *testing.T) {
	for name, b := range seeds(t) {
		if _, err := decodeAny(b); err != nil {
			t.Errorf("decode %s: %v", name, err)
		}
	}
}

func TestWire_RefusesMalformed(t *testing.T) {
	good := (&pull{From: "BBBBBBBB", ID: 1, Have: map[string]uint64{"AAAAAAAA": 1}, MaxEvents: 10, MaxBytes: 100, Window: 1}).encode()
	cases := map[string][]byte{
		"empty":          nil,
		"wrong magic":    append([]byte{0}, good[1:]...),
		"future version": append([]byte{wireMagic, 9}, good[2:]...),
		"unknown type":   append([]byte{wireMagic, wireVersion, 99}, good[3:]...),
		"truncated":      good[:len(good)-1],
		"trailing":       append(append([]byte(nil), good...), 0),
		"zero limits":    (&pull{From: "BBBBBBBB", ID: 1, Have: map[string]uint64{}}).encode(),
		"empty sender":   (&state{Vector: map[string]uint64{}}).encode(),
		"huge vector":    append([]byte{wireMagic, wireVersion, byte(msgState), 1, 'A', 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, make([]byte, 16)...),
		"huge count":     rawBatch(append([]byte{1, 'A', 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, make([]byte, 16)...)),
		"bad event":      rawBatch([]byte{1, 'A', 1, 0, 0, 0, 1, 3, 'x', 'y', 'z'}),
		"more not bool":  rawBatch([]byte{1, 'A', 1, 0, 2, 0, 0}),
		"part too big":   rawBatch([]byte{1, 'A', 1, 99, 0, 0, 0}),
		"not snappy":     []byte{wireMagic, wireVersion, byte(msgBatch), 0x05, 0xff, 0xff},
		"body too big":   append([]byte{wireMagic, wireVersion, byte(msgBatch)}, binary.AppendUvarint(nil, maxMessage+1)...),
		"uncompressed":   []byte{wireMagic, wireVersion, byte(msgBatch), 1, 'A', 1, 0, 0, 0, 0},
		"zero window":    (&pull{From: "BBBBBBBB", ID: 1, Have: map[string]uint64{}, MaxEvents: 10, MaxBytes: 100}).encode(),
		"short boot":     (&challenge{From: "AAAAAAAA", To: "BBBBBBBB", ToBoot: "short"}).encode(),
		"short nonce":    sampleChallenge().encode()[:len(sampleChallenge().encode())-1],
		"short sig":      sampleProof().encode()[:len(sampleProof().encode())-1],
		"proof trailing": append(sampleProof().encode(), 0),
		"proof no to":    (&proof{From: "BBBBBBBB"}).encode(),
		"meta no boot":   append([]byte{metaVersion}, appendStr(appendStr(nil, "AAAAAAAA"), "0123456789abcdef")...),
	}
	for name, b := range cases {
		if m, err := decodeAny(b); err == nil {
			t.Errorf("%s: decode = %+v, want an error", name, m)
		}
	}
}

// rawBatch makes a batch message around a hand-made body.
func rawBatch(body []byte) []byte {
	return append([]byte{wireMagic, wireVersion, byte(msgBatch)}, snappy.Encode(nil, body)...)
}

// decodeAny decodes any mesh message or node metadata.
func decodeAny(b []byte) (any, error) {
	if len(b) > 0 && b[0] == metaVersion {
		return decodeMeta(b)
	}
	t, err := peekType(b)
	if err != nil {
		return nil, err
	}
	switch t {
	case msgState:
		return decodeState(b)
	case msgPull:
		return decodePull(b)
	case msgChallenge:
		return decodeChallenge(b)
	case msgProof:
		return decodeProof(b)
	default:
		return decodeBatch(b)
	}
}

func addSeeds(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
}

func FuzzDecodeState(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeState(b)
		if err != nil {
			return
		}
		m2, err := decodeState(m.encode())
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, m2, err)
		}
	})
}

func FuzzDecodePull(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodePull(b)
		if err != nil {
			return
		}
		m2, err := decodePull(m.encode())
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, m2, err)
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeBatch(b)
		if err != nil {
			return
		}
		enc := m.encode()
		m2, err := decodeBatch(enc)
		if err != nil || !bytes.Equal(m2.encode(), enc) {
			t.Fatalf("decode(encode(x)) differs: %v", err)
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		if m2, err := decodeMeta(encodeMeta(m)); err != nil || m2 != m {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, m2, err)
		}
	})
}
