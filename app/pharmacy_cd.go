package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// cdReg is one controlled-drugs register: a product at a location.
type cdReg struct {
	subject  string
	product  forms.CDProduct
	location string
}

// cdRow is one line of the register with who made it and when.
type cdRow struct {
	line forms.CDLine
	at   time.Time
	by   string
}

// cdTypes are the entry types in the order offered, with their words.
var cdTypes = []struct {
	t     forms.CDEntryType
	words string
}{
	{forms.CDReceipt, "Receipt"}, {forms.CDAdministration, "Administration"}, {forms.CDReturn, "Return"},
	{forms.CDDestruction, "Destruction"}, {forms.CDCorrection, "Correction"},
}

func cdTypeWords(t forms.CDEntryType) string {
	for _, c := range cdTypes {
		if c.t == t {
			return c.words
		}
	}
	return string(t)
}

// cdTab is the controlled-drugs register: pick a register (drug, form and
// strength at a location), read its lines with the running balance, and
// add an entry with a witness who confirms with their own PIN.
type cdTab struct {
	s       *pharmacyScreen
	content fyne.CanvasObject
	picker  *widget.Select
	summary *widget.Label
	about   *widget.Label // the register in full: the picker may cut it short
	lines   *fyne.Container
	addBtn  *widget.Button

	regs    []cdReg
	subject string // the register shown
	rows    []cdRow
}

func newCDTab(s *pharmacyScreen) *cdTab {
	c := &cdTab{s: s, summary: heading("", theme.SizeNameSubHeadingText), about: wrapped(""), lines: container.NewVBox()}
	c.picker = widget.NewSelect(nil, func(label string) {
		for _, r := range c.regs {
			if c.label(r) == label && r.subject != c.subject {
				c.subject = r.subject
				c.load()
			}
		}
	})
	c.picker.PlaceHolder = "Choose a register"
	c.addBtn = widget.NewButtonWithIcon("Add entry", theme.ContentAddIcon(), func() { c.entryDialog(false) })
	c.addBtn.Importance = widget.HighImportance
	newReg := widget.NewButtonWithIcon("New register", theme.FolderNewIcon(), func() { c.entryDialog(true) })
	top := []fyne.CanvasObject{c.picker}
	if s.access.edit {
		top = append(top, newFlow(c.addBtn, newReg))
	}
	top = append(top, c.summary, c.about, c.lines)
	c.content = container.NewVScroll(container.NewPadded(container.NewVBox(top...)))
	return c
}

// label names a register in the picker.
func (c *cdTab) label(r cdReg) string {
	return productName(r.product) + " · " + c.s.wardName(r.location)
}

// productName is a register's drug, form and strength as one name.
func productName(p forms.CDProduct) string {
	return strings.Join(strings.Fields(p.Drug+" "+p.Form+" "+p.Strength), " ")
}

func (c *cdTab) load() {
	var (
		regs    []cdReg
		lines   []forms.CDLine
		recs    []store.Record
		subject = c.subject
		site    = c.s.ui.Site().Ward
		wards   = c.s.wards
	)
	c.s.ui.Run(func(ctx context.Context) error {
		subjects, err := c.s.ui.Store().CDRegisters(ctx)
		if err != nil {
			return err
		}
		byS := map[string][]store.Record{}
		for _, sub := range subjects {
			rs, err := c.s.ui.Store().Records(ctx, forms.KindCDEntry, sub)
			if err != nil {
				return err
			}
			var e forms.CDEntry
			if len(rs) == 0 || decodeRecord(rs[0], &e) != nil {
				continue
			}
			regs = append(regs, cdReg{subject: sub, product: e.CDProduct, location: e.Location})
			byS[sub] = rs
		}
		if len(regs) == 0 {
			return nil
		}
		if !slices.ContainsFunc(regs, func(r cdReg) bool { return r.subject == subject }) {
			// First time: this ward's register, else the first.
			subject = regs[0].subject
			for _, r := range regs {
				if r.location == site || slices.ContainsFunc(wards, func(w forms.Ward) bool { return w.ID == r.location && w.Name == site }) {
					subject = r.subject
					break
				}
			}
		}
		i := slices.IndexFunc(regs, func(r cdReg) bool { return r.subject == subject })
		recs = byS[subject]
		lines, err = c.s.ui.Store().CDRegister(ctx, regs[i].product, regs[i].location)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(c.s.msg, ErrorText(err))
			return
		}
		c.regs, c.subject = regs, subject
		when := map[string]store.Record{}
		for _, r := range recs {
			when[r.Key] = r
		}
		c.rows = c.rows[:0]
		for _, l := range lines {
			r := when[l.Entry.ID]
			c.rows = append(c.rows, cdRow{line: l, at: r.PerformedAt, by: c.s.userName(r.Author)})
		}
		c.show()
	})
}

