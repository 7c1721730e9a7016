package reconcile

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// DefaultBundleSize is the default number of entries per Bundle: some
// servers cap conditional transactions at 8.
const DefaultBundleSize = 8

// MaxBundleSize is the largest BundleSize: the largest transaction common
// FHIR servers take (Azure Health Data Services caps a Bundle at 500
// entries; Medplum caps conditional ones at 8), and an answer far inside
// what Post reads (maxResponse) and its 60 s timeout. Larger Bundles gain
// nothing: the round trip per Bundle is small next to the server's work.
const MaxBundleSize = 500

// CheckBundleSize refuses a bundle size outside 1..MaxBundleSize.
func CheckBundleSize(n int) error {
	if n < 1 || n > MaxBundleSize {
		return fmt.Errorf("check bundle size: %d entries: choose 1 to %d: %w", n, MaxBundleSize, lifeboat.ErrInvalid)
	}
	return nil
}

// ExportOptions tunes Export.
type ExportOptions struct {
	// BundleSize is the most entries per Bundle, 1 to MaxBundleSize; 0
	// means DefaultBundleSize. A record is never split across Bundles (its
	// resources refer to each other by fullUrl and go in or fail
	// together), so a record whose resources need more (an observation set
	// is its Patient and up to 7 Observations; an admission after many
	// moves) gets a Bundle of its own, larger than this: with 1 or 2 every
	// Bundle holds one record.
	BundleSize int
	// Ward, if set, exports only events about patients last on that ward
	// (and that ward's beds).
	Ward string
	// Skip names events not to export (those already done; see Done).
	Skip map[string]bool
	// Systems are the identifier systems and URLs to write; the zero
	// value means DefaultSystems. They are checked (Systems.Check).
	Systems Systems
	// HoldUnmatched holds back the records of patients still known only
	// by a temporary ID (no NHS number yet): they are listed in
	// Export.Held instead, to be matched first (lifeboat send does this
	// unless told --include-unmatched).
	HoldUnmatched bool
}

// Skipped is an event Export could not map, with why.
type Skipped struct {
	EventID string
	Reason  string
}

// Export is the result of mapping the log to FHIR.
type Export struct {
	Bundles []Bundle
	Events  []string // IDs of the downtime events exported, in export order
	Skipped []Skipped
	Held    []Held // with HoldUnmatched: records of patients not yet matched
}

// ExportKinds are the event kinds that go back to core systems: those
// forms' kind registry declares exported (forms.KindSpec.FHIR).
var ExportKinds = func() []string {
	var ks []string
	for _, k := range forms.Kinds() {
		if k.Exported() {
			ks = append(ks, k.Kind)
		}
	}
	return ks
}()

func exportKind(k string) bool { return slices.Contains(ExportKinds, k) }

// mapper maps one record to its FHIR entries and the patient they are
// about. src is the record whose content is sent (for an entered-in-error,
// the record it cancels), e the event being sent (its times), h how it is
// sent (created, or an update of the record it corrects).
type mapper func(x *exporter, src, e *lifeboat.Event, h how) ([]Entry, string, error)

// mappers is the mapping of each exported kind, one line a kind. A test
// (TestMappers_EveryExportedKind) fails when a kind declared exported has
// none, or one declared not exported has one. Entered-in-error has none
// of its own: it is sent through the mapper of the record it cancels.
var mappers = map[string]mapper{
	forms.KindPatientRegistered:  mapPatient,
	forms.KindPatientAdmitted:    mapStay,
	forms.KindPatientTransferred: mapStay,
	forms.KindPatientDischarged:  mapStay,
	forms.KindObsRecorded:        (*exporter).obsEntries,
	forms.KindMedAdministered:    (*exporter).adminEntries,
	forms.KindPharmacySupply:     (*exporter).dispenseEntries,
	forms.KindFormSubmitted:      (*exporter).formEntries,
	forms.KindBedState:           mapBedState,
	forms.KindAllergyRecorded:    (*exporter).allergyEntries,
	forms.KindAllergyNoneKnown:   (*exporter).noneKnownEntries,
	forms.KindWeightRecorded:     (*exporter).weightEntries,
	forms.KindPatientMerged:      mapMerge,
}

func mapMerge(x *exporter, src, e *lifeboat.Event, _ how) ([]Entry, string, error) {
	return x.mergeEntries(src, e)
}

func mapPatient(x *exporter, src, e *lifeboat.Event, _ how) ([]Entry, string, error) {
	return []Entry{x.patientEntry(src.Subject, e)}, src.Subject, nil
}

func mapStay(x *exporter, src, e *lifeboat.Event, _ how) ([]Entry, string, error) {
	if e.Kind == lifeboat.KindEnteredInError || e.Corrects != "" {
		return nil, "", fmt.Errorf("a corrected admission, transfer or discharge must be corrected in the core system by hand")
	}
	return x.stayEntries(src, e)
}

func mapBedState(x *exporter, src, e *lifeboat.Event, _ how) ([]Entry, string, error) {
	if e.Corrects != "" {
		return nil, "", fmt.Errorf("a corrected bed state is not sent: the next state replaces it")
	}
	return x.bedEntries(src)
}

// exporter holds what the whole log says, for mapping one event.
type exporter struct {
	sys       Systems
	snapshot  map[string]bool // event IDs imported from a census
	byID      map[string]*lifeboat.Event
	patients  map[string]forms.Patient // newest details by patient ID
	orders    map[string]forms.MedicationOrder
	wardOf    map[string]string // patient -> last ward
	stays     map[string]*stay  // patient -> current stay while walking
	locations map[string]bool
	urls      map[string]string              // "patient:"+ID or "location:"+key -> fullUrl
	allergies map[string]*lifeboat.Event     // allergy ID -> its first record (see allergyRoot)
	into      map[string]string              // record merged away -> survivor (forms.MergeRoots)
	sent      map[string]bool                // patients with records already in the core system (Skip)
	people    map[string]lifeboat.UserRecord // user ID -> name and role (user.saved)
	devices   map[string]string              // device ID -> name (device.enrolled)
	refs      map[string]Ref                 // author -> performer reference (person)
	meta      *Meta                          // the downtime tag, shared by every resource

	// timesOf's performed-at and recorded-at, formatted once per event.
	timesOf *lifeboat.Event
	times   []Extension
}

