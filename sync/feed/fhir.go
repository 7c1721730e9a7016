package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"lifeboat/sync/reconcile"
)

// How often an incremental feed still pulls everything: only a full pull
// sees a resource the server deleted (a search by _lastUpdated cannot).
const (
	fullEveryPulls = 12
	fullEveryTime  = time.Hour
	// overlap is how far before the previous pull's server time the next
	// one asks for changes: a change committed while a pull was under
	// way, stamped before the pull's time, is still seen. Fetching a
	// change twice is harmless.
	overlap = time.Minute
	// minChanges is the fewest changed resources an incremental pull
	// reads before it gives up for a full pull (which reads only the
	// census): a bulk update of every patient in the hospital must not
	// be paged through. The limit is twice the resources held, at least
	// this.
	minChanges = 5000
)

// inpatientClasses are the Encounter classes of an inpatient stay (HL7 v3
// ActCode IMP and its two specialisations, acute and non-acute); the
// server matches them in any code system.
var inpatientClasses = []string{"IMP", "ACUTE", "NONAC"}

// FHIR is a Source pulling the census from a core system's FHIR R4 REST
// API: the current inpatients (Encounters in progress of class IMP, ACUTE
// or NONAC; with cfg.Wards, those in a Location on one of the wards: the
// ward itself or a bed or room below it by partOf) with their Patient and
// Locations (and each Location's partOf parents), their active and on-hold
// MedicationRequests (and Medications), AllergyIntolerances and latest
// body weight: of the vital signs, the census model keeps weights. After
// a first full pull it asks only what changed (_lastUpdated, no status
// filter, so a finished stay or a stopped order arrives and leaves) and
// merges that into the resources it holds, in memory only: after a
// restart the first pull is full again. Every 12th pull, or after an
// hour, it pulls everything again, which also catches deletions. Pull is
// safe for concurrent use (pulls run one at a time).
type FHIR struct {
	cfg  FHIRConfig
	opts reconcile.CensusOptions
	base *url.URL
	hc   *http.Client
	auth *auth
	now  func() time.Time

	// Knobs the tests turn.
	overlap   time.Duration
	fullPulls int
	fullAfter time.Duration
	maxPages  int
	// minChanges: see the constant.
	minChanges int

	mu       sync.Mutex
	held     *cache    // what the last pull saw; nil: the next pull is full
	since    time.Time // the server's time of the last pull
	lastFull time.Time // our clock at the last full pull
	pulls    int       // incremental pulls since the last full one
	last     pullStats // the last pull's, for tests and logs
}

// pullStats counts what one pull asked and got.
type pullStats struct {
	wasFull   bool
	fellBack  string // why an incremental pull became a full one
	requests  int
	resources int
}

