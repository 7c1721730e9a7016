package mesh

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ChainState says, for a test's stall report, what this node knows of
// one chain: its own seq, who it heard holds more, whether it counts the
// chain owed, which peer a pull for it waits on, and the backoffs.
func (n *Node) ChainState(chain string) string {
	live := n.live()
	members, want := n.neighbours()
	n.mu.Lock()
	defer n.mu.Unlock()
	var b strings.Builder
	_, owed := n.s.owed[chain]
	fmt.Fprintf(&b, "mine %d, owed %v, busy %q, held %q, members %d; holders:", n.s.mine[chain], owed, n.s.busy[chain], n.s.held[chain], len(members))
	var names []string
	for name := range n.s.holders[chain] {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := n.s.peers[name]
		_, isLive := live[name]
		fmt.Fprintf(&b, " %s=%d(live %v want %v", name, n.s.holders[chain][name], isLive, want[name])
		if p != nil {
			if p.inflight != nil {
				fmt.Fprintf(&b, " inflight %v ago", time.Since(p.inflight.sent).Round(time.Millisecond))
			}
			if bo := p.backoff[chain]; !bo.IsZero() {
				fmt.Fprintf(&b, " backoff %v", time.Until(bo).Round(time.Millisecond))
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// HandshakeState counts, for a test's stall report, the members this
// node knows, those proven, those it waits on a proof from (and the
// oldest wait), those that chose it, and deferred and failed proofs.
func (n *Node) HandshakeState() string {
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	spent, oldest := 0, time.Duration(0)
	for _, c := range n.hs.pending {
		if c.spent {
			spent++
		}
		oldest = max(oldest, time.Since(c.sent))
	}
	return fmt.Sprintf("handshake: members %d, proven %d, pending %d (%d answered, oldest %v), chose %d, deferred %d, failed %d",
		len(n.hs.members), len(n.hs.proven), len(n.hs.pending), spent, oldest.Round(time.Millisecond), len(n.hs.chose), len(n.hs.deferred), len(n.hs.failed))
}
