package store

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/crypto/nacl/box"

	"lifeboat"
)

// Scope keys. Every scope but the site is sealed: a device seals each
// payload it records there under a key of the scope (scopekey_box.go)
// and hands the key, in a scope.key record of the site scope, to every
// device that reads the scope: enrolled, not revoked, and given it by its
// current subscription. Devices that only forward a scope (a relay) and
// devices of other scopes are never handed its keys: they store and pass
// on its records, checking signatures and chains, and cannot read them.
//
// A device seals under the newest key of the scope it holds that is
// still fit: created by a device it was handed to, and handed to nobody
// who does not read the scope now. Revoking a device, or taking a scope
// from it, makes every key of that scope it held unfit, so the next
// record there creates a new one for the remaining readers: revocation
// rotates the keys of the device's scopes, and only those. A device
// that comes to read a scope is handed every key of it, for the history.

// maxScopeKeyRecipients bounds the devices one scope.key names.
const maxScopeKeyRecipients = 2000

// scopeKeysView keeps who holds which scope key, and the keys handed to
// this device (opened, sealed at rest).
var scopeKeysView = &projector{
	name:   "scope keys",
	kinds:  []string{lifeboat.KindScopeKey},
	tables: []string{"scope_keys", "scope_keys_mine"},
	check: func(e *lifeboat.Event) error {
		_, err := scopeKeyPayload(e)
		return err
	},
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		return t.takeScopeKeys(ctx, e)
	},
}

// scopeKeyPayload decodes and checks a scope.key payload.
func scopeKeyPayload(e *lifeboat.Event) (lifeboat.ScopeKey, error) {
	var p lifeboat.ScopeKey
	if err := decodePayload(e, &p); err != nil {
		return p, err
	}
	if !p.Scope.Sealed() || p.Scope == lifeboat.ScopeAll || p.Scope.Check() != nil {
		return p, fmt.Errorf("scope key for %q, not a sealed scope: %w", p.Scope, lifeboat.ErrInvalid)
	}
	if e.Subject != "scope:"+string(p.Scope) {
		return p, fmt.Errorf("scope key for %s filed under %q: %w", p.Scope, e.Subject, lifeboat.ErrInvalid)
	}
	if len(p.Keys) == 0 {
		return p, fmt.Errorf("scope key record hands over no key: %w", lifeboat.ErrInvalid)
	}
	n := 0
	for id, to := range p.Keys {
		if b, err := hex.DecodeString(id); err != nil || len(b) != scopeKeyIDLen {
			return p, fmt.Errorf("scope key ID %q: %w", id, lifeboat.ErrInvalid)
		}
		for dev, sealed := range to {
			if dev == "" || len(dev) > lifeboat.MaxIDLen || len(sealed) > maxSealedKey || len(sealed) < box.AnonymousOverhead {
				return p, fmt.Errorf("scope key %s: a device or sealed key out of bounds: %w", id, lifeboat.ErrInvalid)
			}
			n++
		}
	}
	if n == 0 || n > maxScopeKeyRecipients {
		return p, fmt.Errorf("scope key record names %d devices: %w", n, lifeboat.ErrInvalid)
	}
	return p, nil
}

