package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lifeboat"
)

// Client posts transaction Bundles to a FHIR server. The zero value is
// not usable: BaseURL is required.
type Client struct {
	BaseURL     string       // e.g. https://fhir.example.nhs.uk/R4
	Token       string       // bearer token; empty sends none
	HTTP        *http.Client // nil: a client with a 60 s timeout
	MaxAttempts int          // tries per Bundle; 0 means 5
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Sleep waits between tries; nil sleeps (tests pass a fake).
	Sleep func(ctx context.Context, d time.Duration) error
	// Workers is how many transactions Send has in flight at once, each a
	// different patient's, 1 to MaxWorkers; 0 means DefaultWorkers. One
	// patient's Bundles always go one after another, in order.
	Workers int
}

// Outcome is the server's answer to one entry.
type Outcome struct {
	Status   string // HTTP status line of the entry, e.g. "201 Created"
	OK       bool
	Reason   string // the server's diagnostics when not OK
	Location string // the resource written, "Observation/123" (no _history)
}

// defaultHTTP is the HTTP client of a Client with none: a 60 s timeout,
// and as many idle connections kept per server as Send has transactions
// in flight (Go's default keeps 2, so parallel posts would each open a
// new connection).
var defaultHTTP = &http.Client{Timeout: 60 * time.Second, Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxWorkers
	return t
}()}

// sleep is c.Sleep, or a timer that stops early when ctx is done.
func (c *Client) sleep() func(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep
	}
	return func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
}

// errTransient marks a failure worth trying again later (network down,
// server busy).
var errTransient = lifeboat.ErrTransient

// maxResponse bounds a server's answer read into memory.
const maxResponse = 64 << 20

// Post sends one transaction Bundle and returns an outcome per entry. It
// retries network errors, 429 and 5xx answers with exponential backoff
// (Backoff, doubling, at most MaxBackoff, honouring Retry-After) up to
// MaxAttempts tries. A transaction the server refused as a whole (4xx)
// gives every entry a failed outcome: the entries an OperationOutcome
// names (Bundle.entry[n]) get its reason, the others say they were not
// applied.
func (c *Client) Post(ctx context.Context, b Bundle) ([]Outcome, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	tries, wait, maxWait := c.MaxAttempts, c.Backoff, c.MaxBackoff
	if tries <= 0 {
		tries = 5
	}
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	sleep := c.sleep()
	var last error
	for try := 1; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/"), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("post bundle: %w", err)
		}
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("Accept", "application/fhir+json")
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := hc.Do(req)
		var retryAfter time.Duration
		if err == nil {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
			resp.Body.Close()
			switch {
			case rerr != nil:
				err = fmt.Errorf("read answer: %w", rerr)
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
				err = fmt.Errorf("server answered %s", resp.Status)
				if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
					retryAfter = time.Duration(s) * time.Second
				}
			case resp.StatusCode >= 400:
				if err := refusedUs(resp.StatusCode, c.BaseURL, data); err != nil {
					return nil, err
				}
				return refused(len(b.Entry), resp.Status, data), nil
			default:
				return ParseResponse(data, len(b.Entry))
			}
		}
		last = err
		if try >= tries || ctx.Err() != nil {
			break
		}
		d := max(wait, retryAfter)
		if d > maxWait {
			d = maxWait
		}
		if err := sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("post bundle: %w", err)
		}
		wait *= 2
	}
	return nil, fmt.Errorf("post bundle: %d tries: %w: %w", tries, last, errTransient)
}

// refusedUs is the error for an answer that refuses us rather than the
// records: 401 (our credentials), 403 (our rights) or 404 (no FHIR
// endpoint at the URL). Nothing was applied and nothing is wrong with the
// records, so none may be marked rejected: Send stops and they stay
// pending. A 404 whose OperationOutcome names an entry of the Bundle is
// about that entry and is not one of these (nil).
func refusedUs(code int, base string, data []byte) error {
	switch code {
	case http.StatusUnauthorized:
		return &refusal{code, "the FHIR server refused our credentials (401): check the token file (--token-file or $LIFEBOAT_FHIR_TOKEN)", lifeboat.ErrPermission}
	case http.StatusForbidden:
		return &refusal{code, "forbidden (403): the FHIR server does not let this token's account write these records", lifeboat.ErrPermission}
	case http.StatusNotFound:
		if namesEntry(data) {
			return nil
		}
		return &refusal{code, "no FHIR endpoint at " + redact(base) + " (404): check --url", lifeboat.ErrNotFound}
	}
	return nil
}

