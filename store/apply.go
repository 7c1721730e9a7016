package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"lifeboat"
	"lifeboat/forms"
)

// Reasons ApplyRemote gives.
var (
	ErrUnknownDevice = fmt.Errorf("signed by a device that is not enrolled: %w", lifeboat.ErrPermission)
	ErrRevokedDevice = fmt.Errorf("signed by a revoked device after its revocation: %w", lifeboat.ErrPermission)
	ErrBadSignature  = fmt.Errorf("signature does not verify: %w", lifeboat.ErrCorrupt)
	ErrFork          = fmt.Errorf("does not fit the device's history (fork or replay): %w", lifeboat.ErrConflict)
)

// ApplyRemote applies a batch of events from a peer in one transaction.
// Each event's signature is checked against the device registry (a
// contiguous run of one device's events by one signature on its newest
// event plus the hash chain; runs are checked in parallel). Exact
// duplicates are skipped; invalid events are refused with a reason and the
// rest still apply. Events may arrive in any order; the version vector
// only advances over contiguous runs. The error is for failures of the
// store itself, in which case nothing was applied.
func (db *DB) ApplyRemote(ctx context.Context, batch []lifeboat.Event) (lifeboat.ApplyResult, error) {
	rb, err := db.PrepareRemote(batch)
	if err != nil {
		return lifeboat.ApplyResult{}, err
	}
	return db.ApplyPrepared(ctx, rb)
}

// RemoteBatch is a batch of peers' events made ready by PrepareRemote: the
// work that needs no database (encoding, hashing, shape and payload
// checks, sealing rows) done on all CPUs, so that it can run while the
// previous batch is being written.
type RemoteBatch struct {
	aead   cipherAEAD
	batch  []lifeboat.Event
	groups map[string][]*item
	res    lifeboat.ApplyResult // refusals and duplicates found so far
	letIn  bool                 // an IT admin let it in: no clock bound (clockhold.go)
}

// Events are the batch's events, as given to PrepareRemote.
func (rb *RemoteBatch) Events() []lifeboat.Event { return rb.batch }

// PrepareRemote does ApplyRemote's work that needs no database. The store
// must be unlocked; the batch must not change until it is applied.
func (db *DB) PrepareRemote(batch []lifeboat.Event) (lifeboat.PreparedBatch, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	rb := &RemoteBatch{aead: aead, batch: batch}
	res := &rb.res
	refuse := func(e *lifeboat.Event, err error) {
		res.Refused = append(res.Refused, lifeboat.Refusal{ID: e.ID, Device: e.Device, Seq: e.Seq, Reason: err.Error(), Err: err})
	}

	// Encode and hash every event on all CPUs: the hash is checked against
	// the chain, the encoding is what prepare seals.
	items := make([]item, len(batch))
	parallel(len(batch), func(i int) {
		if batch[i].Sealed != nil {
			// Only the sealed bytes are signed: a payload given beside
			// them is the sender's word, never taken (openWith opens it).
			batch[i].Payload = nil
		}
		items[i].e = &batch[i]
		items[i].enc, items[i].hash = batch[i].EncodeAndHash()
	})

	// Shape checks and de-duplication within the batch.
	type devSeq struct {
		dev string
		seq uint64
	}
	groups := map[string][]*item{}
	seen := make(map[devSeq]*item, len(batch))
	for i := range batch {
		e, it := &batch[i], &items[i]
		if err := e.Check(); err != nil {
			refuse(e, err)
			continue
		}
		key := devSeq{e.Device, e.Seq}
		if prev, ok := seen[key]; ok {
			if prev.hash != it.hash {
				refuse(e, fmt.Errorf("two different events for %s/%d: %w", e.Device, e.Seq, ErrFork))
			} else {
				res.Duplicates++
			}
			continue
		}
		seen[key] = it
		groups[e.Device] = append(groups[e.Device], it)
	}
	db.prepare(aead, groups)
	rb.groups = groups
	return rb, nil
}

