package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// A note typed into a wrapping entry is saved as typed, whatever the
// width the wrap falls at. Fails with fyne.TextWrapWord: a space typed at
// a line end moved to the end of the text.
func TestNoteWrap_TypedTextStaysAsTyped(t *testing.T) {
	test.NewTempApp(t)
	const s = "Lactate down to 1.8, for ward obs. Then review at 06:00 by the night registrar please."
	for w := float32(150); w <= 400; w += 10 {
		e := widget.NewMultiLineEntry()
		e.Wrapping = noteWrap
		win := test.NewWindow(e)
		win.Resize(fyne.NewSize(w, 200))
		win.Canvas().Focus(e)
		for _, r := range s {
			e.TypedRune(r)
		}
		if e.Text != s {
			t.Errorf("width %v: note holds %q, want %q", w, e.Text, s)
		}
		win.Close()
	}
}
