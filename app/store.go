package app

import (
	"context"
	"crypto/ed25519"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// Store is everything the app calls on the ward's store. *store.DB
// satisfies it; tests hand the UI a real store in a temp dir (or a fake that
// embeds one and overrides a method to inject a failure).
//
// Every method may block on disk and the key derivation (Unlock, SignIn
// take about 200 ms on a ward PC): call them from UI.Run, never from a Fyne
// callback directly.
type Store interface {
	// Locking and signing in.

	Unlock(ctx context.Context, passphrase string) error
	Lock()
	Locked() bool
	Site(ctx context.Context) (store.SiteInfo, error)
	Users(ctx context.Context) ([]store.User, error)
	SignIn(ctx context.Context, userID, pin, reason string) (*store.Session, error)
	SignOut(ctx context.Context, s *store.Session) error
	ChangePIN(ctx context.Context, s *store.Session, newPIN string) error

	// Recording. Every change is an event; corrections are new events.

	Append(ctx context.Context, s *store.Session, d store.Draft) (lifeboat.Event, error)
	AppendAll(ctx context.Context, s *store.Session, drafts []store.Draft) ([]lifeboat.Event, error)
	EnterInError(ctx context.Context, s *store.Session, eventID, reason string, performedAt time.Time) (lifeboat.Event, error)
	RecordView(ctx context.Context, s *store.Session, patientID string) error
	RecordExport(ctx context.Context, s *store.Session, what string) error

	// Patients, their allergies and weight, and observations.

	Patients(ctx context.Context, ward string) ([]store.PatientView, error)
	Patient(ctx context.Context, id string) (store.PatientView, error)
	PossibleDuplicates(ctx context.Context, p forms.Patient) ([]store.Candidate, error)
	RegisterArrival(ctx context.Context, s *store.Session, a store.Arrival, at time.Time) (forms.Patient, error)
	Observations(ctx context.Context, patientID string) ([]store.ObsView, error)
	Allergies(ctx context.Context, patientID string) (forms.AllergyList, error)
	AllergyRecords(ctx context.Context, patientID string) (forms.AllergyList, []store.Record, error)
	LatestWeight(ctx context.Context, patientID string) (forms.Weight, bool, error)
	Event(ctx context.Context, id string) (lifeboat.Event, error)
	Events(ctx context.Context, subject, kind string) ([]lifeboat.Event, error)
	Records(ctx context.Context, kind, subject string) ([]store.Record, error)
	RecordsByKey(ctx context.Context, kind, key string) ([]store.Record, error)

	// Medicines.

	MAR(ctx context.Context, patientID string, day, now time.Time) (forms.MAR, error)
	MedicationOrders(ctx context.Context, patientID string) ([]forms.MedicationOrder, error)
	Administrations(ctx context.Context, patientID string) ([]forms.AdminRecord, error)
	DoseAlreadyRecorded(ctx context.Context, a forms.Administration) (forms.Administration, bool, error)
	DoseConflicts(ctx context.Context, patientID string) ([]forms.DoseClash, error)
	DoseWarnings(ctx context.Context, patientID, orderID string, dose forms.Quantity, at time.Time) ([]forms.DoseWarning, error)
	MedicineChart(ctx context.Context, patientID string, day, now time.Time) (store.MedicineChart, error)

	// Beds, capacity and handover.

	Wards(ctx context.Context) ([]forms.Ward, error)
	BedBoard(ctx context.Context, wardID string) (forms.WardBoard, error)
	BedConflicts(ctx context.Context) ([]forms.BedConflict, error)
	SiteCapacity(ctx context.Context) ([]forms.WardCapacity, forms.WardSummary, error)
	Sitrep(ctx context.Context, date time.Time) (forms.SitrepReport, error)
	PatientHandover(ctx context.Context, patientID string, shiftEnd time.Time) (store.Handover, error)

	// Pharmacy and custom forms.

	CDRegister(ctx context.Context, p forms.CDProduct, location string) ([]forms.CDLine, error)
	CDRegisters(ctx context.Context) ([]string, error)
	PlanProgress(ctx context.Context, plan forms.ContinuityPlan) ([]forms.PhaseProgress, error)
	Supplies(ctx context.Context) ([]forms.PharmacySupply, error)
	Stock(ctx context.Context) ([]forms.StockLevel, error)
	FormSubmissions(ctx context.Context, patientID string) ([]store.Record, error)

	// IT admin: users, devices, audit.

	NewUser(ctx context.Context, s *store.Session, name string, role lifeboat.Role, pin string) (store.User, error)
	NewAdmin(ctx context.Context, s *store.Session, name, pin, passphrase string) (store.User, error)
	UnlockAdmin(ctx context.Context, s *store.Session, passphrase string) error
	AuthorityReview(ctx context.Context) ([]store.AuthorityFlag, error)
	RecordReview(ctx context.Context) ([]store.RecordFlag, error)
	SetUserActive(ctx context.Context, s *store.Session, userID string, active bool) error
	Device(ctx context.Context) (string, error)
	Devices(ctx context.Context) ([]lifeboat.Device, error)
	KeyRotations(ctx context.Context) ([]lifeboat.KeyRotation, error)
	Revoke(ctx context.Context, s *store.Session, device, reason string) error
	Admit(ctx context.Context, s *store.Session, pub ed25519.PublicKey, name string, scopes ...lifeboat.Scope) (store.Admission, error)
	// Subscription is what this device holds; Subscriptions what each
	// device holds, by device ID; SetDeviceScopes changes one (IT admin,
	// personal key open).
	Subscription(ctx context.Context) (lifeboat.Subscription, error)
	Subscriptions(ctx context.Context) (map[string]lifeboat.Subscription, error)
	SetDeviceScopes(ctx context.Context, s *store.Session, device string, sub lifeboat.Subscription) (lifeboat.Event, error)
	CanEnrol(ctx context.Context) error
	AuditLog(ctx context.Context, before int64, limit int) ([]store.AuditEntry, error)
	VerifyAudit(ctx context.Context) error

	// Sync review: events refused from peers and kept in quarantine, and
	// devices let in after a flood of corrections. Releasing, discarding
	// and letting in are IT admin only and audited.

	Quarantined(ctx context.Context) ([]lifeboat.Quarantined, error)
	ReleaseQuarantined(ctx context.Context, s *store.Session, id string) (*lifeboat.Refusal, error)
	DiscardQuarantined(ctx context.Context, s *store.Session, id, reason string) error
	RecordRelease(ctx context.Context, s *store.Session, device string) error

	// Device check: where the store is, its keys, a full verification.

	Path() string
	SiteKeys(ctx context.Context) ([][]byte, error)
	Verify(ctx context.Context) (store.VerifyReport, error)
	VersionVector(ctx context.Context) (map[string]uint64, error)

	// Subscribe registers ch for a non-blocking signal after every
	// committed change; the UI reloads the screens on show.
	Subscribe(ch chan<- struct{})
}
