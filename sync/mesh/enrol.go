package mesh

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"lifeboat"
)

// Enrolment: an admin device runs ServeEnrolment with an Invites and shows
// an Invite (QR code, or short code plus the first 16 hex digits of its
// fingerprint); the new device calls Enrol, which connects over TLS 1.3
// pinned to the invite's fingerprint (no certificate authority is
// trusted), proves the one-time token and sends its device public key.
// The admin device records device.enrolled (signed by itself) through
// EnrolConfig.Admit and answers with what the new device needs to join:
// the site, the admin device's key as its trust anchor and the keys of the
// other devices it knows, the memberlist keyring and the ward's sync
// addresses. The keyring never appears in the
// invite.

// DefaultEnrolPort is where an admin device listens for new devices (TCP,
// beside the mesh's DefaultBindPort).
const DefaultEnrolPort = 7947

// EnrolAddr is the address an invite names: the host peers reach this
// device on (its mesh address nodeAddr), with the enrolment listener's
// port, unless the listener is bound to one specific address.
func EnrolAddr(nodeAddr, listenAddr string) string {
	host, _, _ := net.SplitHostPort(nodeAddr)
	lhost, port, _ := net.SplitHostPort(listenAddr)
	if ip := net.ParseIP(lhost); ip != nil && !ip.IsUnspecified() {
		host = lhost
	}
	return net.JoinHostPort(host, port)
}

// EnrolTimeout bounds one enrolment exchange.
const EnrolTimeout = 15 * time.Second

// maxEnrolMessage bounds a request or response on the wire.
const maxEnrolMessage = 64 << 10

// maxEnrolFailures is how many wrong or expired codes a listener
// tolerates before it stops (guessing short codes must not be a loop).
// Connections that never get as far as proving a code (a port scan, a
// client that hangs up, garbage instead of TLS or a request) are not
// counted: they cannot guess, and must not end an invite.
const maxEnrolFailures = 10

// EnrolRequest is what a new device sends.
type EnrolRequest struct {
	Token     []byte `json:"token,omitempty"`      // the invite's 16-byte token, or
	ShortCode string `json:"short_code,omitempty"` // the code a person typed
	PublicKey []byte `json:"public_key"`           // the new device's Ed25519 key
	Name      string `json:"name"`                 // e.g. "Ward 7 laptop 3"
	// Time is the new device's clock (Unix ms) when it asked: the admin
	// device refuses one too far out (codeClock) before spending the code.
	Time int64 `json:"time,omitempty"`
}

// EnrolGrant is what an enrolled device receives.
type EnrolGrant struct {
	Error string `json:"error,omitempty"` // plain words when refused
	// Code says why it was refused, for the new device to put in its own
	// words (one of the code* constants; another or none: refused).
	Code string `json:"code,omitempty"`
	// Time is the admin device's clock (Unix ms) on a codeClock refusal.
	Time     int64    `json:"time,omitempty"`
	DeviceID string   `json:"device_id,omitempty"`
	SiteID   string   `json:"site_id,omitempty"`
	SiteName string   `json:"site_name,omitempty"`
	Ward     string   `json:"ward,omitempty"`
	Drill    bool     `json:"drill,omitempty"`
	Anchor   []byte   `json:"anchor,omitempty"`    // the admin device's public key
	SiteKeys [][]byte `json:"site_keys,omitempty"` // memberlist keyring, primary first
	Join     []string `json:"join,omitempty"`      // host:port of ward sync peers
	Devices  [][]byte `json:"devices,omitempty"`   // public keys of the other devices the admin device knows
}

// Refusal codes on the wire (EnrolGrant.Code): stable words, as the plain
// text may change.
const (
	codeExpired = "expired" // ErrInviteExpired
	codeUnknown = "unknown" // ErrInviteUsed: not issued here, or used
	codeClock   = "clock"   // ErrClockOff
	codeAdmit   = "admit"   // the admin device could not record the device
)

// maxGrantDevices bounds the devices a grant names (the message limit
// allows about 1,300).
const maxGrantDevices = 1000