// ApplyPrepared is ApplyRemote for a batch PrepareRemote made ready. A
// batch is applied once.
func (db *DB) ApplyPrepared(ctx context.Context, p lifeboat.PreparedBatch) (lifeboat.ApplyResult, error) {
	rb, ok := p.(*RemoteBatch)
	if !ok || rb == nil || rb.groups == nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: the batch was not prepared, or was applied already: %w", lifeboat.ErrInvalid)
	}
	aead, batch, groups, res := rb.aead, rb.batch, rb.groups, rb.res
	rb.groups = nil
	if _, err := db.keys(); err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err) // locked since it was prepared
	}
	refuse := func(e *lifeboat.Event, err error) {
		res.Refused = append(res.Refused, lifeboat.Refusal{ID: e.ID, Device: e.Device, Seq: e.Seq, Reason: err.Error(), Err: err})
	}

	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	defer tx.Rollback()
	// The batch's statements run under a context that is never cancelled:
	// modernc/sqlite starts a goroutine per statement to watch a
	// cancellable one, which costs more than a small insert. Cancelling
	// ctx still abandons the whole batch: database/sql rolls back the
	// transaction begun with it, and the loop below checks it.
	cancelled := ctx.Err
	ctx = context.WithoutCancel(ctx)
	t := &txn{tx: tx, aead: aead, db: db, rows: preparedRows(groups), ahead: db.aheadCheck(rb.letIn)}
	// Only events some correction names need their corrections refreshed:
	// find them once for the batch instead of once per event.
	corrected, err := batchCorrected(ctx, t, batch)
	if err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	t.corrected = func(id string) bool { return corrected[id] }
	reg, err := loadRegistry(ctx, t)
	if err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	// Keys a device.enrolled event in this batch vouches for: candidates
	// only until that event is itself accepted.
	candidates := map[string]ed25519.PublicKey{}
	for _, g := range groups {
		for _, it := range g {
			if k, pub := enrolledKey(it.e); k != "" {
				candidates[k] = pub
			}
		}
	}
	devices := make([]string, 0, len(groups))
	for dev, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].e.Seq < g[j].e.Seq })
		devices = append(devices, dev)
	}
	sortSiteFirst(devices)
	verifyRuns(groups, func(chain string) ed25519.PublicKey {
		dev := lifeboat.DeviceOf(chain)
		if d, ok := reg[dev]; ok {
			return d.pub
		}
		return candidates[dev]
	})
	sc, err := loadScopes(ctx, t)
	if err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}

	// Apply device by device, in rounds: a device becomes known when its
	// enrolment is applied, and an event held for its causal past or its
	// author's record may be freed by another event of the batch. Repeat
	// until a round changes nothing. The verdicts depend only on what the
	// store holds, so the order of rounds does not change them.
	var auth authCache
	var maxHLC lifeboat.HLC
	retracted := false
	waiting := map[*item]error{}
	db.mu.Lock()
	own := db.device
	db.mu.Unlock()
	ownFork := uint64(math.MaxUint64)
	for progress := true; progress; {
		progress = false
		for _, dev := range devices {
			if err := cancelled(); err != nil {
				return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
			}
			d, ok := reg[lifeboat.DeviceOf(dev)]
			if !ok {
				continue
			}
			g := groups[dev]
			d, err := sc.forChain(dev, d)
			if err != nil {
				for _, it := range g {
					if it.done {
						continue
					}
					if errors.Is(err, ErrHeld) {
						waiting[it] = err
						continue
					}
					refuse(it.e, err)
					it.done = true
				}
				continue
			}
			var held map[uint64]heldEvent
			moved := false
			for _, it := range g {
				if it.done {
					continue
				}
				if held == nil {
					var err error
					if held, err = heldRange(ctx, t, dev, max(g[0].e.Seq, 1)-1, g[len(g)-1].e.Seq+1); err != nil {
						return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
					}
				}
				if it.verifiedWith != nil && !it.verifiedWith.Equal(d.pub) {
					it.sigOK = it.e.VerifySig(d.pub)
				}
				err := db.applyOne(ctx, t, it, d, held, &auth)
				switch {
				case errors.Is(err, ErrHeld):
					waiting[it] = err
					continue
				case errors.Is(err, errDuplicate):
					res.Duplicates++
				case err != nil && isRefusal(err):
					refuse(it.e, err)
					if lifeboat.DeviceOf(dev) == own && errors.Is(err, ErrFork) {
						ownFork = min(ownFork, it.e.Seq) // signed by this device's key, yet not this store's chain: a copy wrote
					}
				case err != nil:
					return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
				default:
					res.Applied++
					if it.e.HLC.Compare(maxHLC) > 0 {
						maxHLC = it.e.HLC
					}
					if k, pub := enrolledKey(it.e); k != "" {
						if _, known := reg[k]; !known {
							reg[k] = regDevice{pub: pub}
						}
					}
					auth.afterApply(it.e)
					switch it.e.Kind {
					case lifeboat.KindDeviceEnrolled, lifeboat.KindDeviceScopes, lifeboat.KindDeviceRevoked, lifeboat.KindSiteCreated:
						if err := sc.refresh(ctx, t); err != nil {
							return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
						}
					}
					if it.e.Kind == lifeboat.KindDeviceRevoked {
						n, err := db.applyRevocation(ctx, t, reg, it.e)
						if err != nil {
							return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
						}
						retracted = retracted || n > 0
					}
				}
				it.done, moved = true, true
				delete(waiting, it)
			}
			if moved {
				progress = true
				if err := advanceHead(ctx, tx, dev); err != nil {
					return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
				}
			}
		}
	}
	for _, dev := range devices {
		for _, it := range groups[dev] {
			if it.done {
				continue
			}
			if err, ok := waiting[it]; ok && err == errScopeNotHeldYet {
				refuse(it.e, ErrScopeNotHeld)
				continue
			} else if ok {
				res.Held = append(res.Held, lifeboat.Refusal{ID: it.e.ID, Device: it.e.Device, Seq: it.e.Seq, Reason: err.Error(), Err: err})
				continue
			}
			refuse(it.e, ErrUnknownDevice)
		}
	}
	if err := t.openUnread(ctx); err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	if retracted {
		// Events taken out of the log: the views are rebuilt without them.
		if err := t.rebuild(ctx); err != nil {
			return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
		}
	}
	if ownFork != math.MaxUint64 {
		if err := markForked(ctx, tx, ownFork); err != nil {
			return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return lifeboat.ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	if ownChains(groups, own) {
		db.raiseMarkToHead(ctx) // this device's events returned by peers
	}
	if res.Applied > 0 {
		db.mu.Lock()
		clock := db.clock
		db.mu.Unlock()
		clock.Observe(maxHLC)
		db.changed()
		subjects := map[string]bool{}
		for _, g := range groups {
			for _, it := range g {
				if it.applied {
					subjects[it.e.Subject] = true
				}
			}
		}
		if err := db.forwardLate(ctx, subjects); err != nil {
			db.log.Warn("records of moved patients not handed on yet", "err", err)
		}
		if keysMoved(groups) {
			// A device came to read a ward, or a key reached this device:
			// hand on the keys of the wards this device reads.
			if _, err := db.ShareScopeKeys(ctx); err != nil {
				db.log.Warn("ward keys not handed on yet", "err", err)
			}
		}
	}
	return res, nil
}

// keysMoved reports whether the batch applied a record that may leave a
// device that reads a ward without its keys.
func keysMoved(groups map[string][]*item) bool {
	for _, g := range groups {
		for _, it := range g {
			switch it.e.Kind {
			case lifeboat.KindScopeKey, lifeboat.KindDeviceEnrolled, lifeboat.KindDeviceScopes:
				if it.applied {
					return true
				}
			}
		}
	}
	return false
}

// item is an event being applied, with what was learnt about it.
type item struct {
	e            *lifeboat.Event
	hash         lifeboat.Hash
	sigOK        bool
	verifiedWith ed25519.PublicKey
	applied      bool
	done         bool   // applied, duplicate or refused: not tried again
	enc          []byte // the event's encoding, until sealed
	// Worked out by prepare, before the transaction.
	payloadErr error     // checkPayload's verdict, or why a sealed payload did not open
	sealed     []byte    // the row's ciphertext (as sealEvent makes it)
	rows       []viewRow // built by the views' row, in projectorsFor order
}

type regDevice struct {
	pub        ed25519.PublicKey
	revokedAt  int64  // when first revoked (HLC wall ms); 0 while active
	revokedSeq uint64 // once revoked: the last of its events accepted
	// scopeGranted: the chain being applied is in a scope the device was
	// given (else only handoffs are accepted from it).
	scopeGranted bool
}

var errDuplicate = errors.New("duplicate")

func isRefusal(err error) bool {
	for _, k := range []error{lifeboat.ErrInvalid, lifeboat.ErrCorrupt, lifeboat.ErrPermission, lifeboat.ErrConflict} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func loadRegistry(ctx context.Context, t *txn) (map[string]regDevice, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT device, public, revoked_at, revoked_seq FROM devices")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	reg := map[string]regDevice{}
	for rows.Next() {
		var dev string
		var d regDevice
		var pub []byte
		var last int64
		if err := rows.Scan(&dev, &pub, &d.revokedAt, &last); err != nil {
			return nil, err
		}
		d.pub, d.revokedSeq = pub, uint64(last)
		reg[dev] = d
	}
	return reg, rows.Err()
}

// enrolledKey returns the device and key a site.created or
// device.enrolled event vouches for, if well formed.
func enrolledKey(e *lifeboat.Event) (string, ed25519.PublicKey) {
	if e.Kind != lifeboat.KindDeviceEnrolled && e.Kind != lifeboat.KindSiteCreated {
		return "", nil
	}
	if checkPayload(e) != nil {
		return "", nil
	}
	if e.Kind == lifeboat.KindSiteCreated {
		var p lifeboat.SiteCreated
		_ = decodePayload(e, &p)
		return p.Device, p.PublicKey
	}
	var p lifeboat.DeviceEnrolled
	_ = decodePayload(e, &p)
	return p.Device, p.PublicKey
}

// verifyRuns checks signatures. Within a device's sorted events, a run is
// a stretch where each event's Prev is the hash of the one before: the
// signature on the run's newest event then vouches for the whole run.
// Runs are verified in parallel; a run whose newest signature fails falls
// back to checking each event on its own.
func verifyRuns(groups map[string][]*item, key func(dev string) ed25519.PublicKey) {
	type run struct {
		items []*item
		pub   ed25519.PublicKey
	}
	var runs []run
	for dev, g := range groups {
		pub := key(dev)
		if pub == nil {
			continue
		}
		start := 0
		for i := 1; i <= len(g); i++ {
			if i == len(g) || g[i].e.Seq != g[i-1].e.Seq+1 || g[i].e.Prev != g[i-1].hash {
				runs = append(runs, run{items: g[start:i], pub: pub})
				start = i
			}
		}
	}
	work := make(chan run)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				newest := r.items[len(r.items)-1]
				if newest.e.VerifySig(r.pub) {
					for _, it := range r.items {
						it.sigOK, it.verifiedWith = true, r.pub
					}
					continue
				}
				for _, it := range r.items {
					it.sigOK, it.verifiedWith = it.e.VerifySig(r.pub), r.pub
				}
			}
		}()
	}
	for _, r := range runs {
		work <- r
	}
	close(work)
	wg.Wait()
}

