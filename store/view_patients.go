package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Patient statuses in the patient list.
const (
	PatientRegistered = "registered" // known, not on a ward
	PatientAdmitted   = "admitted"
	PatientDischarged = "discharged"
	// PatientMerged is a record merged into another (MergedInto): its
	// events read as the survivor's, and it is off every list.
	PatientMerged = "merged"
)

// PatientView is a row of the patient list: the newest details and where
// the patient is now.
type PatientView struct {
	forms.Patient
	Status       string    `json:"status"`
	Ward         string    `json:"ward,omitempty"` // where they are now; empty once discharged
	Bed          string    `json:"bed,omitempty"`
	AdmittedAt   time.Time `json:"admitted_at,omitzero"`
	DischargedAt time.Time `json:"discharged_at,omitzero"`
	Updated      time.Time `json:"updated"` // performed time of the newest event
	// MergedInto is the survivor's ID when Status is PatientMerged.
	MergedInto string `json:"merged_into,omitempty"`
	// Merged are the records merged into this one, oldest first: their
	// IDs, NHS numbers and temporary IDs stay findable through it.
	Merged []forms.Patient `json:"merged,omitempty"`
}

// Live reports whether the record is a person's own (not merged away).
func (p PatientView) Live() bool { return p.Status != PatientMerged }

// KnownAs reports whether id is the record's own ID or one merged into it.
func (p PatientView) KnownAs(id string) bool {
	if p.ID == id {
		return true
	}
	for _, m := range p.Merged {
		if m.ID == id {
			return true
		}
	}
	return false
}

// LogValue keeps identifiers out of logs.
func (p PatientView) LogValue() string { return "patient " + p.ID }

var patientsView = &projector{
	name:           "patients",
	kinds:          []string{"patient.*"},
	tables:         []string{"p_patients"},
	patientSubject: func(kind string) bool { return kind != forms.KindPatientRegistered },
	check: func(e *lifeboat.Event) error {
		var id string
		switch e.Kind {
		case forms.KindPatientRegistered:
			var p forms.Patient
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			if strings.TrimSpace(p.Surname) == "" || strings.TrimSpace(p.Given) == "" || p.BirthDate == "" || (p.NHSNumber == "" && p.TempID == "") {
				return fmt.Errorf("a patient needs surname, first name, date of birth and an NHS number or temporary ID: %w", lifeboat.ErrInvalid)
			}
			id = p.ID
		case forms.KindPatientAdmitted:
			var p forms.Admission
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			if p.Ward == "" {
				return fmt.Errorf("an admission needs a ward: %w", lifeboat.ErrInvalid)
			}
			id = p.PatientID
		case forms.KindPatientTransferred:
			var p forms.Transfer
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			if p.Ward == "" {
				return fmt.Errorf("a transfer needs a ward: %w", lifeboat.ErrInvalid)
			}
			id = p.PatientID
		case forms.KindPatientDischarged:
			var p forms.Discharge
			if err := decodePayload(e, &p); err != nil {
				return err
			}
			id = p.PatientID
		case forms.KindPatientMerged:
			var m forms.PatientMerge
			if err := decodePayload(e, &m); err != nil {
				return err
			}
			if m.MergedID == "" || m.MergedID == m.SurvivorID {
				return fmt.Errorf("a merge needs two different records: %w", lifeboat.ErrInvalid)
			}
			id = m.SurvivorID
		default:
			return nil // a patient.* kind from a newer version
		}
		if id == "" || id != e.Subject {
			return fmt.Errorf("the patient in the record does not match its subject: %w", lifeboat.ErrInvalid)
		}
		return nil
	},
	validate: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		if e.Kind != forms.KindPatientMerged {
			return nil
		}
		return validateMerge(ctx, t, e)
	},
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		if e.Kind == forms.KindPatientMerged {
			return recomputeMerged(ctx, t)
		}
		return recomputePatient(ctx, t, e.Subject)
	},
	correct: func(ctx context.Context, t *txn, target *lifeboat.Event, _, _ string) error {
		if target.Kind == forms.KindPatientMerged {
			return recomputeMerged(ctx, t)
		}
		return recomputePatient(ctx, t, target.Subject)
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		return digestRows(ctx, t, "p_patients", "SELECT id, status, ward, bed, updated, sealed FROM p_patients ORDER BY id", w)
	},
}

