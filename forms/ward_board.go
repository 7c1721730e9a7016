package forms

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// BedView is one bed on a ward's bed board.
type BedView struct {
	Bed      BedDef
	State    BedState // what the board shows (see BedBoard)
	Recorded BedState // latest bed.state set by hand; empty if none
	Patients []string // patient IDs placed in the bed; more than one is a conflict
	Note     string   // plain words when placements and the recorded state disagree
}

// WardBoard is a ward's bed board.
type WardBoard struct {
	Ward Ward
	Beds []BedView
	// Unbedded holds placements on this ward with no bed, or a bed the
	// ward does not define: shown, never hidden.
	Unbedded []Placement
}

// BedBoard builds w's bed board from its bed.state events (in recorded
// order: the last one for a bed wins) and the current placements (see
// Placements). What a bed shows:
//
//   - occupied if any patient is placed in it, whatever was recorded (and
//     Note says so if the recorded state was not occupied);
//   - cleaning if the latest recorded state is occupied but no patient is
//     placed any more: the patient left and the bed has not been cleaned,
//     so it is never offered as available until someone says so;
//   - otherwise the latest recorded state, or by default available for a
//     core bed and closed for an escalation bed.
func BedBoard(w Ward, states []BedStateSet, placements []Placement) WardBoard {
	recorded := map[string]BedState{}
	for _, s := range states {
		if s.Ward == w.ID {
			recorded[s.Bed] = s.State
		}
	}
	patients := map[string][]string{}
	board := WardBoard{Ward: w}
	for _, p := range placements {
		if p.Ward != w.ID {
			continue
		}
		if _, ok := w.Bed(p.Bed); !ok {
			board.Unbedded = append(board.Unbedded, p)
			continue
		}
		patients[p.Bed] = append(patients[p.Bed], p.PatientID)
	}
	for _, b := range w.Beds {
		v := BedView{Bed: b, Recorded: recorded[b.ID], Patients: patients[b.ID]}
		switch {
		case len(v.Patients) > 0:
			v.State = BedOccupied
			if v.Recorded != "" && v.Recorded != BedOccupied {
				v.Note = fmt.Sprintf("patient placed in a bed marked %s", v.Recorded)
			}
			if len(v.Patients) > 1 {
				v.Note = "more than one patient placed in this bed"
			}
		case v.Recorded == BedOccupied:
			v.State = BedCleaning
		case v.Recorded != "":
			v.State = v.Recorded
		case b.Escalation:
			v.State = BedClosed
		default:
			v.State = BedAvailable
		}
		board.Beds = append(board.Beds, v)
	}
	return board
}

// WardSummary is a ward's capacity in sitrep terms. The counts:
//
//   - CoreBeds: the ward's core (non-escalation) beds, whatever their state.
//   - EscalationBedsOpen: escalation beds not closed.
//   - Closed: core beds closed.
//   - Open: beds in use or usable: CoreBeds - Closed + EscalationBedsOpen.
//   - Occupied, Available, Cleaning, Isolation: open beds in each state;
//     they add up to Open.
//   - OccupancyPct: Occupied / Open x 100, rounded to one decimal place
//     (half up); 0 when no bed is open. The denominator is open beds, so
//     closing beds raises occupancy and opening escalation beds lowers it,
//     as in the NHS daily sitrep.
type WardSummary struct {
	Ward               string  `json:"ward"`
	Name               string  `json:"name"`
	CoreBeds           int     `json:"core_beds"`
	EscalationBedsOpen int     `json:"escalation_beds_open"`
	Closed             int     `json:"closed"`
	Open               int     `json:"open"`
	Occupied           int     `json:"occupied"`
	Available          int     `json:"available"`
	Cleaning           int     `json:"cleaning"`
	Isolation          int     `json:"isolation"`
	OccupancyPct       float64 `json:"occupancy_pct"`
}

