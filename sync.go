package lifeboat

import (
	"crypto/ed25519"
	"time"
)

// Refusal is an event a store would not apply, and why.
type Refusal struct {
	ID     string
	Device string
	Seq    uint64
	Reason string
	Err    error // wraps an error kind: ErrInvalid, ErrCorrupt, ErrPermission, ErrConflict
}

// Quarantined is an event refused from a peer and kept, with why, for a
// person to review: never applied while it is there. It names the event
// but holds none of its payload.
type Quarantined struct {
	ID     string // the event's ID (or its hash, if it had none)
	Device string // the device it claims to be from
	Seq    uint64
	Kind   string
	Peer   string    // the peer it came from
	At     time.Time // when it was first refused
	Reason string    // why it was refused, most recently
}

// ApplyResult says what a store did with a batch of events from a peer.
type ApplyResult struct {
	Applied    int
	Duplicates int
	Refused    []Refusal
	// Held are events whose causal past (the records that would allow
	// them) has not arrived yet: neither applied nor refused. Peers offer
	// them again, and they apply once what they rely on is here.
	Held []Refusal
}

// Device is an entry in a site's device registry.
type Device struct {
	ID        string
	PublicKey ed25519.PublicKey
	Source    string // self, anchor (trusted at enrolment) or event
	RevokedAt int64  // HLC wall ms of the revocation; 0 while active
	LastSeq   uint64 // once revoked: the last of its events the ward accepts
}

// Revoked reports whether the device has been revoked.
func (d Device) Revoked() bool { return d.RevokedAt > 0 }

// SiteKeyState is where a device stands with the site keys after moving
// along any rotation: the keyring to use (primary first), the rotations'
// progress, and whether this call changed anything.
type SiteKeyState struct {
	Ring      [][]byte
	Rotations []KeyRotation
	Changed   bool
}

// KeyRotation reports a site key rotation's progress.
type KeyRotation struct {
	Key     string    // the new key's ID
	Revoked string    // the device whose revocation it follows
	Reason  string    // why it was rotated
	At      time.Time // when
	// Step is what the ward is waiting for: "install" (devices to read
	// the new key), "use" (devices to send under it) or "done".
	Step string
	// Waiting lists the remaining devices that have not reached Step.
	Waiting []string
	// Missed: this device was not given the new key (it was enrolled
	// while the rotation was under way). Once the rotation is done it can
	// no longer reach the ward and must be enrolled again.
	Missed bool
}

// EncodedEvent is one event's signed encoding as a store keeps it (see
// Event.Encode), for sending to a peer without decoding it first.
type EncodedEvent struct {
	Device string
	Seq    uint64
	Bytes  []byte
}

// PreparedBatch is a batch of peers' events a store has made ready to
// apply: checked, hashed and sealed off the writer's path (see the
// store's PrepareRemote and ApplyPrepared).
type PreparedBatch interface {
	// Events are the batch's events as given.
	Events() []Event
}
