package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"lifeboat"
	"lifeboat/forms"
)

// contentRules are the rules of a record's own content that this device
// enforces on what it records, whatever screen or command made it (defence
// in depth: the forms check first, the store refuses what slips past
// them). A local append that breaks one is refused with ErrInvalid and
// nothing is written. A peer's record that breaks one is kept (refusing it
// would lose what another device recorded, perhaps on an older Lifeboat)
// and listed by RecordReview for a person to check. Each rule reads the
// payload and the time it was recorded only, so every device flags the
// same records.
var contentRules = map[string]func(e *lifeboat.Event) forms.Problems{
	// Physiologically impossible readings, an empty set, a diastolic
	// pressure not below the systolic: the NEWS2 score would be wrong.
	forms.KindObsRecorded: func(e *lifeboat.Event) forms.Problems {
		var o forms.Observations
		if json.Unmarshal(e.Payload, &o) != nil {
			return nil // the view's check refuses what does not decode
		}
		return forms.ValidateObservations(o).Hard()
	},
	// An NHS number that fails its check digit is a mistyped number: it
	// would match the wrong patient, or none, in the core system.
	forms.KindPatientRegistered: func(e *lifeboat.Event) forms.Problems {
		var p forms.Patient
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil
		}
		return forms.ValidatePatient(p, e.RecordedAt).For("nhs_number").Hard()
	},
}

// checkContent refuses a local record that breaks its kind's content rule.
func checkContent(e *lifeboat.Event) error {
	rule, ok := contentRules[e.Kind]
	if !ok {
		return nil
	}
	if ps := rule(e); len(ps) > 0 {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, ps)
	}
	return nil
}

// RecordFlag is a record that stands although it breaks a rule this device
// enforces on its own records (an impossible observation, an NHS number
// that fails its check digit): it came from another device, which did not
// check it. A person should check it and correct it or mark it entered in
// error. Problems are in plain words and may hold patient details: show
// them, never log them.
type RecordFlag struct {
	EventID  string
	Kind     string
	Subject  string // the patient
	Device   string // the device it was recorded on
	Problems forms.Problems
}

// RecordReview lists the records that break a content rule and have not
// been corrected (amended or entered in error), oldest first. Every device
// holding the same records lists the same flags. The store must be
// unlocked.
func (db *DB) RecordReview(ctx context.Context) ([]RecordFlag, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, fmt.Errorf("record review: %w", err)
	}
	kinds := make([]string, 0, len(contentRules))
	for k := range contentRules {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	in := "(?" + strings.Repeat(",?", len(kinds)-1) + ")"
	corrected, err := correctedIDs(ctx, db.sql, "SELECT DISTINCT corrects FROM events WHERE corrects IN (SELECT id FROM events WHERE kind IN "+in+")", args...)
	if err != nil {
		return nil, fmt.Errorf("record review: %w", err)
	}
	evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE kind IN "+in+" ORDER BY hlc_wall, hlc_logical, device", args...)
	if err != nil {
		return nil, fmt.Errorf("record review: %w", err)
	}
	var out []RecordFlag
	for i := range evs {
		e := &evs[i]
		if corrected[e.ID] {
			continue
		}
		if ps := contentRules[e.Kind](e); len(ps) > 0 {
			out = append(out, RecordFlag{EventID: e.ID, Kind: e.Kind, Subject: e.Subject, Device: e.Device, Problems: ps})
		}
	}
	return out, nil
}