// stay is a patient's encounter as the walk reaches each move.
type stay struct {
	admitEvent string
	start      string
	end        string
	finished   bool
	locs       []stayLoc
}

type stayLoc struct {
	ward, bed  string
	start, end string
}

// Snapshot returns the IDs of events a census import appended (those just
// before each census.imported event of the same device, as it counts).
func Snapshot(events []lifeboat.Event) map[string]bool {
	type span struct{ lo, hi uint64 }
	spans := map[string][]span{}
	out := map[string]bool{}
	for _, e := range events {
		if e.Kind != KindCensusImported {
			continue
		}
		var ci CensusImported
		if json.Unmarshal(e.Payload, &ci) != nil {
			continue
		}
		for chain, s := range ci.Spans {
			spans[chain] = append(spans[chain], span{s[0], s[1]})
		}
		if ci.Events > 0 && uint64(ci.Events) < e.Seq && len(ci.Spans) == 0 {
			spans[e.Device] = append(spans[e.Device], span{e.Seq - uint64(ci.Events), e.Seq})
		}
		if len(ci.Spans) > 0 {
			out[e.ID] = true // the census record itself goes with its records
		}
	}
	for _, e := range events {
		for _, s := range spans[e.Device] {
			if e.Seq >= s.lo && e.Seq <= s.hi {
				out[e.ID] = true
			}
		}
	}
	return out
}

// ExportFHIR maps downtime events to FHIR R4 transaction Bundles. events
// is the whole log in any order. Census snapshot events are not exported
// (the core system has them) but give patients, orders and stays their
// context. Every resource has a deterministic id (ResourceID), a stable
// identifier (Systems.EventID) and performed-at and recorded-at extensions;
// creates are conditional (ifNoneExist), amendments and entered-in-error
// are conditional updates of the original resource. Each Bundle holds one
// patient's entries, in clock order, led by their Patient.
//
// A drill store's log is refused with ErrDrill.
func ExportFHIR(events []lifeboat.Event, opt ExportOptions) (*Export, error) {
	if err := refuseDrill(events); err != nil {
		return nil, err
	}
	size := opt.BundleSize
	if size == 0 {
		size = DefaultBundleSize
	}
	if err := CheckBundleSize(size); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b lifeboat.Event) int { return a.HLC.Compare(b.HLC) })
	sys := opt.Systems
	if sys == (Systems{}) {
		sys = DefaultSystems
	}
	if err := sys.Check(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	x := &exporter{sys: sys, snapshot: Snapshot(evs), byID: map[string]*lifeboat.Event{}, patients: map[string]forms.Patient{},
		orders: map[string]forms.MedicationOrder{}, wardOf: map[string]string{}, stays: map[string]*stay{},
		urls: map[string]string{}, sent: map[string]bool{}, people: map[string]lifeboat.UserRecord{}, devices: map[string]string{},
		refs: map[string]Ref{}, meta: &Meta{Tag: []Coding{{System: sys.Downtime, Code: DowntimeCode, Display: DowntimeDisplay}}}}
	cancelled := map[string]bool{}
	for i := range evs {
		e := &evs[i]
		x.byID[e.ID] = e
		if e.Kind == lifeboat.KindEnteredInError {
			cancelled[e.Corrects] = true
		}
	}
	// First pass: newest patient details (a later NHS-number match applies
	// to every export), orders and last wards.
	for i := range evs {
		e := &evs[i]
		if cancelled[e.ID] {
			continue
		}
		switch e.Kind {
		case forms.KindPatientRegistered:
			var p forms.Patient
			if json.Unmarshal(e.Payload, &p) == nil {
				x.patients[e.Subject] = p
			}
		case lifeboat.KindUserSaved:
			var u lifeboat.UserRecord
			if json.Unmarshal(e.Payload, &u) == nil && u.ID != "" {
				x.people[u.ID] = lifeboat.UserRecord{ID: u.ID, Name: u.Name, Role: u.Role} // not the PIN hash
			}
		case lifeboat.KindDeviceEnrolled:
			var d lifeboat.DeviceEnrolled
			if json.Unmarshal(e.Payload, &d) == nil {
				x.devices[d.Device] = d.Name
			}
		case forms.KindMedOrdered:
			var o forms.MedicationOrder
			if json.Unmarshal(e.Payload, &o) == nil {
				x.orders[o.ID] = o
			}
		case forms.KindPatientAdmitted, forms.KindPatientTransferred:
			var a struct {
				Ward string `json:"ward"`
			}
			json.Unmarshal(e.Payload, &a)
			x.wardOf[e.Subject] = a.Ward
		}
	}
	x.readMerges(evs, cancelled, opt.Skip)
	out := &Export{}
	type group struct {
		patient string
		entries []Entry
	}
	var order []string
	groups := map[string][]group{}
	for i := range evs {
		e := &evs[i]
		if !exportKind(e.Kind) {
			continue
		}
		if opt.Skip[e.ID] {
			if e.Kind == forms.KindPatientAdmitted || e.Kind == forms.KindPatientTransferred || e.Kind == forms.KindPatientDischarged {
				x.stayEntries(e, e) // keep the stay's history for later moves
			}
			continue
		}
		entries, patient, err := x.mapEvent(e)
		if x.snapshot[e.ID] {
			continue // census: context only (mapEvent kept the stay)
		}
		if err != nil {
			out.Skipped = append(out.Skipped, Skipped{EventID: e.ID, Reason: err.Error()})
			continue
		}
		patient = x.root(patient) // a merged record's events go under its survivor
		if opt.Ward != "" && x.wardOfEvent(e, patient) != opt.Ward {
			continue
		}
		if opt.HoldUnmatched && patient != "" && x.patients[patient].NHSNumber == "" {
			out.Held = append(out.Held, x.held(e, patient))
			continue
		}
		for j := range entries {
			if len(entries[j].Events) == 0 && j == len(entries)-1 {
				entries[j].Events = []string{e.ID}
			}
		}
		if _, ok := groups[patient]; !ok {
			order = append(order, patient)
		}
		groups[patient] = append(groups[patient], group{patient, entries})
		out.Events = append(out.Events, e.ID)
	}
	// One entry of a Bundle is kept for its Provenance (see provenance).
	room := max(size-1, 1)
	for _, p := range order {
		var b *Bundle
		seen := map[string]int{}
		targets := map[targetKey]string{} // target -> fullUrl
		for _, g := range groups[p] {
			fresh, clash := 0, false
			for _, en := range g.entries {
				if _, ok := seen[en.FullURL]; !ok {
					fresh++
				}
				if u, ok := targets[target(en)]; ok && u != en.FullURL {
					clash = true
				}
			}
			if b == nil || len(b.Entry)+fresh > room || clash {
				out.Bundles = append(out.Bundles, Bundle{ResourceType: "Bundle", Type: "transaction", Patient: p})
				b = &out.Bundles[len(out.Bundles)-1]
				seen, targets = map[string]int{}, map[targetKey]string{}
			}
			for _, en := range g.entries {
				if k, ok := seen[en.FullURL]; ok {
					b.Entry[k].Events = append(b.Entry[k].Events, en.Events...)
					continue
				}
				seen[en.FullURL] = len(b.Entry)
				targets[target(en)] = en.FullURL
				b.Entry = append(b.Entry, en)
			}
		}
	}
	for i := range out.Bundles {
		b := &out.Bundles[i]
		prov := x.provenance(b.Entry)
		if len(b.Entry) < size {
			b.Entry = append(b.Entry, prov)
		} else {
			b.Provenance = &prov // a record that fills the Bundle alone
		}
		for _, en := range b.Entry {
			en.Resource.Meta = x.meta
		}
		prov.Resource.Meta = x.meta
	}
	return out, nil
}