// NewFHIR returns a Source pulling the census from the FHIR API cfg names
// (cfg already checked by ParseConfig). A ca_file with no certificate is
// an error here; the token file and client secret are read at each pull.
func NewFHIR(cfg FHIRConfig, opts reconcile.CensusOptions) (*FHIR, error) {
	base, err := url.Parse(strings.TrimRight(cfg.Base, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("new FHIR feed: base %q is not a URL: %w", redactURL(cfg.Base), ErrRefused)
	}
	base.RawQuery, base.Fragment, base.User = "", "", nil
	hc, err := newHTTPClient(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("new FHIR feed: %w", err)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	return &FHIR{cfg: cfg, opts: opts, base: base, hc: hc, auth: &auth{tokenFile: cfg.TokenFile, oauth: cfg.OAuth2, hc: hc},
		now: time.Now, overlap: overlap, fullPulls: fullEveryPulls, fullAfter: fullEveryTime, maxPages: maxPages, minChanges: minChanges}, nil
}

// String is the base URL, without any credential or query.
func (f *FHIR) String() string { return f.base.String() }

// LogValue logs the source as its base URL: never the patients it holds.
func (f *FHIR) LogValue() slog.Value { return slog.StringValue(f.String()) }

// Pull returns the whole current census. The first pull, and every 12th
// or after an hour, searches everything; the others search what changed
// since the last and merge it. An incremental pull that finds something it
// cannot follow (a reference it cannot fetch, HTTP 404 or 410), or more
// changes than a full pull would read, pulls everything instead. Errors are ErrUnreachable, ErrRefused, or bad data
// (lifeboat.ErrInvalid; an *reconcile.ImportError for a census the checks
// refused).
func (f *FHIR) Pull(ctx context.Context) (reconcile.Census, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	token, err := f.auth.begin()
	if err != nil {
		return reconcile.Census{}, fmt.Errorf("pull %s: %w", f, err)
	}
	p := &pull{f: f, token: token}
	var c *cache
	full := f.held == nil || f.pulls+1 >= f.fullPulls || f.now().Sub(f.lastFull) >= f.fullAfter
	if !full {
		p.limit = max(f.minChanges, 2*len(f.held.res))
		c, err = p.incremental(ctx, f.held.clone(), f.since)
		p.limit = 0
		var pe *pullError
		switch {
		case errors.Is(err, errInconsistent):
			p.fellBack = err.Error()
			full = true
		case errors.As(err, &pe) && (pe.status == http.StatusGone || pe.status == http.StatusNotFound):
			p.fellBack = pe.msg
			full = true
		case err != nil:
			return reconcile.Census{}, fmt.Errorf("pull %s: %w", f, err)
		}
	}
	if full {
		p.at = time.Time{}
		c, err = p.full(ctx)
		if err != nil {
			return reconcile.Census{}, fmt.Errorf("pull %s: %w", f, err)
		}
	}
	p.wasFull = full
	f.last = p.pullStats
	f.held, f.since = c, p.at
	if full {
		f.lastFull, f.pulls = f.now(), 0
	} else {
		f.pulls++
	}
	census, err := reconcile.ParseCensusFHIRWith(c.bundle(f.base.String(), p.at), f.String(), p.at, f.opts)
	if err != nil {
		return reconcile.Census{}, fmt.Errorf("pull %s: %w", f, err)
	}
	return census, nil
}

// errInconsistent is an incremental pull that cannot be merged, or that
// would cost more than a full pull: a full pull follows.
var errInconsistent = errors.New("the changes cannot be merged")

// pull is one Pull under way.
type pull struct {
	f     *FHIR
	token string
	at    time.Time // the server's time of the pull's first search
	// limit is the most resources the pull reads before it gives up
	// for a full pull; 0: no limit.
	limit int
	pullStats
}

// full searches the whole census.
func (p *pull) full(ctx context.Context) (*cache, error) {
	c := newCache(p.f.cfg.Wards)
	q := url.Values{"status": {"in-progress"}, "class": {strings.Join(inpatientClasses, ",")},
		"_include": {"Encounter:patient", "Encounter:location"}}
	if len(p.f.cfg.Wards) == 0 {
		if err := p.search(ctx, "Encounter", q, c.put); err != nil {
			return nil, err
		}
	} else {
		// A stay may name only its bed: ask for the stays in any
		// Location on the wards.
		places, err := p.wardPlaces(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, chunk := range chunks(places, "location") {
			q.Set("location", strings.Join(chunk, ","))
			if err := p.search(ctx, "Encounter", q, c.put); err != nil {
				return nil, err
			}
		}
	}
	if err := p.fetchRecords(ctx, c, c.current()); err != nil {
		return nil, err
	}
	if err := p.fetchMissing(ctx, c); err != nil {
		return nil, err
	}
	c.prune()
	return c, nil
}

// wardPlaces returns the wards pulled and every Location below them
// (rooms, beds: Location?partof=, level by level), holding them in c.
func (p *pull) wardPlaces(ctx context.Context, c *cache) ([]string, error) {
	places := slices.Clone(p.f.cfg.Wards)
	seen := map[string]bool{}
	for _, w := range places {
		seen[w] = true
	}
	ids := make([]string, len(places))
	for i, w := range places {
		ids[i] = strings.TrimPrefix(w, "Location/")
	}
	for _, chunk := range chunks(ids, "_id") {
		if err := p.search(ctx, "Location", url.Values{"_id": {strings.Join(chunk, ",")}}, c.put); err != nil {
			return nil, err
		}
	}
	level := places
	for range maxLocationDepth {
		var below []string
		for _, chunk := range chunks(level, "partof") {
			err := p.search(ctx, "Location", url.Values{"partof": {strings.Join(chunk, ",")}}, func(r *resource) {
				c.put(r)
				if k := r.key(); r.typ == "Location" && !seen[k] {
					seen[k] = true
					below = append(below, k)
				}
			})
			if err != nil {
				return nil, err
			}
		}
		if len(below) == 0 {
			break
		}
		places = append(places, below...)
		level = below
	}
	return places, nil
}

// fetchRecords searches the orders, allergies and weights of patients.
func (p *pull) fetchRecords(ctx context.Context, c *cache, patients []string) error {
	for _, chunk := range chunks(patients, "patient") {
		list := strings.Join(chunk, ",")
		searches := []struct {
			typ string
			q   url.Values
		}{
			{"MedicationRequest", url.Values{"patient": {list}, "status": {"active,on-hold"}, "_include": {"MedicationRequest:medication"}}},
			{"AllergyIntolerance", url.Values{"patient": {list}}},
			{"Observation", url.Values{"patient": {list}, "code": {weightSearch}}},
		}
		for _, s := range searches {
			if err := p.search(ctx, s.typ, s.q, c.put); err != nil {
				return err
			}
		}
	}
	return nil
}

// incremental asks what changed since the previous pull's server time
// (less the overlap), with no status filter so that a finished Encounter
// or a stopped order arrives and leaves, merges it into c and fetches
// what a newly admitted patient brings.
func (p *pull) incremental(ctx context.Context, c *cache, since time.Time) (*cache, error) {
	gt := "gt" + since.Add(-p.f.overlap).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	before := map[string]bool{}
	for _, id := range c.current() {
		before[id] = true
	}
	changes := []struct {
		typ string
		q   url.Values
	}{
		{"Encounter", url.Values{"class": {strings.Join(inpatientClasses, ",")}, "_include": {"Encounter:patient", "Encounter:location"}}},
		{"Patient", url.Values{}},
		{"Location", url.Values{}},
		{"MedicationRequest", url.Values{"_include": {"MedicationRequest:medication"}}},
		{"Medication", url.Values{}},
		{"AllergyIntolerance", url.Values{}},
		{"Observation", url.Values{"code": {weightSearch}}},
	}
	for _, s := range changes {
		s.q.Set("_lastUpdated", gt)
		if err := p.search(ctx, s.typ, s.q, c.put); err != nil {
			return nil, err
		}
	}
	var admitted []string
	for _, id := range c.current() {
		if !before[id] {
			admitted = append(admitted, id)
		}
	}
	if err := p.fetchRecords(ctx, c, admitted); err != nil {
		return nil, err
	}
	if err := p.fetchMissing(ctx, c); err != nil {
		return nil, err
	}
	if missing := c.missing(); len(missing) > 0 {
		return nil, fmt.Errorf("%w: they name %s, which the server does not return", errInconsistent, missing[0])
	}
	c.prune()
	return c, nil
}

// fetchMissing reads, by _id, the resources the census needs that the
// searches did not include: the current patients, their Locations and
// each Location's parents up the partOf chain, the orders' Medications.
// A server without _include support is served this way too. What still
// cannot be found is left to the census checks, which name it.
func (p *pull) fetchMissing(ctx context.Context, c *cache) error {
	tried := map[string]bool{}
	for range maxLocationDepth + 1 {
		byType := map[string][]string{}
		for _, k := range c.missing() {
			if tried[k] {
				continue
			}
			tried[k] = true
			typ, id, _ := strings.Cut(k, "/")
			byType[typ] = append(byType[typ], id)
		}
		if len(byType) == 0 {
			return nil
		}
		for _, typ := range slices.Sorted(maps.Keys(byType)) {
			for _, chunk := range chunks(byType[typ], "_id") {
				if err := p.search(ctx, typ, url.Values{"_id": {strings.Join(chunk, ",")}}, c.put); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// maxLocationDepth bounds the partOf chain fetched above a bed, as the
// census parser bounds the chain it follows.
const maxLocationDepth = 8

// chunks splits values into lists whose search parameter stays under
// maxQueryBytes.
func chunks(values []string, param string) [][]string {
	var out [][]string
	var cur []string
	size := len(param) + 1
	for _, v := range values {
		n := len(url.QueryEscape(v)) + 3 // and an escaped comma
		if len(cur) > 0 && size+n > maxQueryBytes {
			out = append(out, cur)
			cur, size = nil, len(param)+1
		}
		cur = append(cur, v)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// search runs one search, following its next links, and hands each
// resource to put. The first answer's time (Bundle.meta.lastUpdated, else
// its Date header) becomes the pull's time if it has none yet.
func (p *pull) search(ctx context.Context, typ string, q url.Values, put func(*resource)) error {
	q.Set("_count", fmt.Sprint(p.f.cfg.PageSize))
	u := *p.f.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + typ
	u.RawQuery = q.Encode()
	next := u.String()
	seen := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages >= p.f.maxPages {
			return badData("search %s: more than %d pages: the server's next links do not end", endpoint(&u), p.f.maxPages)
		}
		seen[next] = true
		pg, date, err := p.get(ctx, next)
		if err != nil {
			return err
		}
		if p.at.IsZero() {
			p.at = pg.at
			if p.at.IsZero() {
				p.at = date
			}
			if p.at.IsZero() {
				p.at = p.f.now().UTC()
			}
		}
		for _, r := range pg.res {
			put(r)
		}
		p.resources += len(pg.res)
		if p.limit > 0 && p.resources > p.limit {
			return fmt.Errorf("%w: more than %d changed resources, a full pull reads fewer", errInconsistent, p.limit)
		}
		if pg.next == "" {
			break
		}
		nu, err := u.Parse(pg.next)
		if err != nil || nu.Scheme != p.f.base.Scheme || nu.Host != p.f.base.Host {
			return refused("search %s: the server's next page is on another host (%s): not followed, the token would go there", endpoint(&u), redactURL(pg.next))
		}
		next = nu.String()
		if seen[next] {
			return badData("search %s: the server's next link goes back to a page already read", endpoint(&u))
		}
	}
	return nil
}

// get fetches one search page.
func (p *pull) get(ctx context.Context, raw string) (page, time.Time, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return page{}, time.Time{}, badData("a search URL cannot be read")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return page{}, time.Time{}, badData("a search URL cannot be read")
	}
	req.Header.Set("Accept", "application/fhir+json")
	h, err := p.f.auth.header(p.token)
	if err != nil {
		return page{}, time.Time{}, err
	}
	if h != "" {
		req.Header.Set("Authorization", h)
	}
	p.requests++
	resp, err := p.f.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return page{}, time.Time{}, ctx.Err()
		}
		if e := transportError(err, u); e != nil {
			return page{}, time.Time{}, e
		}
		return page{}, time.Time{}, unreachable("connect %s: the request failed", u.Scheme+"://"+u.Host)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode == http.StatusUnauthorized && p.f.cfg.OAuth2 != nil {
			p.f.auth.refusedToken()
		}
		return page{}, time.Time{}, statusError(resp.StatusCode, endpoint(u), p.f.cfg.OAuth2 != nil)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		if e := transportError(err, u); e != nil {
			return page{}, time.Time{}, e
		}
		return page{}, time.Time{}, unreachable("read %s: the answer was cut short", endpoint(u))
	}
	if len(data) > maxPageBytes {
		return page{}, time.Time{}, badData("read %s: a search page is larger than %d MiB: lower page_size", endpoint(u), maxPageBytes>>20)
	}
	pg, err := decodePage(data)
	if err != nil {
		return page{}, time.Time{}, fmt.Errorf("read %s: %w", endpoint(u), err)
	}
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	return pg, date.UTC(), nil
}

// endpoint is u without its query: the query names patients.
func endpoint(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}
