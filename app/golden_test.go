package app

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
)

// TestUI_Golden renders the main screens at desktop and phone sizes.
// Refresh with go test ./app/ -run Golden -update, then look at each one.
func TestUI_Golden(t *testing.T) {
	steps := []struct {
		name string
		to   func(t *testing.T, ui *UI)
	}{
		{"unlock", func(t *testing.T, ui *UI) {}},
		{"signin", func(t *testing.T, ui *UI) {
			test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
			tap(t, ui, "Unlock")
		}},
		{"pin", func(t *testing.T, ui *UI) {
			tap(t, ui, "Nia Nurse")
			typePIN(t, ui, "13")
		}},
		{"ward", func(t *testing.T, ui *UI) {
			typePIN(t, ui, "57")
			tap(t, ui, "Sign in")
		}},
		{"patient", func(t *testing.T, ui *UI) {
			entry(t, ui, "Search name").SetText("hughes")
			test.Tap(card(t, ui, "HUGHES, Gareth"))
			settle(ui)
		}},
		{"record_obs", func(t *testing.T, ui *UI) {
			tap(t, ui, "Record observations")
			fillObs(t, ui, "22", "95", "105", "70", "", "", optAir, "")
		}},
		{"idle_lock", func(t *testing.T, ui *UI) {
			ui.lastUsed = ui.now().Add(-ui.idle)
			ui.checkIdle()
			settle(ui)
			typePIN(t, ui, "13")
		}},
	}
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			for _, s := range steps {
				s.to(t, ui)
				file := "ui_" + s.name + "_" + map[bool]string{true: "desktop", false: "phone"}[size == desktop] + ".png"
				relayout(ui)
				img := ui.win.Canvas().Capture()
				if *update {
					writePNG(t, filepath.Join("testdata", file), img)
				}
				test.AssertImageMatches(t, file, img)
			}
		})
	}
}

// relayout lays the window out again, twice, as the real driver does on
// every frame when a minimum size has changed (the test canvas does not):
// wrapped text knows its height only once it has its width.
func relayout(ui *UI) {
	for range 2 {
		ui.win.Content().Refresh()
	}
}