// provenance is the Provenance of one transaction, its last entry, or
// Bundle.Provenance when a record fills the Bundle alone (see there): its
// targets are the
// records' resources (not the Patient and Locations they need, which may
// be the core system's own), the people who recorded them by name and
// role, the devices they were recorded on, and the reason "recorded
// during downtime". Its id is made from the records' event IDs, and it is
// written with an update-as-create (PUT Provenance/id: R4 Provenance has
// no identifier to make a create conditional on), so sending the same
// Bundle again (a lost answer) writes it once.
func (x *exporter) provenance(entries []Entry) Entry {
	var events, authors, devices []string
	seen := map[string]bool{}
	var targets []Ref
	var first, last, recorded time.Time
	for _, en := range entries {
		if len(en.Events) == 0 {
			continue
		}
		if !seen["url:"+en.FullURL] {
			seen["url:"+en.FullURL] = true
			targets = append(targets, Ref{Reference: en.FullURL})
		}
		for _, id := range en.Events {
			if seen["event:"+id] {
				continue
			}
			seen["event:"+id] = true
			events = append(events, id)
			e := x.byID[id]
			if e == nil {
				continue
			}
			if first.IsZero() || e.PerformedAt.Before(first) {
				first = e.PerformedAt
			}
			last, recorded = latest(last, e.PerformedAt), latest(recorded, e.RecordedAt)
			if !seen["author:"+e.Author] {
				seen["author:"+e.Author] = true
				authors = append(authors, e.Author)
			}
			if dev := lifeboat.DeviceOf(e.Device); !seen["device:"+dev] {
				seen["device:"+dev] = true // one device, whichever of its scopes' chains
				devices = append(devices, dev)
			}
		}
	}
	id := ResourceID("provenance:" + strings.Join(events, ","))
	r := &Resource{ResourceType: "Provenance", ID: id, Target: targets, Recorded: fhirTime(recorded),
		OccurredPeriod: &Period{Start: fhirTime(first), End: fhirTime(last)},
		Reason:         []Codeable{{Coding: []Coding{{System: x.sys.Downtime, Code: DowntimeCode, Display: DowntimeDisplay}}, Text: DowntimeDisplay + " and entered from Lifeboat"}}}
	for _, a := range authors {
		if strings.HasPrefix(a, "device:") {
			continue // a device's own record: the device agent names it
		}
		ag := ProvAgent{Type: &Codeable{Coding: []Coding{{System: provType, Code: "author", Display: "Author"}}}, Who: x.person(a)}
		if p, ok := x.people[a]; ok && p.Role != "" {
			ag.Role = []Codeable{{Text: p.Role.Label()}}
		}
		r.Agent = append(r.Agent, ag)
	}
	for _, d := range devices {
		name := x.devices[d]
		if name == "" {
			name = "Lifeboat device " + d
		}
		r.Agent = append(r.Agent, ProvAgent{Type: &Codeable{Coding: []Coding{{System: provType, Code: "assembler", Display: "Assembler"}}},
			Who: Ref{Identifier: &Identifier{System: x.sys.DeviceID, Value: d}, Display: name + " (Lifeboat, during downtime)"}})
	}
	return Entry{FullURL: "urn:uuid:" + id, Resource: r, Request: &Request{Method: "PUT", URL: "Provenance/" + id}}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// person is the performer reference of an author: logical, by Lifeboat
// user ID, shown by the person's name from the store's people (user.saved),
// never by the bare ID.
func (x *exporter) person(author string) Ref {
	if r, ok := x.refs[author]; ok {
		return r
	}
	name := x.people[author].Name
	if name == "" {
		name = "a Lifeboat user not in this log"
	}
	r := Ref{Identifier: &Identifier{System: x.sys.UserID, Value: author}, Display: name}
	x.refs[author] = r
	return r
}

// target is the server resource an entry writes, as its conditional URL
// ("Observation?identifier=...|id") cut at the "?" (so no new string is
// made for each entry). Two entries of one transaction must
// not write the same resource under different fullUrls: servers resolve
// every condition before applying any entry (FHIR R4 3.1.0.11.2), so a
// create and an amendment of the same record, or two moves of one stay,
// in one transaction either fail (Medplum: "Resource ID did not match
// resolved ID") or make two resources. Such a write goes in the next Bundle.
func target(en Entry) targetKey {
	if en.Request.Method == "POST" {
		return targetKey{en.Request.URL, en.Request.IfNoneExist, true}
	}
	path, query, ok := strings.Cut(en.Request.URL, "?")
	return targetKey{path, query, ok}
}

// targetKey is a conditional URL cut at its "?" (see target).
type targetKey struct {
	path, query string
	hasQuery    bool
}

// wardOfEvent is the ward an event belongs to for --ward.
func (x *exporter) wardOfEvent(e *lifeboat.Event, patient string) string {
	if patient == "" {
		var b forms.BedStateSet
		json.Unmarshal(e.Payload, &b)
		return b.Ward
	}
	return x.wardOf[patient]
}

// how one event's payload is mapped: as itself, or as an update of the
// record it corrects.
type how struct {
	idEvent *lifeboat.Event // the original record: ids and identifiers
	urlKey  string          // this event's ID: fullUrls of updates
	update  bool
	status  string // amended, entered-in-error or ""
}

// mapEvent returns the entries for one event and the patient they are about.
func (x *exporter) mapEvent(e *lifeboat.Event) ([]Entry, string, error) {
	h := how{idEvent: e, urlKey: e.ID}
	src := e
	if e.Corrects != "" {
		target, ok := x.byID[e.Corrects]
		if !ok {
			return nil, "", fmt.Errorf("the record it corrects is not in the log")
		}
		if x.snapshot[target.ID] {
			return nil, "", fmt.Errorf("it corrects a census record: correct it in the core system by hand")
		}
		h = how{idEvent: target, urlKey: e.ID, update: true, status: "amended"}
		if e.Kind == lifeboat.KindEnteredInError {
			h.status = "entered-in-error"
			src = target
		}
	}
	m, ok := mappers[src.Kind]
	if !ok {
		if spec, ok := forms.Spec(src.Kind); ok && spec.Exported() {
			return nil, "", fmt.Errorf("%s records have no FHIR mapping in this version", src.Kind)
		}
		return nil, "", fmt.Errorf("%s records are not exported", src.Kind)
	}
	return m(x, src, e, h)
}

// stamp adds identifiers and the performed-at and recorded-at extensions.
// Times are always those of the event being sent (e), the identifier that
// of the original record.
func (x *exporter) stamp(r *Resource, h how, e *lifeboat.Event, part string) {
	r.Extension = append(r.Extension, x.timeExtensions(e)...)
	r.addIdentifier(Identifier{System: x.sys.EventID, Value: h.idEvent.ID + part})
	if !h.update {
		r.ID = ResourceID(h.idEvent.ID + part)
	}
	if h.status != "" {
		r.Status = h.status
	}
}

// timeExtensions are e's performed-at and recorded-at extensions. Every
// resource of e shares them: nothing changes them once made (the slice is
// clipped, so an append copies it).
func (x *exporter) timeExtensions(e *lifeboat.Event) []Extension {
	if x.timesOf != e {
		x.timesOf = e
		x.times = []Extension{{URL: x.sys.PerformedAt, ValueDateTime: fhirTime(e.PerformedAt)}, {URL: x.sys.RecordedAt, ValueDateTime: fhirTime(e.RecordedAt)}}
	}
	return x.times
}

// performedAt and recordedAt are e's times as FHIR dateTimes.
func (x *exporter) performedAt(e *lifeboat.Event) string { return x.timeExtensions(e)[0].ValueDateTime }
func (x *exporter) recordedAt(e *lifeboat.Event) string  { return x.timeExtensions(e)[1].ValueDateTime }

// entry wraps a stamped resource in a create or a conditional update.
func (x *exporter) entry(r *Resource, h how, part string) Entry {
	ident := IdentQuery(x.sys.EventID, h.idEvent.ID+part)
	if h.update {
		return Entry{FullURL: "urn:uuid:" + ResourceID(h.urlKey+part), Resource: r,
			Request: &Request{Method: "PUT", URL: r.ResourceType + "?" + ident}}
	}
	return Entry{FullURL: "urn:uuid:" + r.ID, Resource: r,
		Request: &Request{Method: "POST", URL: r.ResourceType, IfNoneExist: ident}}
}

// url is "urn:uuid:" and ResourceID(key), made once per key: the same
// patients and locations recur in every export.
func (x *exporter) url(key string) string {
	u, ok := x.urls[key]
	if !ok {
		u = "urn:uuid:" + ResourceID(key)
		x.urls[key] = u
	}
	return u
}

// patientURL is the fullUrl of id's Patient: its survivor's once merged.
func (x *exporter) patientURL(id string) string { return x.url("patient:" + x.root(id)) }

func (x *exporter) patientRef(id string) *Ref { return &Ref{Reference: x.patientURL(id)} }

func (x *exporter) locationURL(key string) string { return x.url("location:" + key) }

// patientEntry is the Patient, matched on the server by NHS number (or
// Lifeboat's patient ID when there is none yet). e gives the times.
func (x *exporter) patientEntry(id string, e *lifeboat.Event) Entry {
	id = x.root(id) // one Patient per person: the survivor's after a merge
	p := x.patients[id]
	u := x.patientURL(id)
	r := &Resource{ResourceType: "Patient", ID: strings.TrimPrefix(u, "urn:uuid:"), Gender: p.Sex, BirthDate: p.BirthDate}
	if p.Given != "" || p.Surname != "" {
		r.Name = []HumanName{{Use: "official", Family: p.Surname, Given: strings.Fields(p.Given)}}
	}
	if r.Gender != "" && r.Gender != "male" && r.Gender != "female" && r.Gender != "other" {
		r.Gender = "unknown"
	}
	match := IdentQuery(x.sys.PatientID, id)
	if p.NHSNumber != "" {
		r.addIdentifier(Identifier{System: NHSNumberSystem, Value: p.NHSNumber})
		match = IdentQuery(NHSNumberSystem, p.NHSNumber)
	}
	r.addIdentifier(Identifier{System: x.sys.PatientID, Value: id})
	if p.TempID != "" {
		r.addIdentifier(Identifier{System: x.sys.TempID, Value: p.TempID})
	}
	r.Extension = x.timeExtensions(e)
	return Entry{FullURL: u, Resource: r, Request: &Request{Method: "POST", URL: "Patient", IfNoneExist: match}}
}

// locationEntry is a ward (bed "") or bed Location, created if missing.
func (x *exporter) locationEntry(ward, bed string, e *lifeboat.Event) Entry {
	key, code, name := ward, "wa", "Ward"
	if bed != "" {
		key, code, name = ward+"/"+bed, "bd", "Bed"
	}
	u := x.locationURL(key)
	r := &Resource{ResourceType: "Location", ID: strings.TrimPrefix(u, "urn:uuid:"), Status: "active", Name: key,
		Identifier:   []Identifier{{System: x.sys.Location, Value: key}},
		PhysicalType: &Codeable{Coding: []Coding{{System: physType, Code: code, Display: name}}},
		Extension:    x.timeExtensions(e)}
	if bed != "" {
		r.PartOf = &Ref{Reference: x.locationURL(ward)}
	}
	return Entry{FullURL: u, Resource: r,
		Request: &Request{Method: "POST", URL: "Location", IfNoneExist: IdentQuery(x.sys.Location, key)}}
}

// stayEntries maps an admission, transfer or discharge to the patient's
// Encounter with its bed locations over time: created at admission,
// updated (conditionally, on the admission's identifier) at each move.
func (x *exporter) stayEntries(src, e *lifeboat.Event) ([]Entry, string, error) {
	pid := src.Subject
	at := fhirTime(src.PerformedAt)
	st := x.stays[pid]
	switch src.Kind {
	case forms.KindPatientAdmitted:
		var a forms.Admission
		if err := json.Unmarshal(src.Payload, &a); err != nil {
			return nil, "", fmt.Errorf("read admission: %w", err)
		}
		st = &stay{admitEvent: src.ID, start: at, locs: []stayLoc{{ward: a.Ward, bed: a.Bed, start: at}}}
		x.stays[pid] = st
	case forms.KindPatientTransferred:
		var t forms.Transfer
		if err := json.Unmarshal(src.Payload, &t); err != nil {
			return nil, "", fmt.Errorf("read transfer: %w", err)
		}
		if st == nil || st.finished {
			return nil, "", fmt.Errorf("a transfer with no admission on record")
		}
		st.locs[len(st.locs)-1].end = at
		st.locs = append(st.locs, stayLoc{ward: t.Ward, bed: t.Bed, start: at})
	case forms.KindPatientDischarged:
		if st == nil || st.finished {
			return nil, "", fmt.Errorf("a discharge with no admission on record")
		}
		st.locs[len(st.locs)-1].end = at
		st.end, st.finished = at, true
	}
	r := &Resource{ResourceType: "Encounter", Status: "in-progress", Subject: x.patientRef(pid),
		Class:  &Coding{System: actCode, Code: "IMP", Display: "inpatient encounter"},
		Period: &Period{Start: st.start, End: st.end}}
	if st.finished {
		r.Status = "finished"
	}
	entries := []Entry{x.patientEntry(pid, e)}
	for _, l := range st.locs {
		entries = append(entries, x.locationEntry(l.ward, "", e))
		ref := x.locationURL(l.ward)
		if l.bed != "" {
			entries = append(entries, x.locationEntry(l.ward, l.bed, e))
			ref = x.locationURL(l.ward + "/" + l.bed)
		}
		status := "active"
		if l.end != "" {
			status = "completed"
		}
		r.Location = append(r.Location, EncLoc{Location: Ref{Reference: ref}, Status: status, Period: &Period{Start: l.start, End: l.end}})
	}
	admit := x.byID[st.admitEvent]
	h := how{idEvent: admit, urlKey: src.ID, update: src.Kind != forms.KindPatientAdmitted}
	x.stamp(r, h, e, "")
	return append(entries, x.entry(r, h, "")), pid, nil
}

// operational is the HL7 v2 table 0116 bed status of each bed state.
var operational = map[forms.BedState]Coding{
	forms.BedAvailable: {System: v20116, Code: "U", Display: "Unoccupied"},
	forms.BedOccupied:  {System: v20116, Code: "O", Display: "Occupied"},
	forms.BedCleaning:  {System: v20116, Code: "H", Display: "Housekeeping"},
	forms.BedClosed:    {System: v20116, Code: "C", Display: "Closed"},
	forms.BedIsolation: {System: v20116, Code: "I", Display: "Isolated"},
}

// bedEntries sets a bed Location's operationalStatus.
func (x *exporter) bedEntries(e *lifeboat.Event) ([]Entry, string, error) {
	var b forms.BedStateSet
	if err := json.Unmarshal(e.Payload, &b); err != nil {
		return nil, "", fmt.Errorf("read bed state: %w", err)
	}
	c, ok := operational[b.State]
	if !ok || b.Ward == "" || b.Bed == "" {
		return nil, "", fmt.Errorf("bed state %q of %s/%s cannot be sent", b.State, b.Ward, b.Bed)
	}
	bed := x.locationEntry(b.Ward, b.Bed, e)
	r := *bed.Resource
	r.ID, r.Identifier, r.Extension = "", nil, nil
	r.OperationalStatus = &c
	h := how{idEvent: e, urlKey: e.ID, update: true}
	r.Extension = x.timeExtensions(e)
	r.Identifier = []Identifier{{System: x.sys.Location, Value: b.Ward + "/" + b.Bed}}
	upd := Entry{FullURL: "urn:uuid:" + ResourceID(h.urlKey), Resource: &r,
		Request: &Request{Method: "PUT", URL: "Location?" + IdentQuery(x.sys.Location, b.Ward+"/"+b.Bed)}}
	return []Entry{x.locationEntry(b.Ward, "", e), upd}, "", nil
}

func code(system, c, display string) *Codeable {
	return &Codeable{Coding: []Coding{{System: system, Code: c, Display: display}}, Text: display}
}

func ucumQ(v float64, unit, c string) *Quantity {
	return &Quantity{Value: v, Unit: unit, System: ucum, Code: c}
}

// acvpuCodes are the SNOMED CT findings for each ACVPU level (UK Core).
var acvpuCodes = map[string]Coding{
	"A": {System: snomed, Code: "248234008", Display: "Mentally alert"},
	"C": {System: snomed, Code: "130987000", Display: "Acute confusion"},
	"V": {System: snomed, Code: "300202002", Display: "Responds to voice"},
	"P": {System: snomed, Code: "450847001", Display: "Responds to pain"},
	"U": {System: snomed, Code: "422768004", Display: "Unresponsive"},
}

var vitalSigns = []Codeable{{Coding: []Coding{{System: obsCat, Code: "vital-signs", Display: "Vital Signs"}}}}

// obsEntries maps one observation set to a vital-sign Observation per
// measurement and, for a complete set, the NEWS2 total derived from them.
func (x *exporter) obsEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var o forms.Observations
	if err := json.Unmarshal(src.Payload, &o); err != nil {
		return nil, "", fmt.Errorf("read observations: %w", err)
	}
	pid := src.Subject
	entries := make([]Entry, 1, 8)
	entries[0] = x.patientEntry(pid, e)
	var derived []Ref
	add := func(part string, r *Resource) {
		r.ResourceType = "Observation"
		if r.Status == "" {
			r.Status = "final"
		}
		if r.Category == nil {
			r.Category = vitalSigns
		}
		r.Subject = x.patientRef(pid)
		r.EffectiveDateTime = x.performedAt(e)
		r.Issued = x.recordedAt(e)
		r.Performer = []Ref{x.person(e.Author)}
		x.stamp(r, h, e, part)
		en := x.entry(r, h, part)
		derived = append(derived, Ref{Reference: en.FullURL})
		entries = append(entries, en)
	}
	if o.RespRate != nil {
		add("#resp", &Resource{Code: code(loinc, "9279-1", "Respiratory rate"), ValueQuantity: ucumQ(float64(*o.RespRate), "breaths/minute", "/min")})
	}
	if o.SpO2 != nil {
		c := &Codeable{Coding: []Coding{{System: loinc, Code: "2708-6", Display: "Oxygen saturation in Arterial blood"},
			{System: loinc, Code: "59408-5", Display: "Oxygen saturation in Arterial blood by Pulse oximetry"}}, Text: "Oxygen saturation"}
		r := &Resource{Code: c, ValueQuantity: ucumQ(float64(*o.SpO2), "%", "%"), Component: x.oxygen(o)}
		add("#spo2", r)
	}
	if o.Systolic != nil || o.Diastolic != nil {
		r := &Resource{Code: code(loinc, "85354-9", "Blood pressure panel with all children optional")}
		if o.Systolic != nil {
			r.Component = append(r.Component, Component{Code: *code(loinc, "8480-6", "Systolic blood pressure"), ValueQuantity: ucumQ(float64(*o.Systolic), "mmHg", "mm[Hg]")})
		}
		if o.Diastolic != nil {
			r.Component = append(r.Component, Component{Code: *code(loinc, "8462-4", "Diastolic blood pressure"), ValueQuantity: ucumQ(float64(*o.Diastolic), "mmHg", "mm[Hg]")})
		}
		add("#bp", r)
	}
	if o.Pulse != nil {
		add("#pulse", &Resource{Code: code(loinc, "8867-4", "Heart rate"), ValueQuantity: ucumQ(float64(*o.Pulse), "beats/minute", "/min")})
	}
	if o.TempC != nil {
		add("#temp", &Resource{Code: code(loinc, "8310-5", "Body temperature"), ValueQuantity: ucumQ(math.Round(*o.TempC*10)/10, "Cel", "Cel")})
	}
	if c, ok := acvpuCodes[strings.ToUpper(o.Consciousness)]; ok {
		add("#acvpu", &Resource{Code: code(snomed, "1104441000000107", "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score"),
			Category:             []Codeable{{Coding: []Coding{{System: obsCat, Code: "survey", Display: "Survey"}}}},
			ValueCodeableConcept: &Codeable{Coding: []Coding{c}, Text: c.Display}})
	}
	scale := o.SpO2Scale
	if scale == 0 {
		scale = 1
	}
	if n := forms.ScoreNEWS2(o, scale); n.Complete {
		total := n.Total
		r := &Resource{Code: code(snomed, "1104051000000101", "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score"),
			Category:     []Codeable{{Coding: []Coding{{System: obsCat, Code: "survey", Display: "Survey"}}}},
			ValueInteger: &total, DerivedFrom: slices.Clone(derived), Method: x.spo2Scale(scale)}
		add("#news2", r)
	}
	if len(entries) == 1 {
		return nil, "", fmt.Errorf("the observation set has no measurement")
	}
	events := []string{e.ID}
	for i := 1; i < len(entries); i++ {
		entries[i].Events = events
	}
	return entries, pid, nil
}