// Summary counts b's beds as a WardSummary.
func (b WardBoard) Summary() WardSummary {
	s := WardSummary{Ward: b.Ward.ID, Name: b.Ward.Name}
	for _, v := range b.Beds {
		if v.Bed.Escalation {
			if v.State == BedClosed {
				continue
			}
			s.EscalationBedsOpen++
		} else {
			s.CoreBeds++
			if v.State == BedClosed {
				s.Closed++
				continue
			}
		}
		switch v.State {
		case BedOccupied:
			s.Occupied++
		case BedAvailable:
			s.Available++
		case BedCleaning:
			s.Cleaning++
		case BedIsolation:
			s.Isolation++
		}
	}
	s.Open = s.CoreBeds - s.Closed + s.EscalationBedsOpen
	s.OccupancyPct = occupancyPct(s.Occupied, s.Open)
	return s
}

func occupancyPct(occupied, open int) float64 {
	if open <= 0 {
		return 0
	}
	tenths := (occupied*1000 + open/2) / open
	return float64(tenths) / 10
}

// SiteRollup adds up ward summaries into one for the site (Ward "site",
// Name "Site total"), recomputing occupancy over the site's open beds
// rather than averaging the wards' percentages.
func SiteRollup(wards []WardSummary) WardSummary {
	s := WardSummary{Ward: "site", Name: "Site total"}
	for _, w := range wards {
		s.CoreBeds += w.CoreBeds
		s.EscalationBedsOpen += w.EscalationBedsOpen
		s.Closed += w.Closed
		s.Open += w.Open
		s.Occupied += w.Occupied
		s.Available += w.Available
		s.Cleaning += w.Cleaning
		s.Isolation += w.Isolation
	}
	s.OccupancyPct = occupancyPct(s.Occupied, s.Open)
	return s
}

// SitrepReport is the daily sitrep-style capacity summary: each ward and
// the site total, for one date.
type SitrepReport struct {
	Date  time.Time // the calendar date reported (its clock time is ignored)
	Wards []WardCapacity
	Site  WardSummary // the wards with counts added up (Summaries, SiteRollup)
}

// Sitrep builds the report for date from each ward's capacity, in the
// order given, with the site total over the wards that have counts.
func Sitrep(date time.Time, wards []WardCapacity) SitrepReport {
	return SitrepReport{Date: date, Wards: wards, Site: SiteRollup(Summaries(wards))}
}

// SitrepCSVHeader is the header row WriteCSV writes.
var SitrepCSVHeader = []string{"date", "ward", "name", "core_beds", "escalation_beds_open", "closed",
	"open", "occupied", "available", "cleaning", "isolation", "occupancy_pct", "as_of"}

// SitrepNoSummary is the as_of cell of a ward WriteCSV has no counts for.
const SitrepNoSummary = "no summary yet"

// WriteCSV writes r as CSV: SitrepCSVHeader, one row per ward, then the
// site total. Dates are YYYY-MM-DD and occupancy has one decimal place.
// as_of is empty for counts this device made from the ward's own records,
// the summary's time (RFC 3339, UTC) for counts from a ward summary, and
// SitrepNoSummary, with the counts left empty, for a ward it has neither
// for. A text cell that a spreadsheet would run as a formula (starting
// with =, +, -, @, tab or carriage return) is prefixed with an apostrophe.
func (r SitrepReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	date := r.Date.Format(time.DateOnly)
	if err := cw.Write(SitrepCSVHeader); err != nil {
		return fmt.Errorf("write sitrep csv: %w", err)
	}
	for _, c := range append(r.Wards[:len(r.Wards):len(r.Wards)], WardCapacity{WardSummary: r.Site}) {
		s := c.WardSummary
		row := []string{date, csvText(s.Ward), csvText(s.Name)}
		if c.NoSummary {
			row = append(row, "", "", "", "", "", "", "", "", "", SitrepNoSummary)
		} else {
			for _, n := range []int{s.CoreBeds, s.EscalationBedsOpen, s.Closed, s.Open, s.Occupied, s.Available, s.Cleaning, s.Isolation} {
				row = append(row, strconv.Itoa(n))
			}
			row = append(row, strconv.FormatFloat(s.OccupancyPct, 'f', 1, 64), "")
			if c.FromSummary {
				row[len(row)-1] = c.AsOf.UTC().Format(time.RFC3339)
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write sitrep csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write sitrep csv: %w", err)
	}
	return nil
}

func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
