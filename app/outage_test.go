package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

// recordFeedStatus appends a feed.status as an IT admin, as a feed
// runner's would arrive from a peer, and lets the UI see it.
func recordFeedStatus(t *testing.T, ui *UI, db *store.DB, up bool, since time.Time) {
	t.Helper()
	fs := forms.FeedStatus{Source: "https://pas.example.nhs.uk/fhir", Up: up, Since: since, Reason: "connection refused"}
	if up {
		fs.Reason = ""
	}
	if _, err := db.Append(t.Context(), adminSession(t, db), store.Draft{Kind: forms.KindFeedStatus, Subject: "feed",
		PerformedAt: since, Payload: fs}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
}

// openBanner opens a phone's banner (the feed's words and buttons show
// on a tap); on a desktop everything is shown already.
func openBanner(ui *UI, size fyne.Size) {
	if size == phone {
		ui.banner.SetOpen(true)
		relayout(ui)
	}
}

// TestBanner_FeedDownUpDismissed: the banner on every device shows the
// newest feed.status. Down: "Core system unreachable since 05:50 (3 h
// 10 min)", counting on by the minute, with "Downtime checklist"; on a
// phone's closed banner "Core down since 05:50". Up: "Core system
// answering again since ..." with, for ward staff, the line that IT will
// send the records back, and Dismiss, which hides it on this device until
// a newer feed.status. Fails on the code before this change: the banner
// never read feed.status.
func TestBanner_FeedDownUpDismissed(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, clock := newTestUI(t, size)
			signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
			openBanner(ui, size)
			if shows(ui, "Core system") {
				t.Fatalf("banner shows the core system with no feed.status: %q", texts(ui))
			}

			down := demoNow.Add(-(3*time.Hour + 10*time.Minute)) // 05:50
			recordFeedStatus(t, ui, db, false, down)
			if size == phone {
				ui.banner.SetOpen(false)
				relayout(ui)
				mustShow(t, ui, "Core down 05:50") // as much as fits
				if shows(ui, "Core system unreachable") || ui.banner.Size().Height > 2*MinTouchTarget {
					t.Errorf("closed phone banner shows %q at height %v, want one short line", texts(ui), ui.banner.Size().Height)
				}
				for _, o := range []fyne.CanvasObject{ui.banner.feedBg, ui.banner.feed} {
					if p, s := o.Position(), o.Size(); p.X+s.Width > phone.Width {
						t.Errorf("%T at %v size %v outside the phone's width", o, p, s)
					}
				}
				golden(t, ui, "banner_feed_down_closed_phone")
				openBanner(ui, size)
			}
			mustSay(t, ui, "Core system unreachable since 05:50 (3 h 10 min)") // on a phone, on two lines
			golden(t, ui, "banner_feed_down_"+sizeSuffix(size))
			clock.Advance(5 * time.Minute)
			ui.showFeed()
			mustSay(t, ui, "Core system unreachable since 05:50 (3 h 15 min)")

			tap(t, ui, "Downtime checklist")
			mustShow(t, ui, "Downtime checklist", `1. Check "Patient data as of"`)
			tap(t, ui, "Close")

			// An older record arriving later (a second runner's) does
			// not win over the newest change.
			recordFeedStatus(t, ui, db, true, down.Add(-time.Hour))
			mustShow(t, ui, "Core system unreachable since 05:50")

			back := demoNow.Add(-20 * time.Minute) // 08:40
			recordFeedStatus(t, ui, db, true, back)
			openBanner(ui, size)
			mustShow(t, ui, "Core system answering again since 08:40", "IT will send the downtime records back to it.")
			if shows(ui, "unreachable") || hasButton(ui, "Downtime checklist") || hasButton(ui, "Start reconciliation") {
				t.Errorf("banner for ward staff once the core answers shows %q", texts(ui))
			}
			if size == phone {
				ui.banner.SetOpen(false)
				relayout(ui)
				mustShow(t, ui, "Core back 08:40")
				openBanner(ui, size)
			}
			tap(t, ui, "Dismiss")
			ui.reload()
			settle(ui)
			relayout(ui)
			if shows(ui, "Core") || hasButton(ui, "Dismiss") {
				t.Errorf("dismissed notice still shown: %q", texts(ui))
			}
			if got := eventsOfKind(t, db, forms.KindFeedStatus); got != 3 {
				t.Errorf("%d feed.status records after Dismiss, want 3 (dismissing is not a record)", got)
			}

			// A newer change shows again.
			recordFeedStatus(t, ui, db, false, demoNow.Add(-5*time.Minute))
			openBanner(ui, size)
			mustShow(t, ui, "Core system unreachable since 08:55")
		})
	}
}

