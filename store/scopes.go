package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"lifeboat"
	"lifeboat/forms"
)

// scopesView keeps each device's subscription (device_scopes), every
// scope it was ever given (scope_grants) and, for a revoked device, how
// far each of its scoped chains is accepted (revoked_chains), from
// site.created, device.enrolled, device.scopes and device.revoked.
var scopesView = &projector{
	name:   "scopes",
	kinds:  []string{lifeboat.KindSiteCreated, lifeboat.KindDeviceEnrolled, lifeboat.KindDeviceScopes, lifeboat.KindDeviceRevoked},
	tables: []string{"device_scopes", "scope_grants", "revoked_chains"},
	check: func(e *lifeboat.Event) error {
		switch e.Kind {
		case lifeboat.KindDeviceEnrolled:
			var p lifeboat.DeviceEnrolled
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			return p.Scopes.Check()
		case lifeboat.KindDeviceScopes:
			var p lifeboat.DeviceScopes
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			if p.Device == "" || e.Subject != "device:"+p.Device {
				return fmt.Errorf("the device does not match the subject: %w", lifeboat.ErrInvalid)
			}
			if len(p.Scopes) == 0 {
				return fmt.Errorf("a device needs at least one scope: %w", lifeboat.ErrInvalid)
			}
			return p.Scopes.Check()
		case lifeboat.KindDeviceRevoked:
			var p lifeboat.DeviceRevoked
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			for chain := range p.Chains {
				if dev, scope := lifeboat.SplitChain(chain); dev != p.Device || scope == lifeboat.ScopeSite || scope.Check() != nil {
					return fmt.Errorf("revocation names chain %q, not one of the device's scoped chains: %w", chain, lifeboat.ErrInvalid)
				}
			}
		}
		return nil
	},
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		var dev string
		var sub lifeboat.Subscription
		switch e.Kind {
		case lifeboat.KindSiteCreated:
			var p lifeboat.SiteCreated
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev = p.Device // the founding device holds every scope
		case lifeboat.KindDeviceEnrolled:
			var p lifeboat.DeviceEnrolled
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, sub = p.Device, p.Scopes
		case lifeboat.KindDeviceScopes:
			var p lifeboat.DeviceScopes
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			dev, sub = p.Device, p.Scopes
		case lifeboat.KindDeviceRevoked:
			return t.applyRevokedChains(ctx, e)
		}
		if len(sub) == 0 {
			sub = lifeboat.Subscription{lifeboat.ScopeAll}
		}
		for _, s := range sub {
			if _, err := t.tx.ExecContext(ctx, "INSERT OR IGNORE INTO scope_grants (device, scope) VALUES (?, ?)", dev, string(s)); err != nil {
				return err
			}
		}
		// The newest setting wins, by clock then chain and seq: the same
		// on every device whatever order they arrive in.
		_, err := t.tx.ExecContext(ctx, `INSERT INTO device_scopes (device, scopes, at_wall, at_logical, at_chain, at_seq)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET scopes = excluded.scopes,
			at_wall = excluded.at_wall, at_logical = excluded.at_logical, at_chain = excluded.at_chain, at_seq = excluded.at_seq
			WHERE (excluded.at_wall, excluded.at_logical, excluded.at_chain, excluded.at_seq) >
			      (device_scopes.at_wall, device_scopes.at_logical, device_scopes.at_chain, device_scopes.at_seq)`,
			dev, joinScopes(sub), e.HLC.Wall, int64(e.HLC.Logical), e.Device, int64(e.Seq))
		return err
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		if err := digestRows(ctx, t, "device_scopes", "SELECT device, scopes FROM device_scopes ORDER BY device", w); err != nil {
			return err
		}
		if err := digestRows(ctx, t, "scope_grants", "SELECT device, scope FROM scope_grants ORDER BY device, scope", w); err != nil {
			return err
		}
		return digestRows(ctx, t, "revoked_chains", "SELECT chain, last_seq FROM revoked_chains ORDER BY chain", w)
	},
}

