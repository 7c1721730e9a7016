package paper

import (
	"fmt"
	"slices"
	"strings"

	"lifeboat/forms"
)

// MAR geometry.
const (
	marDrugW = 84.0
	marRowH  = 13.0
	marHeadH = 7.0
	marMaxW  = 30.0
)

// blankRounds are the columns of a blank MAR with no orders: every default
// drug-round time.
var blankRounds = []string{"06:00", "08:00", "12:00", "14:00", "18:00", "20:00", "22:00"}

// marGrid lays out a MAR: the regular orders as rows, the column times as
// clock strings.
type marGrid struct {
	doc, title, note string
	times            []string
	rows             []marLine
}

// marLine is one medicine row: the order and, per column, what to show.
type marLine struct {
	order forms.MedicationOrder
	cells []marMark // one per column
	extra string    // records that match no slot, in words
}

// marMark is what one MAR cell shows.
type marMark struct {
	lines  []string
	bg, fg rgb
	bold   bool
}

var noDose = marMark{bg: paleGrey}

// MAR adds p's MAR for the day of p.MAR: a grid of the regular medicines
// by dose time, each dose's outcome with the time and who recorded it,
// due and overdue doses as at the time printed, then the when-required
// medicines with the doses recorded that day and space to write more.
func (b *Book) MAR(p Patient) {
	m := p.MAR
	g := marGrid{doc: DocMAR, title: "Medicines administration record (MAR)",
		note: "Day of " + b.local(m.Day).Format("Monday 02-Jan-2006") + ". Status as at the time printed. Sign for each dose given during the outage in its box."}
	for _, c := range m.Columns {
		g.times = append(g.times, b.local(c).Format("15:04"))
	}
	var prn []forms.MARRow
	for _, r := range m.Rows {
		if r.Order.PRN {
			prn = append(prn, r)
			continue
		}
		l := marLine{order: r.Order}
		for _, c := range r.Cells {
			l.cells = append(l.cells, b.marMark(c))
		}
		if len(r.Unmatched) > 0 {
			l.extra = fmt.Sprintf("%d more record(s) match no dose time: see Lifeboat", len(r.Unmatched))
		}
		g.rows = append(g.rows, l)
	}
	b.marPages(p, g, prn, false)
}

// BlankMAR adds a blank MAR for p: the patient's regular medicines with an
// empty box at each of their dose times, rows to write in new medicines,
// and the when-required medicines with space for doses, for a day recorded
// by hand during a blackout.
func (b *Book) BlankMAR(p Patient) {
	g := marGrid{doc: DocBlankMAR, title: "Medicines administration record (MAR) - blank, to fill in by hand",
		note: "Date: ____________________   Sign for each dose in its box; grey boxes are not dose times. Write an omission code if a dose is not given."}
	loc := b.h.PrintedAt.Location()
	type orderTimes struct {
		o     forms.MedicationOrder
		times []string
	}
	var regular []orderTimes
	set := map[string]bool{}
	var prn []forms.MARRow
	for _, r := range p.MAR.Rows {
		if r.Order.PRN {
			prn = append(prn, forms.MARRow{Order: r.Order})
			continue
		}
		ot := orderTimes{o: r.Order}
		for _, s := range forms.DueSlots(r.Order, b.h.PrintedAt, loc) {
			t := s.Time.In(loc).Format("15:04")
			ot.times = append(ot.times, t)
			set[t] = true
		}
		regular = append(regular, ot)
	}
	for _, t := range blankRounds {
		set[t] = true
	}
	for t := range set {
		g.times = append(g.times, t)
	}
	slices.Sort(g.times)
	for _, ot := range regular {
		l := marLine{order: ot.o}
		for _, t := range g.times {
			if slices.Contains(ot.times, t) {
				l.cells = append(l.cells, marMark{bg: white})
			} else {
				l.cells = append(l.cells, noDose)
			}
		}
		g.rows = append(g.rows, l)
	}
	b.marPages(p, g, prn, true)
}