// recomputePatient derives a patient's row from their history, skipping
// records entered in error: the newest registration gives the details,
// the newest admission, transfer or discharge gives where they are, and
// the newest admission gives when they came in. Deriving it from the
// history keeps it independent of the order events arrived in; each part
// walks back from the newest event of its kinds, so a long history costs
// a few reads. A record merged into another is marked so, and its
// survivor is recomputed: the survivor's stay is read across every record
// merged into it (an event recorded against the old ID on a device that
// had not yet heard of the merge still counts).
func recomputePatient(ctx context.Context, t *txn, id string) error {
	g, err := mergeGroups(ctx, t)
	if err != nil {
		return err
	}
	if root := g.root(id); root != id {
		if err := writePatient(ctx, t, id, g); err != nil {
			return err
		}
		return writePatient(ctx, t, root, g)
	}
	return writePatient(ctx, t, id, g)
}

// recomputeMerged rewrites the row of every patient named in a merge, after
// a merge is recorded or cancelled.
func recomputeMerged(ctx context.Context, t *txn) error {
	g, err := mergeGroups(ctx, t)
	if err != nil {
		return err
	}
	for _, id := range g.named {
		if err := writePatient(ctx, t, id, g); err != nil {
			return err
		}
	}
	return nil
}

func writePatient(ctx context.Context, t *txn, id string, g merges) error {
	var v PatientView
	reg, ok, err := newestStanding(ctx, t, []string{id}, forms.KindPatientRegistered)
	if err != nil {
		return err
	}
	if !ok {
		_, err := t.exec(ctx, "DELETE FROM p_patients WHERE id = ?", id)
		return err
	}
	if err := decodePayload(&reg, &v.Patient); err != nil {
		return err
	}
	v.Status, v.Updated = PatientRegistered, reg.PerformedAt
	ids := []string{id}
	if root := g.root(id); root != id {
		v.Status, v.MergedInto = PatientMerged, root
		return savePatient(ctx, t, id, v)
	}
	for _, m := range g.members(id) {
		mreg, ok, err := newestStanding(ctx, t, []string{m}, forms.KindPatientRegistered)
		if err != nil {
			return err
		}
		var mp forms.Patient
		if ok {
			if err := decodePayload(&mreg, &mp); err != nil {
				return err
			}
		}
		mp.ID = m
		v.Merged = append(v.Merged, mp)
		ids = append(ids, m)
	}
	moved, ok, err := newestStanding(ctx, t, ids, forms.KindPatientAdmitted, forms.KindPatientTransferred, forms.KindPatientDischarged)
	if err != nil {
		return err
	}
	if ok {
		if moved.HLC.Compare(reg.HLC) > 0 {
			v.Updated = moved.PerformedAt
		}
		switch moved.Kind {
		case forms.KindPatientDischarged:
			v.Status, v.DischargedAt = PatientDischarged, moved.PerformedAt
		case forms.KindPatientAdmitted:
			var a forms.Admission
			if err := decodePayload(&moved, &a); err != nil {
				return err
			}
			v.Status, v.Ward, v.Bed = PatientAdmitted, a.Ward, a.Bed
		default:
			var a forms.Transfer
			if err := decodePayload(&moved, &a); err != nil {
				return err
			}
			v.Status, v.Ward, v.Bed = PatientAdmitted, a.Ward, a.Bed
		}
	}
	if v.Status == PatientAdmitted {
		adm, ok, err := newestStanding(ctx, t, ids, forms.KindPatientAdmitted)
		if err != nil {
			return err
		}
		if ok {
			v.AdmittedAt = adm.PerformedAt
		}
	}
	return savePatient(ctx, t, id, v)
}

