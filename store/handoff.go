package store

import (
	"context"
	"fmt"
	"slices"

	"lifeboat"
	"lifeboat/forms"
)

// A patient's records live in the scope of the ward that made them. When
// the patient is admitted or moved to another ward, the device recording
// it also records a handoff.patient into the receiving ward's scope: the
// patient's earlier records as their devices signed them. Devices of the
// receiving ward check each one as if it had come from its own device
// (signature, the device's registry entry and revocation, the kind's
// authority) and keep it in their log, so they can read what came
// before; the ward the patient left keeps what it recorded.

// maxHandoffBytes bounds the records one handoff carries (encoded, before
// the payload's base64): under lifeboat.MaxPayload with room to spare.
const maxHandoffBytes = 640 << 10

// handoffKinds are carried first, whatever the patient's history holds:
// who they are and what is safe to give them.
var handoffKinds = map[string]bool{
	forms.KindPatientRegistered: true, forms.KindAllergyRecorded: true, forms.KindAllergyNoneKnown: true,
	forms.KindMedOrdered: true, forms.KindMedStopped: true, forms.KindWeightRecorded: true,
}

// handoffDraft returns the handoff a just-written admission or transfer
// e calls for, if the patient has records outside the receiving ward's
// scope (ok is false when it needs none).
func (t *txn) handoffDraft(ctx context.Context, e *lifeboat.Event) (Draft, []byte, bool, error) {
	var p struct {
		PatientID string `json:"patient_id"`
		Ward      string `json:"ward"`
	}
	if err := decodePayload(e, &p); err != nil || p.Ward == "" || p.PatientID == "" {
		return Draft{}, nil, false, err
	}
	to := lifeboat.WardScope(p.Ward)
	if to.Check() != nil {
		return Draft{}, nil, false, nil
	}
	evs, err := queryEvents(ctx, t, t.aead, eventCols+"WHERE subject = ? ORDER BY hlc_wall, hlc_logical, device", p.PatientID)
	if err != nil {
		return Draft{}, nil, false, fmt.Errorf("read the patient's records: %w", err)
	}
	var carry []lifeboat.Event
	var keys [][]byte
	for _, ev := range evs {
		if lifeboat.ScopeOf(ev.Device) != to && ev.Kind != forms.KindPatientHandoff {
			key, ok, err := t.db.recordKey(ctx, t, t.aead, &ev)
			if err != nil {
				return Draft{}, nil, false, err
			}
			if ok {
				carry, keys = append(carry, ev), append(keys, key)
			}
		}
	}
	if len(carry) == 0 {
		return Draft{}, nil, false, nil
	}
	// The safety records first, then the newest of the rest, as many as
	// fit; then back in clock order.
	keep := make([]bool, len(carry))
	size := 0
	take := func(i int) {
		if n := carry[i].EncodedLen(); !keep[i] && size+n <= maxHandoffBytes {
			keep[i], size = true, size+n
		}
	}
	for i := range carry {
		if handoffKinds[carry[i].Kind] {
			take(i)
		}
	}
	for i := len(carry) - 1; i >= 0; i-- {
		take(i)
	}
	h := forms.PatientHandoff{PatientID: p.PatientID, Ward: p.Ward}
	for i := range carry {
		if keep[i] {
			h.Records, h.Keys = append(h.Records, carry[i].Encode()), append(h.Keys, keys[i])
		}
	}
	payload, err := marshalPayload(h)
	if err != nil {
		return Draft{}, nil, false, err
	}
	return Draft{Kind: forms.KindPatientHandoff, Subject: p.PatientID, PerformedAt: e.PerformedAt, Scope: to, Payload: payload}, payload, true, nil
}

// handoffView takes in the records a handoff carries.
var handoffView = &projector{
	name:  "handoff",
	kinds: []string{forms.KindPatientHandoff},
	check: func(e *lifeboat.Event) error {
		var p forms.PatientHandoff
		if err := decodePayload(e, &p); err != nil {
			return err
		}
		if p.PatientID == "" || e.Subject != p.PatientID || p.Ward == "" {
			return fmt.Errorf("a handoff names its patient and the ward receiving them: %w", lifeboat.ErrInvalid)
		}
		if lifeboat.ScopeOf(e.Device) != lifeboat.WardScope(p.Ward) {
			return fmt.Errorf("a handoff to %s recorded outside that ward's scope: %w", p.Ward, lifeboat.ErrInvalid)
		}
		if len(p.Keys) != 0 && len(p.Keys) != len(p.Records) {
			return fmt.Errorf("a handoff carries %d records and %d keys: %w", len(p.Records), len(p.Keys), lifeboat.ErrInvalid)
		}
		for i, b := range p.Records {
			if _, err := lifeboat.DecodeEvent(b); err != nil {
				return fmt.Errorf("handoff record %d: %w", i, err)
			}
		}
		for i, k := range p.Keys {
			if len(k) != 0 && len(k) != 32 {
				return fmt.Errorf("handoff record %d: its key is %d bytes: %w", i, len(k), lifeboat.ErrInvalid)
			}
		}
		return nil
	},
}

func init() {
	// Set here: takeHandoff checks records with checkPayload, which reads
	// the projector list this view is in.
	handoffView.apply = func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		_, err := t.takeHandoff(ctx, e)
		return err
	}
}

