package forms

import (
	"fmt"
	"testing"
	"time"
)

func TestMARDay(t *testing.T) {
	tds := regularOrder("tds", FreqTDS)
	bd := regularOrder("bd", FreqBD)
	prn := prnOrder()
	stopped := regularOrder("old", FreqOD)
	stopped.Stop = day1 // ended at midnight: not on this day's MAR
	later := regularOrder("new", FreqON)
	later.Start = day1.Add(12 * time.Hour)

	slot := func(h int) string { return SlotTime(day1.Add(time.Duration(h) * time.Hour)) }
	rec := func(id, order string, h int, out Outcome, dev string, seen VersionVector) AdminRecord {
		a := Administration{OrderID: order, PatientID: "p1", Slot: slot(h), Outcome: out}
		switch out {
		case OutcomeGiven:
			a.Dose = Units(500)
		case OutcomeOmitted:
			a.ReasonCode = ReasonAway
		}
		return AdminRecord{Administration: a, EventID: id, Ref: EventRef{dev, 1}, Seen: seen, PerformedAt: day1.Add(time.Duration(h) * time.Hour)}
	}
	records := []AdminRecord{
		rec("e1", "tds", 8, OutcomeGiven, "a", nil),
		rec("e2", "bd", 8, OutcomeGiven, "a", nil),
		rec("e3", "bd", 8, OutcomeGiven, "b", nil), // double dose from a second device
		rec("e4", "tds", 14, OutcomeOmitted, "a", nil),
		rec("e5", "tds", 15, OutcomeGiven, "a", nil),                                      // no slot at 15:00
		rec("e6", "tds", 8+24, OutcomeGiven, "a", nil),                                    // tomorrow: not on this day
		slotAs(rec("e7", "tds", 22, OutcomeGiven, "a", nil), "2025-03-10T23:00:00+01:00"), // 22:00 written with an offset
		slotAs(rec("e8", "tds", 9, OutcomeGiven, "a", nil), "garbage"),                    // unreadable: shown
		slotAs(rec("e9", "tds", 8, OutcomeGiven, "a", nil), "2025-03-09T09:00:00+01:00"),  // yesterday
		{Administration: given("prn1", ""), PerformedAt: day1.Add(10 * time.Hour)},        // PRN today
		{Administration: given("prn1", ""), PerformedAt: day1.Add(-time.Hour)},            // PRN yesterday
	}
	now := day1.Add(21*time.Hour + 30*time.Minute)
	mar := MARDay([]MedicationOrder{tds, bd, prn, stopped, later}, records, day1.Add(9*time.Hour), now)

	if !mar.Day.Equal(day1) {
		t.Errorf("MARDay().Day = %v, want %v", mar.Day, day1)
	}
	var cols []string
	for _, c := range mar.Columns {
		cols = append(cols, c.Format("15:04"))
	}
	if got, want := fmt.Sprint(cols), "[08:00 14:00 20:00 22:00]"; got != want {
		t.Errorf("MARDay().Columns = %s, want %s", got, want)
	}
	want := map[string][]SlotStatus{
		"tds":  {StatusGiven, StatusOmitted, StatusNone, StatusGiven},
		"bd":   {StatusConflict, StatusNone, StatusOverdue, StatusNone},
		"prn1": {StatusNone, StatusNone, StatusNone, StatusNone},
		"new":  {StatusNone, StatusNone, StatusNone, StatusDue},
	}
	if len(mar.Rows) != len(want) {
		t.Fatalf("MARDay() has %d rows, want %d", len(mar.Rows), len(want))
	}
	for _, row := range mar.Rows {
		w, ok := want[row.Order.ID]
		if !ok {
			t.Errorf("MARDay() has a row for order %s, want none", row.Order.ID)
			continue
		}
		for i, c := range row.Cells {
			if c.Status != w[i] {
				t.Errorf("MARDay() %s at %s = %q, want %q", row.Order.ID, cols[i], c.Status, w[i])
			}
		}
		switch row.Order.ID {
		case "tds":
			if len(row.Unmatched) != 2 || row.Unmatched[0].EventID != "e5" || row.Unmatched[1].EventID != "e8" {
				t.Errorf("MARDay() tds unmatched = %v, want [e5 e8]", row.Unmatched)
			}
		case "bd":
			if len(row.Cells[0].Records) != 2 {
				t.Errorf("MARDay() bd 08:00 records = %d, want 2", len(row.Cells[0].Records))
			}
		case "prn1":
			if len(row.PRN) != 1 {
				t.Errorf("MARDay() PRN doses = %d, want 1 (today's)", len(row.PRN))
			}
		}
	}
}

func slotAs(r AdminRecord, slot string) AdminRecord {
	r.Slot = slot
	return r
}

