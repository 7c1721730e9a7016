package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Allergies returns what is recorded of a patient's allergies: the newest
// standing record of each allergy (active ones first) and whether "no
// known allergies" stands (forms.ResolveAllergies: an allergy recorded
// after "no known allergies" outranks it; "no known allergies" recorded
// while an allergy is active does not hide it).
func (db *DB) Allergies(ctx context.Context, patientID string) (forms.AllergyList, error) {
	l, _, err := db.AllergyRecords(ctx, patientID)
	return l, err
}

// AllergyRecords is Allergies with the record that holds each allergy:
// recs[i] is the standing record of l.Allergies[i] (its EventID is what a
// correction names in Corrects, or EnterInError cancels).
func (db *DB) AllergyRecords(ctx context.Context, patientID string) (l forms.AllergyList, recs []Record, err error) {
	as, err := db.Records(ctx, forms.KindAllergyRecorded, patientID)
	if err != nil {
		return l, nil, fmt.Errorf("read allergies: %w", err)
	}
	nk, err := db.Records(ctx, forms.KindAllergyNoneKnown, patientID)
	if err != nil {
		return l, nil, fmt.Errorf("read allergies: %w", err)
	}
	// Both kinds in one clock order (each list is oldest first).
	var entries []forms.AllergyEntry
	byEvent := map[string]Record{}
	for len(as) > 0 || len(nk) > 0 {
		var r Record
		if len(nk) == 0 || len(as) > 0 && as[0].HLC.Compare(nk[0].HLC) <= 0 {
			r, as = as[0], as[1:]
		} else {
			r, nk = nk[0], nk[1:]
		}
		if !r.Final() {
			continue
		}
		if r.Kind == forms.KindAllergyNoneKnown {
			entries = append(entries, forms.AllergyEntry{})
			continue
		}
		var a forms.Allergy
		if err := json.Unmarshal(r.Payload, &a); err != nil {
			return l, nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		entries = append(entries, forms.AllergyEntry{Allergy: &a})
		byEvent[a.ID] = r // oldest first: the newest record of an ID is kept
	}
	l = forms.ResolveAllergies(entries)
	recs = make([]Record, len(l.Allergies))
	for i, a := range l.Allergies {
		recs[i] = byEvent[a.ID]
	}
	return l, recs, nil
}

// LatestWeight returns a patient's most recently measured standing weight,
// with MeasuredAt filled in (the record's performed_at when the payload has
// none); ok is false when no weight is recorded.
func (db *DB) LatestWeight(ctx context.Context, patientID string) (w forms.Weight, ok bool, err error) {
	rs, err := db.Records(ctx, forms.KindWeightRecorded, patientID)
	if err != nil {
		return w, false, fmt.Errorf("read weight: %w", err)
	}
	var best time.Time
	for _, r := range rs {
		if !r.Final() {
			continue
		}
		var x forms.Weight
		if err := json.Unmarshal(r.Payload, &x); err != nil {
			return w, false, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		if x.MeasuredAt.IsZero() {
			x.MeasuredAt = r.PerformedAt
		}
		if !ok || !x.MeasuredAt.Before(best) {
			w, best, ok = x, x.MeasuredAt, true
		}
	}
	return w, ok, nil
}

// validateWeight refuses a local weight measured after it was recorded
// (beyond the clock skew a performed time may have).
func validateWeight(e *lifeboat.Event) error {
	var w forms.Weight
	if err := decodePayload(e, &w); err != nil {
		return err
	}
	if ps := w.ValidateAt(e.RecordedAt.Add(MaxFutureSkew)).Hard(); len(ps) > 0 {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, ps)
	}
	return nil
}
