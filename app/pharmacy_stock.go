package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

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
