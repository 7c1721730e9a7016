package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

// demoSeed is the demo ward, seeded once per test run and copied per test.
var demoSeed struct {
	once sync.Once
	data []byte
	mark []byte
	err  error
}

// mustDemoStore returns a fresh copy of the demo ward in a temp dir,
// opened locked.
func mustDemoStore(t *testing.T, clock *testClock) *store.DB {
	t.Helper()
	demoSeed.once.Do(func() {
		dir, err := os.MkdirTemp("", "lifeboat-app-test")
		if err != nil {
			demoSeed.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "lifeboat.db")
		if demoSeed.err = cli.SeedDemo(context.Background(), path, store.TestKDF, demoNow); demoSeed.err == nil {
			demoSeed.data, demoSeed.err = os.ReadFile(path)
		}
		if demoSeed.err == nil {
			// The high-water mark goes with it: a store found without
			// its mark is taken for a copy and records nothing.
			demoSeed.mark, demoSeed.err = os.ReadFile(path + store.MarkSuffix)
		}
	})
	if demoSeed.err != nil {
		t.Fatalf("SeedDemo: %v", demoSeed.err)
	}
	path := filepath.Join(t.TempDir(), "lifeboat.db")
	if err := os.WriteFile(path, demoSeed.data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+store.MarkSuffix, demoSeed.mark, 0o600); err != nil {
		t.Fatal(err)
	}
	// The seed's events are stamped with the real time, while the tests'
	// clock stands at demoNow: no clock bound, or events from a peer
	// store on the real time would be held as far ahead.
	db, err := store.Open(t.Context(), path, store.Options{Now: clock.Now, MaxClockAhead: 100 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newTestUI returns a UI over the demo ward in a test window of size.
func newTestUI(t *testing.T, size fyne.Size) (*UI, *store.DB, *testClock) {
	t.Helper()
	return newTestUIWith(t, size, Options{})
}

// newTestUIWith is newTestUI with options (its clock and idle lock are
// the test's own).
func newTestUIWith(t *testing.T, size fyne.Size, opts Options) (*UI, *store.DB, *testClock) {
	t.Helper()
	clock := &testClock{t: demoNow}
	db := mustDemoStore(t, clock)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(size)
	opts.Now, opts.IdleLock = clock.Now, 5*time.Minute
	ui := newUI(fyne.CurrentApp(), w, db, opts, testDo.add)
	t.Cleanup(ui.Close)
	w.Resize(size)
	settle(ui)
	return ui, db, clock
}

// doQueue holds what the UI hands to Fyne's goroutine, for settle to run
// on the test goroutine.
type doQueue struct {
	mu sync.Mutex
	fs []func()
}

var testDo doQueue

func (q *doQueue) add(f func()) {
	q.mu.Lock()
	q.fs = append(q.fs, f)
	q.mu.Unlock()
}

func (q *doQueue) take() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	fs := q.fs
	q.fs = nil
	return fs
}

// settle waits for every Run in flight, runs their results and delivers
// store changes, as Fyne and the watch goroutine would, until nothing is
// left to do.
func settle(ui *UI) {
	for {
		ui.tasks.Wait()
		fs := testDo.take()
		for _, f := range fs {
			f()
		}
		if len(fs) > 0 {
			continue
		}
		select {
		case <-ui.changes:
			ui.reload()
		default:
			return
		}
	}
}

func TestMain(m *testing.M) {
	// Goldens and shown times are in UTC whatever the machine's zone.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// objects returns every visible object on the window, the dialogs on top
// of it first, skipping anything inside a hidden object.
func objects(ui *UI) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
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
	ovs := ui.win.Canvas().Overlays().List()
	for i := len(ovs) - 1; i >= 0; i-- {
		walk(ovs[i])
	}
	walk(ui.win.Canvas().Content())
	return out
}

// texts returns every visible piece of text on the window.
func texts(ui *UI) []string {
	var out []string
	for _, o := range objects(ui) {
		switch t := o.(type) {
		case *canvas.Text:
			if t.Text != "" {
				out = append(out, t.Text)
			}
		case *widget.Label:
			// A wrapped label draws one canvas.Text per line; its whole
			// text is what the person reads.
			if t.Wrapping != fyne.TextWrapOff && strings.Contains(t.Text, " ") {
				out = append(out, t.Text)
			}
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

// visible finds the first visible widget of type W that match accepts,
// or fails the test naming what (such as `button "Save"`).
func visible[W fyne.CanvasObject](t *testing.T, ui *UI, what string, match func(W) bool) W {
	t.Helper()
	for _, o := range objects(ui) {
		if w, ok := o.(W); ok && match(w) {
			return w
		}
	}
	t.Fatalf("no %s on screen %q", what, texts(ui))
	var none W
	return none
}

// button finds the visible button whose text starts with label.
func button(t *testing.T, ui *UI, label string) *widget.Button {
	t.Helper()
	return visible(t, ui, fmt.Sprintf("button %q", label), func(b *widget.Button) bool { return strings.HasPrefix(b.Text, label) })
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
		if fe, ok := o.(*focusEntry); ok {
			o = &fe.Entry
		}
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

// sizeSuffix names a test size in golden file names.
func sizeSuffix(s fyne.Size) string {
	if s == phone {
		return "phone"
	}
	return "desktop"
}

// golden compares the window with testdata/<name>.png (rewritten with
// -update; look at it after).
func golden(t *testing.T, ui *UI, name string) {
	t.Helper()
	relayout(ui)
	img := ui.win.Canvas().Capture()
	file := name + ".png"
	if *update {
		writePNG(t, filepath.Join("testdata", file), img)
	}
	test.AssertImageMatches(t, file, img)
}

// choose finds the visible select whose placeholder starts with ph.
func choose(t *testing.T, ui *UI, ph string) *widget.Select {
	t.Helper()
	return visible(t, ui, fmt.Sprintf("choice %q", ph), func(s *widget.Select) bool { return strings.HasPrefix(s.PlaceHolder, ph) })
}

// cardShows reports whether some text drawn inside c contains text.
func cardShows(c *Card, text string) bool {
	for _, in := range test.LaidOutObjects(c) {
		if txt, ok := in.(*canvas.Text); ok && strings.Contains(txt.Text, text) {
			return true
		}
	}
	return false
}

// newDrillUI is the UI at size over a freshly seeded drill (training)
// store, locked.
func newDrillUI(t *testing.T, size fyne.Size) *UI {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lifeboat.db")
	if err := cli.SeedDrill(context.Background(), path, store.TestKDF, demoNow); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: demoNow}
	// The seed's events are stamped with the real time, while the tests'
	// clock stands at demoNow: no clock bound, or events from a peer
	// store on the real time would be held as far ahead.
	db, err := store.Open(t.Context(), path, store.Options{Now: clock.Now, MaxClockAhead: 100 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(size)
	ui := newUI(fyne.CurrentApp(), w, db, Options{Now: clock.Now}, testDo.add)
	t.Cleanup(ui.Close)
	settle(ui)
	return ui
}
