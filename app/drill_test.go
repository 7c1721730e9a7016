package app

import (
	"testing"

	"fyne.io/fyne/v2"

	"lifeboat/cmd/lifeboat/cli"
)

// The drill store names its own ward on the sign-in screen and the ward
// list, and lists its own made-up patients, none of the demo ward's.
// Fails on the code before this change: the drill showed "Ward 7 - Acute
// Medicine" and the demo's patients.
func TestDrill_SignInAndWardListShowTheDrillWard(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui := newDrillUI(t, size)
			tap(t, ui, "Unlock") // nothing typed: still shows the ward
			entry(t, ui, "Ward passphrase").SetText(cli.DemoPassphrase)
			tap(t, ui, "Unlock")
			if size == phone {
				ui.banner.SetOpen(true) // a phone's one-line banner names the ward on a tap
			}
			mustShow(t, ui, "Who are you?", cli.DrillWard)
			tap(t, ui, "Nia Nurse")
			typePIN(t, ui, cli.DemoNursePIN)
			tap(t, ui, "Sign in")
			mustShow(t, ui, cli.DrillWard, "DRILL-ALPHA")
			if size == phone {
				// Its longer bed labels and names still fit a phone: the
				// window grew to 467 wide before the bed and name wrapped.
				fitsPhone(t, ui, "drill ward list")
			}
			for _, demo := range []string{"Ward 7", "OKAFOR", "Okafor"} {
				if shows(ui, demo) {
					t.Errorf("drill ward list shows the demo's %q: %q", demo, texts(ui))
				}
			}
		})
	}
}
