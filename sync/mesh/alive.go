package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// alive is the node's memberlist.AliveDelegate: a peer is let in only if
// the site's device registry lists it, unrevoked, with the key its
// metadata names. Holding the site key is not enough (a lost device still
// holds it until the key is rotated).
type alive Node

var _ memberlist.AliveDelegate = (*alive)(nil)

// NotifyAlive refuses unknown, revoked or mismatched devices.
func (a *alive) NotifyAlive(peer *memberlist.Node) error {
	n := (*Node)(a)
	if peer.Name == n.self {
		return nil
	}
	p := memberOf(peer) // peer is memberlist's to rewrite once we return
	m, err := decodeMeta(p.Meta)
	if err != nil {
		return n.refusePeer(p, err)
	}
	if m.Device != p.Name {
		return n.refusePeer(p, fmt.Errorf("metadata names device %q: %w", m.Device, ErrKeyMismatch))
	}
	if err := n.admit(m.Device, m.Fingerprint); err != nil {
		// The registry may have just grown (an enrolment synced a moment
		// ago): read it again before refusing.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if rerr := n.refreshRegistryIfMoved(ctx, nil); rerr != nil {
			return n.refusePeer(p, rerr)
		}
		if err := n.admit(m.Device, m.Fingerprint); err != nil {
			return n.refusePeer(p, err)
		}
	}
	n.mu.Lock()
	delete(n.s.refusedPeers, p.Name)
	n.mu.Unlock()
	return nil
}

// refusePeer records why a peer was refused, and its address: if our
// registry later admits it (its enrolment reaches us after it did), the
// reconnect loop looks it up again rather than waiting for a third peer
// to mention it.
func (n *Node) refusePeer(peer member, err error) error {
	name := peer.Name
	n.mu.Lock()
	_, known := n.s.refusedPeers[name]
	n.s.refusedPeers[name] = err.Error()
	if _, ok := n.s.dead[name]; !ok {
		n.s.dead[name] = departed{addr: peer.address(), at: n.cfg.Now()}
	}
	n.mu.Unlock()
	if !known {
		n.log.Warn("refused a peer", "peer", name, "err", err)
	}
	return fmt.Errorf("refuse peer %s: %w", name, err)
}