// refusal is a server refusing us rather than the records (refusedUs):
// words say why in plain words, kind is ErrPermission or ErrNotFound.
type refusal struct {
	code  int
	words string
	kind  error
}

// RefusedUs returns the HTTP status (401, 403 or 404) when err is a
// server refusing us rather than the records (see Send), for a screen to
// say it in its own words.
func RefusedUs(err error) (int, bool) {
	var r *refusal
	if errors.As(err, &r) {
		return r.code, true
	}
	return 0, false
}

func (r *refusal) Error() string { return "post bundle: " + r.words + ": " + r.kind.Error() }
func (r *refusal) Unwrap() error { return r.kind }

// namesEntry reports whether an OperationOutcome names a Bundle entry.
func namesEntry(data []byte) bool {
	var oo operationOutcome
	json.Unmarshal(data, &oo)
	for _, is := range oo.Issue {
		for _, p := range append(is.Expression, is.Location...) {
			if entryIndex.MatchString(p) {
				return true
			}
		}
	}
	return false
}

// redact is a URL without its user and password, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the given URL"
	}
	return u.Redacted()
}

// response is the part of a transaction-response Bundle read back.
type response struct {
	ResourceType string `json:"resourceType"`
	Entry        []struct {
		Response *struct {
			Status   string          `json:"status"`
			Location string          `json:"location"`
			Outcome  json.RawMessage `json:"outcome"`
		} `json:"response"`
	} `json:"entry"`
}

type operationOutcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity    string `json:"severity"`
		Code        string `json:"code"`
		Diagnostics string `json:"diagnostics"`
		Details     *struct {
			Text string `json:"text"`
		} `json:"details"`
		Expression []string `json:"expression"`
		Location   []string `json:"location"`
	} `json:"issue"`
}

// ParseResponse reads a transaction-response Bundle with want entries.
func ParseResponse(data []byte, want int) ([]Outcome, error) {
	var r response
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read transaction response: %w: %w", err, lifeboat.ErrInvalid)
	}
	if r.ResourceType != "Bundle" || len(r.Entry) != want {
		return nil, fmt.Errorf("read transaction response: a %q with %d entries, want a Bundle with %d: %w", r.ResourceType, len(r.Entry), want, lifeboat.ErrInvalid)
	}
	out := make([]Outcome, want)
	for i, e := range r.Entry {
		if e.Response == nil {
			out[i] = Outcome{Reason: "the server gave no response for this entry"}
			continue
		}
		code, _ := strconv.Atoi(strings.Fields(e.Response.Status + " 0")[0])
		out[i] = Outcome{Status: e.Response.Status, OK: code >= 200 && code < 300, Location: resourceLocation(e.Response.Location)}
		if !out[i].OK {
			out[i].Reason = reasonOf(e.Response.Outcome)
			if out[i].Reason == "" {
				out[i].Reason = "server answered " + e.Response.Status
			}
		}
	}
	return out, nil
}

