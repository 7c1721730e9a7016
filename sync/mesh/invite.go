package mesh

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"lifeboat"
)

// InviteTTL is how long an enrolment invitation may be used.
const InviteTTL = 10 * time.Minute

// Invite is what an admin device shows a new device (as a QR code) to
// enrol it: where to connect, whom to trust and a one-time token. It never
// carries the site key (a QR code can be photographed); the keyring is
// handed over on the TLS connection the fingerprint pins.
type Invite struct {
	SiteID string
	// Addrs are host:port addresses of the admin device's enrolment
	// listener.
	Addrs []string
	// Fingerprint is the SHA-256 of the admin device's TLS certificate
	// (its public key info): the new device accepts no other server.
	Fingerprint [32]byte
	Token       [16]byte  // one-time secret the new device proves
	Expires     time.Time // second precision
}

const (
	invitePrefix  = "LIFEBOAT1:"
	inviteVersion = 1
	maxInviteLen  = 1024
	maxAddrs      = 8
	maxAddrLen    = 64
)

// ErrInviteExpired and ErrInviteUsed are why a token is not accepted.
var (
	ErrInviteExpired = fmt.Errorf("the enrolment code has expired: %w", lifeboat.ErrPermission)
	ErrInviteUsed    = fmt.Errorf("the enrolment code is not valid or was already used: %w", lifeboat.ErrPermission)
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Encode returns the QR payload: a prefix and base32 (QR alphanumeric
// mode, so the code stays small).
func (iv Invite) Encode() string {
	b := []byte{inviteVersion}
	b = appendStr(b, iv.SiteID)
	b = binary.AppendUvarint(b, uint64(len(iv.Addrs)))
	for _, a := range iv.Addrs {
		b = appendStr(b, a)
	}
	b = append(b, iv.Fingerprint[:]...)
	b = append(b, iv.Token[:]...)
	b = binary.AppendVarint(b, iv.Expires.Unix())
	return invitePrefix + b32.EncodeToString(b)
}

// DecodeInvite parses a QR payload. It checks shape and bounds, not
// expiry (the admin device's Invites does that when the token is proved).
func DecodeInvite(s string) (Invite, error) {
	if len(s) > maxInviteLen || !strings.HasPrefix(s, invitePrefix) {
		return Invite{}, fmt.Errorf("not a Lifeboat enrolment code: %w", lifeboat.ErrInvalid)
	}
	raw, err := b32.DecodeString(s[len(invitePrefix):])
	if err != nil || len(raw) == 0 || raw[0] != inviteVersion {
		return Invite{}, fmt.Errorf("enrolment code: %w", errWire)
	}
	r := &reader{b: raw[1:]}
	iv := Invite{SiteID: string(r.bytes("site", lifeboat.MaxIDLen))}
	n := r.uvarint("addresses")
	if r.err == nil && (n == 0 || n > maxAddrs) {
		r.fail("addresses")
	}
	for i := uint64(0); r.err == nil && i < n; i++ {
		a := string(r.bytes("address", maxAddrLen))
		if a == "" {
			r.fail("address")
		}
		iv.Addrs = append(iv.Addrs, a)
	}
	if r.err == nil && len(r.b) < 48 {
		r.fail("keys")
	}
	if r.err == nil {
		copy(iv.Fingerprint[:], r.b[:32])
		copy(iv.Token[:], r.b[32:48])
		r.b = r.b[48:]
	}
	exp := r.varint("expiry")
	if err := r.done(); err != nil {
		return Invite{}, fmt.Errorf("enrolment code: %w", err)
	}
	if iv.SiteID == "" {
		return Invite{}, fmt.Errorf("enrolment code: no site: %w", errWire)
	}
	iv.Expires = time.Unix(exp, 0).UTC()
	return iv, nil
}

// QR renders the invitation as a PNG QR code of size pixels square.
func (iv Invite) QR(size int) ([]byte, error) {
	png, err := qrcode.Encode(iv.Encode(), qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("draw enrolment code: %w", err)
	}
	return png, nil
}

// ShortCode is the token as 4 groups of 4 letters and digits, for a
// person to type on a device with no camera (with the admin device's
// address); it is checked like the QR code's token.
func (iv Invite) ShortCode() string {
	s := b32.EncodeToString(iv.Token[:10])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// Invites issues invitations and redeems each token once, within
// InviteTTL. Safe for concurrent use.
type Invites struct {
	mu   sync.Mutex
	now  func() time.Time
	open map[[16]byte]time.Time
}

// NewInvites makes an empty set; now is the clock (nil: time.Now).
func NewInvites(now func() time.Time) *Invites {
	if now == nil {
		now = time.Now
	}
	return &Invites{now: now, open: map[[16]byte]time.Time{}}
}

// Issue makes an invitation valid for InviteTTL.
func (s *Invites) Issue(siteID string, addrs []string, fingerprint [32]byte) (Invite, error) {
	iv := Invite{SiteID: siteID, Addrs: addrs, Fingerprint: fingerprint, Expires: s.now().Add(InviteTTL).Truncate(time.Second).UTC()}
	if _, err := rand.Read(iv.Token[:]); err != nil {
		return Invite{}, fmt.Errorf("issue enrolment code: %w", err)
	}
	s.mu.Lock()
	s.open[iv.Token] = iv.Expires
	s.mu.Unlock()
	return iv, nil
}

// Redeem accepts a token once, if it was issued here and has not expired;
// shortCode may be given instead of the full token (typed by a person).
func (s *Invites) Redeem(token [16]byte, shortCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for t, exp := range s.open {
		match := subtle.ConstantTimeCompare(t[:], token[:]) == 1
		if shortCode != "" {
			match = subtle.ConstantTimeCompare([]byte(Invite{Token: t}.ShortCode()), []byte(strings.ToUpper(strings.TrimSpace(shortCode)))) == 1
		}
		if !match {
			continue
		}
		delete(s.open, t)
		if now.After(exp) {
			return ErrInviteExpired
		}
		return nil
	}
	return ErrInviteUsed
}
