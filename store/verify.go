package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync"

	"lifeboat"
)

// VerifyProblem is one thing Verify found wrong.
type VerifyProblem struct {
	Where string // e.g. "event K3F9QX2A/17", "audit entry 12", "database file"
	What  string
}

func (p VerifyProblem) String() string { return p.Where + ": " + p.What }

// VerifyReport is what Verify checked and found.
type VerifyReport struct {
	Events   int
	Problems []VerifyProblem
}

// OK reports whether nothing was found wrong.
func (r VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify checks the whole store: SQLite's own integrity check, every
// event's ciphertext, encoding, hash, chain link and signature, the
// version vector, the high-water mark (events lost from the database),
// every view row and the audit chain. It names each
// damaged record and carries on past damage; the error is only for a
// store it cannot read at all.
func (db *DB) Verify(ctx context.Context) (VerifyReport, error) {
	var rep VerifyReport
	problem := func(where, format string, args ...any) {
		rep.Problems = append(rep.Problems, VerifyProblem{Where: where, What: fmt.Sprintf(format, args...)})
	}
	aead, err := db.keys()
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}

	if rows, err := db.sql.QueryContext(ctx, "PRAGMA integrity_check"); err != nil {
		problem("database file", "integrity check failed to run: %v", err)
	} else {
		for rows.Next() {
			var line string
			if rows.Scan(&line) == nil && line != "ok" {
				problem("database file", "%s", line)
			}
		}
		if err := rows.Err(); err != nil {
			problem("database file", "integrity check: %v", err)
		}
		rows.Close()
	}

	reg := map[string]ed25519.PublicKey{}
	if devs, err := db.Devices(ctx); err != nil {
		problem("device registry", "unreadable: %v", err)
	} else {
		for _, d := range devs {
			reg[d.ID] = d.PublicKey
		}
	}

	db.verifyEvents(ctx, aead, reg, &rep, problem)
	db.verifyOwnChain(ctx, problem)

	if _, err := db.ProjectionDigest(ctx); err != nil {
		problem("views", "%v (run a rebuild to recreate them from the log)", err)
	}
	if err := db.VerifyAudit(ctx); err != nil {
		problem("audit log", "%v", err)
	}
	return rep, nil
}

type verifyRow struct {
	id, device, kind string
	seq              int64
	hash, prev       []byte
	sealed, opened   []byte
}

func (db *DB) verifyEvents(ctx context.Context, aead cipherAEAD, reg map[string]ed25519.PublicKey, rep *VerifyReport, problem func(string, string, ...any)) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, device, seq, kind, hash, prev, sealed, opened FROM events ORDER BY device, seq")
	if err != nil {
		problem("event log", "unreadable: %v", err)
		return
	}
	defer rows.Close()

	type sigJob struct {
		where string
		e     lifeboat.Event
		pub   ed25519.PublicKey
	}
	jobs := make(chan sigJob, 256)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if !j.e.VerifySig(j.pub) {
					mu.Lock()
					problem(j.where, "signature does not verify (record altered)")
					mu.Unlock()
				}
			}
		}()
	}
	report := func(where, format string, args ...any) {
		mu.Lock()
		problem(where, format, args...)
		mu.Unlock()
	}

	var lastDev string
	var lastSeq, contiguous int64
	var lastHash []byte
	heads := map[string]int64{}
	for rows.Next() {
		var r verifyRow
		if err := rows.Scan(&r.id, &r.device, &r.seq, &r.kind, &r.hash, &r.prev, &r.sealed, &r.opened); err != nil {
			report("event log", "row unreadable: %v", err)
			continue
		}
		rep.Events++
		where := fmt.Sprintf("event %s/%d (%s)", r.device, r.seq, r.id)
		if r.device != lastDev {
			if lastDev != "" {
				heads[lastDev] = contiguous
			}
			lastDev, lastSeq, lastHash, contiguous = r.device, 0, nil, 0
		}
		e, err := decodeSealed(aead, r.id, r.device, r.seq, r.kind, r.sealed, r.opened)
		if err != nil {
			report(where, "%v", err)
			lastSeq, lastHash = r.seq, r.hash
			continue
		}
		h := e.Hash()
		if !bytes.Equal(h[:], r.hash) {
			report(where, "stored hash does not match the record")
		}
		if !bytes.Equal(e.Prev[:], r.prev) {
			report(where, "stored chain link does not match the record")
		}
		if r.seq == lastSeq+1 && lastHash != nil && !bytes.Equal(e.Prev[:], lastHash) {
			report(where, "does not follow the device's previous event (chain broken)")
		}
		if r.seq == contiguous+1 {
			contiguous = r.seq
		}
		lastSeq, lastHash = r.seq, h[:]
		pub, ok := reg[lifeboat.DeviceOf(r.device)]
		if !ok {
			report(where, "signed by a device that is not in the registry")
			continue
		}
		jobs <- sigJob{where: where, e: e, pub: pub}
	}
	if err := rows.Err(); err != nil {
		report("event log", "reading stopped early: %v", err)
	}
	if lastDev != "" {
		heads[lastDev] = contiguous
	}
	close(jobs)
	wg.Wait()

	vv, err := db.VersionVector(ctx)
	if err != nil {
		problem("version vector", "unreadable: %v", err)
		return
	}
	sub, err := db.Subscription(ctx)
	if err != nil {
		problem("scopes", "unreadable: %v", err)
		return
	}
	for dev, c := range heads {
		if _, ok := vv[dev]; !ok && !sub.Holds(lifeboat.ScopeOf(dev)) {
			continue // records of another ward handed over with a patient
		}
		if vv[dev] != uint64(c) {
			problem("version vector", "device %s: recorded %d, log holds %d contiguous", dev, vv[dev], c)
		}
	}
}

// verifyOwnChain compares this device's head with the high-water mark
// kept beside the database, and reports a store whose recording is paused.
func (db *DB) verifyOwnChain(ctx context.Context, problem func(string, string, ...any)) {
	c, err := readOwnChain(ctx, db.sql)
	if err != nil {
		problem("own events", "unreadable: %v", err)
		return
	}
	m, err := ReadMark(db.path)
	_, kerr := db.meta(ctx, "hwm_kept")
	switch {
	case err == nil && m.Device == c.Device && m.Seq > c.Head:
		problem("database file", "%d recorded events of this device are missing: the high-water mark is %d, the log ends at %d "+
			"(lost from the database: a damaged WAL, or the file was replaced by an older copy)", m.Seq-c.Head, m.Seq, c.Head)
	case err == nil && m.Device != c.Device:
		problem("high-water mark", "belongs to device %s, not to this store's device %s (the store was replaced or copied)", m.Device, c.Device)
	case err != nil && isNotExist(err) && kerr == nil:
		problem("high-water mark", "missing: the store was copied or restored without it")
	case err != nil && !isNotExist(err):
		problem("high-water mark", "%v", err)
	}
	if w := c.Words(); w != "" {
		problem("recording", "%s", w)
	}
}
