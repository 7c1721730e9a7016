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
	return fmt.Sprintf("%s %.0fx%.0f", name, t.size.Width, t.size.Height)
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

// touchCheck collects the targets smaller than MinTouchTarget, screen by
// screen, and checks that the window needs no more than its width.
type touchCheck struct {
	t     *testing.T
	w     fyne.Window
	seen  map[fyne.CanvasObject]bool
	small []string
}

func (c *touchCheck) check(screen string) {
	c.t.Helper()
	for range 2 {
		c.w.Content().Refresh()
	}
	if m, w := c.w.Content().MinSize().Width, c.w.Canvas().Size().Width; m > w {
		c.t.Errorf("%s: the window needs %.0f wide, more than its %.0f", screen, m, w)
	}
	n := 0
	for _, tt := range touchTargets(c.w) {
		n++
		if c.seen[tt.obj] {
			continue
		}
		c.seen[tt.obj] = true
		if tt.size.Width < MinTouchTarget || tt.size.Height < MinTouchTarget {
			c.small = append(c.small, screen+": "+tt.String())
		}
	}
	if n == 0 {
		c.t.Errorf("%s: nothing to tap; the walker is lost", screen)
	}
}

// tabs checks each tab of every tab container on screen, one level deep.
func (c *touchCheck) tabs(ui *UI, screen string) {
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
func (c *touchCheck) sections(ui *UI) {
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

func (c *touchCheck) report() {
	c.t.Helper()
	if len(c.small) > 0 {
		c.t.Errorf("%d touch targets smaller than %vx%v:\n%s", len(c.small), MinTouchTarget, MinTouchTarget, strings.Join(c.small, "\n"))
	}
}

// TestTouchTargets_Phone walks every screen at phone size, as each role
// reaches it on the demo ward, and checks that everything tappable is at
// least MinTouchTarget square and that no screen makes the window grow
// past the phone's width.
func TestTouchTargets_Phone(t *testing.T) {
	roles := []struct {
		name, pin string
		more      func(t *testing.T, c *touchCheck, ui *UI)
	}{
		{"Nia Nurse", cli.DemoNursePIN, func(t *testing.T, c *touchCheck, ui *UI) {
			ui.ShowSection("ward")
			settle(ui)
			entry(t, ui, "Search name").SetText("smith")
			settle(ui)
			test.Tap(card(t, ui, "SMITH, Richard"))
			settle(ui)
			c.check("patient")
			c.tabs(ui, "patient")
			showTab(t, ui, "Meds")
			tap(t, ui, "12:00 due")
			c.check("dose dialog")
			closeOverlays(ui)
			showTab(t, ui, "Allergies")
			tap(t, ui, "Add allergy")
			c.check("allergy dialog")
			closeOverlays(ui)
			showTab(t, ui, "Handover")
			tap(t, ui, "Add note")
			c.check("handover note dialog")
			closeOverlays(ui)
			tap(t, ui, "Record observations")
			c.check("record observations")
			test.Tap(choose(t, ui, ""))
			settle(ui)
			c.check("a choice open")
			closeOverlays(ui)
			ui.ShowSection("ward")
			settle(ui)
			tap(t, ui, "Menu")
			c.check("menu")
		}},
		{"Phil Pharmacist", "2468", nil},
		{"Bea Beds", "3691", nil},
		{"Ada Admin", cli.DemoAdminPIN, nil},
	}
	for i, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			ui, _, clock := newTestUI(t, phone)
			clock.Advance(3 * time.Hour) // 12:00 doses are due
			c := &touchCheck{t: t, w: ui.win, seen: map[fyne.CanvasObject]bool{}}
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
			c.report()
		})
	}
	t.Run("first run", func(t *testing.T) {
		test.NewTempApp(t).Settings().SetTheme(NewTheme())
		w := test.NewTempWindow(t, nil)
		w.Resize(phone)
		dir := t.TempDir()
		ShowFirstRun(w, dir, FirstRun{
			Setup:  func(context.Context, store.Setup) error { return nil },
			Joined: func() {},
		})
		c := &touchCheck{t: t, w: w, seen: map[fyne.CanvasObject]bool{}}
		c.check("first run")
		test.Tap(inWindow[*widget.Button](t, w, "Set up a new ward on this device"))
		c.check("set up a new ward")
		c.report()
	})
}