// prepare checks every event's payload and seals its rows (in the log
// and in the views that build rows ahead) on all CPUs, before the
// transaction: the work that needs no database comes off the serial part
// of the batch, where each event waits for the one before. (An event
// refused later was sealed for nothing; that is rare.)
func (db *DB) prepare(aead cipherAEAD, groups map[string][]*item) {
	var items []*item
	for _, g := range groups {
		items = append(items, g...)
	}
	parallel(len(items), func(i int) {
		it := items[i]
		e := it.e
		it.sealed = seal(aead, it.enc, eventAD(e.ID, e.Device, e.Seq, e.Kind))
		it.enc = nil
		if e.Sealed != nil {
			// Opened here if this device holds the key; else applyOne tries
			// again with keys the batch hands over, or it is kept unread.
			if _, err := db.openWith(context.Background(), db.sql, aead, e); err != nil {
				it.payloadErr = err
				return
			}
			if e.Payload == nil {
				return
			}
		}
		it.payloadErr = checkPayload(e)
		if it.payloadErr != nil {
			return
		}
		for _, p := range projectorsFor(e.Kind) {
			if p.row != nil {
				r, err := p.row(aead, e)
				if err != nil {
					r = viewRow{} // apply builds it again and reports the error
				}
				it.rows = append(it.rows, r)
			}
		}
	})
}

