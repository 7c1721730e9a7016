package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"lifeboat"
)

// A backup file is one line of magic, one line of JSON manifest and then
// the database, as VACUUM INTO wrote it (still encrypted: the manifest
// holds no secret and no patient data).
//
//	LIFEBOAT-BACKUP 1\n
//	{"device":"K3F9QX2A","site":"...","head":1234,...}\n
//	<SQLite file>

const backupMagic = "LIFEBOAT-BACKUP 1\n"

// maxManifest bounds the manifest line a decoder reads.
const maxManifest = 4096

// BackupManifest describes a backup: whose store it is, how far its own
// device's chain went when it was taken, and the database's digest.
type BackupManifest struct {
	Device   string    `json:"device"`
	SiteID   string    `json:"site"`
	SiteName string    `json:"site_name,omitempty"`
	Ward     string    `json:"ward,omitempty"`
	Head     uint64    `json:"head"`   // this device's highest seq in the copy
	Schema   int       `json:"schema"` // the copy's schema version
	Taken    time.Time `json:"taken"`
	Size     int64     `json:"size"`   // bytes of database after the manifest
	SHA256   string    `json:"sha256"` // hex digest of those bytes
}

func (m BackupManifest) check() error {
	switch {
	case m.Device == "" || len(m.Device) > maxMarkDevice:
		return errors.New("device missing or too long")
	case m.Size <= 0:
		return errors.New("size missing")
	case len(m.SHA256) != 64:
		return errors.New("digest missing")
	case m.Schema < 1:
		return errors.New("schema missing")
	}
	if _, err := hex.DecodeString(m.SHA256); err != nil {
		return errors.New("digest is not hex")
	}
	return nil
}

// encodeBackupHeader returns the magic and manifest lines.
func encodeBackupHeader(m BackupManifest) []byte {
	j, _ := json.Marshal(m)
	return append(append([]byte(backupMagic), j...), '\n')
}

// DecodeBackupHeader reads a backup's magic and manifest from r, leaving
// r at the first byte of the database. It reads at most a few KiB and
// refuses anything but a well-formed header (lifeboat.ErrInvalid).
func DecodeBackupHeader(r *bufio.Reader) (BackupManifest, error) {
	var m BackupManifest
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != backupMagic {
		return m, fmt.Errorf("read backup header: not a Lifeboat backup: %w", lifeboat.ErrInvalid)
	}
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return m, fmt.Errorf("read backup header: manifest cut short: %w", lifeboat.ErrInvalid)
		}
		if b == '\n' {
			break
		}
		if len(line) == maxManifest {
			return m, fmt.Errorf("read backup header: manifest too long: %w", lifeboat.ErrInvalid)
		}
		line = append(line, b)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || dec.More() {
		return BackupManifest{}, fmt.Errorf("read backup header: manifest: %w", lifeboat.ErrInvalid)
	}
	if err := m.check(); err != nil {
		return BackupManifest{}, fmt.Errorf("read backup header: %v: %w", err, lifeboat.ErrInvalid)
	}
	return m, nil
}

// WriteBackup writes a consistent copy of the store, taken while it is in
// use, to dest (which must not exist): a manifest naming the device, the
// site and this device's head, then the database (still encrypted). The
// file appears whole or not at all.
func (db *DB) WriteBackup(ctx context.Context, dest string) (BackupManifest, error) {
	m, err := db.writeBackup(ctx, dest)
	if err != nil {
		return m, fmt.Errorf("back up store: %w", err)
	}
	return m, nil
}

func (db *DB) writeBackup(ctx context.Context, dest string) (BackupManifest, error) {
	var m BackupManifest
	if _, err := os.Stat(dest); err == nil {
		return m, fmt.Errorf("%s already exists: %w", dest, lifeboat.ErrConflict)
	}
	snap := dest + ".snapshot"
	os.Remove(snap) // a leftover of a backup that crashed
	defer os.Remove(snap)
	f, err := os.OpenFile(snap, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return m, err
	}
	f.Close()
	// VACUUM INTO needs a connection that may write (to the new file
	// only): a read-only store lends a plain one.
	conn := db.sql
	if db.readOnly {
		if conn, err = sql.Open("sqlite", roDSN(db.path)); err != nil {
			return m, err
		}
		defer conn.Close()
	}
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", snap); err != nil {
		return m, fmt.Errorf("copy: %w", err)
	}
	// The manifest describes the copy itself, not the live store, which
	// may have moved on since.
	if m, err = describe(ctx, snap); err != nil {
		return m, err
	}
	m.Taken = db.now().UTC()
	raw, err := os.ReadFile(snap)
	if err != nil {
		return m, err
	}
	sum := sha256.Sum256(raw)
	m.Size, m.SHA256 = int64(len(raw)), hex.EncodeToString(sum[:])
	return m, writeFileAtomic(dest, append(encodeBackupHeader(m), raw...))
}

