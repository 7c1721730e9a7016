package store

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"lifeboat"
)

// MinPassphraseLen is the shortest ward passphrase accepted.
const MinPassphraseLen = 12

// Setup is what first-run setup needs: the site, its first ward, the ward
// passphrase from the sealed downtime pack and the first IT admin.
type Setup struct {
	SiteName   string
	Ward       string
	Passphrase string
	AdminName  string
	AdminPIN   string
	// AdminPassphrase seals the first IT admin's personal key, the root of
	// the site's authority (at least MinPassphraseLen characters, and not
	// the ward passphrase).
	AdminPassphrase string
	// AdminKDF sets the Argon2id costs of the admin's personal key; zero
	// means DefaultAdminKDF.
	AdminKDF KDFParams
	// BreakGlassPIN, if set, creates the break-glass account.
	BreakGlassPIN string
	// KDF sets the Argon2id costs; zero means DefaultKDF.
	KDF KDFParams
	// Drill marks a training store for downtime drills: the app shows it
	// unmistakably and its records are never exported to core systems.
	Drill bool
}

// Check returns every problem with the setup, in plain words.
func (s Setup) Check() error {
	var errs []error
	if strings.TrimSpace(s.SiteName) == "" {
		errs = append(errs, errors.New("site name is required"))
	}
	if strings.TrimSpace(s.Ward) == "" {
		errs = append(errs, errors.New("ward name is required"))
	}
	if utf8.RuneCountInString(s.Passphrase) < MinPassphraseLen {
		errs = append(errs, fmt.Errorf("the ward passphrase must be at least %d characters", MinPassphraseLen))
	}
	if strings.TrimSpace(s.AdminName) == "" {
		errs = append(errs, errors.New("the first admin's name is required"))
	}
	if err := CheckPIN(s.AdminPIN); err != nil {
		errs = append(errs, fmt.Errorf("admin PIN: %w", err))
	}
	if utf8.RuneCountInString(s.AdminPassphrase) < MinPassphraseLen {
		errs = append(errs, fmt.Errorf("the admin passphrase must be at least %d characters", MinPassphraseLen))
	} else if s.AdminPassphrase == s.Passphrase {
		errs = append(errs, errors.New("the admin passphrase must not be the ward passphrase"))
	}
	if s.AdminKDF != (KDFParams{}) && !s.AdminKDF.valid() {
		errs = append(errs, errors.New("admin key derivation costs are out of range"))
	}
	if s.BreakGlassPIN != "" {
		if err := CheckPIN(s.BreakGlassPIN); err != nil {
			errs = append(errs, fmt.Errorf("break-glass PIN: %w", err))
		}
	}
	if s.KDF != (KDFParams{}) && !s.KDF.valid() {
		errs = append(errs, errors.New("key derivation costs are out of range"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// CheckPIN accepts 4 to 8 digits that are not all the same digit and not a
// straight run such as 1234 or 9876.
func CheckPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 {
		return fmt.Errorf("a PIN must be 4 to 8 digits: %w", lifeboat.ErrInvalid)
	}
	up, down, same := true, true, true
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return fmt.Errorf("a PIN must be digits only: %w", lifeboat.ErrInvalid)
		}
		if i > 0 {
			d := int(pin[i]) - int(pin[i-1])
			up = up && d == 1
			down = down && d == -1
			same = same && d == 0
		}
	}
	if up || down || same {
		return fmt.Errorf("a PIN must not be a run like 1234 or 1111: %w", lifeboat.ErrInvalid)
	}
	return nil
}

// DeviceID derives a device's ID from its public key: 8 base32 characters
// of its SHA-256, short enough for temporary patient IDs (DT-<device>-<n>).
func DeviceID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:5])
}

