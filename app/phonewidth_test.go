package app

import (
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
)

// Every screen each role reaches fits a 390-wide phone: the window's
// content never asks for more (a real phone window then grows past the
// screen, and the NEWS2 badge was cut to "NE"). Each section is visited
// with every tab of it, and for ward staff the patient screen with each
// of its tabs, the observation form and the menu.
func TestPhone_EveryScreenFitsTheWidth(t *testing.T) {
	for _, who := range []struct{ name, pin string }{
		{"Nia Nurse", cli.DemoNursePIN},
		{"Phil Pharmacist", "2468"},
		{"Bea Beds", "3691"},
		{"Ada Admin", cli.DemoAdminPIN},
		{"Break-glass", "7391"},
	} {
		t.Run(who.name, func(t *testing.T) {
			ui, _, _ := newTestUI(t, phone)
			if who.name == "Break-glass" {
				test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
				tap(t, ui, "Unlock")
				tap(t, ui, "Break")
				typePIN(t, ui, who.pin)
				test.Type(entry(t, ui, "Why are you using break-glass"), "Nurse in charge locked out")
				tap(t, ui, "Sign in")
			} else {
				signInAs(t, ui, who.name, who.pin)
			}
			for _, s := range ui.Sections() {
				ui.ShowSection(s.ID)
				settle(ui)
				fitsPhone(t, ui, s.Title)
			}
			tap(t, ui, "Menu")
			fitsPhone(t, ui, "Menu")
			if who.name != "Nia Nurse" {
				return
			}
			ui.ShowSection("ward")
			settle(ui)
			entry(t, ui, "Search name").SetText("hughes")
			test.Tap(card(t, ui, "HUGHES, Gareth"))
			settle(ui)
			fitsPhone(t, ui, "Patient")
			tap(t, ui, "Record observations")
			fitsPhone(t, ui, "Record observations")
		})
	}
}

// fitsPhone checks the window's content, on screen and in each tab of
// it, is no wider than the phone.
func fitsPhone(t *testing.T, ui *UI, screen string) {
	t.Helper()
	check := func(where string) {
		t.Helper()
		relayout(ui)
		if w := ui.win.Content().MinSize().Width; w > phone.Width {
			t.Errorf("%s: content MinSize().Width = %v, want <= %v", where, w, phone.Width)
		}
	}
	check(screen)
	for _, o := range objects(ui) {
		tabs, ok := o.(*container.AppTabs)
		if !ok {
			continue
		}
		for _, it := range tabs.Items {
			tabs.Select(it)
			settle(ui)
			check(screen + " / " + it.Text)
		}
		tabs.SelectIndex(0)
		settle(ui)
	}
}
