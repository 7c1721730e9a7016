package mesh

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"lifeboat"
)

// Store is what the mesh needs from the event store. *store.DB satisfies
// it; the store must be unlocked (EncodedAfter and ApplyPrepared need the
// data key).
type Store interface {
	// Device returns this device's ID, used as the memberlist node name.
	Device(ctx context.Context) (string, error)
	// DevicePublicKey returns this device's signing key.
	DevicePublicKey(ctx context.Context) (ed25519.PublicKey, error)
	// Devices lists the site's device registry.
	Devices(ctx context.Context) ([]lifeboat.Device, error)
	// Subscriptions maps each device the registry knows to the scopes it
	// holds and is served (see lifeboat.Subscription).
	Subscriptions(ctx context.Context) (map[string]lifeboat.Subscription, error)
	// SiteKeys returns the memberlist keyring to use now, primary first.
	SiteKeys(ctx context.Context) ([][]byte, error)
	// AdvanceSiteKeys moves this device along any site key rotation in
	// the log (opening keys sealed to it, recording its steps) and returns
	// the keyring to use and the rotations' progress.
	AdvanceSiteKeys(ctx context.Context) (lifeboat.SiteKeyState, error)
	// VersionVector maps each device to its highest contiguous seq held.
	VersionVector(ctx context.Context) (map[string]uint64, error)
	// EncodedAfter returns up to limit events a holder of have lacks, in
	// (device, seq) order, each as its signed encoding.
	EncodedAfter(ctx context.Context, have map[string]uint64, limit int) ([]lifeboat.EncodedEvent, error)
	// PrepareRemote does the work of applying a batch that needs no
	// database (it runs as each batch arrives, while the one before is
	// written); ApplyPrepared then verifies and applies it in one
	// transaction.
	PrepareRemote(batch []lifeboat.Event) (lifeboat.PreparedBatch, error)
	ApplyPrepared(ctx context.Context, p lifeboat.PreparedBatch) (lifeboat.ApplyResult, error)
	// Subscribe registers a channel signalled after every commit.
	Subscribe(ch chan<- struct{})
	// Quarantine keeps an event refused from peer, with why, so that a
	// restart does not forget it (idempotent per event ID).
	Quarantine(ctx context.Context, ev lifeboat.Event, peer, reason string) error
	// Quarantined lists the events kept by Quarantine that a person has
	// not released or discarded yet, oldest first.
	Quarantined(ctx context.Context) ([]lifeboat.Quarantined, error)
	// RetryHeld applies the quarantined events held for a clock far
	// ahead (lifeboat.ErrClockAhead) whose time has come; cheap when none
	// is due. The sync loop calls it every SyncInterval.
	RetryHeld(ctx context.Context) (lifeboat.ApplyResult, error)
	// OwnChainSeen tells the store a peer holds this device's events up
	// to seq (0: none): a copied or restored store stops recording until
	// it holds them too.
	OwnChainSeen(ctx context.Context, peer map[string]uint64) error
	// SignProof signs a handshake transcript with this device's key under
	// lifeboat.ProofContext (Ed25519ctx); the key stays in the store.
	SignProof(ctx context.Context, transcript []byte) ([]byte, error)
}

// Defaults for the zero values in Config.
const (
	DefaultBindPort       = 7946
	DefaultBatchEvents    = 2000
	DefaultBatchBytes     = 2 << 20
	DefaultWindow         = 8
	DefaultAnnounceDelay  = 100 * time.Millisecond
	DefaultSyncInterval   = time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultRefusalBackoff = time.Minute
	// ClockSkewLimit is how far a peer's clock may be from ours before
	// Status reports it. Order is kept by the hybrid logical clock anyway.
	ClockSkewLimit = 5 * time.Minute
)

