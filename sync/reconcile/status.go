package reconcile

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// KindReconStatus records a change in a downtime event's back-entry
// status (declared in forms' kind registry). Payload StatusChange; subject
// "recon:<event ID>".
const KindReconStatus = forms.KindReconStatus

// Status is where a downtime event stands in back-entry.
type Status = forms.BackEntryStatus

// The back-entry statuses.
const (
	StatusPending  = forms.BackEntryPending  // not yet in the core system
	StatusSent     = forms.BackEntrySent     // sent; no answer yet
	StatusAccepted = forms.BackEntryAccepted // the server accepted it
	StatusRejected = forms.BackEntryRejected // the server refused it; Reason says why
	StatusByHand   = forms.BackEntryByHand   // typed into the core system by a person
	StatusVerified = forms.BackEntryVerified // checked in the core system by a second person
)

// Statuses lists every status in worklist order.
var Statuses = forms.BackEntryStatuses

// StatusChange is the payload of recon.status.
type StatusChange = forms.BackEntryChange

// StatusDraft is the draft that records a status change.
func StatusDraft(c StatusChange, at time.Time) Draft {
	return Draft{Kind: KindReconStatus, Subject: "recon:" + c.EventID, PerformedAt: at, Payload: c}
}

// Item is one downtime event on the back-entry worklist.
type Item struct {
	EventID     string
	Kind        string
	PatientID   string // empty for bed states and forms not about a patient
	Patient     string // "SURNAME, Given (NHS 999 000 0018)" or the temporary ID
	Ward        string
	PerformedAt time.Time
	RecordedAt  time.Time
	Status      Status
	Reason      string
	By          string
	ByUser      string    // user ID of the person who recorded the newest status change
	StatusAt    time.Time // recorded time of the newest status change
	// Detail is what the person entering it by hand must carry over
	// besides the record itself: a dose's overrides with their reasons.
	Detail string
}

// Worklist lists every downtime event that goes back to the core system
// (the ExportKinds, census snapshot records excepted) with its newest
// back-entry status, in clock order. events is the whole log.
func Worklist(events []lifeboat.Event) []Item {
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b lifeboat.Event) int { return a.HLC.Compare(b.HLC) })
	snap := Snapshot(evs)
	patients := map[string]forms.Patient{}
	ward := map[string]string{}
	latest := map[string]StatusChange{}
	latestAt := map[string]time.Time{}
	latestBy := map[string]string{}
	var merges []forms.PatientMerge
	cancelled := map[string]bool{}
	for _, e := range evs {
		if e.Kind == lifeboat.KindEnteredInError {
			cancelled[e.Corrects] = true
		}
	}
	for _, e := range evs {
		switch e.Kind {
		case forms.KindPatientRegistered:
			var p forms.Patient
			if json.Unmarshal(e.Payload, &p) == nil {
				patients[e.Subject] = p
			}
		case forms.KindPatientAdmitted, forms.KindPatientTransferred:
			var a struct {
				Ward string `json:"ward"`
			}
			json.Unmarshal(e.Payload, &a)
			ward[e.Subject] = a.Ward
		case forms.KindPatientMerged:
			var m forms.PatientMerge
			if !cancelled[e.ID] && json.Unmarshal(e.Payload, &m) == nil {
				merges = append(merges, m)
			}
		case KindReconStatus:
			var c StatusChange
			if json.Unmarshal(e.Payload, &c) == nil && c.Status.Valid() {
				latest[c.EventID], latestAt[c.EventID], latestBy[c.EventID] = c, e.RecordedAt, e.Author
			}
		}
	}
	// A merged record's items are the survivor's: one patient to enter.
	into := forms.MergeRoots(merges)
	var out []Item
	for _, e := range evs {
		if !exportKind(e.Kind) || snap[e.ID] {
			continue
		}
		it := Item{EventID: e.ID, Kind: e.Kind, PerformedAt: e.PerformedAt, RecordedAt: e.RecordedAt, Status: StatusPending}
		if _, ok := patients[e.Subject]; ok {
			id := e.Subject
			if r, ok := into[id]; ok {
				id = r
			}
			it.PatientID = id
			it.Ward = ward[id]
			if it.Ward == "" {
				it.Ward = ward[e.Subject]
			}
			p := patients[id]
			it.Patient = fmt.Sprintf("%s, %s", strings.ToUpper(p.Surname), p.Given)
			if p.NHSNumber != "" {
				it.Patient += " (NHS " + forms.FormatNHSNumber(p.NHSNumber) + ")"
			} else {
				it.Patient += " (" + p.TempID + ")"
			}
			if old := patients[e.Subject]; id != e.Subject && old.TempID != "" {
				it.Patient += ", recorded as " + old.TempID
			}
		} else if e.Kind == forms.KindBedState {
			var b forms.BedStateSet
			json.Unmarshal(e.Payload, &b)
			it.Ward = b.Ward
		}
		if e.Kind == forms.KindMedAdministered {
			it.Detail = overrideDetail(e.Payload)
		}
		if c, ok := latest[e.ID]; ok {
			it.Status, it.Reason, it.By, it.ByUser, it.StatusAt = c.Status, c.Reason, c.By, latestBy[e.ID], latestAt[e.ID]
		}
		out = append(out, it)
	}
	return out
}

