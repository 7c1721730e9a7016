package mesh

import (
	"sort"
	"time"

	"lifeboat"
)

// Status is a snapshot of a node's sync, for `lifeboat status` and a
// progress bar. It holds no patient data.
type Status struct {
	Device string
	Addr   string
	Peers  []PeerStatus
	// Vector is what this node holds: device -> highest contiguous seq.
	Vector map[string]uint64
	// ToReceive is how many events peers are known to hold that this node
	// lacks; Received is how many it has applied from peers since it
	// started. Progress follows both.
	ToReceive, Received uint64
	LastSync            time.Time // last batch applied, zero if none
	// Quarantined lists the newest events refused from peers or held for
	// a flood, each with its reason (never applied; kept in the store's
	// quarantine, across restarts, for a person to release or discard).
	// QuarantinedTotal is how many the store holds (Quarantined lists at
	// most the newest 1000). Err is set only for refusals seen since the
	// node started, for flood holds (ErrFlood) and for events held for a
	// clock far ahead (lifeboat.ErrClockAhead: applied by the store once
	// wall time catches up, or when an IT admin releases them).
	Quarantined      []Quarantined
	QuarantinedTotal int
	// RefusedPeers are devices the node would not admit, with why.
	RefusedPeers map[string]string
	// Held are devices whose further events are held back for review
	// (a flood of corrections), with why; see Node.Release.
	Held map[string]string
	// BytesSent and BytesReceived count the mesh's own messages (not
	// memberlist's gossip); EventBytes is the encoded size of the events
	// received, the least a sync could have moved.
	BytesSent, BytesReceived, EventBytes uint64
	// WireBytesSent and WireBytesReceived are the same messages as they
	// went over the network (batches compressed).
	WireBytesSent, WireBytesReceived uint64
	// KeyRotations are the site key rotations (after a revocation) and
	// how far the ward has got with each; Keys is how many site keys
	// memberlist holds now (1 once every rotation is done).
	KeyRotations []lifeboat.KeyRotation
	Keys         int
	// LogSuppressed counts the log lines misbehaving peers caused that
	// were not written (Config.NoiseInterval).
	LogSuppressed uint64
}

// PeerStatus is what a node knows of one live peer.
type PeerStatus struct {
	Device    string
	Addr      string
	LastHeard time.Time     // last summary or batch from it
	LastSync  time.Time     // last batch from it applied
	Ahead     uint64        // events it holds that we lack
	ClockSkew time.Duration // its clock minus ours, as last seen
	// SkewWarning is set when the skew exceeds ClockSkewLimit.
	SkewWarning bool
}

// Quarantined is an event a peer offered that the store refused.
type Quarantined struct {
	Peer string
	At   time.Time
	lifeboat.Refusal
}

// Progress is the share of the known backlog received, from 0 to 1 (1
// when nothing is owed).
func (s Status) Progress() float64 {
	if s.ToReceive == 0 {
		return 1
	}
	return float64(s.Received) / float64(s.Received+s.ToReceive)
}

// Synced reports whether no live peer holds anything this node lacks.
func (s Status) Synced() bool { return s.ToReceive == 0 }

// Status returns a snapshot; safe for concurrent use.
func (n *Node) Status() Status {
	live := n.live()
	unproven := map[string]string{}
	n.refusedProofs(unproven)
	n.mu.Lock()
	defer n.mu.Unlock()
	st := Status{Device: n.self, Addr: n.addr, Vector: copyVector(n.s.mine), Received: n.stats.received, LastSync: n.s.lastSync,
		Quarantined: append([]Quarantined(nil), n.s.quarantine...), QuarantinedTotal: n.s.quarantined, RefusedPeers: map[string]string{},
		BytesSent: n.stats.bytesSent, BytesReceived: n.stats.bytesRecv, EventBytes: n.stats.eventBytes,
		WireBytesSent: n.stats.wireSent, WireBytesReceived: n.stats.wireRecv,
		KeyRotations: n.s.keyRotations(), Keys: len(n.ring.GetKeys()), LogSuppressed: n.noise.total()}
	for k, v := range unproven {
		st.RefusedPeers[k] = v
	}
	for k, v := range n.s.refusedPeers {
		st.RefusedPeers[k] = v
	}
	st.Held = map[string]string{}
	for k, v := range n.s.held {
		st.Held[k] = v
	}
	best := map[string]uint64{}
	for name, m := range live {
		ps := PeerStatus{Device: name, Addr: m.address()}
		if p := n.s.peers[name]; p != nil {
			ps.LastHeard, ps.LastSync, ps.ClockSkew = p.heard, p.synced, p.skew
			ps.SkewWarning = abs(p.skew) > ClockSkewLimit
			for d, v := range p.vec {
				if v > n.s.mine[d] {
					ps.Ahead += v - n.s.mine[d]
				}
				best[d] = max(best[d], v)
			}
		}
		st.Peers = append(st.Peers, ps)
	}
	sort.Slice(st.Peers, func(i, j int) bool { return st.Peers[i].Device < st.Peers[j].Device })
	for d, v := range best {
		if _, held := n.s.held[d]; held {
			continue // not coming until released
		}
		if v > n.s.mine[d] {
			st.ToReceive += v - n.s.mine[d]
		}
	}
	return st
}
