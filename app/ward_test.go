package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
)

// card returns the visible card showing text.
func card(t *testing.T, ui *UI, text string) *Card {
	t.Helper()
	for _, o := range objects(ui) {
		c, ok := o.(*Card)
		if !ok {
			continue
		}
		for _, in := range test.LaidOutObjects(c) {
			if txt, ok := in.(*canvas.Text); ok && strings.Contains(txt.Text, text) {
				return c
			}
		}
	}
	t.Fatalf("no card showing %q on screen %q", text, texts(ui))
	return nil
}

func cards(ui *UI) int {
	n := 0
	for _, o := range objects(ui) {
		if _, ok := o.(*Card); ok {
			n++
		}
	}
	return n
}

func TestWardList(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			mustShow(t, ui, "18 patients", "Bed 2", "SMITH, Richard", "Born 04-Mar-1957", "NHS 999 000 0379",
				"NEWS2 13", "OBS OVERDUE since 07:54", "Obs due 21:00")
			if n := cards(ui); n != 18 {
				t.Errorf("ward list shows %d patients, want 18", n)
			}
			search := entry(t, ui, "Search name")
			for _, tt := range []struct {
				q    string
				want string
				n    int
			}{
				{"smith", "SMITH, Richard", 1},
				{"Richard Smith", "SMITH, Richard", 1},
				{"999 000 0379", "SMITH, Richard", 1},
				{"9990000379", "SMITH, Richard", 1},
				{"bed 7", "ADEYEMI, Tunde", 1},
				{"7", "ADEYEMI, Tunde", 1},
				{"trolley 1", "WRIGHT, Albert", 1},
				{"nobody-like-this", "0 of 18 patients match", 0},
			} {
				search.SetText(tt.q)
				mustShow(t, ui, tt.want)
				if n := cards(ui); n != tt.n {
					t.Errorf("search %q shows %d patients, want %d", tt.q, n, tt.n)
				}
			}
			search.SetText("smith")
			// Keyboard: focus the card and press Return.
			c := card(t, ui, "SMITH, Richard")
			ui.win.Canvas().Focus(c)
			c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			settle(ui)
			mustShow(t, ui, "SMITH, Richard", "Born 04-Mar-1957   NHS 999 000 0379", "Bed 2, Ward 7 - Acute Medicine", "Record observations", "Back")
		})
	}
}
