package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Ward summaries: the site's capacity view and sitrep without the wards'
// clinical records. A device that holds a ward's bed and patient records
// counts its bed board and records the counts as a ward.summary event in
// the site scope whenever they change (PublishWardSummaries, run after
// commits by RunWardSummaries); a device that does not hold the ward (a
// bed manager's) shows the newest summary it has, with the time it
// describes (SiteCapacity). A summary never overrides a live board held
// here.
//
// Which wards this device holds is its subscription's (Subscription): a
// ward device holds its wards, a relay every scope, a bed manager's the
// site alone. A summary carries the ward's chains as its device held them
// (Basis), so that a device holding less does not replace it with an
// older count.

// SummaryStaleAfter is how long a newer summary made by a device that had
// seen more of the log than this one holds back this device's own,
// different count (the other device counted what this one has not
// received yet: replacing its count would show the site an older state).
// Past it, this device's count goes out anyway: a ward whose counting
// device was lost is not left at its last summary for ever.
const SummaryStaleAfter = 15 * time.Minute

// SummaryRefresh is how old the newest summary of a ward may grow before a
// device holding the ward records its count again, changed or not: the
// time a bed manager sees then says when the ward's devices were last
// heard from, and a count older than this means they have not been (lost
// power, off the network), not that the ward was quiet.
const SummaryRefresh = time.Hour

// SummaryOverdue is how old a ward's newest summary is when the site's
// views say its devices have not been heard from: SummaryRefresh, and
// time for the refresh to come round and reach this device by sync.
const SummaryOverdue = SummaryRefresh + 30*time.Minute

// DefaultSummarySettle is how long RunWardSummaries waits after a commit
// before counting, so a burst (a sync batch, a census import) gives one
// count, not one per commit.
const DefaultSummarySettle = 2 * time.Second

// wardSummaryKinds are the kinds whose records change a ward's counts or
// the newest summary of it: RunWardSummaries counts again only when one
// of them has changed.
var wardSummaryKinds = []string{forms.KindBedState, forms.KindPatientAdmitted, forms.KindPatientTransferred,
	forms.KindPatientDischarged, forms.KindWardDefined, forms.KindWardSummary}

// siteBoards is what this store holds of the site's beds: every ward, the
// live bed board of each ward it holds, and the newest valid summary of
// each ward.
type siteBoards struct {
	wards     []forms.Ward
	live      map[string]forms.WardBoard // ward ID -> board, for the wards held here
	summaries map[string]wardSummaryRec  // ward ID -> its newest summary
}

// wardSummaryRec is a summary with the device that recorded it.
type wardSummaryRec struct {
	forms.WardSummaryReport
	device string
}

// readSiteBoards reads the wards, the moves (once, if any ward is held)
// and each held ward's bed states, and the newest summary of every ward.
// sub is this device's subscription: the wards it holds.
func readSiteBoards(ctx context.Context, x execer, aead cipherAEAD, sub lifeboat.Subscription) (siteBoards, error) {
	sb := siteBoards{live: map[string]forms.WardBoard{}}
	var err error
	if sb.wards, err = wards(ctx, x, aead); err != nil {
		return sb, err
	}
	if sb.summaries, err = newestSummaries(ctx, x, aead); err != nil {
		return sb, err
	}
	var ms []timedMove
	var places []forms.Placement
	read := false
	for _, w := range sb.wards {
		if !sub.Reads(lifeboat.WardScope(w.ID)) {
			continue
		}
		if !read {
			if ms, err = moves(ctx, x, aead); err != nil {
				return sb, err
			}
			places, read = placements(ms), true
		}
		rs, err := readRecords(ctx, x, aead, forms.KindBedState, w.ID, true)
		if err != nil {
			return sb, err
		}
		states, err := bedTimeline(rs, ms, w.ID)
		if err != nil {
			return sb, err
		}
		sb.live[w.ID] = forms.BedBoard(w, states, places)
	}
	return sb, nil
}

