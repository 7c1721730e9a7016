package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"lifeboat"
)

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func putKeyslot(ctx context.Context, x execer, id string, salt, wrapped []byte, p KDFParams) error {
	_, err := x.ExecContext(ctx, `INSERT INTO keyslots (id, salt, kdf_time, kdf_memory, kdf_lanes, wrapped)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET salt = excluded.salt, kdf_time = excluded.kdf_time,
		kdf_memory = excluded.kdf_memory, kdf_lanes = excluded.kdf_lanes, wrapped = excluded.wrapped`,
		id, salt, p.Time, p.MemoryKiB, p.Lanes, wrapped)
	if err != nil {
		return fmt.Errorf("save key slot: %w", err)
	}
	return nil
}

func (db *DB) keyslot(ctx context.Context, id string) (salt, wrapped []byte, p KDFParams, err error) {
	err = db.sql.QueryRowContext(ctx, "SELECT salt, wrapped, kdf_time, kdf_memory, kdf_lanes FROM keyslots WHERE id = ?", id).
		Scan(&salt, &wrapped, &p.Time, &p.MemoryKiB, &p.Lanes)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("no key slot %s: %w", id, lifeboat.ErrNotFound)
	}
	return
}

// Unlock opens the store with the ward passphrase. A wrong passphrase
// returns ErrWrongSecret and is counted; the count is audited at the next
// successful unlock.
//
// The passphrase slot is the only way in: no key slot is ever made under a
// PIN (a 4-digit PIN is 10,000 guesses, about half an hour of one CPU at
// DefaultKDF for someone with a copy of the file). PINs are checked by SignIn inside the unlocked store, where
// the lockout throttles them. A future slot sealed by an OS keystore would
// sit beside "passphrase" as "os:<keystore>" (docs/security.md, At rest).
func (db *DB) Unlock(ctx context.Context, passphrase string) error {
	salt, wrapped, p, err := db.keyslot(ctx, "passphrase")
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	key, err := unwrapKey("passphrase", passphrase, salt, wrapped, p)
	if err != nil {
		if errors.Is(err, ErrWrongSecret) && !db.readOnly {
			db.countFailedUnlock(ctx)
		}
		return fmt.Errorf("unlock: %w", err)
	}
	if err := db.loadKeys(ctx, key); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if db.readOnly {
		return nil // verify: no audit entry, no rebuild
	}
	return db.afterUnlock(ctx, "store.unlocked", "")
}

func (db *DB) countFailedUnlock(ctx context.Context) {
	// Best effort: the count is a clear-text hint for the audit, not a
	// control (the Argon2id cost is the control).
	n := 0
	if v, err := db.meta(ctx, "failed_unlocks"); err == nil {
		n, _ = strconv.Atoi(string(v))
	}
	_, _ = db.sql.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('failed_unlocks', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, []byte(strconv.Itoa(n+1)))
}

// afterUnlock audits the unlock (and failures since the last one) and
// rebuilds views a migration marked stale.
func (db *DB) afterUnlock(ctx context.Context, action, actor string) error {
	if v, err := db.meta(ctx, "failed_unlocks"); err == nil {
		if err := db.audit(ctx, nil, "store.unlock_failed", "", "", string(v)+" failed passphrase attempts before this unlock"); err != nil {
			return err
		}
		if _, err := db.sql.ExecContext(ctx, "DELETE FROM meta WHERE key = 'failed_unlocks'"); err != nil {
			return fmt.Errorf("reset unlock count: %w", err)
		}
	}
	if err := db.audit(ctx, nil, action, actor, "", ""); err != nil {
		return err
	}
	if _, err := db.meta(ctx, "rebuild_needed"); err == nil {
		if err := db.Rebuild(ctx); err != nil {
			return err
		}
		if _, err := db.sql.ExecContext(ctx, "DELETE FROM meta WHERE key = 'rebuild_needed'"); err != nil {
			return fmt.Errorf("clear rebuild mark: %w", err)
		}
	}
	return nil
}

// loadKeys installs the data key and decrypts the device key.
func (db *DB) loadKeys(ctx context.Context, dataKey []byte) error {
	var device string
	var pub, sealedKey []byte
	if err := db.sql.QueryRowContext(ctx, "SELECT device, public, sealed_key FROM device_key").Scan(&device, &pub, &sealedKey); err != nil {
		return fmt.Errorf("read device key: %w", err)
	}
	aead := mustAEAD(dataKey)
	priv, err := open(aead, sealedKey, ad("device_key", device))
	if err != nil {
		return fmt.Errorf("device key: %w", err)
	}
	if len(priv) != ed25519.PrivateKeySize || !ed25519.PrivateKey(priv).Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		return fmt.Errorf("device key does not match its public key: %w", lifeboat.ErrCorrupt)
	}
	last, err := db.lastHLC(ctx, device)
	if err != nil {
		return err
	}
	site, _ := db.meta(ctx, "site_id")
	db.mu.Lock()
	defer db.mu.Unlock()
	db.installKeysLocked(aead, dataKey, priv)
	db.device, db.devPub = device, pub
	db.site = string(site)
	if db.clock == nil {
		db.clock = lifeboat.NewClock(db.now, last)
		db.clock.SetMaxAhead(db.opts.MaxClockAhead)
	} else {
		db.clock.Observe(last)
	}
	return nil
}

// lastHLC is where the clock starts: after this device's own newest event
// and every other event in the log not stamped further ahead of wall time
// than MaxClockAhead (one an IT admin let in must not drag the clock).
func (db *DB) lastHLC(ctx context.Context, device string) (lifeboat.HLC, error) {
	var last lifeboat.HLC
	for _, q := range []struct {
		sql string
		arg any
	}{
		{"SELECT hlc_wall, hlc_logical FROM events WHERE device = ? ORDER BY seq DESC LIMIT 1", device},
		{"SELECT hlc_wall, hlc_logical FROM events WHERE hlc_wall <= ? ORDER BY hlc_wall DESC, hlc_logical DESC LIMIT 1",
			db.now().Add(db.opts.MaxClockAhead).UnixMilli()},
	} {
		var h lifeboat.HLC
		err := db.sql.QueryRowContext(ctx, q.sql, q.arg).Scan(&h.Wall, &h.Logical)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return last, fmt.Errorf("read clock: %w", err)
		}
		if h.Compare(last) > 0 {
			last = h
		}
	}
	return last, nil
}

// ChangePassphrase re-wraps the data key under a new ward passphrase (IT
// admin only). Nothing else is re-encrypted.
func (db *DB) ChangePassphrase(ctx context.Context, s *Session, newPassphrase string, p KDFParams) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	if len([]rune(newPassphrase)) < MinPassphraseLen {
		return fmt.Errorf("change passphrase: the ward passphrase must be at least %d characters: %w", MinPassphraseLen, lifeboat.ErrInvalid)
	}
	if p == (KDFParams{}) {
		p = DefaultKDF
	}
	keys, release, err := db.borrowKeys()
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	salt, wrapped := wrapKey(keys.dataKey, "passphrase", newPassphrase, p)
	release()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	defer tx.Rollback()
	if err := putKeyslot(ctx, tx, "passphrase", salt, wrapped, p); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	if err := db.audit(ctx, tx, "admin.passphrase_changed", s.User.ID, "", ""); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return nil
}