// takeScopeKeys projects a scope.key record: who holds each key, from
// when, and the keys handed to this device, opened with its own key.
func (t *txn) takeScopeKeys(ctx context.Context, e *lifeboat.Event) error {
	p, err := scopeKeyPayload(e)
	if err != nil {
		return err
	}
	keys, release, err := t.db.borrowKeys()
	if err != nil {
		return err
	}
	defer release()
	t.db.mu.Lock()
	self, site := t.db.device, t.db.site
	t.db.mu.Unlock()
	creator := lifeboat.DeviceOf(e.Device)
	for id, to := range p.Keys {
		for dev, sealed := range to {
			if _, err := t.exec(ctx, `INSERT INTO scope_keys (key_id, scope, device, creator, hlc_wall, hlc_logical) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (key_id, device) DO NOTHING`, id, string(p.Scope), dev, creator, e.HLC.Wall, int64(e.HLC.Logical)); err != nil {
				return fmt.Errorf("project scope key: %w", err)
			}
			if dev != self {
				continue
			}
			key, err := openScopeKey(sealed, site, p.Scope, id, self, keys.devPriv)
			if err != nil {
				// The ward goes on; this device reads the scope once
				// another device hands it a key it can open.
				t.db.log.Warn("a scope key sealed to this device could not be opened", "scope", string(p.Scope), "key", id, "err", err)
				continue
			}
			if _, err := t.exec(ctx, "INSERT OR IGNORE INTO scope_keys_mine (key_id, scope, sealed) VALUES (?, ?, ?)",
				id, string(p.Scope), t.seal(key, "scope key", id)); err != nil {
				return fmt.Errorf("project scope key: %w", err)
			}
			t.db.cacheScopeKey(id, key)
			if t.learnt == nil {
				t.learnt = map[string]bool{}
			}
			t.learnt[id] = true
		}
	}
	// The earliest record naming a key says who created it and when.
	_, err = t.exec(ctx, `UPDATE scope_keys SET creator = ?, hlc_wall = ?, hlc_logical = ?
		WHERE key_id IN (SELECT value FROM json_each(?)) AND (hlc_wall, hlc_logical) > (?, ?)`,
		creator, e.HLC.Wall, int64(e.HLC.Logical), keyIDsJSON(p), e.HLC.Wall, int64(e.HLC.Logical))
	if err != nil {
		return fmt.Errorf("project scope key: %w", err)
	}
	return nil
}

func keyIDsJSON(p lifeboat.ScopeKey) string {
	ids := slices.Sorted(maps.Keys(p.Keys))
	b, _ := json.Marshal(ids)
	return string(b)
}

// authoriseScopeKey: a device hands out keys of a scope it was given to
// read, or, to hand a patient's records to a ward it does not read, one
// new key it does not keep (a key its creator does not hold is never fit
// to seal the ward's own records). Held, not refused, while a grant may
// still arrive.
func (t *txn) authoriseScopeKey(ctx context.Context, e *lifeboat.Event) error {
	p, err := scopeKeyPayload(e)
	if err != nil {
		return err
	}
	dev := lifeboat.DeviceOf(e.Device)
	if len(p.Keys) == 1 {
		for _, to := range p.Keys {
			if _, self := to[dev]; !self {
				return nil
			}
		}
	}
	g, err := grants(ctx, t)
	if err != nil {
		return err
	}
	if !g[dev].Reads(p.Scope) {
		return fmt.Errorf("a device hands out keys only of a scope it reads: %w", ErrHeld)
	}
	return nil
}

// cacheScopeKey keeps an opened scope key with the unlocked keys: Lock
// forgets it and zeroes it.
func (db *DB) cacheScopeKey(id string, key []byte) {
	db.mu.Lock()
	defer db.mu.Unlock()
	u := db.keyUse
	if u == nil || u.retired {
		return
	}
	if u.scope == nil {
		u.scope = map[string][]byte{}
	}
	if _, ok := u.scope[id]; !ok {
		u.scope[id] = key
		u.bytes = append(u.bytes, key)
	}
}

func (db *DB) cachedScopeKey(id string) []byte {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.keyUse == nil {
		return nil
	}
	return db.keyUse.scope[id]
}

// scopeKey returns the scope key id if it was handed to this device, else
// nil.
func (db *DB) scopeKey(ctx context.Context, q querier, aead cipherAEAD, id string) ([]byte, error) {
	if k := db.cachedScopeKey(id); k != nil {
		return k, nil
	}
	var sealed []byte
	err := q.QueryRowContext(ctx, "SELECT sealed FROM scope_keys_mine WHERE key_id = ?", id).Scan(&sealed)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read scope key: %w", err)
	}
	key, err := open(aead, sealed, ad("scope key", id))
	if err != nil {
		return nil, fmt.Errorf("read scope key %s: %w", id, err)
	}
	db.cacheScopeKey(id, key)
	return key, nil
}

