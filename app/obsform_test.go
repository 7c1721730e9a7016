package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/mobile"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// absRect is o's top and bottom on the window.
func absRect(o fyne.CanvasObject) (top, bottom float32) {
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return p.Y, p.Y + o.Size().Height
}

// formScroll returns the scroll that holds the observation fields.
func formScroll(t *testing.T, ui *UI) *container.Scroll {
	t.Helper()
	resp := entry(t, ui, "breaths/min")
	for _, o := range objects(ui) {
		s, ok := o.(*container.Scroll)
		if !ok {
			continue
		}
		for _, in := range test.LaidOutObjects(s) {
			if fe, ok := in.(*focusEntry); ok && &fe.Entry == resp {
				return s
			}
		}
	}
	t.Fatal("no scroll holds the observation fields")
	return nil
}

// inScroll reports whether o is wholly inside the visible part of s.
func inScroll(s *container.Scroll, o fyne.CanvasObject) bool {
	st, sb := absRect(s)
	ot, ob := absRect(o)
	return ot >= st && ob <= sb
}

// onWindow reports whether o is wholly inside the window.
func onWindow(ui *UI, o fyne.CanvasObject) bool {
	top, bottom := absRect(o)
	return top >= 0 && bottom <= ui.win.Canvas().Size().Height
}

// scoreBar returns the phone's one-line NEWS2 bar.
func scoreBar(t *testing.T, ui *UI) *Card {
	t.Helper()
	for _, o := range objects(ui) {
		if c, ok := o.(*Card); ok && cardShows(c, "NEWS2") {
			return c
		}
	}
	t.Fatalf("no NEWS2 score bar on screen %q", texts(ui))
	return nil
}

// Save is on screen whatever the scroll, at both sizes; on a desktop the
// whole set, ACVPU included, is in view without scrolling; on a phone the
// score is a one-line bar that opens on a tap, leaving most of the screen
// to the fields.
func TestObsForm_Layout(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			tap(t, ui, "Record observations")
			relayout(ui)
			s := formScroll(t, ui)
			for _, at := range []string{"top", "bottom"} {
				if at == "bottom" {
					s.ScrollToBottom()
				}
				if b := button(t, ui, "Save observations"); !onWindow(ui, b) {
					top, bottom := absRect(b)
					t.Errorf("scrolled to the %s, Save is at %v-%v, off the %v window", at, top, bottom, ui.win.Canvas().Size())
				}
			}
			s.ScrollToTop()
			_, sh := absRect(s)
			st, _ := absRect(s)
			t.Logf("fields get %v px of %v", sh-st, size.Height)
			if size == desktop {
				rs := radios(ui)
				if len(rs) != 2 || !inScroll(s, rs[1]) {
					t.Errorf("ACVPU is below the fold at 1280x800")
				}
				mustShow(t, ui, "Next observations due by")
				return
			}
			if sh-st < 260 {
				t.Errorf("fields get %v px on a phone, want at least 260 (were about 180)", sh-st)
			}
			bar := scoreBar(t, ui)
			if h := bar.Size().Height; h > 64 {
				t.Errorf("score bar %v px high, want one line", h)
			}
			if shows(ui, "Next observations due by") {
				t.Error("score details open before a tap")
			}
			test.Tap(bar)
			mustShow(t, ui, "Next observations due by", "Incomplete observations")
			test.Tap(bar)
			if shows(ui, "Next observations due by") {
				t.Error("score details still open after a second tap")
			}
		})
	}
}

// Whole-number readings ask a phone for its number pad; temperature and
// oxygen flow, which need a decimal point, keep the text keyboard.
func TestObsForm_NumberKeyboard(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
	tap(t, ui, "Record observations")
	want := map[string]mobile.KeyboardType{
		"breaths/min": mobile.NumberKeyboard, "%": mobile.NumberKeyboard, "mmHg (top": mobile.NumberKeyboard,
		"mmHg (bottom": mobile.NumberKeyboard, "beats/min": mobile.NumberKeyboard, "°C": mobile.SingleLineKeyboard,
	}
	for ph, kb := range want {
		var got mobile.KeyboardType = -1
		for _, o := range objects(ui) {
			if fe, ok := o.(*focusEntry); ok && strings.HasPrefix(fe.PlaceHolder, ph) {
				got = fe.Keyboard()
			}
		}
		if got != kb {
			t.Errorf("keyboard for %q = %v, want %v", ph, got, kb)
		}
	}
}

