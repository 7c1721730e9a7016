package store

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"

	"lifeboat"
)

// The site keyring (memberlist's AES-GCM keys) is kept sealed in meta as
// the list of keys this device holds, the original primary first. Which of
// them memberlist uses, and which are retired, follows from the log (see
// planKeys): SiteKeys works it out, AdvanceSiteKeys acts on it.

// heldKeys returns the keys this device holds.
func (db *DB) heldKeys(ctx context.Context) ([][]byte, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	sealed, err := db.meta(ctx, "site_keys")
	if err != nil {
		return nil, fmt.Errorf("read site keys: %w", lifeboat.ErrNotFound)
	}
	plain, err := open(aead, sealed, ad("meta", "site_keys"))
	if err != nil {
		return nil, fmt.Errorf("read site keys: %w", err)
	}
	var keys [][]byte
	if err := json.Unmarshal(plain, &keys); err != nil {
		return nil, fmt.Errorf("read site keys: %w", lifeboat.ErrCorrupt)
	}
	return keys, nil
}

// SetSiteKeys replaces the keys this device holds (primary first), sealed
// at rest. Keys are 16, 24 or 32 bytes (AES-128/192/256 for memberlist).
func (db *DB) SetSiteKeys(ctx context.Context, keys [][]byte) error {
	aead, err := db.keys()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("save site keys: none given: %w", lifeboat.ErrInvalid)
	}
	for _, k := range keys {
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return fmt.Errorf("save site keys: a key is %d bytes: %w", n, lifeboat.ErrInvalid)
		}
	}
	plain, _ := json.Marshal(keys)
	_, err = db.sql.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('site_keys', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, seal(aead, plain, ad("meta", "site_keys")))
	if err != nil {
		return fmt.Errorf("save site keys: %w", err)
	}
	return nil
}

// SiteKeys returns the memberlist keyring this device should use now,
// primary first.
func (db *DB) SiteKeys(ctx context.Context) ([][]byte, error) {
	f, err := db.keyFacts(ctx)
	if err != nil {
		return nil, fmt.Errorf("site keys: %w", err)
	}
	ring := planKeys(f.keyFacts).ring
	if len(ring) == 0 {
		return nil, fmt.Errorf("site keys: none held: %w", lifeboat.ErrNotFound)
	}
	return ring, nil
}

// KeyRotations reports every site key rotation in the log and how far the
// ward has got with it, oldest first.
func (db *DB) KeyRotations(ctx context.Context) ([]lifeboat.KeyRotation, error) {
	f, err := db.keyFacts(ctx)
	if err != nil {
		return nil, fmt.Errorf("key rotations: %w", err)
	}
	return planKeys(f.keyFacts).status, nil
}

// AdvanceSiteKeys moves this device along any site key rotation: it opens
// new keys sealed to it, records the steps it has reached and forgets
// retired keys. It returns the keyring to use now and the rotations'
// progress (what SiteKeys and KeyRotations would), and whether anything
// changed. The mesh calls it after every commit and periodically; it is
// idempotent.
func (db *DB) AdvanceSiteKeys(ctx context.Context) (lifeboat.SiteKeyState, error) {
	changed, plan, err := db.advanceSiteKeys(ctx)
	if err != nil {
		return lifeboat.SiteKeyState{}, fmt.Errorf("advance site keys: %w", err)
	}
	if len(plan.ring) == 0 {
		return lifeboat.SiteKeyState{}, fmt.Errorf("advance site keys: none held: %w", lifeboat.ErrNotFound)
	}
	// The same moment (the site's chains moved: a device enrolled, scopes
	// changed) hands ward keys to devices that came to read a ward.
	if _, err := db.ShareScopeKeys(ctx); err != nil {
		db.log.Warn("ward keys not handed on yet", "err", err)
	}
	return lifeboat.SiteKeyState{Ring: plan.ring, Rotations: plan.status, Changed: changed}, nil
}

