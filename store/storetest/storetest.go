// Package storetest holds helpers for tests that need a real store: a
// fresh encrypted SQLite file in a temp dir with cheap key-derivation
// costs, a settable clock, and builders for clinical drafts and for
// events signed by extra test devices.
package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// Passphrase and PIN used by MustInit.
const (
	Passphrase      = "correct horse battery staple"
	AdminPIN        = "2580"
	AdminPassphrase = "ada's admin passphrase" // the demo ward's too (cli.DemoAdminPassphrase), so MustJoin works on it

)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current reading.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// T0 is the moment test stores start at.
var T0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// MustInit creates a store in a temp dir, unlocked, with the admin signed
// in. It is closed when the test ends.
func MustInit(tb testing.TB, opts store.Options) (*store.DB, *store.Session) {
	tb.Helper()
	return MustInitAt(tb, filepath.Join(tb.TempDir(), "ward.lifeboat"), opts)
}

// MustInitAt is MustInit at a chosen path.
func MustInitAt(tb testing.TB, path string, opts store.Options) (*store.DB, *store.Session) {
	tb.Helper()
	db, s, err := store.Init(context.Background(), path, store.Setup{
		SiteName: "St Elsewhere", Ward: "Ward 7", Passphrase: Passphrase,
		AdminName: "Ada Admin", AdminPIN: AdminPIN, BreakGlassPIN: "7391", KDF: store.TestKDF,
		AdminPassphrase: AdminPassphrase, AdminKDF: store.TestKDF,
	}, opts)
	if err != nil {
		tb.Fatalf("store.Init: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, s
}

// MustAppend appends a draft or fails the test.
func MustAppend(tb testing.TB, db *store.DB, s *store.Session, d store.Draft) lifeboat.Event {
	tb.Helper()
	e, err := db.Append(context.Background(), s, d)
	if err != nil {
		tb.Fatalf("Append(%s): %v", d.Kind, err)
	}
	return e
}

var tempIDs atomic.Uint64

// PatientDraft registers a patient with a fresh ID; with no NHS number it
// gets a temporary downtime ID.
func PatientDraft(surname, given, dob, nhs string, at time.Time) store.Draft {
	id := uuid.Must(uuid.NewV7()).String()
	p := forms.Patient{ID: id, Surname: surname, Given: given, BirthDate: dob, NHSNumber: nhs}
	if nhs == "" {
		p.TempID = fmt.Sprintf("DT-TEST-%d", tempIDs.Add(1))
	}
	return store.Draft{Kind: forms.KindPatientRegistered, Subject: id, PerformedAt: at, Payload: p}
}

// AdmitDraft admits a patient to a ward and bed.
func AdmitDraft(patientID, ward, bed string, at time.Time) store.Draft {
	return store.Draft{Kind: forms.KindPatientAdmitted, Subject: patientID, PerformedAt: at,
		Payload: forms.Admission{PatientID: patientID, Ward: ward, Bed: bed}}
}

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func bp(v bool) *bool       { return &v }

// ObsDraft records a full observation set for a patient.
func ObsDraft(patientID string, resp, spo2, sys, pulse int, temp float64, at time.Time) store.Draft {
	return store.Draft{Kind: forms.KindObsRecorded, Subject: patientID, PerformedAt: at,
		Payload: forms.Observations{PatientID: patientID, RespRate: ip(resp), SpO2: ip(spo2), SpO2Scale: 1, OnOxygen: bp(false),
			Systolic: ip(sys), Diastolic: ip(sys * 2 / 3), Pulse: ip(pulse), Consciousness: "A", TempC: fp(temp)}}
}

// Device is a test device with its own key that can sign events as if it
// were a peer (for fork, forgery and out-of-order tests).
type Device struct {
	ID   string
	Pub  ed25519.PublicKey
	Priv ed25519.PrivateKey
	seq  uint64
	prev lifeboat.Hash
	hlc  lifeboat.HLC
	// chains outside the site scope (NextIn)
	chains map[lifeboat.Scope]*chainHead
}

// NewDevice makes a device with a fresh key.
func NewDevice(tb testing.TB) *Device {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &Device{ID: store.DeviceID(pub), Pub: pub, Priv: priv, hlc: lifeboat.HLC{Wall: T0.UnixMilli()}}
}

// SetClock stamps the device's next events at t (a device whose clock is
// wrong); its clock then ticks on from there as an HLC does.
func (d *Device) SetClock(t time.Time) { d.hlc = lifeboat.HLC{Wall: t.UnixMilli()} }

// Next makes and signs the device's next event (in its site chain).
func (d *Device) Next(author, kind, subject string, payload []byte, at time.Time) lifeboat.Event {
	return d.NextIn(lifeboat.ScopeSite, author, kind, subject, payload, at)
}

// NextIn makes and signs the device's next event in scope's chain.
func (d *Device) NextIn(scope lifeboat.Scope, author, kind, subject string, payload []byte, at time.Time) lifeboat.Event {
	return d.next(scope, author, kind, subject, payload, nil, at)
}

// NextSealedIn is NextIn with sealed as the signed payload (whatever it
// holds: a hostile device's).
func (d *Device) NextSealedIn(scope lifeboat.Scope, author, kind, subject string, sealed []byte, at time.Time) lifeboat.Event {
	return d.next(scope, author, kind, subject, nil, sealed, at)
}

func (d *Device) next(scope lifeboat.Scope, author, kind, subject string, payload, sealed []byte, at time.Time) lifeboat.Event {
	if d.chains == nil {
		d.chains = map[lifeboat.Scope]*chainHead{}
	}
	if scope == lifeboat.ScopeSite {
		d.chains[scope] = &chainHead{seq: d.seq, prev: d.prev}
	}
	c := d.chains[scope]
	if c == nil {
		c = &chainHead{}
		d.chains[scope] = c
	}
	c.seq++
	d.hlc.Logical++
	e := lifeboat.Event{ID: uuid.Must(uuid.NewV7()).String(), Device: lifeboat.ChainOf(d.ID, scope), Seq: c.seq, Prev: c.prev, HLC: d.hlc,
		Author: author, Kind: kind, Subject: subject, PerformedAt: at, RecordedAt: at, Payload: payload, Sealed: sealed}
	e.Sign(d.Priv)
	c.prev = e.Hash()
	if scope == lifeboat.ScopeSite {
		d.seq, d.prev = c.seq, c.prev
	}
	return e
}

type chainHead struct {
	seq  uint64
	prev lifeboat.Hash
}

// MustJoin makes a second device of a's site the way enrolment does: a new
// store (Create), admitted by a's admin (who must have their personal key
// open), joined to the site and given a's log. It returns the new store
// and the same admin signed in on it with their personal key open. It is
// closed when the test ends.
func MustJoin(tb testing.TB, a *store.DB, as *store.Session, opts store.Options) (*store.DB, *store.Session) {
	tb.Helper()
	return MustJoinAt(tb, a, as, filepath.Join(tb.TempDir(), "ward.lifeboat"), opts)
}

// MustJoinScoped is MustJoin for a device given only scopes: it is sent
// only what a peer serves it (see Serve).
func MustJoinScoped(tb testing.TB, a *store.DB, as *store.Session, opts store.Options, scopes ...lifeboat.Scope) (*store.DB, *store.Session) {
	tb.Helper()
	return mustJoin(tb, a, as, filepath.Join(tb.TempDir(), "ward.lifeboat"), opts, scopes)
}

// Serve gives to what from holds of the scopes to holds, as from knows
// them (what a peer's sync serves), and returns what to made of it.
func Serve(tb testing.TB, from, to *store.DB) lifeboat.ApplyResult {
	tb.Helper()
	ctx := context.Background()
	dev, err := to.Device(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	sub, err := from.SubscriptionOf(ctx, dev)
	if err != nil {
		tb.Fatal(err)
	}
	have, err := to.VersionVector(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := from.EventsAfter(ctx, have, 1<<30)
	if err != nil {
		tb.Fatal(err)
	}
	var send []lifeboat.Event
	for _, e := range evs {
		if sub.Holds(lifeboat.ScopeOf(e.Device)) {
			send = append(send, e)
		}
	}
	res, err := to.ApplyRemote(ctx, send)
	if err != nil {
		tb.Fatalf("ApplyRemote: %v", err)
	}
	return res
}

// MustJoinAt is MustJoin at a chosen path.
func MustJoinAt(tb testing.TB, a *store.DB, as *store.Session, path string, opts store.Options) (*store.DB, *store.Session) {
	tb.Helper()
	return mustJoin(tb, a, as, path, opts, nil)
}

func mustJoin(tb testing.TB, a *store.DB, as *store.Session, path string, opts store.Options, scopes []lifeboat.Scope) (*store.DB, *store.Session) {
	tb.Helper()
	ctx := context.Background()
	b, err := store.Create(ctx, path, Passphrase, store.TestKDF, opts)
	if err != nil {
		tb.Fatalf("store.Create: %v", err)
	}
	tb.Cleanup(func() { b.Close() })
	pub, err := b.DevicePublicKey(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	adm, err := a.Admit(ctx, as, pub, "ward laptop", scopes...)
	if err != nil {
		tb.Fatalf("Admit: %v", err)
	}
	if err := b.JoinSite(ctx, adm.SiteJoin); err != nil {
		tb.Fatalf("JoinSite: %v", err)
	}
	if res := Serve(tb, a, b); len(res.Refused) > 0 || len(res.Held) > 0 {
		tb.Fatalf("ApplyRemote of the site's log = %+v", res)
	}
	if len(scopes) > 0 {
		// The new device's own scopes are known once its enrolment is in.
		if res := Serve(tb, a, b); len(res.Refused) > 0 || len(res.Held) > 0 {
			tb.Fatalf("ApplyRemote of the site's log = %+v", res)
		}
	}
	s, err := b.SignIn(ctx, as.User.ID, AdminPIN, "")
	if err != nil {
		tb.Fatalf("SignIn: %v", err)
	}
	if err := b.UnlockAdmin(ctx, s, AdminPassphrase); err != nil {
		tb.Fatalf("UnlockAdmin: %v", err)
	}
	return b, s
}

// MustPerson adds a person with role (not IT admin) and signs them in.
func MustPerson(tb testing.TB, db *store.DB, admin *store.Session, name string, role lifeboat.Role) *store.Session {
	tb.Helper()
	ctx := context.Background()
	const pin = "4826"
	u, err := db.NewUser(ctx, admin, name, role, pin)
	if err != nil {
		tb.Fatalf("NewUser(%s): %v", name, err)
	}
	s, err := db.SignIn(ctx, u.ID, pin, "")
	if err != nil {
		tb.Fatalf("SignIn(%s): %v", name, err)
	}
	return s
}