// preparedRows indexes the rows prepare built for t.row.
func preparedRows(groups map[string][]*item) map[rowKey]viewRow {
	rows := map[rowKey]viewRow{}
	for _, g := range groups {
		for _, it := range g {
			if it.rows == nil {
				continue
			}
			i := 0
			for _, p := range projectorsFor(it.e.Kind) {
				if p.row != nil {
					if it.rows[i].sealed != nil {
						rows[rowKey{p.name, it.e}] = it.rows[i]
					}
					i++
				}
			}
		}
	}
	return rows
}

// parallel calls f for every i in [0, n), in chunks, on all CPUs.
func parallel(n int, f func(i int)) {
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}

// applyOne checks one event against the device's stored history and the
// authority rule of its kind, and writes it.
func (db *DB) applyOne(ctx context.Context, t *txn, it *item, d regDevice, held map[uint64]heldEvent, auth *authCache) error {
	e := it.e
	if it.verifiedWith == nil {
		it.sigOK, it.verifiedWith = e.VerifySig(d.pub), d.pub
	}
	if !it.sigOK {
		return ErrBadSignature
	}
	// By sequence number, never by clock: the revoked device sets its own.
	if d.revokedAt > 0 && e.Seq > d.revokedSeq {
		return ErrRevokedDevice
	}
	if !d.scopeGranted && e.Kind != forms.KindPatientHandoff {
		return errScopeNotGranted
	}
	// Compare with the neighbours we hold: the same bytes at this seq are
	// a duplicate, anything else a fork; seq-1 and seq+1 must chain.
	if h, ok := held[e.Seq]; ok {
		if h.hash == it.hash {
			return errDuplicate
		}
		return fmt.Errorf("a different event already holds seq %d: %w", e.Seq, ErrFork)
	}
	if t.ahead != nil {
		if err := t.ahead(e); err != nil {
			return err // held: see clockhold.go
		}
	}
	if h, ok := held[e.Seq-1]; ok && e.Seq > 1 && h.hash != e.Prev {
		return fmt.Errorf("does not follow the event before it: %w", ErrFork)
	}
	if h, ok := held[e.Seq+1]; ok && h.prev != it.hash {
		return fmt.Errorf("the event after it does not follow it: %w", ErrFork)
	}
	if it.payloadErr != nil {
		return it.payloadErr
	}
	if e.Sealed != nil && e.Payload == nil {
		// A key handed over earlier in this batch may open it now.
		opened, err := t.db.openWith(ctx, t, t.aead, e)
		if err != nil {
			return err
		}
		if opened {
			if err := checkPayload(e); err != nil {
				return err
			}
		}
	}
	if err := t.authorise(ctx, e, auth); err != nil {
		return err
	}
	// Sealed here, not in prepare: a batch waiting in the sync window then
	// holds one copy of each payload, not two.
	if err := t.insertSealed(ctx, e, it.hash, it.sealed, sealOpened(t.aead, e)); err != nil {
		return err
	}
	it.sealed = nil // written: let it go before the batch ends
	if err := t.project(ctx, e); err != nil {
		return err
	}
	held[e.Seq] = heldEvent{hash: it.hash, prev: e.Prev}
	it.applied = true
	return nil
}