// Config configures a Node. Store is required; zero values elsewhere take
// the defaults noted.
type Config struct {
	Store  Store
	Logger *slog.Logger // nil: discard

	// BindAddr and BindPort are where memberlist listens (UDP and TCP);
	// "" means 0.0.0.0 and port 0 means any free port (see Addr). The
	// conventional port is DefaultBindPort.
	BindAddr string
	BindPort int
	// AdvertiseAddr and AdvertisePort are what peers are told (behind NAT
	// or on a multi-homed relay); empty and zero mean the bound address.
	AdvertiseAddr string
	AdvertisePort int
	// Join lists host:port addresses of peers to join; Run keeps trying
	// every SyncInterval until one answers.
	Join []string

	// Batch bounds for one pull: events and bytes (defaults 2000, 2 MiB).
	// Each batch is one store transaction and one fsync, so a batch of
	// a few thousand events costs much less per event than a small one.
	BatchEvents int
	BatchBytes  int
	// Window is how many batches a peer sends for one pull before
	// waiting to be asked again (8: with the defaults, up to 16 MiB in
	// flight, enough to keep the receiver busy applying).
	Window int
	// AnnounceDelay debounces announcements of local commits (100 ms).
	AnnounceDelay time.Duration
	// SyncInterval is how often the node re-plans pulls, expires stale
	// requests and retries joining (1 s).
	SyncInterval time.Duration
	// RequestTimeout abandons a pull that got no answer (10 s).
	RequestTimeout time.Duration
	// ReconnectInterval is how often the node tries to rejoin peers that
	// were declared dead (after a partition heals, memberlist alone does
	// not look for them again) (5 s).
	ReconnectInterval time.Duration
	// RefusalBackoff is how long a peer is not asked again for a device
	// whose events we refused from it (1 min).
	RefusalBackoff time.Duration
	// NoiseInterval is how often one misbehaving peer (or host sending
	// junk) may put a line in the log; the lines in between are counted
	// and the count logged (1 min).
	NoiseInterval time.Duration

	// FloodLimit corrections or cancellations from one device within
	// FloodWindow (by the events' clocks) hold the rest of that device's
	// events back for review (100 in 10 minutes).
	FloodLimit  int
	FloodWindow time.Duration

	// Memberlist timings; zero keeps memberlist's LAN defaults. Tests set
	// them short.
	ProbeInterval, ProbeTimeout, GossipInterval, PushPullInterval, TCPTimeout time.Duration

	// WrapTransport, if set, wraps the network transport memberlist uses
	// (fault injection in tests); addr is the bound host:port.
	WrapTransport func(t memberlist.NodeAwareTransport, addr string) memberlist.Transport

	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Node is one device's membership of the ward mesh. Create it with New,
// run it with Run; Status is safe to call at any time from any goroutine.
type Node struct {
	cfg  Config
	log  *slog.Logger
	st   Store
	self string
	fp   string // fingerprint of our public key
	boot string // this run's boot ID (see proof.go)
	hs   handshake
	ml   *memberlist.Memberlist
	ring *memberlist.Keyring // the site keys memberlist encrypts with
	addr string
	wg   sync.WaitGroup // goroutines sending messages
	// sendMu orders wg.Add (sends start on memberlist's goroutines too,
	// answering a challenge) before shutdown's wg.Wait: once sendsDone
	// is set no send starts.
	sendMu    sync.Mutex
	sendsDone bool
	sem       chan struct{} // bounds concurrent sends (pulls, batches, the handshake)
	ssem      chan struct{} // bounds concurrent summaries, apart: they never hold up a batch
	inbox     chan inbound  // state and batches for the sync loop
	reqs      chan pull     // pull requests for the server loop
	memb      chan struct{} // membership changed
	quit      chan struct{} // closed by Close
	changed   chan struct{} // signalled by the store after every commit

	runOnce, closeOnce sync.Once

	noise *noise // rate-limits the log lines misbehaving peers cause
	// ringMu serialises our changes to ring with our reads of its keys
	// (memberlist's RemoveKey rewrites the slice GetKeys returned).
	ringMu sync.Mutex

	mu  sync.Mutex // guards the fields below
	s   syncState
	reg map[string]lifeboat.Device
	// subs is each device's subscription as the registry says (a device
	// absent holds the site scope only); mySub is this device's.
	subs  map[string]lifeboat.Subscription
	mySub lifeboat.Subscription
	stats counters
}

type inbound struct {
	st     *state
	b      *batch
	failed *failedPull
}

// failedPull says a pull could not be delivered.
type failedPull struct {
	peer string
	id   uint64
}

type counters struct {
	bytesSent, bytesRecv, eventBytes uint64 // messages before compression; events
	wireSent, wireRecv               uint64 // messages as sent (batches compressed)
	received                         uint64
	dropped                          uint64
}

// Fingerprint is the short hex fingerprint of a device key that node
// metadata and enrolment codes carry.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// New makes a node and starts memberlist listening with the store's site
// keyring; nothing is joined or pulled until Run. The store must be
// unlocked and belong to a site.
func New(cfg Config) (*Node, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("new mesh node: no store: %w", lifeboat.ErrInvalid)
	}
	setDefaults(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	self, err := cfg.Store.Device(ctx)
	if err != nil {
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	pub, err := cfg.Store.DevicePublicKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	keys, err := cfg.Store.SiteKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("new mesh node: site keys: %w", err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("new mesh node: the store has no site key: %w", lifeboat.ErrInvalid)
	}
	ring, err := memberlist.NewKeyring(keys, keys[0])
	if err != nil {
		return nil, fmt.Errorf("new mesh node: keyring: %w", lifeboat.ErrInvalid)
	}
	n := &Node{
		cfg: cfg, st: cfg.Store, self: self, fp: Fingerprint(pub), ring: ring,
		log:   cfg.Logger.With("component", "mesh", "device", self),
		sem:   make(chan struct{}, 16),
		ssem:  make(chan struct{}, 8),
		inbox: make(chan inbound, 256),
		reqs:  make(chan pull, 64),
		memb:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		// Subscribed before the first reads below, so that a change made
		// between New and Run (a person discarding a quarantined event,
		// say) is not missed: Run's loop sees it signalled.
		changed: make(chan struct{}, 1),
		s:       newSyncState(),
		noise:   newNoise(cfg.NoiseInterval, cfg.Now),
		hs:      newHandshake(),
	}
	if n.boot, err = newBoot(); err != nil {
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	cfg.Store.Subscribe(n.changed)
	if err := n.refreshRegistry(ctx); err != nil {
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	if n.s.mine, err = cfg.Store.VersionVector(ctx); err != nil {
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	n.restoreQuarantine(ctx)

	mc := memberlist.DefaultLANConfig()
	mc.Name = self
	mc.BindAddr = cfg.BindAddr
	mc.BindPort = cfg.BindPort
	mc.AdvertiseAddr = cfg.AdvertiseAddr
	mc.AdvertisePort = cfg.AdvertisePort
	mc.Keyring = ring
	mc.EnableCompression = false // batches are compressed with Snappy (see wire.go)
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	mc.Delegate = (*delegate)(n)
	mc.Events = (*events)(n)
	mc.Alive = (*alive)(n)
	mc.Logger = newStdLogger(n.log, n.noise)
	mc.DeadNodeReclaimTime = 30 * time.Second
	for _, d := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&mc.ProbeInterval, cfg.ProbeInterval}, {&mc.ProbeTimeout, cfg.ProbeTimeout}, {&mc.GossipInterval, cfg.GossipInterval},
		{&mc.PushPullInterval, cfg.PushPullInterval}, {&mc.TCPTimeout, cfg.TCPTimeout}} {
		if d.v > 0 {
			*d.dst = d.v
		}
	}
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{mc.BindAddr}, BindPort: mc.BindPort, Logger: mc.Logger})
	if err != nil {
		return nil, fmt.Errorf("new mesh node: listen on %s: %w", net.JoinHostPort(mc.BindAddr, strconv.Itoa(mc.BindPort)), err)
	}
	n.addr = net.JoinHostPort(mc.BindAddr, strconv.Itoa(nt.GetAutoBindPort()))
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = nt.GetAutoBindPort()
	}
	mc.BindPort = nt.GetAutoBindPort()
	mc.Transport = nt
	if cfg.WrapTransport != nil {
		mc.Transport = cfg.WrapTransport(nt, n.addr)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		nt.Shutdown()
		return nil, fmt.Errorf("new mesh node: %w", err)
	}
	n.ml = ml
	ln := ml.LocalNode()
	n.hs.setLocal(session{Device: self, Boot: n.boot, Addr: addr16(ln.Addr), Port: ln.Port})
	return n, nil
}

