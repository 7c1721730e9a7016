package app

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store/storetest"
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
			mustShow(t, ui, "18 patients, in bed order", "Bed 2", "SMITH, Richard", "NEWS2 13", "OBS OVERDUE since 07:54", "Obs due 21:00")
			if size == phone {
				// A card names the patient in full; the desktop's table
				// keeps to one line and the patient screen does.
				mustShow(t, ui, "Born 04-Mar-1957", "NHS 999 000 0379")
			}
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

// wardRows returns the visible rows of the ward list in the order shown,
// each as the texts drawn on it joined by " | ".
func wardRows(ui *UI) []string {
	var out []string
	for _, o := range objects(ui) {
		c, ok := o.(*Card)
		if !ok {
			continue
		}
		var ts []string
		for _, in := range test.LaidOutObjects(c) {
			if txt, ok := in.(*canvas.Text); ok && txt.Text != "" {
				ts = append(ts, txt.Text)
			}
		}
		out = append(out, strings.Join(ts, " | "))
	}
	return out
}

// wardScroll returns the scroll holding the ward list's rows.
func wardScroll(t *testing.T, ui *UI) *container.Scroll {
	t.Helper()
	for _, o := range objects(ui) {
		s, ok := o.(*container.Scroll)
		if !ok {
			continue
		}
		for _, in := range test.LaidOutObjects(s) {
			if _, ok := in.(*Card); ok {
				return s
			}
		}
	}
	t.Fatalf("no scrolling list of patients on screen %q", texts(ui))
	return nil
}

// inView returns the rows of the ward list wholly inside its scroll's
// visible area, as a person sees them, as wardRows does.
func inView(t *testing.T, ui *UI) []string {
	t.Helper()
	s := wardScroll(t, ui)
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(s).Y
	bottom := top + s.Size().Height
	var out []string
	for _, o := range test.LaidOutObjects(s) {
		c, ok := o.(*Card)
		if !ok || !c.Visible() {
			continue
		}
		y := d.AbsolutePositionForObject(c).Y
		if y >= top-0.5 && y+c.Size().Height <= bottom+0.5 {
			var ts []string
			for _, in := range test.LaidOutObjects(c) {
				if txt, ok := in.(*canvas.Text); ok && txt.Text != "" {
					ts = append(ts, txt.Text)
				}
			}
			out = append(out, strings.Join(ts, " | "))
		}
	}
	return out
}

// The ward list at 1280x800 is a table, one line per patient, showing at
// least 12 patients without scrolling; a phone keeps a card per patient.
func TestWardList_CompactTableAtDesktop(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			relayout(ui)
			seen := inView(t, ui)
			t.Logf("%d patients visible at %v", len(seen), size)
			if size == desktop {
				mustShow(t, ui, "Bed", "Patient", "Born", "NHS number", "NEWS2", "Obs", "Doses due", "Flags")
				if len(seen) < 12 {
					t.Errorf("%d patients visible at 1280x800 without scrolling, want at least 12: %q", len(seen), seen)
				}
				// The identity check on one line: name, date of birth and
				// NHS number side by side (the table had dropped the last two).
				if !slices.ContainsFunc(seen, func(r string) bool {
					return strings.Contains(r, "Bed 1 | OKAFOR, Grace | 11-Feb-1948 | 999 000 0018 | NEWS2 0")
				}) {
					t.Errorf("rows in view %q, want Bed 1's with name, date of birth and NHS number", seen)
				}
				for _, c := range tableCells(t, ui, "OKAFOR, Grace") {
					if r := fyne.CurrentApp().Driver().AbsolutePositionForObject(c).X + c.Size().Width; r > desktop.Width {
						t.Errorf("%q ends at x=%v, beyond the window", c.Text, r)
					}
				}
				return
			}
			if slices.Contains(texts(ui), "Flags") {
				t.Errorf("phone shows the table's column names: %q", texts(ui))
			}
			mustShow(t, ui, "Born 11-Feb-1948") // a card: the identity line under the name
		})
	}
}