func TestSlotStatus(t *testing.T) {
	at := day1.Add(8 * time.Hour)
	r := func(out Outcome) AdminRecord { return AdminRecord{Administration: Administration{Outcome: out}} }
	tests := []struct {
		name string
		now  time.Time
		recs []AdminRecord
		want SlotStatus
	}{
		{"long before", at.Add(-61 * time.Minute), nil, StatusUpcoming},
		{"an hour before", at.Add(-time.Hour), nil, StatusDue},
		{"on time", at, nil, StatusDue},
		{"an hour late", at.Add(time.Hour), nil, StatusDue},
		{"over an hour late", at.Add(time.Hour + time.Second), nil, StatusOverdue},
		{"given", at, []AdminRecord{r(OutcomeGiven)}, StatusGiven},
		{"omitted", at, []AdminRecord{r(OutcomeOmitted)}, StatusOmitted},
		{"refused", at, []AdminRecord{r(OutcomeRefused)}, StatusRefused},
		{"held", at, []AdminRecord{r(OutcomeHeld)}, StatusHeld},
		{"omitted twice agrees", at, []AdminRecord{r(OutcomeOmitted), r(OutcomeOmitted)}, StatusOmitted},
		{"given twice", at, []AdminRecord{r(OutcomeGiven), r(OutcomeGiven)}, StatusConflict},
		{"given and refused", at, []AdminRecord{r(OutcomeRefused), r(OutcomeGiven)}, StatusConflict},
		{"unknown outcome", at, []AdminRecord{r("spilt")}, StatusConflict},
	}
	for _, tt := range tests {
		if got := slotStatus(at, tt.recs, tt.now); got != tt.want {
			t.Errorf("slotStatus(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// BenchmarkMARDay builds one day's MAR for a busy patient: 20 regular
// orders (QDS) and 4 PRN orders with 30 days of records each.
func BenchmarkMARDay(b *testing.B) {
	var orders []MedicationOrder
	var records []AdminRecord
	for i := range 24 {
		o := regularOrder(fmt.Sprintf("o%d", i), FreqQDS)
		o.Start = day1.AddDate(0, 0, -30)
		if i >= 20 {
			o.PRN, o.Frequency = true, ""
		}
		orders = append(orders, o)
		for d := range 30 {
			for _, s := range DueSlots(o, o.Start.AddDate(0, 0, d), time.UTC) {
				records = append(records, AdminRecord{Administration: given(o.ID, SlotTime(s.Time)), PerformedAt: s.Time})
			}
		}
	}
	now := day1.Add(13 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		MARDay(orders, records, day1, now)
	}
}

// TestMAR_CoreChartBefore: a snapshot order's doses up to and including
// the census time, with nothing recorded here, are the core chart's, not
// due or overdue; a dose one minute after it, a dose with a record, every
// dose of an order entered on Lifeboat and a zero census time keep their
// status.
func TestMAR_CoreChartBefore(t *testing.T) {
	snap := regularOrder("snap", FreqTDS)
	snap.Source = SourceSnapshot
	entered := regularOrder("entered", FreqTDS)
	now := day1.Add(23*time.Hour + 30*time.Minute) // every TDS dose of the day is past
	base := MARDay([]MedicationOrder{snap, entered}, nil, day1, now)
	if len(base.Columns) != 3 {
		t.Fatalf("TDS columns = %v, want 3", base.Columns)
	}
	first, second, third := base.Columns[0], base.Columns[1], base.Columns[2]
	given := AdminRecord{Administration: Administration{OrderID: "snap", PatientID: "p1", Slot: SlotTime(first), Outcome: OutcomeGiven, Dose: Units(500)},
		EventID: "g1", Ref: EventRef{"a", 1}, PerformedAt: first}
	tests := []struct {
		name    string
		asOf    time.Time
		records []AdminRecord
		want    []SlotStatus // the snapshot order's three doses
	}{
		{"no census", time.Time{}, nil, []SlotStatus{StatusOverdue, StatusOverdue, StatusOverdue}},
		{"census before the first dose", first.Add(-time.Minute), nil, []SlotStatus{StatusOverdue, StatusOverdue, StatusOverdue}},
		{"census at the first dose", first, nil, []SlotStatus{StatusCoreChart, StatusOverdue, StatusOverdue}},
		{"census a minute before the second", second.Add(-time.Minute), nil, []SlotStatus{StatusCoreChart, StatusOverdue, StatusOverdue}},
		{"census at the second", second, nil, []SlotStatus{StatusCoreChart, StatusCoreChart, StatusOverdue}},
		{"census after the third", third.Add(time.Minute), nil, []SlotStatus{StatusCoreChart, StatusCoreChart, StatusCoreChart}},
		{"a dose recorded here keeps its record", third, []AdminRecord{given}, []SlotStatus{StatusGiven, StatusCoreChart, StatusCoreChart}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := MARDay([]MedicationOrder{snap, entered}, tt.records, day1, now)
			m.CoreChartBefore(tt.asOf)
			for _, r := range m.Rows {
				for i, c := range r.Cells {
					want := tt.want[i]
					if r.Order.ID == "entered" {
						want = StatusOverdue // entered on Lifeboat: always ours
					}
					if c.Status != want {
						t.Errorf("%s dose at %s = %q, want %q", r.Order.ID, c.Slot.Time.Format("15:04"), c.Status, want)
					}
				}
			}
		})
	}
	// Due (within the hour) is treated as overdue is.
	m := MARDay([]MedicationOrder{snap}, nil, day1, second.Add(30*time.Minute))
	m.CoreChartBefore(second)
	if got := m.Rows[0].Cells[1].Status; got != StatusCoreChart {
		t.Errorf("due dose at the census time = %q, want %q", got, StatusCoreChart)
	}
	if got := m.Rows[0].Cells[2].Status; got != StatusUpcoming {
		t.Errorf("later dose = %q, want upcoming", got)
	}
}
