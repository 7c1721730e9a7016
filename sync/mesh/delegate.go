package mesh

import (
	"log/slog"
	"time"

	"github.com/hashicorp/memberlist"

	"lifeboat"
)

// delegate is the node's memberlist.Delegate: node metadata, the mesh's
// own messages and the push/pull summary. Memberlist calls it from its
// own goroutines, so it only decodes and queues; the loops do the work.
type delegate Node

var _ memberlist.Delegate = (*delegate)(nil)

// NodeMeta carries the device ID and key fingerprint (see meta).
func (d *delegate) NodeMeta(limit int) []byte {
	b := encodeMeta(meta{Device: d.self, Fingerprint: d.fp, Boot: d.boot})
	if len(b) > limit {
		return nil
	}
	return b
}

// NotifyMsg receives a mesh message over memberlist's reliable channel.
func (d *delegate) NotifyMsg(b []byte) {
	n := (*Node)(d)
	n.mu.Lock()
	n.stats.wireRecv += uint64(len(b))
	n.mu.Unlock()
	t, err := peekType(b)
	logical := len(b)
	defer func() {
		n.mu.Lock()
		n.stats.bytesRecv += uint64(logical)
		n.mu.Unlock()
	}()
	if err != nil {
		n.noise.log(n.log, slog.LevelDebug, "undecodable", "refused a message", "err", err)
		return
	}
	switch t {
	case msgChallenge:
		if m, err := decodeChallenge(b); err == nil {
			n.onChallenge(m)
		}
	case msgProof:
		if m, err := decodeProof(b); err == nil {
			n.onProof(m)
		}
	case msgPull:
		m, err := decodePull(b)
		if err != nil {
			n.noise.log(n.log, slog.LevelDebug, "undecodable", "refused a pull request", "err", err)
			return
		}
		if _, ok := n.provenSession(m.From); !ok {
			n.chosenBy(m.From)
			return // not a proven peer: no answer
		}
		select {
		case n.reqs <- m:
		default:
			n.drop()
		}
	case msgState:
		m, err := decodeState(b)
		if err != nil {
			n.noise.log(n.log, slog.LevelDebug, "undecodable", "refused a state message", "err", err)
			return
		}
		if !n.acceptState(m.From) {
			n.chosenBy(m.From)
			return
		}
		n.queue(inbound{st: &m}, false)
	case msgBatch:
		// b is reused after we return: decodeBatch copies what it keeps.
		m, err := decodeBatch(b)
		if err != nil {
			n.noise.log(n.log, slog.LevelDebug, "undecodable", "refused a batch", "err", err)
			return
		}
		logical = m.Size + 3
		if _, ok := n.provenSession(m.From); !ok {
			return // only answers to our pulls, which only proven peers see
		}
		// Prepare it here, on memberlist's goroutine for this stream,
		// while the sync loop writes the batch before it; only batches we
		// are waiting for (others are dropped by onBatch anyway).
		if n.awaited(m.From, m.ID) {
			if p, err := n.st.PrepareRemote(m.Events); err == nil {
				m.prepared = p
			}
		}
		n.queue(inbound{b: &m}, true)
	}
}

// queue hands a message to the sync loop. Batches wait for room (this is
// a TCP handler goroutine, and a lost batch costs a timeout); summaries
// are dropped when the loop is busy, since a newer one will follow.
func (n *Node) queue(in inbound, wait bool) {
	if !wait {
		select {
		case n.inbox <- in:
		default:
			n.drop()
		}
		return
	}
	t := time.NewTimer(n.cfg.RequestTimeout)
	defer t.Stop()
	select {
	case n.inbox <- in:
	case <-n.quit:
	case <-t.C:
		n.drop()
	}
}

func (n *Node) drop() {
	n.mu.Lock()
	n.stats.dropped++
	n.mu.Unlock()
}

// GetBroadcasts returns nothing: data never rides in gossip.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// LocalState sends nothing: memberlist's push/pull does not say to whom,
// and a peer not proven is told nothing (not even our version vector).
// Summaries go to proven peers only, when one is proven, on every change
// and every PushPullInterval (see announce).
func (d *delegate) LocalState(join bool) []byte { return nil }

// MergeRemoteState takes a peer's summary from a push/pull (none come
// from this version, but one from a proven peer is still good).
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	n := (*Node)(d)
	m, err := decodeState(buf)
	if err != nil {
		n.noise.log(n.log, slog.LevelDebug, "undecodable", "refused a push/pull summary", "err", err)
		return
	}
	if !n.acceptState(m.From) {
		return // the first push/pull comes before the proof; ours follows it
	}
	n.queue(inbound{st: &m}, false)
}

// summary is what this node tells peer it holds: the chains of the
// scopes the peer holds (the rest it would never ask for), and the peer's
// own chains wherever they are (so a restored peer learns how far its
// chains went). At hospital scale this keeps each summary to a ward's
// devices and the site's, not every device's every chain.
func (n *Node) summary(peer string) *state {
	n.mu.Lock()
	defer n.mu.Unlock()
	their := subscription(n.subs, peer)
	v := make(map[string]uint64, len(n.s.mine))
	for chain, seq := range n.s.mine {
		if their.Holds(lifeboat.ScopeOf(chain)) || lifeboat.DeviceOf(chain) == peer {
			v[chain] = seq
		}
	}
	return &state{From: n.self, Wall: n.cfg.Now().UnixMilli(), Vector: v}
}

func copyVector(v map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(v))
	for k, s := range v {
		out[k] = s
	}
	return out
}