// ErrWardNotHeld: this device does not hold the ward's bed and patient
// records (a bed manager's device holds the site's records only), so it
// cannot draw the ward's bed board; SiteCapacity shows the ward's count
// from its summary.
var ErrWardNotHeld = fmt.Errorf("this device does not hold the ward's beds and patients: %w", lifeboat.ErrNotFound)

// newestSummaries returns each ward's newest standing, valid summary: by
// clock, the device ID breaking ties, so every device picks the same one.
// A summary entered in error, or whose counts do not add up, is passed
// over for the one before it.
func newestSummaries(ctx context.Context, x execer, aead cipherAEAD) (map[string]wardSummaryRec, error) {
	rs, err := readRecords(ctx, x, aead, forms.KindWardSummary, "*", false)
	if err != nil {
		return nil, err
	}
	out := map[string]wardSummaryRec{}
	for _, r := range rs { // oldest first by clock, then device: the last one standing wins
		if !r.Final() {
			continue
		}
		rep, ok := forms.WardSummaryOf(lifeboat.Event{Payload: r.Payload, PerformedAt: r.PerformedAt, HLC: r.HLC})
		if !ok || "ward:"+rep.Ward != r.Subject {
			continue
		}
		out[rep.Ward] = wardSummaryRec{WardSummaryReport: rep, device: lifeboat.DeviceOf(r.Ref.Device)}
	}
	return out, nil
}

// capacity is the site capacity view of sb: each ward's live counts where
// it is held here, else its newest summary, else no counts.
func (sb siteBoards) capacity() []forms.WardCapacity {
	out := make([]forms.WardCapacity, 0, len(sb.wards))
	for _, w := range sb.wards {
		if b, ok := sb.live[w.ID]; ok {
			out = append(out, forms.WardCapacity{WardSummary: b.Summary()})
			continue
		}
		c := forms.WardCapacity{WardSummary: forms.WardSummary{Ward: w.ID, Name: w.Name}, NoSummary: true}
		if s, ok := sb.summaries[w.ID]; ok {
			c = forms.WardCapacity{WardSummary: s.WardSummary, FromSummary: true, AsOf: s.AsOf}
			c.Name = w.Name // the ward's name as the site's layout has it now
		}
		out = append(out, c)
	}
	return out
}

// PublishWardSummaries records the summary of each ward this device holds
// whose counts differ from the newest summary of it in the log, or whose
// newest summary is SummaryRefresh old, and returns how many it recorded:
// none when nothing changed. A newer
// summary from a device that had seen events this one has not holds this
// device's count back for SummaryStaleAfter (see there). The events are
// the device's own (author "device:<its ID>"): no one needs to be signed
// in, so a headless `lifeboat serve` publishes too.
func (db *DB) PublishWardSummaries(ctx context.Context) (int, error) {
	aead, err := db.keys()
	if err != nil {
		return 0, fmt.Errorf("publish ward summaries: %w", err)
	}
	db.summaryMu.Lock()
	defer db.summaryMu.Unlock()
	sub, err := db.Subscription(ctx)
	if err != nil {
		return 0, fmt.Errorf("publish ward summaries: %w", err)
	}
	sb, err := readSiteBoards(ctx, db.sql, aead, sub)
	if err != nil {
		return 0, fmt.Errorf("publish ward summaries: %w", err)
	}
	vv, err := versionVector(ctx, db.sql)
	if err != nil {
		return 0, fmt.Errorf("publish ward summaries: %w", err)
	}
	db.mu.Lock()
	self := db.device
	db.mu.Unlock()
	now := db.now()
	var drafts []Draft
	for _, w := range sb.wards {
		b, held := sb.live[w.ID]
		if !held {
			continue // counted by the devices that hold it
		}
		mine := forms.WardSummaryReport{WardSummary: b.Summary(), AsOf: now, Basis: wardBasis(vv, w.ID)}
		if n, ok := sb.summaries[w.ID]; ok {
			if n.SameCounts(mine) && now.Sub(n.AsOf) < SummaryRefresh {
				continue
			}
			if !n.SameCounts(mine) && n.device != self && !summaryCovers(vv, n.Basis) && now.Sub(n.AsOf) < SummaryStaleAfter {
				continue
			}
		}
		drafts = append(drafts, Draft{Kind: forms.KindWardSummary, Subject: "ward:" + w.ID, PerformedAt: now, Payload: mine})
	}
	if len(drafts) == 0 {
		return 0, nil
	}
	me := &Session{User: User{ID: "device:" + self, Name: "this device"}}
	if _, err := db.AppendAll(ctx, me, drafts); err != nil {
		return 0, fmt.Errorf("publish ward summaries: %w", err)
	}
	return len(drafts), nil
}

