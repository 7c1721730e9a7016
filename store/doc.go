// Package store keeps a ward's clinical record: an append-only log of
// signed events in an encrypted SQLite file (modernc.org/sqlite, WAL,
// synchronous=FULL), with projections derived from it, the device's keys,
// users and a hash-chained audit log. It is the only package that speaks SQL.
//
// A store is opened locked (Open) and unlocked with the ward passphrase
// only (Unlock); until then only non-identifying columns can be read. Every
// payload and identifying column is sealed with XChaCha20-Poly1305 under a
// random data key, with associated data binding each ciphertext to its row.
// The data key is kept wrapped under the passphrase (Argon2id) and never
// under a PIN: PINs sign people in (SignIn) inside the unlocked store, where
// the lockout throttles them.
//
// Local changes go through Append (assign seq and clock, sign, seal, write,
// project: one transaction, durable when it returns). Events from peers go
// through ApplyRemote, which verifies signatures against the enrolled
// devices and hash chains, skips duplicates and refuses anything invalid
// with a reason. Nothing deletes or rewrites an event; a correction is a new
// event whose Corrects names the old one.
//
// Each event kind is declared once in forms (forms.Kinds): the store reads
// its authority rule and whether it carries a version vector from there.
// A local append must also pass its kind's clinical rules (an impossible
// observation, an NHS number failing its check digit: ErrInvalid, nothing
// written); a peer's record that breaks them is kept, never dropped, and
// listed by RecordReview for a person to check.
//
// A DB is safe for concurrent use.
package store
