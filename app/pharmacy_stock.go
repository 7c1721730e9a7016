package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"lifeboat/forms"
	"lifeboat/store"
)

// --- emergency supply and dispensing log ---

// supplyTab is the emergency supply and dispensing log, newest first,
// with the way to record a supply.
type supplyTab struct {
	s       *pharmacyScreen
	content fyne.CanvasObject
	list    *fyne.Container
}

func newSupplyTab(s *pharmacyScreen) *supplyTab {
	t := &supplyTab{s: s, list: container.NewVBox()}
	items := []fyne.CanvasObject{wrapped("Every medicine supplied during downtime, for back-entry into the pharmacy system.")}
	if s.access.edit {
		add := widget.NewButtonWithIcon("Record a supply", theme.ContentAddIcon(), t.addDialog)
		add.Importance = widget.HighImportance
		items = append(items, newFlow(add))
	}
	items = append(items, t.list)
	t.content = container.NewVScroll(container.NewPadded(container.NewVBox(items...)))
	return t
}

type supplyRow struct {
	sup forms.PharmacySupply
	at  time.Time
}

func (t *supplyTab) load() {
	var rs []store.Record
	t.s.ui.Run(func(ctx context.Context) (err error) {
		rs, err = t.s.ui.Store().Records(ctx, forms.KindPharmacySupply, "*")
		return err
	}, func(err error) {
		if err != nil {
			setMsg(t.s.msg, ErrorText(err))
			return
		}
		var rows []supplyRow
		for _, r := range rs {
			var s forms.PharmacySupply
			if r.Final() && decodeRecord(r, &s) == nil {
				rows = append(rows, supplyRow{s, r.PerformedAt})
			}
		}
		slices.SortStableFunc(rows, func(a, b supplyRow) int { return b.at.Compare(a.at) })
		t.show(rows)
	})
}

func (t *supplyTab) show(rows []supplyRow) {
	t.list.Objects = nil
	if len(rows) == 0 {
		t.list.Add(wrapped("No supplies recorded yet."))
	}
	for _, r := range rows {
		s := r.sup
		title := wrapped(s.Drug + " · " + s.Quantity.String() + " " + s.Unit)
		title.TextStyle = fyne.TextStyle{Bold: true}
		items := tight(
			widget.NewLabel(r.at.Local().Format(DateTimeLayout)+" · "+t.s.wardName(s.Ward)),
			title,
			wrapped(t.s.patientName(s.PatientID)),
		)
		check := "checked by " + s.CheckedBy
		if len(s.Validate().Soft()) > 0 {
			items = append([]fyne.CanvasObject{container.NewHBox(Chip("No second check", nhsWarmYellow, nhsBlack, true))}, items...)
			check = "no independent second check"
		}
		line := "Supplied by " + s.SuppliedBy + " · " + check
		if s.Note != "" {
			line += " · " + s.Note
		}
		items = append(items, tight(wrapped(line))...)
		t.list.Add(NewCard(container.NewPadded(container.NewVBox(items...)), nil))
	}
	t.list.Refresh()
}

