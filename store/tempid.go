package store

import (
	"context"
	"fmt"
	"strconv"

	"lifeboat/forms"
)

// NewTempID allocates the next temporary downtime patient ID of this
// device, DT-<device>-<n>, for a patient whose NHS number is not known.
// Each device counts in its own store, so two devices never issue the
// same ID; the count is durable before the ID is returned.
func (db *DB) NewTempID(ctx context.Context) (string, error) {
	if _, err := db.keys(); err != nil {
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	dev, err := db.Device(ctx)
	if err != nil {
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	defer tx.Rollback()
	var n uint64
	var v []byte
	switch err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'temp_id_next'").Scan(&v); {
	case err == nil:
		if n, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return "", fmt.Errorf("new temporary ID: counter unreadable: %w", err)
		}
	case isNoRows(err):
		n = 1
	default:
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('temp_id_next', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, []byte(strconv.FormatUint(n+1, 10))); err != nil {
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("new temporary ID: %w", err)
	}
	return forms.FormatTempID(dev, n), nil
}