func (db *DB) advanceSiteKeys(ctx context.Context) (bool, keyPlan, error) {
	db.keyMu.Lock()
	defer db.keyMu.Unlock()
	keys, release, err := db.borrowKeys()
	if err != nil {
		return false, keyPlan{}, err
	}
	defer release()
	db.mu.Lock()
	priv, self, site := keys.devPriv, db.device, db.site
	db.mu.Unlock()
	f, err := db.keyFacts(ctx)
	if err != nil {
		return false, keyPlan{}, err
	}
	changed := false
	for _, w := range f.sealed {
		key, err := openSiteKey(w.sealed, site, w.id, self, priv)
		if err != nil {
			// Not fatal for the ward: this device shows as waiting, and the
			// reason is reported (never the key).
			db.log.Warn("a new site key sealed to this device could not be opened", "key", w.id, "err", err)
			continue
		}
		f.held = append(f.held, key)
		changed = true
	}
	plan := planKeys(f.keyFacts)
	if len(plan.retire) > 0 {
		f.held = slices.DeleteFunc(f.held, func(k []byte) bool { return slices.Contains(plan.retire, keyID(k)) })
		changed = true
	}
	if changed {
		if err := db.SetSiteKeys(ctx, f.held); err != nil {
			return false, keyPlan{}, err
		}
	}
	if len(plan.acks) == 0 && len(plan.share) == 0 {
		return changed, plan, nil
	}
	me := &Session{User: User{ID: "device:" + self, Name: "this device"}}
	// Shares go first: one made before this device's install step makes
	// the devices it names ones the rotation waits for (see planKeys).
	drafts, err := db.shareDrafts(ctx, site, f.keyFacts, plan.share)
	if err != nil {
		return false, keyPlan{}, err
	}
	for _, a := range plan.acks {
		drafts = append(drafts, Draft{Kind: lifeboat.KindSiteKeyStep, Subject: "site", PerformedAt: db.now(), Payload: a})
	}
	if _, err := db.AppendAll(ctx, me, drafts); err != nil {
		return false, keyPlan{}, err
	}
	// Our own steps move the plan on (the last install reported means
	// every device may switch): plan again with them.
	if f, err = db.keyFacts(ctx); err != nil {
		return false, keyPlan{}, err
	}
	return true, planKeys(f.keyFacts), nil
}

// sealedForMe is a rotation's key sealed to this device, not yet opened.
type sealedForMe struct {
	id     string
	sealed []byte
}

type keyFactsWithSealed struct {
	keyFacts
	sealed []sealedForMe
}

// keyFacts gathers what planKeys needs from the log and the held keys.
func (db *DB) keyFacts(ctx context.Context) (keyFactsWithSealed, error) {
	var f keyFactsWithSealed
	var err error
	if f.held, err = db.heldKeys(ctx); err != nil {
		return f, err
	}
	db.mu.Lock()
	f.self = db.device
	db.mu.Unlock()
	rots, err := db.Events(ctx, "site", lifeboat.KindSiteKeyRotated)
	if err != nil {
		return f, err
	}
	seen := map[string]bool{}
	for i := range rots {
		var p lifeboat.SiteKeyRotated
		if err := decodePayload(&rots[i], &p); err != nil {
			return f, err
		}
		if seen[p.Key] { // the same rotation twice cannot happen short of a forgery: the first counts
			continue
		}
		seen[p.Key] = true
		r := rotation{id: p.Key, revoked: p.Revoked, reason: p.Reason, at: rots[i].PerformedAt, recipients: map[string]bool{}}
		for d := range p.Wrapped {
			r.recipients[d] = true
		}
		f.rotations = append(f.rotations, r)
		if w, ok := p.Wrapped[f.self]; ok && !f.holds(p.Key) {
			f.sealed = append(f.sealed, sealedForMe{id: p.Key, sealed: w})
		}
	}
	steps, err := db.Events(ctx, "site", lifeboat.KindSiteKeyStep)
	if err != nil {
		return f, err
	}
	f.steps = map[string]map[string]map[string]bool{}
	f.installedAt = map[string]map[string]uint64{}
	for i := range steps {
		var p lifeboat.SiteKeyStep
		e := &steps[i]
		if err := decodePayload(e, &p); err != nil {
			return f, err
		}
		if f.steps[p.Key] == nil {
			f.steps[p.Key] = map[string]map[string]bool{}
			f.installedAt[p.Key] = map[string]uint64{}
		}
		if f.steps[p.Key][e.Device] == nil {
			f.steps[p.Key][e.Device] = map[string]bool{}
		}
		f.steps[p.Key][e.Device][p.Step] = true
		if at, ok := f.installedAt[p.Key][e.Device]; p.Step == lifeboat.KeyStepInstalled && (!ok || e.Seq < at) {
			f.installedAt[p.Key][e.Device] = e.Seq
		}
	}
	shares, err := db.Events(ctx, "site", lifeboat.KindSiteKeyShared)
	if err != nil {
		return f, err
	}
	for i := range shares {
		var p lifeboat.SiteKeyShared
		e := &shares[i]
		if err := decodePayload(e, &p); err != nil {
			return f, err
		}
		s := keyShare{key: p.Key, by: e.Device, seq: e.Seq}
		for d := range p.Wrapped {
			s.to = append(s.to, d)
		}
		slices.Sort(s.to)
		f.shares = append(f.shares, s)
		// Only the key of a rotation in the log is taken: a share of any
		// other key (which an enrolled device could seal to anyone) is
		// ignored. One that arrives before its rotation is taken once the
		// rotation is here, as facts are gathered afresh each time.
		known := slices.ContainsFunc(f.rotations, func(r rotation) bool { return r.id == p.Key })
		if w, ok := p.Wrapped[f.self]; ok && known && !f.holds(p.Key) && !slices.ContainsFunc(f.sealed, func(x sealedForMe) bool { return x.id == p.Key }) {
			f.sealed = append(f.sealed, sealedForMe{id: p.Key, sealed: w})
		}
	}
	devs, err := db.Devices(ctx)
	if err != nil {
		return f, err
	}
	f.revoked = map[string]bool{}
	for _, d := range devs {
		if d.Revoked() {
			f.revoked[d.ID] = true
		} else {
			f.devices = append(f.devices, d.ID)
		}
	}
	return f, nil
}

