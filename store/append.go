package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"lifeboat"
	"lifeboat/forms"
)

// MaxFutureSkew is how far ahead of this device's clock a performed time
// may be: care cannot be recorded before it happens.
const MaxFutureSkew = 5 * time.Minute

// Draft is a change a person wants recorded.
type Draft struct {
	Kind string
	// Subject is the patient, bed or item the change is about. For
	// workflow kinds it may be left empty: it is derived from the payload
	// (see SubjectFor).
	Subject string
	// PerformedAt is when the care happened, as entered by the person.
	// It is required: the store never assumes "now" on its own.
	PerformedAt time.Time
	Corrects    string // ID of the event this one amends or cancels
	Payload     any    // marshalled to JSON; []byte and json.RawMessage are used as they are
	// Scope is the part of the log it goes in. Usually left empty: the
	// store works it out (see scopeFor).
	Scope lifeboat.Scope
	// PayloadFrom, if set, makes the payload from the records appended
	// before it in the same AppendAll (a census record naming the chains
	// and seqs its import wrote); Payload is then ignored.
	PayloadFrom func(done []lifeboat.Event) any
	// keys: a scope.key the store recorded on its own before a sealed
	// record (see sealingKey): not among the events AppendAll returns.
	keys bool
}

// Append records one change durably: it assigns the next seq and a clock
// reading, signs, seals, writes and projects in one transaction, and
// returns only after the commit is on disk (synchronous=FULL).
func (db *DB) Append(ctx context.Context, s *Session, d Draft) (lifeboat.Event, error) {
	evs, err := db.AppendAll(ctx, s, []Draft{d})
	if err != nil {
		return lifeboat.Event{}, err
	}
	return evs[0], nil
}

