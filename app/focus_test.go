package app

import (
	"testing"

	"fyne.io/fyne/v2"
)

// On a desktop the observation form opens with the keyboard in the first
// reading, and the note hands Tab on rather than swallowing it; a phone
// opens with nothing focused, so its keyboard does not cover the score.
func TestObsForm_KeyboardFocus(t *testing.T) {
	for _, tc := range []struct {
		size  fyne.Size
		focus string // placeholder of the focused entry, "" for none
	}{{desktop, "breaths/min"}, {phone, ""}} {
		t.Run(sizeName(tc.size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, tc.size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			tap(t, ui, "Record observations")
			got := ""
			if fe, ok := ui.win.Canvas().Focused().(*focusEntry); ok {
				got = fe.PlaceHolder
			} else if f := ui.win.Canvas().Focused(); f != nil {
				t.Fatalf("focused %T, want a form entry", f)
			}
			if got != tc.focus {
				t.Errorf("focused entry %q, want %q", got, tc.focus)
			}
			notes := 0
			for _, o := range objects(ui) {
				if fe, ok := o.(*focusEntry); ok && fe.MultiLine {
					notes++
					if fe.AcceptsTab() {
						t.Errorf("multi-line entry %q takes Tab: a keyboard trap", fe.PlaceHolder)
					}
				}
			}
			if notes != 1 {
				t.Errorf("found %d multi-line notes on the form, want 1", notes)
			}
		})
	}
}
