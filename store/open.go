package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"lifeboat"
)

// applicationID marks a SQLite file as a Lifeboat store ("LBOT").
const applicationID = 0x4C424F54

// ErrNotStore: the file is not a Lifeboat store.
var ErrNotStore = errors.New("not a Lifeboat store")

// ErrNewerStore: the store was written by a newer Lifeboat.
var ErrNewerStore = errors.New("store was made by a newer version of Lifeboat")

// ErrLocked: the store must be unlocked first.
var ErrLocked = fmt.Errorf("store is locked: %w", lifeboat.ErrPermission)

// Options configure Open and Init. The zero value is ready to use.
type Options struct {
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
	// Lockout after failed PIN tries; zero values mean 5 tries, 5 minutes.
	MaxPINFailures int
	LockoutFor     time.Duration
	// NoBackup skips the copy taken before migrating an older store.
	NoBackup bool
	// MaxClockAhead is how far ahead of this device's wall time a peer's
	// event may be stamped and still be applied (and move the local
	// clock); events further ahead are held (see RetryHeld). Zero means
	// DefaultMaxClockAhead.
	MaxClockAhead time.Duration
}

// DB is an open Lifeboat store.
type DB struct {
	sql  *sql.DB
	path string
	log  *slog.Logger
	now  func() time.Time
	opts Options

	keyMu     sync.Mutex // serialises AdvanceSiteKeys
	summaryMu sync.Mutex // serialises PublishWardSummaries

	mark     *marker // the high-water-mark file; nil until Open has checked it
	readOnly bool    // opened by OpenReadOnly

	mu      sync.Mutex // serialises Append and guards the fields below
	aead    cipherAEAD // nil while locked
	dataKey []byte     // use through borrowKeys (keyuse.go): Lock zeroes it
	device  string
	devPriv ed25519.PrivateKey // use through borrowKeys, like dataKey
	keyUse  *keyUse            // who borrowed dataKey and devPriv
	devPub  ed25519.PublicKey
	clock   *lifeboat.Clock
	site    string
	notify  []chan<- struct{}

	ahead aheadState // events held for a clock far ahead (clockhold.go)

	content contentVerdicts // which events break a content rule (localrules.go)
}

// cipherAEAD is the XChaCha20-Poly1305 AEAD (an interface so a locked store
// holds nil).
type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	NonceSize() int
}

var _ cipherAEAD = mustAEAD(make([]byte, chacha20poly1305.KeySize))

func mustAEAD(key []byte) cipherAEAD {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic(err) // only reachable with a key of the wrong size: a programming error
	}
	return a
}

// dsn is the connection string: every connection gets the busy timeout,
// foreign keys, synchronous=FULL (an acknowledged commit survives power
// loss in WAL mode), a page cache of up to 32 MiB (SQLite's default of
// 2 MiB is outgrown by a ward's indexes long before 100k events, and a
// large sync then reads its own pages back from the file) and immediate
// write transactions.
func dsn(path string, create bool) string {
	mode := "rw"
	if create {
		mode = "rwc"
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "cache_size(-32768)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// dsnReadOnly opens the file read-only (mode=ro and query_only): nothing
// is written, not even a checkpoint of the WAL on close, so what verify
// finds is left as it was for a person to examine.
func dsnReadOnly(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "cache_size(-32768)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// OpenReadOnly opens an existing store, locked, for reading only (for
// verify): it migrates nothing, writes nothing (Unlock records no audit
// entry) and leaves the WAL as it is. An older or newer store is refused.
func OpenReadOnly(ctx context.Context, path string, opts Options) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsnReadOnly(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := newDB(db, path, opts)
	s.readOnly = true
	var appID, version int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil || appID != applicationID {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, ErrNotStore)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: read schema version: %w", path, err)
	}
	if version != SchemaVersion {
		db.Close()
		if version > SchemaVersion {
			return nil, fmt.Errorf("open store %s: %w", path, ErrNewerStore)
		}
		return nil, fmt.Errorf("open store %s: schema %d is older than %d: open it once with this Lifeboat first: %w", path, version, SchemaVersion, lifeboat.ErrInvalid)
	}
	return s, nil
}

// Open opens an existing store, locked. It refuses a file that is not a
// Lifeboat store or was made by a newer version, changing nothing; an
// older store is copied to <path>.backup-v<N> and migrated.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := openSQL(path, false)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := newDB(db, path, opts)
	if err := s.checkAndMigrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.checkMark(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func openSQL(path string, create bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, create))
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's rule; a few readers run beside it.
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

func newDB(db *sql.DB, path string, opts Options) *DB {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxPINFailures <= 0 {
		opts.MaxPINFailures = 5
	}
	if opts.LockoutFor <= 0 {
		opts.LockoutFor = 5 * time.Minute
	}
	if opts.MaxClockAhead <= 0 {
		opts.MaxClockAhead = DefaultMaxClockAhead
	}
	return &DB{sql: db, path: path, log: opts.Logger.With("component", "store"), now: opts.Now, opts: opts}
}

// Path returns the store's file name.
func (db *DB) Path() string { return db.path }

// Close closes the database, checkpointing the WAL. Keys are wiped.
func (db *DB) Close() error {
	db.Lock()
	if !db.readOnly {
		_, _ = db.sql.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	merr := db.mark.close()
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", db.path, err)
	}
	if merr != nil {
		return fmt.Errorf("close store %s: %w", db.path, merr)
	}
	return nil
}

// Lock forgets the keys; reads and writes fail with ErrLocked until the
// store is unlocked again (auto-lock after idle calls this). It returns at
// once; operations already under way finish, and the key bytes are zeroed
// when the last of them is done. Safe for concurrent use.
func (db *DB) Lock() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.retireKeysLocked()
}

// Locked reports whether the store needs unlocking.
func (db *DB) Locked() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.aead == nil
}

// Device returns this device's ID (readable while locked).
func (db *DB) Device(ctx context.Context) (string, error) {
	var dev string
	err := db.sql.QueryRowContext(ctx, "SELECT device FROM device_key").Scan(&dev)
	if err != nil {
		return "", fmt.Errorf("read device id: %w", err)
	}
	return dev, nil
}

// DevicePublicKey returns this device's Ed25519 public key.
func (db *DB) DevicePublicKey(ctx context.Context) (ed25519.PublicKey, error) {
	var pub []byte
	if err := db.sql.QueryRowContext(ctx, "SELECT public FROM device_key").Scan(&pub); err != nil {
		return nil, fmt.Errorf("read device key: %w", err)
	}
	return pub, nil
}

// Subscribe registers ch to receive a non-blocking signal after every
// committed change (Append or ApplyRemote). Sync uses it to announce new
// events promptly; the UI to refresh.
func (db *DB) Subscribe(ch chan<- struct{}) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.notify = append(db.notify, ch)
}

// Unsubscribe stops the signals to ch that Subscribe started.
func (db *DB) Unsubscribe(ch chan<- struct{}) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.notify = slices.DeleteFunc(slices.Clone(db.notify), func(c chan<- struct{}) bool { return c == ch })
}

func (db *DB) changed() {
	db.mu.Lock()
	subs := db.notify
	db.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// keys returns the unlocked state or ErrLocked.
func (db *DB) keys() (cipherAEAD, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.aead == nil {
		return nil, ErrLocked
	}
	return db.aead, nil
}
