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
	Passphrase = "correct horse battery staple"
	AdminPIN   = "2580"
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

// Next makes and signs the device's next event.
func (d *Device) Next(author, kind, subject string, payload []byte, at time.Time) lifeboat.Event {
	d.seq++
	d.hlc.Logical++
	e := lifeboat.Event{ID: uuid.Must(uuid.NewV7()).String(), Device: d.ID, Seq: d.seq, Prev: d.prev, HLC: d.hlc,
		Author: author, Kind: kind, Subject: subject, PerformedAt: at, RecordedAt: at, Payload: payload}
	e.Sign(d.Priv)
	d.prev = e.Hash()
	return e
}
