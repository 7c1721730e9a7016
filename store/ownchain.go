package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"lifeboat"
)

// A store must never give a seq number of its own device twice: the
// ward's other devices would hold one event under it and refuse the other
// as a fork, so what a nurse records would never reach anyone. A store
// copied or restored from a backup, or one that lost the tail of its WAL,
// holds less of its own device's chain than was written, and the next
// Append would reuse the numbers above its head. So the store keeps, in
// meta (it survives restarts):
//
//	own_floor  this device's chain is known to reach this seq (a peer holds
//	           it, or the high-water mark recorded it): Append waits until
//	           the head gets there, by taking the events back from peers
//	           (they are signed by this device's key, so ApplyRemote takes
//	           them like any other).
//	own_wait   the store was restored or copied and no peer has said yet
//	           how far this device's chain goes: Append waits for one.
//	own_fork   a peer holds a different event, signed by this device, at a
//	           seq this store holds too: a copy wrote on its own. Nothing
//	           more is recorded here; the device must be enrolled again.
//	own_lost   how many events the last open found lost (head below mark).
//	hwm_kept   a high-water-mark file has been kept for this store: if it is
//	           missing, the database was moved or copied without it.

// Why Append refuses on a store behind its own chain. Both are conflicts:
// nothing was recorded and trying again later may work (behind) or not
// (forked).
var (
	ErrOwnChainBehind = fmt.Errorf("this store lacks later records of its own device (restored from a copy, or damaged): recording waits until they are taken back from the ward: %w", lifeboat.ErrConflict)
	ErrOwnChainForked = fmt.Errorf("a copy of this store recorded on its own, so the ward holds different records under this device's numbers: enrol it again as a new device: %w", lifeboat.ErrConflict)
)

// Wait reasons recorded in own_wait.
const (
	waitRestored = "restored"        // lifeboat restore
	waitCopied   = "copied"          // database found without its mark file
	waitBadMark  = "mark unreadable" // mark file damaged
)

// OwnChain is where the store stands on its own device's chains of
// events (one per scope it records in; see lifeboat.ChainOf). Head and
// Floor add up the chains.
type OwnChain struct {
	Device string
	Head   uint64 // how many of this device's events the store holds
	Floor  uint64 // this device's chains are known to hold at least this many
	// Waiting is set on a restored or copied store until a peer has said
	// how far this device's chains go; Why says what was found.
	Waiting bool
	Why     string
	// Forked: a copy of this store recorded on its own (ForkSeq is where
	// the ward's record differs). The device must be enrolled again.
	Forked  bool
	ForkSeq uint64
	// Lost is how many recorded events the last open found missing from
	// the database (its head below the high-water mark).
	Lost uint64

	heads      map[string]uint64 // chain -> highest seq held
	floors     map[string]uint64 // chain -> seq it is known to reach
	floorTotal uint64            // events over all chains it is known to have made (the mark)
}

// CanWrite reports whether Append may record.
func (c OwnChain) CanWrite() bool { return !c.Forked && !c.Waiting && c.Missing() == 0 }

// Missing is how many of this device's events the store still lacks.
func (c OwnChain) Missing() uint64 {
	var n uint64
	for chain, f := range c.floors {
		if h := c.heads[chain]; f > h {
			n += f - h
		}
	}
	if c.floorTotal > c.Head {
		n = max(n, c.floorTotal-c.Head)
	}
	return n
}