// marMark is what a cell shows for a scheduled dose.
func (b *Book) marMark(c forms.MARCell) marMark {
	rec := func() []string {
		if len(c.Records) == 0 {
			return nil
		}
		r := c.Records[len(c.Records)-1]
		return []string{b.local(r.PerformedAt).Format("15:04") + " " + initials(b.name(r.Author))}
	}
	switch c.Status {
	case forms.StatusNone:
		return noDose
	case forms.StatusUpcoming:
		return marMark{bg: white}
	case forms.StatusDue:
		return marMark{lines: []string{"DUE"}, bg: paleYellow, fg: black, bold: true}
	case forms.StatusOverdue:
		return marMark{lines: []string{"OVERDUE", "not recorded"}, bg: paleRed, fg: nhsRed, bold: true}
	case forms.StatusGiven:
		return marMark{lines: append([]string{"Given"}, rec()...), bg: newsGreen, fg: black, bold: true}
	case forms.StatusOmitted, forms.StatusHeld, forms.StatusRefused:
		r := c.Records[len(c.Records)-1]
		what := strings.ToUpper(string(c.Status[:1])) + string(c.Status[1:])
		lines := []string{what}
		if r.ReasonCode != "" {
			lines = append(lines, r.ReasonCode.Label())
		}
		return marMark{lines: append(lines, rec()...), bg: paleYellow, fg: black, bold: true}
	}
	return marMark{lines: []string{"CONFLICT", "check records"}, bg: nhsRed, fg: white, bold: true}
}

// marPages draws g over as many pages as it needs, then the PRN section
// and the omission codes.
func (b *Book) marPages(p Patient, g marGrid, prn []forms.MARRow, blank bool) {
	var y, pageH, colW float64
	n := max(len(g.times), 1)
	colW = min((277-marDrugW)/float64(n), marMaxW)
	head := func() {
		_, y = b.startPage("L", g.doc, g.title, &p)
		_, pageH = b.pdf.GetPageSize()
		b.font("", 8)
		b.ink(grey)
		b.text(margin, y-1, 250, 5, g.note, "L")
		b.ink(black)
		y += 4
		cols := []column{{"Regular medicine, dose, route, how often", marDrugW}}
		for _, t := range g.times {
			cols = append(cols, column{t, colW})
		}
		y = b.tableHead(margin, y, cols, marHeadH)
	}
	head()
	lines := g.rows
	if blank {
		for range 4 {
			lines = append(lines, marLine{})
		}
	}
	if len(lines) == 0 {
		b.font("", 10)
		b.text(margin, y+1, 200, 8, "No regular medicines on record.", "L")
		y += 10
	}
	for _, l := range lines {
		if y+marRowH > bottom(pageH) {
			head()
		}
		b.marDrug(margin, y, l)
		x := margin + marDrugW
		for i := range g.times {
			m := marMark{bg: white}
			if i < len(l.cells) {
				m = l.cells[i]
			}
			b.box(x, y, colW, marRowH, &m.bg)
			b.ink(m.fg)
			for j, s := range m.lines {
				if j == 0 && m.bold {
					b.font("B", 8.5)
				} else {
					b.font("", 7.5)
				}
				b.text(x+0.3, y+1+float64(j)*3.7, colW-0.6, 3.7, s, "C")
			}
			b.ink(black)
			x += colW
		}
		y += marRowH
	}
	y = b.prnSection(p, g, prn, y+4, pageH, blank)
	b.omissionKey(y+3, pageH, p, g)
}

// marDrug draws the medicine cell of a row; an empty order is a row to
// write a new medicine in.
func (b *Book) marDrug(x, y float64, l marLine) {
	b.box(x, y, marDrugW, marRowH, &white)
	o := l.order
	if o.Drug == "" {
		b.font("", 7.5)
		b.ink(grey)
		b.text(x+1, y+0.5, marDrugW-2, 4, "New medicine (write in; prescriber signs):", "L")
		b.ink(black)
		return
	}
	b.font("B", 9.5)
	b.text(x+1, y+0.5, marDrugW-2, 4.4, o.Drug, "L")
	b.font("", 8.5)
	how := o.Frequency
	if len(o.Times) > 0 {
		how = "at " + strings.Join(o.Times, ", ")
	}
	b.text(x+1, y+4.6, marDrugW-2, 4, fmt.Sprintf("%s %s  %s  %s", o.Dose, o.DoseUnit, o.Route, how), "L")
	b.font("", 7)
	b.ink(grey)
	more := "Started " + b.local(o.Start).Format("02-Jan-2006")
	if o.Controlled {
		more += "  |  CONTROLLED DRUG: witness each dose"
	}
	if l.extra != "" {
		more = l.extra
		b.ink(nhsRed)
	}
	b.text(x+1, y+8.6, marDrugW-2, 4, more, "L")
	b.ink(black)
}