// The codes of oxygen on an SpO2 Observation (its components).
var (
	// o2FlowCode is the LOINC code of the oxygen flow rate, in L/min.
	o2FlowCode = Codeable{Coding: []Coding{{System: loinc, Code: "3151-8", Display: "Inhaled oxygen flow rate"}}, Text: "Oxygen flow rate"}
	// o2TherapyCode is the SNOMED CT procedure the air-or-oxygen component
	// answers: its value is room air, on oxygen, or the delivery device.
	o2TherapyCode = Codeable{Coding: []Coding{{System: snomed, Code: "57485005", Display: "Oxygen therapy"}}, Text: "Air or oxygen (delivery device)"}
	roomAir       = Coding{System: snomed, Code: "722742002", Display: "Breathing room air"}
	onOxygen      = Coding{System: snomed, Code: "371825009", Display: "Patient on oxygen"}
	// o2Devices are the SNOMED CT codes of the devices recorded by name
	// (lower case; others are sent as the words recorded).
	o2Devices = map[string]Coding{
		"nasal cannula":  {System: snomed, Code: "336623009", Display: "Oxygen nasal cannula"},
		"nasal cannulae": {System: snomed, Code: "336623009", Display: "Oxygen nasal cannula"},
		"nasal specs":    {System: snomed, Code: "336623009", Display: "Oxygen nasal cannula"},
	}
)