// Init creates a new store at path for a new site and returns it
// unlocked with the first admin signed in. The file is built beside path
// and renamed into place, so a failure leaves nothing behind.
func Init(ctx context.Context, path string, setup Setup, opts Options) (*DB, *Session, error) {
	if err := setup.Check(); err != nil {
		return nil, nil, fmt.Errorf("set up store: %w", err)
	}
	if setup.KDF == (KDFParams{}) {
		setup.KDF = DefaultKDF
	}
	if setup.AdminKDF == (KDFParams{}) {
		setup.AdminKDF = DefaultAdminKDF
	}
	var adminKey ed25519.PrivateKey
	if err := buildAtomically(ctx, path, opts, func(db *DB, dataKey []byte) error {
		var err error
		adminKey, err = found(ctx, db, setup)
		return err
	}, setup.Passphrase, setup.KDF); err != nil {
		return nil, nil, fmt.Errorf("set up store: %w", err)
	}
	db, err := Open(ctx, path, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Unlock(ctx, setup.Passphrase); err != nil {
		db.Close()
		return nil, nil, err
	}
	admin, err := db.adminID(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	sess, err := db.SignIn(ctx, admin, setup.AdminPIN, "")
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	// The founder has just typed their admin passphrase: their session
	// holds the personal key (to enrol the first devices, add people).
	sess.setAdminKey(adminKey)
	return db, sess, nil
}

// Create makes a store that belongs to no site yet: a device about to be
// enrolled. It has its own key pair (DevicePublicKey) for the enrolment
// to name, and is returned unlocked; JoinSite completes it.
func Create(ctx context.Context, path, passphrase string, kdf KDFParams, opts Options) (*DB, error) {
	if len([]rune(passphrase)) < MinPassphraseLen {
		return nil, fmt.Errorf("create store: the ward passphrase must be at least %d characters: %w", MinPassphraseLen, lifeboat.ErrInvalid)
	}
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF
	}
	if !kdf.valid() {
		return nil, fmt.Errorf("create store: key derivation costs are out of range: %w", lifeboat.ErrInvalid)
	}
	if err := buildAtomically(ctx, path, opts, nil, passphrase, kdf); err != nil {
		return nil, fmt.Errorf("create store: %w", err)
	}
	db, err := Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if err := db.Unlock(ctx, passphrase); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// SiteJoin is what an enrolment hands a new device.
type SiteJoin struct {
	SiteID, SiteName, Ward string
	Anchor                 ed25519.PublicKey // the enrolling device, trusted to vouch for the rest
	SiteKeys               [][]byte          // memberlist keyring, primary first
	Drill                  bool              // a training site (Setup.Drill)
	// Devices are the other devices the enrolling device knows, revoked
	// ones included (their earlier events stand; the log revokes them).
	// Without them a device enrolled by any device but the founding one
	// could verify nothing older than its anchor: the founding device
	// vouches only for itself.
	Devices []ed25519.PublicKey
}

// JoinSite makes a store made by Create part of a site.
func (db *DB) JoinSite(ctx context.Context, j SiteJoin) error {
	if j.SiteID == "" || len(j.Anchor) != ed25519.PublicKeySize || len(j.SiteKeys) == 0 {
		return fmt.Errorf("join site: incomplete enrolment: %w", lifeboat.ErrInvalid)
	}
	if _, err := db.meta(ctx, "site_id"); err == nil {
		return fmt.Errorf("join site: this store already belongs to a site: %w", lifeboat.ErrConflict)
	}
	for _, pub := range append([]ed25519.PublicKey{j.Anchor}, j.Devices...) {
		if err := db.TrustAnchor(ctx, pub); err != nil {
			return fmt.Errorf("join site: %w", err)
		}
	}
	if err := db.SetSiteKeys(ctx, j.SiteKeys); err != nil {
		return fmt.Errorf("join site: %w", err)
	}
	meta := map[string]string{"site_id": j.SiteID, "site_name": j.SiteName, "ward": j.Ward}
	if j.Drill {
		meta["drill"] = "1"
	}
	for k, v := range meta {
		if _, err := db.sql.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", k, []byte(v)); err != nil {
			return fmt.Errorf("join site: save %s: %w", k, err)
		}
	}
	db.mu.Lock()
	db.site = j.SiteID
	db.mu.Unlock()
	return db.audit(ctx, nil, "device.joined_site", "", "", j.SiteName+" / "+j.Ward)
}

// buildAtomically writes a new store beside path and renames it into
// place: the schema, a data key wrapped by the passphrase, this device's
// key pair and then whatever then adds (with the store unlocked).
func buildAtomically(ctx context.Context, path string, opts Options, then func(*DB, []byte) error, passphrase string, kdf KDFParams) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp := path + ".init"
	cleanup := func() {
		for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			os.Remove(f)
		}
	}
	cleanup() // a leftover from a setup that crashed
	// Only this user may read the file (and SQLite gives its -wal and -shm
	// files the same mode): it holds sealed patient data and key slots.
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	f.Close()
	if err := build(ctx, tmp, opts, then, passphrase, kdf); err != nil {
		cleanup()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		cleanup()
		return err
	}
	return nil
}

