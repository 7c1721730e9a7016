package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"lifeboat"
)

// VersionVector maps each device to the highest seq such that every event
// of that device up to it is held here. Readable while locked (it holds
// no patient data).
func (db *DB) VersionVector(ctx context.Context) (map[string]uint64, error) {
	return versionVector(ctx, db.sql)
}

func versionVector(ctx context.Context, x execer) (map[string]uint64, error) {
	rows, err := x.QueryContext(ctx, "SELECT device, contiguous FROM heads WHERE contiguous > 0")
	if err != nil {
		return nil, fmt.Errorf("read version vector: %w", err)
	}
	defer rows.Close()
	vv := map[string]uint64{}
	for rows.Next() {
		var dev string
		var c int64
		if err := rows.Scan(&dev, &c); err != nil {
			return nil, fmt.Errorf("read version vector: %w", err)
		}
		vv[dev] = uint64(c)
	}
	return vv, rows.Err()
}

// EventsAfter returns up to limit events this store holds that a peer with
// version vector have lacks, in (device, seq) order. Only contiguous runs
// are offered, so the receiver can check each run's chain.
func (db *DB) EventsAfter(ctx context.Context, have map[string]uint64, limit int) ([]lifeboat.Event, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	var out []lifeboat.Event
	err = db.runsAfter(ctx, have, limit, func(d string, from, to uint64, n int) (int, error) {
		evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE device = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
			d, int64(from), int64(to), n)
		out = append(out, evs...)
		return len(evs), err
	})
	return out, err
}

// EncodedAfter is EventsAfter for sending: each event's signed encoding as
// stored, decrypted but not decoded (the receiver decodes and verifies it;
// the row's associated data already ties it to its device and seq).
func (db *DB) EncodedAfter(ctx context.Context, have map[string]uint64, limit int) ([]lifeboat.EncodedEvent, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	var out []lifeboat.EncodedEvent
	err = db.runsAfter(ctx, have, limit, func(d string, from, to uint64, n int) (int, error) {
		rows, err := db.sql.QueryContext(ctx, "SELECT id, seq, kind, sealed FROM events WHERE device = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
			d, int64(from), int64(to), n)
		if err != nil {
			return 0, fmt.Errorf("read events: %w", err)
		}
		defer rows.Close()
		got := 0
		for rows.Next() {
			var id, kind string
			var seq int64
			var sealed []byte
			if err := rows.Scan(&id, &seq, &kind, &sealed); err != nil {
				return got, fmt.Errorf("read events: %w", err)
			}
			plain, err := open(aead, sealed, eventAD(id, d, uint64(seq), kind))
			if err != nil {
				return got, fmt.Errorf("read event %s/%d: %w", d, seq, err)
			}
			out = append(out, lifeboat.EncodedEvent{Device: d, Seq: uint64(seq), Bytes: plain})
			got++
		}
		return got, rows.Err()
	})
	return out, err
}

// sortSiteFirst sorts chain IDs with the site's chains first, then by
// name. The site's chains hold the enrolments and scope keys a reader
// needs to check and open the ward records that follow; a ward record
// that came first would be stored unread and opened again once its key
// came.
func sortSiteFirst(chains []string) {
	slices.SortFunc(chains, func(a, b string) int {
		as, bs := lifeboat.ScopeOf(a) == lifeboat.ScopeSite, lifeboat.ScopeOf(b) == lifeboat.ScopeSite
		if as != bs {
			if as {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// runsAfter calls read for each chain, the site's first, whose events
// this store holds beyond have, with the range (from, to] and how many
// more events fit under limit; read returns how many it took.
func (db *DB) runsAfter(ctx context.Context, have map[string]uint64, limit int, read func(dev string, from, to uint64, n int) (int, error)) error {
	mine, err := db.VersionVector(ctx)
	if err != nil {
		return err
	}
	devs := make([]string, 0, len(mine))
	for d := range mine {
		devs = append(devs, d)
	}
	sortSiteFirst(devs)
	taken := 0
	for _, d := range devs {
		if taken >= limit {
			break
		}
		if mine[d] <= have[d] {
			continue
		}
		n, err := read(d, have[d], mine[d], limit-taken)
		if err != nil {
			return err
		}
		taken += n
	}
	return nil
}

// Events returns a subject's events of one kind (all kinds if kind is
// empty), in clock order: those this device can read (a sealed record of
// a scope it only forwards, or whose key has not reached it, is left out).
func (db *DB) Events(ctx context.Context, subject, kind string) ([]lifeboat.Event, error) {
	evs, err := db.events(ctx, subject, kind)
	return readable(evs), err
}

// ReadableLog returns every event this device can read, chain by chain:
// what export and reconciliation work from. Records of a scope it only
// forwards (a relay), or whose key has not reached it, are left out.
func (db *DB) ReadableLog(ctx context.Context) ([]lifeboat.Event, error) {
	evs, err := db.EventsAfter(ctx, nil, 1<<62)
	return readable(evs), err
}

// readable drops, in place, the events whose sealed payloads this device
// cannot open.
func readable(evs []lifeboat.Event) []lifeboat.Event {
	return slices.DeleteFunc(evs, func(e lifeboat.Event) bool { return e.Sealed != nil && e.Payload == nil })
}

func (db *DB) events(ctx context.Context, subject, kind string) ([]lifeboat.Event, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	// A merged patient's events read as the survivor's (patient.merged).
	ids, err := patientIDs(ctx, db.sql, aead, subject)
	if err != nil {
		return nil, err
	}
	var args []any
	for _, id := range ids {
		args = append(args, id)
	}
	if kind == "" {
		return queryEvents(ctx, db.sql, aead, eventCols+"WHERE subject IN ("+inList(len(ids))+") ORDER BY hlc_wall, hlc_logical, device", args...)
	}
	return queryEvents(ctx, db.sql, aead, eventCols+"WHERE subject IN ("+inList(len(ids))+") AND kind = ? ORDER BY hlc_wall, hlc_logical, device", append(args, kind)...)
}

// EventsOfKind returns every event of one kind this device can read, in
// clock order.
func (db *DB) EventsOfKind(ctx context.Context, kind string) ([]lifeboat.Event, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE kind = ? ORDER BY hlc_wall, hlc_logical, device", kind)
	return readable(evs), err
}

// Event returns one event by ID, or ErrNotFound.
func (db *DB) Event(ctx context.Context, id string) (lifeboat.Event, error) {
	aead, err := db.keys()
	if err != nil {
		return lifeboat.Event{}, err
	}
	evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE id = ?", id)
	if err != nil {
		return lifeboat.Event{}, err
	}
	if len(evs) == 0 {
		return lifeboat.Event{}, fmt.Errorf("event %s: %w", id, lifeboat.ErrNotFound)
	}
	return evs[0], nil
}

// LogDigest hashes the ordered list of event hashes: two stores with the
// same digest hold identical logs.
func (db *DB) LogDigest(ctx context.Context) (string, int, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT hash FROM events ORDER BY device, seq")
	if err != nil {
		return "", 0, fmt.Errorf("digest log: %w", err)
	}
	defer rows.Close()
	h := newDigest()
	n := 0
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return "", 0, fmt.Errorf("digest log: %w", err)
		}
		h.Write(b)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", 0, fmt.Errorf("digest log: %w", err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), n, nil
}