// openWith opens e's sealed payload if this device holds its key: it
// sets e.Payload and reports true. A payload that fails to open under
// its own key is damaged or forged.
func (db *DB) openWith(ctx context.Context, q querier, aead cipherAEAD, e *lifeboat.Event) (bool, error) {
	if e.Sealed == nil || e.Payload != nil {
		return e.Payload != nil, nil
	}
	id, ok := sealedKeyID(e.Sealed)
	if !ok {
		return false, fmt.Errorf("sealed payload of %s has no key: %w", e.ID, lifeboat.ErrInvalid)
	}
	key, err := db.scopeKey(ctx, q, aead, id)
	if err != nil || key == nil {
		return false, err
	}
	p, err := openPayload(e, eventKey(key, e.Device, e.ID))
	if err != nil {
		return false, err
	}
	e.Payload = p
	return true, nil
}

// recordKey is the key that opens the sealed payload of e alone (nil for
// a clear one), for a handoff; ok is false when this device cannot read e.
func (db *DB) recordKey(ctx context.Context, q querier, aead cipherAEAD, e *lifeboat.Event) ([]byte, bool, error) {
	if e.Sealed == nil {
		return nil, true, nil
	}
	id, _ := sealedKeyID(e.Sealed)
	key, err := db.scopeKey(ctx, q, aead, id)
	if err != nil || key == nil {
		return nil, false, err
	}
	return eventKey(key, e.Device, e.ID), true, nil
}

// scopeKeyInfo is what the log says of one key of a scope.
type scopeKeyInfo struct {
	id      string
	creator string
	at      lifeboat.HLC
	to      map[string]bool
}

// scopeKeys lists the keys of scope the log names.
func scopeKeys(ctx context.Context, q querier, scope lifeboat.Scope) (map[string]*scopeKeyInfo, error) {
	rows, err := q.QueryContext(ctx, "SELECT key_id, device, creator, hlc_wall, hlc_logical FROM scope_keys WHERE scope = ?", string(scope))
	if err != nil {
		return nil, fmt.Errorf("read scope keys: %w", err)
	}
	defer rows.Close()
	out := map[string]*scopeKeyInfo{}
	for rows.Next() {
		var id, dev, creator string
		var at lifeboat.HLC
		var logical int64
		if err := rows.Scan(&id, &dev, &creator, &at.Wall, &logical); err != nil {
			return nil, fmt.Errorf("read scope keys: %w", err)
		}
		at.Logical = uint32(logical)
		k := out[id]
		if k == nil {
			k = &scopeKeyInfo{id: id, creator: creator, at: at, to: map[string]bool{}}
			out[id] = k
		}
		k.to[dev] = true
	}
	return out, rows.Err()
}

