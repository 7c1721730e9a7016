package mesh

import (
	"fmt"

	"lifeboat"
)

// meta is what a node advertises in memberlist's node metadata.
type meta struct {
	Device      string
	Fingerprint string // Fingerprint of the device's public key
}

const metaVersion = 1

func encodeMeta(m meta) []byte {
	b := []byte{metaVersion}
	b = appendStr(b, m.Device)
	return appendStr(b, m.Fingerprint)
}

func decodeMeta(b []byte) (meta, error) {
	if len(b) == 0 || b[0] != metaVersion {
		return meta{}, fmt.Errorf("node metadata: %w", errWire)
	}
	r := &reader{b: b[1:]}
	m := meta{Device: r.device("device"), Fingerprint: string(r.bytes("fingerprint", lifeboat.MaxIDLen))}
	if err := r.done(); err != nil {
		return meta{}, err
	}
	return m, nil
}