// oxygen is the air-or-oxygen of an SpO2 reading as coded components:
// room air, or on oxygen with its delivery device (SNOMED CT where known,
// else the words recorded) and its flow in L/min (UCUM). Nothing when not
// recorded.
func (x *exporter) oxygen(o forms.Observations) []Component {
	if o.OnOxygen == nil {
		return nil
	}
	if !*o.OnOxygen {
		return []Component{{Code: o2TherapyCode, ValueCodeableConcept: &Codeable{Coding: []Coding{roomAir}, Text: "Room air"}}}
	}
	dev := &Codeable{Coding: []Coding{onOxygen}, Text: "On oxygen"}
	if d := strings.TrimSpace(o.O2Device); d != "" {
		dev = &Codeable{Text: d}
		if c, ok := o2Devices[strings.ToLower(d)]; ok {
			dev.Coding = []Coding{c}
		}
	}
	out := []Component{{Code: o2TherapyCode, ValueCodeableConcept: dev}}
	if o.O2FlowLPM != nil {
		out = append(out, Component{Code: o2FlowCode, ValueQuantity: ucumQ(*o.O2FlowLPM, "L/min", "L/min")})
	}
	return out
}

// spo2Scale is the NEWS2 SpO2 scale a score used, coded in
// Systems.NEWS2 (no SNOMED CT or LOINC code exists for it): "scale-1",
// or "scale-2" for patients with hypercapnic respiratory failure
// (target 88-92%).
func (x *exporter) spo2Scale(scale int) *Codeable {
	if scale == 2 {
		return &Codeable{Coding: []Coding{{System: x.sys.NEWS2, Code: "scale-2", Display: "NEWS2 SpO2 scale 2"}}, Text: "NEWS2 SpO2 scale 2 (target 88-92%)"}
	}
	return &Codeable{Coding: []Coding{{System: x.sys.NEWS2, Code: "scale-1", Display: "NEWS2 SpO2 scale 1"}}, Text: "NEWS2 SpO2 scale 1"}
}