// TestBanner_FeedUpForITAdmin: once the core system answers, an IT
// admin's banner offers "Start reconciliation", which opens the
// Reconciliation screen; the line for others is not shown to them.
func TestBanner_FeedUpForITAdmin(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
			recordFeedStatus(t, ui, db, false, demoNow.Add(-4*time.Hour))
			recordFeedStatus(t, ui, db, true, demoNow.Add(-20*time.Minute))
			openBanner(ui, size)
			mustShow(t, ui, "Core system answering again since 08:40")
			if shows(ui, "IT will send") {
				t.Errorf("IT admin's banner shows the line for others: %q", texts(ui))
			}
			golden(t, ui, "banner_feed_up_admin_"+sizeSuffix(size))
			tap(t, ui, "Start reconciliation")
			if ui.frame.section.ID != "reconcile" {
				t.Errorf("Start reconciliation opened %q, want the Reconciliation screen", ui.frame.section.ID)
			}
			mustShow(t, ui, "Worklist")
		})
	}
}

// TestBanner_FeedOnSignInScreen: the state shows before anyone signs in
// (the banner is on every screen), as soon as the store is unlocked and
// when a peer's feed.status arrives, without buttons: what they open
// depends on who is signed in.
func TestBanner_FeedOnSignInScreen(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	recordFeedStatus(t, ui, db, false, demoNow.Add(-time.Hour))
	ui.Lock()
	settle(ui)
	ui.feed = feedStatus{} // a fresh start: nothing read yet
	ui.UpdateStatus(func(s *Status) { s.Feed = FeedNone })
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	tap(t, ui, "Unlock")
	mustShow(t, ui, "Who are you?", "Core system unreachable since 08:00 (1 h)")
	if hasButton(ui, "Downtime checklist") {
		t.Error("checklist offered with nobody signed in")
	}
	recordFeedStatus(t, ui, db, true, demoNow.Add(-time.Minute))
	mustShow(t, ui, "Core system answering again since 08:59")
	if hasButton(ui, "Dismiss") {
		t.Error("Dismiss offered with nobody signed in")
	}
}

// TestChecklist_PerRole: the banner's checklist gives each role its own
// first steps, in plain words, with a button to the screen that does it.
func TestChecklist_PerRole(t *testing.T) {
	for _, c := range []struct {
		name, pin string
		want      []string
		button    string
		opens     string // section ID the button opens; "" for a dialog
	}{
		{"Nia Nurse", cli.DemoNursePIN, []string{`Check "Patient data as of"`, "Print the ward list", "Record on Lifeboat, not on paper"}, "Print ward list and charts", ""},
		{"Phil Pharmacist", "2468", []string{"Plan tab", "controlled-drugs register"}, "Open Pharmacy", "pharmacy"},
		{"Bea Beds", "3691", []string{"Open Beds: check each ward's free"}, "Open Beds", "beds"},
		{"Ada Admin", cli.DemoAdminPIN, []string{"device check", "Check sync", "core system feed"}, "Open Devices and staff", "admin"},
	} {
		for _, size := range []fyne.Size{desktop, phone} {
			t.Run(c.name+"/"+sizeName(size), func(t *testing.T) {
				ui, db, _ := newTestUI(t, size)
				signInAs(t, ui, c.name, c.pin)
				recordFeedStatus(t, ui, db, false, demoNow.Add(-time.Hour))
				openBanner(ui, size)
				tap(t, ui, "Downtime checklist")
				mustShow(t, ui, c.want...)
				if c.name == "Nia Nurse" {
					golden(t, ui, "checklist_ward_staff_"+sizeSuffix(size))
				}
				tap(t, ui, c.button)
				if c.opens == "" {
					mustShow(t, ui, "A PDF to print now")
					return
				}
				if ui.frame.section.ID != c.opens {
					t.Errorf("%s opened %q, want %q", c.button, ui.frame.section.ID, c.opens)
				}
			})
		}
	}
}

