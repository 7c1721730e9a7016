package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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
	// Problems are the hard problems of a set this device would have
	// refused (an impossible reading): another device recorded it, so it
	// is kept and flagged (see RecordReview). Nil for a set that passes.
	Problems forms.Problems
}

// observationsView only checks observation sets: a chart is read from
// the log itself (Observations), so recording or receiving a set writes
// nothing beyond its event row.
var observationsView = &projector{
	name:           "observations",
	kinds:          []string{forms.KindObsRecorded},
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
}

// Observations returns a patient's observation chart, oldest first,
// including amended and entered-in-error sets (their Status says so; a
// chart shows them struck through rather than hiding them).
func (db *DB) Observations(ctx context.Context, patientID string) ([]ObsView, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	// One statement, so one snapshot: the patient's sets, then the events
	// correcting any of them (an amendment is itself a set, so it is in
	// both parts).
	// A merged patient's observations read as the survivor's.
	ids, err := patientIDs(ctx, db.sql, aead, patientID)
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	args := []any{forms.KindObsRecorded}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT 0, id, device, seq, kind, sealed, opened, '', 0, 0 FROM events WHERE kind = ?1 AND subject IN (`+numbered(2, len(ids))+`)
		UNION ALL
		SELECT 1, id, device, seq, kind, NULL, NULL, corrects, hlc_wall, hlc_logical FROM events
		WHERE corrects <> '' AND corrects IN (SELECT id FROM events WHERE kind = ?1 AND subject IN (`+numbered(2, len(ids))+`))`,
		args...)
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	defer rows.Close()
	var sets []lifeboat.Event
	fixes := map[string][]corrector{}
	for rows.Next() {
		var part, seq int64
		var id, device, kind, corrects string
		var sealed, opened []byte
		var c corrector
		if err := rows.Scan(&part, &id, &device, &seq, &kind, &sealed, &opened, &corrects, &c.hlc.Wall, &c.hlc.Logical); err != nil {
			return nil, fmt.Errorf("read observations: %w", err)
		}
		if part == 1 {
			c.id, c.kind, c.device = id, kind, device
			fixes[corrects] = append(fixes[corrects], c)
			continue
		}
		e, err := decodeSealed(aead, id, device, seq, kind, sealed, opened)
		if err != nil {
			return nil, fmt.Errorf("read observations %s: %w", id, err)
		}
		if e.Sealed != nil && e.Payload == nil {
			continue // not readable on this device
		}
		sets = append(sets, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	out := make([]ObsView, 0, len(sets))
	for _, e := range sets {
		var o forms.Observations
		if err := json.Unmarshal(e.Payload, &o); err != nil {
			return nil, fmt.Errorf("read observations %s: %w", e.ID, lifeboat.ErrCorrupt)
		}
		cs := fixes[e.ID]
		sort.Slice(cs, func(i, j int) bool { return cs[i].before(cs[j]) })
		status, by := correctionStatus(e.Kind, cs)
		out = append(out, ObsView{EventID: e.ID, PatientID: e.Subject, PerformedAt: e.PerformedAt, RecordedAt: e.RecordedAt,
			Author: e.Author, Device: e.Device, Status: status, CorrectedBy: by, Obs: o, Problems: contentRules[e.Kind](&e)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].PerformedAt.UnixMilli(), out[j].PerformedAt.UnixMilli()
		return a < b || a == b && out[i].EventID < out[j].EventID
	})
	return out, nil
}