// applyRevokedChains keeps, for each scoped chain a revocation names, the
// lowest last seq any revocation of the device accepts.
func (t *txn) applyRevokedChains(ctx context.Context, e *lifeboat.Event) error {
	var p lifeboat.DeviceRevoked
	if err := decodePayload(e, &p); err != nil {
		return err
	}
	for chain, last := range p.Chains {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO revoked_chains (chain, last_seq) VALUES (?, ?)
			ON CONFLICT (chain) DO UPDATE SET last_seq = min(last_seq, excluded.last_seq)`, chain, int64(last)); err != nil {
			return err
		}
	}
	return nil
}

func joinScopes(sub lifeboat.Subscription) string {
	parts := make([]string, len(sub))
	for i, s := range sub {
		parts[i] = string(s)
	}
	return strings.Join(parts, "\n")
}

func splitScopes(s string) lifeboat.Subscription {
	if s == "" {
		return nil
	}
	var sub lifeboat.Subscription
	for _, p := range strings.Split(s, "\n") {
		sub = append(sub, lifeboat.Scope(p))
	}
	return sub
}

// Subscription returns the scopes this device holds. Until the site's
// record of this device has arrived (a new device's first minutes) it is
// the site scope alone: the registry comes first. Readable while locked.
func (db *DB) Subscription(ctx context.Context) (lifeboat.Subscription, error) {
	dev, err := db.Device(ctx)
	if err != nil {
		return nil, err
	}
	return db.SubscriptionOf(ctx, dev)
}

// SubscriptionOf returns the scopes a device holds as this store knows
// them: the site scope alone for a device it has no record of.
func (db *DB) SubscriptionOf(ctx context.Context, device string) (lifeboat.Subscription, error) {
	return subscriptionOf(ctx, db.sql, device)
}

func subscriptionOf(ctx context.Context, q querier, device string) (lifeboat.Subscription, error) {
	var s string
	err := q.QueryRowContext(ctx, "SELECT scopes FROM device_scopes WHERE device = ?", device).Scan(&s)
	if err == sql.ErrNoRows {
		return lifeboat.Subscription{lifeboat.ScopeSite}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read scopes of %s: %w", device, err)
	}
	return splitScopes(s), nil
}

// Subscriptions returns every device's subscription as this store knows
// it (devices it has no record of are absent). Readable while locked.
func (db *DB) Subscriptions(ctx context.Context) (map[string]lifeboat.Subscription, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT device, scopes FROM device_scopes")
	if err != nil {
		return nil, fmt.Errorf("read scopes: %w", err)
	}
	defer rows.Close()
	out := map[string]lifeboat.Subscription{}
	for rows.Next() {
		var dev, s string
		if err := rows.Scan(&dev, &s); err != nil {
			return nil, fmt.Errorf("read scopes: %w", err)
		}
		out[dev] = splitScopes(s)
	}
	return out, rows.Err()
}

// grants reads every scope each device was ever given.
func grants(ctx context.Context, q querier) (map[string]lifeboat.Subscription, error) {
	rows, err := q.QueryContext(ctx, "SELECT device, scope FROM scope_grants ORDER BY device, scope")
	if err != nil {
		return nil, fmt.Errorf("read scope grants: %w", err)
	}
	defer rows.Close()
	out := map[string]lifeboat.Subscription{}
	for rows.Next() {
		var dev, s string
		if err := rows.Scan(&dev, &s); err != nil {
			return nil, fmt.Errorf("read scope grants: %w", err)
		}
		out[dev] = append(out[dev], lifeboat.Scope(s))
	}
	return out, rows.Err()
}

// revokedChains reads how far each revoked device's scoped chains are
// accepted.
func revokedChains(ctx context.Context, q querier) (map[string]uint64, error) {
	rows, err := q.QueryContext(ctx, "SELECT chain, last_seq FROM revoked_chains")
	if err != nil {
		return nil, fmt.Errorf("read revoked chains: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var chain string
		var last int64
		if err := rows.Scan(&chain, &last); err != nil {
			return nil, fmt.Errorf("read revoked chains: %w", err)
		}
		out[chain] = uint64(last)
	}
	return out, rows.Err()
}

// SetDeviceScopes records the scopes a device holds from now on: an IT
// admin's act (device.scopes), checked like any privileged event.
func (db *DB) SetDeviceScopes(ctx context.Context, s *Session, device string, sub lifeboat.Subscription) (lifeboat.Event, error) {
	if err := sub.Check(); err != nil {
		return lifeboat.Event{}, fmt.Errorf("set scopes of %s: %w", device, err)
	}
	if len(sub) == 0 {
		return lifeboat.Event{}, fmt.Errorf("set scopes of %s: a device needs at least one scope: %w", device, lifeboat.ErrInvalid)
	}
	e, err := db.Append(ctx, s, Draft{Kind: lifeboat.KindDeviceScopes, Subject: "device:" + device, PerformedAt: db.now(),
		Payload: lifeboat.DeviceScopes{Device: device, Scopes: sub}})
	if err != nil {
		return e, err
	}
	// A ward it now reads: its keys go with the change (a ward it no
	// longer reads gets a new key with its next record: see sealingKey).
	if _, err := db.ShareScopeKeys(ctx); err != nil {
		db.log.Warn("ward keys not handed to the device yet", "err", err)
	}
	return e, nil
}

// scopeFor decides which scope a new record goes in: the draft's own
// choice, else the scope of the record it corrects, else its kind's: the
// site, the pharmacy, or a ward (the ward its payload names, the patient's
// ward, then this device's first ward).
//
// hint is the ward another record of the same batch puts the subject on
// (a patient registered and admitted together goes in the ward's scope).
func (t *txn) scopeFor(ctx context.Context, d Draft, subject string, payload []byte, home lifeboat.Subscription, siteWard, hint string) (lifeboat.Scope, error) {
	if d.Scope != "" {
		return d.Scope, nil
	}
	if d.Corrects != "" {
		var chain string
		if err := t.tx.QueryRowContext(ctx, "SELECT device FROM events WHERE id = ?", d.Corrects).Scan(&chain); err != nil {
			return "", fmt.Errorf("read the corrected record: %w", err)
		}
		return lifeboat.ScopeOf(chain), nil
	}
	spec, ok := forms.Spec(d.Kind)
	if ok {
		switch spec.Scope {
		case forms.ScopeSite:
			return lifeboat.ScopeSite, nil
		case forms.ScopePharmacy:
			return lifeboat.ScopePharmacy, nil
		}
	} else if strings.HasPrefix(d.Kind, "site.") || strings.HasPrefix(d.Kind, "device.") || strings.HasPrefix(d.Kind, "user.") {
		return lifeboat.ScopeSite, nil
	}
	var p struct {
		FromWard string `json:"from_ward"`
		Ward     string `json:"ward"`
		Location string `json:"location"`
	}
	_ = json.Unmarshal(payload, &p)
	ward := p.FromWard // a transfer stays in the ward it leaves
	if ward == "" && d.Kind != forms.KindPatientTransferred {
		ward = p.Ward
	}
	if ward == "" && p.Location != "" {
		if strings.EqualFold(p.Location, "pharmacy") {
			return lifeboat.ScopePharmacy, nil
		}
		ward = p.Location
	}
	if ward == "" && d.Kind != forms.KindPatientTransferred {
		ward = hint
	}
	if ward == "" && subject != "" {
		var w string
		err := t.tx.QueryRowContext(ctx, "SELECT ward FROM p_patients WHERE id = ?", subject).Scan(&w)
		if err != nil && err != sql.ErrNoRows {
			return "", fmt.Errorf("read the patient's ward: %w", err)
		}
		ward = w
	}
	if ward == "" {
		ward = hint
	}
	if ward == "" {
		if ws := home.Wards(); len(ws) > 0 {
			ward = ws[0]
		} else {
			ward = siteWard
		}
	}
	if ward == "" {
		return lifeboat.ScopeSite, nil
	}
	return lifeboat.WardScope(ward), nil
}

// ErrScopeNotHeld refuses a peer's event of a scope this device does not
// hold: it was never asked for, and a device keeps only its scopes.
var ErrScopeNotHeld = fmt.Errorf("of a scope this device does not hold: %w", lifeboat.ErrPermission)

// errScopeNotHeldYet waits, within a batch, for this device's own
// enrolment (which names its scopes) to be applied; at the batch's end it
// becomes ErrScopeNotHeld.
var errScopeNotHeldYet = fmt.Errorf("%w (not yet)", ErrHeld)

// errScopeNotGranted holds an event recorded in a scope its device has
// not (yet, as far as this store knows) been given.
var errScopeNotGranted = fmt.Errorf("recorded in a scope its device has not been given: %w", ErrHeld)

// applyScopes is what applying a batch needs to know of scopes: this
// device's subscription, every device's grants, and how far a revoked
// device's scoped chains are accepted.
type applyScopes struct {
	mine    lifeboat.Subscription
	grants  map[string]lifeboat.Subscription
	revoked map[string]uint64
}

func loadScopes(ctx context.Context, t *txn) (applyScopes, error) {
	var sc applyScopes
	dev, err := t.db.Device(ctx)
	if err != nil {
		return sc, err
	}
	if sc.mine, err = subscriptionOf(ctx, t.tx, dev); err != nil {
		return sc, err
	}
	if sc.grants, err = grants(ctx, t.tx); err != nil {
		return sc, err
	}
	sc.revoked, err = revokedChains(ctx, t.tx)
	return sc, err
}

// forChain checks a chain's scope (held here, given to its device) and
// returns the registry entry to check its events against: for a revoked
// device's scoped chain, cut where its revocations say (at none of its
// events where they do not name it).
func (sc applyScopes) forChain(chain string, d regDevice) (regDevice, error) {
	dev, scope := lifeboat.SplitChain(chain)
	if scope == lifeboat.ScopeSite {
		d.scopeGranted = true
		return d, nil
	}
	if !sc.mine.Holds(scope) {
		return d, errScopeNotHeldYet
	}
	// Checked per record (applyOne): a handoff may go to any ward.
	d.scopeGranted = sc.grants[dev].Reads(scope)
	if d.revokedAt > 0 {
		d.revokedSeq = sc.revoked[chain]
	}
	return d, nil
}

// refreshScopes reloads the grants after a batch applied a change of them.
func (sc *applyScopes) refresh(ctx context.Context, t *txn) error {
	dev, err := t.db.Device(ctx)
	if err != nil {
		return err
	}
	if sc.mine, err = subscriptionOf(ctx, t.tx, dev); err != nil {
		return err
	}
	g, err := grants(ctx, t.tx)
	if err != nil {
		return err
	}
	r, err := revokedChains(ctx, t.tx)
	if err != nil {
		return err
	}
	sc.grants, sc.revoked = g, r
	return nil
}

// scopedChains lists a device's chains outside the site scope held here.
func scopedChains(ctx context.Context, q querier, device string) ([]string, error) {
	// Chain IDs of the device sort between "<device>/" and "<device>0".
	rows, err := q.QueryContext(ctx, "SELECT device FROM heads WHERE device > ? AND device < ? ORDER BY device", device+"/", device+"0")
	if err != nil {
		return nil, fmt.Errorf("read chains of %s: %w", device, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read chains of %s: %w", device, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ownChains reports whether a batch holds events of device's chains.
func ownChains(groups map[string][]*item, device string) bool {
	for chain, g := range groups {
		if len(g) > 0 && lifeboat.DeviceOf(chain) == device {
			return true
		}
	}
	return false
}

// batchWard is the first ward an admission or transfer among drafts puts
// subject on ("" if none does).
func batchWard(drafts []Draft, payloads [][]byte, subject string) string {
	if subject == "" {
		return ""
	}
	for i, d := range drafts {
		if d.Kind != forms.KindPatientAdmitted && d.Kind != forms.KindPatientTransferred {
			continue
		}
		var p struct {
			PatientID string `json:"patient_id"`
			Ward      string `json:"ward"`
		}
		if json.Unmarshal(payloads[i], &p) == nil && p.PatientID == subject && p.Ward != "" {
			return p.Ward
		}
	}
	return ""
}