func TestChecklist_EveryRoleHasSteps(t *testing.T) {
	for _, r := range []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RolePharmacist, lifeboat.RoleBedManager, lifeboat.RoleITAdmin, lifeboat.RoleBreakGlass} {
		steps := checklistFor(r)
		if len(steps) < 3 {
			t.Errorf("%s: %d steps, want at least 3", r, len(steps))
		}
		for _, s := range steps {
			if strings.TrimSpace(s.Text) == "" || (s.Button != "") != (s.Section != "") {
				t.Errorf("%s: step %+v: want words, and a button only with where it goes", r, s)
			}
			if s.Section != "" && s.Section != "print" && !slices.ContainsFunc(sections, func(x Section) bool { return x.ID == s.Section && x.Allowed(r) }) {
				t.Errorf("%s: step %q opens %q, which the role cannot open", r, s.Text, s.Section)
			}
		}
	}
}

func TestStatus_FeedText(t *testing.T) {
	now := time.Date(2026, 11, 22, 17, 12, 0, 0, time.UTC)
	for _, c := range []struct {
		name              string
		s                 Status
		text, short, note string
	}{
		{"none", Status{Now: now}, "", "", ""},
		{"down", Status{Feed: FeedDown, FeedSince: now.Add(-(3*time.Hour + 10*time.Minute)), Now: now},
			"Core system unreachable since 14:02 (3 h 10 min)", "Core down since 14:02", ""},
		{"down just now", Status{Feed: FeedDown, FeedSince: now, Now: now}, "Core system unreachable since 17:12", "Core down since 17:12", ""},
		{"down 59 s", Status{Feed: FeedDown, FeedSince: now.Add(-59 * time.Second), Now: now}, "Core system unreachable since 17:11 (under 1 min)", "Core down since 17:11", ""},
		{"down an hour", Status{Feed: FeedDown, FeedSince: now.Add(-time.Hour), Now: now}, "Core system unreachable since 16:12 (1 h)", "Core down since 16:12", ""},
		{"down since yesterday", Status{Feed: FeedDown, FeedSince: now.Add(-26 * time.Hour), Now: now},
			"Core system unreachable since 21-Nov 15:12 (1 day 2 h)", "Core down since 21-Nov 15:12", ""},
		{"down 3 days", Status{Feed: FeedDown, FeedSince: now.Add(-72 * time.Hour), Now: now},
			"Core system unreachable since 19-Nov 17:12 (3 days)", "Core down since 19-Nov 17:12", ""},
		{"up, ward staff", Status{Feed: FeedUp, FeedSince: now.Add(-32 * time.Minute), Now: now},
			"Core system answering again since 16:40", "Core back since 16:40", "IT will send the downtime records back to it."},
		{"up, IT admin", Status{Feed: FeedUp, FeedSince: now.Add(-32 * time.Minute), Now: now, ITAdmin: true},
			"Core system answering again since 16:40", "Core back since 16:40", ""},
	} {
		if got := c.s.FeedText(); got != c.text {
			t.Errorf("%s: FeedText() = %q, want %q", c.name, got, c.text)
		}
		if got := c.s.FeedShort(); got != c.short {
			t.Errorf("%s: FeedShort() = %q, want %q", c.name, got, c.short)
		}
		if got := c.s.FeedNote(); got != c.note {
			t.Errorf("%s: FeedNote() = %q, want %q", c.name, got, c.note)
		}
	}
}

