package mesh

import (
	"fmt"

	"lifeboat"
)

// meta is what a node advertises in memberlist's node metadata.
type meta struct {
	Device      string
	Fingerprint string // Fingerprint of the device's public key
	Boot        string // bootLen random bytes, new each run: the session a proof holds for (see proof.go)
}

const metaVersion = 2 // 2: the boot ID

func encodeMeta(m meta) []byte {
	b := []byte{metaVersion}
	b = appendStr(b, m.Device)
	b = appendStr(b, m.Fingerprint)
	return appendStr(b, m.Boot)
}

func decodeMeta(b []byte) (meta, error) {
	if len(b) == 0 || b[0] != metaVersion {
		return meta{}, fmt.Errorf("node metadata: %w", errWire)
	}
	r := &reader{b: b[1:]}
	m := meta{Device: r.device("device"), Fingerprint: string(r.bytes("fingerprint", lifeboat.MaxIDLen)), Boot: string(r.bytes("boot", bootLen))}
	if r.err == nil && len(m.Boot) != bootLen {
		r.fail("boot")
	}
	if err := r.done(); err != nil {
		return meta{}, err
	}
	return m, nil
}