// Sickest first puts the two NEWS2-13 patients (beds 3 and 11) at the top;
// tapping it again goes back to bed order; the choice stays when the nurse
// opens a patient and comes back, or goes to another section and back.
func TestWardList_SickestFirst(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			mustShow(t, ui, "18 patients, in bed order")
			if rows := wardRows(ui); len(rows) != 18 || !strings.Contains(rows[0], "OKAFOR, Grace") {
				t.Fatalf("ward list in bed order starts %q, want OKAFOR, Grace (Bed 1) of 18", rows[:min(2, len(rows))])
			}
			tap(t, ui, "Sickest first")
			mustShow(t, ui, "18 patients, sickest first")
			rows := wardRows(ui)
			if len(rows) != 18 {
				t.Fatalf("sickest first lists %d patients, want 18", len(rows))
			}
			for i, want := range []string{"NOWAK, Piotr", "HUGHES, Gareth"} {
				if !strings.Contains(rows[i], want) || !strings.Contains(rows[i], "NEWS2 13") {
					t.Errorf("sickest first row %d = %q, want %s with NEWS2 13", i, rows[i], want)
				}
			}
			if !strings.Contains(rows[17], "NEWS2 0") {
				t.Errorf("sickest first ends with %q, want a NEWS2 0", rows[17])
			}
			relayout(ui)
			if seen := inView(t, ui); len(seen) < 2 || !strings.Contains(seen[0], "NOWAK") || !strings.Contains(seen[1], "HUGHES") {
				t.Errorf("first rows in view %q, want NOWAK and HUGHES", seen[:min(2, len(seen))])
			}

			test.Tap(card(t, ui, "HUGHES, Gareth"))
			settle(ui)
			tap(t, ui, "Back")
			mustShow(t, ui, "18 patients, sickest first")
			ui.ShowSection("beds")
			settle(ui)
			ui.ShowSection("ward")
			settle(ui)
			mustShow(t, ui, "18 patients, sickest first")
			if rows := wardRows(ui); !strings.Contains(rows[0], "NOWAK, Piotr") {
				t.Errorf("back on the ward list, first row %q, want NOWAK, Piotr", rows[0])
			}

			tap(t, ui, "Sickest first")
			mustShow(t, ui, "18 patients, in bed order")
			if rows := wardRows(ui); !strings.Contains(rows[0], "OKAFOR, Grace") {
				t.Errorf("back in bed order, first row %q, want OKAFOR, Grace", rows[0])
			}
		})
	}
}

// Each filter button counts its patients and lists only them; tapping it
// again lists everyone. At 09:00 only Bed 7's obs are overdue and no dose
// is due; at 11:30 the 12:00 round is due for every patient.
func TestWardList_Filters(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, clock := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			mustShow(t, ui, "Obs overdue (1)", "Doses due (0)", "Conflicts (0)")
			tap(t, ui, "Obs overdue")
			mustShow(t, ui, "1 of 18 patients match, in bed order")
			if rows := wardRows(ui); len(rows) != 1 || !strings.Contains(rows[0], "ADEYEMI, Tunde") || !strings.Contains(rows[0], "OBS OVERDUE since") {
				t.Errorf("obs overdue lists %q, want ADEYEMI, Tunde alone", rows)
			}
			// A filter and a search together.
			search := entry(t, ui, "Search name")
			search.SetText("smith")
			mustShow(t, ui, "0 of 18 patients match")
			search.SetText("")
			tap(t, ui, "Obs overdue")
			mustShow(t, ui, "18 patients, in bed order")
			if n := cards(ui); n != 18 {
				t.Errorf("filter off lists %d patients, want 18", n)
			}

			clock.Advance(2*time.Hour + 30*time.Minute)
			ui.ShowSection("ward")
			settle(ui)
			mustShow(t, ui, "Doses due (18)", "Obs overdue (3)")
			tap(t, ui, "Obs overdue")
			mustShow(t, ui, "3 of 18 patients match")
			// One filter at a time: Doses due replaces Obs overdue.
			tap(t, ui, "Doses due")
			mustShow(t, ui, "18 of 18 patients match")
			for _, r := range wardRows(ui) {
				if !strings.Contains(r, "1 dose due") {
					t.Errorf("doses due lists %q, which has no dose due", r)
				}
			}
			tap(t, ui, "Conflicts")
			mustShow(t, ui, "0 of 18 patients match")
			if n := cards(ui); n != 0 {
				t.Errorf("conflicts lists %d patients, want none", n)
			}
		})
	}
}