// applyRevocation brings the registry up to a device.revoked event just
// applied, and takes out of the log any events of the revoked device
// beyond the last one the ward accepts: they may have arrived before the
// revocation did. They go to quarantine with the reason (kept for review,
// never lost), and the caller rebuilds the views. It returns how many.
func (db *DB) applyRevocation(ctx context.Context, t *txn, reg map[string]regDevice, e *lifeboat.Event) (int, error) {
	var p lifeboat.DeviceRevoked
	if err := decodePayload(e, &p); err != nil {
		return 0, err
	}
	at, last, err := t.revocation(ctx, p.Device)
	if err != nil {
		return 0, err
	}
	if d, ok := reg[p.Device]; ok && reg != nil {
		d.revokedAt, d.revokedSeq = at, last
		reg[p.Device] = d
	}
	evs, err := queryEvents(ctx, t.tx, t.aead, eventCols+"WHERE device = ? AND seq > ? ORDER BY seq", p.Device, int64(last))
	if err != nil {
		return 0, err
	}
	// Its chains in other scopes: cut where the revocations say, at none
	// of their events where none names the chain.
	cuts, err := revokedChains(ctx, t.tx)
	if err != nil {
		return 0, err
	}
	chains, err := scopedChains(ctx, t.tx, p.Device)
	if err != nil {
		return 0, err
	}
	for _, chain := range chains {
		more, err := queryEvents(ctx, t.tx, t.aead, eventCols+"WHERE device = ? AND seq > ? ORDER BY seq", chain, int64(cuts[chain]))
		if err != nil {
			return 0, err
		}
		evs = append(evs, more...)
	}
	for _, ev := range evs {
		if err := db.quarantineTx(ctx, t.tx, t.aead, ev, "", ErrRevokedDevice.Error(), true); err != nil {
			return 0, err
		}
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM events WHERE id = ?", ev.ID); err != nil {
			return 0, err
		}
	}
	if len(evs) > 0 {
		t.heldTo = nil // chains cut back
		for _, chain := range append([]string{p.Device}, chains...) {
			if _, err := t.tx.ExecContext(ctx, "DELETE FROM heads WHERE device = ?", chain); err != nil {
				return 0, err
			}
			if err := advanceHead(ctx, t.tx, chain); err != nil {
				return 0, err
			}
		}
	}
	return len(evs), nil
}

