package mesh

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"

	"lifeboat"
)

// syncState is the sync loop's view of its peers; guarded by Node.mu.
type syncState struct {
	keysState
	regAt  uint64 // siteSum(mine) when the registry was last read
	regGen uint64 // counts registry reads (see neighbours)
	nbrs   neighbourCache
	liveC  liveCache
	mine   map[string]uint64 // our version vector
	peers  map[string]*peerState
	// holders is the peers' vectors turned round: chain -> peer -> seq
	// it said it holds. owed are the chains some peer said it holds more
	// of than we do (and maybe a few no longer, pruned by plan): plan
	// looks only at these, not at every chain of every peer.
	holders map[string]map[string]uint64
	owed    map[string]struct{}
	// dirty are the chains of ours that moved since the last announce.
	dirty        map[string]struct{}
	ranks        map[string]uint64 // peer -> pairRank(self, peer), as computed
	busy         map[string]string // device -> peer a pull for it is waiting on
	joined       bool
	lastSync     time.Time
	quarantine   []Quarantined          // the newest of the store's quarantine
	quarantined  int                    // how many events the store's quarantine holds
	refusedPeers map[string]string      // peer -> why the alive delegate refused it
	dead         map[string]departed    // peers that left or were declared dead
	live         map[string]member      // members not dead or left (incl. us), as the event delegate told
	liveGen      uint64                 // counts changes to live
	held         map[string]string      // device -> why its events are held back
	corrections  map[string][]time.Time // device -> clocks of its recent corrections
	seq          map[string]uint64      // device -> highest seq counted for floods
	exempt       map[string]uint64      // device -> seqs up to this released by a person
	reconnecting bool
	lastRejoin   time.Time
	rotations    []lifeboat.KeyRotation // site key rotations, as last read
}

// keysState is what refreshKeys last saw (see there).
type keysState struct {
	keysAt   uint64    // the sum of the site scope's chains
	keysWhen time.Time // when
}

type peerState struct {
	vec      map[string]uint64
	heard    time.Time
	synced   time.Time
	skew     time.Duration
	inflight *request
	backoff  map[string]time.Time // chain -> not before (time.Now: elapsed time, not cfg.Now)
	// told is when our summary was last sent to it (time.Now); retell,
	// that it is owed one at the next tick (a send failed, or a change
	// came too soon after the last).
	told   time.Time
	retell bool
	queued bool // a summary to it waits to go out (see tell)
	// ownSeen: the store has been told how far this peer holds our own
	// chains; told again only when it holds more of them than we do.
	ownSeen bool
}

type departed struct {
	addr string
	at   time.Time
}

// forgetDeparted is how long the node keeps looking for a peer that left
// or was lost: longer than any downtime a ward is expected to ride out.
const forgetDeparted = 72 * time.Hour

type request struct {
	id     uint64
	have   map[string]uint64
	sent   time.Time // or the last batch received for it (time.Now: elapsed time, never cfg.Now, which a test or a device may hold still)
	window uint32
	parts  uint32 // batches received
	last   int64  // Part of the batch that said no more, -1 until seen
}

// rejoinAtOnce is how many peers declared dead reconnect tries a round.
const rejoinAtOnce = 4

// maxQuarantine bounds the refusals Status lists (the newest are kept;
// the store keeps more).
const maxQuarantine = 1000

func newSyncState() syncState {
	return syncState{mine: map[string]uint64{}, peers: map[string]*peerState{}, busy: map[string]string{},
		holders: map[string]map[string]uint64{}, owed: map[string]struct{}{}, dirty: map[string]struct{}{}, ranks: map[string]uint64{}, refusedPeers: map[string]string{}, dead: map[string]departed{}, live: map[string]member{},
		held: map[string]string{}, corrections: map[string][]time.Time{}, seq: map[string]uint64{}, exempt: map[string]uint64{}}
}

func (s *syncState) peer(name string) *peerState {
	p := s.peers[name]
	if p == nil {
		p = &peerState{vec: map[string]uint64{}, backoff: map[string]time.Time{}}
		s.peers[name] = p
	}
	return p
}

