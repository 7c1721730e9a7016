package app

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

// touchTarget is one thing a person can tap, as laid out on screen.
type touchTarget struct {
	obj  fyne.CanvasObject
	size fyne.Size
}

func (t touchTarget) String() string {
	name := reflect.TypeOf(t.obj).String()
	switch x := t.obj.(type) {
	case *widget.Button:
		name += fmt.Sprintf(" %q", x.Text)
	case *widget.Check:
		name += fmt.Sprintf(" %q", x.Text)
	case *widget.Select:
		name += fmt.Sprintf(" %q", x.PlaceHolder)
	case *widget.Entry:
		name += fmt.Sprintf(" %q", x.PlaceHolder)
	case *focusEntry:
		name += fmt.Sprintf(" %q", x.PlaceHolder)
	case *widget.Hyperlink:
		name += fmt.Sprintf(" %q", x.Text)
	}
	return fmt.Sprintf("%s %gx%g", name, t.size.Width, t.size.Height)
}

// touchTargets returns the outermost visible tappable objects on the
// window, the dialogs and pop-ups on top of it included. A tappable inside
// another (an entry's text inside the entry) is left out: a tap anywhere on
// the outer one reaches one of them, so the outer one is the target.
func touchTargets(w fyne.Window) []touchTarget {
	var out []touchTarget
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		// A scroll bar takes a mouse click; a finger drags the content.
		if _, ok := o.(fyne.Tappable); ok && reflect.TypeOf(o).String() != "*widget.scrollBarArea" {
			if s := o.Size(); s.Width > 0 && s.Height > 0 {
				out = append(out, touchTarget{obj: o, size: s})
			}
		}
		switch x := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	for _, o := range w.Canvas().Overlays().List() {
		walk(o)
	}
	walk(w.Canvas().Content())
	return out
}

// screenTour takes the UI through every screen, as each role reaches it
// on the demo ward, and calls visit on each, laid out.
type screenTour struct {
	t     *testing.T
	w     fyne.Window
	visit func(t *testing.T, w fyne.Window, screen string)
}

func (c *screenTour) check(screen string) {
	c.t.Helper()
	for range 2 {
		c.w.Content().Refresh()
	}
	c.visit(c.t, c.w, screen)
}

// tabs checks each tab of every tab container on screen, one level deep.
func (c *screenTour) tabs(ui *UI, screen string) {
	c.t.Helper()
	for _, o := range objects(ui) {
		tabs, ok := o.(*container.AppTabs)
		if !ok {
			continue
		}
		for _, it := range tabs.Items {
			tabs.Select(it)
			settle(ui)
			c.check(screen + " / " + it.Text)
		}
		tabs.SelectIndex(0)
		settle(ui)
		return
	}
}

// sections opens each section the signed-in person may and checks it
// and its tabs.
func (c *screenTour) sections(ui *UI) {
	c.t.Helper()
	for _, s := range ui.Sections() {
		ui.ShowSection(s.ID)
		settle(ui)
		c.check(s.ID)
		c.tabs(ui, s.ID)
	}
}

// closeOverlays closes the dialogs and pop-ups open on the window.
func closeOverlays(ui *UI) {
	ov := ui.win.Canvas().Overlays()
	for ov.Top() != nil {
		ov.Remove(ov.Top())
	}
	settle(ui)
}