// Searching after scrolling down shows the matches, not "1 of 18 patients
// match" over an empty list: the list starts again at its top.
func TestWardList_SearchAfterScroll(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			relayout(ui)
			s := wardScroll(t, ui)
			s.ScrollToBottom()
			if s.Offset.Y == 0 {
				t.Fatal("the ward list did not scroll")
			}
			if seen := inView(t, ui); len(seen) == 0 || !strings.Contains(seen[len(seen)-1], "WRIGHT, Albert") {
				t.Fatalf("scrolled to the bottom, rows in view %q, want the last, WRIGHT, Albert", seen)
			}
			// Typed as a person types, one key at a time.
			test.Type(entry(t, ui, "Search name"), "smith")
			settle(ui)
			mustShow(t, ui, "1 of 18 patients match")
			if seen := inView(t, ui); len(seen) != 1 || !strings.Contains(seen[0], "SMITH, Richard") {
				t.Errorf("after searching, rows in view %q, want SMITH, Richard", seen)
			}
		})
	}
}

// A set another device recorded with an impossible reading (a pulse of
// 400) at 09:00 is Smith's newest: the ward list does not score it as if it were normal.
// It shows NEWS2 CHECK, asks for obs now, flags the record, and lists him
// under Obs overdue, Conflicts and first when sickest first.
func TestWardList_PeersImpossibleSetShowsCheck(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			ctx := t.Context()
			id := mustPatientID(t, db, "Smith")
			admin, _ := userNamed(t, db, "Ada Admin")
			dev := storetest.NewDevice(t)
			if _, err := db.Enrol(ctx, adminSession(t, db), dev.Pub, "Old laptop"); err != nil {
				t.Fatal(err)
			}
			// A whole set, normal but for a pulse of 400, that would
			// score as if it were possible.
			i := func(v int) *int { return &v }
			temp, air := 37.0, false
			b, _ := json.Marshal(forms.Observations{PatientID: id, RespRate: i(16), SpO2: i(97), SpO2Scale: 1, OnOxygen: &air,
				Systolic: i(120), Diastolic: i(80), Pulse: i(400), Consciousness: "A", TempC: &temp})
			bad := dev.Next(admin.ID, forms.KindObsRecorded, id, b, demoNow)
			if res, err := db.ApplyRemote(ctx, []lifeboat.Event{bad}); err != nil || res.Applied != 1 {
				t.Fatalf("ApplyRemote = %+v, %v, want the set kept", res, err)
			}
			settle(ui) // arrives as sync would: the list updates by itself

			c := card(t, ui, "SMITH, Richard")
			for _, want := range []string{news2CheckWords, "CHECK obs of 09:00", "⚠ 1 record to check"} {
				if !cardShows(c, want) {
					t.Errorf("Smith's row shows %q, want %q", wardRow(c), want)
				}
			}
			for _, in := range test.LaidOutObjects(c) {
				if txt, ok := in.(*canvas.Text); ok && strings.HasPrefix(txt.Text, "NEWS2 ") && txt.Text != news2CheckWords {
					t.Errorf("Smith's row shows a score, %q, for a set that is not possible", txt.Text)
				}
			}
			mustShow(t, ui, "Obs overdue (2)", "Conflicts (1)")
			tap(t, ui, "Conflicts")
			if rows := wardRows(ui); len(rows) != 1 || !strings.Contains(rows[0], "SMITH, Richard") {
				t.Errorf("conflicts lists %q, want SMITH, Richard", rows)
			}
			tap(t, ui, "Conflicts")
			// His record says so too, in place of a score.
			test.Tap(card(t, ui, "SMITH, Richard"))
			settle(ui)
			// (The chart lists the set itself, flagged CHECK: NOT POSSIBLE.)
			mustShow(t, ui, news2CheckWords+": newest set not possible", "NEWS2 —", "CHECK: NOT POSSIBLE")
			tap(t, ui, "Back")
			tap(t, ui, "Sickest first")
			if rows := wardRows(ui); !strings.Contains(rows[0], "SMITH, Richard") {
				t.Errorf("sickest first starts %q, want SMITH, Richard, whose risk is not known", rows[0])
			}

			// Marked entered in error, the set no longer stands: his last
			// possible set is scored again.
			if _, err := db.EnterInError(ctx, ui.Session(), bad.ID, "SpO2 mistyped", demoNow); err != nil {
				t.Fatal(err)
			}
			settle(ui)
			c = card(t, ui, "SMITH, Richard")
			if cardShows(c, news2CheckWords) || cardShows(c, "to check") {
				t.Errorf("after the set was marked entered in error, Smith's row still shows %q", wardRow(c))
			}
		})
	}
}

