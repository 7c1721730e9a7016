package lifeboat

import "fmt"

// Event kinds the foundation itself records. Clinical kinds are declared
// beside their rules in package forms.
const (
	KindSiteCreated    = "site.created"            // payload SiteCreated; subject "site"
	KindDeviceEnrolled = "device.enrolled"         // payload DeviceEnrolled; subject "device:<id>"
	KindDeviceRevoked  = "device.revoked"          // payload DeviceRevoked; subject "device:<id>"
	KindUserSaved      = "user.saved"              // payload UserRecord; subject "user:<id>"; privileged
	KindPINChanged     = "user.pin_changed"        // payload PINChange; subject "user:<id>"; author the person themselves
	KindEnteredInError = "record.entered_in_error" // payload EnteredInError; Corrects names the record
	KindSiteKeyRotated = "site.key_rotated"        // payload SiteKeyRotated; subject "site"
	KindSiteKeyStep    = "site.key_step"           // payload SiteKeyStep; subject "site"; author "device:<its own id>"
	KindSiteKeyShared  = "site.key_shared"         // payload SiteKeyShared; subject "site"; author "device:<its own id>"
	KindDeviceScopes   = "device.scopes"           // payload DeviceScopes; subject "device:<id>"; privileged
	KindScopeKey       = "scope.key"               // payload ScopeKey; subject "scope:<scope>"; author "device:<its own id>"
)

// Role is what a person may do.
type Role string

// The roles. BreakGlass is the emergency account in the sealed downtime
// pack: it can do what ward staff can, and every use is audited.
const (
	RoleWardStaff  Role = "ward_staff"
	RolePharmacist Role = "pharmacist"
	RoleBedManager Role = "bed_manager"
	RoleITAdmin    Role = "it_admin"
	RoleBreakGlass Role = "break_glass"
)

// Roles lists every role in display order.
var Roles = []Role{RoleWardStaff, RolePharmacist, RoleBedManager, RoleITAdmin, RoleBreakGlass}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Label is the role in plain words.
func (r Role) Label() string {
	switch r {
	case RoleWardStaff:
		return "Ward staff"
	case RolePharmacist:
		return "Pharmacist"
	case RoleBedManager:
		return "Bed manager"
	case RoleITAdmin:
		return "IT admin"
	case RoleBreakGlass:
		return "Break-glass"
	}
	return fmt.Sprintf("unknown role %q", string(r))
}

// SiteCreated is the first event of a site, made by its founding device.
type SiteCreated struct {
	SiteID    string `json:"site_id"`
	SiteName  string `json:"site_name"`
	Ward      string `json:"ward"`
	Device    string `json:"device"`
	PublicKey []byte `json:"public_key"`
	// Drill marks a training site for downtime drills, never exported.
	Drill bool `json:"drill,omitempty"`
	// Admin and AdminKey are the founding IT admin and their personal
	// Ed25519 public key: the root every admin grant chains back to. The
	// site ID is derived from the founding device's key and AdminKey
	// (store.SiteIDFor), so no other event can claim to be the root.
	Admin    string `json:"admin,omitempty"`
	AdminKey []byte `json:"admin_key,omitempty"`
}

// DeviceEnrolled admits a device to the site; signed by an admin's device.
type DeviceEnrolled struct {
	Device    string `json:"device"`
	PublicKey []byte `json:"public_key"`
	Name      string `json:"name,omitempty"`
	// Scopes the device holds and is served. Empty is every scope: what
	// each device enrolled before scopes existed had.
	Scopes Subscription `json:"scopes,omitempty"`
}

// DeviceScopes changes the scopes a device holds (an IT admin's act).
// Every scope a device was ever given stays one it may have recorded in:
// its earlier records there stay valid on every device, in any order.
type DeviceScopes struct {
	Device string       `json:"device"`
	Scopes Subscription `json:"scopes"`
}

// DeviceRevoked removes a device. LastSeq is the last sequence number of
// the revoked device that the ward accepts (what the revoking admin's
// device held of it): its later events are refused everywhere, whatever
// their timestamp and whoever relays them.
type DeviceRevoked struct {
	Device  string `json:"device"`
	Reason  string `json:"reason,omitempty"`
	LastSeq uint64 `json:"last_seq"`
	// Chains is the same for the device's chains in other scopes (chain
	// ID -> last seq accepted), as far as the revoking device held them.
	// A chain it does not name is accepted up to none of its events: they
	// wait in quarantine for an IT admin who holds that scope.
	Chains map[string]uint64 `json:"chains,omitempty"`
}

