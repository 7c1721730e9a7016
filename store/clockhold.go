package store

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"lifeboat"
)

// DefaultMaxClockAhead is how far ahead of this device's wall time a
// peer's event may be stamped by default (Options.MaxClockAhead): enough
// for clocks that drift or were set by hand, not for one set to another
// day.
const DefaultMaxClockAhead = 5 * time.Minute

// aheadState tracks the events held in the quarantine for a clock far
// ahead, so RetryHeld reads the quarantine only when one may be due.
type aheadState struct {
	mu    sync.Mutex
	known bool  // next is up to date
	next  int64 // HLC wall ms of the earliest held event; 0: none
}

// MaxClockAhead is the bound this store holds peers' events to.
func (db *DB) MaxClockAhead() time.Duration { return db.opts.MaxClockAhead }

// aheadCheck is ApplyPrepared's clock bound: it refuses, with
// lifeboat.ErrClockAhead, an event stamped further ahead of wall time
// than MaxClockAhead, unless letIn (an IT admin let the event in). The
// event is then not applied: the mesh quarantines it and RetryHeld
// applies it once wall time catches up.
func (db *DB) aheadCheck(letIn bool) func(e *lifeboat.Event) error {
	if letIn {
		return nil
	}
	limit := db.now().Add(db.opts.MaxClockAhead).UnixMilli()
	return func(e *lifeboat.Event) error {
		if e.HLC.Wall <= limit {
			return nil
		}
		ahead := e.HLC.Time().Sub(db.now())
		return fmt.Errorf("stamped %s, %s ahead of this device's clock (at most %s allowed): %w",
			e.HLC.Time().Format("2006-01-02 15:04:05Z"), aheadText(ahead), aheadText(db.opts.MaxClockAhead), lifeboat.ErrClockAhead)
	}
}

// aheadText is a duration for people: whole days past two days, minutes
// past an hour, else seconds.
func aheadText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// noteHeld tells RetryHeld of an event quarantined for a clock far ahead.
func (db *DB) noteHeld(wall int64) {
	db.ahead.mu.Lock()
	defer db.ahead.mu.Unlock()
	if db.ahead.known && (db.ahead.next == 0 || wall < db.ahead.next) {
		db.ahead.next = wall
	}
}

// RetryHeld applies the events held in the quarantine for a clock far
// ahead whose time has come (wall time has caught up to within
// MaxClockAhead of them), through ApplyRemote's checks, and drops them
// from the quarantine once the log holds them; one refused for another
// reason stays with that reason. It is cheap when nothing is due (the
// mesh calls it on every sync tick). The store must be unlocked.
func (db *DB) RetryHeld(ctx context.Context) (lifeboat.ApplyResult, error) {
	aead, err := db.keys()
	if err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("retry held events: %w", err)
	}
	limit := db.now().Add(db.opts.MaxClockAhead).UnixMilli()
	db.ahead.mu.Lock()
	if db.ahead.known && (db.ahead.next == 0 || db.ahead.next > limit) {
		db.ahead.mu.Unlock()
		return lifeboat.ApplyResult{}, nil
	}
	// Anything quarantined from here on is noted against a fresh scan.
	db.ahead.known, db.ahead.next = true, 0
	db.ahead.mu.Unlock()

	due, next, err := db.dueHeld(ctx, aead, limit)
	if err != nil {
		db.ahead.mu.Lock()
		db.ahead.known = false
		db.ahead.mu.Unlock()
		return lifeboat.ApplyResult{}, fmt.Errorf("retry held events: %w", err)
	}
	if next != 0 {
		db.noteHeld(next)
	}
	if len(due) == 0 {
		return lifeboat.ApplyResult{}, nil
	}
	batch := make([]lifeboat.Event, len(due))
	for i := range due {
		batch[i] = due[i].ev
	}
	res, err := db.ApplyRemote(ctx, batch)
	if err != nil {
		db.ahead.mu.Lock()
		db.ahead.known = false
		db.ahead.mu.Unlock()
		return lifeboat.ApplyResult{}, fmt.Errorf("retry held events: %w", err)
	}
	refused := map[string]lifeboat.Refusal{}
	for _, r := range res.Refused {
		refused[r.ID] = r
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("retry held events: %w", err)
	}
	defer tx.Rollback()
	for _, h := range due {
		r, stillRefused := refused[h.ev.ID]
		switch {
		case !stillRefused:
			_, err = tx.ExecContext(ctx, "DELETE FROM quarantine WHERE event_id = ?", h.key)
		case lifeboat.ClockAheadReason(r.Reason):
			db.noteHeld(h.ev.HLC.Wall) // the clock went back meanwhile
		default:
			_, err = tx.ExecContext(ctx, "UPDATE quarantine SET reason = ? WHERE event_id = ?",
				seal(aead, []byte(r.Reason), quarantineReasonAD(h.key)), h.key)
		}
		if err != nil {
			return res, fmt.Errorf("retry held events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("retry held events: %w", err)
	}
	db.log.Info("applied events held for a clock far ahead", "due", len(due), "applied", res.Applied, "refused", len(res.Refused))
	db.changed()
	return res, nil
}

type heldAhead struct {
	key string
	ev  lifeboat.Event
}

// dueHeld reads the quarantine's clock holds: those stamped at or before
// limit, in (device, seq) order, and the earliest wall time of the rest
// (0 if none).
func (db *DB) dueHeld(ctx context.Context, aead cipherAEAD, limit int64) (due []heldAhead, next int64, err error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT event_id, reason FROM quarantine")
	if err != nil {
		return nil, 0, err
	}
	var keys []string
	for rows.Next() {
		var key string
		var why []byte
		if err := rows.Scan(&key, &why); err != nil {
			rows.Close()
			return nil, 0, err
		}
		reason, err := open(aead, why, quarantineReasonAD(key))
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("%s: %w", key, err)
		}
		if lifeboat.ClockAheadReason(string(reason)) {
			keys = append(keys, key)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, key := range keys {
		e, err := db.quarantined(ctx, aead, key)
		if err != nil {
			return nil, 0, err
		}
		if e.HLC.Wall <= limit {
			due = append(due, heldAhead{key: key, ev: e})
		} else if next == 0 || e.HLC.Wall < next {
			next = e.HLC.Wall
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := due[i].ev, due[j].ev
		return a.Device < b.Device || a.Device == b.Device && a.Seq < b.Seq
	})
	return due, next, nil
}
