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

// Why a typed short code or fingerprint cannot be read.
var (
	ErrShortCodeOne  = fmt.Errorf("short codes use the letters I and L, never the digit 1: %w", lifeboat.ErrInvalid)
	ErrShortCodeForm = fmt.Errorf("a short code is 16 letters and digits 2 to 7, in 4 groups of 4: %w", lifeboat.ErrInvalid)
	ErrFingerprint   = fmt.Errorf("a fingerprint is 16 digits 0 to 9 and letters a to f: %w", lifeboat.ErrInvalid)
)

// NormaliseShortCode returns a short code as a person typed it the way
// ShortCode writes it: upper case, in 4 groups of 4 joined by "-", with
// spaces and dashes anywhere. The code's alphabet (base32: A to Z, 2 to
// 7) has no 0 or 8, so a typed 0 is read as O and 8 as B; a 1 could be I
// or L, so it is not guessed (ErrShortCodeOne). Anything else that is
// not in the alphabet, or a length other than 16: ErrShortCodeForm.
func NormaliseShortCode(typed string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r == '0':
			r = 'O'
		case r == '8':
			r = 'B'
		case r == '1':
			return "", ErrShortCodeOne
		case !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7'):
			return "", ErrShortCodeForm
		}
		if b.Len() == 16 {
			return "", ErrShortCodeForm
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) != 16 {
		return "", ErrShortCodeForm
	}
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// NormaliseFingerprint returns a typed fingerprint prefix as
// FingerprintPrefix writes it: 16 lower-case hex digits, spaces, dashes
// and colons dropped, and a letter O, I or L read as the digit it looks
// like (hex has no such letters). Otherwise: ErrFingerprint.
func NormaliseFingerprint(typed string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToLower(typed) {
		switch {
		case r == ' ' || r == '-' || r == ':' || r == '\t':
			continue
		case r == 'o':
			r = '0'
		case r == 'i' || r == 'l':
			r = '1'
		case !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f'):
			return "", ErrFingerprint
		}
		if b.Len() == 16 {
			return "", ErrFingerprint
		}
		b.WriteRune(r)
	}
	if b.Len() != 16 {
		return "", ErrFingerprint
	}
	return b.String(), nil
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
