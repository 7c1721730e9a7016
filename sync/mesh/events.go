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

// NotifyJoin is called when a peer is admitted.
func (e *events) NotifyJoin(p *memberlist.Node) {
	(*Node)(e).memberChanged(p)
	e.mu.Lock()
	delete(e.s.dead, p.Name)
	e.s.addrs[p.Name] = &memberlist.Node{Name: p.Name, Addr: p.Addr, Port: p.Port}
	e.mu.Unlock()
	e.poke()
}

// NotifyLeave is called when a peer leaves or is declared dead. Either
// way it is remembered for a while so the node can look for it again
// (memberlist does not say which; a peer that left and comes back on
// another address is forgotten when it rejoins).
func (e *events) NotifyLeave(p *memberlist.Node) {
	(*Node)(e).memberLeft(p.Name)
	e.mu.Lock()
	e.s.dead[p.Name] = departed{addr: p.Address(), at: e.cfg.Now()}
	e.mu.Unlock()
	e.poke()
}

// NotifyUpdate is called when a peer's metadata or address changes.
func (e *events) NotifyUpdate(p *memberlist.Node) {
	(*Node)(e).memberChanged(p)
	e.mu.Lock()
	e.s.addrs[p.Name] = &memberlist.Node{Name: p.Name, Addr: p.Addr, Port: p.Port}
	e.mu.Unlock()
	e.poke()
}
