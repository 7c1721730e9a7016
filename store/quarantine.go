package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"lifeboat"
)

// MaxQuarantined bounds the events Quarantine keeps. Past it, new ones
// are refused with ErrQuarantineFull and the oldest kept: the first
// evidence of a bad peer matters most, and a peer must not be able to
// fill the disk.
const MaxQuarantined = 10000

// ErrQuarantineFull: the quarantine holds MaxQuarantined events; review
// (release or discard) some first.
var ErrQuarantineFull = fmt.Errorf("quarantine is full: %w", lifeboat.ErrConflict)

// quarantineKey is the row key of a refused event: its ID, or its hash
// when it came without one (a malformed event).
func quarantineKey(e *lifeboat.Event) string {
	if e.ID != "" {
		return e.ID
	}
	h := e.Hash()
	return "hash:" + hex.EncodeToString(h[:])
}

func quarantineAD(key, device string, seq uint64, kind string) []byte {
	return ad("quarantine", key, device, fmt.Sprint(seq), kind)
}

func quarantineReasonAD(key string) []byte { return ad("quarantine-reason", key) }

// Quarantine keeps an event refused from peer, with why, so a restart
// does not forget it; it is never applied from here except by
// ReleaseQuarantined. Quarantining an event already held (by ID) keeps
// the first record. The store must be unlocked.
func (db *DB) Quarantine(ctx context.Context, e lifeboat.Event, peer, reason string) error {
	aead, err := db.keys()
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	defer tx.Rollback()
	if err := db.quarantineTx(ctx, tx, aead, e, peer, reason, false); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	if lifeboat.ClockAheadReason(reason) {
		db.noteHeld(e.HLC.Wall)
	}
	return nil
}

// quarantineTx is Quarantine within a transaction. With retracted, the
// event leaves the log for the quarantine (a revocation that arrived after
// it): it is kept even past MaxQuarantined, since the log no longer holds
// it and a full quarantine must not stop the revocation applying.
func (db *DB) quarantineTx(ctx context.Context, tx execer, aead cipherAEAD, e lifeboat.Event, peer, reason string, retracted bool) error {
	key := quarantineKey(&e)
	var n, have int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(*) FILTER (WHERE event_id = ?) FROM quarantine", key).Scan(&n, &have); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	if have > 0 {
		return nil
	}
	if n >= MaxQuarantined && !retracted {
		return fmt.Errorf("quarantine %s: %w", key, ErrQuarantineFull)
	}
	sealed := seal(aead, e.Encode(), quarantineAD(key, e.Device, e.Seq, e.Kind))
	why := seal(aead, []byte(reason), quarantineReasonAD(key))
	if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine (event_id, device, seq, kind, peer, at, reason, sealed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, key, e.Device, int64(e.Seq), e.Kind, peer, db.now().UnixMilli(), why, sealed); err != nil {
		return fmt.Errorf("quarantine %s: %w", key, err)
	}
	return nil
}

// Quarantined lists the events kept by Quarantine, oldest first, without
// their payloads. The store must be unlocked (the reasons are sealed).
func (db *DB) Quarantined(ctx context.Context) ([]lifeboat.Quarantined, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT event_id, device, seq, kind, peer, at, reason FROM quarantine ORDER BY at, event_id")
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	defer rows.Close()
	var out []lifeboat.Quarantined
	for rows.Next() {
		var q lifeboat.Quarantined
		var seq, at int64
		var why []byte
		if err := rows.Scan(&q.ID, &q.Device, &seq, &q.Kind, &q.Peer, &at, &why); err != nil {
			return nil, fmt.Errorf("list quarantine: %w", err)
		}
		reason, err := open(aead, why, quarantineReasonAD(q.ID))
		if err != nil {
			return nil, fmt.Errorf("list quarantine: %s: %w", q.ID, err)
		}
		q.Seq, q.At, q.Reason = uint64(seq), time.UnixMilli(at), string(reason)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	return out, nil
}

// quarantined reads one kept event back.
func (db *DB) quarantined(ctx context.Context, aead cipherAEAD, key string) (lifeboat.Event, error) {
	var device, kind string
	var seq int64
	var sealed []byte
	err := db.sql.QueryRowContext(ctx, "SELECT device, seq, kind, sealed FROM quarantine WHERE event_id = ?", key).Scan(&device, &seq, &kind, &sealed)
	if isNoRows(err) {
		return lifeboat.Event{}, fmt.Errorf("no quarantined event %s: %w", key, lifeboat.ErrNotFound)
	}
	if err != nil {
		return lifeboat.Event{}, err
	}
	plain, err := open(aead, sealed, quarantineAD(key, device, uint64(seq), kind))
	if err != nil {
		return lifeboat.Event{}, fmt.Errorf("%s: %w", key, err)
	}
	e, err := lifeboat.DecodeEvent(plain)
	if err != nil {
		return lifeboat.Event{}, fmt.Errorf("%s: %w", key, err)
	}
	return e, nil
}

// ReleaseQuarantined re-applies a kept event through ApplyRemote's checks
// (IT admin only), after a person has reviewed it (say the device it
// claims has since been enrolled). The clock bound is not applied: the
// person lets in an event held for a clock far ahead (the local clock
// still does not move to it). If it is applied, or the log already
// holds it, it leaves the quarantine; if it is still refused it stays,
// with the new reason, and the refusal is returned (the error is then
// nil: the release was carried out). Either way the attempt is audited.
func (db *DB) ReleaseQuarantined(ctx context.Context, s *Session, id string) (*lifeboat.Refusal, error) {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	aead, err := db.keys()
	if err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	e, err := db.quarantined(ctx, aead, id)
	if err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	p, err := db.PrepareRemote([]lifeboat.Event{e})
	if err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	p.(*RemoteBatch).letIn = true
	res, err := db.ApplyPrepared(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	defer tx.Rollback()
	var refused *lifeboat.Refusal
	detail := "applied"
	if len(res.Refused) > 0 {
		refused = &res.Refused[0]
		detail = "still refused: " + refused.Reason
		if _, err := tx.ExecContext(ctx, "UPDATE quarantine SET reason = ? WHERE event_id = ?",
			seal(aead, []byte(refused.Reason), quarantineReasonAD(id)), id); err != nil {
			return nil, fmt.Errorf("release quarantined event: %w", err)
		}
	} else {
		if res.Duplicates > 0 {
			detail = "already held"
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM quarantine WHERE event_id = ?", id); err != nil {
			return nil, fmt.Errorf("release quarantined event: %w", err)
		}
	}
	if err := db.audit(ctx, tx, "admin.quarantine_released", s.User.ID, id, detail); err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("release quarantined event: %w", err)
	}
	db.changed()
	return refused, nil
}

// DiscardQuarantined deletes a kept event for good (IT admin only), with
// the reason a person gave, which the audit log records. A discarded
// event is quarantined again if a peer offers it again.
func (db *DB) DiscardQuarantined(ctx context.Context, s *Session, id, reason string) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	if reason == "" {
		return fmt.Errorf("discard quarantined event: give a reason: %w", lifeboat.ErrInvalid)
	}
	if _, err := db.keys(); err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, "DELETE FROM quarantine WHERE event_id = ?", id)
	if err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("discard quarantined event: no quarantined event %s: %w", id, lifeboat.ErrNotFound)
	}
	if err := db.audit(ctx, tx, "admin.quarantine_discarded", s.User.ID, id, reason); err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("discard quarantined event: %w", err)
	}
	db.changed()
	return nil
}
