package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Screen wraps a screen's content with the function that reloads it from
// the store, so it satisfies Reloader. Sections and patient tabs can
// return one from Make.
type Screen struct {
	widget.BaseWidget
	content fyne.CanvasObject
	reload  func()
}

var _ Reloader = (*Screen)(nil)

// NewScreen returns a screen showing content; reload (may be nil) fetches
// fresh data with UI.Run. It is called once now and again whenever the
// store changes while the screen is shown.
func NewScreen(content fyne.CanvasObject, reload func()) *Screen {
	s := &Screen{content: content, reload: reload}
	s.ExtendBaseWidget(s)
	s.Reload()
	return s
}

// Reload implements Reloader.
func (s *Screen) Reload() {
	if s.reload != nil {
		s.reload()
	}
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.content)
}

// Card is a tappable panel on a white background: a row of the ward list,
// a row of a chart. Tapping anywhere on it calls OnTapped; on a desktop it
// takes keyboard focus (Tab) and Space or Return taps it.
type Card struct {
	widget.BaseWidget
	OnTapped func()
	content  fyne.CanvasObject
	bg       *canvas.Rectangle
	compact  bool
}

// NewCard returns a card showing content.
func NewCard(content fyne.CanvasObject, tapped func()) *Card {
	c := &Card{content: content, OnTapped: tapped, bg: canvas.NewRectangle(nhsWhite)}
	c.bg.StrokeColor = nhsGrey4
	c.bg.StrokeWidth = 1
	c.bg.CornerRadius = 6
	c.ExtendBaseWidget(c)
	return c
}

// NewCompactCard returns a card with less padding around content: one
// line of a table, for a desktop's mouse rather than a finger.
func NewCompactCard(content fyne.CanvasObject, tapped func()) *Card {
	c := NewCard(content, tapped)
	c.compact = true
	return c
}

// compactPad is a compact card's padding around its content (and a
// table's heading line's, to line up with it).
func compactPad(content fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedLayout(3, 3, 8, 8), content)
}

// SetBackground sets the card's colour (a warning, a struck-out record).
func (c *Card) SetBackground(col color.Color) {
	c.bg.FillColor = col
	c.bg.Refresh()
}

var _ fyne.Focusable = (*Card)(nil)

// FocusGained implements fyne.Focusable: a thick dark border shows it.
func (c *Card) FocusGained() {
	c.bg.StrokeColor = nhsBlack
	c.bg.StrokeWidth = 3
	c.bg.Refresh()
}

// FocusLost implements fyne.Focusable.
func (c *Card) FocusLost() {
	c.bg.StrokeColor = nhsGrey4
	c.bg.StrokeWidth = 1
	c.bg.Refresh()
}

// TypedRune implements fyne.Focusable.
func (c *Card) TypedRune(r rune) {
	if r == ' ' {
		c.Tapped(nil)
	}
}

// TypedKey implements fyne.Focusable.
func (c *Card) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
		c.Tapped(nil)
	}
}

// Tapped implements fyne.Tappable.
func (c *Card) Tapped(*fyne.PointEvent) {
	if c.OnTapped != nil {
		c.OnTapped()
	}
}

// CreateRenderer implements fyne.Widget.
func (c *Card) CreateRenderer() fyne.WidgetRenderer {
	if c.compact {
		return widget.NewSimpleRenderer(container.NewStack(c.bg, compactPad(c.content)))
	}
	return widget.NewSimpleRenderer(container.NewStack(c.bg, container.NewPadded(c.content)))
}

// Chip is a small coloured label: a NEWS2 score, "OBS OVERDUE", a
// conflict count.
func Chip(text string, bg, fg color.Color, bold bool) fyne.CanvasObject {
	t := canvas.NewText(text, fg)
	t.TextStyle = fyne.TextStyle{Bold: bold}
	t.TextSize = 15
	r := canvas.NewRectangle(bg)
	r.CornerRadius = 4
	if c, ok := bg.(color.NRGBA); ok && c == nhsWhite {
		r.StrokeColor = nhsGrey3
		r.StrokeWidth = 1
	}
	return container.NewStack(r, container.New(&chipLayout{}, t))
}

// chipLayout pads a chip's text.
type chipLayout struct{}

func (chipLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	m := objs[0].MinSize()
	objs[0].Resize(m)
	objs[0].Move(fyne.NewPos((size.Width-m.Width)/2, (size.Height-m.Height)/2))
}

func (chipLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := objs[0].MinSize()
	return fyne.NewSize(m.Width+16, m.Height+8)
}

// flowLayout lays objects out left to right at their minimum size and
// wraps onto a new line when the next does not fit, so a row of buttons or
// readings stacks on a phone. Its height depends on its width, which
// MinSize cannot be told: it remembers the width of the last Layout (Fyne
// lays out again when a minimum size changes).
type flowLayout struct {
	width float32
}

// newFlow returns a container that flows objs.
func newFlow(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(&flowLayout{}, objs...)
}

func (l *flowLayout) place(objs []fyne.CanvasObject, width float32, move bool) float32 {
	gap := theme.Padding()
	var x, y, lineH float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if x > 0 && x+m.Width > width {
			x, y = 0, y+lineH+gap
			lineH = 0
		}
		if move {
			o.Move(fyne.NewPos(x, y))
			o.Resize(m)
		}
		x += m.Width + gap
		lineH = max(lineH, m.Height)
	}
	return y + lineH
}

func (l *flowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	l.place(objs, size.Width, true)
}

func (l *flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, sum float32
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			w = max(w, m.Width)
			sum += m.Width + theme.Padding()
		}
	}
	at := l.width
	if at <= 0 {
		at = sum // not laid out yet: one line
	}
	return fyne.NewSize(w, l.place(objs, max(at, w), false))
}