// learn raises peer's vector to v (vectors only grow; summaries may
// arrive out of order), keeping holders and owed in step.
func (s *syncState) learn(name string, p *peerState, v map[string]uint64) {
	for chain, seq := range v {
		if seq <= p.vec[chain] {
			continue
		}
		p.vec[chain] = seq
		h := s.holders[chain]
		if h == nil {
			h = map[string]uint64{}
			s.holders[chain] = h
		}
		h[name] = seq
		if seq > s.mine[chain] {
			s.owed[chain] = struct{}{}
		}
	}
}

// setMine replaces our vector, noting the chains that moved (announced
// next) and any that went back (a revocation's cut: owed again if a
// peer holds more).
func (s *syncState) setMine(v map[string]uint64) {
	for chain, seq := range v {
		if old := s.mine[chain]; seq != old {
			s.dirty[chain] = struct{}{}
			if seq < old {
				s.owed[chain] = struct{}{}
			}
		}
	}
	for chain := range s.mine {
		if _, ok := v[chain]; !ok {
			s.dirty[chain] = struct{}{}
			s.owed[chain] = struct{}{}
		}
	}
	s.mine = v
}

// reindex recomputes owed from every peer's vector.
func (s *syncState) reindex() {
	for chain, h := range s.holders {
		for _, seq := range h {
			if seq > s.mine[chain] {
				s.owed[chain] = struct{}{}
				break
			}
		}
	}
}

// rank is pairRank(self, peer), remembered.
func (s *syncState) rank(self, peer string) uint64 {
	r, ok := s.ranks[peer]
	if !ok {
		r = pairRank(self, peer)
		s.ranks[peer] = r
	}
	return r
}

func (s *syncState) clear(name string, p *peerState) {
	if p.inflight == nil {
		return
	}
	for d := range p.inflight.have {
		if s.busy[d] == name {
			delete(s.busy, d)
		}
	}
	p.inflight = nil
}

// syncLoop owns pulling and announcing. It is the only writer of the
// sync state besides the delegates' refusals.
func (n *Node) syncLoop(ctx context.Context, changed <-chan struct{}) {
	n.loadMine(ctx)
	n.refreshKeys(ctx)
	n.tryJoin()
	n.challengePeers()
	tick := time.NewTicker(n.cfg.SyncInterval)
	defer tick.Stop()
	var announce *time.Timer
	var announceC <-chan time.Time
	debounce := func() {
		if announce == nil {
			announce = time.NewTimer(n.cfg.AnnounceDelay)
			announceC = announce.C
		}
	}
	defer func() {
		if announce != nil {
			announce.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			n.loadMine(ctx)
			if err := n.refreshRegistryIfMoved(ctx, nil); err != nil && ctx.Err() == nil {
				n.log.Warn("registry", "err", err)
			}
			n.reloadQuarantine(ctx, nil) // a person may have released or discarded some
			n.refreshKeys(ctx)
			debounce()
			n.plan()
		case <-announceC:
			announce, announceC = nil, nil
			n.announce(false)
		case <-n.memb:
			n.challengePeers()
			debounce()
			n.plan()
		case in := <-n.inbox:
			switch {
			case in.st != nil:
				n.onState(ctx, in.st)
			case in.b != nil:
				n.onBatch(ctx, in.b)
			case in.failed != nil:
				n.mu.Lock()
				if p := n.s.peers[in.failed.peer]; p != nil && p.inflight != nil && p.inflight.id == in.failed.id {
					n.s.clear(in.failed.peer, p)
				}
				n.mu.Unlock()
			}
			n.plan()
		case <-tick.C:
			n.retryHeld(ctx)
			n.noise.flush(false)
			n.refreshKeys(ctx)
			n.tryJoin()
			n.challengePeers()
			n.announce(true)
			n.reconnect()
			n.expire()
			n.plan()
		}
	}
}

func (n *Node) loadMine(ctx context.Context) {
	v, err := n.st.VersionVector(ctx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("read version vector", "err", err)
		}
		return
	}
	n.mu.Lock()
	n.s.setMine(v)
	n.mu.Unlock()
}