// AppendAll records several changes in one transaction: all or none.
func (db *DB) AppendAll(ctx context.Context, s *Session, drafts []Draft) ([]lifeboat.Event, error) {
	if s == nil {
		return nil, fmt.Errorf("record: nobody is signed in: %w", lifeboat.ErrPermission)
	}
	keys, release, err := db.borrowKeys()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer release() // signing below reads the device key to the end
	db.mu.Lock()
	device, clock := db.device, db.clock
	db.mu.Unlock()
	aead, priv := keys.aead, keys.devPriv
	payloads := make([][]byte, len(drafts))
	for i, d := range drafts {
		if d.Kind == "" || len(d.Kind) > lifeboat.MaxKindLen {
			return nil, fmt.Errorf("record: missing or overlong kind: %w", lifeboat.ErrInvalid)
		}
		if d.PerformedAt.IsZero() {
			return nil, fmt.Errorf("record %s: when it was done is required: %w", d.Kind, lifeboat.ErrInvalid)
		}
		if d.PerformedAt.After(db.now().Add(MaxFutureSkew)) {
			return nil, fmt.Errorf("record %s: the time it was done is in the future: %w", d.Kind, lifeboat.ErrInvalid)
		}
		if d.PayloadFrom != nil {
			continue // made in turn, below
		}
		p, err := marshalPayload(d.Payload)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", d.Kind, err)
		}
		payloads[i] = p
	}

	var siteWard string // the founding ward: where a device of every scope records
	if v, err := db.meta(ctx, "ward"); err == nil {
		siteWard = string(v)
	}
	tx, err := db.sql.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one writer at a time
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer tx.Rollback()
	t := &txn{tx: tx, aead: aead, db: db}
	ownHead, err := ownGuard(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	home, err := subscriptionOf(ctx, tx, device)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	// Each scope's chain of this device: its last seq and hash.
	type head struct {
		seq  int64
		hash lifeboat.Hash
	}
	heads := map[string]*head{}
	chainHead := func(chain string) (*head, error) {
		if h, ok := heads[chain]; ok {
			return h, nil
		}
		h := &head{}
		var prev []byte
		err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM events WHERE device = ? ORDER BY seq DESC LIMIT 1", chain).Scan(&h.seq, &prev)
		if err != nil && !isNoRows(err) {
			return nil, fmt.Errorf("read last event: %w", err)
		}
		copy(h.hash[:], prev)
		heads[chain] = h
		return h, nil
	}

	var auth authCache
	rebuild := false
	out := make([]lifeboat.Event, 0, len(drafts))
	// The key each sealed scope's records are sealed under in this batch.
	type sealer struct {
		id  string
		key []byte
	}
	sealers := map[lifeboat.Scope]sealer{}
	recorded := 0                      // with the scope keys
	for i := 0; i < len(drafts); i++ { // a handoff or a scope key may join the drafts on the way
		d := drafts[i]
		if d.PayloadFrom != nil {
			if payloads[i], err = marshalPayload(d.PayloadFrom(out)); err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
		}
		if d.Corrects != "" {
			target, ok, err := t.event(ctx, d.Corrects)
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
			if !ok {
				return nil, fmt.Errorf("record %s: the record it corrects was not found: %w", d.Kind, lifeboat.ErrNotFound)
			}
			if d.Kind != lifeboat.KindEnteredInError && d.Kind != target.Kind {
				return nil, fmt.Errorf("record %s: an amendment must be of the same kind as the record (%s): %w", d.Kind, target.Kind, lifeboat.ErrInvalid)
			}
		}
		subject := d.Subject
		if subject == "" {
			if subject, err = SubjectFor(d.Kind, payloads[i]); err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
		}
		scope, err := t.scopeFor(ctx, d, subject, payloads[i], home, siteWard, batchWard(drafts, payloads, subject))
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", d.Kind, err)
		}
		if err := scope.Check(); err != nil {
			return nil, fmt.Errorf("record %s: %w", d.Kind, err)
		}
		if !home.Reads(scope) && d.Kind != forms.KindPatientHandoff {
			return nil, fmt.Errorf("record %s: this device does not hold %s: %w", d.Kind, scope.Label(), lifeboat.ErrPermission)
		}
		if _, ok := sealers[scope]; scope.Sealed() && !ok {
			// Created, or handed to devices that came to read the scope
			// since, first: then this record again.
			var id string
			var key []byte
			var kd *Draft
			if home.Reads(scope) {
				id, key, kd, err = t.sealingKey(ctx, scope, scopeKeySeal)
			} else {
				id, key, kd, err = t.handoffKey(ctx, scope)
				if errors.Is(err, lifeboat.ErrNotFound) && d.Kind == forms.KindPatientHandoff {
					// No device reads that ward yet: nobody to hand the
					// records to. The move itself stands; the records stay
					// with the ward that made them.
					drafts, payloads = slices.Delete(drafts, i, i+1), slices.Delete(payloads, i, i+1)
					i--
					continue
				}
			}
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
			if kd != nil {
				kd.keys = true
			}
			if kd != nil && key == nil {
				p, err := marshalPayload(kd.Payload)
				if err != nil {
					return nil, fmt.Errorf("record %s: %w", d.Kind, err)
				}
				drafts, payloads = slices.Insert(drafts, i, *kd), slices.Insert(payloads, i, p)
				i--
				continue
			}
			if kd != nil { // a one-off key for a handoff: handed over first
				p, err := marshalPayload(kd.Payload)
				if err != nil {
					return nil, fmt.Errorf("record %s: %w", d.Kind, err)
				}
				drafts, payloads = slices.Insert(drafts, i, *kd), slices.Insert(payloads, i, p)
				sealers[scope] = sealer{id, key}
				i--
				continue
			}
			sealers[scope] = sealer{id, key}
		}
		chain := lifeboat.ChainOf(device, scope)
		if seenKinds[d.Kind] || privileged(d.Kind) {
			if payloads[i], err = withSeen(ctx, t, payloads[i], scope); err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
		}
		h0, err := chainHead(chain)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		author := s.User.ID
		if d.Kind == forms.KindPatientHandoff || d.Kind == lifeboat.KindScopeKey {
			author = "device:" + device // the device copies records or hands over keys; nobody records anything new
		}
		h0.seq++
		seq := h0.seq
		now := db.now()
		e := lifeboat.Event{
			ID: uuid.Must(uuid.NewV7()).String(), Device: chain, Seq: uint64(seq), Prev: h0.hash,
			HLC: clock.Now(), Author: author, Kind: d.Kind, Subject: subject,
			PerformedAt: d.PerformedAt, RecordedAt: now, Corrects: d.Corrects, Payload: payloads[i],
		}
		if sl, ok := sealers[scope]; ok && scope.Sealed() {
			if err := sealPayload(&e, sl.id, sl.key); err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
		}
		if privileged(d.Kind) {
			// The IT admin's personal key signs it, not only this device:
			// a device alone cannot make a privileged change.
			if err := signAuth(&e, s.User.ID, s.signAdmin); err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
		}
		e.Sign(priv)
		if err := e.Check(); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if err := checkPayload(&e); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if err := t.checkLocal(ctx, &e); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		// The same authority rules as for a peer's event.
		if err := t.authorise(ctx, &e, &auth); err != nil {
			if errors.Is(err, ErrHeld) {
				err = fmt.Errorf("%w: %w", err, lifeboat.ErrPermission)
			}
			return nil, fmt.Errorf("record %s: %w", d.Kind, err)
		}
		h := e.Hash()
		if err := t.insertEvent(ctx, &e, h); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if err := t.project(ctx, &e); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if err := setHead(ctx, t, chain, seq); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		auth.afterApply(&e)
		if e.Kind == lifeboat.KindDeviceRevoked {
			// Events of the revoked device held here beyond those the
			// revocation accepts leave the log, as on every peer.
			n, err := db.applyRevocation(ctx, t, nil, &e)
			if err != nil {
				return nil, fmt.Errorf("record: %w", err)
			}
			rebuild = rebuild || n > 0
		}
		if s.User.Role == lifeboat.RoleBreakGlass && !d.keys {
			if err := db.audit(ctx, tx, "break_glass.recorded", s.User.ID, e.Subject, e.Kind+" "+e.ID); err != nil {
				return nil, err
			}
		}
		h0.hash = h
		recorded++
		if !d.keys {
			out = append(out, e)
		}
		if e.Kind == forms.KindPatientAdmitted || e.Kind == forms.KindPatientTransferred {
			hd, payload, ok, err := t.handoffDraft(ctx, &e)
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", d.Kind, err)
			}
			if ok {
				drafts, payloads = append(drafts, hd), append(payloads, payload)
			}
		}
	}
	if err := t.openUnread(ctx); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if rebuild {
		if err := t.rebuild(ctx); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	db.raiseMark(device, ownHead+uint64(recorded)) // after the commit: the mark never runs ahead of the database
	db.changed()
	return out, nil
}