// overrideDetail is a dose's overrides in words: "OVERRIDE too soon after
// the last dose: severe pain; OVERRIDE allergy: ...", or "".
func overrideDetail(payload []byte) string {
	var a forms.Administration
	if json.Unmarshal(payload, &a) != nil {
		return ""
	}
	var parts []string
	for _, ov := range a.Overrides {
		parts = append(parts, "OVERRIDE "+forms.WarningLabel(ov.Code)+": "+ov.Reason)
	}
	return strings.Join(parts, "; ")
}

// Done returns the IDs of items with nothing left to do, for
// ExportOptions.Skip.
func Done(items []Item) map[string]bool {
	out := map[string]bool{}
	for _, it := range items {
		if it.Status.Done() {
			out[it.EventID] = true
		}
	}
	return out
}

// WriteItemsCSV writes the worklist, one row per event.
func WriteItemsCSV(w io.Writer, items []Item) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"ward", "patient_id", "patient", "event_id", "kind", "performed_at", "recorded_at", "status", "reason", "by"})
	for _, it := range items {
		cw.Write([]string{it.Ward, it.PatientID, it.Patient, it.EventID, it.Kind, fhirTime(it.PerformedAt), fhirTime(it.RecordedAt),
			string(it.Status), it.Reason, it.By})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write worklist: %w", err)
	}
	return nil
}

// WriteSummaryCSV writes what is left per ward (by "ward") or per patient
// (by "patient"): a row per group with a count per status and "left", the
// events not accepted, entered by hand or verified.
func WriteSummaryCSV(w io.Writer, items []Item, by string) error {
	type row struct {
		key, label string
		n          map[Status]int
	}
	var rows []*row
	idx := map[string]*row{}
	for _, it := range items {
		key, label := it.Ward, it.Ward
		if by == "patient" {
			key, label = it.PatientID, it.Patient
		}
		r := idx[key]
		if r == nil {
			r = &row{key: key, label: label, n: map[Status]int{}}
			idx[key] = r
			rows = append(rows, r)
		}
		r.n[it.Status]++
	}
	slices.SortFunc(rows, func(a, b *row) int { return strings.Compare(a.label, b.label) })
	cw := csv.NewWriter(w)
	head := []string{by}
	if by == "patient" {
		head = append(head, "patient_id")
	}
	for _, s := range Statuses {
		head = append(head, string(s))
	}
	cw.Write(append(head, "left"))
	for _, r := range rows {
		rec := []string{r.label}
		if by == "patient" {
			rec = append(rec, r.key)
		}
		left := 0
		for _, s := range Statuses {
			rec = append(rec, fmt.Sprint(r.n[s]))
			if !s.Done() {
				left += r.n[s]
			}
		}
		cw.Write(append(rec, fmt.Sprint(left)))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}