// tourScreens visits every screen at size: unlock, sign-in and PIN, then
// as each role every section and tab; as a nurse a patient's tabs, the
// dose, allergy and handover note dialogs, the observation form (empty,
// with unusual values, with problems, with a choice open), the phone menu
// and the idle lock; as the others a plan task's, a bed's and a new
// person's dialogs; and first run.
func tourScreens(t *testing.T, size fyne.Size, visit func(t *testing.T, w fyne.Window, screen string)) {
	tabTitle := func(short, long string) string {
		if size.Width < NarrowWidth {
			return short
		}
		return long
	}
	roles := []struct {
		name, pin string
		more      func(t *testing.T, c *screenTour, ui *UI)
	}{
		{"Nia Nurse", cli.DemoNursePIN, func(t *testing.T, c *screenTour, ui *UI) {
			ui.ShowSection("ward")
			settle(ui)
			entry(t, ui, "Search name").SetText("smith")
			settle(ui)
			test.Tap(card(t, ui, "SMITH, Richard"))
			settle(ui)
			c.check("patient")
			c.tabs(ui, "patient")
			showTab(t, ui, tabTitle("Meds", "Medicines"))
			tap(t, ui, "12:00 due")
			c.check("dose dialog")
			closeOverlays(ui)
			showTab(t, ui, tabTitle("Allergies", "Allergies & weight"))
			tap(t, ui, "Add allergy")
			c.check("allergy dialog")
			closeOverlays(ui)
			showTab(t, ui, "Handover")
			tap(t, ui, "Add note")
			c.check("handover note dialog")
			closeOverlays(ui)
			tap(t, ui, "Record observations")
			c.check("record observations")
			test.Type(entry(t, ui, "beats/min"), "250")
			test.Type(entry(t, ui, "°C"), "30")
			settle(ui)
			c.check("record observations, unusual values")
			tap(t, ui, "Save observations")
			c.check("record observations, problems")
			closeOverlays(ui)
			test.Tap(choose(t, ui, ""))
			settle(ui)
			c.check("a choice open")
			closeOverlays(ui)
			ui.ShowSection("ward")
			settle(ui)
			if size.Width < NarrowWidth {
				tap(t, ui, "Menu")
				c.check("menu")
				closeOverlays(ui)
			}
			// Idle: locked to the PIN, the screen put aside.
			ui.lastUsed = ui.now().Add(-ui.idle)
			ui.checkIdle()
			settle(ui)
			c.check("idle lock")
		}},
		{"Phil Pharmacist", "2468", func(t *testing.T, c *screenTour, ui *UI) {
			ui.ShowSection("pharmacy")
			settle(ui)
			tapIn(t, ui, "Secure controlled-drug keys", "Done")
			c.check("plan task done dialog")
			closeOverlays(ui)
		}},
		{"Bea Beds", "3691", func(t *testing.T, c *screenTour, ui *UI) {
			ui.ShowSection("beds")
			settle(ui)
			test.Tap(card(t, ui, "Bed 1"))
			settle(ui)
			c.check("bed dialog")
			closeOverlays(ui)
		}},
		{"Ada Admin", cli.DemoAdminPIN, func(t *testing.T, c *screenTour, ui *UI) {
			ui.ShowSection("admin")
			settle(ui)
			tap(t, ui, "Add a person")
			c.check("add a person dialog")
			closeOverlays(ui)
		}},
	}
	for i, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			ui, _, clock := newTestUI(t, size)
			clock.Advance(3 * time.Hour) // 12:00 doses are due
			c := &screenTour{t: t, w: ui.win, visit: visit}
			if i == 0 {
				c.check("unlock")
				test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
				tap(t, ui, "Unlock")
				c.check("sign in")
				tap(t, ui, r.name)
				c.check("PIN")
				typePIN(t, ui, r.pin)
				tap(t, ui, "Sign in")
			} else {
				signInAs(t, ui, r.name, r.pin)
			}
			c.sections(ui)
			if r.more != nil {
				r.more(t, c, ui)
			}
		})
	}
	t.Run("first run", func(t *testing.T) {
		test.NewTempApp(t).Settings().SetTheme(NewTheme())
		w := test.NewTempWindow(t, nil)
		w.Resize(size)
		dir := t.TempDir()
		ShowFirstRun(w, dir, FirstRun{
			Setup:  func(context.Context, store.Setup) error { return nil },
			Joined: func() {},
		})
		c := &screenTour{t: t, w: w, visit: visit}
		c.check("first run")
		test.Tap(inWindow[*widget.Button](t, w, "Set up a new ward on this device"))
		c.check("set up a new ward")
	})
}

// TestTouchTargets_Phone walks every screen at phone size and checks that
// everything tappable is at least MinTouchTarget square and that no
// screen makes the window grow past the phone's width.
func TestTouchTargets_Phone(t *testing.T) {
	seen := map[fyne.CanvasObject]bool{}
	var small []string
	tourScreens(t, phone, func(t *testing.T, w fyne.Window, screen string) {
		t.Helper()
		if m, cw := w.Content().MinSize().Width, w.Canvas().Size().Width; m > cw {
			t.Errorf("%s: the window needs %.0f wide, more than its %.0f", screen, m, cw)
		}
		tts := touchTargets(w)
		if len(tts) == 0 {
			t.Errorf("%s: nothing to tap; the walker is lost", screen)
		}
		for _, tt := range tts {
			if seen[tt.obj] {
				continue
			}
			seen[tt.obj] = true
			if tt.size.Width < MinTouchTarget || tt.size.Height < MinTouchTarget {
				small = append(small, screen+": "+tt.String())
			}
		}
	})
	if len(small) > 0 {
		t.Errorf("%d touch targets smaller than %vx%v:\n%s", len(small), MinTouchTarget, MinTouchTarget, strings.Join(small, "\n"))
	}
}
