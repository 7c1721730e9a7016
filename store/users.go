package store

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"lifeboat"
)

// User is a person who can sign in.
type User struct {
	ID     string
	Name   string
	Role   lifeboat.Role
	Active bool
}

// LogValue keeps names out of logs.
func (u User) LogValue() string { return "user " + u.ID }

// Session is a signed-in person. Every Append is attributed to one.
type Session struct {
	User User
	// Reason is why the break-glass account was used (empty otherwise).
	Reason string
	Since  time.Time

	mu       sync.Mutex
	adminKey ed25519.PrivateKey // an IT admin's personal key, once opened (UnlockAdmin)
}

// AdminUnlocked reports whether the session holds its IT admin's personal
// key, which privileged changes need (UnlockAdmin).
func (s *Session) AdminUnlocked() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminKey != nil
}

func (s *Session) setAdminKey(k ed25519.PrivateKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adminKey != nil {
		clear(s.adminKey)
	}
	s.adminKey = k
}

// signAdmin signs msg with the session's personal admin key, under the
// session's lock (so ForgetAdminKey cannot clear it mid-signature).
func (s *Session) signAdmin(msg []byte) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adminKey == nil {
		return nil, false
	}
	return ed25519.Sign(s.adminKey, msg), true
}

// ForgetAdminKey drops the session's personal admin key (SignOut does).
func (s *Session) ForgetAdminKey() {
	if s == nil {
		return
	}
	s.setAdminKey(nil)
}

// require checks the session holds one of roles (IT admin may do anything
// an admin action needs; clinical roles are checked by callers).
func (s *Session) require(roles ...lifeboat.Role) error {
	if s == nil {
		return fmt.Errorf("nobody is signed in: %w", lifeboat.ErrPermission)
	}
	for _, r := range roles {
		if s.User.Role == r {
			return nil
		}
	}
	return fmt.Errorf("%s may not do this: %w", s.User.Role.Label(), lifeboat.ErrPermission)
}

// ErrLockedOut: too many wrong PINs; try again later.
var ErrLockedOut = fmt.Errorf("too many wrong PINs: %w", lifeboat.ErrPermission)

// LockedOutError says until when a person is locked out.
type LockedOutError struct{ Until time.Time }

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("too many wrong PINs: locked until %s", e.Until.Format("15:04:05"))
}

// Unwrap makes errors.Is(err, ErrLockedOut) true.
func (e *LockedOutError) Unwrap() error { return ErrLockedOut }

// NewUser creates a person (IT admin only). The PIN is hashed with
// Argon2id; the record is an event, so the person can sign in on every
// device of the ward once it has synced.
func (db *DB) NewUser(ctx context.Context, s *Session, name string, role lifeboat.Role, pin string) (User, error) {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	if strings.TrimSpace(name) == "" {
		return User{}, fmt.Errorf("add user: a name is required: %w", lifeboat.ErrInvalid)
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("add user: unknown role %q: %w", role, lifeboat.ErrInvalid)
	}
	if err := CheckPIN(pin); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	if role == lifeboat.RoleITAdmin {
		return User{}, fmt.Errorf("add user: an IT admin needs an admin passphrase of their own (NewAdmin): %w", lifeboat.ErrInvalid)
	}
	u, err := db.saveUser(ctx, s, uuid.Must(uuid.NewV7()).String(), strings.TrimSpace(name), role, pin, DefaultKDF, nil)
	if err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	return u, db.audit(ctx, nil, "admin.user_added", s.User.ID, u.ID, string(role))
}

// NewAdmin creates an IT admin (IT admin only, with their personal key
// open): a person with a PIN to sign in and a personal key, sealed under
// their own admin passphrase, that privileged changes are signed with.
// The new admin's key is sealed with the same costs as the creating
// admin's.
func (db *DB) NewAdmin(ctx context.Context, s *Session, name, pin, passphrase string) (User, error) {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return User{}, fmt.Errorf("add admin: %w", err)
	}
	if strings.TrimSpace(name) == "" {
		return User{}, fmt.Errorf("add admin: a name is required: %w", lifeboat.ErrInvalid)
	}
	if err := CheckPIN(pin); err != nil {
		return User{}, fmt.Errorf("add admin: %w", err)
	}
	if err := CheckAdminPassphrase(passphrase); err != nil {
		return User{}, fmt.Errorf("add admin: %w", err)
	}
	if !s.AdminUnlocked() {
		return User{}, fmt.Errorf("add admin: %w", ErrAdminKeyNeeded)
	}
	kdf := DefaultAdminKDF
	if me, err := db.userRecord(ctx, s.User.ID); err == nil && me.AdminKey != nil {
		kdf = KDFParams{Time: uint32(me.AdminKey.KDF[0]), MemoryKiB: uint32(me.AdminKey.KDF[1]), Lanes: uint8(me.AdminKey.KDF[2])}
	}
	id := uuid.Must(uuid.NewV7()).String()
	key, priv := newSealedKey(id, passphrase, kdf)
	clear(priv)
	u, err := db.saveUser(ctx, s, id, strings.TrimSpace(name), lifeboat.RoleITAdmin, pin, DefaultKDF, key)
	if err != nil {
		return User{}, fmt.Errorf("add admin: %w", err)
	}
	return u, db.audit(ctx, nil, "admin.user_added", s.User.ID, u.ID, string(lifeboat.RoleITAdmin))
}