// ucumUnits are the UCUM codes of the dose units orders use (lower case);
// a unit not here is sent as its words, with no code.
var ucumUnits = map[string]string{
	"mg": "mg", "g": "g", "gram": "g", "grams": "g", "microgram": "ug", "micrograms": "ug", "mcg": "ug", "ug": "ug",
	"nanogram": "ng", "nanograms": "ng", "ng": "ng", "ml": "mL", "millilitre": "mL", "millilitres": "mL", "l": "L",
	"mmol": "mmol", "unit": "[iU]", "units": "[iU]", "iu": "[iU]", "%": "%",
	"tablet": "{tablet}", "tablets": "{tablet}", "capsule": "{capsule}", "capsules": "{capsule}",
	"puff": "{puff}", "puffs": "{puff}", "drop": "{drop}", "drops": "{drop}", "sachet": "{sachet}", "sachets": "{sachet}",
	"patch": "{patch}", "patches": "{patch}", "suppository": "{suppository}", "suppositories": "{suppository}",
}

// doseQuantity is a dose in its unit, with the UCUM code when the unit
// has one.
func doseQuantity(v float64, unit string) *Quantity {
	q := &Quantity{Value: v, Unit: unit}
	if c, ok := ucumUnits[strings.ToLower(strings.TrimSpace(unit))]; ok {
		q.System, q.Code = ucum, c
	}
	return q
}

