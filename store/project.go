package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"lifeboat"
)

// A projector keeps one view derived from the log. apply must give the
// same rows whatever order events arrive in (peers deliver out of order),
// so that Rebuild, which replays in clock order, gives identical results.
type projector struct {
	name   string
	kinds  []string // kinds it consumes; a trailing "*" matches a prefix
	tables []string // tables it owns, cleared by Rebuild
	// clear empties the view before a rebuild (default: DELETE FROM tables).
	clear func(ctx context.Context, t *txn) error
	// patientSubject: locally recorded events of these kinds must be about
	// a registered patient (peers' events may arrive before the patient).
	patientSubject func(kind string) bool
	// validate adds the clinical rules a locally recorded event must pass
	// (peers' events are kept even if their rules differed: refusing them
	// would lose what another device recorded).
	validate func(ctx context.Context, t *txn, e *lifeboat.Event) error
	// check validates an event's payload before it is written.
	check func(e *lifeboat.Event) error
	// row, if set, builds the row apply writes for an event: work that
	// needs no database (decoding, encoding, sealing). ApplyRemote builds
	// the rows of a whole batch on all CPUs before its transaction, and
	// apply takes them with t.row.
	row func(aead cipherAEAD, e *lifeboat.Event) (viewRow, error)
	// apply projects an event (nil for a view read from the log itself).
	apply func(ctx context.Context, t *txn, e *lifeboat.Event) error
	// correct records that target is now amended or entered in error
	// (status from correctionStatus); nil if the view ignores corrections.
	correct func(ctx context.Context, t *txn, target *lifeboat.Event, status, by string) error
	// digest writes the view's decrypted rows in a fixed order (nil if it
	// has no rows of its own).
	digest func(ctx context.Context, t *txn, w func(row ...any)) error
}

// viewRow is what a projector's row builds for one event.
type viewRow struct {
	subject, key string
	sealed       []byte
}

// row returns the row the view named builds for e with build (its
// projector's row): the one prepared for the batch, or a new one.
func (t *txn) row(view string, build func(cipherAEAD, *lifeboat.Event) (viewRow, error), e *lifeboat.Event) (viewRow, error) {
	if r, ok := t.rows[rowKey{view, e}]; ok {
		delete(t.rows, rowKey{view, e}) // used once: let it go before the batch ends
		return r, nil
	}
	return build(t.aead, e)
}

// rowKey names a prepared row: the projector and the event (by address,
// as ApplyRemote passes it).
type rowKey struct {
	view string
	e    *lifeboat.Event
}

// projectors lists every view. Workflows add theirs here.
var projectors = []*projector{devicesView, scopesView, scopeKeysView, handoffView, usersView, patientsView, observationsView, recordsView}

