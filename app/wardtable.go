package app

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"lifeboat/forms"
)

// wardColumns head the ward table's columns, one per cell of tableRow.
// Born and the NHS number stand beside the name: at 3 a.m. a patient is
// checked by name, date of birth and NHS number together, never by name
// alone (two patients on a ward may share one).
var wardColumns = []string{"Bed", "Patient", "Born", "NHS number", "NEWS2", "Obs", "Doses due", "Flags"}

// tableHead is the row of column names above the ward table.
func (s *wardScreen) tableHead() fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, len(wardColumns))
	for i, h := range wardColumns {
		t := canvas.NewText(h, nhsGrey1)
		t.TextStyle = fyne.TextStyle{Bold: true}
		t.TextSize = 14
		cells[i] = t
	}
	// Padded as a row's content is, so the names sit over their cells.
	return compactPad(s.cols.row(cells))
}

// tableRow is one patient on one line of the ward table (a desktop): bed,
// name, date of birth, NHS number (or temporary ID), NEWS2, obs due,
// doses due and flags. Tapping it opens the patient.
func (s *wardScreen) tableRow(r WardRow) fyne.CanvasObject {
	bed := canvas.NewText(r.BedName, nhsDarkBlue)
	bed.TextStyle = fyne.TextStyle{Bold: true}
	bed.TextSize = 16
	p := r.Patient.Patient
	name := canvas.NewText(forms.DisplayName(p), nhsBlack)
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.TextSize = 16
	born := canvas.NewText(forms.FormatBirthDate(p.BirthDate), nhsBlack)
	born.TextSize = 16
	id := forms.PatientIdentifier(p)
	if p.NHSNumber == "" {
		id = "Temp ID " + id // never taken for an NHS number
	}
	nhs := canvas.NewText(id, nhsBlack)
	nhs.TextSize = 16
	// Chips keep their own width (an HBox), left in their column.
	cells := []fyne.CanvasObject{bed, name, born, nhs, container.NewHBox(scoreChip(r)), container.NewHBox(s.obsChip(r)),
		newFlow(doseChips(r)...), newFlow(flagChips(r)...)}
	pid := r.Patient.ID
	return NewCompactCard(s.cols.row(cells), func() { s.ui.ShowPatient(pid) })
}

// wardIdentityCols are the Born and NHS number columns. They give way
// (hidden on every row alike) when the table is too narrow for them and
// the rest, so they never force a window wider than the screen: at
// 1280 and 1366 wide there is room for all.
var wardIdentityCols = []int{2, 3}

// tableCols sizes the ward table's columns as a table does: each as wide
// as its widest cell, the last taking what is left, the same on every row.
type tableCols struct {
	widths   []float32 // the last: its cells' widest minimum
	optional []int     // columns left out when the row is too narrow
	rows     []*fyne.Container
}

// fits reports whether a row width wide has room for every column.
func (c *tableCols) fits(width float32) bool {
	gap := 3 * theme.Padding()
	var need float32
	for _, w := range c.widths {
		need += w + gap
	}
	return need-gap <= width
}

// row returns a row of cells laid out in the columns.
func (c *tableCols) row(cells []fyne.CanvasObject) *fyne.Container {
	if c.optional == nil {
		c.optional = wardIdentityCols
	}
	r := container.New(&colsLayout{c}, cells...)
	c.rows = append(c.rows, r)
	return r
}

// fit sizes the columns for the rows made since the last fit (those on
// show) and forgets the rows before.
func (c *tableCols) fit() {
	n := len(wardColumns)
	c.widths = make([]float32, n)
	for _, r := range c.rows {
		for i, o := range r.Objects[:n] {
			c.widths[i] = max(c.widths[i], o.MinSize().Width)
		}
	}
	c.rows = nil
}

// colsLayout lays cells out in their table's columns, each centred
// vertically in the row.
type colsLayout struct{ c *tableCols }

func (l *colsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	gap := 3 * theme.Padding()
	all := l.c.fits(size.Width)
	var x float32
	for i, o := range objs {
		if !all && slices.Contains(l.c.optional, i) {
			o.Hide()
			continue
		}
		o.Show()
		m := o.MinSize()
		w := m.Width
		if i < len(l.c.widths)-1 {
			w = l.c.widths[i]
		} else {
			w = max(size.Width-x, 0)
		}
		o.Resize(fyne.NewSize(w, m.Height))
		// A flow's height follows its width: ask again once it has one.
		h := o.MinSize().Height
		if h != m.Height {
			o.Resize(fyne.NewSize(w, h))
		}
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		x += w + gap
	}
}

// MinSize leaves out the optional columns: they are shown only when
// there is room, never asked for.
func (l *colsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	gap := 3 * theme.Padding()
	var w, h float32
	for i, o := range objs {
		if slices.Contains(l.c.optional, i) {
			continue
		}
		m := o.MinSize()
		if i < len(l.c.widths)-1 {
			m.Width = l.c.widths[i]
		}
		w += m.Width + gap
		h = max(h, m.Height)
	}
	return fyne.NewSize(w-gap, h)
}