// GrantDevices turns the admin device's known device keys into a grant's
// Devices.
func GrantDevices(pubs []ed25519.PublicKey) [][]byte {
	out := make([][]byte, len(pubs))
	for i, p := range pubs {
		out[i] = p
	}
	return out
}

// DeviceKeys returns the grant's Devices as public keys (checked by
// DecodeEnrolGrant).
func (g EnrolGrant) DeviceKeys() []ed25519.PublicKey {
	out := make([]ed25519.PublicKey, len(g.Devices))
	for i, k := range g.Devices {
		out[i] = k
	}
	return out
}

// DecodeEnrolRequest parses and checks a request from the wire.
func DecodeEnrolRequest(b []byte) (EnrolRequest, error) {
	var r EnrolRequest
	if err := strictJSON(b, &r); err != nil {
		return EnrolRequest{}, fmt.Errorf("enrolment request: %w", err)
	}
	switch {
	case len(r.PublicKey) != ed25519.PublicKeySize:
		return EnrolRequest{}, fmt.Errorf("enrolment request: device key must be %d bytes: %w", ed25519.PublicKeySize, lifeboat.ErrInvalid)
	case (len(r.Token) == 16) == (r.ShortCode != ""):
		return EnrolRequest{}, fmt.Errorf("enrolment request: give the token or the short code: %w", lifeboat.ErrInvalid)
	case r.Token != nil && len(r.Token) != 16, len(r.ShortCode) > 32, len(r.Name) > 128:
		return EnrolRequest{}, fmt.Errorf("enrolment request: field too long: %w", lifeboat.ErrInvalid)
	}
	return r, nil
}

// DecodeEnrolGrant parses and checks an answer from the wire.
func DecodeEnrolGrant(b []byte) (EnrolGrant, error) {
	var g EnrolGrant
	if err := strictJSON(b, &g); err != nil {
		return EnrolGrant{}, fmt.Errorf("enrolment answer: %w", err)
	}
	if g.Error != "" {
		if len(g.Error) > 512 {
			g.Error = g.Error[:512]
		}
		return g, nil
	}
	switch {
	case g.SiteID == "" || len(g.SiteID) > lifeboat.MaxIDLen || g.DeviceID == "" || len(g.DeviceID) > lifeboat.MaxIDLen:
		return EnrolGrant{}, fmt.Errorf("enrolment answer: no site or device: %w", lifeboat.ErrInvalid)
	case len(g.Anchor) != ed25519.PublicKeySize:
		return EnrolGrant{}, fmt.Errorf("enrolment answer: anchor key must be %d bytes: %w", ed25519.PublicKeySize, lifeboat.ErrInvalid)
	case len(g.SiteKeys) == 0 || len(g.SiteKeys) > 8 || len(g.Join) > maxAddrs:
		return EnrolGrant{}, fmt.Errorf("enrolment answer: bad keyring or addresses: %w", lifeboat.ErrInvalid)
	}
	for _, k := range g.SiteKeys {
		if len(k) != 32 {
			return EnrolGrant{}, fmt.Errorf("enrolment answer: site keys must be 32 bytes: %w", lifeboat.ErrInvalid)
		}
	}
	if len(g.Devices) > maxGrantDevices {
		return EnrolGrant{}, fmt.Errorf("enrolment answer: more than %d devices: %w", maxGrantDevices, lifeboat.ErrInvalid)
	}
	for _, k := range g.Devices {
		if len(k) != ed25519.PublicKeySize {
			return EnrolGrant{}, fmt.Errorf("enrolment answer: device keys must be %d bytes: %w", ed25519.PublicKeySize, lifeboat.ErrInvalid)
		}
	}
	for _, a := range g.Join {
		if _, _, err := net.SplitHostPort(a); err != nil || len(a) > maxAddrLen {
			return EnrolGrant{}, fmt.Errorf("enrolment answer: bad address %q: %w", a, lifeboat.ErrInvalid)
		}
	}
	return g, nil
}

// strictJSON decodes one JSON object with no unknown fields and nothing
// after it.
func strictJSON(b []byte, v any) error {
	if len(b) > maxEnrolMessage {
		return fmt.Errorf("message too large: %w", lifeboat.ErrInvalid)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%v: %w", err, lifeboat.ErrInvalid)
	}
	if d.More() {
		return fmt.Errorf("trailing data: %w", lifeboat.ErrInvalid)
	}
	return nil
}