// resourceLocation is "Type/id" of a response location, which may be
// absolute and carry "/_history/v".
func resourceLocation(loc string) string {
	loc, _, _ = strings.Cut(loc, "/_history/")
	parts := strings.Split(strings.Trim(loc, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

var entryIndex = regexp.MustCompile(`entry\[(\d+)\]`)

// refused gives every entry of a refused transaction its outcome.
func refused(n int, status string, data []byte) []Outcome {
	var oo operationOutcome
	json.Unmarshal(data, &oo)
	out := make([]Outcome, n)
	named := false
	for _, is := range oo.Issue {
		why := issueText(is.Diagnostics, is.Details)
		for _, p := range append(is.Expression, is.Location...) {
			if m := entryIndex.FindStringSubmatch(p); m != nil {
				if i, err := strconv.Atoi(m[1]); err == nil && i < n {
					out[i] = Outcome{Status: status, Reason: why}
					named = true
				}
			}
		}
	}
	all := reasonOf(data)
	if all == "" {
		all = "server answered " + status
	}
	for i := range out {
		switch {
		case out[i].Reason != "":
		case named:
			out[i] = Outcome{Status: status, Reason: "not applied: another entry in the same transaction was refused"}
		default:
			out[i] = Outcome{Status: status, Reason: all}
		}
	}
	return out
}

func issueText(diag string, details *struct {
	Text string `json:"text"`
}) string {
	if diag != "" {
		return diag
	}
	if details != nil {
		return details.Text
	}
	return ""
}

// reasonOf joins an OperationOutcome's error messages.
func reasonOf(raw []byte) string {
	var oo operationOutcome
	if len(raw) == 0 || json.Unmarshal(raw, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var ms []string
	for _, is := range oo.Issue {
		if is.Severity == "information" || is.Severity == "warning" {
			continue
		}
		if t := issueText(is.Diagnostics, is.Details); t != "" {
			ms = append(ms, t)
		} else if is.Code != "" {
			ms = append(ms, is.Code)
		}
	}
	return strings.Join(ms, "; ")
}

// postProvenance posts b's Provenance in a transaction of its own, right
// after b was answered with outs: its targets are the resources the server
// wrote for b's records ("Observation/123"), those it refused left out. It
// is an update-as-create of a fixed id, so posting it again after a lost
// answer writes it once. A Provenance the server refuses turns the
// records' outcomes into rejections saying so (they are sent again next
// time; the conditional writes make that harmless).
func (c *Client) postProvenance(ctx context.Context, b Bundle, outs []Outcome) error {
	loc := map[string]string{}
	for j, en := range b.Entry {
		if outs[j].OK && outs[j].Location != "" {
			loc[en.FullURL] = outs[j].Location
		}
	}
	r := *b.Provenance.Resource
	r.Target = nil
	for _, t := range b.Provenance.Resource.Target {
		if l, ok := loc[t.Reference]; ok {
			r.Target = append(r.Target, Ref{Reference: l})
		}
	}
	if len(r.Target) == 0 {
		return nil // nothing of the records was written
	}
	en := *b.Provenance
	en.Resource = &r
	pouts, err := c.Post(ctx, Bundle{ResourceType: "Bundle", Type: "transaction", Entry: []Entry{en}})
	if err != nil {
		return err
	}
	if !pouts[0].OK {
		for j := range outs {
			if outs[j].OK {
				outs[j] = Outcome{Status: pouts[0].Status, Reason: "the server took the record but refused its Provenance: " + pouts[0].Reason}
			}
		}
	}
	return nil
}

// SendReport counts what a send did.
type SendReport struct {
	Bundles    int
	Accepted   int // events
	Rejected   int // events
	Unanswered int // events sent whose answer never came: they stay sent
}

// Send posts each Bundle of x and records every event's outcome as a
// recon.status event: before posting, its events are marked sent (sent,
// no answer yet); once answered, accepted, or rejected with the server's
// reason. A send stopped half-way (or a crash between post and answer)
// leaves the Bundles in flight sent: sent is not done (Status.Done), so
// the next send posts them again, and the conditional creates and updates
// make that harmless (the server writes nothing twice). by names who sent.
// progress, if not nil, is called once per Bundle whose outcomes are
// recorded, done counting up by one to total.
//
// Up to c.Workers transactions are in flight at once, each a different
// patient's (Bundle.Patient): one patient's Bundles go one after another
// in export order, and a resource several patients' Bundles write (a
// ward's Location) is created by one of them before the others may refer
// to it (see lanes). The store is written, app called, now read and
// progress called only on the goroutine that called Send, so none of them
// need be safe for concurrent use. A Bundle's outcomes are appended with
// the next sent marks, and the sent marks of Bundles posted at about the
// same time go in one append (each append small: see maxWrite), so the
// store is written no more often than once per Bundle.
//
// A Bundle that cannot be delivered after retries stops the send with an
// error wrapping lifeboat.ErrTransient; its events stay sent. A server
// that refuses us rather than the records (401, 403, 404: see refusedUs)
// stops the send with an error wrapping lifeboat.ErrPermission or
// lifeboat.ErrNotFound, and the Bundle's events go back to pending with
// the reason: nothing of it was applied. Either way no further Bundle is
// posted, those in flight are answered and recorded, those waiting to be
// retried give up (staying sent), and what was not sent stays pending.
func Send(ctx context.Context, c *Client, x *Export, app Appender, by string, now func() time.Time, progress func(done, total int)) (SendReport, error) {
	workers := c.Workers
	if workers == 0 {
		workers = DefaultWorkers
	}
	if err := CheckWorkers(workers); err != nil {
		return SendReport{}, fmt.Errorf("send: %w", err)
	}
	s := &sender{x: x, by: by, lanes: planLanes(x.Bundles), writes: make(chan write, 2*workers)}
	s.cond = sync.NewCond(&s.mu)
	// stopped is done once the send stops: retries waiting give up. The
	// posts themselves run under ctx, so those in flight are answered.
	stopped, stop := context.WithCancel(ctx)
	defer stop()
	s.stop = stop
	defer context.AfterFunc(ctx, func() { s.fail(nil) })()
	cc := *c
	sleep := cc.sleep()
	cc.Sleep = func(_ context.Context, d time.Duration) error { return sleep(stopped, d) }
	s.c = &cc

	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(workers, len(s.lanes.lanes)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(s.lanes.lanes) || !s.sendLane(ctx, s.lanes.lanes[k]) {
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(s.writes)
	}()
	s.record(context.WithoutCancel(ctx), app, now, progress)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && ctx.Err() != nil {
		return s.rep, fmt.Errorf("send: %w", ctx.Err())
	}
	return s.rep, s.err
}

// sender is one Send: its workers post Bundles lane by lane and hand the
// status changes to record, on Send's goroutine, through writes.
type sender struct {
	c      *Client
	x      *Export
	by     string
	writes chan write
	stop   context.CancelFunc

	mu      sync.Mutex
	cond    *sync.Cond // signalled when a Bundle is answered or the send stops
	lanes   *lanes
	rep     SendReport
	err     error // the first error: it stops the send
	stopped bool
}

// write is status changes for record to append; done, if not nil, is
// sent the result (the sent marks must be in the store before a post).
// bundles is how many Bundles it finishes, for progress.
type write struct {
	changes []StatusChange
	what    string // "record bundle 3 as sent", for an error
	done    chan error
	bundles int
}

// maxWrite bounds the status changes record appends in one transaction.
const maxWrite = 1024

// record appends the writes until the workers are done. Outcomes wait for
// the next sent marks (one append per Bundle, as one at a time did), and
// the writes waiting when an append ends go together in the next, up to
// maxWrite changes. A crash loses outcomes not yet appended: their
// records stay sent, and the next send posts them again, harmlessly.
func (s *sender) record(ctx context.Context, app Appender, now func() time.Time, progress func(done, total int)) {
	finished := 0
	var batch []write
	n := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		at := now()
		ds := make([]Draft, 0, n)
		for _, w := range batch {
			for _, c := range w.changes {
				ds = append(ds, StatusDraft(c, at))
			}
		}
		err := app.AppendAll(ctx, ds)
		for _, w := range batch {
			if err != nil {
				s.fail(fmt.Errorf("%s: %w", w.what, err))
			}
			if w.done != nil {
				w.done <- err
			}
			if err == nil && progress != nil {
				for range w.bundles {
					finished++
					progress(finished, len(s.x.Bundles))
				}
			}
		}
		batch, n = batch[:0], 0
	}
	for w := range s.writes {
		batch, n = append(batch, w), n+len(w.changes)
		if w.done == nil && n < maxWrite {
			continue // outcomes go with the next sent marks
		}
	more:
		for n < maxWrite {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break more
				}
				batch, n = append(batch, w), n+len(w.changes)
			default:
				break more
			}
		}
		flush()
	}
	flush()
}

// fail stops the send; err, if not nil and the first, is what Send
// returns.
func (s *sender) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	s.stopped = true
	s.stop()
	s.cond.Broadcast()
}

// sendLane sends one patient's Bundles in order; false once the send
// has stopped.
func (s *sender) sendLane(ctx context.Context, lane []int) bool {
	for _, i := range lane {
		s.mu.Lock()
		for !s.stopped && !s.lanes.ready(i) {
			s.cond.Wait()
		}
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return false
		}
		outs := s.sendBundle(ctx, i)
		s.mu.Lock()
		s.lanes.answered(i, outs)
		s.cond.Broadcast()
		stopped = s.stopped
		s.mu.Unlock()
		if stopped {
			return false
		}
	}
	return true
}