// addDialog records a supply: patient, medicine, quantity, ward, who
// supplied it and who checked it.
func (t *supplyTab) addDialog() {
	t.s.ui.Touch()
	f := newFieldForm(t.s.ui)
	var ptLabels []string
	for _, p := range t.s.patients {
		ptLabels = append(ptLabels, patientLabel(p))
	}
	patient := widget.NewSelect(ptLabels, nil)
	patient.PlaceHolder = "Choose the patient"
	f.add("Patient", patient, "patient_id")
	drug := f.entry("Medicine", "Medicine, form and strength as labelled", "drug")
	qty := f.entry("Quantity", "Quantity, e.g. 28", "quantity")
	unit := f.entry("Unit", "Unit, e.g. tablets, ml", "unit")
	ward := f.entry("Ward", "Ward it went to", "ward")
	supplied := f.entry("Supplied by", "Who supplied it", "supplied_by")
	supplied.SetText(t.s.ui.Session().User.Name)
	checked := f.entry("Checked by", "Who did the second (accuracy) check", "checked_by")
	note := f.entry("Note", "Note (optional)", "note")
	when := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	when.SetText(t.s.ui.Now().Local().Format(DateTimeLayout))
	patient.OnChanged = func(string) {
		if i := slices.Index(ptLabels, patient.Selected); i >= 0 && ward.Text == "" {
			ward.SetText(t.s.wardName(t.s.patients[i].Ward))
		}
	}
	f.show("Record a supply", "Save supply", func() (store.Draft, error) {
		var ps forms.Problems
		s := forms.PharmacySupply{ID: uuid.Must(uuid.NewV7()).String(), Drug: strings.TrimSpace(drug.Text), Unit: strings.TrimSpace(unit.Text),
			Ward: strings.TrimSpace(ward.Text), SuppliedBy: strings.TrimSpace(supplied.Text), CheckedBy: strings.TrimSpace(checked.Text),
			Note: strings.TrimSpace(note.Text)}
		if i := slices.Index(ptLabels, patient.Selected); i >= 0 {
			s.PatientID = t.s.patients[i].ID
		}
		ps = append(ps, quantityProblem(qty.Text, "quantity", &s.Quantity)...)
		at, err := parseWhen(when.Text, t.s.ui.Now())
		var wp forms.Problems
		if errors.As(err, &wp) {
			ps = append(ps, wp...)
		}
		ps = appendNew(ps, s.Validate())
		if ps.HasHard() {
			return store.Draft{}, ps
		}
		// Soft problems come back with the record, to be saved once seen.
		return store.Draft{Kind: forms.KindPharmacySupply, PerformedAt: at, Payload: s}, ps.Err()
	}, nil)
}

// quantityProblem parses text into q, or says how to type it.
func quantityProblem(text, field string, q *forms.Quantity) forms.Problems {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil // the record's own rules say it is needed
	}
	v, err := forms.ParseQuantity(text)
	if err != nil {
		return forms.Problems{{Field: field, Message: "Type a number, for example 2.5 (with a 0 before a point: 0.5)."}}
	}
	*q = v
	return nil
}

// appendNew adds the problems of more about fields ps does not already
// have a problem for (one problem per field is enough to act on).
func appendNew(ps, more forms.Problems) forms.Problems {
	for _, p := range more {
		if !slices.ContainsFunc(ps, func(x forms.Problem) bool { return x.Field == p.Field && p.Field != "" }) {
			ps = append(ps, p)
		}
	}
	return ps
}

// --- critical medicines stock ---

type stockState int

const (
	stockOK stockState = iota
	stockLow
	stockOut
)

// stockColours is how each stock state looks, in the bed board's style:
// a tinted card and a solid chip, always with the state in words.
var stockColours = map[stockState]struct {
	tile, chip, text color.Color
	words            string
}{
	stockOK:  {nhsWhite, nhsGreen, nhsWhite, "OK"},
	stockLow: {color.NRGBA{0xFF, 0xF4, 0xD6, 0xFF}, nhsWarmYellow, nhsBlack, "LOW"},
	stockOut: {color.NRGBA{0xFB, 0xE4, 0xE2, 0xFF}, nhsRed, nhsWhite, "OUT"},
}

func stockStateOf(s forms.StockLevel) stockState {
	switch {
	case s.Quantity <= 0:
		return stockOut
	case s.BelowMinimum():
		return stockLow
	}
	return stockOK
}

// stockTab is the critical-medicines stock list: the latest count of
// each item at each location, those below their minimum first.
type stockTab struct {
	s       *pharmacyScreen
	content fyne.CanvasObject
	summary *widget.Label
	list    *fyne.Container
}

func newStockTab(s *pharmacyScreen) *stockTab {
	t := &stockTab{s: s, summary: wrapped(""), list: container.NewVBox()}
	items := []fyne.CanvasObject{t.summary}
	if s.access.edit {
		add := widget.NewButtonWithIcon("Record a count", theme.ContentAddIcon(), func() { t.countDialog(forms.StockLevel{}) })
		add.Importance = widget.HighImportance
		items = append(items, newFlow(add))
	}
	items = append(items, t.list)
	t.content = container.NewVScroll(container.NewPadded(container.NewVBox(items...)))
	return t
}

