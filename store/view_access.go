package store

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"

	"lifeboat"
)

// devicesView keeps the registry of devices whose signatures are accepted,
// from site.created, device.enrolled and device.revoked events. Rows this
// device set up itself ('self', 'anchor') survive a rebuild.
var devicesView = &projector{
	name:   "devices",
	kinds:  []string{lifeboat.KindSiteCreated, lifeboat.KindDeviceEnrolled, lifeboat.KindDeviceRevoked},
	tables: []string{"devices"},
	clear: func(ctx context.Context, t *txn) error {
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM devices WHERE source = 'event'"); err != nil {
			return err
		}
		_, err := t.tx.ExecContext(ctx, "UPDATE devices SET revoked_at = 0")
		return err
	},
	check: func(e *lifeboat.Event) error {
		var dev string
		var pub []byte
		switch e.Kind {
		case lifeboat.KindSiteCreated:
			var p lifeboat.SiteCreated
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, pub = p.Device, p.PublicKey
			if e.Subject != "site" || dev != e.Device {
				return fmt.Errorf("a site must be created by its founding device: %w", lifeboat.ErrInvalid)
			}
		case lifeboat.KindDeviceEnrolled:
			var p lifeboat.DeviceEnrolled
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, pub = p.Device, p.PublicKey
		case lifeboat.KindDeviceRevoked:
			var p lifeboat.DeviceRevoked
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			if p.Device == "" || e.Subject != "device:"+p.Device {
				return fmt.Errorf("the revoked device does not match the subject: %w", lifeboat.ErrInvalid)
			}
			return nil
		}
		if len(pub) != ed25519.PublicKeySize || DeviceID(pub) != dev {
			return fmt.Errorf("device %q does not match its public key: %w", dev, lifeboat.ErrInvalid)
		}
		if e.Kind == lifeboat.KindDeviceEnrolled && e.Subject != "device:"+dev {
			return fmt.Errorf("the enrolled device does not match the subject: %w", lifeboat.ErrInvalid)
		}
		return nil
	},
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		var dev, name string
		var pub []byte
		switch e.Kind {
		case lifeboat.KindSiteCreated:
			var p lifeboat.SiteCreated
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, pub, name = p.Device, p.PublicKey, "founding device"
		case lifeboat.KindDeviceEnrolled:
			var p lifeboat.DeviceEnrolled
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, pub, name = p.Device, p.PublicKey, p.Name
		case lifeboat.KindDeviceRevoked:
			dev = strings.TrimPrefix(e.Subject, "device:")
		}
		if pub != nil {
			body, _ := json.Marshal(map[string]string{"name": name, "enrolled_by": e.Author})
			// The earliest event vouching for a device names it, whatever
			// order they arrive in; rows set up locally are never replaced.
			at := e.HLC.Wall<<20 | int64(e.HLC.Logical&0xFFFFF)
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO devices (device, public, source, enrolled_by, enrolled_at, sealed)
				VALUES (?, ?, 'event', ?, ?, ?) ON CONFLICT (device) DO UPDATE SET
				public = excluded.public, enrolled_by = excluded.enrolled_by, enrolled_at = excluded.enrolled_at, sealed = excluded.sealed
				WHERE devices.source = 'event' AND (excluded.enrolled_at < devices.enrolled_at OR
				(excluded.enrolled_at = devices.enrolled_at AND excluded.enrolled_by < devices.enrolled_by))`,
				dev, pub, e.Device, at, t.seal(body, "devices", dev)); err != nil {
				return err
			}
		}
		// The revocation accepting the fewest of the device's events wins
		// (then the earliest), whatever order revocations arrive in.
		revokedAt, revokedSeq, err := t.revocation(ctx, dev)
		if err != nil {
			return err
		}
		_, err = t.tx.ExecContext(ctx, "UPDATE devices SET revoked_at = ?, revoked_seq = ? WHERE device = ?", revokedAt, int64(revokedSeq), dev)
		return err
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		// Rows set up locally (this device, its enrolment anchor) differ
		// from device to device; the digest is of what the log says.
		return digestRows(ctx, t, "devices", `SELECT device, public, source, enrolled_by, enrolled_at, revoked_at, revoked_seq, sealed
			FROM devices WHERE source = 'event' ORDER BY device`, w)
	},
}

// revocation reads a device's accepted revocations: when the first was
// recorded (HLC wall ms, 0 if none) and the lowest last sequence number
// they accept.
func (t *txn) revocation(ctx context.Context, dev string) (at int64, lastSeq uint64, err error) {
	evs, err := queryEvents(ctx, t.tx, t.aead, eventCols+"WHERE subject = ? AND kind = ?", "device:"+dev, lifeboat.KindDeviceRevoked)
	if err != nil {
		return 0, 0, err
	}
	for i, ev := range evs {
		var p lifeboat.DeviceRevoked
		if err := decodePayload(&evs[i], &p); err != nil {
			return 0, 0, err
		}
		if i == 0 || p.LastSeq < lastSeq {
			lastSeq = p.LastSeq
		}
		if at == 0 || ev.HLC.Wall < at {
			at = ev.HLC.Wall
		}
	}
	return at, lastSeq, nil
}

// usersView keeps the newest record of each person (by clock, device
// breaking ties), with the PIN of their newest record or PIN change, and
// every role each person has ever been given (user_roles, which the
// authority rule of clinical kinds reads).
var usersView = &projector{
	name:   "users",
	kinds:  []string{lifeboat.KindUserSaved, lifeboat.KindPINChanged},
	tables: []string{"users", "user_roles"},
	check: func(e *lifeboat.Event) error {
		if e.Kind == lifeboat.KindPINChanged {
			var c lifeboat.PINChange
			if err := decodePayload(e, &c); err != nil {
				return err
			}
			if c.ID == "" || e.Subject != "user:"+c.ID || len(c.PINHash) != 32 || len(c.PINSalt) < 16 {
				return fmt.Errorf("incomplete PIN change: %w", lifeboat.ErrInvalid)
			}
			return nil
		}
		var u lifeboat.UserRecord
		if err := decodePayload(e, &u); err != nil {
			return err
		}
		if u.ID == "" || e.Subject != "user:"+u.ID || !u.Role.Valid() || len(u.PINHash) != 32 || len(u.PINSalt) < 16 {
			return fmt.Errorf("incomplete person record: %w", lifeboat.ErrInvalid)
		}
		if u.AdminKey != nil && len(u.AdminKey.Public) != ed25519.PublicKeySize {
			return fmt.Errorf("person record with a malformed admin key: %w", lifeboat.ErrInvalid)
		}
		if u.Role == lifeboat.RoleITAdmin && u.AdminKey == nil {
			return fmt.Errorf("an IT admin's record needs their personal key: %w", lifeboat.ErrInvalid)
		}
		return nil
	},
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		// Newest record by clock wins (device breaks ties): the same answer
		// on every device, whatever order records arrived in.
		evs, err := queryEvents(ctx, t.tx, t.aead, eventCols+`WHERE subject = ? AND kind = ?
			ORDER BY hlc_wall DESC, hlc_logical DESC, device DESC LIMIT 1`, e.Subject, lifeboat.KindUserSaved)
		if err != nil || len(evs) == 0 {
			return err
		}
		var u lifeboat.UserRecord
		if err := decodePayload(&evs[0], &u); err != nil {
			return err
		}
		if e.Kind == lifeboat.KindUserSaved {
			if _, err := t.tx.ExecContext(ctx, "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)", u.ID, string(u.Role)); err != nil {
				return err
			}
		}
		// A PIN change newer than the record sets the PIN.
		pins, err := queryEvents(ctx, t.tx, t.aead, eventCols+`WHERE subject = ? AND kind = ?
			ORDER BY hlc_wall DESC, hlc_logical DESC, device DESC LIMIT 1`, e.Subject, lifeboat.KindPINChanged)
		if err != nil {
			return err
		}
		if len(pins) > 0 && (pins[0].HLC.Compare(evs[0].HLC) > 0 || (pins[0].HLC == evs[0].HLC && pins[0].Device > evs[0].Device)) {
			var c lifeboat.PINChange
			if err := decodePayload(&pins[0], &c); err != nil {
				return err
			}
			u.PINHash, u.PINSalt, u.KDF = c.PINHash, c.PINSalt, c.KDF
		}
		plain, _ := json.Marshal(u)
		_, err = t.tx.ExecContext(ctx, `INSERT INTO users (id, role, active, sealed) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET role = excluded.role, active = excluded.active, sealed = excluded.sealed`,
			u.ID, string(u.Role), u.Active, t.seal(plain, "users", u.ID))
		return err
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		if err := digestRows(ctx, t, "user_roles", "SELECT user_id, role FROM user_roles ORDER BY user_id, role", w); err != nil {
			return err
		}
		return digestRows(ctx, t, "users", "SELECT id, role, active, sealed FROM users ORDER BY id", w)
	},
}

// Devices lists the device registry.
func (db *DB) Devices(ctx context.Context) ([]lifeboat.Device, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT device, public, source, revoked_at, revoked_seq FROM devices ORDER BY device")
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []lifeboat.Device
	for rows.Next() {
		var d lifeboat.Device
		var pub []byte
		var last int64
		if err := rows.Scan(&d.ID, &pub, &d.Source, &d.RevokedAt, &last); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		d.PublicKey, d.LastSeq = pub, uint64(last)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Enrol admits another device to the site (IT admin only): an event
// signed by this device that every peer uses to check the new device's
// signatures.
// With no scopes it holds every scope (a relay, or a site of one ward).
func (db *DB) Enrol(ctx context.Context, s *Session, pub ed25519.PublicKey, name string, scopes ...lifeboat.Scope) (string, error) {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return "", fmt.Errorf("enrol device: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("enrol device: bad public key: %w", lifeboat.ErrInvalid)
	}
	if err := lifeboat.Subscription(scopes).Check(); err != nil {
		return "", fmt.Errorf("enrol device: %w", err)
	}
	dev := DeviceID(pub)
	if _, err := db.Append(ctx, s, Draft{Kind: lifeboat.KindDeviceEnrolled, Subject: "device:" + dev, PerformedAt: db.now(),
		Payload: lifeboat.DeviceEnrolled{Device: dev, PublicKey: pub, Name: name, Scopes: scopes}}); err != nil {
		return "", fmt.Errorf("enrol device: %w", err)
	}
	// The keys of its wards this device holds go with the enrolment, so
	// the new device reads its ward's history on its first sync.
	if _, err := db.ShareScopeKeys(ctx); err != nil {
		db.log.Warn("ward keys not handed to the new device yet", "err", err)
	}
	return dev, db.audit(ctx, nil, "admin.device_enrolled", s.User.ID, dev, name)
}

// Admission is what an admin device hands a device it has just enrolled:
// its ID and what JoinSite needs (this device as the trust anchor, the
// site and the memberlist keyring).
type Admission struct {
	DeviceID string
	SiteJoin
}

// ErrKeyChangeUnderWay is why a device cannot enrol others for now.
var ErrKeyChangeUnderWay = fmt.Errorf("a site key change is under way: %w", lifeboat.ErrConflict)

// CanEnrol reports whether this device may enrol others now: not while a
// site key change it knows of is under way. A device it enrolled then
// would hold keys the ward may drop before that device is counted in the
// change; one enrolled by a device that has not yet heard of the change
// is handed the new key (see planKeys).
func (db *DB) CanEnrol(ctx context.Context) error {
	rots, err := db.KeyRotations(ctx)
	if err != nil {
		return fmt.Errorf("can enrol: %w", err)
	}
	for _, r := range rots {
		if r.Step != "done" && !r.Missed {
			return fmt.Errorf("enrolment waits for the change to finish, which waits for %s: %w", strings.Join(r.Waiting, ", "), ErrKeyChangeUnderWay)
		}
	}
	return nil
}

// Admit enrols the device with public key pub (as Enrol) and returns what
// it needs to join the site. The keyring it carries is secret: send it
// only over the pinned enrolment channel. It refuses while a site key
// change is under way (CanEnrol).
// Scopes are what the device will hold (none: every scope); its first
// ward is the ward it shows and records in.
func (db *DB) Admit(ctx context.Context, s *Session, pub ed25519.PublicKey, name string, scopes ...lifeboat.Scope) (Admission, error) {
	if err := db.CanEnrol(ctx); err != nil {
		return Admission{}, fmt.Errorf("admit device: %w", err)
	}
	info, err := db.Site(ctx)
	if err != nil {
		return Admission{}, fmt.Errorf("admit device: %w", err)
	}
	keys, err := db.SiteKeys(ctx)
	if err != nil {
		return Admission{}, fmt.Errorf("admit device: %w", err)
	}
	anchor, err := db.DevicePublicKey(ctx)
	if err != nil {
		return Admission{}, fmt.Errorf("admit device: %w", err)
	}
	devs, err := db.Devices(ctx)
	if err != nil {
		return Admission{}, fmt.Errorf("admit device: %w", err)
	}
	var others []ed25519.PublicKey
	for _, d := range devs {
		if !d.PublicKey.Equal(anchor) && !d.PublicKey.Equal(pub) {
			others = append(others, d.PublicKey)
		}
	}
	// Last: everything that can fail without writing has been done.
	id, err := db.Enrol(ctx, s, pub, name, scopes...)
	if err != nil {
		return Admission{}, err
	}
	if ws := lifeboat.Subscription(scopes).Wards(); len(ws) > 0 {
		info.Ward = ws[0]
	}
	return Admission{DeviceID: id, SiteJoin: SiteJoin{SiteID: info.SiteID, SiteName: info.SiteName, Ward: info.Ward,
		Anchor: anchor, SiteKeys: keys, Drill: info.Drill, Devices: others}}, nil
}

// Revoke removes a device (IT admin only, with their personal key open):
// its events beyond those this device holds of it are refused by every
// peer that has this event, whoever relays them, and the site key is
// rotated with a new key sealed to every other active device.
func (db *DB) Revoke(ctx context.Context, s *Session, device, reason string) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	self, err := db.Device(ctx)
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	if device == self {
		return fmt.Errorf("revoke device: a device cannot revoke itself; revoke it from another admin device: %w", lifeboat.ErrInvalid)
	}
	// The site key changes with it: the revoked device holds the current
	// one (see planKeys for how the ward moves to the new key).
	rot, err := db.rotationDraft(ctx, device, reason)
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	// The ward accepts what this device holds of the revoked one, and
	// nothing it signs after that, whatever its clock says.
	vv, err := db.VersionVector(ctx)
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	chains := map[string]uint64{}
	for chain, seq := range vv {
		if dev, scope := lifeboat.SplitChain(chain); dev == device && scope != lifeboat.ScopeSite {
			chains[chain] = seq
		}
	}
	if len(chains) == 0 {
		chains = nil
	}
	if _, err := db.AppendAll(ctx, s, []Draft{{Kind: lifeboat.KindDeviceRevoked, Subject: "device:" + device, PerformedAt: db.now(),
		Payload: lifeboat.DeviceRevoked{Device: device, Reason: reason, LastSeq: vv[device], Chains: chains}}, rot}); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	if err := db.audit(ctx, nil, "admin.device_revoked", s.User.ID, device, reason); err != nil {
		return err
	}
	// This device takes its first step at once (sync may be off): the
	// ward then waits only for the others.
	if _, _, err := db.advanceSiteKeys(ctx); err != nil {
		db.log.Warn("site key rotation after a revocation", "err", err)
	}
	return nil
}

// TrustAnchor records a device this store trusts before any event names it:
// the admin device a new device enrols through (its key comes pinned in the
// enrolment code). Used by enrolment in sync/mesh.
func (db *DB) TrustAnchor(ctx context.Context, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("trust device: bad public key: %w", lifeboat.ErrInvalid)
	}
	aead, err := db.keys()
	if err != nil {
		return err
	}
	dev := DeviceID(pub)
	_, err = db.sql.ExecContext(ctx, `INSERT INTO devices (device, public, source, enrolled_by, sealed) VALUES (?, ?, 'anchor', '', ?)
		ON CONFLICT (device) DO NOTHING`, dev, []byte(pub), seal(aead, []byte(`{"name":"enrolling device"}`), ad("devices", dev)))
	if err != nil {
		return fmt.Errorf("trust device: %w", err)
	}
	return nil
}