// The time is picked from a list of the last hours; nothing typed can
// land in it. An older time is typed only after choosing Earlier, and a
// draft keeps either.
func TestObsForm_TimeChosen(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	old := mustObs(t, db, id)
	tap(t, ui, "Record observations")
	when := choose(t, ui, "Time taken")
	if len(when.Options) < 70 || when.Options[0] != "22-Nov-2026 09:00" || !slices.Contains(when.Options, "22-Nov-2026 03:00") ||
		when.Options[len(when.Options)-1] != optEarlier {
		t.Fatalf("time choices %q, want now, every 5 minutes back 6 hours, then %q", when.Options, optEarlier)
	}
	for _, o := range objects(ui) {
		if e, ok := o.(*focusEntry); ok && e.PlaceHolder == "DD-Mmm-YYYY HH:MM" {
			t.Fatal("a typed time field is on screen before Earlier is chosen")
		}
	}
	when.SetSelected(optEarlier)
	e := entry(t, ui, "DD-Mmm-YYYY HH:MM")
	if ui.win.Canvas().Focused() == nil {
		t.Error("Earlier does not put the keyboard in the time")
	}
	e.SetText("")
	test.Type(e, "21-Nov-2026 23:40")
	tap(t, ui, "Back")
	tap(t, ui, "Record observations")
	if got := choose(t, ui, "Time taken").Selected; got != "21-Nov-2026 23:40" {
		t.Errorf("time after coming back = %q, want the draft's typed time among the choices", got)
	}
	fillObs(t, ui, "18", "97", "120", "80", "72", "37.1", optAir, "A")
	tap(t, ui, "Save observations")
	got := added(t, old, mustObs(t, db, id))
	if !got.PerformedAt.Equal(time.Date(2026, 11, 21, 23, 40, 0, 0, time.UTC)) {
		t.Errorf("performed at %v, want 21-Nov 23:40 as typed", got.PerformedAt)
	}
}

// focusType focuses the entry with placeholder ph as a tap would (the field
// before it loses the focus) and types text.
func focusType(t *testing.T, ui *UI, ph, text string) {
	t.Helper()
	e := entry(t, ui, ph)
	for _, o := range objects(ui) {
		if fe, ok := o.(*focusEntry); ok && &fe.Entry == e {
			ui.win.Canvas().Focus(fe)
			test.Type(fe, text)
			settle(ui)
			return
		}
	}
	t.Fatalf("entry %q is not a form field", ph)
}

// Implausible readings are flagged while typing, before Save: at once
// when already too high; a too-low reading once the person moves on (so
// the first digit of 37 is not flagged).
func TestObsForm_ImplausibleFlaggedAsTyped(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "smith", "SMITH, Richard")
			tap(t, ui, "Record observations")
			focusType(t, ui, "beats/min", "400")
			mustShow(t, ui, "Pulse must be between 0 and 300 per minute", "in red")
			focusType(t, ui, "°C", "2")
			if shows(ui, "emperature must") || shows(ui, "temperature of") {
				t.Errorf("temperature flagged on its first digit: %q", texts(ui))
			}
			test.Type(entry(t, ui, "°C"), "5")
			focusType(t, ui, "breaths/min", "18") // moves on from the temperature
			mustShow(t, ui, "A temperature of 25.0 °C is unusual: check and confirm")
			if shows(ui, "Put right the problems") {
				t.Error("the Save message shows before Save was tried")
			}
			e := entry(t, ui, "beats/min")
			e.SetText("80")
			if shows(ui, "Pulse must be between") || shows(ui, "in red") {
				t.Errorf("pulse problem still shown after the fix: %q", texts(ui))
			}
		})
	}
}

// Save with a problem scrolls the form to it: on a phone it may be a
// screen away from Save.
func TestObsForm_SaveScrollsToProblem(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	before := len(mustObs(t, db, id))
	tap(t, ui, "Record observations")
	fillObs(t, ui, "18", "97", "120", "130", "80", "37", optAir, "A") // diastolic above systolic
	relayout(ui)
	s := formScroll(t, ui)
	s.ScrollToBottom()
	tap(t, ui, "Save observations")
	relayout(ui)
	var prob fyne.CanvasObject
	for _, o := range objects(ui) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, "must be lower than systolic") {
			prob = l
		}
	}
	if prob == nil {
		t.Fatalf("no problem shown after Save: %q", texts(ui))
	}
	if !inScroll(s, prob) {
		top, bottom := absRect(prob)
		st, sb := absRect(s)
		t.Errorf("problem at %v-%v, outside the fields' view %v-%v", top, bottom, st, sb)
	}
	if n := len(mustObs(t, db, id)); n != before {
		t.Errorf("store holds %d sets after a blocked save, want %d", n, before)
	}
}

