package store_test

import (
	"bytes"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat/store"
	"lifeboat/store/storetest"
)

// tamperWard makes a closed store holding a few patients and returns its
// path and one observation event to damage.
func tamperWard(t *testing.T) (path string, victim string, sealed []byte) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ward.lifeboat")
	db, s := storetest.MustInitAt(t, path, store.Options{})
	ward(t, db, s, 3)
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Target", "Record", "1950-05-05", "", storetest.T0))
	e := storetest.MustAppend(t, db, s, storetest.ObsDraft(p.Subject, 22, 93, 100, 112, 38.4, storetest.T0))
	ward(t, db, s, 1)
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRow("SELECT sealed FROM events WHERE id = ?", e.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	return path, e.ID, sealed
}

func verifyFile(t *testing.T, path string) (store.VerifyReport, error) {
	t.Helper()
	db, err := store.Open(t.Context(), path, store.Options{NoBackup: true})
	if err != nil {
		return store.VerifyReport{}, err
	}
	defer db.Close()
	if err := db.Unlock(t.Context(), storetest.Passphrase); err != nil {
		return store.VerifyReport{}, err
	}
	return db.Verify(t.Context())
}

func reportNames(rep store.VerifyReport, id string) bool {
	for _, p := range rep.Problems {
		if strings.Contains(p.Where, id) {
			return true
		}
	}
	return false
}

func TestVerify_IntactStorePasses(t *testing.T) {
	path, _, _ := tamperWard(t)
	rep, err := verifyFile(t, path)
	if err != nil || !rep.OK() || rep.Events == 0 {
		t.Fatalf("Verify(intact) = %+v, %v; want OK", rep, err)
	}
}

func TestVerify_NamesTamperedRecords(t *testing.T) {
	tests := map[string]string{
		// Byte 31 is set to a value it does not have (0 unless it is 0).
		"flipped ciphertext":  "UPDATE events SET sealed = CAST(substr(sealed, 1, 30) || CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END || substr(sealed, 32) AS BLOB) WHERE id = ?",
		"changed clear kind":  "UPDATE events SET kind = 'obs.nothing' WHERE id = ?",
		"moved to other seq":  "UPDATE events SET seq = seq + 100000 WHERE id = ?",
		"swapped ciphertext":  "UPDATE events SET sealed = (SELECT sealed FROM events e2 WHERE e2.seq = 1 AND e2.device = events.device) WHERE id = ?",
		"changed stored hash": "UPDATE events SET hash = zeroblob(32) WHERE id = ?",
	}
	for name, q := range tests {
		t.Run(name, func(t *testing.T) {
			path, victim, _ := tamperWard(t)
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(q, victim); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			rep, err := verifyFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !reportNames(rep, victim) {
				t.Errorf("Verify after %s = %v, want a problem naming %s", name, rep.Problems, victim)
			}
		})
	}
}

func TestVerify_FlippedBytesInFile(t *testing.T) {
	path, victim, sealed := tamperWard(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte in every copy: a page SQLite freed may still hold an
	// old one, and only the live one matters.
	copies := 0
	for at := 0; ; copies++ {
		i := bytes.Index(b[at:], sealed)
		if i < 0 {
			break
		}
		at += i
		b[at+len(sealed)/2] ^= 0x40
		at += len(sealed)
	}
	if copies == 0 {
		t.Fatal("ciphertext not found in the file")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := verifyFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if !reportNames(rep, victim) {
		t.Errorf("Verify after flipping a byte of %s = %v, want it named", victim, rep.Problems)
	}
}

// TestVerify_RandomDamageNeverCrashes flips random bytes all over the file:
// opening and verifying must report or refuse, never panic or hang.
func TestVerify_RandomDamageNeverCrashes(t *testing.T) {
	path, _, _ := tamperWard(t)
	clean, _ := os.ReadFile(path)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for round := range 30 {
		b := bytes.Clone(clean)
		for range 1 + rng.IntN(20) {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		p := filepath.Join(t.TempDir(), "damaged.lifeboat")
		os.WriteFile(p, b, 0o600)
		rep, err := verifyFile(t, p)
		t.Logf("round %d: %d problems, err %v", round, len(rep.Problems), err)
	}
}