// NewEnrolCert makes a fresh self-signed Ed25519 certificate for one
// enrolment listener and returns it with its fingerprint (SHA-256 of its
// public key info), which the invite carries.
func NewEnrolCert() (tls.Certificate, [32]byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, [32]byte{}, fmt.Errorf("enrolment key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return tls.Certificate{}, [32]byte{}, fmt.Errorf("enrolment certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, [32]byte{}, fmt.Errorf("enrolment certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, sha256.Sum256(leaf.RawSubjectPublicKeyInfo), nil
}

// FingerprintPrefix is the part of a fingerprint a person compares or
// types with a short code: its first 16 hex digits.
func FingerprintPrefix(fp [32]byte) string { return hex.EncodeToString(fp[:8]) }

// EnrolConfig is an enrolment listener's settings.
type EnrolConfig struct {
	Invites *Invites
	Cert    tls.Certificate
	// Admit records the new device (a device.enrolled event signed by this
	// device) and returns the grant to send, without Error.
	Admit func(ctx context.Context, pub ed25519.PublicKey, name string) (EnrolGrant, error)
	// Enrolled, if set, is called after each device is enrolled.
	Enrolled func(g EnrolGrant, name string)
	// MaxClockOff is how far the new device's clock may be from this
	// one's (0: ClockSkewLimit, as far as peers' events may be ahead
	// before they are held). A device further out would hold the ward's
	// records back, or have its own held: it is refused before its code
	// is spent, to fix its clock and try again.
	MaxClockOff time.Duration
	// Now is this device's clock; nil: time.Now.
	Now func() time.Time
}

// ErrClockOff is why a device whose clock is too far from the admin
// device's is not enrolled; a *ClockOffError says by how much.
var ErrClockOff = fmt.Errorf("clocks too far apart: %w", lifeboat.ErrConflict)

// ClockOffError is an enrolment refused for the clocks: Off is the admin
// device's clock minus the new device's, positive when the new device is
// behind.
type ClockOffError struct{ Off time.Duration }

func (e *ClockOffError) Error() string {
	way := "ahead of"
	if e.Off > 0 {
		way = "behind"
	}
	return fmt.Sprintf("this device's clock is %s %s the admin device's: %v", e.Off.Abs().Round(time.Second), way, ErrClockOff)
}

func (e *ClockOffError) Unwrap() error { return ErrClockOff }

// ErrUnreachable is why Enrol gave up: no admin device answered at the
// code's address (wrong address or port, not on the network, or the code
// no longer shown).
var ErrUnreachable = fmt.Errorf("could not reach the admin device: %w", lifeboat.ErrTransient)

// ErrWrongDevice is why Enrol stopped: the device answering at the
// address is not the one whose fingerprint the code carries (a mistyped
// address or fingerprint, or someone in the middle).
var ErrWrongDevice = fmt.Errorf("the device answering is not the one that showed the code: %w", lifeboat.ErrPermission)

// ErrAlreadyEnrolled is why a device with a ward already is not enrolled
// again.
var ErrAlreadyEnrolled = fmt.Errorf("this device already belongs to a ward: %w", lifeboat.ErrConflict)

// ServeEnrolment answers enrolment requests on ln until ctx ends or too
// many codes have been refused (maxEnrolFailures). Each connection is one
// exchange.
func ServeEnrolment(ctx context.Context, ln net.Listener, cfg EnrolConfig) error {
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cfg.Cert}, MinVersion: tls.VersionTLS13})
	go func() { <-ctx.Done(); tl.Close() }()
	var (
		mu       sync.Mutex
		failures int
		wg       sync.WaitGroup
	)
	defer wg.Wait()
	for {
		conn, err := tl.Accept()
		if err != nil {
			mu.Lock()
			stop := failures >= maxEnrolFailures // the listener was closed for it
			mu.Unlock()
			switch {
			case stop:
				return fmt.Errorf("enrolment stopped after %d refused codes: %w", maxEnrolFailures, lifeboat.ErrPermission)
			case ctx.Err() != nil:
				return nil
			}
			return fmt.Errorf("enrolment listener: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := answerEnrolment(ctx, conn, cfg); codeRefused(err) {
				mu.Lock()
				failures++
				tooMany := failures >= maxEnrolFailures
				mu.Unlock()
				if tooMany {
					tl.Close() // stop: someone is guessing
				}
			}
		}()
		mu.Lock()
		stop := failures >= maxEnrolFailures
		mu.Unlock()
		if stop {
			return fmt.Errorf("enrolment stopped after %d refused codes: %w", maxEnrolFailures, lifeboat.ErrPermission)
		}
	}
}

