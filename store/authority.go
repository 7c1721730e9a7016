package store

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Authority: who may record what. A device's signature proves which
// device wrote an event, not that the person it names was allowed to, so
// every event, local or remote, passes the rule for its kind before it is
// written (authorise). The rules decide from the event and what this store
// holds of the event's causal past only, so every device reaches the same
// verdict whatever order events arrive in:
//
//   - Privileged kinds (people and roles, devices enrolled or revoked,
//     site-key changes) carry the signature of an IT admin's personal key
//     (Auth, in the payload) and the recording device's version vector
//     ("seen": the event's causal past). The key is the one the newest
//     record of that admin in the causal past grants, and that record must
//     still make them an active IT admin (a demotion or deactivation in
//     the causal past revokes them). Grants are themselves privileged
//     events, so every grant chains back to the site's founding admin,
//     whose key is in site.created. An event whose causal past has not all
//     arrived is held, not refused (ErrHeld): peers offer it again.
//   - site.created is the root: the first event of the founding device,
//     and the site ID is derived from that device's key and the founding
//     admin's key (SiteIDFor), so no other event can claim to be it.
//   - Site-key steps and shares are made by a device about itself.
//   - A PIN change is made by the person themselves.
//   - Clinical kinds need an author the registry knows with a role that
//     may record the kind (the roles the app's screens enforce). A person
//     keeps every role they were ever given (user_roles): a record is
//     judged by who its author was, whichever of their records came first.
//     An author the store does not know yet is held.
//
// Scoped replication (a device holding only its wards) needs one change
// here: every rule relies on site records only (people, devices, keys),
// but the causal past a privileged event carries is today the recording
// device's whole version vector, which a ward device would never hold in
// full. Once events carry a scope, "seen" must be the site scope's vector.

// ErrHeld: an event waits for records it relies on (its causal past or
// its author's record) that this store does not hold yet.
var ErrHeld = errors.New("waiting for the records it relies on")

// ErrNotAuthorised: the event is not allowed by the authority rule of its
// kind.
var ErrNotAuthorised = fmt.Errorf("not authorised: %w", lifeboat.ErrPermission)

// ErrAdminKeyNeeded: a privileged change needs the IT admin's personal
// key, opened with their admin passphrase (UnlockAdmin).
var ErrAdminKeyNeeded = fmt.Errorf("this needs your admin passphrase: %w", lifeboat.ErrPermission)

type ruleKind int

const (
	ruleClinical ruleKind = iota
	rulePrivileged
	ruleRoot
	ruleDevice
	rulePINChange
)

// authorityRule is the rule of one kind: its kind of authority and, for
// clinical kinds, the roles that may record it.
type authorityRule struct {
	kind  ruleKind
	roles []lifeboat.Role
}

// ruleOf is the store's rule for each authority forms declares.
var ruleOf = map[forms.Authority]ruleKind{
	forms.AuthClinical:   ruleClinical,
	forms.AuthPrivileged: rulePrivileged,
	forms.AuthRoot:       ruleRoot,
	forms.AuthDevice:     ruleDevice,
	forms.AuthPINChange:  rulePINChange,
}

// authorityRules is the rule of every kind Lifeboat records, read from the
// kind registry (forms.Kinds): a test (TestAuthorityRules_EveryKindDecided)
// fails on a kind the store projects without a declaration there. Clinical
// roles are the ones the app's screens give (pharmacy tabs to pharmacists,
// the CD register also to ward staff, beds to ward staff and bed managers,
// ward set-up to IT admins and bed managers).
var authorityRules = func() map[string]authorityRule {
	rules := map[string]authorityRule{}
	for _, k := range forms.Kinds() {
		// An authority the store does not know reads as clinical with the
		// declared roles (none: every record of it is held). forms'
		// TestKinds_EveryKindDecided refuses such a declaration.
		rules[k.Kind] = authorityRule{kind: ruleOf[k.Authority], roles: k.Roles}
	}
	return rules
}()

// privileged reports whether kind needs an IT admin's personal key.
func privileged(kind string) bool { return authorityRules[kind].kind == rulePrivileged }

// authCache is what authorise learns during one transaction.
type authCache struct {
	roles map[string]map[lifeboat.Role]bool // user -> every role ever given
}

// afterApply forgets what an applied event may have changed.
func (c *authCache) afterApply(e *lifeboat.Event) {
	if e.Kind == lifeboat.KindUserSaved && c.roles != nil {
		delete(c.roles, strings.TrimPrefix(e.Subject, "user:"))
	}
}