// heldEvent is what the chain checks need of a stored event.
type heldEvent struct{ hash, prev lifeboat.Hash }

// heldRange reads the stored events of a device around a run of seqs, so
// each event's neighbours are checked without a query per event.
func heldRange(ctx context.Context, t *txn, dev string, lo, hi uint64) (map[uint64]heldEvent, error) {
	rows, err := t.query(ctx, "SELECT seq, hash, prev FROM events WHERE device = ? AND seq BETWEEN ? AND ?", dev, int64(lo), int64(hi))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	held := map[uint64]heldEvent{}
	for rows.Next() {
		var seq int64
		var hash, prev []byte
		if err := rows.Scan(&seq, &hash, &prev); err != nil {
			return nil, err
		}
		held[uint64(seq)] = heldEvent{hash: lifeboat.Hash(hash), prev: lifeboat.Hash(prev)}
	}
	return held, rows.Err()
}

// advanceHead moves a device's contiguous high-water mark over any run of
// sequence numbers now held.
func advanceHead(ctx context.Context, x execer, dev string) error {
	var contiguous, maxSeq int64
	err := x.QueryRowContext(ctx, "SELECT contiguous, max_seq FROM heads WHERE device = ?", dev).Scan(&contiguous, &maxSeq)
	if err != nil && !isNoRows(err) {
		return err
	}
	rows, err := x.QueryContext(ctx, "SELECT seq FROM events WHERE device = ? AND seq > ? ORDER BY seq", dev, contiguous)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		if s == contiguous+1 {
			contiguous = s
		}
		if s > maxSeq {
			maxSeq = s
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = x.ExecContext(ctx, `INSERT INTO heads (device, contiguous, max_seq) VALUES (?, ?, ?)
		ON CONFLICT (device) DO UPDATE SET contiguous = excluded.contiguous, max_seq = excluded.max_seq`, dev, contiguous, maxSeq)
	return err
}

// batchCorrected is the set of IDs in the batch that stored events
// correct, plus every ID a batch event corrects.
func batchCorrected(ctx context.Context, t *txn, batch []lifeboat.Event) (map[string]bool, error) {
	set := map[string]bool{}
	const chunk = 500
	for i := 0; i < len(batch); i += chunk {
		part := batch[i:min(i+chunk, len(batch))]
		q := "SELECT corrects FROM events WHERE corrects <> '' AND corrects IN (?" + strings.Repeat(",?", len(part)-1) + ")"
		args := make([]any, len(part))
		for j := range part {
			args[j] = part[j].ID
		}
		found, err := correctedIDs(ctx, t.tx, q, args...)
		if err != nil {
			return nil, err
		}
		for id := range found {
			set[id] = true
		}
	}
	for i := range batch {
		if batch[i].Corrects != "" {
			set[batch[i].Corrects] = true
		}
	}
	return set, nil
}
