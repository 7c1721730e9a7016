package mesh

import (
	"context"
	"strings"

	"lifeboat"
)

// kept is an event for the store's quarantine, with its entry.
type kept struct {
	ev lifeboat.Event
	q  Quarantined
}

// quarantine hands refused or held events to the store, which keeps them
// across restarts, and refreshes the list Status shows.
func (n *Node) quarantine(ctx context.Context, ks []kept) {
	if len(ks) == 0 {
		return
	}
	for _, k := range ks {
		if err := n.st.Quarantine(ctx, k.ev, k.q.Peer, k.q.Reason); err != nil && ctx.Err() == nil {
			n.log.Warn("quarantine", "event", k.q.ID, "peer", k.q.Peer, "err", err)
		}
	}
	n.reloadQuarantine(ctx, ks)
}

// reloadQuarantine reads the store's quarantine into the sync state
// (its newest maxQuarantine), keeping the error kinds of refusals seen
// since start, which the store does not keep. If the store cannot be
// read, fresh is added to what was listed.
func (n *Node) reloadQuarantine(ctx context.Context, fresh []kept) {
	list, err := n.st.Quarantined(ctx)
	n.setQuarantine(ctx, list, err, fresh)
}

func (n *Node) setQuarantine(ctx context.Context, list []lifeboat.Quarantined, err error, fresh []kept) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("read quarantine", "err", err)
		}
		for _, k := range fresh {
			n.s.quarantine = append(n.s.quarantine, k.q)
			n.s.quarantined++
		}
		if len(n.s.quarantine) > maxQuarantine {
			n.s.quarantine = append([]Quarantined(nil), n.s.quarantine[len(n.s.quarantine)-maxQuarantine:]...)
		}
		return
	}
	kinds := map[string]error{}
	for _, q := range n.s.quarantine {
		if q.Err != nil {
			kinds[q.ID] = q.Err
		}
	}
	for _, k := range fresh {
		kinds[k.q.ID] = k.q.Err
	}
	n.s.quarantined = len(list)
	list = list[max(0, len(list)-maxQuarantine):]
	qs := make([]Quarantined, len(list))
	for i, q := range list {
		err := kinds[q.ID]
		switch {
		case err != nil:
		case isFlood(q.Reason):
			err = ErrFlood
		case lifeboat.ClockAheadReason(q.Reason):
			err = lifeboat.ErrClockAhead
		}
		qs[i] = Quarantined{Peer: q.Peer, At: q.At, Refusal: lifeboat.Refusal{ID: q.ID, Device: q.Device, Seq: q.Seq, Reason: q.Reason, Err: err}}
	}
	n.s.quarantine = qs
}

// restoreQuarantine loads the store's quarantine at start, and holds
// again the devices held for a flood whose held event is still not in
// the log (no person has released them). A quarantine that cannot be
// read is reported, not fatal: sync must go on.
func (n *Node) restoreQuarantine(ctx context.Context) {
	list, err := n.st.Quarantined(ctx)
	n.setQuarantine(ctx, list, err, nil)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, q := range list {
		if isFlood(q.Reason) && q.Seq > n.s.mine[q.Device] {
			n.s.held[q.Device] = ErrFlood.Error()
		}
	}
}

// isFlood reports whether a stored reason is a flood hold's.
func isFlood(reason string) bool { return strings.HasSuffix(reason, ErrFlood.Error()) }

// retryHeld has the store apply the events it holds for a clock far ahead
// once wall time has caught up with them (the store's commit then wakes
// the sync loop to reload its vector and quarantine).
func (n *Node) retryHeld(ctx context.Context) {
	res, err := n.st.RetryHeld(ctx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("retry events held for a clock far ahead", "err", err)
		}
		return
	}
	if res.Applied > 0 {
		n.log.Info("applied events held for a clock far ahead", "applied", res.Applied)
	}
}
