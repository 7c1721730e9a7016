package forms

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lifeboat"
)

// KindWardSummary is the event kind of a ward's capacity in counts:
// payload WardSummaryReport, subject "ward:<ward ID>". A device that holds
// a ward's bed and patient records records it when the counts change
// (store.PublishWardSummaries), so the site's capacity view and sitrep can
// be built on a device that holds no ward's clinical records (a bed
// manager's). It carries counts only, never a patient.
const KindWardSummary = "ward.summary"

// WardSummaryReport is a ward.summary payload: the ward's counts
// (WardSummary, whose Ward and Name are the ward's, not a patient's) and
// the time they describe. Nothing in it identifies a patient: no IDs, no
// names, no beds by patient.
type WardSummaryReport struct {
	WardSummary
	AsOf time.Time `json:"as_of"` // when the device counted
	// Basis is how much of each of the ward's chains the counting device
	// held (chain ID -> seq): a device that holds less does not replace
	// the count with its own, older one (store.PublishWardSummaries).
	// Chain IDs name devices and the ward, never a patient.
	Basis map[string]uint64 `json:"basis,omitempty"`
}

// MaxWardBeds bounds each count of a ward summary: a ward of more beds
// than this is a mistake or a forgery, not a ward.
const MaxWardBeds = 10000

// Validate lists what is wrong with r: a missing ward or time, a count
// out of range, or counts that do not add up as WardSummary says (closed
// beds at most the core beds; open = core - closed + escalation open; the
// four open states add up to open; occupancy is occupied over open).
func (r WardSummaryReport) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(r.Ward) == "" {
		hard("ward", "the summary names no ward")
	}
	if len(r.Ward) > 200 || len(r.Name) > 200 {
		hard("ward", "the ward's ID or name is too long")
	}
	if r.AsOf.IsZero() {
		hard("as_of", "the summary has no time")
	}
	counts := []struct {
		field string
		n     int
	}{
		{"core_beds", r.CoreBeds}, {"escalation_beds_open", r.EscalationBedsOpen}, {"closed", r.Closed}, {"open", r.Open},
		{"occupied", r.Occupied}, {"available", r.Available}, {"cleaning", r.Cleaning}, {"isolation", r.Isolation},
	}
	inRange := true
	for _, c := range counts {
		if c.n < 0 || c.n > MaxWardBeds {
			hard(c.field, fmt.Sprintf("%s must be between 0 and %d", strings.ReplaceAll(c.field, "_", " "), MaxWardBeds))
			inRange = false
		}
	}
	if !inRange {
		return ps // sums of counts out of range say nothing more
	}
	if r.Closed > r.CoreBeds {
		hard("closed", "more core beds closed than the ward has")
	}
	if r.Open != r.CoreBeds-r.Closed+r.EscalationBedsOpen {
		hard("open", "open beds are not the core beds less those closed plus the escalation beds open")
	}
	if r.Occupied+r.Available+r.Cleaning+r.Isolation != r.Open {
		hard("open", "occupied, available, cleaning and isolation beds do not add up to the open beds")
	}
	if r.OccupancyPct != occupancyPct(r.Occupied, r.Open) {
		hard("occupancy_pct", "occupancy is not the occupied beds over the open beds")
	}
	return ps
}

// SameCounts reports whether a and b say the same of the same ward (their
// times aside): a device records a new summary only when they differ.
func (a WardSummaryReport) SameCounts(b WardSummaryReport) bool {
	return a.WardSummary == b.WardSummary
}

// WardSummaryOf reads a ward.summary event: its report, with AsOf never
// later than the event itself (its performed time, or its clock, which
// the store holds back when a device runs ahead), as for a census
// (CensusAsOf): a summary "as of 2099" from a lying device would look
// current for ever. ok is false for a payload that is not a valid ward
// summary, which the site's views then pass over.
func WardSummaryOf(e lifeboat.Event) (WardSummaryReport, bool) {
	var r WardSummaryReport
	if json.Unmarshal(e.Payload, &r) != nil || r.Validate().HasHard() {
		return WardSummaryReport{}, false
	}
	if e.PerformedAt.Before(r.AsOf) {
		r.AsOf = e.PerformedAt
	}
	if at := e.HLC.Time(); !e.HLC.IsZero() && at.Before(r.AsOf) {
		r.AsOf = at
	}
	return r, true
}

// WardCapacity is one ward's line in the site's capacity view and sitrep:
// its counts and where they come from. A device that holds the ward's
// bed records counts them live; one that does not (a bed manager's) shows
// the newest ward.summary it has, with the time it describes, so nobody
// takes an hour-old count for the beds free now.
type WardCapacity struct {
	WardSummary
	// FromSummary: the counts are the ward's newest summary event, not
	// this device's own bed board; AsOf is the time it describes.
	FromSummary bool
	AsOf        time.Time
	// NoSummary: this device holds neither the ward's bed records nor any
	// summary of it yet; the counts are zero and must not be read as a
	// ward with no beds.
	NoSummary bool
}

// Summaries returns the counts of each ward in cs, leaving out wards with
// no summary (their zeros are not counts): what SiteRollup adds up.
func Summaries(cs []WardCapacity) []WardSummary {
	out := make([]WardSummary, 0, len(cs))
	for _, c := range cs {
		if !c.NoSummary {
			out = append(out, c.WardSummary)
		}
	}
	return out
}
