package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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
	if !db.opts.NoBackup {
		backup := fmt.Sprintf("%s.backup-v%d", db.path, version)
		if err := db.backupTo(ctx, backup); err != nil {
			return fmt.Errorf("back up before migrating: %w", err)
		}
	}
	return db.migrate(ctx, version)
}

// migrate applies migrations[from:] in one transaction.
func (db *DB) migrate(ctx context.Context, from int) error {
	tx, err := db.sql.BeginTx(ctx, nil)
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
		if _, err := db.sql.ExecContext(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', x'01')"); err != nil {
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
