package forms

import (
	"encoding/json"
	"slices"
	"time"

	"lifeboat"
)

// Kinds recorded by the census import and the back-entry worklist
// (sync/reconcile keeps its own names for them as aliases).
const (
	// KindCensusImported records that a census snapshot was imported: its
	// source and "data as of" time. Payload CensusImported, subject "census".
	KindCensusImported = "census.imported"
	// KindReconStatus records a change in a downtime event's back-entry
	// status. Payload BackEntryChange; subject "recon:<event ID>". Being an
	// event, the worklist syncs across devices like everything else.
	KindReconStatus = "recon.status"
)

// CensusImported is the payload of census.imported. Events is how many
// events the same import appended just before this one (same device,
// consecutive seqs): those are the snapshot, not downtime care, and are
// never exported back.
type CensusImported struct {
	Source string       `json:"source"`
	AsOf   time.Time    `json:"as_of"`
	Counts ImportCounts `json:"counts"`
	// Spans are the records the import wrote, as chain -> first and last
	// seq (its records go in several scopes: each ward's, the site's).
	// Records from before scopes have only Events: that many records just
	// before this one on the same device.
	Spans  map[string][2]uint64 `json:"spans,omitempty"`
	Events int                  `json:"events"`
}

// Covers reports whether e is one of the records the import wrote (by
// Spans; see Events for records without them).
func (c CensusImported) Covers(e lifeboat.Event) bool {
	s, ok := c.Spans[e.Device]
	return ok && e.Seq >= s[0] && e.Seq <= s[1]
}

// SpansOf is the Spans of records just appended.
func SpansOf(done []lifeboat.Event) map[string][2]uint64 {
	out := map[string][2]uint64{}
	for _, e := range done {
		s, ok := out[e.Device]
		if !ok {
			s = [2]uint64{e.Seq, e.Seq}
		}
		s[0], s[1] = min(s[0], e.Seq), max(s[1], e.Seq)
		out[e.Device] = s
	}
	return out
}

// CensusAsOf reads a census.imported event: its "data as of" time, but
// never later than the event itself (its performed time, or its clock,
// which the store holds back when a device runs ahead). AsOf is what the
// importing device says: believed as far as it goes, a census "as of
// 2099" from a lying device would make every device's data look current,
// leave every earlier dose to the core chart and refuse every later
// census. ok is false for a payload that is not a census record.
func CensusAsOf(e lifeboat.Event) (CensusImported, bool) {
	var c CensusImported
	if json.Unmarshal(e.Payload, &c) != nil || c.AsOf.IsZero() {
		return CensusImported{}, false
	}
	if e.PerformedAt.Before(c.AsOf) {
		c.AsOf = e.PerformedAt
	}
	if at := e.HLC.Time(); !e.HLC.IsZero() && at.Before(c.AsOf) {
		c.AsOf = at
	}
	return c, true
}

// ImportCounts says what an import changed.
type ImportCounts struct {
	Patients         int `json:"patients"`         // patients in the snapshot
	NewPatients      int `json:"new_patients"`     // registered for the first time
	UpdatedPatients  int `json:"updated_patients"` // details amended
	Admissions       int `json:"admissions"`
	Transfers        int `json:"transfers"`
	Discharges       int `json:"discharges,omitempty"`         // on a ward by an earlier census, not in this one (Census.Covers)
	Medicines        int `json:"medicines"`                    // orders added
	StoppedMedicines int `json:"stopped_medicines"`            // snapshot orders no longer in the census, or stopped in it
	Allergies        int `json:"allergies,omitempty"`          // allergies recorded or amended
	NoKnownAllergies int `json:"no_known_allergies,omitempty"` // "no known allergies" recorded
	Weights          int `json:"weights,omitempty"`            // weights recorded
	LeftOut          int `json:"left_out,omitempty"`           // records not imported, each listed in Census.Notes
}

// BackEntryStatus is where a downtime event stands in back-entry.
type BackEntryStatus string

// The back-entry statuses.
const (
	BackEntryPending  BackEntryStatus = "pending"         // not yet in the core system
	BackEntrySent     BackEntryStatus = "sent"            // sent; no answer yet
	BackEntryAccepted BackEntryStatus = "accepted"        // the server accepted it
	BackEntryRejected BackEntryStatus = "rejected"        // the server refused it; Reason says why
	BackEntryByHand   BackEntryStatus = "entered_by_hand" // typed into the core system by a person
	BackEntryVerified BackEntryStatus = "verified"        // checked in the core system by a second person
)

// BackEntryStatuses lists every status in worklist order.
var BackEntryStatuses = []BackEntryStatus{BackEntryPending, BackEntrySent, BackEntryAccepted, BackEntryRejected, BackEntryByHand, BackEntryVerified}

// Valid reports whether s is one of BackEntryStatuses.
func (s BackEntryStatus) Valid() bool { return slices.Contains(BackEntryStatuses, s) }

// Done reports whether nothing is left to do for an event with status s.
func (s BackEntryStatus) Done() bool {
	return s == BackEntryAccepted || s == BackEntryVerified || s == BackEntryByHand
}

// BackEntryChange is the payload of recon.status.
type BackEntryChange struct {
	EventID string          `json:"event_id"`
	Status  BackEntryStatus `json:"status"`
	Reason  string          `json:"reason,omitempty"`
	By      string          `json:"by,omitempty"` // person or "lifeboat send <url>"
}
