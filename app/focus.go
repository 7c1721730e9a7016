package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/mobile"
	"fyne.io/fyne/v2/widget"
)

// focusEntry is an entry that tells its form when it takes the keyboard,
// so a long form can scroll it into view: Tab must never move the cursor
// to a field nobody can see.
type focusEntry struct {
	widget.Entry
	gained func()
	lost   func()       // after it gives up the focus; nil: nothing
	keys   keyboardKind // the on-screen keyboard a phone shows for it
}

// keyboardKind is the on-screen keyboard an entry asks a phone for.
type keyboardKind int

const (
	textKeys  keyboardKind = iota // letters (the entry's own choice)
	digitKeys                     // digits only: whole-number readings
)

var _ mobile.Keyboardable = (*focusEntry)(nil)

// Keyboard implements mobile.Keyboardable: a whole-number reading opens
// the phone's number pad. A decimal reading (temperature) keeps the text
// keyboard: the number pad of iOS and Android has no decimal point, and
// 37.2 must stay typeable.
func (e *focusEntry) Keyboard() mobile.KeyboardType {
	if e.keys == digitKeys {
		return mobile.NumberKeyboard
	}
	return e.Entry.Keyboard()
}

// FocusLost implements fyne.Focusable.
func (e *focusEntry) FocusLost() {
	e.Entry.FocusLost()
	if e.lost != nil {
		e.lost()
	}
}

// noteWrap is how every typed note wraps: at any character, not at
// words. Fyne 2.7's Entry loses its place when a typed space lands at the
// end of a word-wrapped line (fyne-io/fyne#2698): "for ward obs." typed
// into a handover note on a phone was saved as "for wardobs. ".
const noteWrap = fyne.TextWrapBreak

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