// orderRef is a dose's reference to its MedicationRequest: logical, by
// Lifeboat's order ID (the census does not keep the core system's own
// order identifier), shown as the order in words.
func (x *exporter) orderRef(o forms.MedicationOrder) *Ref {
	words := strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", o.Drug, o.Dose.String(), o.DoseUnit, o.Route, o.Frequency))
	if o.PRN {
		words += " PRN"
	}
	return &Ref{Identifier: &Identifier{System: x.sys.OrderID, Value: o.ID}, Display: strings.Join(strings.Fields(words), " ")}
}

// adminEntries maps a dose given or not given to a MedicationAdministration.
func (x *exporter) adminEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var a forms.Administration
	if err := json.Unmarshal(src.Payload, &a); err != nil {
		return nil, "", fmt.Errorf("read administration: %w", err)
	}
	o, ok := x.orders[a.OrderID]
	if !ok {
		return nil, "", fmt.Errorf("the medicine order %s is not in the log", a.OrderID)
	}
	pid := src.Subject
	r := &Resource{ResourceType: "MedicationAdministration", Status: "completed", MedicationCodeableConcept: medicine(o.Drug, o.DMDCode),
		Subject: x.patientRef(pid), EffectiveDateTime: x.performedAt(e), Performer: []Actor{{Actor: x.person(e.Author)}}, Request: x.orderRef(o)}
	if a.Outcome == forms.OutcomeGiven {
		dose := a.Dose
		if dose == 0 {
			dose = o.Dose
		}
		r.Dosage = &Dosage{Route: &Codeable{Text: o.Route}, Dose: doseQuantity(float64(dose)/forms.QuantityScale, o.DoseUnit)}
	} else {
		r.Status = "not-done"
		reason := string(a.Outcome)
		if a.ReasonCode != "" {
			reason = a.ReasonCode.Label()
		}
		r.StatusReason = []Codeable{{Text: reason}}
	}
	if h.status == "amended" {
		h.status = "" // MedicationAdministration has no amended status
	}
	for _, n := range []string{a.Note, witness(a.Witness)} {
		if n != "" {
			r.Note = append(r.Note, Note{Text: n})
		}
	}
	r.Note = append(r.Note, overrideNotes(a.Overrides)...)
	x.stamp(r, h, e, "")
	return []Entry{x.patientEntry(pid, e), x.entry(r, h, "")}, pid, nil
}