// shareDrafts makes a site.key_shared record for each key the plan says
// to share, sealed to each device's own key.
func (db *DB) shareDrafts(ctx context.Context, site string, f keyFacts, shares []keyShare) ([]Draft, error) {
	if len(shares) == 0 {
		return nil, nil
	}
	devs, err := db.Devices(ctx)
	if err != nil {
		return nil, err
	}
	pubs := map[string]ed25519.PublicKey{}
	for _, d := range devs {
		pubs[d.ID] = d.PublicKey
	}
	var out []Draft
	for _, s := range shares {
		key := f.key(s.key)
		p := lifeboat.SiteKeyShared{Key: s.key, Wrapped: map[string][]byte{}}
		for _, d := range s.to {
			if pubs[d] == nil {
				continue
			}
			if p.Wrapped[d], err = sealSiteKey(key, site, d, pubs[d]); err != nil {
				return nil, err
			}
		}
		if len(p.Wrapped) > 0 {
			db.log.Info("sharing a site key with devices enrolled during its rotation", "key", s.key, "devices", len(p.Wrapped))
			out = append(out, Draft{Kind: lifeboat.KindSiteKeyShared, Subject: "site", PerformedAt: db.now(), Payload: p})
		}
	}
	return out, nil
}

// rotationDraft makes a site.key_rotated record following the revocation
// of device: a new random key sealed to every other active device.
func (db *DB) rotationDraft(ctx context.Context, device, reason string) (Draft, error) {
	db.mu.Lock()
	site := db.site
	db.mu.Unlock()
	devs, err := db.Devices(ctx)
	if err != nil {
		return Draft{}, err
	}
	key := randomBytes(32)
	defer clear(key)
	p := lifeboat.SiteKeyRotated{Key: keyID(key), Revoked: device, Reason: reason, Wrapped: map[string][]byte{}}
	for _, d := range devs {
		if d.Revoked() || d.ID == device {
			continue
		}
		if p.Wrapped[d.ID], err = sealSiteKey(key, site, d.ID, d.PublicKey); err != nil {
			return Draft{}, err
		}
	}
	return Draft{Kind: lifeboat.KindSiteKeyRotated, Subject: "site", PerformedAt: db.now(), Payload: p}, nil
}

// checkKeyEvent validates the payloads of the site key kinds.
func checkKeyEvent(e *lifeboat.Event) error {
	switch e.Kind {
	case lifeboat.KindSiteKeyRotated:
		var p lifeboat.SiteKeyRotated
		if err := decodePayload(e, &p); err != nil {
			return err
		}
		if err := checkSealedKeys(e, p.Key, p.Wrapped); err != nil {
			return fmt.Errorf("a key rotation %w", err)
		}
	case lifeboat.KindSiteKeyShared:
		var p lifeboat.SiteKeyShared
		if err := decodePayload(e, &p); err != nil {
			return err
		}
		if err := checkSealedKeys(e, p.Key, p.Wrapped); err != nil {
			return fmt.Errorf("a key share %w", err)
		}
		if e.Author != "device:"+lifeboat.DeviceOf(e.Device) {
			return fmt.Errorf("a device may only share keys in its own name: %w", lifeboat.ErrInvalid)
		}
	case lifeboat.KindSiteKeyStep:
		var p lifeboat.SiteKeyStep
		if err := decodePayload(e, &p); err != nil {
			return err
		}
		if e.Subject != "site" || len(p.Key) != 16 || (p.Step != lifeboat.KeyStepInstalled && p.Step != lifeboat.KeyStepInUse) {
			return fmt.Errorf("a key step needs its key ID and a known step: %w", lifeboat.ErrInvalid)
		}
		if e.Author != "device:"+lifeboat.DeviceOf(e.Device) {
			return fmt.Errorf("a device may only report its own key steps: %w", lifeboat.ErrInvalid)
		}
	}
	return nil
}

// checkSealedKeys checks what a rotation and a share have in common: about
// the site, a key ID, and the key sealed to between one and maxRecipients
// devices. Its error reads after "a key rotation" or "a key share".
func checkSealedKeys(e *lifeboat.Event, key string, wrapped map[string][]byte) error {
	if e.Subject != "site" || len(key) != 16 || len(wrapped) == 0 || len(wrapped) > maxRecipients {
		return fmt.Errorf("needs its key ID and the key sealed to at least one device: %w", lifeboat.ErrInvalid)
	}
	for d, w := range wrapped {
		if d == "" || len(d) > lifeboat.MaxIDLen || len(w) > maxSealedKey {
			return fmt.Errorf("has a malformed sealed key: %w", lifeboat.ErrInvalid)
		}
	}
	return nil
}

// maxRecipients bounds the devices one rotation seals its key to.
const maxRecipients = 10000