// TestObsForm_Golden renders the observation form empty, while typing and
// with a problem, at desktop and phone sizes. Refresh with -update.
func TestObsForm_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			tap(t, ui, "Record observations")
			golden(t, ui, "obsform_empty_"+sizeSuffix(size))
			focusType(t, ui, "breaths/min", "22")
			focusType(t, ui, "%", "95")
			radios(ui)[0].SetSelected(optAir)
			golden(t, ui, "obsform_typing_"+sizeSuffix(size))
			// Fyne's test painter does not clip an entry inside a scrolled
			// form, so the problem shown is near the top: a respiration
			// rate that cannot be, flagged as it is typed.
			e := entry(t, ui, "breaths/min")
			e.SetText("")
			focusType(t, ui, "breaths/min", "90")
			formScroll(t, ui).ScrollToTop()
			golden(t, ui, "obsform_problem_"+sizeSuffix(size))
		})
	}
}

// keys drives the focused widget as a keyboard would and counts the
// keystrokes: "\t" is Tab, any other rune is typed into the focus.
type keys struct {
	t  *testing.T
	ui *UI
	n  int
}

func (k *keys) press(s string) {
	k.t.Helper()
	c := k.ui.win.Canvas()
	for _, r := range s {
		k.n++
		if r == '\t' {
			test.FocusNext(c)
			continue
		}
		f := c.Focused()
		if f == nil {
			k.t.Fatalf("keystroke %d (%q): nothing has the focus", k.n, r)
		}
		f.TypedRune(r)
	}
	settle(k.ui)
}

// A full set at 1280x800 with the keyboard, as scripts/smoke.sh records
// it: a click on Record observations, the readings typed with Tab between
// them, Space for Air and for A, and a click on Save, which is in view.
// Flow and device, shown only on oxygen, are no longer Tab stops on air.
func TestObsForm_DesktopKeystrokes(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	old := mustObs(t, db, id)
	clicks := 1
	tap(t, ui, "Record observations")
	k := &keys{t: t, ui: ui}
	k.press("18\t96\t")    // respiration rate, SpO2
	k.press(" \t\t")       // Air (not Oxygen)
	k.press("120\t75\t")   // blood pressure
	k.press("80\t37.1\t ") // pulse, temperature, A of ACVPU
	relayout(ui)
	save := button(t, ui, "Save observations")
	if !onWindow(ui, save) {
		t.Fatal("Save is off screen after the set is typed")
	}
	clicks++
	tap(t, ui, "Save observations")
	got := added(t, old, mustObs(t, db, id))
	o := got.Obs
	if *o.RespRate != 18 || *o.SpO2 != 96 || *o.OnOxygen || *o.Systolic != 120 || *o.Diastolic != 75 || *o.Pulse != 80 ||
		*o.TempC != 37.1 || o.Consciousness != "A" {
		t.Errorf("saved %+v, want the set as typed", o)
	}
	t.Logf("a full set at 1280x800: %d clicks, %d keystrokes", clicks, k.n)
	if clicks != 2 || k.n != 25 {
		t.Errorf("a full set took %d clicks and %d keystrokes, want 2 and 25", clicks, k.n)
	}
}