// sendBundle marks Bundle i's events sent, posts it and hands its
// outcomes to record; they are returned, nil if it was not answered (the
// send then stops).
func (s *sender) sendBundle(ctx context.Context, i int) []Outcome {
	b := s.x.Bundles[i]
	var order []string
	seen := map[string]bool{}
	for _, en := range b.Entry {
		for _, id := range en.Events {
			if !seen[id] {
				seen[id] = true
				order = append(order, id)
			}
		}
	}
	mark := func(st Status, reason string) []StatusChange {
		cs := make([]StatusChange, len(order))
		for k, id := range order {
			cs[k] = StatusChange{EventID: id, Status: st, Reason: reason, By: s.by}
		}
		return cs
	}
	done := make(chan error, 1)
	s.writes <- write{changes: mark(StatusSent, ""), what: fmt.Sprintf("record bundle %d as sent", i+1), done: done}
	if err := <-done; err != nil {
		return nil // record has stopped the send
	}
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		// Stopped while the marks were written: not posted after all.
		s.writes <- write{changes: mark(StatusPending, "not sent: the send stopped first"), what: fmt.Sprintf("record bundle %d as pending", i+1)}
		return nil
	}
	outs, err := s.c.Post(ctx, b)
	if err != nil {
		var r *refusal
		if errors.As(err, &r) {
			// Nothing was applied: back to pending, saying why.
			s.writes <- write{changes: mark(StatusPending, "not sent: "+r.words), what: fmt.Sprintf("record bundle %d as pending", i+1)}
		} else {
			s.mu.Lock()
			s.rep.Unanswered += len(order)
			s.mu.Unlock()
		}
		s.fail(fmt.Errorf("send bundle %d of %d: %w", i+1, len(s.x.Bundles), err))
		return nil
	}
	if b.Provenance != nil {
		if err := s.c.postProvenance(ctx, b, outs); err != nil {
			// The records were answered but their Provenance was not
			// written: they stay sent, and go again (harmlessly) with
			// it next time.
			s.mu.Lock()
			s.rep.Unanswered += len(order)
			s.mu.Unlock()
			s.fail(fmt.Errorf("send the provenance of bundle %d of %d: %w", i+1, len(s.x.Bundles), err))
			return outs
		}
	}
	worst := map[string]Outcome{}
	for j, en := range b.Entry {
		for _, id := range en.Events {
			prev, ok := worst[id]
			if !ok || (prev.OK && !outs[j].OK) {
				worst[id] = outs[j]
			}
		}
	}
	cs := mark(StatusAccepted, "")
	accepted, rejected := 0, 0
	for k, id := range order {
		if o := worst[id]; !o.OK {
			cs[k].Status, cs[k].Reason = StatusRejected, o.Reason
			rejected++
		} else {
			accepted++
		}
	}
	s.mu.Lock()
	s.rep.Bundles++
	s.rep.Accepted += accepted
	s.rep.Rejected += rejected
	s.mu.Unlock()
	s.writes <- write{changes: cs, what: fmt.Sprintf("record outcomes of bundle %d", i+1), bundles: 1}
	return outs
}