// current is the register shown (zero when there is none).
func (c *cdTab) current() cdReg {
	for _, r := range c.regs {
		if r.subject == c.subject {
			return r
		}
	}
	return cdReg{}
}

// balance is the register's running balance after its last line.
func (c *cdTab) balance() forms.Quantity {
	if len(c.rows) == 0 {
		return 0
	}
	return c.rows[len(c.rows)-1].line.Balance
}

func (c *cdTab) show() {
	c.lines.Objects = nil
	if len(c.regs) == 0 {
		c.picker.Hide()
		c.addBtn.Disable()
		c.summary.SetText("No controlled-drugs registers yet.")
		c.about.SetText("")
		c.lines.Add(wrapped("Start one with New register: its first entry is usually the receipt of stock."))
		c.lines.Refresh()
		return
	}
	c.picker.Show()
	c.addBtn.Enable()
	var labels []string
	for _, r := range c.regs {
		labels = append(labels, c.label(r))
	}
	c.picker.SetOptions(labels)
	c.picker.SetSelected(c.label(c.current()))
	c.summary.SetText("Balance now: " + withUnit(c.balance().String(), c.current().product))
	c.about.SetText(fmt.Sprintf("%s, held at %s: %d entries, oldest first.", productName(c.current().product), c.s.wardName(c.current().location), len(c.rows)))
	for _, r := range c.rows {
		c.lines.Add(c.lineCard(r))
	}
	c.lines.Refresh()
}

// lineCard is one register line as a paper register reads: date, what,
// in or out, the running balance, who and their witness. A line with a
// problem (a negative balance after devices that were apart both used the
// last ampoule) is red with what to do about it.
func (c *cdTab) lineCard(r cdRow) fyne.CanvasObject {
	e := r.line.Entry
	unit := c.current().product
	title := widget.NewLabel(r.at.Local().Format(DateTimeLayout) + " · " + cdTypeWords(e.Type))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.Truncation = fyne.TextTruncateEllipsis
	move := "In " + withUnit(r.line.Change.String(), unit)
	if r.line.Change < 0 {
		move = "Out " + withUnit((-r.line.Change).String(), unit)
	}
	if e.Type == forms.CDCorrection {
		move = "Adjust " + withUnit(signed(r.line.Change), unit)
	}
	figures := widget.NewLabel(move + " · balance " + withUnit(r.line.Balance.String(), unit))
	figures.TextStyle = fyne.TextStyle{Bold: true}

	var who []string
	switch e.Type {
	case forms.CDReceipt:
		who = append(who, "From "+e.From)
	case forms.CDAdministration:
		who = append(who, "For "+c.s.patientName(e.PatientID))
	case forms.CDReturn:
		who = append(who, "To "+e.To)
	case forms.CDCorrection:
		if i := slices.IndexFunc(c.rows, func(x cdRow) bool { return x.line.Entry.ID == e.Corrects }); i >= 0 {
			who = append(who, "Corrects line "+fmt.Sprint(i+1))
		}
	}
	who = append(who, "by "+r.by)
	if e.Witness != "" {
		who = append(who, "witness "+e.Witness)
	} else {
		who = append(who, "no witness")
	}
	if e.Reason != "" {
		who = append(who, "reason: "+e.Reason)
	}
	items := tight(title, figures, wrapped(strings.Join(who, " · ")))
	chips := container.NewHBox()
	if r.line.Problem != "" {
		chips.Add(Chip("CHECK", nhsRed, nhsWhite, true))
		l := wrapped(r.line.Problem)
		l.Importance = widget.DangerImportance
		items = append(items, tight(l)...)
	}
	if len(r.line.CorrectedBy) > 0 {
		chips.Add(Chip("Corrected later", nhsWarmYellow, nhsBlack, true))
	}
	if len(chips.Objects) > 0 {
		items = append([]fyne.CanvasObject{chips}, items...)
	}
	card := NewCard(container.NewPadded(container.NewVBox(items...)), nil)
	if r.line.Problem != "" {
		card.SetBackground(cdProblemTile)
	}
	return card
}

// cdProblemTile is the tint of a register line that needs a person.
var cdProblemTile = stockColours[stockOut].tile

func signed(q forms.Quantity) string {
	if q > 0 {
		return "+" + q.String()
	}
	return q.String()
}

// withUnit is a register quantity with the product's unit, if it has one.
func withUnit(q string, p forms.CDProduct) string {
	if u := p.Unit(); u != "" {
		return q + " " + u
	}
	return q
}