// Words says in plain words why recording is paused and the way back; ""
// if it is not. It holds counts only, never patient data.
func (c OwnChain) Words() string {
	switch {
	case c.Forked:
		return "A copy of this device's store recorded on its own: the ward holds different records under this device's numbers. " +
			"Nothing more can be recorded here. Its records are kept (nothing is deleted). Enrol this computer again as a new device to carry on, and tell IT."
	case c.Waiting && c.Why == waitRestored:
		return "This device's records were restored from a backup. Recording is paused until it has heard from the ward's other devices " +
			"and taken back any later records of its own from them. Keep it connected to the ward, or enrol it again as a new device."
	case c.Waiting:
		return "This device's store looks like a copy (" + c.Why + "). Recording is paused until it has heard from the ward's other devices " +
			"and taken back any later records of its own from them. Keep it connected to the ward, or enrol it again as a new device."
	case c.Missing() > 0 && c.Lost > 0:
		return fmt.Sprintf("%d recorded events were lost from this device's store (the database was damaged). Recording is paused until "+
			"the ward's other devices return them (%d still missing). Keep it connected to the ward, and tell IT.", c.Lost, c.Missing())
	case c.Missing() > 0:
		return fmt.Sprintf("The ward holds %d later records of this device that this store lacks (it was restored from a copy). "+
			"Recording is paused while they are taken back from the ward. Keep it connected, or enrol it again as a new device.", c.Missing())
	}
	return ""
}

// OwnChain reports where the store stands on its own device's chain
// (readable while locked).
func (db *DB) OwnChain(ctx context.Context) (OwnChain, error) {
	c, err := readOwnChain(ctx, db.sql)
	if err != nil {
		return OwnChain{}, fmt.Errorf("read own chain: %w", err)
	}
	return c, nil
}

// querier is what readOwnChain needs: a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readOwnChain(ctx context.Context, q querier) (OwnChain, error) {
	var c OwnChain
	if err := q.QueryRowContext(ctx, "SELECT device FROM device_key").Scan(&c.Device); err != nil {
		return c, err
	}
	// The device's chains: its own ID and "<id>/<scope>", which sort
	// between "<id>/" and "<id>0".
	hr, err := q.QueryContext(ctx, "SELECT device, MAX(seq) FROM events WHERE device = ? OR (device > ? AND device < ?) GROUP BY device",
		c.Device, c.Device+"/", c.Device+"0")
	if err != nil {
		return c, err
	}
	defer hr.Close()
	c.heads, c.floors = map[string]uint64{}, map[string]uint64{}
	for hr.Next() {
		var chain string
		var seq int64
		if err := hr.Scan(&chain, &seq); err != nil {
			return c, err
		}
		c.heads[chain] = uint64(seq)
		c.Head += uint64(seq)
	}
	if err := hr.Err(); err != nil {
		return c, err
	}
	rows, err := q.QueryContext(ctx, "SELECT key, value FROM meta WHERE key IN ('own_floor', 'own_floor_total', 'own_wait', 'own_fork', 'own_lost')")
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return c, err
		}
		n, _ := strconv.ParseUint(string(v), 10, 64)
		switch k {
		case "own_floor":
			c.floors = decodeFloors(v, c.Device)
		case "own_floor_total":
			c.floorTotal = n
		case "own_wait":
			c.Waiting, c.Why = true, string(v)
		case "own_fork":
			c.Forked, c.ForkSeq = true, n
		case "own_lost":
			c.Lost = n
		}
	}
	var sum uint64
	for _, f := range c.floors {
		sum += f
	}
	c.Floor = max(sum, c.floorTotal)
	return c, rows.Err()
}

// ownGuard refuses an Append on a store behind its own chain. It runs in
// the Append's transaction, so a concurrent change cannot slip between.
// It returns how many events of its own the store holds.
func ownGuard(ctx context.Context, tx *sql.Tx) (uint64, error) {
	c, err := readOwnChain(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("read own chain: %w", err)
	}
	switch {
	case c.Forked:
		return 0, fmt.Errorf("this device's record %d differs from the ward's: %w", c.ForkSeq, ErrOwnChainForked)
	case c.Waiting:
		return 0, fmt.Errorf("%s, no peer heard from yet: %w", c.Why, ErrOwnChainBehind)
	case c.Missing() > 0:
		return 0, fmt.Errorf("%d of this device's records missing: %w", c.Missing(), ErrOwnChainBehind)
	}
	return c.Head, nil
}