// takeHandoff keeps each record a handoff carries that this store lacks
// and that passes every check a peer's record passes; it skips the rest
// (a record held back for its causal past comes with a later handoff or
// never: the handoff is a copy, the ward that made it keeps the original).
// It returns how many it kept.
func (t *txn) takeHandoff(ctx context.Context, e *lifeboat.Event) (int, error) {
	var p forms.PatientHandoff
	if err := decodePayload(e, &p); err != nil {
		return 0, err
	}
	reg, err := loadRegistry(ctx, t)
	if err != nil {
		return 0, err
	}
	sc, err := loadScopes(ctx, t)
	if err != nil {
		return 0, err
	}
	var auth authCache
	kept := 0
	for i, b := range p.Records {
		rec, err := lifeboat.DecodeEvent(b)
		if err != nil || rec.Check() != nil || rec.Kind == forms.KindPatientHandoff || !slices.Contains([]string{p.PatientID}, rec.Subject) {
			continue
		}
		if rec.Sealed != nil {
			// Its own key opens it; the AEAD and the signature over the
			// sealed bytes prove it is what the device recorded.
			if i >= len(p.Keys) || len(p.Keys[i]) != 32 {
				continue
			}
			if rec.Payload, err = openPayload(&rec, p.Keys[i]); err != nil {
				continue
			}
		}
		var n int
		if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE id = ? OR (device = ? AND seq = ?)", rec.ID, rec.Device, int64(rec.Seq)).Scan(&n); err != nil {
			return kept, err
		}
		if n > 0 {
			continue
		}
		dev, scope := lifeboat.SplitChain(rec.Device)
		d, ok := reg[dev]
		if !ok || !rec.VerifySig(d.pub) {
			continue
		}
		if scope != lifeboat.ScopeSite && !sc.grants[dev].Reads(scope) {
			continue
		}
		limit := d.revokedSeq
		if scope != lifeboat.ScopeSite {
			limit = sc.revoked[rec.Device]
		}
		if d.revokedAt > 0 && rec.Seq > limit {
			continue
		}
		if checkPayload(&rec) != nil || t.authorise(ctx, &rec, &auth) != nil {
			continue
		}
		if err := t.insertEvent(ctx, &rec, rec.Hash()); err != nil {
			return kept, err
		}
		if err := t.project(ctx, &rec); err != nil {
			return kept, err
		}
		kept++
	}
	return kept, nil
}

// forwardLate hands on, to the ward a patient was moved to by this
// device, the patient's records that reached this device after the move
// (made on a device that had not yet heard of it, or corrections): the
// receiving ward ends with what the union of the ward logs holds. Only
// the device that made the move forwards, so each late record travels
// once. Cheap when the batch names no patient this device moved.
func (db *DB) forwardLate(ctx context.Context, subjects map[string]bool) error {
	db.mu.Lock()
	self := db.device
	db.mu.Unlock()
	aead, err := db.keys()
	if err != nil {
		return err
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT DISTINCT subject FROM events WHERE kind = ? AND device > ? AND device < ?",
		forms.KindPatientHandoff, self+"/", self+"0")
	if err != nil {
		return fmt.Errorf("forward late records: %w", err)
	}
	var moved []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("forward late records: %w", err)
		}
		if subjects[p] {
			moved = append(moved, p)
		}
	}
	rows.Close()
	if len(moved) == 0 {
		return nil
	}
	me := &Session{User: User{ID: "device:" + self, Name: "this device"}}
	var drafts []Draft
	for _, pid := range moved {
		evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE subject = ? ORDER BY hlc_wall, hlc_logical, device", pid)
		if err != nil {
			return fmt.Errorf("forward late records: %w", err)
		}
		// What this device's handoffs carried, by ward.
		carried := map[string]map[string]bool{}
		for i := range evs {
			e := &evs[i]
			if e.Kind != forms.KindPatientHandoff || lifeboat.DeviceOf(e.Device) != self {
				continue
			}
			var h forms.PatientHandoff
			if decodePayload(e, &h) != nil {
				continue
			}
			if carried[h.Ward] == nil {
				carried[h.Ward] = map[string]bool{}
			}
			for _, b := range h.Records {
				if r, err := lifeboat.DecodeEvent(b); err == nil {
					carried[h.Ward][r.ID] = true
				}
			}
		}
		for ward, got := range carried {
			to := lifeboat.WardScope(ward)
			h := forms.PatientHandoff{PatientID: pid, Ward: ward}
			size := 0
			for i := range evs {
				e := &evs[i]
				if got[e.ID] || e.Kind == forms.KindPatientHandoff || lifeboat.ScopeOf(e.Device) == to {
					continue
				}
				key, ok, err := db.recordKey(ctx, db.sql, aead, e)
				if err != nil {
					return fmt.Errorf("forward late records: %w", err)
				}
				if !ok {
					continue // sealed under a key this device was never handed
				}
				if size += e.EncodedLen(); size > maxHandoffBytes {
					break // the rest goes with the next batch
				}
				h.Records, h.Keys = append(h.Records, e.Encode()), append(h.Keys, key)
			}
			if len(h.Records) > 0 {
				drafts = append(drafts, Draft{Kind: forms.KindPatientHandoff, Subject: pid, PerformedAt: db.now(), Scope: to, Payload: h})
			}
		}
	}
	if len(drafts) == 0 {
		return nil
	}
	if _, err := db.AppendAll(ctx, me, drafts); err != nil {
		return fmt.Errorf("forward late records: %w", err)
	}
	return nil
}
