package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

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

// contentVerdicts remembers, by event ID, whether an event breaks its
// kind's content rule: an event never changes, so neither does its verdict,
// and RecordReview decrypts each event once, not on every call. It holds
// event IDs only (readable while locked anyway), no patient data.
type contentVerdicts struct {
	mu     sync.Mutex
	breaks map[string]bool
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
	kinds := make([]any, 0, len(contentRules))
	for k := range contentRules {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	ids, err := reviewIDs(ctx, db.sql, "SELECT id FROM events WHERE kind IN ("+inList(len(kinds))+") ORDER BY hlc_wall, hlc_logical, device", kinds...)
	if err != nil {
		return nil, fmt.Errorf("record review: %w", err)
	}
	v := &db.content
	v.mu.Lock() // one review at a time: the verdicts are filled in below
	defer v.mu.Unlock()
	if v.breaks == nil {
		v.breaks = map[string]bool{}
	}
	var unchecked []string
	for _, id := range ids {
		if _, ok := v.breaks[id]; !ok {
			unchecked = append(unchecked, id)
		}
	}
	for _, e := range idChunks(unchecked) {
		evs, err := eventsByID(ctx, db, aead, e)
		if err != nil {
			return nil, fmt.Errorf("record review: %w", err)
		}
		for i := range evs {
			v.breaks[evs[i].ID] = len(contentRules[evs[i].Kind](&evs[i])) > 0
		}
	}
	var broken []string
	for _, id := range ids {
		if v.breaks[id] {
			broken = append(broken, id)
		}
	}
	var out []RecordFlag
	for _, part := range idChunks(broken) {
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		corrected, err := correctedIDs(ctx, db.sql, "SELECT DISTINCT corrects FROM events WHERE corrects IN ("+inList(len(part))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("record review: %w", err)
		}
		evs, err := eventsByID(ctx, db, aead, part)
		if err != nil {
			return nil, fmt.Errorf("record review: %w", err)
		}
		for i := range evs {
			e := &evs[i]
			if corrected[e.ID] {
				continue
			}
			out = append(out, RecordFlag{EventID: e.ID, Kind: e.Kind, Subject: e.Subject, Device: e.Device, Problems: contentRules[e.Kind](e)})
		}
	}
	return out, nil
}

// reviewChunk bounds the IDs in one IN (...) list.
const reviewChunk = 500

// idChunks splits ids into lists of at most reviewChunk.
func idChunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > 0 {
		n := min(len(ids), reviewChunk)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// inList is "(?,?,...)" for n values.
// eventsByID reads and opens the events named, in clock order.
func eventsByID(ctx context.Context, db *DB, aead cipherAEAD, ids []string) ([]lifeboat.Event, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return queryEvents(ctx, db.sql, aead, eventCols+"WHERE id IN ("+inList(len(ids))+") ORDER BY hlc_wall, hlc_logical, device", args...)
}

// reviewIDs runs a query of one text column.
func reviewIDs(ctx context.Context, x execer, query string, args ...any) ([]string, error) {
	rows, err := x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
