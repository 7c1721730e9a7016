package store_test

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// slotsOpenedBy is the offline attacker: with a copy of the store file and
// Lifeboat's source, it reads every key slot and tries secret on each,
// exactly as the store would (Argon2id at the slot's stored costs, then
// XChaCha20-Poly1305 bound to "keyslot" and the slot's id). It returns the
// ids of the slots secret opens: each is a data key handed over.
func slotsOpenedBy(t *testing.T, path, secret string) []string {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.Query("SELECT id, salt, kdf_time, kdf_memory, kdf_lanes, wrapped FROM keyslots")
	if err != nil {
		t.Fatalf("read key slots: %v", err)
	}
	defer rows.Close()
	var opened []string
	for rows.Next() {
		var id string
		var salt, wrapped []byte
		var passes, mem uint32
		var lanes uint8
		if err := rows.Scan(&id, &salt, &passes, &mem, &lanes, &wrapped); err != nil {
			t.Fatal(err)
		}
		aead, err := chacha20poly1305.NewX(argon2.IDKey([]byte(secret), salt, passes, mem, lanes, 32))
		if err != nil {
			t.Fatal(err)
		}
		n := aead.NonceSize()
		ad := "7:keyslot|" + strconv.Itoa(len(id)) + ":" + id + "|"
		if len(wrapped) > n {
			if _, err := aead.Open(nil, wrapped[:n], wrapped[n:], []byte(ad)); err == nil {
				opened = append(opened, id)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return opened
}

// slotIDs lists the key slots in the store file at path.
func slotIDs(t *testing.T, path string) []string {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.Query("SELECT id FROM keyslots ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestAtRest_StolenStoreDoesNotOpenWithPIN: a laptop is stolen after a
// nurse, the admin and break-glass have each signed in on it. Their PINs
// (4 digits: all 10,000 can be tried offline) must open no key slot; only
// the ward passphrase does.
//
// Fails on main before this change: the first sign-in of each person made
// a "user:<id>:<hash>" slot wrapping the data key under their PIN, so
// slotsOpenedBy(PIN) returned that slot for every one of them.
func TestAtRest_StolenStoreDoesNotOpenWithPIN(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, admin := storetest.MustInitAt(t, path, store.Options{})
	nurse, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826")
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.SignIn(ctx, nurse.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ChangePIN(ctx, s, "5937"); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role == lifeboat.RoleBreakGlass {
			if _, err := db.SignIn(ctx, u.ID, "7391", "drill"); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()

	for _, pin := range []string{storetest.AdminPIN, "4826", "5937", "7391"} {
		if got := slotsOpenedBy(t, path, pin); len(got) != 0 {
			t.Errorf("PIN %s opens key slots %q of a closed store, want none", pin, got)
		}
	}
	if got := slotIDs(t, path); len(got) != 1 || got[0] != "passphrase" {
		t.Errorf("key slots = %q, want only the ward passphrase's", got)
	}
	if got := slotsOpenedBy(t, path, storetest.Passphrase); len(got) != 1 {
		t.Errorf("the ward passphrase opens %q, want its one slot", got)
	}
	// The store itself agrees: it opens with the passphrase, and a PIN is
	// only ever checked inside it.
	db, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SignIn(ctx, nurse.ID, "5937", ""); err == nil {
		t.Error("SignIn on a locked store succeeded, want an error")
	}
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SignIn(ctx, nurse.ID, "5937", ""); err != nil {
		t.Errorf("SignIn after unlocking = %v", err)
	}
}

// TestMigrate_RemovesPINSlots opens testdata/v5-pinslots.lifeboat, a store
// written by schema-5 Lifeboat (commit 968ba62) in which the admin,
// break-glass and a nurse have PIN key slots (the nurse changed PIN once).
// testdata/v5-pinslots.wrapped lists, in hex, every wrapped key those PIN
// slots ever held. After opening, the store and the backup taken before
// migrating hold none of them, anywhere in their bytes (deleted rows and
// free pages included); both still open with the passphrase.
//
// Fails on main before this change: the slots stayed, and the nurse's PIN
// opened one.
func TestMigrate_RemovesPINSlots(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "ward.lifeboat")
	if err := os.WriteFile(path, fileBytes(t, "testdata/v5-pinslots.lifeboat"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An older backup, left beside the store by an earlier migration,
	// holds the same slots.
	if err := os.WriteFile(path+".backup-v4", fileBytes(t, "testdata/v5-pinslots.lifeboat"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := slotsOpenedBy(t, path, "5937"); len(got) != 1 {
		t.Fatalf("fixture: the nurse's PIN opens %q, want one slot", got)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var leaked [][]byte
	for _, line := range strings.Fields(string(fileBytes(t, "testdata/v5-pinslots.wrapped"))) {
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		leaked = append(leaked, b)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		for _, pin := range []string{storetest.AdminPIN, "4826", "5937", "7391"} {
			if strings.HasSuffix(f, ".lifeboat") || strings.Contains(f, ".backup-v") {
				if got := slotsOpenedBy(t, f, pin); len(got) != 0 {
					t.Errorf("%s: PIN %s opens %q, want nothing", filepath.Base(f), pin, got)
				}
			}
		}
		raw := fileBytes(t, f)
		for i, w := range leaked {
			if bytes.Contains(raw, w) {
				t.Errorf("%s still holds the bytes of old PIN slot %d", filepath.Base(f), i+1)
			}
		}
	}
	for _, f := range []string{path, path + ".backup-v5", path + ".backup-v4"} {
		if got := slotIDs(t, f); len(got) != 1 || got[0] != "passphrase" {
			t.Errorf("%s: key slots = %q, want only the ward passphrase's", filepath.Base(f), got)
		}
		if got := slotsOpenedBy(t, f, storetest.Passphrase); len(got) != 1 {
			t.Errorf("%s: the passphrase opens %q, want its slot", filepath.Base(f), got)
		}
	}
	// The migrated store still works: the nurse signs in with the PIN
	// they last chose, inside the unlocked store.
	db, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == "Nia Nurse" {
			if _, err := db.SignIn(ctx, u.ID, "5937", ""); err != nil {
				t.Errorf("nurse SignIn after migration = %v", err)
			}
		}
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("Verify after migration = %+v, %v", rep.Problems, err)
	}
}