// SetUserActive enables or disables a person (IT admin only).
func (db *DB) SetUserActive(ctx context.Context, s *Session, userID string, active bool) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("change user: %w", err)
	}
	rec, err := db.userRecord(ctx, userID)
	if err != nil {
		return fmt.Errorf("change user: %w", err)
	}
	rec.Active = active
	if _, err := db.Append(ctx, s, Draft{Kind: lifeboat.KindUserSaved, Subject: "user:" + userID, PerformedAt: db.now(), Payload: rec}); err != nil {
		return fmt.Errorf("change user: %w", err)
	}
	return db.audit(ctx, nil, "admin.user_changed", s.User.ID, userID, fmt.Sprintf("active=%v", active))
}

// ChangePIN sets a new PIN for the signed-in person: a user.pin_changed
// record that only the person themselves may make (authority rule). The
// PIN is only a sign-in check inside the unlocked store: it wraps no key.
func (db *DB) ChangePIN(ctx context.Context, s *Session, newPIN string) error {
	if s == nil {
		return fmt.Errorf("change PIN: %w", lifeboat.ErrPermission)
	}
	if err := CheckPIN(newPIN); err != nil {
		return fmt.Errorf("change PIN: %w", err)
	}
	rec, err := db.userRecord(ctx, s.User.ID)
	if err != nil {
		return fmt.Errorf("change PIN: %w", err)
	}
	p := DefaultKDF
	salt := randomBytes(16)
	rec.PINHash, rec.PINSalt, rec.KDF = p.derive(newPIN, salt), salt, [3]int{int(p.Time), int(p.MemoryKiB), int(p.Lanes)}
	if _, err := db.Append(ctx, s, Draft{Kind: lifeboat.KindPINChanged, Subject: "user:" + rec.ID, PerformedAt: db.now(),
		Payload: lifeboat.PINChange{ID: rec.ID, PINHash: rec.PINHash, PINSalt: rec.PINSalt, KDF: rec.KDF}}); err != nil {
		return fmt.Errorf("change PIN: %w", err)
	}
	return db.audit(ctx, nil, "user.pin_changed", s.User.ID, "", "")
}

// saveUser appends a user.saved event with a fresh PIN hash (and, for an
// IT admin, their sealed personal key).
func (db *DB) saveUser(ctx context.Context, s *Session, id, name string, role lifeboat.Role, pin string, p KDFParams, key *lifeboat.SealedKey) (User, error) {
	salt := randomBytes(16)
	rec := lifeboat.UserRecord{ID: id, Name: name, Role: role, Active: true, PINHash: p.derive(pin, salt), PINSalt: salt,
		KDF: [3]int{int(p.Time), int(p.MemoryKiB), int(p.Lanes)}, AdminKey: key}
	if _, err := db.Append(ctx, s, Draft{Kind: lifeboat.KindUserSaved, Subject: "user:" + id, PerformedAt: db.now(), Payload: rec}); err != nil {
		return User{}, err
	}
	return User{ID: id, Name: name, Role: role, Active: true}, nil
}

func kdfOf(rec lifeboat.UserRecord) KDFParams {
	return KDFParams{Time: uint32(rec.KDF[0]), MemoryKiB: uint32(rec.KDF[1]), Lanes: uint8(rec.KDF[2])}
}

// userRecord reads the newest record for a user from the users view.
func (db *DB) userRecord(ctx context.Context, id string) (lifeboat.UserRecord, error) {
	aead, err := db.keys()
	if err != nil {
		return lifeboat.UserRecord{}, err
	}
	var sealed []byte
	err = db.sql.QueryRowContext(ctx, "SELECT sealed FROM users WHERE id = ?", id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return lifeboat.UserRecord{}, fmt.Errorf("no such person: %w", lifeboat.ErrNotFound)
	}
	if err != nil {
		return lifeboat.UserRecord{}, fmt.Errorf("read user: %w", err)
	}
	plain, err := open(aead, sealed, ad("users", id))
	if err != nil {
		return lifeboat.UserRecord{}, fmt.Errorf("read user %s: %w", id, err)
	}
	var rec lifeboat.UserRecord
	if err := json.Unmarshal(plain, &rec); err != nil {
		return lifeboat.UserRecord{}, fmt.Errorf("read user %s: %w", id, lifeboat.ErrCorrupt)
	}
	return rec, nil
}