// A full set on a phone, counted: a tap on each reading (its number pad
// comes up) and the digits, a tap for Air and for A, and Save, which is
// always on screen; a swipe (most of a screen) whenever the next field is
// not in view.
func TestObsForm_PhoneTaps(t *testing.T) {
	ui, db, _ := newTestUI(t, phone)
	id := openPatient(t, ui, db, "smith", "SMITH, Richard")
	old := mustObs(t, db, id)
	taps, keystrokes, swipes := 1, 0, 0
	tap(t, ui, "Record observations")
	relayout(ui)
	s := formScroll(t, ui)
	// bring swipes o into view as a thumb would: each swipe moves the
	// form up by at most 80% of its view, no further than o's top.
	bring := func(o fyne.CanvasObject) {
		t.Helper()
		for i := 0; !inScroll(s, o); i++ {
			if i > 20 {
				t.Fatalf("cannot swipe %T into view", o)
			}
			ot, _ := absRect(o)
			st, _ := absRect(s)
			step := min(ot-st, s.Size().Height*0.8)
			if step <= 0 {
				t.Fatalf("%T is above the view", o)
			}
			s.ScrollToOffset(fyne.NewPos(0, s.Offset.Y+step))
			relayout(ui)
			swipes++
		}
	}
	for _, r := range []struct{ ph, v string }{
		{"breaths/min", "18"}, {"%", "96"}, {"", ""}, {"mmHg (top", "120"}, {"mmHg (bottom", "75"}, {"beats/min", "80"}, {"°C", "37.1"},
	} {
		if r.ph == "" { // Air
			bring(radios(ui)[0])
			radios(ui)[0].SetSelected(optAir)
			taps++
			continue
		}
		var e fyne.CanvasObject
		for _, o := range objects(ui) {
			if fe, ok := o.(*focusEntry); ok && strings.HasPrefix(fe.PlaceHolder, r.ph) {
				e = fe
			}
		}
		bring(e)
		taps++
		focusType(t, ui, r.ph, r.v)
		keystrokes += len([]rune(r.v))
		relayout(ui)
	}
	acvpu := radios(ui)[1]
	bring(acvpu)
	acvpu.SetSelected(acvpuOptions[0])
	taps++
	if !onWindow(ui, button(t, ui, "Save observations")) {
		t.Fatal("Save is off screen")
	}
	taps++
	tap(t, ui, "Save observations")
	if got := added(t, old, mustObs(t, db, id)).Obs; got.Consciousness != "A" || *got.Pulse != 80 {
		t.Errorf("saved %+v, want the set as typed", got)
	}
	t.Logf("a full set at 390x844: %d taps, %d keystrokes, %d swipes", taps, keystrokes, swipes)
}

// On a desktop the two blood pressures sit side by side, top then
// bottom, and the systolic's score comes after both (it sat between the
// boxes, as if it scored the diastolic).
func TestObsForm_DesktopBloodPressureTogether(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "hughes", "HUGHES, Gareth")
			tap(t, ui, "Record observations")
			focusType(t, ui, "mmHg (top)", "105")
			focusType(t, ui, "mmHg (bottom)", "70")
			relayout(ui)
			d := fyne.CurrentApp().Driver()
			field := func(ph string) *focusEntry {
				e := entry(t, ui, ph)
				for _, o := range objects(ui) {
					if fe, ok := o.(*focusEntry); ok && &fe.Entry == e {
						return fe
					}
				}
				t.Fatalf("entry %q is not a form field", ph)
				return nil
			}
			sys, dia := field("mmHg (top)"), field("mmHg (bottom)")
			var sysScore *widget.Label
			for _, o := range objects(ui) {
				if l, ok := o.(*widget.Label); ok && l.Text == "Score 1" {
					if ly, sy := d.AbsolutePositionForObject(l).Y, d.AbsolutePositionForObject(sys).Y; ly >= sy-4 && ly <= sy+sys.Size().Height {
						sysScore = l
					}
				}
			}
			if sysScore == nil {
				t.Fatalf("no systolic \"Score 1\" on the systolic's line; screen shows %q", texts(ui))
			}
			sp, dp, lp := d.AbsolutePositionForObject(sys), d.AbsolutePositionForObject(dia), d.AbsolutePositionForObject(sysScore)
			if size == phone {
				if dp.Y <= sp.Y {
					t.Errorf("phone: diastolic at y=%v, want below systolic at y=%v (one field a row)", dp.Y, sp.Y)
				}
				golden(t, ui, "obsform_bp_phone")
				return
			}
			if dp.Y != sp.Y || dp.X <= sp.X {
				t.Errorf("diastolic at %v, systolic at %v: want them side by side, systolic first", dp, sp)
			}
			if lp.X < dp.X+dia.Size().Width {
				t.Errorf("systolic score at x=%v, want after the diastolic box (ends at %v)", lp.X, dp.X+dia.Size().Width)
			}
			golden(t, ui, "obsform_bp_desktop")
		})
	}
}
