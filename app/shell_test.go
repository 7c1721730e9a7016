package app

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

var (
	desktop = fyne.NewSize(1280, 800)
	phone   = fyne.NewSize(390, 844)
)

// newTestShell returns a shell in a test window of the given size, with the
// Lifeboat theme.
func newTestShell(t *testing.T, s Status, size fyne.Size) (*Shell, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	w := test.NewTempWindow(t, nil)
	sh := NewShell(w, s)
	w.Resize(size)
	return sh, w
}

// shownTexts returns every visible piece of text on the window's canvas.
func shownTexts(w fyne.Window) []string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if t, ok := o.(*canvas.Text); ok && t.Visible() && t.Text != "" {
			out = append(out, t.Text)
		}
	}
	return out
}

func TestShell_Shows(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			sh, w := newTestShell(t, Status{Ward: "Ward 7B"}, size)
			if size == phone {
				sh.Banner().SetOpen(true) // the status items show on a tap
			}
			got := shownTexts(w)
			for _, want := range []string{
				"DOWNTIME MODE", "Ward 7B", "Not signed in", "Sync: off",
				"Patient data: no snapshot imported", "No patients yet",
			} {
				if !slices.Contains(got, want) {
					t.Errorf("shown texts = %q, want %q among them", got, want)
				}
			}
		})
	}
}

func TestShell_Update(t *testing.T) {
	sh, w := newTestShell(t, Status{}, desktop)
	if got := shownTexts(w); !slices.Contains(got, "No ward set up") {
		t.Errorf("shown texts = %q, want %q among them", got, "No ward set up")
	}
	at := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	sh.Update(Status{Ward: "Critical Care", User: "Sam Jones", Sync: SyncOn, Peers: 2, SnapshotAt: at})
	got := shownTexts(w)
	for _, want := range []string{
		"Critical Care", "Signed in: Sam Jones", "Sync: on, 2 other devices",
		"Patient data as of 22-Nov-2026 06:00",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("after Update, shown texts = %q, want %q among them", got, want)
		}
	}
	for _, stale := range []string{"No ward set up", "Not signed in", "Sync: off"} {
		if slices.Contains(got, stale) {
			t.Errorf("after Update, shown texts = %q, still showing %q", got, stale)
		}
	}
	if got := sh.Banner().Status().User; got != "Sam Jones" {
		t.Errorf("Banner().Status().User = %q, want %q", got, "Sam Jones")
	}
}

// TestBanner_Layout checks the banner is one line on a desktop, stacks on a
// phone tapped open, and never draws outside the window.
func TestBanner_Layout(t *testing.T) {
	s := Status{Ward: "Ward 7B", User: "Sam Jones", Sync: SyncOn, Peers: 3,
		SnapshotAt: time.Date(2026, 11, 22, 7, 40, 0, 0, time.UTC)}
	for _, tt := range []struct {
		size     fyne.Size
		stacked  bool
		wardDown bool // ward below the title: too narrow for both
	}{{desktop, false, false}, {fyne.NewSize(700, 600), true, false}, {phone, true, false}, {fyne.NewSize(320, 568), true, true}} {
		t.Run(sizeName(tt.size), func(t *testing.T) {
			sh, w := newTestShell(t, s, tt.size)
			b := sh.Banner()
			if tt.size.Width < NarrowWidth {
				test.Tap(b)
				w.Content().Refresh()
			}
			if b.Size().Width != tt.size.Width {
				t.Errorf("banner width = %v, want the window's %v", b.Size().Width, tt.size.Width)
			}
			titleY := b.title.Position().Y
			for _, txt := range []*canvas.Text{b.user, b.sync, b.asOf} {
				below := txt.Position().Y > titleY+b.title.Size().Height
				if below != tt.stacked {
					t.Errorf("%q at y=%v, title at y=%v: below the title = %v, want %v",
						txt.Text, txt.Position().Y, titleY, below, tt.stacked)
				}
				if right := txt.Position().X + txt.Size().Width; right > tt.size.Width {
					t.Errorf("%q ends at x=%v, beyond the window's %v", txt.Text, right, tt.size.Width)
				}
				if bottom := txt.Position().Y + txt.Size().Height; bottom > b.Size().Height {
					t.Errorf("%q ends at y=%v, below the banner's %v", txt.Text, bottom, b.Size().Height)
				}
			}
			if down := b.ward.Position().Y > titleY+b.title.Size().Height; down != tt.wardDown {
				t.Errorf("ward at y=%v, title at y=%v: below the title = %v, want %v", b.ward.Position().Y, titleY, down, tt.wardDown)
			}
			if right := b.ward.Position().X + b.ward.Size().Width; right > tt.size.Width {
				t.Errorf("ward ends at x=%v, beyond the window's %v", right, tt.size.Width)
			}
		})
	}
	// A long ward name moves below the title rather than off the screen.
	sh, w := newTestShell(t, Status{Ward: "Acute Medical Unit (AMU) North"}, phone)
	b := sh.Banner()
	b.SetOpen(true)
	w.Content().Refresh()
	if right := b.ward.Position().X + b.ward.Size().Width; right > phone.Width {
		t.Errorf("long ward name ends at x=%v, beyond the phone's %v", right, phone.Width)
	}
	if b.ward.Position().Y <= b.title.Position().Y {
		t.Errorf("long ward name at y=%v, want it below the title (y=%v)", b.ward.Position().Y, b.title.Position().Y)
	}

	// Closed, a phone's banner is one line, lower than the desktop's.
	if d, p := heightAt(t, s, desktop), heightAt(t, s, phone); p >= d || p < MinTouchTarget {
		t.Errorf("closed banner height on a phone = %v, want less than the desktop's %v and at least %v (it is tapped)", p, d, MinTouchTarget)
	}
}