func (t *stockTab) load() {
	var levels []forms.StockLevel
	t.s.ui.Run(func(ctx context.Context) (err error) {
		levels, err = t.s.ui.Store().Stock(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(t.s.msg, ErrorText(err))
			return
		}
		t.show(levels)
	})
}

func (t *stockTab) show(levels []forms.StockLevel) {
	var low, out int
	t.list.Objects = nil
	for _, l := range levels {
		switch stockStateOf(l) {
		case stockLow:
			low++
		case stockOut:
			out++
		}
		t.list.Add(t.card(l))
	}
	if len(levels) == 0 {
		t.summary.SetText("No stock counts recorded yet.")
	} else {
		t.summary.SetText(fmt.Sprintf("%d items: %d out of stock, %d below minimum. Tap an item to record a new count.", len(levels), out, low))
	}
	t.list.Refresh()
}

// card is one item: its state in words and colour, the count against the
// minimum, and where it is kept.
func (t *stockTab) card(l forms.StockLevel) fyne.CanvasObject {
	col := stockColours[stockStateOf(l)]
	name := wrapped(l.Item)
	name.TextStyle = fyne.TextStyle{Bold: true}
	count := widget.NewLabel(fmt.Sprintf("%s %s (minimum %s)", l.Quantity, l.Unit, l.Minimum))
	count.Truncation = fyne.TextTruncateEllipsis
	body := container.NewVBox(append([]fyne.CanvasObject{container.NewHBox(Chip(col.words, col.chip, col.text, true))},
		tight(name, count, widget.NewLabel(t.s.wardName(l.Location)))...)...)
	level := l
	var tapped func()
	if t.s.access.edit {
		tapped = func() { t.countDialog(level) }
	}
	c := NewCard(container.NewPadded(body), tapped)
	c.SetBackground(col.tile)
	return c
}

// countDialog records a count: of the item given (its name, place, unit
// and minimum filled in), or of a new item.
func (t *stockTab) countDialog(prev forms.StockLevel) {
	t.s.ui.Touch()
	f := newFieldForm(t.s.ui)
	item := f.entry("Item", "Item, e.g. Insulin aspart 100 units/ml cartridge", "item")
	loc := f.entry("Kept at", "Where it is kept, e.g. Pharmacy", "location")
	qty := f.entry("Count", "Count now, e.g. 12", "quantity")
	unit := f.entry("Unit", "Unit, e.g. cartridges", "unit")
	minimum := f.entry("Minimum", "Get more below, e.g. 10", "minimum")
	when := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	when.SetText(t.s.ui.Now().Local().Format(DateTimeLayout))
	title := "Record a count"
	if prev.Item != "" {
		item.SetText(prev.Item)
		loc.SetText(prev.Location)
		unit.SetText(prev.Unit)
		minimum.SetText(prev.Minimum.String())
		title = "Count: " + prev.Item
	}
	f.show(title, "Save count", func() (store.Draft, error) {
		s := forms.StockLevel{Item: strings.TrimSpace(item.Text), Location: strings.TrimSpace(loc.Text), Unit: strings.TrimSpace(unit.Text)}
		var ps forms.Problems
		if strings.TrimSpace(qty.Text) == "" {
			ps = append(ps, forms.Problem{Field: "quantity", Message: "enter the count (0 if there is none)"})
		}
		ps = append(ps, quantityProblem(qty.Text, "quantity", &s.Quantity)...)
		ps = append(ps, quantityProblem(minimum.Text, "minimum", &s.Minimum)...)
		at, err := parseWhen(when.Text, t.s.ui.Now())
		var wp forms.Problems
		if errors.As(err, &wp) {
			ps = append(ps, wp...)
		}
		ps = appendNew(ps, s.Validate())
		if len(ps) > 0 {
			return store.Draft{}, ps
		}
		return store.Draft{Kind: forms.KindStockLevel, PerformedAt: at, Payload: s}, nil
	}, nil)
}
