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
	overrides        []string // doses given past a warning, in words
}

// marLine is one medicine row: the order and, per column, what to show.
type marLine struct {
	order forms.MedicationOrder
	cells []marMark // one per column
	extra string    // records that match no slot, in words
	stop  string    // the order has stopped: when, by whom and why
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
			for _, rec := range r.PRN {
				g.overrides = append(g.overrides, b.overrideWords(r.Order, rec)...)
			}
			continue
		}
		l := marLine{order: r.Order, stop: b.stopped(p, r.Order)}
		for _, c := range r.Cells {
			l.cells = append(l.cells, b.marMark(c))
			for _, rec := range c.Records {
				g.overrides = append(g.overrides, b.overrideWords(r.Order, rec)...)
			}
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
		l := marLine{order: ot.o, stop: b.stopped(p, ot.o)}
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
		out := []string{b.local(r.PerformedAt).Format("15:04") + " " + initials(b.name(r.Author))}
		if r.Witness != "" {
			out = append(out, "wit. "+initials(b.name(r.Witness)))
		}
		return out
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
	case forms.StatusCoreChart:
		return marMark{lines: []string{"Core chart", "before data time"}, bg: white, fg: black}
	case forms.StatusGiven:
		head := "Given"
		if len(c.Records[len(c.Records)-1].Overrides) > 0 {
			head = "Given: OVERRIDE" // the reason is listed under the grid
		}
		return marMark{lines: append([]string{head}, rec()...), bg: newsGreen, fg: black, bold: true}
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
		y = b.marAlert(p, y)
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
	y = b.overrideList(p, g, y+3, pageH)
	b.omissionKey(y+3, pageH, p, g)
}

// marAlert prints the patient's allergies (red when there are any, and
// when nothing is recorded: ask) and weight under the MAR's heading, and
// returns the y below.
func (b *Book) marAlert(p Patient, y float64) float64 {
	b.font("B", 9)
	if len(p.Allergies.Active()) > 0 || !p.Allergies.Recorded() {
		b.ink(nhsRed)
	}
	b.text(margin, y, 180, 5, p.Allergies.Summary(), "L")
	b.ink(black)
	w := "Weight NOT RECORDED"
	if p.HasWeight {
		how := "measured"
		if p.Weight.Estimated {
			how = "estimated"
		}
		w = fmt.Sprintf("Weight %s kg (%s %s)", p.Weight.Kg, how, b.when(p.Weight.MeasuredAt))
	}
	b.font("", 9)
	b.text(margin+180, y, 97, 5, w, "R")
	return y + 6
}

// stopped says when o stopped, who stopped it and why, or "" while it is
// in force at the time printed.
func (b *Book) stopped(p Patient, o forms.MedicationOrder) string {
	if o.Stop.IsZero() || b.h.PrintedAt.Before(o.Stop) {
		return ""
	}
	t := "STOPPED " + b.local(o.Stop).Format("15:04 02-Jan")
	if s, ok := p.Stops[o.ID]; ok && s.At.Equal(o.Stop) {
		t += " by " + initials(b.name(s.Author))
		if s.Reason != "" {
			t += ": " + s.Reason
		}
	}
	return t
}

// overrideWords describes each warning a dose was given past, with the
// reason, for the list under the MAR.
func (b *Book) overrideWords(o forms.MedicationOrder, r forms.AdminRecord) []string {
	var out []string
	for _, ov := range r.Overrides {
		out = append(out, fmt.Sprintf("%s %s %s given %s by %s. OVERRIDE %s: %s", o.Drug, r.Dose, o.DoseUnit, b.local(r.PerformedAt).Format("15:04"),
			b.name(r.Author), forms.WarningLabel(ov.Code), ov.Reason))
	}
	return out
}

// overrideList prints the doses given past a warning with their reasons,
// and returns the y below.
func (b *Book) overrideList(p Patient, g marGrid, y, pageH float64) float64 {
	if len(g.overrides) == 0 {
		return y
	}
	if y+5 > bottom(pageH) {
		_, y = b.startPage("L", g.doc, g.title, &p)
	}
	b.font("B", 8)
	b.text(margin, y, 277, 4, "Doses given past a warning (red boxes, and doses marked OVERRIDE), with the reason given:", "L")
	y += 4
	b.font("", 7.5)
	for _, s := range g.overrides {
		if y+4 > bottom(pageH) {
			_, y = b.startPage("L", g.doc, g.title, &p)
		}
		b.text(margin, y, 277, 4, s, "L")
		y += 4
	}
	return y
}

// strikeThrough draws a line across w at the middle of a text line at y.
func (b *Book) strikeThrough(x, y, w float64) {
	b.draw(black)
	b.pdf.SetLineWidth(0.4)
	b.pdf.Line(x, y, x+w, y)
	b.pdf.SetLineWidth(0.2)
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
	if l.stop != "" {
		b.strikeThrough(x+1, y+2.7, min(b.pdf.GetStringWidth(b.tr(o.Drug))+1, marDrugW-2))
	}
	b.font("", 8.5)
	how := o.Frequency
	if len(o.Times) > 0 {
		how = "at " + strings.Join(o.Times, ", ")
	}
	dose := fmt.Sprintf("%s %s  %s  %s", o.Dose, o.DoseUnit, o.Route, how)
	b.text(x+1, y+4.6, marDrugW-2, 4, dose, "L")
	if l.stop != "" {
		b.strikeThrough(x+1, y+6.6, min(b.pdf.GetStringWidth(b.tr(dose))+1, marDrugW-2))
	}
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
	if l.stop != "" {
		more = l.stop
		b.font("B", 7)
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
		stop := b.stopped(p, o)
		if stop != "" {
			b.strikeThrough(margin+1, y+2.7, min(b.pdf.GetStringWidth(b.tr(o.Drug))+1, marDrugW-2))
		}
		b.font("", 8.5)
		b.text(margin+1, y+4.4, marDrugW-2, 4, fmt.Sprintf("%s %s  %s  when required", o.Dose, o.DoseUnit, o.Route), "L")
		if stop != "" {
			b.font("B", 7)
			b.ink(nhsRed)
			b.text(margin+1, y+8.2, marDrugW-2, 3.6, stop, "L")
			b.ink(black)
		}
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
			bg := white
			if !blank && i < len(r.PRN) && len(r.PRN[i].Overrides) > 0 {
				bg = paleRed // given past a warning: the reason is listed below
			}
			b.box(x, y, slotW, rowH, &bg)
			if !blank && i < len(r.PRN) {
				d := r.PRN[i]
				b.font("B", 8)
				b.text(x+0.5, y+1, slotW-1, 4, fmt.Sprintf("%s  %s %s", b.local(d.PerformedAt).Format("15:04"), d.Dose, o.DoseUnit), "L")
				b.font("", 7.5)
				b.text(x+0.5, y+4.6, slotW-1, 3.6, string(d.Outcome)+" "+initials(b.name(d.Author)), "L")
				if d.Witness != "" {
					b.text(x+0.5, y+8.2, slotW-1, 3.4, "wit. "+initials(b.name(d.Witness)), "L")
				}
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
