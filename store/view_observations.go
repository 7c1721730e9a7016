package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// ObsView is one observation set on a patient's chart.
type ObsView struct {
	EventID     string
	PatientID   string
	PerformedAt time.Time
	RecordedAt  time.Time
	Author      string // user ID
	Device      string
	Status      string // final, amended or entered-in-error
	CorrectedBy string // the event that amended or cancelled it
	Obs         forms.Observations
}

// obsHead is the envelope part of a sealed observation row.
type obsHead struct {
	EventID     string    `json:"event_id"`
	PatientID   string    `json:"patient_id"`
	PerformedAt time.Time `json:"performed_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Author      string    `json:"author"`
	Device      string    `json:"device"`
}

var observationsView = &projector{
	name:           "observations",
	kinds:          []string{forms.KindObsRecorded},
	tables:         []string{"p_observations"},
	patientSubject: func(string) bool { return true },
	check: func(e *lifeboat.Event) error {
		var o forms.Observations // decoded whole: a chart must never hold a set it cannot read
		if err := decodePayload(e, &o); err != nil {
			return err
		}
		if o.PatientID == "" || o.PatientID != e.Subject {
			return fmt.Errorf("the patient in the observations does not match its subject: %w", lifeboat.ErrInvalid)
		}
		return nil
	},
	row: observationRow,
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		r, err := t.row("observations", observationRow, e)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `INSERT INTO p_observations (event_id, patient_id, performed_at, status, corrected_by, sealed)
			VALUES (?, ?, ?, ?, '', ?) ON CONFLICT (event_id) DO NOTHING`,
			e.ID, e.Subject, e.PerformedAt.UnixMilli(), StatusFinal, r.sealed)
		return err
	},
	correct: func(ctx context.Context, t *txn, target *lifeboat.Event, status, by string) error {
		_, err := t.tx.ExecContext(ctx, "UPDATE p_observations SET status = ?, corrected_by = ? WHERE event_id = ?", status, by, target.ID)
		return err
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		return digestRows(ctx, t, "p_observations",
			"SELECT event_id, patient_id, performed_at, status, corrected_by, sealed FROM p_observations ORDER BY event_id", w)
	},
}

// observationRow seals a chart row: the envelope fields and the payload
// as recorded (check has already decoded it, so it is valid JSON).
func observationRow(aead cipherAEAD, e *lifeboat.Event) (viewRow, error) {
	head, err := json.Marshal(obsHead{EventID: e.ID, PatientID: e.Subject, PerformedAt: e.PerformedAt, RecordedAt: e.RecordedAt, Author: e.Author, Device: e.Device})
	if err != nil {
		return viewRow{}, err
	}
	plain := make([]byte, 0, len(head)+len(e.Payload)+16)
	plain = append(plain, `{"head":`...)
	plain = append(plain, head...)
	plain = append(plain, `,"obs":`...)
	plain = append(plain, e.Payload...)
	plain = append(plain, '}')
	return viewRow{sealed: seal(aead, plain, ad("p_observations", e.ID))}, nil
}

// Observations returns a patient's observation chart, oldest first,
// including amended and entered-in-error sets (their Status says so; a
// chart shows them struck through rather than hiding them).
func (db *DB) Observations(ctx context.Context, patientID string) ([]ObsView, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT event_id, status, corrected_by, sealed FROM p_observations
		WHERE patient_id = ? ORDER BY performed_at, event_id`, patientID)
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	defer rows.Close()
	var out []ObsView
	for rows.Next() {
		var id, status, by string
		var sealed []byte
		if err := rows.Scan(&id, &status, &by, &sealed); err != nil {
			return nil, fmt.Errorf("read observations: %w", err)
		}
		plain, err := open(aead, sealed, ad("p_observations", id))
		if err != nil {
			return nil, fmt.Errorf("read observations %s: %w", id, err)
		}
		var row struct {
			Head obsHead            `json:"head"`
			Obs  forms.Observations `json:"obs"`
		}
		if err := json.Unmarshal(plain, &row); err != nil {
			return nil, fmt.Errorf("read observations %s: %w", id, lifeboat.ErrCorrupt)
		}
		h := row.Head
		v := ObsView{EventID: h.EventID, PatientID: h.PatientID, PerformedAt: h.PerformedAt, RecordedAt: h.RecordedAt,
			Author: h.Author, Device: h.Device, Status: status, CorrectedBy: by, Obs: row.Obs}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	return out, nil
}
