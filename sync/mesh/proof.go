package mesh

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"lifeboat"
)

// Peers prove who they are before any exchange. Holding the site key and
// announcing an enrolled device's name and fingerprint is not enough: a
// revoked device still holds the site key until a rotation finishes (which
// waits for devices switched off), and it can announce the name of any of
// them.
//
// A node sends each live member a challenge over the reliable channel: a
// fresh nonce, and the session it sees the member in (the boot ID in its
// metadata, its address and port). The member answers with a proof: a
// fresh nonce of its own and an Ed25519ctx signature by its device key
// (lifeboat.ProofContext) over a transcript of both sessions, both device
// IDs and both nonces. The node marks the member proven only when that
// verifies against the device's registered, unrevoked key, and only for
// that session: a restart (new boot ID), a move, a leave or a revocation
// ends it. Version vectors, pulls and batches are sent only to proven
// peers at the proven address, and those of a peer not proven are dropped
// without reply. Challenges are answered only to registered, unrevoked
// devices at their member address; nothing ever says why a peer is
// refused.
//
// A batch is taken only as the answer to a pull we sent to a proven peer:
// pull IDs are random, so no one else can answer one. The claimed sender
// of a summary is not authenticated beyond this (a device holding the site
// key could send one in a proven peer's name; the worst it does is make us
// ask that peer for what it does not have).

// Sizes in the handshake.
const (
	nonceLen = 32
	bootLen  = 16
)

// ErrUnproven is why a peer is refused that did not prove it holds the
// key of the device it announces.
var ErrUnproven = fmt.Errorf("device did not prove it holds its key: %w", lifeboat.ErrPermission)

// challenge asks a peer to prove it holds its device key.
type challenge struct {
	From, To string
	// The session the challenger sees the prover in: its boot ID and its
	// advertised address (16-byte form) and port. The prover signs only
	// for its own.
	ToBoot string
	ToAddr [16]byte
	ToPort uint16
	Nonce  [nonceLen]byte
}

// proof answers a challenge.
type proof struct {
	From, To  string
	Nonce     [nonceLen]byte // the prover's
	Challenge [nonceLen]byte // the challenge's nonce, echoed
	Sig       [ed25519.SignatureSize]byte
}

// session is one run of one device at one address.
type session struct {
	Device string
	Boot   string
	Addr   [16]byte
	Port   uint16
}

// handshake is the node's record of challenges and proofs; its own mutex,
// so the hot paths' checks do not wait on the sync state.
type handshake struct {
	mu    sync.Mutex
	local session // ours as peers see it (zero until memberlist is up)
	// members are the sessions of the live members, copied in the event
	// delegate's callbacks (memberlist holds its lock then): its nodes
	// must not be read outside them.
	members map[string]hsMember
	pending map[string]pendingChallenge // peer -> the challenge it owes an answer to
	proven  map[string]*provenPeer      // peer -> the session it proved
	failed  map[string]string           // peer -> why its proof was refused (for Status)
	// deferred are challenges from registered devices not yet in our
	// membership (a joiner's challenge can come before its join is
	// through): answered once they are members, or dropped.
	deferred map[string]deferredChallenge
	// chose are the peers that challenged us, in the session each was
	// in: beyond a small mesh we challenge them back (see wanted).
	chose map[string]session
	// gen counts changes to members, proven and chose; snap is members
	// as of snapGen (shared, never written: callers only read it).
	gen, snapGen uint64
	snap         map[string]hsMember
}

type deferredChallenge struct {
	c  challenge
	at time.Time
}

type hsMember struct {
	sess session
	fp   string // the key fingerprint its metadata names
}

type pendingChallenge struct {
	sess  session
	nonce [nonceLen]byte
	sent  time.Time // time.Now: the timeout is elapsed time, not cfg.Now's wall clock
	spent bool      // answered, wrongly: the next challenge waits its turn
}

type provenPeer struct {
	sess    session
	replied bool // we answered its first summary since the proof with ours
}

func newHandshake() handshake {
	return handshake{pending: map[string]pendingChallenge{}, proven: map[string]*provenPeer{}, failed: map[string]string{},
		deferred: map[string]deferredChallenge{}, members: map[string]hsMember{}, chose: map[string]session{}}
}

func (h *handshake) setLocal(s session) {
	h.mu.Lock()
	h.local = s
	h.mu.Unlock()
}

func (h *handshake) self() session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.local
}

