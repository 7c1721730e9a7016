package store

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"lifeboat"
)

// DefaultAdminKDF seals an IT admin's personal key: 256 MiB and 3 passes,
// four times the memory of the ward passphrase's slot, because the sealed
// key travels in the replicated log and a stolen device holds it. An
// admin types the passphrase once a session, not at every unlock.
var DefaultAdminKDF = KDFParams{Time: 3, MemoryKiB: 256 * 1024, Lanes: 2}

// siteNamespace names site IDs derived by SiteIDFor.
var siteNamespace = uuid.MustParse("6f2b4d0e-8c1a-5e53-9a47-1c0de5a17e00")

// SiteIDFor derives a site's ID from its founding device's key and its
// founding IT admin's personal key (a UUIDv5 of both). A device that knows
// the site ID can therefore tell the one true site.created from any other:
// no other pair of keys gives the same ID.
func SiteIDFor(founder, admin ed25519.PublicKey) string {
	return uuid.NewSHA1(siteNamespace, append(append([]byte{}, founder...), admin...)).String()
}

// CheckAdminPassphrase accepts an admin passphrase: as long as a ward
// passphrase at least (a PIN is never enough: the sealed key can be
// guessed at offline).
func CheckAdminPassphrase(p string) error {
	if utf8.RuneCountInString(p) < MinPassphraseLen {
		return fmt.Errorf("an admin passphrase must be at least %d characters: %w", MinPassphraseLen, lifeboat.ErrInvalid)
	}
	return nil
}

// newSealedKey makes a personal key pair, the private half sealed under
// passphrase. It returns the private key too, for the session that made it.
func newSealedKey(owner, passphrase string, p KDFParams) (*lifeboat.SealedKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	salt, sealed := wrapKey(priv.Seed(), adminSlot(owner, pub), passphrase, p)
	return &lifeboat.SealedKey{Public: pub, Salt: salt, Sealed: sealed,
		KDF: [3]int{int(p.Time), int(p.MemoryKiB), int(p.Lanes)}}, priv
}

func adminSlot(owner string, pub ed25519.PublicKey) string {
	return "admin:" + owner + ":" + DeviceID(pub)
}

// openSealedKey recovers the private key, or ErrWrongSecret.
func openSealedKey(owner, passphrase string, k *lifeboat.SealedKey) (ed25519.PrivateKey, error) {
	if k == nil || len(k.Public) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("no personal key: %w", lifeboat.ErrNotFound)
	}
	p := KDFParams{Time: uint32(k.KDF[0]), MemoryKiB: uint32(k.KDF[1]), Lanes: uint8(k.KDF[2])}
	seed, err := unwrapKey(adminSlot(owner, k.Public), passphrase, k.Salt, k.Sealed, p)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("personal key: %w", lifeboat.ErrCorrupt)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(k.Public)) {
		return nil, fmt.Errorf("personal key does not match its public half: %w", lifeboat.ErrCorrupt)
	}
	return priv, nil
}

// UnlockAdmin opens the signed-in IT admin's personal key with their admin
// passphrase and keeps it in the session until SignOut, so that they can
// make privileged changes (people, devices, keys). A wrong passphrase
// counts towards the person's lockout like a wrong PIN.
func (db *DB) UnlockAdmin(ctx context.Context, s *Session, passphrase string) error {
	if err := s.require(lifeboat.RoleITAdmin); err != nil {
		return fmt.Errorf("open admin key: %w", err)
	}
	if err := db.checkLockout(ctx, s.User.ID); err != nil {
		return fmt.Errorf("open admin key: %w", err)
	}
	rec, err := db.userRecord(ctx, s.User.ID)
	if err != nil {
		return fmt.Errorf("open admin key: %w", err)
	}
	if rec.AdminKey == nil {
		return fmt.Errorf("open admin key: %s has no personal admin key (set the ward up again, or have another IT admin re-add them): %w",
			s.User.ID, lifeboat.ErrNotFound)
	}
	priv, err := openSealedKey(rec.ID, passphrase, rec.AdminKey)
	if err != nil {
		if err == ErrWrongSecret {
			if _, ferr := db.recordFailure(ctx, s.User.ID); ferr != nil {
				return fmt.Errorf("open admin key: %w", ferr)
			}
		}
		return fmt.Errorf("open admin key: %w", err)
	}
	s.setAdminKey(priv)
	return db.audit(ctx, nil, "admin.key_opened", s.User.ID, "", "")
}