// SiteKeyRotated starts a change of the site key (the memberlist keyring),
// recorded with a revocation: a new random key, sealed to each remaining
// device's own key so that only those devices can read it. The revoked
// device, which still holds the old key, is not among them.
type SiteKeyRotated struct {
	Key     string            `json:"key"`               // the new key's ID (never the key)
	Revoked string            `json:"revoked,omitempty"` // the device whose revocation it follows
	Reason  string            `json:"reason"`            // why (the revocation's reason)
	Wrapped map[string][]byte `json:"wrapped"`           // device ID -> the key sealed to that device
}

// Steps a device takes through a site key rotation, each recorded as a
// SiteKeyStep event by the device itself.
const (
	KeyStepInstalled = "installed" // the device can read the new key (accepts messages under it)
	KeyStepInUse     = "in_use"    // the device now sends under it (or a newer key)
)

// SiteKeyStep is a device's report that it reached a step of a rotation.
type SiteKeyStep struct {
	Key  string `json:"key"` // the rotation's key ID
	Step string `json:"step"`
}

// SiteKeyShared seals a rotation's key to devices it was not sealed to: a
// device enrolled while the rotation was under way, through an admin
// device that did not have the new key yet. A device holding the key
// records it for every such device it knows of.
type SiteKeyShared struct {
	Key     string            `json:"key"`     // the rotation's key ID
	Wrapped map[string][]byte `json:"wrapped"` // device ID -> the key sealed to that device
}

// UserRecord creates or updates a person; the newest record (by HLC) wins.
// The PIN is never stored, only its Argon2id hash.
type UserRecord struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	Active  bool   `json:"active"`
	PINHash []byte `json:"pin_hash"`
	PINSalt []byte `json:"pin_salt"`
	KDF     [3]int `json:"kdf"` // Argon2id time, memory KiB, lanes
	// AdminKey is an IT admin's personal key (required for RoleITAdmin):
	// what privileged events are signed with.
	AdminKey *SealedKey `json:"admin_key,omitempty"`
}

// PINChange is a person's new PIN hash, recorded by the person themselves
// (an IT admin's PIN changes with a new UserRecord instead).
type PINChange struct {
	ID      string `json:"id"`
	PINHash []byte `json:"pin_hash"`
	PINSalt []byte `json:"pin_salt"`
	KDF     [3]int `json:"kdf"`
}

// SealedKey is an Ed25519 key pair whose private half is sealed under a
// passphrase only its owner knows (Argon2id, then XChaCha20-Poly1305). It
// travels in the replicated log, so the owner can act from any device by
// typing the passphrase; a stolen device holds only the sealed form.
type SealedKey struct {
	Public []byte `json:"public"`
	Salt   []byte `json:"salt"`
	Sealed []byte `json:"sealed"`
	KDF    [3]int `json:"kdf"` // Argon2id time, memory KiB, lanes
}

// Auth is an IT admin's authority for a privileged event: their personal
// key's signature over the event (see store's authority rules). It sits in
// the event's payload as "auth", beside "seen" (the recording device's
// version vector: the event's causal past).
type Auth struct {
	By  string `json:"by"`  // the admin's user ID (the event's author)
	Sig []byte `json:"sig"` // Ed25519 over the auth statement
}

// EnteredInError cancels the record named by the event's Corrects.
type EnteredInError struct {
	Reason string `json:"reason"`
}

// ScopeKey hands scope keys to devices: each key (by its ID) sealed to
// each device named (by the device's own key), so that devices reading
// the scope can open its sealed payloads and nobody else can. The first
// record naming a key creates it; later ones share it with devices that
// came to read the scope since. Every key the scope has had stays in the
// log, for the records sealed under it.
type ScopeKey struct {
	Scope Scope                        `json:"scope"`
	Keys  map[string]map[string][]byte `json:"keys"` // key ID → device → the key sealed to it
}