func newBoot() (string, error) {
	var b [bootLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make boot id: %w", err)
	}
	return string(b[:]), nil
}

// randomID is a pull ID no one else can guess.
func randomID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return binary.LittleEndian.Uint64(b[:])
}

func addr16(ip net.IP) (a [16]byte) {
	copy(a[:], ip.To16())
	return a
}

// memberSession is the session a member is in, as memberlist and its
// metadata say; ok is false if its metadata cannot be read.
func memberSession(m *memberlist.Node) (s session, fp string, ok bool) {
	md, err := decodeMeta(m.Meta)
	if err != nil || md.Device != m.Name {
		return session{}, "", false
	}
	return session{Device: m.Name, Boot: md.Boot, Addr: addr16(m.Addr), Port: m.Port}, md.Fingerprint, true
}

// peer is the member to send to in this session (a copy of our own).
func (s session) peer() member {
	return member{Name: s.Device, Addr: net.IP(append([]byte(nil), s.Addr[:]...)), Port: s.Port}
}

// transcript is what a prover signs: both sessions and both nonces, with
// a label and lengths so that no two transcripts share an encoding.
func transcript(challenger, prover session, cn, pn [nonceLen]byte) []byte {
	b := make([]byte, 0, 160)
	b = appendStr(b, "lifeboat mesh handshake")
	for _, s := range []session{challenger, prover} {
		b = appendStr(b, s.Device)
		b = appendStr(b, s.Boot)
		b = append(b, s.Addr[:]...)
		b = binary.BigEndian.AppendUint16(b, s.Port)
	}
	b = append(b, cn[:]...)
	return append(b, pn[:]...)
}

func verifyProof(pub ed25519.PublicKey, msg []byte, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.VerifyWithOptions(pub, msg, sig, &ed25519.Options{Hash: crypto.Hash(0), Context: lifeboat.ProofContext}) == nil
}

// challengePeers challenges every live member it talks to (see wanted)
// not proven in the session it is in now, unless a challenge to it in
// that session is still young. Called by the sync loop.
func (n *Node) challengePeers() {
	n.answerDeferred()
	type out struct {
		to  member
		msg []byte
	}
	var sends []out
	members, want := n.neighbours()
	for name, m := range members {
		s := m.sess
		if !want[name] || n.admit(name, m.fp) != nil {
			continue
		}
		n.hs.mu.Lock()
		p := n.hs.proven[name]
		c, waiting := n.hs.pending[name]
		if (p != nil && p.sess == s) || (waiting && c.sess == s && time.Since(c.sent) < n.cfg.RequestTimeout) {
			n.hs.mu.Unlock()
			continue
		}
		c = pendingChallenge{sess: s, sent: time.Now()} // elapsed time, not cfg.Now's wall clock
		_, _ = rand.Read(c.nonce[:])
		n.hs.pending[name] = c
		n.hs.mu.Unlock()
		msg := (&challenge{From: n.self, To: name, ToBoot: s.Boot, ToAddr: s.Addr, ToPort: s.Port, Nonce: c.nonce}).encode()
		sends = append(sends, out{s.peer(), msg})
	}
	for _, s := range sends {
		n.send(s.to, s.msg)
	}
}

// onChallenge answers a challenge for our own session from a registered,
// unrevoked device, at its member address; anything else gets nothing.
// Called on memberlist's goroutine for the message.
func (n *Node) onChallenge(c challenge) {
	local := n.hs.self()
	if local.Device == "" || c.To != n.self || c.ToBoot != local.Boot || c.ToAddr != local.Addr || c.ToPort != local.Port || c.From == n.self {
		return
	}
	n.hs.mu.Lock()
	m, ok := n.hs.members[c.From]
	n.hs.mu.Unlock()
	if !ok {
		if n.admit(c.From, "") == nil {
			n.hs.mu.Lock()
			n.hs.deferred[c.From] = deferredChallenge{c: c, at: time.Now()}
			n.hs.mu.Unlock()
		}
		return
	}
	s := m.sess
	if n.admit(c.From, m.fp) != nil {
		return
	}
	p := proof{From: n.self, To: c.From, Challenge: c.Nonce}
	_, _ = rand.Read(p.Nonce[:])
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	sig, err := n.st.SignProof(ctx, transcript(s, local, c.Nonce, p.Nonce))
	if err != nil || len(sig) != ed25519.SignatureSize {
		n.log.Warn("sign a proof for a peer", "peer", c.From, "err", err)
		return
	}
	copy(p.Sig[:], sig)
	n.send(s.peer(), p.encode())
	n.chosenBy(c.From)
}

