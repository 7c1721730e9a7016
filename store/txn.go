package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"lifeboat"
)

// txn is a write transaction with the keys to seal rows: what projections
// and the append paths work in.
type txn struct {
	tx   *sql.Tx
	aead cipherAEAD
	db   *DB
	// stmts caches prepared statements for the transaction's life: bulk
	// apply and rebuild run the same few statements thousands of times.
	stmts map[string]*sql.Stmt
	// corrected, if set, says whether any event might correct id; nil
	// means ask the database every time.
	corrected func(id string) bool
	// rows holds view rows built ahead of the transaction (see
	// projector.row).
	rows map[rowKey]viewRow
	// ahead, if set, refuses a remote event stamped too far ahead (see
	// aheadCheck).
	ahead func(e *lifeboat.Event) error
	// learnt names the scope keys this transaction handed to this device:
	// the records sealed under them are opened before it commits.
	learnt map[string]bool
	// heldTo caches, for holdsPast, how far this store held each chain
	// when last asked: every enrolment carries its admin's whole vector
	// (hundreds of chains at hospital scale). Chains only grow within a
	// transaction but for a revocation's cut, which empties it.
	heldTo map[string]uint64
}

func (t *txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

// exec runs a cached statement.
func (t *txn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// query runs a cached statement.
func (t *txn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// ExecContext, QueryContext and QueryRowContext make a txn an execer
// that uses cached statements.
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.exec(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.query(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

func (t *txn) seal(plain []byte, parts ...string) []byte { return seal(t.aead, plain, ad(parts...)) }

func (t *txn) open(sealed []byte, parts ...string) ([]byte, error) {
	return open(t.aead, sealed, ad(parts...))
}

// eventAD binds an event's ciphertext to its row.
func eventAD(id, device string, seq uint64, kind string) []byte {
	return ad("ev", id, device, strconv.FormatUint(seq, 10), kind)
}

// sealEvent encrypts an event's canonical encoding for its row.
func sealEvent(aead cipherAEAD, e *lifeboat.Event) []byte {
	return seal(aead, e.Encode(), eventAD(e.ID, e.Device, e.Seq, e.Kind))
}

// openedAD binds an opened payload's ciphertext to its event.
func openedAD(id string) []byte { return ad("opened", id) }

// sealOpened seals the opened payload of an event whose scope is sealed,
// for its row; nil when there is none (clear, or not readable here).
func sealOpened(aead cipherAEAD, e *lifeboat.Event) []byte {
	if e.Sealed == nil || e.Payload == nil {
		return nil
	}
	return seal(aead, e.Payload, openedAD(e.ID))
}

// insertEvent seals and writes one event row. It reports ErrConflict if
// the ID or (device, seq) is already taken.
func (t *txn) insertEvent(ctx context.Context, e *lifeboat.Event, h lifeboat.Hash) error {
	return t.insertSealed(ctx, e, h, sealEvent(t.aead, e), sealOpened(t.aead, e))
}

// insertSealed is insertEvent for a row already sealed by sealEvent and
// sealOpened. A sealed payload this device cannot open yet is listed in
// unread, by its key.
func (t *txn) insertSealed(ctx context.Context, e *lifeboat.Event, h lifeboat.Hash, sealed, opened []byte) error {
	if e.Sealed != nil && opened == nil {
		keyID, _ := sealedKeyID(e.Sealed)
		if _, err := t.exec(ctx, "INSERT OR IGNORE INTO unread (id, key_id) VALUES (?, ?)", e.ID, keyID); err != nil {
			return fmt.Errorf("write event %s: %w", e.ID, err)
		}
	}
	_, err := t.exec(ctx, `INSERT INTO events (id, device, seq, hlc_wall, hlc_logical, kind, subject, corrects, hash, prev, sealed, opened)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Device, int64(e.Seq), e.HLC.Wall, int64(e.HLC.Logical), e.Kind, e.Subject, e.Corrects, h[:], e.Prev[:], sealed, opened)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("event %s: id or sequence number already used: %w", e.ID, lifeboat.ErrConflict)
		}
		return fmt.Errorf("write event %s: %w", e.ID, err)
	}
	return nil
}

// decodeSealed opens an event row and checks the clear columns match what
// was signed. opened is the row's opened payload (nil for none): it
// becomes Payload of an event whose payload is sealed.
func decodeSealed(aead cipherAEAD, id, device string, seq int64, kind string, sealed, opened []byte) (lifeboat.Event, error) {
	plain, err := open(aead, sealed, eventAD(id, device, uint64(seq), kind))
	if err != nil {
		return lifeboat.Event{}, err
	}
	e, err := lifeboat.DecodeEvent(plain)
	if err != nil {
		return lifeboat.Event{}, err
	}
	if e.ID != id || e.Device != device || e.Seq != uint64(seq) || e.Kind != kind {
		return lifeboat.Event{}, fmt.Errorf("row columns differ from the signed event: %w", lifeboat.ErrCorrupt)
	}
	if opened != nil {
		if e.Sealed == nil {
			return lifeboat.Event{}, fmt.Errorf("an opened payload beside a clear one: %w", lifeboat.ErrCorrupt)
		}
		if e.Payload, err = open(aead, opened, openedAD(id)); err != nil {
			return lifeboat.Event{}, err
		}
	}
	return e, nil
}

// queryEvents runs a SELECT of (id, device, seq, kind, sealed, opened) and decrypts
// every row.
func queryEvents(ctx context.Context, x execer, aead cipherAEAD, query string, args ...any) ([]lifeboat.Event, error) {
	rows, err := x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []lifeboat.Event
	for rows.Next() {
		var id, device, kind string
		var seq int64
		var sealed, opened []byte
		if err := rows.Scan(&id, &device, &seq, &kind, &sealed, &opened); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e, err := decodeSealed(aead, id, device, seq, kind, sealed, opened)
		if err != nil {
			return nil, fmt.Errorf("read event %s/%d: %w", device, seq, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return out, nil
}

const eventCols = "SELECT id, device, seq, kind, sealed, opened FROM events "

// event reads one event by ID.
func (t *txn) event(ctx context.Context, id string) (lifeboat.Event, bool, error) {
	evs, err := queryEvents(ctx, t, t.aead, eventCols+"WHERE id = ?", id)
	if err != nil || len(evs) == 0 {
		return lifeboat.Event{}, false, err
	}
	return evs[0], true, nil
}

// corrector is an event that amends or cancels another.
type corrector struct {
	id, kind, device string
	hlc              lifeboat.HLC
}

// before orders correctors as correctors lists them: by clock, then device.
func (c corrector) before(d corrector) bool {
	if o := c.hlc.Compare(d.hlc); o != 0 {
		return o < 0
	}
	return c.device < d.device
}

// correctors lists the events whose Corrects names id, oldest first.
func correctors(ctx context.Context, x execer, id string) ([]corrector, error) {
	rows, err := x.QueryContext(ctx, "SELECT id, kind, device, hlc_wall, hlc_logical FROM events WHERE corrects = ? AND corrects <> '' ORDER BY hlc_wall, hlc_logical, device", id)
	if err != nil {
		return nil, fmt.Errorf("read corrections: %w", err)
	}
	defer rows.Close()
	var out []corrector
	for rows.Next() {
		var c corrector
		if err := rows.Scan(&c.id, &c.kind, &c.device, &c.hlc.Wall, &c.hlc.Logical); err != nil {
			return nil, fmt.Errorf("read corrections: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Record statuses a correction leads to.
const (
	StatusFinal          = "final"
	StatusAmended        = "amended"          // superseded by a newer version
	StatusEnteredInError = "entered-in-error" // cancelled
)

// correctionStatus decides a record's status from its correctors: entered
// in error beats amended; the newest corrector of that sort is named. The
// result does not depend on the order events arrived in.
func correctionStatus(kind string, cs []corrector) (status, by string) {
	status = StatusFinal
	for _, c := range cs {
		switch {
		case c.kind == lifeboat.KindEnteredInError:
			status, by = StatusEnteredInError, c.id
		case c.kind == kind && status != StatusEnteredInError:
			status, by = StatusAmended, c.id
		}
	}
	return status, by
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