// scopeReaders returns the devices that read scope now, with their keys.
func scopeReaders(ctx context.Context, q querier, scope lifeboat.Scope) (map[string]ed25519.PublicKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.device, d.public, s.scopes FROM devices d JOIN device_scopes s ON s.device = d.device
		WHERE d.revoked_at = 0`)
	if err != nil {
		return nil, fmt.Errorf("read who reads %s: %w", scope.Label(), err)
	}
	defer rows.Close()
	out := map[string]ed25519.PublicKey{}
	for rows.Next() {
		var dev, scopes string
		var pub []byte
		if err := rows.Scan(&dev, &pub, &scopes); err != nil {
			return nil, fmt.Errorf("read who reads %s: %w", scope.Label(), err)
		}
		if splitScopes(scopes).Reads(scope) && len(pub) == ed25519.PublicKeySize {
			out[dev] = pub
		}
	}
	return out, rows.Err()
}

// fit reports whether k may seal new records: made by a device it was
// handed to, and held by nobody who does not read the scope now.
func (k *scopeKeyInfo) fit(readers map[string]ed25519.PublicKey) bool {
	if !k.to[k.creator] {
		return false
	}
	for d := range k.to {
		if _, ok := readers[d]; !ok {
			return false
		}
	}
	return true
}

// How sealingKey may act.
type keyMode int

const (
	scopeKeySeal  keyMode = iota // the key to seal with, creating one if none is fit
	scopeKeyShare                // only hand held keys to readers lacking them
)

// sealingKey returns the key this device seals scope's records under. If
// it must first create one, or hand its keys of the scope to devices that
// read it since, it returns the scope.key draft to record first instead
// (a nil key). With scopeKeyShare it never creates a key.
func (t *txn) sealingKey(ctx context.Context, scope lifeboat.Scope, mode keyMode) (string, []byte, *Draft, error) {
	t.db.mu.Lock()
	self, site := t.db.device, t.db.site
	t.db.mu.Unlock()
	readers, err := scopeReaders(ctx, t, scope)
	if err != nil {
		return "", nil, nil, err
	}
	keys, err := scopeKeys(ctx, t, scope)
	if err != nil {
		return "", nil, nil, err
	}
	var best *scopeKeyInfo
	held := map[string][]byte{}
	for _, k := range keys {
		key, err := t.db.scopeKey(ctx, t, t.aead, k.id)
		if err != nil {
			return "", nil, nil, err
		}
		if key == nil {
			continue
		}
		held[k.id] = key
		if k.fit(readers) && (best == nil || k.at.Compare(best.at) > 0 || (k.at == best.at && k.id > best.id)) {
			best = k
		}
	}
	p := lifeboat.ScopeKey{Scope: scope, Keys: map[string]map[string][]byte{}}
	hand := func(id string, key []byte, to map[string]bool) {
		for dev, pub := range readers {
			if to[dev] {
				continue
			}
			sealed, err := sealScopeKey(key, site, scope, dev, pub)
			if err != nil {
				t.db.log.Warn("a scope key could not be sealed to a device", "device", dev, "err", err)
				continue
			}
			if p.Keys[id] == nil {
				p.Keys[id] = map[string][]byte{}
			}
			p.Keys[id][dev] = sealed
		}
	}
	for id, key := range held {
		hand(id, key, keys[id].to)
	}
	if best == nil && mode == scopeKeySeal {
		if _, ok := readers[self]; !ok {
			return "", nil, nil, fmt.Errorf("seal %s: this device does not read it: %w", scope.Label(), lifeboat.ErrPermission)
		}
		key := randomBytes(32)
		hand(scopeKeyID(key), key, nil)
	}
	if len(p.Keys) == 0 {
		if best == nil {
			return "", nil, nil, nil
		}
		return best.id, held[best.id], nil, nil
	}
	return "", nil, &Draft{Kind: lifeboat.KindScopeKey, Subject: "scope:" + string(scope), PerformedAt: t.db.now(), Payload: p}, nil
}

// handoffKey makes a one-off key of scope for a device that hands records
// to a ward it does not read: sealed to the ward's readers, never to this
// device, and never fit for their own records (its creator does not hold
// it). It returns the key, its ID and the draft handing it over.
func (t *txn) handoffKey(ctx context.Context, scope lifeboat.Scope) (string, []byte, *Draft, error) {
	t.db.mu.Lock()
	site := t.db.site
	t.db.mu.Unlock()
	readers, err := scopeReaders(ctx, t, scope)
	if err != nil {
		return "", nil, nil, err
	}
	key := randomBytes(32)
	id := scopeKeyID(key)
	to := map[string][]byte{}
	for dev, pub := range readers {
		if sealed, err := sealScopeKey(key, site, scope, dev, pub); err == nil {
			to[dev] = sealed
		}
	}
	if len(to) == 0 {
		return "", nil, nil, fmt.Errorf("hand records to %s: no device reads it yet: %w", scope.Label(), lifeboat.ErrNotFound)
	}
	p := lifeboat.ScopeKey{Scope: scope, Keys: map[string]map[string][]byte{id: to}}
	return id, key, &Draft{Kind: lifeboat.KindScopeKey, Subject: "scope:" + string(scope), PerformedAt: t.db.now(), Payload: p}, nil
}

// openUnread opens, checks and projects the records this store holds
// sealed under keys it has just been handed (t.learnt). All of them are
// opened before any is projected, then projected in clock order: a
// projection reads a subject's other records (a registration reads the
// admission beside it), which must not still be sealed. A record that
// does not pass stays in the log unread by the views, and goes to the
// sync review.
func (t *txn) openUnread(ctx context.Context) error {
	for len(t.learnt) > 0 {
		var ids []string
		for id := range t.learnt {
			ids = append(ids, id)
		}
		t.learnt = nil
		var opened []lifeboat.Event
		for _, id := range ids {
			evs, err := queryEvents(ctx, t, t.aead, eventCols+"WHERE id IN (SELECT id FROM unread WHERE key_id = ?)", id)
			if err != nil {
				return fmt.Errorf("open records sealed under a new key: %w", err)
			}
			for i := range evs {
				e := &evs[i]
				ok, err := t.db.openWith(ctx, t, t.aead, e)
				if err == nil && ok {
					err = checkPayload(e)
				}
				if err != nil || !ok {
					if err := t.reviewUnopened(ctx, e, err); err != nil {
						return err
					}
					continue
				}
				if _, err := t.exec(ctx, "UPDATE events SET opened = ? WHERE id = ?", sealOpened(t.aead, e), e.ID); err != nil {
					return fmt.Errorf("open records sealed under a new key: %w", err)
				}
				if _, err := t.exec(ctx, "DELETE FROM unread WHERE id = ?", e.ID); err != nil {
					return fmt.Errorf("open records sealed under a new key: %w", err)
				}
				opened = append(opened, *e)
			}
		}
		slices.SortFunc(opened, func(a, b lifeboat.Event) int {
			if c := a.HLC.Compare(b.HLC); c != 0 {
				return c
			}
			return strings.Compare(a.Device, b.Device)
		})
		for i := range opened {
			if err := t.project(ctx, &opened[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// reviewUnopened puts a record that its key, once here, does not open
// (or whose opened payload is not a valid record) in the sync review. It
// stays in its chain, which its signature holds together, and no view
// reads it. Its device signed bytes its readers cannot read: a stolen
// device forging, or damage. A full review list leaves it logged only.
func (t *txn) reviewUnopened(ctx context.Context, e *lifeboat.Event, why error) error {
	reason := "kept in its chain unread: its sealed payload does not open under the key it names"
	if why != nil {
		reason += ": " + why.Error()
	}
	reason += " (forged by its device, or damaged)"
	ev := *e
	ev.Payload = nil
	err := t.db.quarantineTx(ctx, t.tx, t.aead, ev, "", reason, false)
	if errors.Is(err, ErrQuarantineFull) {
		t.db.log.Warn("a sealed record could not be read with its key, and the sync review is full", "event", e.LogValue(), "err", why)
		return nil
	}
	return err
}

// ShareScopeKeys hands this device's keys of the scopes it reads to
// devices that have come to read them since, so that a new ward device
// reads its ward's history before anyone records there again. It returns
// how many scope.key records it made.
func (db *DB) ShareScopeKeys(ctx context.Context) (int, error) {
	aead, err := db.keys()
	if err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT DISTINCT scope FROM scope_keys_mine")
	if err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	var scopes []lifeboat.Scope
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, fmt.Errorf("share scope keys: %w", err)
		}
		scopes = append(scopes, lifeboat.Scope(s))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	db.mu.Lock()
	self := db.device
	db.mu.Unlock()
	sub, err := db.Subscription(ctx)
	if err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	var drafts []Draft
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	t := &txn{tx: tx, aead: aead, db: db}
	for _, s := range scopes {
		if !sub.Reads(s) {
			continue
		}
		if _, _, d, err := t.sealingKey(ctx, s, scopeKeyShare); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("share scope keys: %w", err)
		} else if d != nil {
			drafts = append(drafts, *d)
		}
	}
	tx.Rollback() // read only
	if len(drafts) == 0 {
		return 0, nil
	}
	me := &Session{User: User{ID: "device:" + self, Name: "this device"}}
	if _, err := db.AppendAll(ctx, me, drafts); err != nil {
		return 0, fmt.Errorf("share scope keys: %w", err)
	}
	return len(drafts), nil
}
