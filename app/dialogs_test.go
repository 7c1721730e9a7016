package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// Every dialog that opens with a text field has the keyboard in it: a
// nurse who starts typing at once (without clicking the field first)
// finds every word in the field. The first sentence of a handover note
// was lost when nothing had the focus. A dialog that opens with a choice
// has the keyboard on the choice.
func TestDialogs_FocusFirstField(t *testing.T) {
	const typed = "Typed before any click"
	for _, tc := range []struct {
		name string
		open func(t *testing.T, ui *UI, db *store.DB)
		ph   string // placeholder of the field that gets the typing
		sel  string // or: placeholder of the choice that has the focus
		noon bool   // at 12:00, when Smith's 12:00 dose is due
	}{
		{name: "handover note", ph: "Situation", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
			showTab(t, ui, "Handover")
			tap(t, ui, "Add note")
		}},
		{name: "handover task", ph: "What needs doing", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
			showTab(t, ui, "Handover")
			tap(t, ui, "Add task")
		}},
		{name: "handover task done", ph: "Note (optional)", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
			showTab(t, ui, "Handover")
			tapIn(t, ui, "Chase lactate result", "Done")
		}},
		{name: "omit reason other", ph: "What happened", noon: true, open: func(t *testing.T, ui *UI, db *store.DB) {
			openPatient(t, ui, db, "Smith", "SMITH, Richard")
			showTab(t, ui, "Medicines")
			tap(t, ui, "12:00 due")
			tap(t, ui, "Omitted")
			radio(t, ui).SetSelected(forms.ReasonOther.Label())
		}},
		{name: "dose override reason", ph: "Why this dose is right", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPatient(t, ui, db, "Okafor", "OKAFOR, Grace")
			showTab(t, ui, "Medicines")
			tap(t, ui, "Give a dose now") // a dose at 06:10: too soon, a reason is asked
		}},
		{name: "add person", ph: "Full name", open: func(t *testing.T, ui *UI, db *store.DB) {
			openAdmin(t, ui, "Staff")
			tap(t, ui, "Add a person")
		}},
		{name: "cd new register", ph: "Drug, e.g.", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPharmacy(t, ui)
			showTab(t, ui, "CD register")
			tap(t, ui, "New register")
		}},
		{name: "cd entry", sel: "Choose the entry type", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPharmacy(t, ui)
			showTab(t, ui, "CD register")
			tap(t, ui, "Add entry")
		}},
		{name: "plan not done", ph: "Reason, e.g.", open: func(t *testing.T, ui *UI, db *store.DB) {
			openPharmacy(t, ui)
			tapIn(t, ui, "Secure controlled-drug keys", "Done")
			tap(t, ui, "Mark done")
			test.Tap(card(t, ui, "Secure controlled-drug keys"))
			settle(ui)
			tap(t, ui, "Not done after all")
		}},
		{name: "bed state reason", ph: "Reason (needed", open: func(t *testing.T, ui *UI, db *store.DB) {
			openBeds(t, ui)
			test.Tap(card(t, ui, "Bed 17"))
			settle(ui)
		}},
		{name: "bed move", sel: "Choose a free bed", open: func(t *testing.T, ui *UI, db *store.DB) {
			openBeds(t, ui)
			test.Tap(card(t, ui, "Bed 1"))
			settle(ui)
			tap(t, ui, "Move OKAFOR, Grace")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ui, db, clock := newTestUI(t, desktop)
			if tc.noon {
				clock.Advance(3 * time.Hour)
			}
			tc.open(t, ui, db)
			if tc.sel != "" {
				if f := ui.win.Canvas().Focused(); f != choose(t, ui, tc.sel) {
					t.Fatalf("focused %T, want the choice %q", f, tc.sel)
				}
				return
			}
			typeKeys(t, ui, typed)
			if got := entry(t, ui, tc.ph).Text; got != typed {
				t.Errorf("field %q holds %q after typing without a click, want %q", tc.ph, got, typed)
			}
		})
	}
}

// The handover note dialog at both sizes, typed into at once: the words
// are in the field, with its cursor.
func TestDialogs_HandoverNoteGolden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
			showTab(t, ui, "Handover")
			tap(t, ui, "Add note")
			typeKeys(t, ui, "Lactate down to 1.8, for ward obs.")
			if got := entry(t, ui, "Situation").Text; got != "Lactate down to 1.8, for ward obs." {
				t.Fatalf("note holds %q", got)
			}
			golden(t, ui, "dialogs_handover_note_"+sizeSuffix(size))
		})
	}
}

// firstField takes the first empty text field or choice, passes over one
// already filled in and hidden or disabled ones, looks inside
// containers, and stops at a radio group (chosen by tapping).
func TestFirstField(t *testing.T) {
	test.NewTempApp(t)
	filled, empty, hidden, off := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	filled.SetText("22-Nov-2026 09:00")
	hidden.Hide()
	off.Disable()
	sel := widget.NewSelect([]string{"a"}, nil)
	radio := widget.NewRadioGroup([]string{"a"}, nil)
	for _, tc := range []struct {
		name string
		in   []fyne.CanvasObject
		want fyne.Focusable
	}{
		{"filled passed over", []fyne.CanvasObject{widget.NewLabel("x"), filled, empty}, empty},
		{"hidden and disabled passed over", []fyne.CanvasObject{hidden, off, empty}, empty},
		{"inside a container", []fyne.CanvasObject{container.NewVBox(widget.NewLabel("x"), container.NewVBox(empty))}, empty},
		{"choice first", []fyne.CanvasObject{sel, empty}, sel},
		{"radio first", []fyne.CanvasObject{radio, empty}, nil},
		{"nothing", []fyne.CanvasObject{widget.NewLabel("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := firstField(tc.in); got != tc.want {
				t.Errorf("firstField = %T, want %T", got, tc.want)
			}
		})
	}
}

// typeKeys types s as the driver does: each key goes to whatever has
// the keyboard, and with nothing focused it is lost (as it was).
func typeKeys(t *testing.T, ui *UI, s string) {
	t.Helper()
	f := ui.win.Canvas().Focused()
	if f == nil {
		t.Fatalf("typed %q with nothing focused: every key is lost", s)
	}
	for _, r := range s {
		f.TypedRune(r)
	}
}
