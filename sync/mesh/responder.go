package mesh

import (
	"context"
	"log/slog"
	"math"
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
	to, ok := n.member(req.From)
	if !ok {
		// Just after a partition heals, a peer may be back in touch with
		// us before our membership says it is alive again: answer it at
		// its last known address rather than leave it waiting.
		n.mu.Lock()
		to, ok = n.s.addrs[req.From]
		n.mu.Unlock()
		if !ok {
			n.log.Debug("pull from an unknown address", "peer", req.From)
			return nil
		}
	}
	mine, err := n.st.VersionVector(ctx)
	if err != nil {
		return err
	}
	// Only the devices asked for: the others come from other peers.
	have := make(map[string]uint64, len(mine))
	for d := range mine {
		if h, ok := req.Have[d]; ok {
			have[d] = h
		} else {
			have[d] = math.MaxUint64
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
			if mine[d] > have[d] {
				more = true
			}
		}
		msg, logical := encodeBatch(n.self, req.ID, part, more, mine, encs)
		n.sendOr(to, msg, logical, nil)
		if !more {
			break
		}
	}
	return nil
}