func witness(w string) string {
	if w == "" {
		return ""
	}
	return "witnessed by " + w
}

func medicine(drug, dmdCode string) *Codeable {
	c := &Codeable{Text: drug}
	if dmdCode != "" {
		c.Coding = []Coding{{System: dmd, Code: dmdCode, Display: drug}}
	}
	return c
}

// dispenseEntries maps a pharmacy supply to a MedicationDispense.
func (x *exporter) dispenseEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var s forms.PharmacySupply
	if err := json.Unmarshal(src.Payload, &s); err != nil {
		return nil, "", fmt.Errorf("read supply: %w", err)
	}
	pid := src.Subject
	perf := []Actor{{Actor: Ref{Display: s.SuppliedBy}}}
	if s.CheckedBy != "" {
		perf = append(perf, Actor{Actor: Ref{Display: "checked by " + s.CheckedBy}})
	}
	r := &Resource{ResourceType: "MedicationDispense", Status: "completed", MedicationCodeableConcept: medicine(s.Drug, ""),
		Subject: x.patientRef(pid), Performer: perf, WhenHandedOver: x.performedAt(e),
		Quantity: &Quantity{Value: float64(s.Quantity) / forms.QuantityScale, Unit: s.Unit}}
	if s.Note != "" {
		r.Note = []Note{{Text: s.Note}}
	}
	if h.status == "amended" {
		h.status = "" // MedicationDispense has no amended status
	}
	x.stamp(r, h, e, "")
	return []Entry{x.patientEntry(pid, e), x.entry(r, h, "")}, pid, nil
}

// formEntries maps a custom form to a QuestionnaireResponse.
func (x *exporter) formEntries(src, e *lifeboat.Event, h how) ([]Entry, string, error) {
	var s forms.FormSubmission
	if err := json.Unmarshal(src.Payload, &s); err != nil {
		return nil, "", fmt.Errorf("read form: %w", err)
	}
	r := &Resource{ResourceType: "QuestionnaireResponse", Status: "completed",
		Questionnaire: fmt.Sprintf("%s%s|%d", x.sys.Questionnaire, s.FormID, s.Version),
		Authored:      x.performedAt(e), Author: new(x.person(e.Author))}
	keys := make([]string, 0, len(s.Values))
	for k := range s.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		it := QRItem{LinkID: k, Answer: answers(s.Values[k])}
		if len(it.Answer) > 0 {
			r.Item = append(r.Item, it)
		}
	}
	var entries []Entry
	if s.PatientID != "" {
		r.Subject = x.patientRef(s.PatientID)
		entries = append(entries, x.patientEntry(s.PatientID, e))
	}
	x.stamp(r, h, e, "")
	return append(entries, x.entry(r, h, "")), s.PatientID, nil
}

// answers turns a form value into QuestionnaireResponse answers.
func answers(v any) []QRAnswer {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return []QRAnswer{{ValueString: &v}}
	case bool:
		return []QRAnswer{{ValueBoolean: &v}}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<31 {
			i := int64(v)
			return []QRAnswer{{ValueInteger: &i}}
		}
		return []QRAnswer{{ValueDecimal: &v}}
	case []any:
		var out []QRAnswer
		for _, x := range v {
			out = append(out, answers(x)...)
		}
		return out
	}
	b, _ := json.Marshal(v)
	s := string(b)
	return []QRAnswer{{ValueString: &s}}
}
