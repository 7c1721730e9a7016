package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lifeboat"
	"lifeboat/forms"
)

// Arrival is a patient arriving during downtime, as entered on the
// new-arrival form or `lifeboat patient add`.
type Arrival struct {
	Patient forms.Patient // ID and TempID are assigned by RegisterArrival
	Ward    string        // the ward they are admitted to (required)
	Bed     string        // a free bed on it, or ""
	Reason  string
	// NotDuplicate says a person looked at the possible duplicates and
	// this is someone else. It never overrides the same NHS number.
	NotDuplicate bool
}

// Candidate is a live record that may be the same person as an arrival.
type Candidate struct {
	Patient PatientView
	Reason  string // forms.DuplicateReason, e.g. "same date of birth and similar name"
}

// DuplicateError stops a registration because the person may already
// have a record: open it instead. SameNHS is set when a live record holds
// the arrival's NHS number, which is always refused (never two live
// records with one NHS number); otherwise the candidates can be passed by
// registering again with NotDuplicate.
type DuplicateError struct {
	SameNHS    *PatientView
	Candidates []Candidate
}

func (e *DuplicateError) Error() string {
	if e.SameNHS != nil {
		return "register patient: the NHS number is already held by another record"
	}
	return fmt.Sprintf("register patient: %d possible duplicate records", len(e.Candidates))
}

// Unwrap makes a DuplicateError a lifeboat.ErrConflict.
func (e *DuplicateError) Unwrap() error { return lifeboat.ErrConflict }

// PossibleDuplicates returns the live records that may be the same person
// as p (forms.DuplicateReason: same NHS number or temporary ID, a similar
// name with the same date of birth or one with day and month swapped),
// each with its reason. Records merged into another are left out; their
// survivor is found through its own details.
func (db *DB) PossibleDuplicates(ctx context.Context, p forms.Patient) ([]Candidate, error) {
	all, err := db.Patients(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("check duplicates: %w", err)
	}
	p = forms.NormalizePatient(p)
	var out []Candidate
	for _, v := range all {
		if !v.Live() || (p.ID != "" && v.ID == p.ID) {
			continue
		}
		if why := forms.DuplicateReason(p, v.Patient); why != "" {
			out = append(out, Candidate{Patient: v, Reason: why})
			continue
		}
		for _, m := range v.Merged { // a merged record's own details
			if why := forms.DuplicateReason(p, m); why != "" {
				out = append(out, Candidate{Patient: v, Reason: why})
				break
			}
		}
	}
	return out, nil
}

// RegisterArrival records a new patient and admits them to a ward in one
// append (patient.registered and patient.admitted together, or neither).
// The details are normalised and checked (forms.ValidatePatient: hard
// problems come back as forms.Problems wrapping ErrInvalid). Without an
// NHS number the patient gets this device's next temporary ID (NewTempID),
// allocated only once everything else passed. A live record with the same
// NHS number refuses the registration; possible duplicates refuse it
// unless a.NotDuplicate (both as *DuplicateError). It returns the patient
// as recorded.
func (db *DB) RegisterArrival(ctx context.Context, s *Session, a Arrival, at time.Time) (forms.Patient, error) {
	p := forms.NormalizePatient(a.Patient)
	p.ID, p.TempID = "", ""
	check := p
	if p.NHSNumber == "" {
		check.TempID = forms.FormatTempID("CHECK", 1) // a placeholder: the real one is allocated below
	}
	if ps := forms.ValidatePatient(check, at).Hard(); len(ps) > 0 {
		return forms.Patient{}, fmt.Errorf("register patient: %w", ps)
	}
	if a.Ward == "" {
		return forms.Patient{}, fmt.Errorf("register patient: choose the ward: %w", lifeboat.ErrInvalid)
	}
	cands, err := db.PossibleDuplicates(ctx, p)
	if err != nil {
		return forms.Patient{}, fmt.Errorf("register patient: %w", err)
	}
	var dup DuplicateError
	for _, c := range cands {
		if p.NHSNumber != "" && c.Patient.NHSNumber == p.NHSNumber {
			v := c.Patient
			dup.SameNHS = &v
		}
	}
	if dup.SameNHS != nil || (len(cands) > 0 && !a.NotDuplicate) {
		dup.Candidates = cands
		return forms.Patient{}, &dup
	}
	if p.NHSNumber == "" {
		if p.TempID, err = db.NewTempID(ctx); err != nil {
			return forms.Patient{}, fmt.Errorf("register patient: %w", err)
		}
	}
	p.ID = uuid.Must(uuid.NewV7()).String()
	drafts := []Draft{
		{Kind: forms.KindPatientRegistered, Subject: p.ID, PerformedAt: at, Payload: p},
		{Kind: forms.KindPatientAdmitted, Subject: p.ID, PerformedAt: at,
			Payload: forms.Admission{PatientID: p.ID, Ward: a.Ward, Bed: a.Bed, Reason: a.Reason}},
	}
	if _, err := db.AppendAll(ctx, s, drafts); err != nil {
		return forms.Patient{}, fmt.Errorf("register patient: %w", err)
	}
	return p, nil
}
