package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/reconcile"
)

// ward is a real store in a temp dir with its IT admin signed in, on a
// clock the test moves.
type ward struct {
	db  *store.DB
	s   *store.Session
	clk *storetest.Clock
	app reconcile.Appender
}

func mustWard(t *testing.T) *ward {
	t.Helper()
	clk := storetest.NewClock(storetest.T0)
	db, s := storetest.MustInit(t, store.Options{Now: clk.Now})
	return &ward{db: db, s: s, clk: clk, app: reconcile.StoreAppender(db, s)}
}

// feedStatuses returns the feed.status records in the log, oldest first.
func feedStatuses(t *testing.T, db *store.DB) []forms.FeedStatus {
	t.Helper()
	evs, err := db.EventsOfKind(t.Context(), forms.KindFeedStatus)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]forms.FeedStatus, len(evs))
	for i, e := range evs {
		if err := json.Unmarshal(e.Payload, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func countKind(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	evs, err := db.EventsOfKind(t.Context(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// nhs makes the i-th valid test NHS number (999 prefix).
func nhs(i int) string {
	for ; ; i += 1000 {
		first := fmt.Sprintf("999%06d", i%1_000_000)
		if d, ok := forms.NHSCheckDigit(first); ok {
			return first + fmt.Sprint(d)
		}
	}
}

// censusCSV is a census of n patients on ward w7, one bed each.
func censusCSV(n int) string {
	var b strings.Builder
	b.WriteString("nhs_number,surname,given,birth_date,ward,bed\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,Patient%d,Test,1950-01-%02d,w7,b%d\n", nhs(i), i, i%28+1, i)
	}
	return b.String()
}

// dropFile writes an extract into dir as the core system does, modified
// at mod.
func dropFile(t *testing.T, dir, name, content string, mod time.Time) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// folderFeed is a runner on w pulling a folder in a temp dir, pulling
// every minute and recording an outage after three.
func folderFeed(t *testing.T, w *ward) (*Runner, *Folder, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "share")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(`{"folder":{"path":"share"},"every":"1m","outage_after":"3m"}`), filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFolder(*cfg.Folder, reconcile.CensusOptions{Ward: "w7"})
	f.now = w.clk.Now
	return NewRunner(cfg, f, w.db, w.app, Options{Now: w.clk.Now}), f, dir
}

// TestRunner_OutageRecordedOnceAfterOutageAfter: the share gone, the
// runner records one feed.status "down" once pulls have failed for
// outage_after (not before, not at every pull after), with the first
// failure as Since and the newest success; the share back, one "up".
func TestRunner_OutageRecordedOnceAfterOutageAfter(t *testing.T) {
	w := mustWard(t)
	r, _, dir := folderFeed(t, w)
	ctx := t.Context()
	dropFile(t, dir, "census.csv", censusCSV(3), w.clk.Now().Add(-time.Minute))
	p, err := r.PullOnce(ctx)
	if err != nil || !p.Imported || p.Import.Counts.Patients != 3 {
		t.Fatalf("first pull = %+v, %v; want 3 patients imported", p.Import, err)
	}
	firstOK := w.clk.Now()
	if st := r.Status(); !st.LastSuccess.Equal(firstOK) || st.Patients != 3 || st.Down || st.LastError != "" {
		t.Fatalf("Status after the first pull = %+v", st)
	}

	hidden := dir + ".away"
	if err := os.Rename(dir, hidden); err != nil { // the share goes away
		t.Fatal(err)
	}
	var firstFail time.Time
	for i := 1; i <= 5; i++ {
		w.clk.Advance(time.Minute)
		if i == 1 {
			firstFail = w.clk.Now()
		}
		if _, err := r.PullOnce(ctx); err == nil || !strings.Contains(err.Error(), "read folder") {
			t.Fatalf("pull %d with the share gone = %v, want the folder named", i, err)
		}
		got := feedStatuses(t, w.db)
		// Failing since +1m: +4m is the first pull 3 minutes after it.
		want := 0
		if i >= 4 {
			want = 1
		}
		if len(got) != want {
			t.Fatalf("after failed pull %d (%s after the first failure): %d feed.status records, want %d", i, w.clk.Now().Sub(firstFail), len(got), want)
		}
		st := r.Status()
		if !st.FailingSince.Equal(firstFail) || st.Problem != ProblemUnreachable || !strings.Contains(st.LastError, "read folder") || st.Down != (want == 1) {
			t.Fatalf("Status after failed pull %d = %+v", i, st)
		}
	}
	down := feedStatuses(t, w.db)[0]
	if down.Up || !down.Since.Equal(firstFail) || !down.LastSuccess.Equal(firstOK) || !strings.Contains(down.Reason, "read folder") || down.Source != r.Status().Source {
		t.Errorf("down record = %+v; want down since %s, last success %s, the reason", down, firstFail, firstOK)
	}

	if err := os.Rename(hidden, dir); err != nil { // the share is back
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	back := w.clk.Now()
	if p, err := r.PullOnce(ctx); err != nil || p.Recorded == nil || !p.Recorded.Up {
		t.Fatalf("pull with the share back = %+v, %v; want an up record", p, err)
	}
	got := feedStatuses(t, w.db)
	if len(got) != 2 || !got[1].Up || !got[1].Since.Equal(back) || !got[1].LastSuccess.Equal(firstOK) {
		t.Fatalf("feed.status records = %+v; want down then up since %s", got, back)
	}
	w.clk.Advance(time.Minute)
	if _, err := r.PullOnce(ctx); err != nil || len(feedStatuses(t, w.db)) != 2 {
		t.Errorf("another good pull = %v, %d records; want no new record", err, len(feedStatuses(t, w.db)))
	}
	if st := r.Status(); st.Down || !st.FailingSince.IsZero() || st.LastError != "" {
		t.Errorf("Status after recovery = %+v", st)
	}
}

// TestRunner_RecoveryBeforeOutageAfterRecordsNothing: a share that comes
// back before outage_after leaves no feed.status at all.
func TestRunner_RecoveryBeforeOutageAfterRecordsNothing(t *testing.T) {
	w := mustWard(t)
	r, _, dir := folderFeed(t, w)
	ctx := t.Context()
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	for range 3 { // +0, +1, +2: two minutes of failures
		if _, err := r.PullOnce(ctx); err == nil {
			t.Fatal("pull of a missing folder worked")
		}
		w.clk.Advance(time.Minute)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PullOnce(ctx); err != nil {
		t.Fatalf("pull of an empty folder = %v, want nothing new", err)
	}
	if got := feedStatuses(t, w.db); len(got) != 0 {
		t.Errorf("feed.status = %+v, want none: the outage was shorter than outage_after", got)
	}
}

// TestRunner_BadDataIsNotAnOutage: a census the checks refuse is reported
// once, kept in the status (by its count of problems, never its rows),
// and never makes an outage however long it stays; the previous census
// stays.
func TestRunner_BadDataIsNotAnOutage(t *testing.T) {
	w := mustWard(t)
	r, _, dir := folderFeed(t, w)
	ctx := t.Context()
	dropFile(t, dir, "census-1.csv", censusCSV(2), w.clk.Now().Add(-time.Minute))
	if _, err := r.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	bad := "nhs_number,surname,given,birth_date,ward,bed\n9990000018,Smith,Ann,2099-01-01,w7,b1\n"
	dropFile(t, dir, "census-2.csv", bad, w.clk.Now().Add(-time.Minute))
	_, err := r.PullOnce(ctx)
	var ie *reconcile.ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "birth_date 2099-01-01") {
		t.Fatalf("pull of a bad file = %v, want its problems listed", err)
	}
	st := r.Status()
	if st.Problem != ProblemBadData || !strings.Contains(st.Refused, "census-2.csv has 1 problems") || strings.Contains(st.LastError, "2099") {
		t.Fatalf("Status after a bad file = %+v; want it refused by count, no row", st)
	}
	for i := range 10 {
		w.clk.Advance(time.Minute)
		if _, err := r.PullOnce(ctx); err != nil {
			t.Fatalf("pull %d after the bad file = %v, want it not read again (reported once)", i, err)
		}
	}
	if got := feedStatuses(t, w.db); len(got) != 0 {
		t.Errorf("feed.status = %+v, want none: bad data is not the core system down", got)
	}
	if st := r.Status(); !strings.Contains(st.Refused, "census-2.csv") || st.Patients != 2 {
		t.Errorf("Status = %+v; want the refusal kept and the previous census's 2 patients", st)
	}
	if n := countKind(t, w.db, reconcile.KindCensusImported); n != 1 {
		t.Errorf("census.imported records = %d, want 1 (the bad file imported nothing)", n)
	}
	// A good file clears the refusal.
	dropFile(t, dir, "census-3.csv", censusCSV(3), w.clk.Now().Add(-time.Minute))
	if _, err := r.PullOnce(ctx); err != nil || r.Status().Refused != "" {
		t.Errorf("pull of a good file = %v, Status %+v; want the refusal cleared", err, r.Status())
	}
}

// stubSource returns what the test sets.
type stubSource struct {
	census reconcile.Census
	err    error
}

func (s *stubSource) Pull(context.Context) (reconcile.Census, error) { return s.census, s.err }
func (s *stubSource) String() string                                 { return "https://pas.example/fhir" }

func stubFeed(t *testing.T, w *ward, src Source) *Runner {
	t.Helper()
	cfg, err := ParseConfig([]byte(`{"fhir":{"base":"https://pas.example/fhir"},"every":"1m","outage_after":"2m"}`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return NewRunner(cfg, src, w.db, w.app, Options{Now: w.clk.Now})
}

// TestRunner_RefusedIsNotAnOutage: a 401/403 (ErrRefused) and an
// unclassified failure are reported, never an outage; a refusal between
// unreachable pulls starts the outage clock again (the system answered).
func TestRunner_RefusedIsNotAnOutage(t *testing.T) {
	w := mustWard(t)
	src := &stubSource{err: fmt.Errorf("HTTP 401 from https://pas.example/fhir/Encounter: the token was refused: %w", ErrRefused)}
	r := stubFeed(t, w, src)
	ctx := t.Context()
	for range 5 {
		if _, err := r.PullOnce(ctx); err == nil || !strings.Contains(err.Error(), "token was refused") {
			t.Fatalf("pull = %v, want the refusal", err)
		}
		w.clk.Advance(time.Minute)
	}
	if st := r.Status(); st.Problem != ProblemRefused || st.Down {
		t.Errorf("Status = %+v, want refused, not down", st)
	}
	unreachable := fmt.Errorf("connect https://pas.example: connection refused: %w", ErrUnreachable)
	for _, e := range []error{unreachable, unreachable, src.err, unreachable, unreachable} { // 1 min, refusal, 1 min
		src.err = e
		_, _ = r.PullOnce(ctx)
		w.clk.Advance(time.Minute)
	}
	if got := feedStatuses(t, w.db); len(got) != 0 {
		t.Errorf("feed.status = %+v, want none", got)
	}
	src.err = unreachable
	_, _ = r.PullOnce(ctx) // the third minute unreachable in a row
	if got := feedStatuses(t, w.db); len(got) != 1 || got[0].Up || !strings.HasPrefix(got[0].Reason, "connect https://pas.example: connection refused") {
		t.Errorf("feed.status = %+v, want one down with the reason", got)
	}
}

// TestRunner_RestartClosesOpenOutage: an outage recorded before a restart
// is closed by an "up" record at the new runner's first pull that works,
// and a new runner still failing does not record a second "down".
func TestRunner_RestartClosesOpenOutage(t *testing.T) {
	w := mustWard(t)
	ctx := t.Context()
	src := &stubSource{err: fmt.Errorf("connect: connection refused: %w", ErrUnreachable)}
	r1 := stubFeed(t, w, src)
	for range 3 {
		_, _ = r1.PullOnce(ctx)
		w.clk.Advance(time.Minute)
	}
	if got := feedStatuses(t, w.db); len(got) != 1 || got[0].Up {
		t.Fatalf("before the restart: %+v, want one down", got)
	}
	r2 := stubFeed(t, w, src) // lifeboat serve restarted, the core system still down
	for range 4 {
		_, _ = r2.PullOnce(ctx)
		w.clk.Advance(time.Minute)
	}
	if st := r2.Status(); !st.Down || len(feedStatuses(t, w.db)) != 1 {
		t.Fatalf("restarted runner still failing: Status %+v, %d records; want down, no second record", st, len(feedStatuses(t, w.db)))
	}
	r3 := stubFeed(t, w, &stubSource{err: ErrNoChange}) // restarted again; the core system answers
	if _, err := r3.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := feedStatuses(t, w.db); len(got) != 2 || !got[1].Up || !got[1].Since.Equal(w.clk.Now()) {
		t.Errorf("after the restart: %+v, want down then up", got)
	}
}

// TestRunner_UnchangedAndOlderCensus: an unchanged census appends only
// its census.imported record; one older than the log's newest is refused
// by Import and treated as nothing new.
func TestRunner_UnchangedAndOlderCensus(t *testing.T) {
	w := mustWard(t)
	ctx := t.Context()
	c, err := reconcile.ParseCensusCSV(strings.NewReader(censusCSV(4)), "pas", w.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	src := &stubSource{census: c}
	r := stubFeed(t, w, src)
	if p, err := r.PullOnce(ctx); err != nil || p.Import.Counts.NewPatients != 4 {
		t.Fatalf("first pull = %+v, %v", p.Import, err)
	}
	before := countEvents(t, w.db)
	w.clk.Advance(time.Minute)
	src.census.AsOf = w.clk.Now()
	if p, err := r.PullOnce(ctx); err != nil || p.Import.Events != 1 || countEvents(t, w.db) != before+1 {
		t.Errorf("unchanged census = %+v, %v, %d new events; want only census.imported", p.Import, err, countEvents(t, w.db)-before)
	}
	src.census.AsOf = storetest.T0.Add(-time.Hour)
	if p, err := r.PullOnce(ctx); err != nil || p.Imported || countEvents(t, w.db) != before+1 {
		t.Errorf("older census = %+v, %v; want nothing new, nothing recorded", p, err)
	}
	if st := r.Status(); !st.AsOf.Equal(storetest.T0.Add(time.Minute)) || st.Patients != 4 || st.LastError != "" {
		t.Errorf("Status = %+v", st)
	}
}

func countEvents(t *testing.T, db *store.DB) int {
	t.Helper()
	evs, err := db.EventsAfter(t.Context(), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestRunner_StatusFromTheLog: a new runner's status shows the census
// and the outage the log holds before its first pull's result.
func TestRunner_StatusFromTheLog(t *testing.T) {
	w := mustWard(t)
	ctx := t.Context()
	c, err := reconcile.ParseCensusCSV(strings.NewReader(censusCSV(5)), "pas", w.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Import(ctx, w.db, w.app, c); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Hour)
	src := &stubSource{err: fmt.Errorf("connect: timeout: %w", ErrUnreachable)}
	r := stubFeed(t, w, src)
	_, _ = r.PullOnce(ctx)
	if st := r.Status(); st.Patients != 5 || !st.AsOf.Equal(storetest.T0) || st.LastSuccess.IsZero() || st.Down {
		t.Errorf("Status = %+v; want the log's census of 5 as of T0", st)
	}
}

// TestRunner_RunPullsAtEveryTickAndStops: Run pulls at once and at every
// tick, says when it pulls next, and returns nil when its context ends.
func TestRunner_RunPullsAtEveryTickAndStops(t *testing.T) {
	w := mustWard(t)
	src := &countingSource{}
	cfg, err := ParseConfig([]byte(`{"fhir":{"base":"https://pas.example/fhir"},"every":"1m"}`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	r := NewRunner(cfg, src, w.db, w.app, Options{Now: w.clk.Now, Ticks: func(d time.Duration) (<-chan time.Time, func()) {
		if d != time.Minute {
			t.Errorf("ticks every %s, want 1m", d)
		}
		return ticks, func() {}
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "the first pull", func() bool { return src.n.Load() == 1 && !r.Status().NextPull.IsZero() })
	if got, want := r.Status().NextPull, storetest.T0.Add(time.Minute); !got.Equal(want) {
		t.Errorf("NextPull = %s, want %s", got, want)
	}
	for i := 2; i <= 3; i++ {
		ticks <- time.Time{}
		waitFor(t, fmt.Sprintf("pull %d", i), func() bool { return src.n.Load() == int32(i) })
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop within 10s of cancellation")
	}
}

// countingSource counts its pulls; there is never anything new.
type countingSource struct{ n atomic.Int32 }

func (s *countingSource) Pull(context.Context) (reconcile.Census, error) {
	s.n.Add(1)
	return reconcile.Census{}, ErrNoChange
}
func (s *countingSource) String() string { return "counting" }

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClassify_PlainWordsWithoutRows: a refused census is summed up by
// its count of problems; the rows (which quote patient data) stay out.
func TestClassify_PlainWordsWithoutRows(t *testing.T) {
	ie := &reconcile.ImportError{Source: "census.csv", Rows: []reconcile.RowError{{Line: 2, Unit: "line", Msg: "surname Zoë is odd"}}}
	tests := []struct {
		name      string
		err       error
		importing bool
		want      Problem
	}{
		{"census refused", fmt.Errorf("pull: %w", ie), false, ProblemBadData},
		{"unreachable", fmt.Errorf("x: %w", ErrUnreachable), false, ProblemUnreachable},
		{"refused", fmt.Errorf("x: %w", ErrRefused), false, ProblemRefused},
		{"unclassified", errors.New("x"), false, ProblemOther},
		{"store", fmt.Errorf("record: %w", lifeboat.ErrPermission), true, ProblemRecord},
		{"invalid census", fmt.Errorf("import: %w", lifeboat.ErrInvalid), true, ProblemBadData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, words := classify(tt.err, tt.importing)
			if got != tt.want || strings.Contains(words, "Zoë") {
				t.Errorf("classify(%v) = %q, %q; want %q and no patient data", tt.err, got, words, tt.want)
			}
		})
	}
}

// TestRunner_NotRecordedIsOfferedAgain: a census the store could not
// record (here the first write fails) is imported at the next pull, not
// taken as done; a store failure is not an outage.
func TestRunner_NotRecordedIsOfferedAgain(t *testing.T) {
	w := mustWard(t)
	fail := true
	real := w.app
	w.app = reconcile.AppenderFunc(func(ctx context.Context, ds []reconcile.Draft) error {
		if fail {
			fail = false
			return fmt.Errorf("record: disk I/O error")
		}
		return real.AppendAll(ctx, ds)
	})
	r, _, dir := folderFeed(t, w)
	dropFile(t, dir, "census.csv", censusCSV(2), w.clk.Now().Add(-time.Minute))
	if _, err := r.PullOnce(t.Context()); err == nil || !strings.Contains(err.Error(), "disk I/O error") || r.Status().Problem != ProblemRecord {
		t.Fatalf("pull with the store failing = %v, %+v", err, r.Status())
	}
	w.clk.Advance(time.Minute)
	if p, err := r.PullOnce(t.Context()); err != nil || !p.Imported || p.Import.Counts.NewPatients != 2 {
		t.Errorf("next pull = %+v, %v; want the same file imported", p.Import, err)
	}
	if got := feedStatuses(t, w.db); len(got) != 0 {
		t.Errorf("feed.status = %+v, want none", got)
	}
}

func TestPull_Summary(t *testing.T) {
	asOf := time.Date(2026, 11, 20, 14, 5, 0, 0, time.Local)
	tests := []struct {
		name string
		p    Pull
		want string
	}{
		{"imported", Pull{Imported: true, Census: reconcile.Census{Source: "s", AsOf: asOf, Notes: make([]reconcile.RowError, 2)},
			Import: reconcile.ImportResult{Counts: reconcile.ImportCounts{Patients: 312, NewPatients: 3, UpdatedPatients: 12, Medicines: 14, StoppedMedicines: 9}}},
			"Census as of 20-Nov 14:05 imported: 312 patients (3 new, 12 updated), 14 medicines added, 9 stopped. 2 records left out or kept as text: lifeboat feed pull lists them."},
		{"older", Pull{Census: reconcile.Census{Source: "s", AsOf: asOf}}, "Nothing new: this census (as of 20-Nov 14:05) is older than the one the ward has."},
		{"nothing, back up", Pull{Recorded: &forms.FeedStatus{Up: true}}, "Nothing new. The core system is answering again: the wards are told."},
	}
	for _, tt := range tests {
		if got := tt.p.Summary(); got != tt.want {
			t.Errorf("%s: Summary() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPullNow_Folder: the admin screen's Pull now imports the share's
// newest extract and says so; a share that is gone is an error.
func TestPullNow_Folder(t *testing.T) {
	w := mustWard(t)
	share := t.TempDir()
	cfg, err := ParseConfig([]byte(`{"folder":{"path":"."}}`), share)
	if err != nil {
		t.Fatal(err)
	}
	dropFile(t, share, "census-20261122T0700Z.csv", censusCSV(4), time.Now().Add(-time.Minute))
	got, err := PullNow(t.Context(), cfg, reconcile.CensusOptions{}, w.db, w.app)
	if want := "Census as of 22-Nov "; err != nil || !strings.HasPrefix(got, want) || !strings.Contains(got, "imported: 4 patients (4 new, 0 updated)") {
		t.Errorf("PullNow = %q, %v; want 4 new patients", got, err)
	}
	cfg.Folder.Path = filepath.Join(share, "gone")
	if _, err := PullNow(t.Context(), cfg, reconcile.CensusOptions{}, w.db, w.app); !errors.Is(err, ErrUnreachable) {
		t.Errorf("PullNow of a missing share = %v, want ErrUnreachable", err)
	}
}

// TestRunner_ExtractsDischargeAndACutShortOneIsRefused: through the feed
// runner and a folder of extracts, as `lifeboat serve --feed` runs them:
// a newer extract of ward w7 without two of its ten patients discharges
// those two; then one listing a single patient (an extract cut short)
// would send home seven of the eight and is refused whole as bad data, not
// an outage, with every patient left on the ward.
func TestRunner_ExtractsDischargeAndACutShortOneIsRefused(t *testing.T) {
	w := mustWard(t)
	r, _, dir := folderFeed(t, w)
	ctx := t.Context()
	onWard := func() int {
		n := 0
		for range admittedNHS(t, w.db) {
			n++
		}
		return n
	}
	dropFile(t, dir, "census-1.csv", censusCSV(10), w.clk.Now().Add(-time.Minute))
	if _, err := r.PullOnce(ctx); err != nil || onWard() != 10 {
		t.Fatalf("first extract = %v, %d on the ward; want 10", err, onWard())
	}
	w.clk.Advance(time.Minute)
	dropFile(t, dir, "census-2.csv", censusCSV(8), w.clk.Now().Add(-time.Minute))
	p, err := r.PullOnce(ctx)
	if err != nil || p.Import.Counts.Discharges != 2 || onWard() != 8 {
		t.Fatalf("extract without two = %+v, %v, %d on the ward; want 2 discharged, 8 left", p.Import.Counts, err, onWard())
	}
	w.clk.Advance(time.Minute)
	dropFile(t, dir, "census-3.csv", censusCSV(1), w.clk.Now().Add(-time.Minute))
	if _, err := r.PullOnce(ctx); !errors.Is(err, lifeboat.ErrInvalid) || !strings.Contains(err.Error(), "would send home 7 of the 8") {
		t.Fatalf("extract cut short = %v, want refused", err)
	}
	if st := r.Status(); st.Problem != ProblemBadData || onWard() != 8 || len(feedStatuses(t, w.db)) != 0 {
		t.Errorf("after the cut-short extract: %+v, %d on the ward, %d feed.status; want bad data, 8 left, no outage", st, onWard(), len(feedStatuses(t, w.db)))
	}
}
