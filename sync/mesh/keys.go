package mesh

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"lifeboat"
)

// refreshKeys moves this device along any site key rotation in the log
// (the store opens new keys sealed to it and records its steps) and makes
// memberlist's keyring match what the store says to use now: keys added
// for reading first, the primary switched, retired keys removed. Called
// at start, after every commit and on every tick; cheap when nothing
// changed.
//
// Site key changes are site-scope records: while the site's chains are
// as they were at the last call, or moved only by batches holding none of
// the records the keyring depends on (see keylessMove), and for at most
// keysRecheck, there is nothing new to act on, and the store is not asked
// (it reads every key record to decide).
func (n *Node) refreshKeys(ctx context.Context) {
	n.mu.Lock()
	var site uint64
	for chain, seq := range n.s.mine {
		if lifeboat.ScopeOf(chain) == lifeboat.ScopeSite {
			site += seq
		}
	}
	now := n.cfg.Now()
	same := n.s.keysAt == site && now.Sub(n.s.keysWhen) < keysRecheck && !n.s.keysWhen.IsZero()
	n.mu.Unlock()
	if same {
		return
	}
	st, err := n.st.AdvanceSiteKeys(ctx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("site key rotation", "err", err)
		}
		return
	}
	n.mu.Lock()
	n.s.rotations = st.Rotations
	n.s.keysAt, n.s.keysWhen = site, now
	if st.Changed {
		n.s.keysWhen = time.Time{} // our own steps: look again next time
	}
	n.mu.Unlock()
	n.installKeys(st.Ring)
}

// keylessMove reports whether every step the site's chains took from old
// to now is an event of evs (a batch just applied) that the keyring does
// not depend on. refreshKeys need not ask the store then: at hospital
// scale the site's chains move with every device's summary and key step,
// and the store reads every key record to decide.
func keylessMove(old, now map[string]uint64, evs []lifeboat.Event) bool {
	got := map[string]map[uint64]bool{}
	for i := range evs {
		e := &evs[i]
		if lifeboat.ScopeOf(e.Device) != lifeboat.ScopeSite {
			continue
		}
		if keyRecord(e.Kind) {
			return false
		}
		if got[e.Device] == nil {
			got[e.Device] = map[uint64]bool{}
		}
		got[e.Device][e.Seq] = true
	}
	for chain, seq := range now {
		if lifeboat.ScopeOf(chain) != lifeboat.ScopeSite || seq == old[chain] {
			continue
		}
		if seq < old[chain] {
			return false
		}
		for s := old[chain] + 1; s <= seq; s++ {
			if !got[chain][s] {
				return false // moved by something else (a local record, events held before)
			}
		}
	}
	for chain := range old {
		if _, ok := now[chain]; !ok && lifeboat.ScopeOf(chain) == lifeboat.ScopeSite {
			return false
		}
	}
	return true
}

// keyRecord reports whether AdvanceSiteKeys may act on records of this
// kind: the site keyring's (rotations, steps, shares), the devices' (who
// is enrolled or revoked, and their scopes) and the ward keys handed to
// them ("scope." kinds: the store hands ward keys on at the same call).
// Anything of those families counts, known or future.
func keyRecord(kind string) bool {
	return strings.HasPrefix(kind, "site.key") || strings.HasPrefix(kind, "device.") || strings.HasPrefix(kind, "scope.")
}

// keysRecheck is how long refreshKeys trusts an unchanged site scope.
const keysRecheck = 30 * time.Second

// installKeys sets memberlist's keyring to keys (primary first). Only
// counts are logged, never keys.
func (n *Node) installKeys(keys [][]byte) {
	if len(keys) == 0 {
		return
	}
	n.ringMu.Lock()
	defer n.ringMu.Unlock()
	ring := n.ring
	added, removed := 0, 0
	for _, k := range keys {
		if !slices.ContainsFunc(ring.GetKeys(), func(x []byte) bool { return bytes.Equal(x, k) }) {
			if err := ring.AddKey(k); err != nil {
				n.log.Warn("add site key", "err", err)
				return
			}
			added++
		}
	}
	switched := !bytes.Equal(ring.GetPrimaryKey(), keys[0])
	if switched {
		if err := ring.UseKey(keys[0]); err != nil {
			n.log.Warn("use site key", "err", err)
			return
		}
	}
	// GetKeys returns the ring's own slice, which RemoveKey rearranges.
	for _, k := range slices.Clone(ring.GetKeys()) {
		if !slices.ContainsFunc(keys, func(x []byte) bool { return bytes.Equal(x, k) }) {
			if err := ring.RemoveKey(k); err != nil {
				n.log.Warn("remove site key", "err", err)
				continue
			}
			removed++
		}
	}
	if added > 0 || switched || removed > 0 {
		n.log.Info("site keyring changed", "added", added, "primary_changed", switched, "removed", removed, "keys", len(keys))
	}
}

// Keyring returns a copy of the keys memberlist holds now, primary
// first (for tests and the device check; never log them).
func (n *Node) Keyring() [][]byte {
	// GetKeys returns the ring's own slice, which RemoveKey rewrites in
	// place: read it only while installKeys cannot run.
	n.ringMu.Lock()
	defer n.ringMu.Unlock()
	var out [][]byte
	for _, k := range n.ring.GetKeys() {
		out = append(out, bytes.Clone(k))
	}
	return out
}

// keyRotations is the status's copy of the rotations.
func (s *syncState) keyRotations() []lifeboat.KeyRotation {
	return append([]lifeboat.KeyRotation(nil), s.rotations...)
}