func setDefaults(c *Config) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.BindAddr == "" {
		c.BindAddr = "0.0.0.0"
	}
	if c.BatchEvents <= 0 || c.BatchEvents > maxBatchEvents {
		c.BatchEvents = DefaultBatchEvents
	}
	if c.BatchBytes <= 0 || c.BatchBytes > maxMessage/2 {
		c.BatchBytes = DefaultBatchBytes
	}
	if c.Window <= 0 || c.Window > maxWindow {
		c.Window = DefaultWindow
	}
	if c.FloodLimit <= 0 {
		c.FloodLimit = DefaultFloodLimit
	}
	if c.FloodWindow <= 0 {
		c.FloodWindow = DefaultFloodWindow
	}
	if c.AnnounceDelay <= 0 {
		c.AnnounceDelay = DefaultAnnounceDelay
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ReconnectInterval <= 0 {
		c.ReconnectInterval = 5 * time.Second
	}
	if c.RefusalBackoff <= 0 {
		c.RefusalBackoff = DefaultRefusalBackoff
	}
	if c.NoiseInterval <= 0 {
		c.NoiseInterval = DefaultNoiseInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Addr is the host:port memberlist is bound to (with BindPort 0, the port chosen).
func (n *Node) Addr() string { return n.addr }

// Device is this node's device ID (its memberlist name).
func (n *Node) Device() string { return n.self }

// Run joins the configured peers and keeps this store in step with theirs
// until ctx is cancelled, then leaves the mesh gracefully and returns
// nil. It may be called once.
func (n *Node) Run(ctx context.Context) error {
	ran := false
	n.runOnce.Do(func() { ran = true })
	if !ran {
		return fmt.Errorf("run mesh node: already run: %w", lifeboat.ErrConflict)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-n.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	var loops sync.WaitGroup
	loops.Add(2)
	go func() { defer loops.Done(); n.serveLoop(ctx) }()
	go func() { defer loops.Done(); n.syncLoop(ctx, n.changed) }()
	<-ctx.Done()
	loops.Wait()
	n.shutdown()
	return nil
}

// Close stops a running node (Run returns) or releases one never run. It
// is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { close(n.quit) })
	ran := true
	n.runOnce.Do(func() { ran = false })
	if !ran {
		n.shutdown()
	}
	return nil
}

func (n *Node) shutdown() {
	if err := n.ml.Leave(time.Second); err != nil {
		n.log.Debug("leave", "err", err)
	}
	if err := n.ml.Shutdown(); err != nil {
		n.log.Debug("shutdown", "err", err)
	}
	n.sendMu.Lock()
	n.sendsDone = true
	n.sendMu.Unlock()
	n.wg.Wait()
	n.noise.flush(true)
}

// send delivers msg to a member over the reliable channel, in the
// background (a dead peer must not stall the sync loop).
func (n *Node) send(to member, msg []byte) { n.sendOr(to, msg, len(msg), nil) }

// sendOr is send with a callback for a failed delivery.
// logical is the message's size before compression (see Status).
func (n *Node) sendOr(to member, msg []byte, logical int, failed func()) {
	n.sendWith(n.sem, to, func() ([]byte, int) { return msg, logical }, failed)
}

// sendWith sends the message build makes, in the background, once sem
// has room (build runs then: a summary is made as it goes out).
func (n *Node) sendWith(sem chan struct{}, to member, build func() ([]byte, int), failed func()) {
	select {
	case <-n.quit:
		return
	default:
	}
	n.sendMu.Lock()
	if n.sendsDone {
		n.sendMu.Unlock()
		return
	}
	n.wg.Add(1)
	n.sendMu.Unlock()
	go func() {
		defer n.wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		msg, logical := build()
		if msg == nil {
			return
		}
		if err := n.ml.SendReliable(to.node(), msg); err != nil {
			n.log.Debug("send", "to", to.Name, "err", err)
			if failed != nil {
				failed()
			}
			return
		}
		n.mu.Lock()
		n.stats.bytesSent += uint64(logical)
		n.stats.wireSent += uint64(len(msg))
		n.mu.Unlock()
	}()
}

// tell sends a peer our summary in the background. At most one waits
// per peer, made as it goes out: a relay telling a hundred peers of a
// stream of changes sends each the newest, never a queue of stale ones.
// A send that fails is owed again at the next tick.
func (n *Node) tell(to member) {
	n.mu.Lock()
	p := n.s.peer(to.Name)
	if p.queued {
		n.mu.Unlock()
		return
	}
	p.queued = true
	n.mu.Unlock()
	n.sendWith(n.ssem, to, func() ([]byte, int) {
		n.mu.Lock()
		p.queued = false
		n.mu.Unlock()
		msg := n.summary(to.Name).encode()
		return msg, len(msg)
	}, func() {
		n.mu.Lock()
		p.retell = true
		n.mu.Unlock()
	})
}

// member returns the live member with this name, if any (not dead or
// left, as memberlist's event delegate last told us).
func (n *Node) member(name string) (member, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.s.live[name]
	return m, ok
}

// refreshRegistryIfMoved reloads the registry if the site's chains moved
// since it was last read (every device record is a site-scope record):
// at hospital scale commits come many a second, and most are not the
// site's. vec is our version vector as now read (nil: as last read).
func (n *Node) refreshRegistryIfMoved(ctx context.Context, vec map[string]uint64) error {
	n.mu.Lock()
	if vec == nil {
		vec = n.s.mine
	}
	at := siteSum(vec)
	moved := at != n.s.regAt
	n.mu.Unlock()
	if !moved {
		return nil
	}
	if err := n.refreshRegistry(ctx); err != nil {
		return err
	}
	n.mu.Lock()
	n.s.regAt = at
	n.mu.Unlock()
	return nil
}

// siteSum is the sum of the site scope's chains in v.
func siteSum(v map[string]uint64) uint64 {
	var site uint64
	for chain, seq := range v {
		if lifeboat.ScopeOf(chain) == lifeboat.ScopeSite {
			site += seq
		}
	}
	return site
}

// refreshRegistry reloads the device registry the alive delegate and the
// message handlers check peers against.
func (n *Node) refreshRegistry(ctx context.Context) error {
	n.mu.Lock()
	at := siteSum(n.s.mine)
	n.mu.Unlock()
	devs, err := n.st.Devices(ctx)
	if err != nil {
		return fmt.Errorf("read device registry: %w", err)
	}
	reg := make(map[string]lifeboat.Device, len(devs))
	for _, d := range devs {
		reg[d.ID] = d
	}
	subs, err := n.st.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("read device scopes: %w", err)
	}
	n.mu.Lock()
	mine := subscription(subs, n.self)
	if !slices.Equal(mine, n.mySub) {
		n.s.reindex() // chains of scopes we did not hold may be owed now
	}
	n.reg, n.subs, n.mySub = reg, subs, mine
	n.s.regAt = at
	n.s.regGen++
	n.mu.Unlock()
	return nil
}

// ErrUnknownPeer and ErrRevokedPeer are why a peer is refused.
var (
	ErrUnknownPeer = fmt.Errorf("device is not enrolled at this site: %w", lifeboat.ErrPermission)
	ErrRevokedPeer = fmt.Errorf("device has been revoked: %w", lifeboat.ErrPermission)
	ErrKeyMismatch = fmt.Errorf("device key fingerprint does not match the registry: %w", lifeboat.ErrPermission)
)

// admit checks a peer against the registry (and its fingerprint, if known).
func (n *Node) admit(device, fp string) error {
	n.mu.Lock()
	d, ok := n.reg[device]
	n.mu.Unlock()
	switch {
	case !ok:
		return ErrUnknownPeer
	case d.Revoked():
		return ErrRevokedPeer
	case fp != "" && fp != Fingerprint(d.PublicKey):
		return ErrKeyMismatch
	}
	return nil
}

// subscription is device's entry in subs: the site scope alone for a
// device the registry has no word of yet (a new device learns its own
// scopes from its enrolment, which is in the site scope).
func subscription(subs map[string]lifeboat.Subscription, device string) lifeboat.Subscription {
	if s, ok := subs[device]; ok {
		return s
	}
	return lifeboat.Subscription{lifeboat.ScopeSite}
}