// describe reads a closed store's identity and own head for a manifest.
func describe(ctx context.Context, path string) (BackupManifest, error) {
	var m BackupManifest
	s, err := sql.Open("sqlite", roDSN(path))
	if err != nil {
		return m, err
	}
	defer s.Close()
	c, err := readOwnChain(ctx, s)
	if err != nil {
		return m, fmt.Errorf("read copy: %w", err)
	}
	m.Device, m.Head = c.Device, c.Head
	if err := s.QueryRowContext(ctx, "PRAGMA user_version").Scan(&m.Schema); err != nil {
		return m, fmt.Errorf("read copy: %w", err)
	}
	rows, err := s.QueryContext(ctx, "SELECT key, value FROM meta WHERE key IN ('site_id', 'site_name', 'ward')")
	if err != nil {
		return m, fmt.Errorf("read copy: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return m, err
		}
		switch k {
		case "site_id":
			m.SiteID = string(v)
		case "site_name":
			m.SiteName = string(v)
		case "ward":
			m.Ward = string(v)
		}
	}
	return m, rows.Err()
}

// roDSN opens path read-only with no other settings.
func roDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro"
}

// writeFileAtomic writes b to path through a temporary file, synced and
// renamed into place.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// ReadBackupManifest reads the manifest of the backup file at path.
func ReadBackupManifest(path string) (BackupManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupManifest{}, fmt.Errorf("read backup %s: %w", path, err)
	}
	defer f.Close()
	return DecodeBackupHeader(bufio.NewReader(f))
}

// RestoreOptions control Restore.
type RestoreOptions struct {
	// Replace allows restoring over an existing store. The store there is
	// never deleted: it is moved aside to <path>.replaced-<time>.
	Replace bool
	Now     func() time.Time // nil: time.Now
}

// Restore writes the backup at src as the store at path (closed; nobody
// may have it open). It checks the backup's digest first. The restored
// store starts paused (OwnChain.Waiting): it records nothing until a peer
// has said how far this device's chain went since the backup and the
// store has taken those events back, so it can never give a seq number
// twice. A store already at path is refused unless opts.Replace; then it
// is moved aside, and if it was the same device its high-water mark
// tells the restored store how far its own chain went.
func Restore(ctx context.Context, src, path string, opts RestoreOptions) (BackupManifest, error) {
	m, err := restore(ctx, src, path, opts)
	if err != nil {
		return m, fmt.Errorf("restore %s: %w", src, err)
	}
	return m, nil
}

func restore(ctx context.Context, src, path string, opts RestoreOptions) (BackupManifest, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, err := os.Open(src)
	if err != nil {
		return BackupManifest{}, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	m, err := DecodeBackupHeader(r)
	if err != nil {
		return m, err
	}
	_, statErr := os.Stat(path)
	live := statErr == nil
	if live && !opts.Replace {
		return m, fmt.Errorf("a store already exists at %s (restore over it only on purpose: it is kept aside, never deleted): %w", path, lifeboat.ErrConflict)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return m, err
	}
	tmp := path + ".restoring"
	os.Remove(tmp)
	defer os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return m, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(r, m.Size+1))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, err
	}
	if n != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
		return m, fmt.Errorf("the backup is damaged (its contents do not match its manifest): %w", lifeboat.ErrCorrupt)
	}
	got, err := describe(ctx, tmp)
	if err != nil || got.Device != m.Device || got.Head != m.Head {
		return m, fmt.Errorf("the backup's database does not match its manifest: %w", lifeboat.ErrCorrupt)
	}
	// How far this device's chain is known to have gone: the mark of the
	// store being replaced, if it was the same device.
	var floor uint64
	if mk, err := ReadMark(path); err == nil && mk.Device == m.Device && mk.Seq > m.Head {
		floor = mk.Seq
	}
	if err := MarkRestored(ctx, tmp); err != nil {
		return m, err
	}
	if floor > 0 {
		if err := setFloor(ctx, tmp, floor); err != nil {
			return m, err
		}
	}
	if live {
		aside := fmt.Sprintf("%s.replaced-%s", path, opts.Now().UTC().Format("20060102T150405Z"))
		for _, suffix := range []string{"", "-wal", "-shm", MarkSuffix} {
			if err := os.Rename(path+suffix, aside+suffix); err != nil && !isNotExist(err) {
				return m, fmt.Errorf("move the old store aside: %w", err)
			}
		}
	} else {
		os.Remove(path + MarkSuffix) // another store's mark: the restored one makes its own
	}
	if err := os.Rename(tmp, path); err != nil {
		return m, err
	}
	return m, nil
}

func setFloor(ctx context.Context, path string, floor uint64) error {
	db, err := openSQL(path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return setMeta(ctx, db, "own_floor_total", fmt.Sprint(floor))
}