// wardBasis is the part of version vector vv that is ward's own chains.
func wardBasis(vv map[string]uint64, ward string) map[string]uint64 {
	scope := lifeboat.WardScope(ward)
	out := map[string]uint64{}
	for chain, n := range vv {
		if lifeboat.ScopeOf(chain) == scope {
			out[chain] = n
		}
	}
	return out
}

// summaryCovers reports whether this store holds everything basis says
// the summary's device held of the ward.
func summaryCovers(have, basis map[string]uint64) bool {
	for chain, n := range basis {
		if have[chain] < n {
			return false
		}
	}
	return true
}

// summaryFingerprint changes whenever a record that wardSummaryKinds
// names is added or corrected: RunWardSummaries counts only then.
func summaryFingerprint(ctx context.Context, x execer) (string, error) {
	var n, last, corrected int64
	q := "SELECT COUNT(*), COALESCE(MAX(rowid), 0), COALESCE(SUM(status != ?), 0) FROM p_records WHERE kind IN (" + inList(len(wardSummaryKinds)) + ")"
	args := []any{StatusFinal}
	for _, k := range wardSummaryKinds {
		args = append(args, k)
	}
	if err := x.QueryRowContext(ctx, q, args...).Scan(&n, &last, &corrected); err != nil {
		return "", fmt.Errorf("read ward records: %w", err)
	}
	return fmt.Sprint(n, "/", last, "/", corrected), nil
}

// RunWardSummaries keeps this device's ward summaries current until ctx
// ends: it publishes once at the start, then, settle after each burst of
// commits (DefaultSummarySettle if zero), again when a bed, placement,
// ward or summary record changed, and every quarter of SummaryRefresh
// for the counts that have grown old. It is the one trigger the app (while it
// syncs) and `lifeboat serve` both run. A failure (a disk full) is
// logged (counts and ward IDs, no patient data) and tried again on the
// next commit; a locked store waits quietly. It returns nil when ctx ends.
func (db *DB) RunWardSummaries(ctx context.Context, settle time.Duration) error {
	if settle <= 0 {
		settle = DefaultSummarySettle
	}
	ch := make(chan struct{}, 1)
	db.Subscribe(ch)
	defer db.Unsubscribe(ch)
	log := db.log.With("component", "ward-summary")
	last := ""
	run := func(always bool) {
		// Read before counting: a commit landing while it counts signals
		// again, and finds the fingerprint changed. Its own summaries do
		// too, and are counted once more, to no new event.
		fp, err := summaryFingerprint(ctx, db.sql)
		if err == nil && fp == last && !always {
			return
		}
		if _, err := db.PublishWardSummaries(ctx); err != nil {
			if ctx.Err() == nil && !errors.Is(err, ErrLocked) {
				// Counts and ward IDs only: no patient data to keep out.
				log.Warn("ward summaries not recorded", "err", err)
			}
			return
		}
		last = fp
	}
	run(true)
	refresh := time.NewTicker(SummaryRefresh / 4)
	defer refresh.Stop()
	// The first commit of a burst starts the wait; later ones join it, so
	// a long sync still gives a count every settle, not one at its end.
	timer := time.NewTimer(settle)
	timer.Stop()
	pending := false
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-ch:
			if !pending {
				timer.Reset(settle)
				pending = true
			}
		case <-timer.C:
			pending = false
			run(false)
		case <-refresh.C:
			run(true) // a quiet ward's count is sent again every SummaryRefresh
		}
	}
}