func setMeta(ctx context.Context, ex interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, key, value string) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, []byte(value))
	return err
}

// OwnChainSeen tells the store how far a peer holds this device's chains
// (its version vector; entries of other devices are ignored). A restored
// or copied store stops waiting once a peer has said so; if the peer
// holds more than this store, Append waits until the store has taken
// them (sync pulls them like any device's events). Cheap when nothing
// changes: it is called on every summary a peer sends.
func (db *DB) OwnChainSeen(ctx context.Context, peer map[string]uint64) error {
	c, err := readOwnChain(ctx, db.sql)
	if err != nil {
		return fmt.Errorf("note own chain: %w", err)
	}
	if !c.Waiting && !c.raises(peer) {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("note own chain: %w", err)
	}
	defer tx.Rollback()
	if c, err = readOwnChain(ctx, tx); err != nil {
		return fmt.Errorf("note own chain: %w", err)
	}
	if c.raises(peer) {
		for chain, seq := range peer {
			if lifeboat.DeviceOf(chain) == c.Device && seq > c.floors[chain] {
				c.floors[chain] = seq
			}
		}
		if err := setMeta(ctx, tx, "own_floor", encodeFloors(c.floors)); err != nil {
			return fmt.Errorf("note own chain: %w", err)
		}
	}
	if c.Waiting {
		if _, err := tx.ExecContext(ctx, "DELETE FROM meta WHERE key = 'own_wait'"); err != nil {
			return fmt.Errorf("note own chain: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("note own chain: %w", err)
	}
	if c, err := readOwnChain(ctx, db.sql); err == nil && c.Missing() > 0 {
		db.log.Warn("peers hold later events of this device: recording paused until they are taken back", "head", c.Head, "missing", c.Missing())
	}
	db.changed()
	return nil
}

// raises reports whether a peer's vector says one of this device's
// chains goes further than its floor.
func (c OwnChain) raises(peer map[string]uint64) bool {
	for chain, seq := range peer {
		if seq > c.floors[chain] && lifeboat.DeviceOf(chain) == c.Device {
			return true
		}
	}
	return false
}

// encodeFloors and decodeFloors keep own_floor: "chain=seq" lines. A
// store from before scopes kept one number, its device's chain.
func encodeFloors(f map[string]uint64) string {
	chains := make([]string, 0, len(f))
	for c := range f {
		chains = append(chains, c)
	}
	sort.Strings(chains)
	var b strings.Builder
	for _, c := range chains {
		fmt.Fprintf(&b, "%s=%d\n", c, f[c])
	}
	return b.String()
}

func decodeFloors(v []byte, device string) map[string]uint64 {
	out := map[string]uint64{}
	if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
		out[device] = n
		return out
	}
	for _, line := range strings.Split(string(v), "\n") {
		chain, num, ok := strings.Cut(line, "=")
		if n, err := strconv.ParseUint(num, 10, 64); ok && err == nil {
			out[chain] = n
		}
	}
	return out
}

// markForked records, in an ApplyRemote's transaction, that a peer sent a
// valid event of this device that does not fit this store's chain.
func markForked(ctx context.Context, tx *sql.Tx, seq uint64) error {
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO meta (key, value) VALUES ('own_fork', ?)", []byte(strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("record fork of own chain: %w", err)
	}
	return nil
}

// raiseMark records this device's head in the high-water-mark file after
// a commit. A failure is logged, not returned: the events are committed
// and the caller must not record them again; the mark only guards
// against a later loss.
func (db *DB) raiseMark(device string, seq uint64) {
	if err := db.mark.raise(device, seq); err != nil {
		db.log.Warn("high-water mark not updated", "err", err)
	}
}