// authorise applies the authority rule of e's kind. It returns nil when e
// may be written, an error wrapping ErrHeld when it must wait, or a
// refusal (ErrNotAuthorised, ErrInvalid).
func (t *txn) authorise(ctx context.Context, e *lifeboat.Event, c *authCache) error {
	r, known := authorityRules[e.Kind]
	if !known {
		// A kind from a newer Lifeboat: any person the registry knows.
		r.roles = lifeboat.Roles
	}
	switch r.kind {
	case ruleRoot:
		return t.authoriseRoot(e)
	case ruleDevice:
		if e.Author != "device:"+lifeboat.DeviceOf(e.Device) {
			return fmt.Errorf("a device may report only for itself: %w", ErrNotAuthorised)
		}
		if e.Kind == lifeboat.KindScopeKey {
			return t.authoriseScopeKey(ctx, e)
		}
		return nil
	case rulePINChange:
		if e.Subject != "user:"+e.Author {
			return fmt.Errorf("a PIN may be changed only by its owner: %w", ErrNotAuthorised)
		}
		roles, err := t.rolesOf(ctx, e.Author, c)
		if err != nil {
			return err
		}
		if len(roles) == 0 {
			return fmt.Errorf("the person's record has not arrived: %w", ErrHeld)
		}
		return nil
	case rulePrivileged:
		return t.authorisePrivileged(ctx, e)
	}
	roles, err := t.rolesOf(ctx, e.Author, c)
	if err != nil {
		return err
	}
	if len(roles) == 0 {
		return fmt.Errorf("the record of the person who made it has not arrived: %w", ErrHeld)
	}
	for _, role := range r.roles {
		if roles[role] {
			return nil
		}
	}
	// Hold, not refuse: a record granting the role may still arrive, and
	// the verdict must not depend on which came first.
	return fmt.Errorf("the person who made it has no role that may record %s: %w", e.Kind, ErrHeld)
}

// rolesOf is every role user has ever been given by an accepted record.
func (t *txn) rolesOf(ctx context.Context, user string, c *authCache) (map[lifeboat.Role]bool, error) {
	if roles, ok := c.roles[user]; ok {
		return roles, nil
	}
	rows, err := t.tx.QueryContext(ctx, "SELECT role FROM user_roles WHERE user_id = ?", user)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	roles := map[lifeboat.Role]bool{}
	for rows.Next() {
		var role string
		if err := rows.Scan(&role); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		roles[lifeboat.Role(role)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	if c.roles == nil {
		c.roles = map[string]map[lifeboat.Role]bool{}
	}
	if len(roles) > 0 { // an unknown person may become known within the batch
		c.roles[user] = roles
	}
	return roles, nil
}

// authoriseRoot accepts site.created only as the founding device's first
// event for this store's site.
func (t *txn) authoriseRoot(e *lifeboat.Event) error {
	var p lifeboat.SiteCreated
	if err := decodePayload(e, &p); err != nil {
		return err
	}
	t.db.mu.Lock()
	site := t.db.site
	t.db.mu.Unlock()
	switch {
	case e.Seq != 1 || p.Device != e.Device:
		return fmt.Errorf("a site is created by the first event of its founding device: %w", ErrNotAuthorised)
	case len(p.AdminKey) != ed25519.PublicKeySize || p.Admin == "" || e.Author != p.Admin:
		return fmt.Errorf("a site must name its founding IT admin and their key: %w", ErrNotAuthorised)
	case site == "" || SiteIDFor(p.PublicKey, p.AdminKey) != site || p.SiteID != site:
		return fmt.Errorf("not the creation of this site: %w", ErrNotAuthorised)
	}
	return nil
}

// authFields are the parts of a privileged payload authority reads.
type authFields struct {
	Auth *lifeboat.Auth    `json:"auth"`
	Seen map[string]uint64 `json:"seen"`
}

// authorisePrivileged checks a privileged event's admin signature against
// the grant in force in its causal past.
func (t *txn) authorisePrivileged(ctx context.Context, e *lifeboat.Event) error {
	var f authFields
	if err := json.Unmarshal(e.Payload, &f); err != nil {
		return fmt.Errorf("payload of %s: %w", e.Kind, lifeboat.ErrInvalid)
	}
	if f.Auth == nil || len(f.Auth.Sig) != ed25519.SignatureSize || f.Seen == nil {
		return fmt.Errorf("%s is not signed by an IT admin's personal key: %w", e.Kind, ErrNotAuthorised)
	}
	if f.Auth.By != e.Author {
		return fmt.Errorf("%s is signed for someone other than its author: %w", e.Kind, ErrNotAuthorised)
	}
	past := causalPast{seen: f.Seen, device: e.Device, seq: e.Seq}
	if err := t.holdsPast(ctx, past); err != nil {
		return err
	}
	pub, err := t.adminKeyAt(ctx, e.Author, past)
	if err != nil {
		return err
	}
	stmt, err := authStatement(e)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, stmt, f.Auth.Sig) {
		return fmt.Errorf("%s: the IT admin's signature does not verify: %w", e.Kind, ErrNotAuthorised)
	}
	return nil
}

// causalPast is what the device that made an event held when it made it:
// its version vector, and its own earlier events.
type causalPast struct {
	seen   map[string]uint64
	device string
	seq    uint64
}

// covers reports whether the event (dev, seq) is in the causal past.
func (p causalPast) covers(dev string, seq uint64) bool {
	if dev == p.device && seq < p.seq {
		return true
	}
	return p.seen[dev] >= seq
}

// holdsPast returns ErrHeld unless this store holds all of past.seen
// (which, for an honest device, includes its own earlier events).
func (t *txn) holdsPast(ctx context.Context, past causalPast) error {
	for dev, s := range past.seen {
		if s == 0 || t.heldTo[dev] >= s {
			continue
		}
		st, err := t.stmt(ctx, "SELECT contiguous FROM heads WHERE device = ?")
		if err != nil {
			return fmt.Errorf("read heads: %w", err)
		}
		var have int64
		err = st.QueryRowContext(ctx, dev).Scan(&have)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("read heads: %w", err)
		}
		if t.heldTo == nil {
			t.heldTo = map[string]uint64{}
		}
		t.heldTo[dev] = uint64(have)
		if uint64(have) < s {
			return fmt.Errorf("%d records of device %s it relies on have not arrived: %w", s-uint64(have), dev, ErrHeld)
		}
	}
	return nil
}