// chosenBy notes that a member talks to us (it challenged us, or sent us
// a summary or a pull we dropped because we have not proven it): beyond a
// small mesh we then talk to it too, and challenge it (see wanted). The
// summaries a peer keeps sending repair a note lost when it left, died or
// changed in our view and came back.
func (n *Node) chosenBy(peer string) {
	n.hs.mu.Lock()
	m, member := n.hs.members[peer]
	s, known := n.hs.chose[peer]
	fresh := member && (!known || s != m.sess)
	if fresh {
		n.hs.chose[peer] = m.sess
		n.hs.gen++
	}
	n.hs.mu.Unlock()
	if fresh {
		(*events)(n).poke() // challenge it back
	}
}

// answerDeferred answers the deferred challenges of peers now members,
// and drops those older than a RequestTimeout (the challenger asks again).
func (n *Node) answerDeferred() {
	var ready []challenge
	n.hs.mu.Lock()
	for name, d := range n.hs.deferred {
		if _, ok := n.hs.members[name]; ok {
			ready = append(ready, d.c)
			delete(n.hs.deferred, name)
		} else if time.Since(d.at) > n.cfg.RequestTimeout {
			delete(n.hs.deferred, name)
		}
	}
	n.hs.mu.Unlock()
	for _, c := range ready {
		n.onChallenge(c)
	}
}

// onProof marks a peer proven if it answers the challenge we sent it, in
// the session we sent it to, with a signature by its registered,
// unrevoked key; then it is sent our summary at once. A challenge is
// answered once: after a failed proof the peer is challenged again only
// when a RequestTimeout has passed (a device that cannot prove itself
// costs us one check per RequestTimeout).
func (n *Node) onProof(p proof) {
	if p.To != n.self {
		return
	}
	n.hs.mu.Lock()
	c, ok := n.hs.pending[p.From]
	fresh := ok && !c.spent && c.nonce == p.Challenge
	if fresh {
		spent := c
		spent.spent = true
		n.hs.pending[p.From] = spent
	}
	n.hs.mu.Unlock()
	if !fresh {
		return // not an answer to a challenge of ours (or a stale one)
	}
	n.mu.Lock()
	d, known := n.reg[p.From]
	n.mu.Unlock()
	if !known || d.Revoked() || !verifyProof(d.PublicKey, transcript(n.hs.self(), c.sess, c.nonce, p.Nonce), p.Sig[:]) {
		n.hs.mu.Lock()
		_, logged := n.hs.failed[p.From]
		n.hs.failed[p.From] = ErrUnproven.Error()
		n.hs.mu.Unlock()
		if !logged {
			n.log.Warn("refused a peer", "peer", p.From, "err", ErrUnproven)
		}
		return
	}
	n.hs.mu.Lock()
	if cur, ok := n.hs.pending[p.From]; !ok || cur.nonce != c.nonce {
		n.hs.mu.Unlock()
		return // the peer rejoined, moved or left while we checked
	}
	n.hs.proven[p.From] = &provenPeer{sess: c.sess}
	n.hs.gen++
	delete(n.hs.pending, p.From)
	delete(n.hs.failed, p.From)
	n.hs.mu.Unlock()
	n.log.Debug("peer proved its device key", "peer", p.From)
	n.mu.Lock()
	n.s.peer(p.From).told = time.Now()
	n.mu.Unlock()
	n.tell(c.sess.peer())
	(*events)(n).poke()
}

// memberChanged records a member's session as it (re)joins, moves or
// restarts, and ends any proof and challenge of its last one. Called from
// the event delegate, with memberlist's lock held: p is read here only.
func (n *Node) memberChanged(p *memberlist.Node) {
	s, fp, ok := memberSession(p)
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	delete(n.hs.proven, p.Name)
	delete(n.hs.pending, p.Name)
	delete(n.hs.chose, p.Name)
	n.hs.gen++
	if ok && p.Name != n.self {
		n.hs.members[p.Name] = hsMember{sess: s, fp: fp}
	} else {
		delete(n.hs.members, p.Name)
	}
}

// memberLeft ends a peer's proof as it leaves or is declared dead.
func (n *Node) memberLeft(name string) {
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	delete(n.hs.proven, name)
	delete(n.hs.pending, name)
	delete(n.hs.chose, name)
	delete(n.hs.members, name)
	n.hs.gen++
}