func savePatient(ctx context.Context, t *txn, id string, v PatientView) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO p_patients (id, status, ward, bed, updated, sealed) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, ward = excluded.ward, bed = excluded.bed,
		updated = excluded.updated, sealed = excluded.sealed`,
		id, v.Status, v.Ward, v.Bed, v.Updated.UnixMilli(), t.seal(plain, "p_patients", id))
	return err
}

// newestStanding returns the newest event of a subject, among kinds, that
// has not been entered in error.
func newestStanding(ctx context.Context, t *txn, subjects []string, kinds ...string) (lifeboat.Event, bool, error) {
	q := eventCols + "WHERE subject IN (?" + strings.Repeat(", ?", len(subjects)-1) + ") AND kind IN (?" + strings.Repeat(", ?", len(kinds)-1) + `)
		ORDER BY hlc_wall DESC, hlc_logical DESC, device DESC LIMIT ? OFFSET ?`
	const page = 8
	for offset := 0; ; offset += page {
		var args []any
		for _, s := range subjects {
			args = append(args, s)
		}
		for _, k := range kinds {
			args = append(args, k)
		}
		evs, err := queryEvents(ctx, t, t.aead, q, append(args, page, offset)...)
		if err != nil {
			return lifeboat.Event{}, false, err
		}
		for _, e := range evs {
			if e.Sealed != nil && e.Payload == nil {
				continue // not readable here (yet): projected when it opens
			}
			cs, err := correctors(ctx, t, e.ID)
			if err != nil {
				return lifeboat.Event{}, false, err
			}
			if st, _ := correctionStatus(e.Kind, cs); st != StatusEnteredInError {
				return e, true, nil
			}
		}
		if len(evs) < page {
			return lifeboat.Event{}, false, nil
		}
	}
}

// Patients returns the patient list (admitted first, by ward and bed).
// With ward set, only patients on that ward.
func (db *DB) Patients(ctx context.Context, ward string) ([]PatientView, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	q := "SELECT id, sealed FROM p_patients"
	args := []any{}
	if ward != "" {
		q += " WHERE ward = ?"
		args = append(args, ward)
	}
	q += " ORDER BY status = 'admitted' DESC, ward, bed, id"
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list patients: %w", err)
	}
	defer rows.Close()
	var out []PatientView
	for rows.Next() {
		var id string
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, fmt.Errorf("list patients: %w", err)
		}
		plain, err := open(aead, sealed, ad("p_patients", id))
		if err != nil {
			return nil, fmt.Errorf("list patients: %s: %w", id, err)
		}
		var v PatientView
		if err := json.Unmarshal(plain, &v); err != nil {
			return nil, fmt.Errorf("list patients: %s: %w", id, lifeboat.ErrCorrupt)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list patients: %w", err)
	}
	return out, nil
}

// Patient returns one patient's row, or ErrNotFound.
func (db *DB) Patient(ctx context.Context, id string) (PatientView, error) {
	aead, err := db.keys()
	if err != nil {
		return PatientView{}, err
	}
	var sealed []byte
	err = db.sql.QueryRowContext(ctx, "SELECT sealed FROM p_patients WHERE id = ?", id).Scan(&sealed)
	if isNoRows(err) {
		return PatientView{}, fmt.Errorf("patient %s: %w", id, lifeboat.ErrNotFound)
	}
	if err != nil {
		return PatientView{}, fmt.Errorf("read patient: %w", err)
	}
	plain, err := open(aead, sealed, ad("p_patients", id))
	if err != nil {
		return PatientView{}, fmt.Errorf("read patient %s: %w", id, err)
	}
	var v PatientView
	if err := json.Unmarshal(plain, &v); err != nil {
		return PatientView{}, fmt.Errorf("read patient %s: %w", id, lifeboat.ErrCorrupt)
	}
	return v, nil
}