// wardRow is the texts on one row of the ward list.
func wardRow(c *Card) string {
	var ts []string
	for _, in := range test.LaidOutObjects(c) {
		if txt, ok := in.(*canvas.Text); ok && txt.Text != "" {
			ts = append(ts, txt.Text)
		}
	}
	return strings.Join(ts, " | ")
}

// TestSickestFirst: unknown risk first, then by band (the urgency of the
// response), then total, then overdue obs; ties keep bed order.
func TestSickestFirst(t *testing.T) {
	score := func(band forms.Band, total int) *forms.NEWS2 {
		return &forms.NEWS2{Complete: true, Band: band, Total: total, Partial: total}
	}
	rows := []WardRow{
		{BedName: "none 0", Latest: score(forms.BandNone, 0)},
		{BedName: "low 4", Latest: score(forms.BandLow, 4)},
		{BedName: "low-medium 3", Latest: score(forms.BandLowMedium, 3)},
		{BedName: "medium 5", Latest: score(forms.BandMedium, 5)},
		{BedName: "medium 6", Latest: score(forms.BandMedium, 6)},
		{BedName: "high 7", Latest: score(forms.BandHigh, 7)},
		{BedName: "high 13", Latest: score(forms.BandHigh, 13)},
		{BedName: "no obs"},
		{BedName: "check", Check: true, Overdue: true},
		{BedName: "incomplete 2+", Latest: &forms.NEWS2{Band: forms.BandIncomplete, Partial: 2}},
		{BedName: "incomplete 5+", Latest: &forms.NEWS2{Band: forms.BandIncomplete, Partial: 5}},
		{BedName: "low 4 overdue", Latest: score(forms.BandLow, 4), Overdue: true},
		{BedName: "none 0 second", Latest: score(forms.BandNone, 0)},
		{BedName: "low 1", Latest: score(forms.BandLow, 1)},
	}
	sickestFirst(rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.BedName)
	}
	want := []string{"incomplete 5+", "incomplete 2+", "no obs", "check", "high 13", "high 7", "medium 6", "medium 5",
		"low-medium 3", "low 4 overdue", "low 4", "low 1", "none 0", "none 0 second"}
	if !slices.Equal(got, want) {
		t.Errorf("sickestFirst = %q, want %q", got, want)
	}
}

// TestWardList_Golden renders the ward list sorted sickest first: a
// compact table on a desktop, cards on a phone. docs/screenshots/
// ward-desktop.png and ward-phone.png are copies of these.
func TestWardList_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			tap(t, ui, "Sickest first")
			golden(t, ui, "ward_sorted_"+sizeSuffix(size))
		})
	}
}

// tableCells returns the texts drawn on the ward table's row showing name.
func tableCells(t *testing.T, ui *UI, name string) []*canvas.Text {
	t.Helper()
	c := card(t, ui, name)
	var out []*canvas.Text
	for _, in := range test.LaidOutObjects(c) {
		if txt, ok := in.(*canvas.Text); ok && txt.Text != "" {
			out = append(out, txt)
		}
	}
	return out
}

// The date of birth and NHS number columns give way on a narrower
// desktop rather than widen the window past its screen.
func TestWardList_TableIdentityColumnsGiveWay(t *testing.T) {
	for _, tc := range []struct {
		size fyne.Size
		ids  bool
	}{{desktop, true}, {fyne.NewSize(1366, 768), true}, {fyne.NewSize(900, 700), false}} {
		t.Run(sizeName(tc.size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, tc.size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			relayout(ui)
			if w := ui.win.Content().MinSize().Width; w > tc.size.Width {
				t.Errorf("content MinSize().Width = %v, want <= the window's %v", w, tc.size.Width)
			}
			if got := shows(ui, "999 000 0018") && shows(ui, "11-Feb-1948"); got != tc.ids {
				t.Errorf("shows Bed 1's date of birth and NHS number = %v, want %v", got, tc.ids)
			}
			for _, c := range tableCells(t, ui, "OKAFOR, Grace") {
				if !c.Visible() {
					continue
				}
				if r := fyne.CurrentApp().Driver().AbsolutePositionForObject(c).X + c.Size().Width; r > tc.size.Width {
					t.Errorf("%q ends at x=%v, beyond the window's %v", c.Text, r, tc.size.Width)
				}
			}
		})
	}
}
