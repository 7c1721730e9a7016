package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Allergies returns what is recorded of a patient's allergies: the newest
// standing record of each allergy (active ones first, then by substance)
// and whether "no known allergies" stands. An active allergy recorded after
// "no known allergies" outranks it; "no known allergies" recorded after an
// allergy does not hide it (the allergy must be corrected itself).
func (db *DB) Allergies(ctx context.Context, patientID string) (forms.AllergyList, error) {
	var l forms.AllergyList
	rs, err := db.Records(ctx, forms.KindAllergyRecorded, patientID)
	if err != nil {
		return l, fmt.Errorf("read allergies: %w", err)
	}
	byID := map[string]int{}
	for _, r := range rs { // oldest first: a newer record of an ID replaces the older
		if !r.Final() {
			continue
		}
		var a forms.Allergy
		if err := json.Unmarshal(r.Payload, &a); err != nil {
			return l, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		if i, ok := byID[a.ID]; ok {
			l.Allergies[i] = a
			continue
		}
		byID[a.ID] = len(l.Allergies)
		l.Allergies = append(l.Allergies, a)
	}
	nk, err := db.Records(ctx, forms.KindAllergyNoneKnown, patientID)
	if err != nil {
		return l, fmt.Errorf("read allergies: %w", err)
	}
	for _, r := range nk {
		if r.Final() {
			l.NoneKnown = true
		}
	}
	if len(l.Active()) > 0 {
		l.NoneKnown = false
	}
	slices.SortStableFunc(l.Allergies, func(a, b forms.Allergy) int {
		if (a.Status == forms.AllergyActive) != (b.Status == forms.AllergyActive) {
			if a.Status == forms.AllergyActive {
				return -1
			}
			return 1
		}
		return 0
	})
	return l, nil
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