// codeRefused reports whether an exchange failed on its code: the only
// failures that count towards maxEnrolFailures.
func codeRefused(err error) bool {
	return errors.Is(err, ErrInviteUsed) || errors.Is(err, ErrInviteExpired)
}

// answerEnrolment handles one connection; it returns an error when the
// request was refused.
func answerEnrolment(ctx context.Context, conn net.Conn, cfg EnrolConfig) error {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(EnrolTimeout))
	reply := func(g EnrolGrant) { b, _ := json.Marshal(g); _, _ = conn.Write(append(b, '\n')) }
	b, err := readLine(conn)
	if err != nil {
		return err
	}
	req, err := DecodeEnrolRequest(b)
	if err != nil {
		reply(EnrolGrant{Error: "the request was not understood"})
		return err
	}
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	limit := cfg.MaxClockOff
	if limit <= 0 {
		limit = ClockSkewLimit
	}
	if off := now.Sub(time.UnixMilli(req.Time)); req.Time != 0 && off.Abs() > limit {
		// Before the code is redeemed: fixing the clock and trying again
		// with the same code must work, and a wrong clock guesses nothing.
		e := &ClockOffError{Off: off}
		reply(EnrolGrant{Error: e.Error(), Code: codeClock, Time: now.UnixMilli()})
		return fmt.Errorf("enrolment: %w", e)
	}
	var token [16]byte
	copy(token[:], req.Token)
	if err := cfg.Invites.Redeem(token, req.ShortCode); err != nil {
		code := codeUnknown
		if errors.Is(err, ErrInviteExpired) {
			code = codeExpired
		}
		reply(EnrolGrant{Error: plainInviteError(err), Code: code})
		return err
	}
	g, err := cfg.Admit(ctx, ed25519.PublicKey(req.PublicKey), strings.TrimSpace(req.Name))
	if err != nil {
		reply(EnrolGrant{Error: "the admin device could not enrol this device; ask IT to try again", Code: codeAdmit})
		return err
	}
	reply(g)
	if cfg.Enrolled != nil {
		cfg.Enrolled(g, req.Name)
	}
	return nil
}

func plainInviteError(err error) string {
	if errors.Is(err, ErrInviteExpired) {
		return "the enrolment code has expired: ask for a new one"
	}
	return "the enrolment code is not valid or was already used: ask for a new one"
}

// readLine reads one newline-terminated message of at most
// maxEnrolMessage bytes.
func readLine(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(&lineReader{r: r}, maxEnrolMessage+1))
	if err != nil {
		return nil, fmt.Errorf("read enrolment message: %w", err)
	}
	if len(b) > maxEnrolMessage {
		return nil, fmt.Errorf("enrolment message too large: %w", lifeboat.ErrInvalid)
	}
	return b, nil
}

// lineReader reads up to and not including the first newline.
type lineReader struct {
	r    io.Reader
	done bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := l.r.Read(p[:1])
	if n == 1 && p[0] == '\n' {
		l.done = true
		return 0, io.EOF
	}
	return n, err
}

// EnrolWith says how a new device reaches the admin device: the decoded
// invite, or (typed by a person) the short code, the listener's address
// and the fingerprint prefix shown beside the code.
type EnrolWith struct {
	Invite      *Invite
	ShortCode   string
	Addr        string
	Fingerprint string // FingerprintPrefix of the admin device's certificate
}