func (n *Node) tryJoin() {
	n.mu.Lock()
	joined := n.s.joined
	n.mu.Unlock()
	if joined || len(n.cfg.Join) == 0 {
		return
	}
	if k, err := n.ml.Join(n.cfg.Join); err != nil || k == 0 {
		n.log.Debug("join", "err", err)
		return
	}
	n.mu.Lock()
	n.s.joined = true
	n.mu.Unlock()
}

// announce sends our summary to the live, proven peers we talk to (see
// wanted). After a change (periodic false), to those whose summary
// changed: a chain moved of a scope they hold, or of their own. Our
// ward's devices, the pharmacy and the relays hear at once (or at the
// next tick, if told less than a SyncInterval ago); the relays pass a
// site change on to everyone (their own summaries change). At a tick
// (periodic), to those not told for a reannounce interval (a lost
// summary is made good), those a send to failed and those kept waiting.
func (n *Node) announce(periodic bool) {
	live := n.live()
	members, want := n.neighbours()
	every := reannounceEvery(n.cfg.PushPullInterval, len(members)+1)
	now := time.Now() // elapsed time: cfg.Now may stand still
	var to []member
	n.mu.Lock()
	dirty := n.s.dirty
	if !periodic {
		n.s.dirty = map[string]struct{}{}
	}
	for name, m := range live {
		if !want[name] {
			continue
		}
		p := n.s.peer(name)
		send := false
		if periodic {
			send = p.retell || now.Sub(p.told) >= every
		} else {
			their := subscription(n.subs, name)
			for chain := range dirty {
				if their.Holds(lifeboat.ScopeOf(chain)) || lifeboat.DeviceOf(chain) == name {
					send = true
					break
				}
			}
		}
		switch {
		case send && !periodic && now.Sub(p.told) < n.cfg.SyncInterval:
			// Told a moment ago: the next tick tells it again, with
			// whatever else moves meanwhile (a relay taking in a
			// hundred devices' records does not send each of them a
			// summary for every batch).
			p.retell = true
		case send:
			p.told, p.retell = now, false
			to = append(to, m)
		}
	}
	n.mu.Unlock()
	for _, m := range to {
		n.tell(m)
	}
}

// sharesBeyondSite reports whether two subscriptions hold a scope in
// common other than the site (which every device holds), to read or to
// forward. A device holding every scope (a relay) shares with every
// device.
func sharesBeyondSite(a, b lifeboat.Subscription) bool {
	if len(a) == 0 || len(b) == 0 {
		return true // not known yet: as before scopes
	}
	if a.Holds(lifeboat.ScopeAll) || b.Holds(lifeboat.ScopeAll) {
		return true
	}
	for _, s := range a {
		if f, ok := s.Forwarded(); ok {
			s = f
		}
		if s != lifeboat.ScopeSite && b.Holds(s) {
			return true
		}
	}
	return false
}

// defaultPushPull is memberlist's DefaultLANConfig().PushPullInterval.
const defaultPushPull = 30 * time.Second

