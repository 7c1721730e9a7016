package app

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

// demoNow is the demo ward's "now": the seed spreads a day of care before it.
var demoNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// testClock is a settable clock for the UI.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time          { return c.t }
func (c *testClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// mustDemoStore returns the demo ward in a temp dir, opened locked.
func mustDemoStore(t *testing.T, clock *testClock) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lifeboat.db")
	if err := cli.SeedDemo(t.Context(), path, store.TestKDF, demoNow); err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	db, err := store.Open(t.Context(), path, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newTestUI returns a UI over the demo ward in a test window of size.
func newTestUI(t *testing.T, size fyne.Size) (*UI, *store.DB, *testClock) {
	t.Helper()
	clock := &testClock{t: demoNow}
	db := mustDemoStore(t, clock)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(size)
	ui := newUI(fyne.CurrentApp(), w, db, Options{Now: clock.Now, IdleLock: 5 * time.Minute})
	t.Cleanup(ui.Close)
	w.Resize(size)
	return ui, db, clock
}

// settle waits for every Run in flight and delivers store changes, as the
// watch goroutine would, until nothing is left to do.
func settle(ui *UI) {
	for {
		ui.tasks.Wait()
		select {
		case <-ui.changes:
			ui.reload()
		default:
			return
		}
	}
}

// objects returns every visible object on the window.
func objects(ui *UI) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, o := range test.LaidOutObjects(ui.win.Canvas().Content()) {
		if o.Visible() {
			out = append(out, o)
		}
	}
	for _, ov := range ui.win.Canvas().Overlays().List() {
		out = append(out, test.LaidOutObjects(ov)...)
	}
	return out
}

// texts returns every visible piece of text on the window.
func texts(ui *UI) []string {
	var out []string
	for _, o := range objects(ui) {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			out = append(out, t.Text)
		}
	}
	return out
}

// shows reports whether some visible text contains want.
func shows(ui *UI, want string) bool {
	return slices.ContainsFunc(texts(ui), func(s string) bool { return strings.Contains(s, want) })
}

func mustShow(t *testing.T, ui *UI, want ...string) {
	t.Helper()
	for _, w := range want {
		if !shows(ui, w) {
			t.Errorf("screen shows %q, want %q among them", texts(ui), w)
		}
	}
}

// button finds the visible button whose text starts with label.
func button(t *testing.T, ui *UI, label string) *widget.Button {
	t.Helper()
	for _, o := range objects(ui) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, label) {
			return b
		}
	}
	t.Fatalf("no button %q on screen %q", label, texts(ui))
	return nil
}

// tap taps the button labelled label and lets the work it starts finish.
func tap(t *testing.T, ui *UI, label string) {
	t.Helper()
	test.Tap(button(t, ui, label))
	settle(ui)
}

// entry finds the visible entry whose placeholder starts with ph.
func entry(t *testing.T, ui *UI, ph string) *widget.Entry {
	t.Helper()
	for _, o := range objects(ui) {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, ph) {
			return e
		}
	}
	t.Fatalf("no entry %q on screen %q", ph, texts(ui))
	return nil
}

// typePIN taps the PIN pad keys.
func typePIN(t *testing.T, ui *UI, pin string) {
	t.Helper()
	for _, d := range pin {
		test.Tap(button(t, ui, string(d)))
	}
}

// signInAs unlocks the demo ward and signs in as name with pin.
func signInAs(t *testing.T, ui *UI, name, pin string) {
	t.Helper()
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	tap(t, ui, name)
	typePIN(t, ui, pin)
	tap(t, ui, "Sign in")
	if ui.Session() == nil {
		t.Fatalf("not signed in as %s; screen shows %q", name, texts(ui))
	}
}
