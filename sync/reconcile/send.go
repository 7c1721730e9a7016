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
}

// Outcome is the server's answer to one entry.
type Outcome struct {
	Status   string // HTTP status line of the entry, e.g. "201 Created"
	OK       bool
	Reason   string // the server's diagnostics when not OK
	Location string // the resource written, "Observation/123" (no _history)
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
		hc = &http.Client{Timeout: 60 * time.Second}
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
	sleep := c.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
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
// reason. One append per Bundle: its sent marks with the outcomes of the
// Bundle before (the last Bundle's outcomes on their own). A send stopped half-way
// (or a crash between post and answer) leaves the Bundle in flight sent:
// sent is not done (Status.Done), so the next send posts it again, and the
// conditional creates and updates make that harmless (the server writes
// nothing twice). by names who sent. progress, if not nil, is called after
// each Bundle.
//
// A Bundle that cannot be delivered after retries stops the send with an
// error wrapping lifeboat.ErrTransient; its events stay sent. A server
// that refuses us rather than the records (401, 403, 404: see refusedUs)
// stops the send with an error wrapping lifeboat.ErrPermission or
// lifeboat.ErrNotFound, and the Bundle's events go back to pending with
// the reason: nothing of it was applied.
func Send(ctx context.Context, c *Client, x *Export, app Appender, by string, now func() time.Time, progress func(done, total int)) (SendReport, error) {
	var rep SendReport
	// answered holds the outcomes of the Bundle just answered: they are
	// appended with the next Bundle's sent marks, one append per Bundle.
	var answered []Draft
	for i, b := range x.Bundles {
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
		mark := func(ds []Draft, st Status, reason string) []Draft {
			at := now()
			for _, id := range order {
				ds = append(ds, StatusDraft(StatusChange{EventID: id, Status: st, Reason: reason, By: by}, at))
			}
			return ds
		}
		if err := app.AppendAll(ctx, mark(answered, StatusSent, "")); err != nil {
			return rep, fmt.Errorf("record bundle %d as sent: %w", i+1, err)
		}
		answered = nil
		outs, err := c.Post(ctx, b)
		if err != nil {
			var r *refusal
			if errors.As(err, &r) {
				// Nothing was applied: back to pending, saying why.
				if merr := app.AppendAll(ctx, mark(nil, StatusPending, "not sent: "+r.words)); merr != nil {
					return rep, fmt.Errorf("record bundle %d as pending: %w", i+1, merr)
				}
			} else {
				rep.Unanswered += len(order)
			}
			return rep, fmt.Errorf("send bundle %d of %d: %w", i+1, len(x.Bundles), err)
		}
		if b.Provenance != nil {
			if err := c.postProvenance(ctx, b, outs); err != nil {
				// The records were answered but their Provenance was not
				// written: they stay sent, and go again (harmlessly) with
				// it next time.
				rep.Unanswered += len(order)
				return rep, fmt.Errorf("send the provenance of bundle %d of %d: %w", i+1, len(x.Bundles), err)
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
		at := now()
		for _, id := range order {
			o := worst[id]
			c := StatusChange{EventID: id, Status: StatusAccepted, By: by}
			if !o.OK {
				c.Status, c.Reason = StatusRejected, o.Reason
				rep.Rejected++
			} else {
				rep.Accepted++
			}
			answered = append(answered, StatusDraft(c, at))
		}
		rep.Bundles++
		if i == len(x.Bundles)-1 {
			if err := app.AppendAll(ctx, answered); err != nil {
				return rep, fmt.Errorf("record outcomes of bundle %d: %w", i+1, err)
			}
		}
		if progress != nil {
			progress(i+1, len(x.Bundles))
		}
	}
	return rep, nil
}
