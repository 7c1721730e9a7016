package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lifeboat"
)

// AuditEntry is one line of the audit log: sign-ins, failed sign-ins,
// sign-outs, views of patient records, exports and admin actions.
type AuditEntry struct {
	Seq     int64
	At      time.Time
	Action  string // e.g. "user.sign_in", "patient.viewed", "admin.user_added"
	Actor   string // user ID, or empty for the device itself
	Subject string // patient or user the action was about
	Detail  string
}

type auditBody struct {
	Actor   string `json:"actor,omitempty"`
	Subject string `json:"subject,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// AuditBrokenError names the first audit entry whose link is broken.
type AuditBrokenError struct {
	Seq    int64
	Reason string
}

func (e *AuditBrokenError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Reason)
}

// Unwrap makes errors.Is(err, lifeboat.ErrCorrupt) true.
func (e *AuditBrokenError) Unwrap() error { return lifeboat.ErrCorrupt }

func (db *DB) auditKey() ([]byte, cipherAEAD, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.aead == nil {
		return nil, nil, ErrLocked
	}
	return subkey(db.dataKey, "audit"), db.aead, nil
}

func auditMAC(key, prev []byte, seq, at int64, action string, sealed []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(prev)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seq))
	binary.BigEndian.PutUint64(b[8:], uint64(at))
	m.Write(b[:])
	m.Write(ad(action))
	m.Write(sealed)
	return m.Sum(nil)
}

func auditHeadMAC(key []byte, seq int64, last []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("head"))
	binary.Write(m, binary.BigEndian, seq)
	m.Write(last)
	return m.Sum(nil)
}

// audit appends an entry, in tx x if given or in its own transaction.
func (db *DB) audit(ctx context.Context, x execer, action, actor, subject, detail string) error {
	key, aead, err := db.auditKey()
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if x == nil {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		defer tx.Rollback()
		if err := db.auditIn(ctx, tx, key, aead, action, actor, subject, detail); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		return nil
	}
	return db.auditIn(ctx, x, key, aead, action, actor, subject, detail)
}

func (db *DB) auditIn(ctx context.Context, x execer, key []byte, aead cipherAEAD, action, actor, subject, detail string) error {
	var seq int64
	var prev []byte
	err := x.QueryRowContext(ctx, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	seq++
	at := db.now().UnixMilli()
	body, _ := json.Marshal(auditBody{Actor: actor, Subject: subject, Detail: detail})
	sealed := seal(aead, body, ad("audit", fmt.Sprint(seq), action))
	mac := auditMAC(key, prev, seq, at, action, sealed)
	if _, err := x.ExecContext(ctx, "INSERT INTO audit (seq, at, action, sealed, mac) VALUES (?, ?, ?, ?, ?)", seq, at, action, sealed, mac); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	head := binary.BigEndian.AppendUint64(nil, uint64(seq))
	head = append(head, auditHeadMAC(key, seq, mac)...)
	if _, err := x.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", head); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// RecordView audits that s opened a patient's record.
func (db *DB) RecordView(ctx context.Context, s *Session, patientID string) error {
	if s == nil {
		return fmt.Errorf("record view: %w", lifeboat.ErrPermission)
	}
	return db.audit(ctx, nil, "patient.viewed", s.User.ID, patientID, s.Reason)
}

// RecordExport audits an export or print of patient data.
func (db *DB) RecordExport(ctx context.Context, s *Session, what string) error {
	if s == nil {
		return fmt.Errorf("record export: %w", lifeboat.ErrPermission)
	}
	return db.audit(ctx, nil, "data.exported", s.User.ID, "", what)
}

// RecordRelease audits that an IT admin let in the events held back from
// device after a flood of corrections (the mesh holds them in memory, so
// the release itself leaves no other trace).
func (db *DB) RecordRelease(ctx context.Context, s *Session, device string) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("record release: %w", err)
	}
	if device == "" {
		return fmt.Errorf("record release: no device: %w", lifeboat.ErrInvalid)
	}
	return db.audit(ctx, nil, "admin.device_released", s.User.ID, device, "")
}

// AuditLog returns up to limit entries, newest first, before seq before
// (0 means from the newest).
func (db *DB) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	_, aead, err := db.auditKey()
	if err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT seq, at, action, sealed FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var sealed []byte
		if err := rows.Scan(&e.Seq, &at, &e.Action, &sealed); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		plain, err := open(aead, sealed, ad("audit", fmt.Sprint(e.Seq), e.Action))
		if err != nil {
			return nil, fmt.Errorf("read audit entry %d: %w", e.Seq, err)
		}
		var b auditBody
		if err := json.Unmarshal(plain, &b); err != nil {
			return nil, fmt.Errorf("read audit entry %d: %w", e.Seq, lifeboat.ErrCorrupt)
		}
		e.Actor, e.Subject, e.Detail = b.Actor, b.Subject, b.Detail
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the audit chain and returns an *AuditBrokenError naming
// the first entry that was altered, removed or inserted.
func (db *DB) VerifyAudit(ctx context.Context) error {
	key, aead, err := db.auditKey()
	if err != nil {
		return err
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT seq, at, action, sealed, mac FROM audit ORDER BY seq")
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var prev []byte
	var want int64 = 1
	for rows.Next() {
		var seq, at int64
		var action string
		var sealed, mac []byte
		if err := rows.Scan(&seq, &at, &action, &sealed, &mac); err != nil {
			return &AuditBrokenError{Seq: want, Reason: "unreadable: " + err.Error()}
		}
		if seq != want {
			return &AuditBrokenError{Seq: want, Reason: fmt.Sprintf("entry missing (next present is %d)", seq)}
		}
		if !hmac.Equal(mac, auditMAC(key, prev, seq, at, action, sealed)) {
			return &AuditBrokenError{Seq: seq, Reason: "entry altered or link broken"}
		}
		if _, err := open(aead, sealed, ad("audit", fmt.Sprint(seq), action)); err != nil {
			return &AuditBrokenError{Seq: seq, Reason: "details do not decrypt"}
		}
		prev = mac
		want++
	}
	if err := rows.Err(); err != nil {
		return &AuditBrokenError{Seq: want, Reason: "unreadable: " + err.Error()}
	}
	last := want - 1
	head, err := db.meta(ctx, "audit_head")
	if err != nil {
		if last == 0 {
			return nil
		}
		return &AuditBrokenError{Seq: last, Reason: "head record missing"}
	}
	if len(head) != 8+32 || int64(binary.BigEndian.Uint64(head[:8])) != last ||
		!hmac.Equal(head[8:], auditHeadMAC(key, last, prev)) {
		return &AuditBrokenError{Seq: last + 1, Reason: "entries after this point were removed"}
	}
	return nil
}