// ErrEnrolRefused is why Enrol failed when the admin device answered no;
// it wraps the reason's kind when the answer says one (ErrInviteExpired,
// ErrInviteUsed, a *ClockOffError), else the admin device's plain words.
var ErrEnrolRefused = errors.New("enrolment refused")

// Enrol asks the admin device to enrol this device's public key pub under
// name, over TLS pinned to the invite's fingerprint, trying each address
// in turn. It does not change any store: the caller joins the site with
// the grant.
//
// Its errors are kinds to match with errors.Is: ErrUnreachable,
// ErrWrongDevice, ErrEnrolRefused (with ErrInviteExpired, ErrInviteUsed
// or ErrClockOff when the admin device says why), ErrInviteExpired for a
// code past its time.
func Enrol(ctx context.Context, with EnrolWith, pub ed25519.PublicKey, name string) (EnrolGrant, error) {
	req := EnrolRequest{PublicKey: pub, Name: name, Time: time.Now().UnixMilli()}
	var addrs []string
	var pin func(fp [32]byte) bool
	switch {
	case with.Invite != nil:
		if time.Now().After(with.Invite.Expires.Add(time.Minute)) {
			return EnrolGrant{}, ErrInviteExpired
		}
		req.Token = with.Invite.Token[:]
		addrs = with.Invite.Addrs
		want := with.Invite.Fingerprint
		pin = func(fp [32]byte) bool { return subtle.ConstantTimeCompare(fp[:], want[:]) == 1 }
	case with.ShortCode != "" && with.Addr != "" && len(with.Fingerprint) == 16:
		req.ShortCode = strings.ToUpper(strings.TrimSpace(with.ShortCode))
		addrs = []string{with.Addr}
		want := strings.ToLower(with.Fingerprint)
		pin = func(fp [32]byte) bool {
			return subtle.ConstantTimeCompare([]byte(FingerprintPrefix(fp)), []byte(want)) == 1
		}
	default:
		return EnrolGrant{}, fmt.Errorf("enrol: give the enrolment code, or the short code with the address and the 16-digit fingerprint: %w", lifeboat.ErrInvalid)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return EnrolGrant{}, err
	}
	conf := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // no CA: the certificate is pinned below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !pin(sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)) {
				return ErrWrongDevice
			}
			return nil
		},
	}
	var errs []error
	for _, a := range addrs {
		g, err := enrolAt(ctx, a, conf, body)
		if err == nil || errors.Is(err, ErrEnrolRefused) || errors.Is(err, lifeboat.ErrPermission) {
			return g, err
		}
		errs = append(errs, err)
	}
	return EnrolGrant{}, fmt.Errorf("enrol: %w: %w", ErrUnreachable, errors.Join(errs...))
}

func enrolAt(ctx context.Context, addr string, conf *tls.Config, body []byte) (EnrolGrant, error) {
	ctx, cancel := context.WithTimeout(ctx, EnrolTimeout)
	defer cancel()
	d := tls.Dialer{Config: conf}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return EnrolGrant{}, fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write(append(body, '\n')); err != nil {
		return EnrolGrant{}, fmt.Errorf("send to %s: %w", addr, err)
	}
	b, err := readLine(c)
	if err != nil {
		return EnrolGrant{}, err
	}
	g, err := DecodeEnrolGrant(b)
	if err != nil {
		return EnrolGrant{}, err
	}
	if g.Error != "" {
		return EnrolGrant{}, refusal(g, time.Now())
	}
	return g, nil
}

// refusal is the error for a refused enrolment g, received at now.
func refusal(g EnrolGrant, now time.Time) error {
	switch {
	case g.Code == codeExpired:
		return fmt.Errorf("%w: %w", ErrEnrolRefused, ErrInviteExpired)
	case g.Code == codeUnknown:
		return fmt.Errorf("%w: %w", ErrEnrolRefused, ErrInviteUsed)
	case g.Code == codeClock && g.Time != 0:
		return fmt.Errorf("%w: %w", ErrEnrolRefused, &ClockOffError{Off: time.UnixMilli(g.Time).Sub(now)})
	}
	return fmt.Errorf("%w: %s", ErrEnrolRefused, g.Error)
}