// raiseMarkToHead raises the mark to this device's head (after peers
// returned some of its events).
func (db *DB) raiseMarkToHead(ctx context.Context) {
	c, err := readOwnChain(ctx, db.sql)
	if err != nil {
		db.log.Warn("high-water mark not updated", "err", err)
		return
	}
	db.raiseMark(c.Device, c.Head)
}

// checkMark compares the database with its high-water-mark file on open:
// a head below the mark means committed events were lost (recording then
// waits for peers to return them); a database that kept a mark but is
// found without one was copied or restored (recording waits for a peer to
// say how far this device's chain goes). It then keeps the mark open.
func (db *DB) checkMark(ctx context.Context) error {
	c, err := readOwnChain(ctx, db.sql)
	if err != nil {
		return fmt.Errorf("check mark: %w", err)
	}
	_, kerr := db.meta(ctx, "hwm_kept")
	kept := kerr == nil
	m, err := ReadMark(db.path)
	var wait string
	switch {
	case err == nil && m.Device == c.Device:
		if m.Seq > c.Head {
			lost := m.Seq - c.Head
			db.log.Error("recorded events lost from the database: recording paused until peers return them", "lost", lost, "head", c.Head, "mark", m.Seq)
			if err := db.noteLost(ctx, m.Seq, lost); err != nil {
				return err
			}
		}
	case !kept:
		// A new store, or the first open by a version that keeps a mark:
		// start one (over any left by a store that was here before).
	case err == nil || isNotExist(err):
		wait = waitCopied // moved or copied without its mark, or another store's mark here
	default:
		wait = waitBadMark
	}
	if wait != "" && !c.Waiting {
		db.log.Warn("store found without its own high-water mark: recording paused until a peer is heard", "why", wait)
		if err := setMeta(ctx, db.sql, "own_wait", wait); err != nil {
			return fmt.Errorf("check mark: %w", err)
		}
	}
	fresh := err != nil || m.Device != c.Device
	cur := m
	if fresh {
		cur = Mark{Device: c.Device, Seq: c.Head}
	}
	w, werr := openMarker(db.path+MarkSuffix, cur, fresh)
	if werr != nil {
		return fmt.Errorf("check mark: %w", werr)
	}
	db.mark = w
	if !kept {
		if err := setMeta(ctx, db.sql, "hwm_kept", "1"); err != nil {
			return fmt.Errorf("check mark: %w", err)
		}
	}
	w.raise(c.Device, c.Head) // a commit whose mark a crash cut off
	return nil
}

func (db *DB) noteLost(ctx context.Context, mark, lost uint64) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("note lost events: %w", err)
	}
	defer tx.Rollback()
	c, err := readOwnChain(ctx, tx)
	if err != nil {
		return fmt.Errorf("note lost events: %w", err)
	}
	// The mark counts the device's events over all its chains: recording
	// waits until peers have returned as many.
	if mark > c.floorTotal {
		if err := setMeta(ctx, tx, "own_floor_total", strconv.FormatUint(mark, 10)); err != nil {
			return fmt.Errorf("note lost events: %w", err)
		}
	}
	if lost > c.Lost {
		if err := setMeta(ctx, tx, "own_lost", strconv.FormatUint(lost, 10)); err != nil {
			return fmt.Errorf("note lost events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("note lost events: %w", err)
	}
	return nil
}

// MarkRestored puts the store at path (closed) in the state of one
// restored from a backup: it records nothing until a peer has said how
// far this device's chain goes and the store has taken the rest back.
func MarkRestored(ctx context.Context, path string) error {
	db, err := openSQL(path, false)
	if err != nil {
		return fmt.Errorf("mark restored %s: %w", path, err)
	}
	defer db.Close()
	// A copy made by VACUUM INTO may be in rollback-journal mode.
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return fmt.Errorf("mark restored %s: %w", path, err)
	}
	if err := setMeta(ctx, db, "own_wait", waitRestored); err != nil {
		return fmt.Errorf("mark restored %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("mark restored %s: %w", path, err)
	}
	return nil
}
