package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// focusEntry is an entry that tells its form when it takes the keyboard,
// so a long form can scroll it into view: Tab must never move the cursor
// to a field nobody can see.
type focusEntry struct {
	widget.Entry
	gained func()
}

// newFocusEntry returns an entry that calls gained (if not nil) after it
// takes the focus.
func newFocusEntry(multiLine bool, gained func()) *focusEntry {
	e := &focusEntry{gained: gained}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

// FocusGained implements fyne.Focusable.
func (e *focusEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.gained != nil {
		e.gained()
	}
}

// AcceptsTab is false even for a multi-line note: Tab moves on to the
// next field (and Save), so a form is never a keyboard trap.
func (e *focusEntry) AcceptsTab() bool { return false }

// scrollIntoView scrolls s so o (inside s's content) is fully visible,
// with a little room around it, moving as little as possible.
func scrollIntoView(s *container.Scroll, o fyne.CanvasObject) {
	app := fyne.CurrentApp()
	if app == nil || s.Content == nil {
		return
	}
	d := app.Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
	const room = 48
	y := s.Offset.Y
	switch {
	case top-room < y:
		y = top - room
	case top+o.Size().Height+room > y+s.Size().Height:
		y = top + o.Size().Height + room - s.Size().Height
	default:
		return
	}
	s.ScrollToOffset(fyne.NewPos(s.Offset.X, max(0, y)))
}
