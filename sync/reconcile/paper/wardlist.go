package paper

import (
	"fmt"
	"time"

	"lifeboat/forms"
	"lifeboat/store"
)

// latest is the patient's newest standing observation set, scored.
func latest(p Patient) (n forms.NEWS2, at time.Time, ok bool) {
	for i := len(p.Obs) - 1; i >= 0; i-- {
		o := p.Obs[i]
		if o.Status != store.StatusFinal {
			continue
		}
		return forms.ScoreNEWS2(o.Obs, p.Scale), o.PerformedAt, true
	}
	return forms.NEWS2{}, time.Time{}, false
}

// column is one column of a table: its heading and width in millimetres.
type column struct {
	head  string
	width float64
}

// tableHead draws a row of headings at y and returns the y below it.
func (b *Book) tableHead(x, y float64, cols []column, h float64) float64 {
	b.font("B", 8.5)
	b.ink(white)
	for _, c := range cols {
		b.box(x, y, c.width, h, &nhsBlue)
		b.text(x+0.5, y, c.width-0.5, h, c.head, "L")
		x += c.width
	}
	b.ink(black)
	return y + h
}

// WardList adds the ward list: one row per patient, in the order given
// (bed order), with the four core identifiers, the latest NEWS2 in its
// band colour, and when observations are next due (OVERDUE as of the time
// printed). It runs onto more pages as needed.
func (b *Book) WardList(ps []Patient) {
	const rowH = 7.5
	cols := []column{{"Bed", 18}, {"SURNAME", 36}, {"First name", 28}, {"Date of birth", 25}, {"NHS number", 28},
		{"NEWS2 (latest)", 40}, {"Latest obs", 26}, {"Next obs due", 44}, {"Notes", 32}}
	var y, pageH float64
	newPage := func() {
		_, y = b.startPage("L", DocWard, "Ward list", nil)
		_, pageH = b.pdf.GetPageSize()
		b.font("", 8)
		b.ink(grey)
		b.text(margin, y-1, 200, 5, fmt.Sprintf("%d patients. NEWS2 from the latest observation set; due and overdue as at the time printed.", len(ps)), "L")
		y = b.tableHead(margin, y+4, cols, 7)
	}
	newPage()
	if len(ps) == 0 {
		b.font("", 11)
		b.text(margin, y+2, 200, 8, "No patients on this ward.", "L")
		return
	}
	for i, p := range ps {
		if y+rowH > bottom(pageH) {
			newPage()
		}
		if i%2 == 1 {
			b.fill(paleGrey)
			b.pdf.Rect(margin, y, 277, rowH, "F")
		}
		b.draw(lightGrey)
		b.pdf.Line(margin, y+rowH, margin+277, y+rowH)
		b.draw(black)
		bed := p.BedLabel
		if bed == "" {
			bed = p.Bed
		}
		_, id := identifier(p.Patient)
		if id == "" {
			id = "(none)"
		}
		vals := []string{bed, toUpper(p.Surname), p.Given, forms.FormatBirthDate(p.BirthDate), id}
		x := margin
		for j, v := range vals {
			if j == 1 {
				b.font("B", 10)
			} else {
				b.font("", 10)
			}
			b.text(x+0.5, y, cols[j].width-0.5, rowH, v, "L")
			x += cols[j].width
		}
		n, at, ok := latest(p)
		ncol := cols[5].width
		b.font("B", 10)
		if ok {
			bg, fg := bandColours(n.Band)
			b.box(x+0.6, y+0.8, ncol-1.2, rowH-1.6, &bg)
			b.ink(fg)
			score := fmt.Sprint(n.Total)
			if !n.Complete {
				score = fmt.Sprintf(">=%d", n.Partial)
			}
			b.text(x+1, y, ncol-2, rowH, score+"  "+bandWords(n.Band), "L")
			b.ink(black)
		} else {
			b.font("", 10)
			b.text(x+1, y, ncol-2, rowH, "no obs", "L")
		}
		x += ncol
		b.font("", 10)
		last, due := "-", "now (no obs)"
		overdue := !ok
		if ok {
			last = b.local(at).Format("02-Jan 15:04")
			d := forms.NextObsDue(at, n)
			due = b.local(d).Format("02-Jan 15:04")
			overdue = forms.Overdue(b.h.PrintedAt, d)
		}
		b.text(x+0.5, y, cols[6].width-0.5, rowH, last, "L")
		x += cols[6].width
		if overdue {
			b.font("B", 10)
			b.ink(nhsRed)
			due = "OVERDUE " + due
			if !ok {
				due = "DUE NOW (no obs)"
			}
		}
		b.text(x+0.5, y, cols[7].width-0.5, rowH, due, "L")
		b.ink(black)
		x += cols[7].width
		y += rowH
	}
}