func (n *Node) onState(ctx context.Context, m *state) {
	if err := n.admit(m.From, ""); err != nil || m.From == n.self {
		return
	}
	// A peer holding more of this device's chain than we do means this
	// store is a copy or a restore: the store pauses recording until it
	// has taken the rest back (plan pulls it like any device's events).
	n.mu.Lock()
	tell := !n.s.peer(m.From).ownSeen
	for chain, seq := range m.Vector {
		if seq > n.s.mine[chain] && lifeboat.DeviceOf(chain) == n.self {
			tell = true
		}
	}
	n.mu.Unlock()
	if tell {
		if err := n.st.OwnChainSeen(ctx, m.Vector); err != nil && ctx.Err() == nil {
			n.log.Warn("note own chain", "err", err)
		} else if err == nil {
			n.mu.Lock()
			n.s.peer(m.From).ownSeen = true
			n.mu.Unlock()
		}
	}
	now := n.cfg.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.s.peer(m.From)
	n.s.learn(m.From, p, m.Vector)
	p.heard = now
	skew := time.UnixMilli(m.Wall).Sub(now)
	if abs(skew) > ClockSkewLimit && abs(p.skew) <= ClockSkewLimit {
		n.log.Warn("peer clock differs from ours", "peer", m.From, "skew", skew.Round(time.Second))
	}
	p.skew = skew
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// awaited reports whether a batch from peer answering pull id is one the
// node is waiting for, and if so restarts the pull's timeout: the batch
// has come, even if the sync loop takes a while to get to it (a relay
// taking in a hundred peers' batches has a queue of them).
func (n *Node) awaited(peer string, id uint64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.s.peers[peer]
	ok := p != nil && p.inflight != nil && p.inflight.id == id
	if ok {
		p.inflight.sent = time.Now()
	}
	return ok
}

func (n *Node) onBatch(ctx context.Context, b *batch) {
	now := n.cfg.Now()
	n.mu.Lock()
	p := n.s.peers[b.From]
	if p == nil || p.inflight == nil || p.inflight.id != b.ID {
		n.mu.Unlock()
		n.log.Debug("stale batch", "peer", b.From, "id", b.ID, "part", b.Part)
		return // an answer we stopped waiting for
	}
	req := p.inflight
	n.s.learn(b.From, p, b.Vector)
	p.heard = now
	req.sent = time.Now() // still answering: restart the timeout
	old := n.s.mine       // replaced, never written, by setMine
	n.mu.Unlock()

	var res lifeboat.ApplyResult
	var held []kept
	b.Events, held = n.holdFloods(b.From, b.Events)
	n.quarantine(ctx, held)
	if len(b.Events) > 0 {
		prepared, err := b.prepared, error(nil)
		if prepared == nil || len(held) > 0 {
			// Not prepared as it arrived, or some of it held back.
			prepared, err = n.st.PrepareRemote(b.Events)
		}
		if err == nil {
			res, err = n.st.ApplyPrepared(ctx, prepared)
		}
		if err != nil {
			if ctx.Err() == nil {
				n.noise.log(n.log, slog.LevelWarn, b.From, "apply batch", "peer", b.From, "events", len(b.Events), "err", err)
			}
			n.mu.Lock()
			n.s.clear(b.From, p)
			n.mu.Unlock()
			return
		}
	}
	vec, err := n.st.VersionVector(ctx)
	if err != nil {
		vec = nil
	}
	if res.Applied > 0 {
		// The batch may have enrolled devices whose events come next.
		if err := n.refreshRegistryIfMoved(ctx, vec); err != nil && ctx.Err() == nil {
			n.log.Warn("registry", "err", err)
		}
	}
	var size uint64
	for i := range b.Events {
		size += uint64(b.Events[i].EncodedLen())
	}
	if len(res.Refused) > 0 {
		// Keep them, with why, for a person to review.
		type ref struct {
			id, device string
			seq        uint64
		}
		byRef := make(map[ref]*lifeboat.Event, len(b.Events))
		for i := range b.Events {
			e := &b.Events[i]
			byRef[ref{e.ID, e.Device, e.Seq}] = e
		}
		ks := make([]kept, 0, len(res.Refused))
		for _, r := range res.Refused {
			if e := byRef[ref{r.ID, r.Device, r.Seq}]; e != nil {
				ks = append(ks, kept{ev: *e, q: Quarantined{Peer: b.From, At: now, Refusal: r}})
			}
		}
		n.quarantine(ctx, ks)
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	if vec != nil {
		if n.s.keysAt == siteSum(old) && keylessMove(old, vec, b.Events) {
			n.s.keysAt = siteSum(vec) // nothing new for refreshKeys
		}
		n.s.setMine(vec)
	}
	elapsed := time.Now() // backoffs: cfg.Now may stand still
	n.stats.received += uint64(res.Applied)
	n.stats.eventBytes += size
	p.synced, n.s.lastSync = now, now
	for _, r := range res.Refused {
		// Don't ask this peer for that device again for a while (another
		// may hold the good events).
		p.backoff[r.Device] = elapsed.Add(n.cfg.RefusalBackoff)
	}
	if len(res.Refused) > 0 {
		n.noise.log(n.log, slog.LevelWarn, b.From, "refused events from a peer", "peer", b.From, "refused", len(res.Refused), "first", res.Refused[0].Reason)
	}
	if len(res.Held) > 0 {
		// Not refused: their causal past (or their author's record) has
		// not arrived yet; the peer offers them again on a later pull.
		n.log.Info("held events from a peer until what they rely on arrives", "peer", b.From, "held", len(res.Held), "first", res.Held[0].Reason)
	}
	req.parts++
	if !b.More {
		req.last = int64(b.Part)
	}
	if req.parts < req.window && (req.last < 0 || int64(req.parts) <= req.last) {
		return // more of this window is on its way (parts may overtake)
	}
	// A pull that moved nothing on while the peer still claims more is
	// not asked for again at once (no busy loop on a confused peer).
	for d, h := range req.have {
		if n.s.mine[d] <= h && p.vec[d] > h {
			if _, ok := p.backoff[d]; !ok || p.backoff[d].Before(elapsed) {
				p.backoff[d] = elapsed.Add(n.cfg.SyncInterval)
			}
		}
	}
	n.s.clear(b.From, p)
}

// expire abandons pulls that got no answer, and forgets peers that left.
func (n *Node) expire() {
	live := n.live()
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, p := range n.s.peers {
		if _, alive := live[name]; p.inflight != nil && (time.Since(p.inflight.sent) > n.cfg.RequestTimeout || !alive) {
			_, alive := live[name]
			n.log.Debug("pull abandoned", "peer", name, "id", p.inflight.id, "parts", p.inflight.parts, "live", alive)
			n.s.clear(name, p)
		}
	}
}

// live returns the live members (memberlist holds them alive or suspect)
// proven in the session they are in: the only peers the node talks to.
// Our own copies, never memberlist's nodes. Made again only when the
// members, proofs or registry changed; the map is shared and must not be
// written.
func (n *Node) live() map[string]member {
	_, gen := n.hs.snapshotGen()
	n.mu.Lock()
	at := [3]uint64{gen, n.s.regGen, n.s.liveGen}
	c := n.s.liveC
	if c.m != nil && c.at == at {
		n.mu.Unlock()
		return c.m
	}
	names := make([]string, 0, len(n.s.live))
	for name := range n.s.live {
		if name != n.self {
			names = append(names, name)
		}
	}
	n.mu.Unlock()
	out := make(map[string]member, len(names))
	for _, name := range names {
		if c, ok := n.provenMember(name); ok {
			out[name] = c
		}
	}
	n.mu.Lock()
	n.s.liveC = liveCache{at: at, m: out}
	n.mu.Unlock()
	return out
}

// liveCache is what live last worked out, and from what.
type liveCache struct {
	at [3]uint64 // handshake, registry and live generations
	m  map[string]member
}

// plan asks idle peers for what they hold and we lack: each chain's
// range from one peer only (one holding the most of it), so an event
// relayed through several peers is still sent to us once. It looks only
// at the chains owed (see syncState.holders), and at the peers holding
// each; several chains from one peer go in one pull. Between equal
// holders each device has its own order (pairRank), so a site's devices
// do not all ask the same relay first.
func (n *Node) plan() {
	live := n.live()
	now := time.Now() // backoffs are in elapsed time
	type out struct {
		to  member
		msg []byte
		id  uint64
	}
	var sends []out
	n.mu.Lock()
	for name, p := range n.s.peers {
		if _, ok := live[name]; !ok {
			n.s.clear(name, p)
		}
	}
	// The chains of scopes this device holds that a live peer holds
	// more of; chains no peer holds more of any longer are forgotten.
	var owed []string
	knownOwed := false
	for d := range n.s.owed {
		ahead, liveAhead := false, false
		for name, v := range n.s.holders[d] {
			if v > n.s.mine[d] {
				ahead = true
				if _, ok := live[name]; ok {
					liveAhead = true
					break
				}
			}
		}
		if !ahead || !n.mySub.Holds(lifeboat.ScopeOf(d)) {
			delete(n.s.owed, d) // owed again if a peer holds more, or our scopes change (reindex)
			continue
		}
		if !liveAhead {
			continue
		}
		owed = append(owed, d)
		if _, ok := n.reg[lifeboat.DeviceOf(d)]; ok {
			knownOwed = true
		}
	}
	sort.Strings(owed)
	// Devices we cannot check yet wait while any we can are still owed:
	// their enrolment events usually come from those (a new device learns
	// the ward's devices from its anchor's log).
	assigned := map[string]map[string]uint64{}
	for _, d := range owed {
		if n.s.busy[d] != "" {
			continue
		}
		if _, ok := n.reg[lifeboat.DeviceOf(d)]; !ok && knownOwed {
			continue
		}
		if _, held := n.s.held[d]; held {
			continue
		}
		var best uint64
		var cands []string
		for name, v := range n.s.holders[d] {
			p := n.s.peers[name]
			if _, ok := live[name]; !ok || p == nil || p.inflight != nil || p.backoff[d].After(now) {
				continue
			}
			switch {
			case v <= n.s.mine[d] || v < best:
			case v > best:
				best, cands = v, []string{name}
			default:
				cands = append(cands, name)
			}
		}
		if len(cands) == 0 {
			continue
		}
		// A peer already asked for another chain first (one pull), then
		// the first in this device's order.
		pick := ""
		var pickRank uint64
		for _, c := range cands {
			r := n.s.rank(n.self, c)
			ca, pa := assigned[c] != nil, assigned[pick] != nil
			if pick == "" || ca && !pa || ca == pa && r < pickRank {
				pick, pickRank = c, r
			}
		}
		if assigned[pick] == nil {
			assigned[pick] = map[string]uint64{}
		}
		assigned[pick][d] = n.s.mine[d]
	}
	for name, have := range assigned {
		p := n.s.peers[name]
		id := randomID() // unguessable: a batch is taken only as the answer to it
		p.inflight = &request{id: id, have: have, sent: time.Now(), window: uint32(n.cfg.Window), last: -1}
		for d := range have {
			n.s.busy[d] = name
		}
		m := pull{From: n.self, ID: id, Have: have, MaxEvents: uint32(n.cfg.BatchEvents), MaxBytes: uint32(n.cfg.BatchBytes), Window: uint32(n.cfg.Window)}
		sends = append(sends, out{live[name], m.encode(), m.ID})
	}
	n.mu.Unlock()
	for _, s := range sends {
		f := &failedPull{peer: s.to.Name, id: s.id}
		n.sendOr(s.to, s.msg, len(s.msg), func() { n.queue(inbound{failed: f}, true) })
	}
}

// reconnect tries, in the background, to rejoin peers declared dead: after
// a partition heals each side still thinks the other dead, and memberlist
// does not probe dead nodes. A few at a time, picked at random: one join
// that gets through exchanges the whole membership, and the peers it
// names as dead refute it themselves (at hospital scale, joining a
// hundred peers one by one every round would be a hundred full
// exchanges).
func (n *Node) reconnect() {
	now := n.cfg.Now()
	n.mu.Lock()
	if n.s.reconnecting || len(n.s.dead) == 0 || now.Sub(n.s.lastRejoin) < n.cfg.ReconnectInterval {
		n.mu.Unlock()
		return
	}
	addrs := make([]string, 0, len(n.s.dead))
	for name, d := range n.s.dead {
		if now.Sub(d.at) > forgetDeparted {
			delete(n.s.dead, name)
			continue
		}
		if dev, ok := n.reg[name]; !ok || dev.Revoked() {
			continue // not (or no longer) a peer we would admit
		}
		addrs = append(addrs, d.addr)
	}
	if len(addrs) == 0 {
		n.mu.Unlock()
		return
	}
	if len(addrs) > rejoinAtOnce {
		rand.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
		addrs = addrs[:rejoinAtOnce]
	}
	n.s.reconnecting, n.s.lastRejoin = true, now
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for _, a := range addrs {
			select {
			case <-n.quit:
			default:
				if _, err := n.ml.Join([]string{a}); err != nil {
					n.log.Debug("rejoin", "addr", a, "err", err)
				}
			}
		}
		n.mu.Lock()
		n.s.reconnecting = false
		n.mu.Unlock()
	}()
}
