package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// Problem says what kind of failure the newest pull was: it decides
// whether it counts towards an outage.
type Problem string

// The problems a pull can have.
const (
	// ProblemUnreachable: the core system (or the share) did not answer:
	// the only problem that counts towards an outage.
	ProblemUnreachable Problem = "unreachable"
	// ProblemRefused: the core system answered and refused us (HTTP
	// 401/403, a certificate not trusted): IT must fix the configuration.
	ProblemRefused Problem = "refused"
	// ProblemBadData: the census failed its checks; the previous census
	// stays.
	ProblemBadData Problem = "bad data"
	// ProblemRecord: the census could not be recorded in the store.
	ProblemRecord Problem = "not recorded"
	// ProblemOther: the source failed in a way it did not classify.
	ProblemOther Problem = "failed"
)

// Status is a snapshot of a Runner, for `lifeboat status` and the admin
// screen. It holds no patient data and no secret.
type Status struct {
	Source string
	// LastAttempt and LastSuccess are when the newest pull started and
	// the newest pull that worked (a census imported or nothing new).
	LastAttempt, LastSuccess time.Time
	// AsOf is the newest census's time, Patients how many patients it
	// held (read from the log until this runner imports one).
	AsOf     time.Time
	Patients int
	// FailingSince is the first failed pull of the current run of
	// failures; zero when the newest pull worked. LastError says in plain
	// words why the newest pull failed, Problem what kind of failure.
	FailingSince time.Time
	LastError    string
	Problem      Problem
	// Down is set while the newest feed.status in the log says the core
	// system is down (since DownSince).
	Down      bool
	DownSince time.Time
	// Refused names the newest census the checks refused, with how many
	// problems, until a census imports ("" if none). The problems
	// themselves are not kept here: they may quote patient data.
	Refused string
	// NextPull is when Run pulls next (zero outside Run).
	NextPull time.Time
}

// Pull is what one pull did.
type Pull struct {
	// Census is what the source returned (empty with nothing new). It
	// holds patient data: show it, never log it.
	Census reconcile.Census
	// Imported is set when a census was imported; Import says what it
	// changed.
	Imported bool
	Import   reconcile.ImportResult
	// Recorded is the feed.status the pull recorded, if any.
	Recorded *forms.FeedStatus
}

// Reoffer is a Source that must be told when a census it returned could
// not be recorded (the store failed, or the pull was stopped), so that
// it offers it again at the next pull rather than taking it as done.
type Reoffer interface {
	Reoffer(c reconcile.Census)
}

// Options are a Runner's clock, logger and ticks; the zero value uses
// the wall clock, discards logs and ticks every Config.Every.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Ticks returns the channel Run pulls on after its first pull and a
	// function that stops it. Tests hand in their own channel.
	Ticks func(every time.Duration) (<-chan time.Time, func())
}

// Runner pulls a Source now and at every tick, imports each census as
// one transaction (its census.imported record moves "patient data as of"
// on every device through the mesh) and records feed.status when the core
// system has been unreachable for Config.OutageAfter and when it answers
// again: only these changes, never each pull. It is safe for concurrent
// use: Status may be called while Run pulls.
type Runner struct {
	cfg    Config
	src    Source
	log    reconcile.Log
	app    reconcile.Appender
	now    func() time.Time
	logger *slog.Logger
	ticks  func(time.Duration) (<-chan time.Time, func())

	pullMu sync.Mutex // one pull at a time; guards the fields below
	loaded bool
	// unreachableSince is the first pull of the current run of pulls the
	// core system did not answer (a refusal or bad data ends a run: the
	// system answered).
	unreachableSince time.Time

	mu sync.Mutex // guards st
	st Status
}