// build writes a complete new store into path and closes it.
func build(ctx context.Context, path string, opts Options, then func(*DB, []byte) error, passphrase string, kdf KDFParams) error {
	sqldb, err := openSQL(path, true)
	if err != nil {
		return err
	}
	db := newDB(sqldb, path, opts)
	defer db.sql.Close()
	// 16 KiB pages (SQLite's default is 4): the event table and its
	// indexes are a fifth fewer B-tree pages to split and balance, and a
	// new device takes in a ward's log about a fifth faster (BenchmarkJoin100k).
	// The size is fixed when the first table is made.
	if _, err := db.sql.ExecContext(ctx, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL"); err != nil {
		return fmt.Errorf("set page size and WAL: %w", err)
	}
	if err := db.migrate(ctx, 0); err != nil {
		return err
	}
	dataKey := randomBytes(32)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return fmt.Errorf("make device key: %w", err)
	}
	device := DeviceID(pub)
	aead := mustAEAD(dataKey)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	salt, wrapped := wrapKey(dataKey, "passphrase", passphrase, kdf)
	if err := putKeyslot(ctx, tx, "passphrase", salt, wrapped, kdf); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO device_key (one, device, public, sealed_key) VALUES (1, ?, ?, ?)",
		device, []byte(pub), seal(aead, priv, ad("device_key", device))); err != nil {
		return fmt.Errorf("save device key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO devices (device, public, source, enrolled_by, sealed) VALUES (?, ?, 'self', ?, ?)",
		device, []byte(pub), device, seal(aead, []byte(`{"name":"this device"}`), ad("devices", device))); err != nil {
		return fmt.Errorf("register device: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := db.loadKeys(ctx, dataKey); err != nil {
		return err
	}
	if then != nil {
		if err := then(db, dataKey); err != nil {
			return err
		}
	}
	if _, err := db.sql.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// found records a new site: its metadata and first site key, the
// site.created event (the root of authority: this device and the first
// admin's personal key), the first admin and the break-glass account. It
// returns the admin's personal key.
func found(ctx context.Context, db *DB, setup Setup) (ed25519.PrivateKey, error) {
	adminID := uuid.Must(uuid.NewV7()).String()
	adminKey, adminPriv := newSealedKey(adminID, setup.AdminPassphrase, setup.AdminKDF)
	db.mu.Lock()
	device, pub := db.device, db.devPub
	db.mu.Unlock()
	siteID := SiteIDFor(pub, adminKey.Public)
	meta := map[string]string{"site_id": siteID, "site_name": setup.SiteName, "ward": setup.Ward, "admin_id": adminID}
	if setup.Drill {
		meta["drill"] = "1"
	}
	for k, v := range meta {
		if _, err := db.sql.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", k, []byte(v)); err != nil {
			return nil, fmt.Errorf("save %s: %w", k, err)
		}
	}
	if err := db.SetSiteKeys(ctx, [][]byte{randomBytes(32)}); err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.site = siteID
	db.mu.Unlock()
	founder := &Session{User: User{ID: adminID, Name: setup.AdminName, Role: lifeboat.RoleITAdmin, Active: true}}
	founder.setAdminKey(adminPriv)
	if _, err := db.Append(ctx, founder, Draft{Kind: lifeboat.KindSiteCreated, Subject: "site", PerformedAt: db.now(),
		Payload: lifeboat.SiteCreated{SiteID: siteID, SiteName: setup.SiteName, Ward: setup.Ward, Device: device, PublicKey: pub, Drill: setup.Drill,
			Admin: adminID, AdminKey: adminKey.Public}}); err != nil {
		return nil, err
	}
	if _, err := db.saveUser(ctx, founder, adminID, setup.AdminName, lifeboat.RoleITAdmin, setup.AdminPIN, setup.KDF, adminKey); err != nil {
		return nil, err
	}
	if setup.BreakGlassPIN != "" {
		if _, err := db.saveUser(ctx, founder, uuid.Must(uuid.NewV7()).String(), "Break-glass", lifeboat.RoleBreakGlass, setup.BreakGlassPIN, setup.KDF, nil); err != nil {
			return nil, err
		}
	}
	return adminPriv, db.audit(ctx, nil, "site.created", founder.User.ID, "", setup.SiteName+" / "+setup.Ward)
}

func (db *DB) adminID(ctx context.Context) (string, error) {
	v, err := db.meta(ctx, "admin_id")
	if err != nil {
		return "", err
	}
	return string(v), nil
}

// meta reads a clear-text metadata value.
func (db *DB) meta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	if err := db.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

// SiteInfo is the site and ward this store belongs to (readable while locked).
type SiteInfo struct {
	SiteID, SiteName, Ward, Device string
	// Drill is set on a training store (Setup.Drill).
	Drill bool
}

// Site returns the site and ward names and this device's ID.
func (db *DB) Site(ctx context.Context) (SiteInfo, error) {
	var s SiteInfo
	for _, f := range []struct {
		key string
		dst *string
	}{{"site_id", &s.SiteID}, {"site_name", &s.SiteName}, {"ward", &s.Ward}} {
		if v, err := db.meta(ctx, f.key); err == nil {
			*f.dst = string(v)
		}
	}
	if v, err := db.meta(ctx, "drill"); err == nil && string(v) == "1" {
		s.Drill = true
	}
	dev, err := db.Device(ctx)
	if err != nil {
		return SiteInfo{}, err
	}
	s.Device = dev
	return s, nil
}