// prnSection lists the when-required medicines with the doses recorded
// that day and boxes to write more, and returns the y below it.
func (b *Book) prnSection(p Patient, g marGrid, prn []forms.MARRow, y, pageH float64, blank bool) float64 {
	const rowH, slots = 12.0, 6
	need := marHeadH + rowH*float64(max(len(prn), 1))
	if y+need > bottom(pageH) {
		_, y = b.startPage("L", g.doc, g.title, &p)
	}
	slotW := (277 - marDrugW - 40) / slots
	cols := []column{{"When required (PRN) medicine", marDrugW}, {"Limits", 40}}
	for range slots {
		cols = append(cols, column{"Dose given", slotW})
	}
	b.font("B", 8)
	y = b.tableHead(margin, y, cols, marHeadH)
	if len(prn) == 0 {
		b.font("", 9)
		b.text(margin, y, 200, 7, "No when-required medicines on record.", "L")
		return y + 7
	}
	for _, r := range prn {
		if y+rowH > bottom(pageH) {
			_, y = b.startPage("L", g.doc, g.title, &p)
			y = b.tableHead(margin, y, cols, marHeadH)
		}
		o := r.Order
		b.box(margin, y, marDrugW, rowH, &white)
		b.font("B", 9.5)
		b.text(margin+1, y+0.5, marDrugW-2, 4.4, o.Drug, "L")
		b.font("", 8.5)
		b.text(margin+1, y+5, marDrugW-2, 4, fmt.Sprintf("%s %s  %s  when required", o.Dose, o.DoseUnit, o.Route), "L")
		x := margin + marDrugW
		b.box(x, y, 40, rowH, &white)
		b.font("", 7.5)
		if o.MinIntervalHours != 0 {
			b.text(x+1, y+0.8, 38, 4, fmt.Sprintf("At least %s h apart", o.MinIntervalHours), "L")
		}
		if o.MaxDailyDose != 0 {
			b.text(x+1, y+4.4, 38, 4, fmt.Sprintf("Max %s %s in 24 h", o.MaxDailyDose, o.MaxDailyDoseUnit), "L")
		}
		if o.Controlled {
			b.font("B", 7)
			b.text(x+1, y+8.0, 38, 3.5, "CD: witness each dose", "L")
		}
		x += 40
		for i := range slots {
			b.box(x, y, slotW, rowH, &white)
			if !blank && i < len(r.PRN) {
				d := r.PRN[i]
				b.font("B", 8)
				b.text(x+0.5, y+1, slotW-1, 4, fmt.Sprintf("%s  %s %s", b.local(d.PerformedAt).Format("15:04"), d.Dose, o.DoseUnit), "L")
				b.font("", 7.5)
				b.text(x+0.5, y+5.5, slotW-1, 4, string(d.Outcome)+" "+initials(b.name(d.Author)), "L")
			}
			x += slotW
		}
		y += rowH
	}
	return y
}

// omissionKey prints the codes to write when a dose is not given.
func (b *Book) omissionKey(y, pageH float64, p Patient, g marGrid) {
	if y+9 > bottom(pageH) {
		_, y = b.startPage("L", g.doc, g.title, &p)
	}
	var parts []string
	for i, r := range forms.OmissionReasons {
		parts = append(parts, fmt.Sprintf("%d %s", i+1, r.Label()))
	}
	b.font("B", 7.5)
	b.text(margin, y, 277, 4, "If a dose is not given write the code, your initials and the time:", "L")
	b.font("", 7.5)
	b.text(margin, y+4, 277, 4, strings.Join(parts, "   "), "L")
}