// adminKeyAt is the personal key that the newest record of user in past
// grants as an active IT admin (or the founding admin's key from
// site.created, before their first record).
func (t *txn) adminKeyAt(ctx context.Context, user string, past causalPast) (ed25519.PublicKey, error) {
	evs, err := queryEvents(ctx, t.tx, t.aead, eventCols+"WHERE subject = ? AND kind = ?", "user:"+user, lifeboat.KindUserSaved)
	if err != nil {
		return nil, fmt.Errorf("read admin grants: %w", err)
	}
	var newest *lifeboat.Event
	for i := range evs {
		ev := &evs[i]
		if !past.covers(ev.Device, ev.Seq) {
			continue
		}
		if newest == nil || ev.HLC.Compare(newest.HLC) > 0 || (ev.HLC == newest.HLC && ev.Device > newest.Device) {
			newest = ev
		}
	}
	if newest == nil {
		root, err := t.root(ctx)
		if err != nil {
			return nil, err
		}
		if root != nil && root.Admin == user {
			return root.AdminKey, nil
		}
		return nil, fmt.Errorf("signed by someone who is not an IT admin: %w", ErrNotAuthorised)
	}
	var u lifeboat.UserRecord
	if err := decodePayload(newest, &u); err != nil {
		return nil, err
	}
	if u.Role != lifeboat.RoleITAdmin || !u.Active || u.AdminKey == nil {
		return nil, fmt.Errorf("signed by someone who was no longer an IT admin: %w", ErrNotAuthorised)
	}
	return u.AdminKey.Public, nil
}

// root is this store's site.created payload, or nil if it has none yet.
func (t *txn) root(ctx context.Context) (*lifeboat.SiteCreated, error) {
	evs, err := queryEvents(ctx, t.tx, t.aead, eventCols+"WHERE kind = ? AND seq = 1", lifeboat.KindSiteCreated)
	if err != nil {
		return nil, fmt.Errorf("read site root: %w", err)
	}
	for i := range evs {
		var p lifeboat.SiteCreated
		if decodePayload(&evs[i], &p) == nil && t.authoriseRoot(&evs[i]) == nil {
			return &p, nil
		}
	}
	return nil, nil
}

// AuthStatement is what an IT admin's personal key signs for a privileged
// event: the event's signed bytes with its payload in canonical form and
// without the "auth" member. It binds the signature to this event alone
// (its ID, device, sequence number, clock, author and content). Exported
// for tests and tools that check or forge authority.
func AuthStatement(e *lifeboat.Event) ([]byte, error) { return authStatement(e) }

func authStatement(e *lifeboat.Event) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Payload, &obj); err != nil {
		return nil, fmt.Errorf("payload of %s is not a JSON object: %w", e.Kind, lifeboat.ErrInvalid)
	}
	delete(obj, "auth")
	canon, err := json.Marshal(obj) // keys sorted, values compacted
	if err != nil {
		return nil, fmt.Errorf("payload of %s: %w", e.Kind, lifeboat.ErrInvalid)
	}
	x := *e
	x.Payload = canon
	x.PerformedAt = x.PerformedAt.UTC().Truncate(time.Microsecond)
	x.RecordedAt = x.RecordedAt.UTC().Truncate(time.Microsecond)
	return append([]byte("lifeboat admin authority v1\x00"), x.SignedBytes()...), nil
}

// signAuth adds an IT admin's authority to a privileged event's payload
// (which already carries "seen"), signed by sign (the session's personal
// key; false if it has none open).
func signAuth(e *lifeboat.Event, by string, sign func([]byte) ([]byte, bool)) error {
	stmt, err := authStatement(e)
	if err != nil {
		return err
	}
	sig, ok := sign(stmt)
	if !ok {
		return ErrAdminKeyNeeded
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Payload, &obj); err != nil {
		return fmt.Errorf("payload of %s: %w", e.Kind, lifeboat.ErrInvalid)
	}
	auth, _ := json.Marshal(lifeboat.Auth{By: by, Sig: sig})
	obj["auth"] = auth
	p, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("payload of %s: %w", e.Kind, lifeboat.ErrInvalid)
	}
	e.Payload = p
	return nil
}
