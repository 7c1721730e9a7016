package mesh

import (
	"net"
	"slices"
	"strconv"

	"github.com/hashicorp/memberlist"
)

// member is what the node keeps of a memberlist member: a value copied out
// of the *memberlist.Node memberlist hands a delegate, while memberlist
// holds its node lock. memberlist rewrites its nodes in place (address,
// port, metadata) on its own goroutines, so a *memberlist.Node it lent us
// (delegates, Members) is never kept, passed to another goroutine or read
// after the call returns (memberlist issues 250 and 306).
type member struct {
	Name string
	Addr net.IP // its own copy; never written after memberOf
	Port uint16
	Meta []byte // its own copy; never written after memberOf
}

// memberOf copies a member out of a node memberlist lent us. Call it only
// inside a delegate call (memberlist holds the node lock then).
func memberOf(p *memberlist.Node) member {
	return member{Name: p.Name, Addr: slices.Clone(p.Addr), Port: p.Port, Meta: slices.Clone(p.Meta)}
}

// node makes a fresh *memberlist.Node for one call into memberlist (such
// as SendReliable), owned by the caller.
func (m member) node() *memberlist.Node {
	return &memberlist.Node{Name: m.Name, Addr: m.Addr, Port: m.Port}
}

// address is host:port.
func (m member) address() string {
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))
}