// setHead records that this device's own log runs to seq, contiguously.
func setHead(ctx context.Context, x execer, device string, seq int64) error {
	_, err := x.ExecContext(ctx, `INSERT INTO heads (device, contiguous, max_seq) VALUES (?, ?, ?)
		ON CONFLICT (device) DO UPDATE SET contiguous = excluded.contiguous, max_seq = excluded.max_seq`, device, seq, seq)
	return err
}

func marshalPayload(v any) ([]byte, error) {
	switch p := v.(type) {
	case nil:
		return []byte("{}"), nil
	case []byte:
		return p, nil
	case json.RawMessage:
		return p, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w: %w", lifeboat.ErrInvalid, err)
	}
	return b, nil
}

// EnterInError cancels a record: a new event naming it, with the reason.
func (db *DB) EnterInError(ctx context.Context, s *Session, eventID, reason string, performedAt time.Time) (lifeboat.Event, error) {
	var subject string
	err := db.sql.QueryRowContext(ctx, "SELECT subject FROM events WHERE id = ?", eventID).Scan(&subject)
	if isNoRows(err) {
		return lifeboat.Event{}, fmt.Errorf("enter in error: %w", lifeboat.ErrNotFound)
	}
	if err != nil {
		return lifeboat.Event{}, fmt.Errorf("enter in error: %w", err)
	}
	return db.Append(ctx, s, Draft{Kind: lifeboat.KindEnteredInError, Subject: subject, PerformedAt: performedAt,
		Corrects: eventID, Payload: lifeboat.EnteredInError{Reason: reason}})
}

// withSeen adds this device's version vector (what it held when the
// record was made) to a payload as "seen": its chains of the site scope
// and of the record's own scope, which every device that holds the
// record also holds (a device holding one ward can check it).
func withSeen(ctx context.Context, t *txn, payload []byte, scope lifeboat.Scope) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil {
		return nil, fmt.Errorf("payload is not a JSON object: %w", lifeboat.ErrInvalid)
	}
	vv, err := versionVector(ctx, t)
	if err != nil {
		return nil, err
	}
	for chain := range vv {
		if s := lifeboat.ScopeOf(chain); s != lifeboat.ScopeSite && s != scope {
			delete(vv, chain)
		}
	}
	seen, _ := json.Marshal(vv)
	obj["seen"] = seen
	return json.Marshal(obj)
}
