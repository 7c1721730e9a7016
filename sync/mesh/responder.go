package mesh

import (
	"context"
	"log/slog"
	"math"

	"lifeboat"
)

// serveLoop answers pull requests, one at a time, from admitted peers.
func (n *Node) serveLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-n.reqs:
			if err := n.answer(ctx, req); err != nil && ctx.Err() == nil {
				n.log.Warn("answer pull", "peer", req.From, "err", err)
			}
		}
	}
}

func (n *Node) answer(ctx context.Context, req pull) error {
	if err := n.admit(req.From, ""); err != nil {
		n.noise.log(n.log, slog.LevelDebug, req.From, "pull refused", "peer", req.From, "err", err)
		return nil // not a peer we serve
	}
	// Answered only at the address the peer proved itself at (even just
	// after a partition heals, before our membership says it is alive
	// again), never where the request says it came from.
	s, ok := n.provenSession(req.From)
	if !ok {
		return nil
	}
	to := s.peer()
	mine, err := n.st.VersionVector(ctx)
	if err != nil {
		return err
	}
	// Only the chains asked for (the others come from other peers), and
	// of those only the scopes the peer holds: a ward's records go to
	// that ward's devices, whatever a peer asks.
	n.mu.Lock()
	theirs := subscription(n.subs, req.From)
	n.mu.Unlock()
	have := make(map[string]uint64, len(mine))
	told := make(map[string]uint64) // the vector the batches carry: as a summary to this peer
	for d, seq := range mine {
		if h, ok := req.Have[d]; ok && theirs.Holds(lifeboat.ScopeOf(d)) {
			have[d] = h
		} else {
			have[d] = math.MaxUint64
		}
		if theirs.Holds(lifeboat.ScopeOf(d)) || lifeboat.DeviceOf(d) == req.From {
			told[d] = seq
		}
	}
	limit := min(int(req.MaxEvents), n.cfg.BatchEvents)
	budget := min(int(req.MaxBytes), n.cfg.BatchBytes)
	window := min(req.Window, uint32(n.cfg.Window))
	// Up to a window of batches in a row: the peer applies one while we
	// read the next.
	for part := range window {
		evs, err := n.st.EncodedAfter(ctx, have, limit)
		if err != nil {
			return err
		}
		var encs [][]byte
		size := 0
		for i := range evs {
			b := evs[i].Bytes
			if len(encs) > 0 && size+len(b) > budget {
				break
			}
			encs = append(encs, b)
			size += len(b)
			have[evs[i].Device] = evs[i].Seq
		}
		more := false
		for d := range req.Have {
			if h, ok := have[d]; ok && mine[d] > h {
				more = true
			}
		}
		msg, logical := encodeBatch(n.self, req.ID, part, more, told, encs)
		n.sendOr(to, msg, logical, nil)
		if !more {
			break
		}
	}
	return nil
}