// On a phone the banner is one line until tapped: the title in its badge
// and the ward cut to fit beside it, and nothing drawn outside it; a tap
// shows who is signed in, sync and the data's age, a second hides them.
func TestBanner_PhoneCompact(t *testing.T) {
	s := Status{Ward: "Acute Medical Unit (AMU) North", User: "Sam Jones", Sync: SyncOn, Peers: 3,
		SnapshotAt: time.Date(2026, 11, 22, 7, 40, 0, 0, time.UTC)}
	for _, drill := range []bool{false, true} {
		s.Drill = drill
		sh, w := newTestShell(t, s, phone)
		b := sh.Banner()
		title := map[bool]string{false: BannerTitle, true: DrillTitle}[drill]
		got := shownTexts(w)
		if !slices.Contains(got, title) {
			t.Errorf("drill %v: closed banner shows %q, want the title %q", drill, got, title)
		}
		for _, hidden := range []string{"Signed in: Sam Jones", "Sync: on, 3 other devices"} {
			if slices.Contains(got, hidden) {
				t.Errorf("drill %v: closed banner shows %q", drill, hidden)
			}
		}
		if h := b.Size().Height; h > 2*MinTouchTarget {
			t.Errorf("drill %v: closed banner height %v, want one line (<= %v)", drill, h, 2*MinTouchTarget)
		}
		for _, o := range []fyne.CanvasObject{b.badge, b.title, b.ward, b.more} {
			p, sz := o.Position(), o.Size()
			if p.X+sz.Width > phone.Width || p.Y+sz.Height > b.Size().Height || p.Y < 0 {
				t.Errorf("drill %v: %T at %v size %v outside the banner %v", drill, o, p, sz, b.Size())
			}
		}
		if !drill && !strings.HasPrefix(b.ward.Text, "Acute Medical") {
			t.Errorf("closed banner ward %q, want the ward's name cut to fit", b.ward.Text)
		}
		closed := b.Size().Height
		test.Tap(b)
		w.Content().Refresh()
		got = shownTexts(w)
		for _, want := range []string{title, "Acute Medical Unit (AMU) North", "Signed in: Sam Jones", "Sync: on, 3 other devices", "Patient data as of 22-Nov-2026 07:40"} {
			if !slices.Contains(got, want) {
				t.Errorf("drill %v: open banner shows %q, want %q", drill, got, want)
			}
		}
		if b.Size().Height <= closed {
			t.Errorf("drill %v: open banner height %v, want more than closed %v", drill, b.Size().Height, closed)
		}
		test.Tap(b)
		w.Content().Refresh()
		if slices.Contains(shownTexts(w), "Signed in: Sam Jones") || b.Size().Height != closed {
			t.Errorf("drill %v: a second tap left the banner open", drill)
		}
	}
}

// On a phone the banner and the Back and title row take little of the
// screen (they took 255 of 844 units): the screen starts within 110.
func TestPhone_ChromeIsCompact(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	relayout(ui)
	top := ui.frame.body.Position().Y + fyne.CurrentApp().Driver().AbsolutePositionForObject(ui.frame.body).Y - ui.frame.body.Position().Y
	if top > 110 {
		t.Errorf("patient screen starts at y=%v on a phone, want <= 110", top)
	}
	mustShow(t, ui, "DOWNTIME MODE", "Back", "Patient", "NEWS2 13")
}

func heightAt(t *testing.T, s Status, size fyne.Size) float32 {
	sh, _ := newTestShell(t, s, size)
	return sh.Banner().Size().Height
}

func TestTheme_TouchTargets(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	b := widget.NewButton("Record observations", func() {})
	if h := b.MinSize().Height; h < MinTouchTarget {
		t.Errorf("button MinSize().Height = %v, want at least %v", h, MinTouchTarget)
	}
	e := widget.NewEntry()
	if h := e.MinSize().Height; h < MinTouchTarget {
		t.Errorf("entry MinSize().Height = %v, want at least %v", h, MinTouchTarget)
	}
}

func TestShell_Golden(t *testing.T) {
	s := Status{Ward: "Ward 7B", SnapshotAt: time.Date(2026, 11, 22, 7, 40, 0, 0, time.UTC)}
	for _, tt := range []struct {
		file string
		size fyne.Size
	}{{"shell_desktop.png", desktop}, {"shell_phone.png", phone}} {
		t.Run(tt.file, func(t *testing.T) {
			_, w := newTestShell(t, s, tt.size)
			img := w.Canvas().Capture()
			if *update {
				writePNG(t, filepath.Join("testdata", tt.file), img)
			}
			test.AssertImageMatches(t, tt.file, img)
		})
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func sizeName(s fyne.Size) string {
	return strconv.Itoa(int(s.Width)) + "x" + strconv.Itoa(int(s.Height))
}