// mustSay checks that the screen's texts, read in order, say want: the
// banner may put its parts on lines of their own.
func mustSay(t *testing.T, ui *UI, want string) {
	t.Helper()
	if all := strings.Join(texts(ui), " "); !strings.Contains(all, want) {
		t.Errorf("screen says %q, want %q", all, want)
	}
}

// eventsOfKind counts the store's events of kind.
func eventsOfKind(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	evs, err := db.EventsOfKind(t.Context(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestSignIn_NamesAfterTheOutageStrip: after unlocking, the staff names
// are listed only once the banner shows the core system's state, so the
// outage strip never arrives after them and pushes the name a nurse is
// about to tap from under their finger (seen on the real app: 33 px, onto
// the next name). Each step the UI hands to Fyne's goroutine is run one
// at a time, checking between them.
func TestSignIn_NamesAfterTheOutageStrip(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	recordFeedStatus(t, ui, db, false, demoNow.Add(-time.Hour))
	ui.Lock()
	settle(ui)
	ui.feed = feedStatus{}
	ui.UpdateStatus(func(s *Status) { s.Feed = FeedNone })
	test.Type(entry(t, ui, "Ward passphrase"), cli.DemoPassphrase)
	test.Tap(button(t, ui, "Unlock"))
	for range 100 {
		ui.tasks.Wait()
		fs := testDo.take()
		if len(fs) == 0 {
			break
		}
		for _, f := range fs {
			f()
			if hasButton(ui, "Nia Nurse  ·  Ward staff") && !shows(ui, "Core system unreachable since") {
				t.Fatal("the names were listed before the outage strip: it will push them down")
			}
		}
	}
	settle(ui)
	mustShow(t, ui, "Who are you?", "Core system unreachable since 08:00 (1 h)")
	if !hasButton(ui, "Nia Nurse  ·  Ward staff") {
		t.Error("no name to tap")
	}
}

// TestBanner_FeedStatusDatedAheadDoesNotPinTheBanner: an IT admin's
// device that lies (a stolen one, or a clock years ahead in its payload)
// records "down since 2099". Its Since is not believed past the record's
// own clock, so the real "answering again" recorded after it still shows;
// and a failure reason of any length is cut short on the screen. Before,
// the newest Since won and 2099 hid every later record.
func TestBanner_FeedStatusDatedAheadDoesNotPinTheBanner(t *testing.T) {
	ui, db, clock := newTestUI(t, desktop)
	openAdmin(t, ui, "Core system feed")
	lie := forms.FeedStatus{Source: "https://pas.example.nhs.uk/fhir", Since: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		Reason: strings.Repeat("x", 5000)}
	if _, err := db.Append(t.Context(), adminSession(t, db), store.Draft{Kind: forms.KindFeedStatus, Subject: "feed",
		PerformedAt: demoNow.Add(-time.Hour), Payload: lie}); err != nil {
		t.Fatal(err)
	}
	settle(ui)
	if shows(ui, "2099") || !shows(ui, "Core system unreachable since 08:00") {
		t.Errorf("banner believes a Since of 2099: %q", texts(ui))
	}
	for _, s := range texts(ui) {
		if len(s) > 2*maxFeedReason+200 {
			t.Errorf("a %d-character line on the admin screen", len(s))
		}
	}
	clock.Advance(time.Minute)
	recordFeedStatus(t, ui, db, true, clock.Now())
	mustShow(t, ui, "Core system answering again since 09:01")
}