// projectorsFor returns the views that consume kind.
func projectorsFor(kind string) []*projector {
	var out []*projector
	for _, p := range projectors {
		for _, k := range p.kinds {
			if k == kind || (strings.HasSuffix(k, "*") && strings.HasPrefix(kind, strings.TrimSuffix(k, "*"))) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// checkPayload validates an event's payload for its kind. Unknown kinds
// (from a newer Lifeboat) need only be a JSON object.
func checkPayload(e *lifeboat.Event) error {
	ps := projectorsFor(e.Kind)
	// A projector's check decodes the payload, which validates it; only
	// kinds without one need the separate scan.
	if len(e.Payload) == 0 || e.Payload[0] != '{' || (len(ps) == 0 && !json.Valid(e.Payload)) {
		return fmt.Errorf("payload of %s is not a JSON object: %w", e.Kind, lifeboat.ErrInvalid)
	}
	if e.Kind == lifeboat.KindEnteredInError {
		var p lifeboat.EnteredInError
		if err := json.Unmarshal(e.Payload, &p); err != nil || strings.TrimSpace(p.Reason) == "" || e.Corrects == "" {
			return fmt.Errorf("an entered-in-error record needs the record it cancels and a reason: %w", lifeboat.ErrInvalid)
		}
	}
	if err := checkKeyEvent(e); err != nil {
		return fmt.Errorf("%s: %w", e.Kind, err)
	}
	for _, p := range ps {
		if p.check == nil {
			continue
		}
		if err := p.check(e); err != nil {
			return fmt.Errorf("%s: %w", e.Kind, err)
		}
	}
	return nil
}

// checkLocal adds the checks only a local append can make: the content
// rules (contentRules) and each view's patient and clinical checks.
func (t *txn) checkLocal(ctx context.Context, e *lifeboat.Event) error {
	if err := checkContent(e); err != nil {
		return fmt.Errorf("%s: %w", e.Kind, err)
	}
	for _, p := range projectorsFor(e.Kind) {
		if p.patientSubject != nil && p.patientSubject(e.Kind) {
			var one int
			err := t.QueryRowContext(ctx, "SELECT 1 FROM p_patients WHERE id = ?", e.Subject).Scan(&one)
			if isNoRows(err) {
				return fmt.Errorf("%s: no such patient: %w", e.Kind, lifeboat.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		if p.validate != nil {
			if err := p.validate(ctx, t, e); err != nil {
				return fmt.Errorf("%s: %w", e.Kind, err)
			}
		}
	}
	return nil
}

// decodePayload unmarshals a payload, wrapping failures as invalid.
func decodePayload(e *lifeboat.Event, v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("payload of %s: %w: %w", e.Kind, lifeboat.ErrInvalid, err)
	}
	return nil
}

// project updates every view for a newly written event.
func (t *txn) project(ctx context.Context, e *lifeboat.Event) error {
	if e.Sealed != nil && e.Payload == nil {
		return nil // sealed, and this device holds no key to it (yet): see openUnread
	}
	if e.Corrects != "" {
		target, ok, err := t.event(ctx, e.Corrects)
		if err != nil {
			return err
		}
		if ok {
			if err := t.refreshCorrections(ctx, &target); err != nil {
				return err
			}
		}
	}
	for _, p := range projectorsFor(e.Kind) {
		if p.apply == nil {
			continue
		}
		if err := p.apply(ctx, t, e); err != nil {
			return fmt.Errorf("project %s: %w", e.Kind, err)
		}
	}
	// Corrections can arrive before the record they correct.
	return t.refreshCorrections(ctx, e)
}

func (t *txn) refreshCorrections(ctx context.Context, target *lifeboat.Event) error {
	if t.corrected != nil && !t.corrected(target.ID) {
		return nil
	}
	if target.Sealed != nil && target.Payload == nil {
		return nil // not readable here (yet): its corrections count when it opens
	}
	var cs []corrector
	for i, p := range projectorsFor(target.Kind) {
		if p.correct == nil {
			continue
		}
		if i == 0 || cs == nil {
			var err error
			if cs, err = correctors(ctx, t, target.ID); err != nil {
				return err
			}
			if len(cs) == 0 {
				return nil
			}
		}
		status, by := correctionStatus(target.Kind, cs)
		if err := p.correct(ctx, t, target, status, by); err != nil {
			return fmt.Errorf("project correction of %s: %w", target.ID, err)
		}
	}
	return nil
}

// Rebuild empties every view and replays the whole log into it, in one
// transaction. Views are derived data: this loses nothing.
func (db *DB) Rebuild(ctx context.Context) error {
	aead, err := db.keys()
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer tx.Rollback()
	t := &txn{tx: tx, aead: aead, db: db}
	if err := t.rebuild(ctx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	db.changed()
	return nil
}

// rebuild empties every view and replays the log into it, within t.
func (t *txn) rebuild(ctx context.Context) error {
	tx := t.tx
	corrected, err := correctedIDs(ctx, tx, "SELECT DISTINCT corrects FROM events WHERE corrects <> ''")
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	saved := t.corrected
	defer func() { t.corrected = saved }()
	t.corrected = func(id string) bool { return corrected[id] }
	for _, p := range projectors {
		if p.clear != nil {
			if err := p.clear(ctx, t); err != nil {
				return fmt.Errorf("rebuild %s: %w", p.name, err)
			}
			continue
		}
		for _, table := range p.tables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return fmt.Errorf("rebuild %s: %w", p.name, err)
			}
		}
	}
	// Page through the log in clock order, a page at a time, so memory
	// stays flat however long the log is.
	const page = 2000
	var after struct {
		wall, logical int64
		device        string
	}
	after.wall = -1
	for {
		evs, err := queryEvents(ctx, t, t.aead, eventCols+`WHERE (hlc_wall, hlc_logical, device) > (?, ?, ?)
			ORDER BY hlc_wall, hlc_logical, device LIMIT ?`, after.wall, after.logical, after.device, page)
		if err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		for i := range evs {
			if err := t.project(ctx, &evs[i]); err != nil {
				return fmt.Errorf("rebuild: event %s: %w", evs[i].ID, err)
			}
		}
		if len(evs) < page {
			break
		}
		last := evs[len(evs)-1]
		after.wall, after.logical, after.device = last.HLC.Wall, int64(last.HLC.Logical), last.Device
	}
	return nil
}

// ProjectionDigest hashes the decrypted contents of every view in a fixed
// order: equal digests mean equal views (ciphertexts differ by nonce).
func (db *DB) ProjectionDigest(ctx context.Context) (string, error) {
	aead, err := db.keys()
	if err != nil {
		return "", err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("digest views: %w", err)
	}
	defer tx.Rollback()
	t := &txn{tx: tx, aead: aead, db: db}
	h := sha256.New()
	for _, p := range projectors {
		if p.digest == nil {
			continue
		}
		fmt.Fprintf(h, "view %s\n", p.name)
		if err := p.digest(ctx, t, func(row ...any) { fmt.Fprintf(h, "%q\n", row) }); err != nil {
			return "", fmt.Errorf("digest %s: %w", p.name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// digestRows writes each row of query, opening the sealed last column
// with the AD built from the first column.
func digestRows(ctx context.Context, t *txn, table, query string, w func(row ...any)) error {
	rows, err := t.tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if sealed, ok := vals[len(vals)-1].([]byte); ok && cols[len(cols)-1] == "sealed" {
			plain, err := t.open(sealed, table, fmt.Sprint(vals[0]))
			if err != nil {
				return fmt.Errorf("%s row %v: %w", table, vals[0], err)
			}
			vals[len(vals)-1] = string(plain)
		}
		w(vals...)
	}
	return rows.Err()
}

// correctedIDs runs a query of event IDs into a set.
func correctedIDs(ctx context.Context, x execer, query string, args ...any) (map[string]bool, error) {
	rows, err := x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}
