package mesh

import (
	"fmt"
	"time"

	"lifeboat"
)

// Defaults for the correction-flood safeguard.
const (
	DefaultFloodLimit  = 100
	DefaultFloodWindow = 10 * time.Minute
)

// ErrFlood is the reason events are held back: one device sent more
// corrections or cancellations than a ward plausibly makes (a compromised
// or broken device could otherwise erase a ward's record at a stroke).
var ErrFlood = fmt.Errorf("a flood of corrections from one device is held for review: %w", lifeboat.ErrPermission)

// holdFloods removes from batch the events of any device that, counting
// these, made more than FloodLimit corrections within FloodWindow (by the
// events' clocks), from the first over the limit on: a device's log is a
// chain, so what follows it waits too. The device is then not pulled
// until Release. held is the first event held of each such device, for
// the store's quarantine (the rest are not kept: they are pulled again
// after Release). Called by the sync loop only.
func (n *Node) holdFloods(peer string, batch []lifeboat.Event) (out []lifeboat.Event, held []kept) {
	now := n.cfg.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	out = batch[:0:0]
	cut := map[string]bool{}
	for i := range batch {
		e := &batch[i]
		if _, held := n.s.held[e.Device]; held || cut[e.Device] {
			continue
		}
		if e.Corrects != "" && n.s.seq[e.Device] < e.Seq && e.Seq > n.s.exempt[e.Device] {
			at := time.UnixMilli(e.HLC.Wall)
			times := append(n.s.corrections[e.Device], at)
			for len(times) > 0 && at.Sub(times[0]) > n.cfg.FloodWindow {
				times = times[1:]
			}
			if len(times) > n.cfg.FloodLimit {
				cut[e.Device] = true
				n.s.held[e.Device] = ErrFlood.Error()
				held = append(held, kept{ev: *e, q: Quarantined{Peer: peer, At: now, Refusal: lifeboat.Refusal{
					ID: e.ID, Device: e.Device, Seq: e.Seq, Err: ErrFlood,
					Reason: fmt.Sprintf("%d corrections within %v, from seq %d on: %v", len(times), n.cfg.FloodWindow, e.Seq, ErrFlood)}}})
				n.log.Warn("holding a flood of corrections", "device", e.Device, "from_seq", e.Seq, "peer", peer)
				continue
			}
			n.s.corrections[e.Device] = times
		}
		if e.Seq > n.s.seq[e.Device] {
			n.s.seq[e.Device] = e.Seq
		}
		out = append(out, *e)
	}
	return out, held
}

// Release lets a device held for a flood of corrections be pulled again,
// after a person has reviewed it: the events peers hold for it now are
// accepted, and its corrections are counted afresh after them. The held
// event stays listed in the store's quarantine until an IT admin releases
// (it is then already in the log) or discards it; a restart holds the
// device again only while that event is not in the log.
//
// A device's chains (one per scope: lifeboat.ChainOf) are held apart;
// device names either one chain or the device, releasing all its chains.
func (n *Node) Release(device string) {
	n.mu.Lock()
	for chain := range n.s.held {
		if chain == device || lifeboat.DeviceOf(chain) == device {
			delete(n.s.held, chain)
			delete(n.s.corrections, chain)
			for _, p := range n.s.peers {
				n.s.exempt[chain] = max(n.s.exempt[chain], p.vec[chain])
			}
		}
	}
	n.mu.Unlock()
	(*events)(n).poke()
}