// Users lists everyone, active or not, sorted by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT id, sealed FROM users")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var id string
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		plain, err := open(aead, sealed, ad("users", id))
		if err != nil {
			return nil, fmt.Errorf("list users: %s: %w", id, err)
		}
		var rec lifeboat.UserRecord
		if err := json.Unmarshal(plain, &rec); err != nil {
			return nil, fmt.Errorf("list users: %s: %w", id, lifeboat.ErrCorrupt)
		}
		out = append(out, User{ID: rec.ID, Name: rec.Name, Role: rec.Role, Active: rec.Active})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	sortUsers(out)
	return out, nil
}

func sortUsers(us []User) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && strings.ToLower(us[j].Name) < strings.ToLower(us[j-1].Name); j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

// SignIn checks a person's PIN and starts a session. The break-glass
// account needs a reason, which is audited with every use. After
// MaxPINFailures wrong PINs the person is locked out for LockoutFor.
func (db *DB) SignIn(ctx context.Context, userID, pin, reason string) (*Session, error) {
	if err := db.checkLockout(ctx, userID); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	rec, err := db.userRecord(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if !rec.Active {
		return nil, fmt.Errorf("sign in: this account is disabled: %w", lifeboat.ErrPermission)
	}
	p := kdfOf(rec)
	if !p.valid() || subtle.ConstantTimeCompare(p.derive(pin, rec.PINSalt), rec.PINHash) != 1 {
		left, err := db.recordFailure(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
		return nil, fmt.Errorf("sign in: %w", &WrongPINError{Left: left, LockoutFor: db.opts.LockoutFor})
	}
	if rec.Role == lifeboat.RoleBreakGlass && strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("sign in: the break-glass account needs a reason: %w", lifeboat.ErrInvalid)
	}
	if _, err := db.sql.ExecContext(ctx, "DELETE FROM lockouts WHERE user_id = ?", userID); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	action := "user.sign_in"
	if rec.Role == lifeboat.RoleBreakGlass {
		action = "user.break_glass_sign_in"
	}
	if err := db.audit(ctx, nil, action, userID, "", reason); err != nil {
		return nil, err
	}
	return &Session{User: User{ID: rec.ID, Name: rec.Name, Role: rec.Role, Active: rec.Active}, Reason: reason, Since: db.now()}, nil
}

// SignOut ends a session (audited) and forgets its personal admin key.
func (db *DB) SignOut(ctx context.Context, s *Session) error {
	if s == nil {
		return nil
	}
	s.ForgetAdminKey()
	return db.audit(ctx, nil, "user.sign_out", s.User.ID, "", "")
}

func (db *DB) checkLockout(ctx context.Context, userID string) error {
	var until int64
	err := db.sql.QueryRowContext(ctx, "SELECT locked_until FROM lockouts WHERE user_id = ?", userID).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read lockout: %w", err)
	}
	if t := time.UnixMilli(until); db.now().Before(t) {
		return &LockedOutError{Until: t}
	}
	return nil
}

// WrongPINError is a wrong PIN, with how many more wrong ones the person
// has before they are locked out for LockoutFor (so the screen can say).
// It matches ErrWrongSecret.
type WrongPINError struct {
	Left       int
	LockoutFor time.Duration
}

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("wrong PIN: %d more tries before a lockout", e.Left)
}

// Unwrap lets errors.Is(err, ErrWrongSecret) match.
func (e *WrongPINError) Unwrap() error { return ErrWrongSecret }

// recordFailure counts a wrong PIN and starts a lockout at the limit;
// left is how many more wrong ones the person has before it.
func (db *DB) recordFailure(ctx context.Context, userID string) (left int, err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var failures int
	var until int64
	err = tx.QueryRowContext(ctx, "SELECT failures, locked_until FROM lockouts WHERE user_id = ?", userID).Scan(&failures, &until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	failures++
	locked := failures >= db.opts.MaxPINFailures
	if locked {
		until = db.now().Add(db.opts.LockoutFor).UnixMilli()
		failures = 0
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lockouts (user_id, failures, locked_until) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`, userID, failures, until); err != nil {
		return 0, err
	}
	if !db.Locked() {
		detail := ""
		if locked {
			detail = "locked out"
		}
		if err := db.audit(ctx, tx, "user.sign_in_failed", userID, "", detail); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if locked {
		return 0, &LockedOutError{Until: time.UnixMilli(until)}
	}
	return db.opts.MaxPINFailures - failures, nil
}
