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
	m, err := decodeMeta(peer.Meta)
	if err != nil {
		return n.refusePeer(peer.Name, err)
	}
	if m.Device != peer.Name {
		return n.refusePeer(peer.Name, fmt.Errorf("metadata names device %q: %w", m.Device, ErrKeyMismatch))
	}
	if err := n.admit(m.Device, m.Fingerprint); err != nil {
		// The registry may have just grown (an enrolment synced a moment
		// ago): read it again before refusing.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if rerr := n.refreshRegistry(ctx); rerr != nil {
			return n.refusePeer(peer.Name, rerr)
		}
		if err := n.admit(m.Device, m.Fingerprint); err != nil {
			return n.refusePeer(peer.Name, err)
		}
	}
	n.mu.Lock()
	delete(n.s.refusedPeers, peer.Name)
	n.mu.Unlock()
	return nil
}

func (n *Node) refusePeer(name string, err error) error {
	n.mu.Lock()
	_, known := n.s.refusedPeers[name]
	n.s.refusedPeers[name] = err.Error()
	n.mu.Unlock()
	if !known {
		n.log.Warn("refused a peer", "peer", name, "err", err)
	}
	return fmt.Errorf("refuse peer %s: %w", name, err)
}