// snapshot returns the members as they are now; the map is shared, and
// must not be written.
func (h *handshake) snapshot() map[string]hsMember {
	m, _ := h.snapshotGen()
	return m
}

// snapshotGen is snapshot and the generation it is of.
func (h *handshake) snapshotGen() (map[string]hsMember, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.snap == nil || h.snapGen != h.gen {
		out := make(map[string]hsMember, len(h.members))
		for k, v := range h.members {
			out[k] = v
		}
		h.snap, h.snapGen = out, h.gen
	}
	return h.snap, h.gen
}

// provenSession returns the session a peer proved, if it is still an
// unrevoked device of the registry.
func (n *Node) provenSession(peer string) (session, bool) {
	n.hs.mu.Lock()
	p := n.hs.proven[peer]
	var s session
	if p != nil {
		s = p.sess
	}
	n.hs.mu.Unlock()
	if p == nil || n.admit(peer, "") != nil {
		return session{}, false
	}
	return s, true
}

// provenMember returns where to reach a live member, a copy, if it is in
// the session its device proved.
func (n *Node) provenMember(name string) (member, bool) {
	s, ok := n.provenSession(name)
	if !ok {
		return member{}, false
	}
	n.hs.mu.Lock()
	m, live := n.hs.members[name]
	n.hs.mu.Unlock()
	if !live || m.sess != s {
		return member{}, false
	}
	return s.peer(), true
}

// acceptState reports whether a summary claimed from peer may be taken
// (the peer is proven). The first taken since the proof is answered with
// ours: the peer may have proven us only after we sent it ours, and
// dropped it then.
func (n *Node) acceptState(peer string) bool {
	s, ok := n.provenSession(peer)
	if !ok {
		return false
	}
	n.hs.mu.Lock()
	p := n.hs.proven[peer]
	reply := p != nil && !p.replied
	if reply {
		p.replied = true
	}
	n.hs.mu.Unlock()
	if reply {
		n.tell(s.peer())
	}
	return true
}

// refusedProofs copies the peers whose proofs were refused, with why.
func (n *Node) refusedProofs(into map[string]string) {
	n.hs.mu.Lock()
	defer n.hs.mu.Unlock()
	for k, v := range n.hs.failed {
		into[k] = v
	}
}

func (m *challenge) encode() []byte {
	b := header(msgChallenge)
	b = appendStr(b, m.From)
	b = appendStr(b, m.To)
	b = appendStr(b, m.ToBoot)
	b = append(b, m.ToAddr[:]...)
	b = binary.BigEndian.AppendUint16(b, m.ToPort)
	return append(b, m.Nonce[:]...)
}

func (m *proof) encode() []byte {
	b := header(msgProof)
	b = appendStr(b, m.From)
	b = appendStr(b, m.To)
	b = append(b, m.Nonce[:]...)
	b = append(b, m.Challenge[:]...)
	return append(b, m.Sig[:]...)
}

// fixed reads exactly len(dst) bytes.
func (r *reader) fixed(what string, dst []byte) {
	if r.err != nil {
		return
	}
	if len(r.b) < len(dst) {
		r.fail(what)
		return
	}
	copy(dst, r.b)
	r.b = r.b[len(dst):]
}

func decodeChallenge(b []byte) (challenge, error) {
	r, err := openMsg(b, msgChallenge)
	if err != nil {
		return challenge{}, err
	}
	m := challenge{From: r.device("from"), To: r.device("to")}
	boot := r.bytes("boot", bootLen)
	if r.err == nil && len(boot) != bootLen {
		r.fail("boot")
	}
	m.ToBoot = string(boot)
	r.fixed("address", m.ToAddr[:])
	var port [2]byte
	r.fixed("port", port[:])
	m.ToPort = binary.BigEndian.Uint16(port[:])
	r.fixed("nonce", m.Nonce[:])
	if err := r.done(); err != nil {
		return challenge{}, err
	}
	return m, nil
}

func decodeProof(b []byte) (proof, error) {
	r, err := openMsg(b, msgProof)
	if err != nil {
		return proof{}, err
	}
	m := proof{From: r.device("from"), To: r.device("to")}
	r.fixed("nonce", m.Nonce[:])
	r.fixed("challenge", m.Challenge[:])
	r.fixed("signature", m.Sig[:])
	if err := r.done(); err != nil {
		return proof{}, err
	}
	return m, nil
}