// NewRunner returns a runner importing src's census into the log through
// app, which signs as the feed's person (an IT admin: feed.status needs
// that role). cfg must have been checked (ParseConfig).
func NewRunner(cfg Config, src Source, log reconcile.Log, app reconcile.Appender, opts Options) *Runner {
	r := &Runner{cfg: cfg, src: src, log: log, app: app, now: opts.Now, logger: opts.Logger, ticks: opts.Ticks}
	if r.now == nil {
		r.now = time.Now
	}
	if r.logger == nil {
		r.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.logger = r.logger.With("component", "feed")
	if r.ticks == nil {
		r.ticks = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	r.st.Source = src.String()
	return r
}

// Status returns a snapshot of the runner's state.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

func (r *Runner) update(f func(st *Status)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.st)
}

// Run pulls now and at every tick until ctx ends, then returns nil. A
// pull's failure is recorded in Status and logged, never returned: the
// feed keeps trying. Cancelling ctx stops it between pulls; a pull under
// way is abandoned with nothing half-recorded (an import is one
// transaction).
func (r *Runner) Run(ctx context.Context) error {
	ticks, stop := r.ticks(r.cfg.Every.Duration)
	defer stop()
	for {
		_, _ = r.PullOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		next := r.now().Add(r.cfg.Every.Duration)
		r.update(func(st *Status) { st.NextPull = next })
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
	}
}

// PullOnce pulls the source once and imports what it returns. Its error
// says why the pull failed and wraps the source's or the store's (match
// ErrUnreachable, ErrRefused with errors.Is; an *reconcile.ImportError
// lists every problem of a census the checks refused); Status keeps it in
// plain words. Nothing new (ErrNoChange, or a census older than the newest
// imported) is a pull that worked.
func (r *Runner) PullOnce(ctx context.Context) (Pull, error) {
	r.pullMu.Lock()
	defer r.pullMu.Unlock()
	if !r.loaded {
		if err := r.load(ctx); err != nil {
			return Pull{}, fmt.Errorf("pull %s: %w", r.src, err)
		}
		r.loaded = true
	}
	at := r.now()
	r.update(func(st *Status) { st.LastAttempt = at })
	c, err := r.src.Pull(ctx)
	if ctx.Err() != nil { // stopping: not a failure of the core system
		if ro, ok := r.src.(Reoffer); ok && err == nil {
			ro.Reoffer(c)
		}
		return Pull{}, fmt.Errorf("pull %s: %w", r.src, ctx.Err())
	}
	var p Pull
	switch {
	case errors.Is(err, ErrNoChange):
		r.logger.Debug("nothing new", "source", r.src.String())
	case err != nil:
		return Pull{}, r.failed(ctx, at, err, false)
	default:
		p.Census = c
		res, err := reconcile.Import(ctx, r.log, r.app, c)
		switch {
		case errors.Is(err, lifeboat.ErrConflict):
			// Older than a census already in the log (another device's
			// feed, or a file put back): nothing new.
			r.logger.Info("census older than the newest imported: not imported", "source", r.src.String(), "as_of", c.AsOf)
		case err != nil:
			if ro, ok := r.src.(Reoffer); ok {
				if kind, _ := classify(err, true); kind == ProblemRecord {
					ro.Reoffer(c) // not recorded: the store's fault, not the census's
				}
			}
			if ctx.Err() != nil {
				return Pull{}, fmt.Errorf("pull %s: %w", r.src, ctx.Err())
			}
			return Pull{}, r.failed(ctx, at, err, true)
		default:
			p.Imported, p.Import = true, res
			n := res.Counts
			r.logger.Info("census imported", "source", c.Source, "as_of", c.AsOf, "patients", n.Patients, "new", n.NewPatients,
				"updated", n.UpdatedPatients, "medicines", n.Medicines, "stopped", n.StoppedMedicines, "events", res.Events)
			r.update(func(st *Status) { st.AsOf, st.Patients, st.Refused = c.AsOf, n.Patients, "" })
		}
	}
	p.Recorded = r.succeeded(ctx, at)
	return p, nil
}

// load reads the newest feed.status and census from the log, so an
// outage recorded before a restart is closed by an "up" record and the
// status shows the census the ward has.
func (r *Runner) load(ctx context.Context) error {
	evs, err := r.log.EventsOfKind(ctx, forms.KindFeedStatus)
	if err != nil {
		return fmt.Errorf("read feed status: %w", err)
	}
	var newest *forms.FeedStatus
	for _, e := range evs { // clock order: the last is the newest
		var fs forms.FeedStatus
		if json.Unmarshal(e.Payload, &fs) == nil {
			newest = &fs
		}
	}
	cs, err := r.log.EventsOfKind(ctx, reconcile.KindCensusImported)
	if err != nil {
		return fmt.Errorf("read census records: %w", err)
	}
	r.update(func(st *Status) {
		if newest != nil {
			st.Down = !newest.Up
			if st.Down {
				st.DownSince = newest.Since
			}
			st.LastSuccess = newest.LastSuccess
			if newest.Up {
				st.LastSuccess = newest.Since
			}
		}
		for _, e := range cs {
			if ci, ok := forms.CensusAsOf(e); ok && !ci.AsOf.Before(st.AsOf) {
				st.AsOf, st.Patients = ci.AsOf, ci.Counts.Patients
				if e.RecordedAt.After(st.LastSuccess) {
					st.LastSuccess = e.RecordedAt
				}
			}
		}
	})
	return nil
}

// succeeded notes a pull that worked and records "up" if the log says
// the core system is down.
func (r *Runner) succeeded(ctx context.Context, at time.Time) *forms.FeedStatus {
	r.unreachableSince = time.Time{}
	st := r.Status()
	r.update(func(st *Status) {
		st.LastSuccess, st.FailingSince, st.LastError, st.Problem = at, time.Time{}, "", ""
	})
	if !st.Down {
		return nil
	}
	fs := forms.FeedStatus{Source: r.src.String(), Up: true, Since: at, LastSuccess: st.LastSuccess}
	if err := r.record(ctx, fs); err != nil {
		r.logger.Warn("could not record that the core system answers again; will try at the next pull", "err", err)
		return nil
	}
	r.logger.Info("core system answering again", "source", fs.Source, "down_since", st.DownSince)
	r.update(func(st *Status) { st.Down, st.DownSince = false, time.Time{} })
	return &fs
}

// failed notes a failed pull and, once the core system has been
// unreachable for OutageAfter, records "down". It returns err in plain
// words. importing says the import failed, not the source.
func (r *Runner) failed(ctx context.Context, at time.Time, err error, importing bool) error {
	kind, words := classify(err, importing)
	r.update(func(st *Status) {
		if st.FailingSince.IsZero() {
			st.FailingSince = at
		}
		st.LastError, st.Problem = words, kind
		if kind == ProblemBadData {
			st.Refused = words
		}
	})
	// The error text of a refused census lists its rows, which may quote
	// patient data: the log gets the plain words only.
	r.logger.Warn("pull failed", "source", r.src.String(), "problem", string(kind), "reason", words)
	if kind != ProblemUnreachable {
		r.unreachableSince = time.Time{} // it answered
		if kind == ProblemBadData {
			return err
		}
		return fmt.Errorf("pull %s: %w", r.src, err)
	}
	if r.unreachableSince.IsZero() {
		r.unreachableSince = at
	}
	st := r.Status()
	if !st.Down && at.Sub(r.unreachableSince) >= r.cfg.OutageAfter.Duration {
		fs := forms.FeedStatus{Source: r.src.String(), Up: false, Since: r.unreachableSince, LastSuccess: st.LastSuccess, Reason: words}
		if rerr := r.record(ctx, fs); rerr != nil {
			r.logger.Warn("could not record the outage; will try at the next pull", "err", rerr)
		} else {
			r.logger.Warn("core system unreachable: outage recorded", "source", fs.Source, "since", fs.Since)
			r.update(func(st *Status) { st.Down, st.DownSince = true, fs.Since })
		}
	}
	return fmt.Errorf("pull %s: %w", r.src, err)
}

func (r *Runner) record(ctx context.Context, fs forms.FeedStatus) error {
	return r.app.AppendAll(ctx, []reconcile.Draft{{Kind: forms.KindFeedStatus, Subject: "feed", PerformedAt: r.now(), Payload: fs}})
}

// maxReason is the most bytes of a failure kept (Status, feed.status).
const maxReason = 300

// classify says what kind of failure err is and puts it in plain words
// with no patient data: a refused census is summed up by its number of
// problems, never its rows. importing says the import failed (the
// store), not the source.
func classify(err error, importing bool) (Problem, string) {
	var ie *reconcile.ImportError
	switch {
	case errors.As(err, &ie):
		return ProblemBadData, fmt.Sprintf("the census %s has %d problems; nothing imported (lifeboat feed pull lists them)", ie.Source, len(ie.Rows))
	case errors.Is(err, lifeboat.ErrInvalid):
		return ProblemBadData, reasonWords(err.Error())
	case importing:
		return ProblemRecord, reasonWords(err.Error())
	case errors.Is(err, ErrUnreachable):
		return ProblemUnreachable, reasonWords(err.Error())
	case errors.Is(err, ErrRefused):
		return ProblemRefused, reasonWords(err.Error())
	default:
		return ProblemOther, reasonWords(err.Error())
	}
}

// reasonWords bounds the words kept for a failure.
func reasonWords(s string) string {
	if len(s) <= maxReason {
		return s
	}
	return s[:maxReason] + "…"
}

// Summary says in plain words what the pull did, with no patient data
// (for the admin screen's "Pull now").
func (p Pull) Summary() string {
	var s string
	switch {
	case p.Imported:
		n := p.Import.Counts
		s = fmt.Sprintf("Census as of %s imported: %d patients (%d new, %d updated), %d medicines added, %d stopped.",
			p.Census.AsOf.Local().Format("02-Jan 15:04"), n.Patients, n.NewPatients, n.UpdatedPatients, n.Medicines, n.StoppedMedicines)
		if l := len(p.Census.Notes); l > 0 {
			s += fmt.Sprintf(" %d records left out or kept as text: lifeboat feed pull lists them.", l)
		}
	case p.Census.Source != "":
		s = fmt.Sprintf("Nothing new: this census (as of %s) is older than the one the ward has.", p.Census.AsOf.Local().Format("02-Jan 15:04"))
	default:
		s = "Nothing new."
	}
	if p.Recorded != nil && p.Recorded.Up {
		s += " The core system is answering again: the wards are told."
	}
	return s
}
