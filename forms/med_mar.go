package forms

import (
	"slices"
	"time"
)

// SlotStatus is what a MAR cell shows.
type SlotStatus string

// Slot statuses. A dose with nothing recorded is upcoming until DueWindow
// before its time, due until OverdueAfter after it, then overdue. A dose
// with records shows their outcome, or conflict when the records disagree
// or the dose is recorded as given more than once.
const (
	StatusNone     SlotStatus = ""         // the order has no dose at this column
	StatusUpcoming SlotStatus = "upcoming" // more than DueWindow ahead
	StatusDue      SlotStatus = "due"
	StatusOverdue  SlotStatus = "overdue"
	StatusGiven    SlotStatus = "given"
	StatusOmitted  SlotStatus = "omitted"
	StatusRefused  SlotStatus = "refused"
	StatusHeld     SlotStatus = "held"
	StatusConflict SlotStatus = "conflict"
	// StatusCoreChart is a snapshot order's dose scheduled at or before
	// the census time with nothing recorded on Lifeboat: the core system
	// held the chart then, so whether it was given is on its chart, not
	// here (see CoreChartBefore).
	StatusCoreChart SlotStatus = "core-chart"
)

// DueWindow and OverdueAfter set when an unrecorded dose shows as due: from
// one hour before its scheduled time to one hour after it (common NHS
// practice for doses that are not time-critical); more than one hour late
// it is overdue. Exactly one hour late is still due.
const (
	DueWindow    = time.Hour
	OverdueAfter = time.Hour
)

// MAR is one day of a patient's medication administration record: a grid
// of medicines (rows) by dose times (columns).
type MAR struct {
	Day     time.Time   // midnight starting the day, in the ward's location
	Columns []time.Time // distinct scheduled times of the day, earliest first
	Rows    []MARRow
}

// MARRow is one medicine on the MAR.
type MARRow struct {
	Order MedicationOrder
	// Cells has one entry per MAR column; Status is StatusNone where the
	// order has no dose at that time.
	Cells []MARCell
	// PRN holds the when-required doses recorded that day (by performed_at).
	PRN []AdminRecord
	// Unmatched holds this order's records whose scheduled time falls on
	// the day but matches none of its slots (for example after the order
	// changed): shown, never hidden.
	Unmatched []AdminRecord
}

// MARCell is one scheduled dose on the MAR and what is recorded for it.
type MARCell struct {
	Slot    Slot
	Status  SlotStatus
	Records []AdminRecord
}

// MARDay builds the MAR for the calendar day of day, in day's location,
// as it stands at now, with the default round times. See RoundTimes.MARDay.
func MARDay(orders []MedicationOrder, records []AdminRecord, day, now time.Time) MAR {
	return RoundTimes(nil).MARDay(orders, records, day, now)
}

// MARDay builds the MAR for the calendar day of day, in day's location, as
// it stands at now. Rows are the orders in force at some time that day, in
// the order given; records must already leave out any cancelled as entered
// in error.
func (r RoundTimes) MARDay(orders []MedicationOrder, records []AdminRecord, day, now time.Time) MAR {
	loc := day.Location()
	y, m, d := day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 1)
	startS, endS := SlotTime(start), SlotTime(end)
	mar := MAR{Day: start}

	byOrder := map[string][]AdminRecord{}
	for _, rec := range records {
		byOrder[rec.OrderID] = append(byOrder[rec.OrderID], rec)
	}
	type pending struct {
		order MedicationOrder
		slots []Slot
	}
	var rows []pending
	for _, o := range orders {
		if !o.Start.Before(end) || (!o.Stop.IsZero() && !o.Stop.After(start)) {
			continue
		}
		slots := r.Slots(o, start, loc)
		rows = append(rows, pending{o, slots})
		for _, s := range slots {
			mar.Columns = append(mar.Columns, s.Time)
		}
	}
	slices.SortFunc(mar.Columns, time.Time.Compare)
	mar.Columns = slices.CompactFunc(mar.Columns, time.Time.Equal)

	for _, p := range rows {
		row := MARRow{Order: p.order, Cells: make([]MARCell, len(mar.Columns))}
		matched := map[string]int{} // SlotTime -> column
		for _, s := range p.slots {
			col, _ := slices.BinarySearchFunc(mar.Columns, s.Time, time.Time.Compare)
			row.Cells[col].Slot = s
			matched[SlotTime(s.Time)] = col
		}
		for _, rec := range byOrder[p.order.ID] {
			if rec.Slot == "" {
				if !rec.PerformedAt.Before(start) && rec.PerformedAt.Before(end) {
					row.PRN = append(row.PRN, rec)
				}
				continue
			}
			// Fast path for the canonical form SlotTime writes: UTC
			// "...Z" strings of one length sort as their instants do.
			if len(rec.Slot) == len(startS) && rec.Slot[len(rec.Slot)-1] == 'Z' {
				if col, ok := matched[rec.Slot]; ok {
					row.Cells[col].Records = append(row.Cells[col].Records, rec)
					continue
				}
				if rec.Slot < startS || rec.Slot >= endS {
					continue
				}
			}
			t, err := time.Parse(time.RFC3339, rec.Slot)
			if err != nil {
				row.Unmatched = append(row.Unmatched, rec) // unreadable: show it
				continue
			}
			if col, ok := matched[SlotTime(t)]; ok {
				row.Cells[col].Records = append(row.Cells[col].Records, rec)
			} else if !t.Before(start) && t.Before(end) {
				row.Unmatched = append(row.Unmatched, rec)
			}
		}
		for i := range row.Cells {
			if c := &row.Cells[i]; !c.Slot.Time.IsZero() {
				c.Status = slotStatus(c.Slot.Time, c.Records, now)
			}
		}
		mar.Rows = append(mar.Rows, row)
	}
	return mar
}

// CoreChartBefore marks the doses of snapshot orders (imported from the
// core system) scheduled at or before asOf, the newest census's time,
// with nothing recorded on Lifeboat, as StatusCoreChart instead of due or
// overdue: until then the core system's own chart recorded them, and
// calling a dose already given there "overdue" invites giving it twice.
// Doses after asOf, and every dose of an order entered on Lifeboat, keep
// their status. A zero asOf changes nothing.
func (m *MAR) CoreChartBefore(asOf time.Time) {
	if asOf.IsZero() {
		return
	}
	for i := range m.Rows {
		r := &m.Rows[i]
		if r.Order.Source != SourceSnapshot {
			continue
		}
		for j := range r.Cells {
			c := &r.Cells[j]
			if len(c.Records) == 0 && (c.Status == StatusDue || c.Status == StatusOverdue) && !c.Slot.Time.After(asOf) {
				c.Status = StatusCoreChart
			}
		}
	}
}

func slotStatus(at time.Time, recs []AdminRecord, now time.Time) SlotStatus {
	if len(recs) == 0 {
		switch {
		case now.Before(at.Add(-DueWindow)):
			return StatusUpcoming
		case now.After(at.Add(OverdueAfter)):
			return StatusOverdue
		}
		return StatusDue
	}
	given := 0
	for _, rec := range recs {
		if rec.Outcome == OutcomeGiven {
			given++
		}
		if rec.Outcome != recs[0].Outcome {
			return StatusConflict
		}
	}
	if given > 1 {
		return StatusConflict
	}
	switch recs[0].Outcome {
	case OutcomeGiven:
		return StatusGiven
	case OutcomeOmitted:
		return StatusOmitted
	case OutcomeRefused:
		return StatusRefused
	case OutcomeHeld:
		return StatusHeld
	}
	return StatusConflict // an unknown outcome: make a person look
}
