package mesh

import (
	"hash/fnv"
	"math"
	"sort"
	"time"
)

// At hospital scale a device does not talk to every other. Each pair that
// talks costs a handshake each way (a signature and a check), summaries on
// every change and every reannounce, and a TCP connection for each: with
// 209 devices talking all to all that is 43,000 pairs, and the site never
// settles on two cores. So, beyond a small mesh, a device proves, tells
// and hears the peers it has a reason to:
//
//   - those sharing a scope with it beyond the site's: its ward's devices,
//     the pharmacy (every ward's medicines) and the relays (everything);
//   - randomPeers others, chosen by a hash of both names among the live
//     members (so a partition that takes them away picks others), which
//     keep the site scope flowing when the relays are out of reach;
//   - and those that chose it (they challenged it in their current
//     session), so that every choice is answered both ways.
//
// Relays and the pharmacy still talk to every device of their scopes; a
// ward device talks to about a dozen. Memberlist's own membership (every
// device knows every other, alive or dead) is unchanged.
const (
	// fullMesh: with this many members or fewer, every device talks to
	// every other (as before scopes; memberlist scales its push/pull
	// interval above the same size).
	fullMesh = 32
	// randomPeers is how many peers outside its scopes a device picks.
	randomPeers = 3
)

// neighbours returns the members as the handshake has them, and those
// of them this node talks to (see wanted): made again only when the
// members, proofs, choices or registry changed (every tick asks; at
// hospital scale, making them every time was a tenth of the CPU). Both
// maps are shared and must not be written.
func (n *Node) neighbours() (map[string]hsMember, map[string]bool) {
	members, gen := n.hs.snapshotGen()
	n.mu.Lock()
	at := [2]uint64{gen, n.s.regGen}
	c := n.s.nbrs
	n.mu.Unlock()
	if c.want != nil && c.at == at {
		return members, c.want
	}
	want := n.wanted(members)
	n.mu.Lock()
	n.s.nbrs = neighbourCache{at: at, want: want}
	n.mu.Unlock()
	return members, want
}

// neighbourCache is what neighbours last worked out, and from what.
type neighbourCache struct {
	at   [2]uint64 // handshake generation, registry generation
	want map[string]bool
}

// wanted returns the members (as the handshake has them) this node
// proves and tells its summary.
func (n *Node) wanted(members map[string]hsMember) map[string]bool {
	out := make(map[string]bool, len(members))
	if len(members)+1 <= fullMesh {
		for name := range members {
			out[name] = true
		}
		return out
	}
	n.mu.Lock()
	mine, subs := n.mySub, n.subs
	n.mu.Unlock()
	n.hs.mu.Lock()
	for name, s := range n.hs.chose {
		if m, ok := members[name]; ok && m.sess == s {
			out[name] = true
		}
	}
	n.hs.mu.Unlock()
	type ranked struct {
		name string
		rank uint64
	}
	var others []ranked
	for name := range members {
		if sharesBeyondSite(mine, subscription(subs, name)) {
			out[name] = true
		} else {
			others = append(others, ranked{name, pairRank(n.self, name)})
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].rank < others[j].rank })
	for _, o := range others[:min(randomPeers, len(others))] {
		out[o.name] = true
	}
	return out
}

// pairRank orders the peers a device might pick: the same for the same
// two names, different from device to device (so not every device picks
// the same few, nor asks the same peer first).
func pairRank(self, peer string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(self))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(peer))
	return h.Sum64()
}

// reannounceEvery is how often each peer is sent our summary again with
// no change to tell it: the PushPullInterval, scaled with the size of the
// mesh as memberlist scales its own push/pull (a summary lost on the way
// is made good; a change is told at once).
func reannounceEvery(interval time.Duration, members int) time.Duration {
	if interval <= 0 {
		interval = defaultPushPull
	}
	if members <= fullMesh {
		return interval
	}
	mult := math.Ceil(math.Log2(float64(members))-math.Log2(fullMesh)) + 1
	return time.Duration(mult) * interval
}
