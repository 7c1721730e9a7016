package lifeboat

import "fmt"

// Event kinds the foundation itself records. Clinical kinds are declared
// beside their rules in package forms.
const (
	KindSiteCreated    = "site.created"            // payload SiteCreated; subject "site"
	KindDeviceEnrolled = "device.enrolled"         // payload DeviceEnrolled; subject "device:<id>"
	KindDeviceRevoked  = "device.revoked"          // payload DeviceRevoked; subject "device:<id>"
	KindUserSaved      = "user.saved"              // payload UserRecord; subject "user:<id>"
	KindEnteredInError = "record.entered_in_error" // payload EnteredInError; Corrects names the record
	KindSiteKeyRotated = "site.key_rotated"        // payload SiteKeyRotated; subject "site"
	KindSiteKeyStep    = "site.key_step"           // payload SiteKeyStep; subject "site"; author "device:<its own id>"
	KindSiteKeyShared  = "site.key_shared"         // payload SiteKeyShared; subject "site"; author "device:<its own id>"
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
}

// DeviceEnrolled admits a device to the site; signed by an admin's device.
type DeviceEnrolled struct {
	Device    string `json:"device"`
	PublicKey []byte `json:"public_key"`
	Name      string `json:"name,omitempty"`
}

// DeviceRevoked removes a device: its events dated after the revocation
// are refused everywhere.
type DeviceRevoked struct {
	Device string `json:"device"`
	Reason string `json:"reason,omitempty"`
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
}

// EnteredInError cancels the record named by the event's Corrects.
type EnteredInError struct {
	Reason string `json:"reason"`
}
