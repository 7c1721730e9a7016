package mesh

import "github.com/hashicorp/memberlist"

// events is the node's memberlist.EventDelegate: any change of membership
// wakes the sync loop to announce itself and re-plan its pulls.
type events Node

var _ memberlist.EventDelegate = (*events)(nil)

func (e *events) poke() {
	select {
	case e.memb <- struct{}{}:
	default:
	}
}

// NotifyJoin is called when a peer is admitted. Like every delegate call
// it copies what it needs out of p (memberlist holds its lock now, and
// rewrites p later).
func (e *events) NotifyJoin(p *memberlist.Node) {
	m := memberOf(p)
	(*Node)(e).memberChanged(p)
	e.mu.Lock()
	delete(e.s.dead, m.Name)
	e.s.live[m.Name] = m
	e.s.liveGen++
	e.mu.Unlock()
	e.poke()
}

// NotifyLeave is called when a peer leaves or is declared dead. Either
// way it is remembered for a while so the node can look for it again
// (memberlist does not say which; a peer that left and comes back on
// another address is forgotten when it rejoins).
func (e *events) NotifyLeave(p *memberlist.Node) {
	m := memberOf(p)
	(*Node)(e).memberLeft(p.Name)
	e.mu.Lock()
	e.s.dead[m.Name] = departed{addr: m.address(), at: e.cfg.Now()}
	delete(e.s.live, m.Name)
	e.s.liveGen++
	e.mu.Unlock()
	e.poke()
}

// NotifyUpdate is called when a peer's metadata or address changes.
func (e *events) NotifyUpdate(p *memberlist.Node) {
	m := memberOf(p)
	(*Node)(e).memberChanged(p)
	e.mu.Lock()
	if _, ok := e.s.live[m.Name]; ok {
		e.s.live[m.Name] = m
		e.s.liveGen++
	}
	e.mu.Unlock()
	e.poke()
}
