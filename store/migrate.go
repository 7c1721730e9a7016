package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed schema/*.sql
var schemaFS embed.FS

// migrations are the embedded schema steps in order; the store's
// user_version is how many have been applied.
var migrations = mustMigrations()

// SchemaVersion is the schema this build writes.
var SchemaVersion = len(migrations)

func mustMigrations() []string {
	names, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil || len(names) == 0 {
		panic("store: no embedded schema")
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		b, err := schemaFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		if want := fmt.Sprintf("%03d_", i+1); !strings.HasPrefix(path.Base(n), want) {
			panic("store: schema files must be numbered from 001 without gaps: " + n)
		}
		out[i] = string(b)
	}
	return out
}

// checkAndMigrate refuses foreign and newer files before touching them,
// then brings an older store up to SchemaVersion in one transaction,
// after copying it aside.
func (db *DB) checkAndMigrate(ctx context.Context) error {
	var appID, version int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		if strings.Contains(err.Error(), "not a database") {
			return ErrNotStore
		}
		return fmt.Errorf("read header: %w", err)
	}
	if appID != applicationID {
		return ErrNotStore
	}
	if err := db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("%w (schema %d, this version reads up to %d): install the newer Lifeboat", ErrNewerStore, version, SchemaVersion)
	case version == SchemaVersion:
		return nil
	case version < 1:
		return ErrNotStore
	}
	if version < pinSlotsRemoved {
		db.scrubOldBackups(ctx)
	}
	if !db.opts.NoBackup {
		backup := fmt.Sprintf("%s.backup-v%d", db.path, version)
		if err := db.backupTo(ctx, backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", err)
		}
		if version < pinSlotsRemoved {
			if err := scrubPINSlots(ctx, backup); err != nil {
				return fmt.Errorf("back up before migrating: %w", err)
			}
		}
	}
	return db.migrate(ctx, version)
}

// pinSlotsRemoved is the schema (007) that deletes the key slots older
// versions made under people's PINs.
const pinSlotsRemoved = 7

// migrate applies migrations[from:] in one transaction, on one connection
// with secure_delete on, so deleted rows (PIN key slots) are overwritten
// and not left in free space. Crossing schema 7 the file is then vacuumed
// and its write-ahead log emptied, so no earlier copy of a page survives
// in either.
func (db *DB) migrate(ctx context.Context, from int) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The connection goes back to the pool: the store's other writes keep
	// SQLite's default.
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA secure_delete = OFF")
	if err := db.migrateOn(ctx, conn, from); err != nil {
		return err
	}
	if from > 0 && from < pinSlotsRemoved {
		if _, err := conn.ExecContext(ctx, "VACUUM"); err != nil {
			return fmt.Errorf("migrate: vacuum: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return fmt.Errorf("migrate: checkpoint: %w", err)
		}
	}
	return nil
}

func (db *DB) migrateOn(ctx context.Context, conn *sql.Conn, from int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	for i := from; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", applicationID, len(migrations))); err != nil {
		return fmt.Errorf("migrate: set version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if from > 0 {
		// A migration may add or change views: they are rebuilt from the
		// log the next time the store is unlocked (see Unlock).
		if _, err := conn.ExecContext(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', x'01')"); err != nil {
			return fmt.Errorf("migrate: mark rebuild: %w", err)
		}
	}
	return nil
}

// backupTo writes a consistent copy of the database with VACUUM INTO.
func (db *DB) backupTo(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// An empty file made here, readable by this user only, which VACUUM
	// INTO fills.
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", dest, err)
	}
	f.Close()
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("copy to %s: %w", dest, err)
	}
	return nil
}

// Backup writes a consistent copy of the store (still encrypted) to dest,
// which must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if err := db.backupTo(ctx, dest); err != nil {
		return fmt.Errorf("back up store: %w", err)
	}
	return nil
}

// scrubPINSlots deletes the PIN key slots from a copy of an older store
// (a backup taken before migrating), overwriting them and vacuuming the
// file, so the copy no longer opens with a PIN. It still opens with the
// ward passphrase, in this version or the one that wrote it.
func scrubPINSlots(ctx context.Context, path string) error {
	sdb, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return fmt.Errorf("remove PIN key slots from %s: %w", path, err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1) // the pragma below holds for this connection only
	var appID int
	if err := sdb.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil || appID != applicationID {
		return fmt.Errorf("remove PIN key slots from %s: %w", path, ErrNotStore)
	}
	for _, q := range []string{
		"PRAGMA secure_delete = ON",
		"DELETE FROM keyslots WHERE id LIKE 'user:%'",
		"VACUUM",
		"PRAGMA wal_checkpoint(TRUNCATE)",
	} {
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("remove PIN key slots from %s: %w", path, err)
		}
	}
	return nil
}

// scrubOldBackups removes PIN key slots from the backups earlier
// migrations left beside the store (<path>.backup-v<N>). A backup that
// cannot be scrubbed is reported in the log and left as it is: it must
// not stop the ward opening its store.
func (db *DB) scrubOldBackups(ctx context.Context) {
	old, _ := filepath.Glob(db.path + ".backup-v*")
	for _, b := range old {
		if strings.Trim(strings.TrimPrefix(b, db.path+".backup-v"), "0123456789") != "" {
			continue
		}
		if err := scrubPINSlots(ctx, b); err != nil {
			db.log.Warn("old backup may still open with a PIN: delete it", "backup", b, "err", err)
		}
	}
}
