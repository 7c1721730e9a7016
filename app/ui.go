package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/feed"
	"lifeboat/sync/reconcile"
)

// Options configure a UI. The zero value is ready to use.
type Options struct {
	// Now is the clock the UI shows and defaults performed times from;
	// nil means time.Now.
	Now func() time.Time
	// IdleLock is how long the app may sit untouched before it locks the
	// screen: the person is signed out and their PIN is asked for again,
	// while the store stays unlocked (the ward passphrase is typed once a
	// shift; only Lock forgets the keys). Zero means 5 minutes, negative
	// never locks.
	IdleLock time.Duration
	// Logger gets the UI's diagnostics (never patient data); nil discards.
	Logger *slog.Logger
	// Sync is the ward mesh this device syncs over; nil when it runs
	// alone (or until StartSync has started one).
	Sync Sync
	// StartSync, if set, starts the ward mesh once the store is unlocked
	// (the mesh needs the store's keys to apply what peers send) and
	// returns it with a function that stops it; the UI stops it when the
	// store is locked again and starts it afresh at the next unlock.
	StartSync func(ctx context.Context) (Sync, func(), error)
	// EnrolListen is where the Devices screen listens for a device being
	// enrolled (TCP host:port); "" means every address on
	// mesh.DefaultEnrolPort.
	EnrolListen string
	// StaffFrom names where the staff list comes from, e.g. the admin
	// device's address a newly joined device syncs with: the sign-in
	// screen says it is waiting for it while nobody is listed. "" says
	// "the ward's other devices".
	StaffFrom string
	// FHIRSystems, if set, reads the trust's identifier systems for FHIR
	// export and send (the data folder's fhir-systems.json, as lifeboat
	// send reads it) each time; nil means the defaults.
	FHIRSystems func() (reconcile.Systems, error)
	// FeedConfig is the path of the data folder's feed configuration
	// (feed.ConfigFile), which the admin screen's "Core system feed" tab
	// shows and saves; "" when there is no data folder.
	FeedConfig string
	// PullFeed, if set, pulls the census once with cfg and imports it as
	// the feed runner does, returning a summary in plain words: the
	// feed tab's "Pull now". nil hides the button.
	PullFeed func(ctx context.Context, cfg feed.Config) (string, error)
}

// DefaultIdleLock is the idle time after which a ward device locks itself.
const DefaultIdleLock = 5 * time.Minute

// UI is the Lifeboat app in one window: the unlock and sign-in screens,
// then the banner with the sections (ward list, patient, and whatever
// other files Register) below it.
//
// All methods must be called on Fyne's goroutine (from a callback, or
// inside fyne.Do), except Run's work function, which runs on its own
// goroutine.
type UI struct {
	app  fyne.App
	win  fyne.Window
	st   Store
	sync Sync // nil: sync off
	// startSync and stopSync run a mesh tied to the unlocked store
	// (Options.StartSync); syncing is set while one is being started.
	startSync func(ctx context.Context) (Sync, func(), error)
	stopSync  func()
	syncing   bool
	enrolAt   string                            // Options.EnrolListen
	staffFrom string                            // Options.StaffFrom
	systems   func() (reconcile.Systems, error) // Options.FHIRSystems
	// feedConfig and pullFeed are Options.FeedConfig and PullFeed.
	feedConfig string
	pullFeed   func(ctx context.Context, cfg feed.Config) (string, error)
	now        func() time.Time
	idle       time.Duration
	log        *slog.Logger
	ctx        context.Context
	stop       context.CancelFunc
	tasks      sync.WaitGroup // Run's goroutines
	lockw      sync.WaitGroup // a sign-out and lock in flight; unlocking waits
	loops      sync.WaitGroup // the watch and idle goroutines

	changes chan struct{} // store commits (Subscribe)
	do      func(func())  // runs a function on Fyne's goroutine: fyne.Do

	site     store.SiteInfo
	status   Status
	session  *store.Session
	lastUsed time.Time

	banner *Banner           // on every screen
	body   fyne.CanvasObject // what is below the banner (setContent)
	frame  *frame            // nil until someone signs in
	signIn *signInScreen     // the person picker, last shown
	// paused is the screen stack of the person the idle lock signed out,
	// hidden: if they sign back in it comes back as they left it, typed
	// answers and all. Anyone else signing in, Switch user or Lock drops it.
	paused *pausedFrame

	// drafts holds half-filled observation forms per patient, in memory
	// only: they survive leaving the patient, switching user and the idle
	// lock, not a restart or Lock (a locked device must not show patient
	// data).
	drafts map[string]*obsDraft
	// ward is how the ward list is sorted and filtered, kept while the
	// app runs.
	ward wardView
	// feed is the newest feed.status read; dismissed names the one whose
	// "answering again" notice was dismissed when there are no app
	// preferences to keep it in.
	feed      feedStatus
	dismissed string
}

// New builds the UI in w over st and shows the unlock screen (or the
// sign-in screen when st is already unlocked). It starts a goroutine that
// reloads the screens after every change to the store and one that locks
// the app after opts.IdleLock; Close stops them.
func New(a fyne.App, w fyne.Window, st Store, opts Options) *UI {
	ui := newUI(a, w, st, opts, fyne.Do)
	ui.loops.Add(1)
	go ui.watch()
	if ui.idle > 0 {
		ui.loops.Add(1)
		go ui.idleLoop()
	}
	ui.loops.Add(1)
	go ui.syncLoop()
	return ui
}

// newUI builds the UI without its background goroutines: tests drive
// reloads and idle checks themselves, and pass a do that queues Run's
// results for the test goroutine (Fyne's test driver would otherwise run
// them on the worker goroutine).
func newUI(a fyne.App, w fyne.Window, st Store, opts Options, do func(func())) *UI {
	ui := &UI{
		app: a, win: w, st: st, do: do, sync: opts.Sync, startSync: opts.StartSync,
		now:       opts.Now,
		enrolAt:   opts.EnrolListen,
		staffFrom: opts.StaffFrom,
		idle:      opts.IdleLock,
		log:       opts.Logger,
		changes:   make(chan struct{}, 1),
		drafts:    map[string]*obsDraft{},
		banner:    NewBanner(Status{}),
		systems:   opts.FHIRSystems,

		feedConfig: opts.FeedConfig,
		pullFeed:   opts.PullFeed,
	}
	if ui.now == nil {
		ui.now = time.Now
	}
	if ui.idle == 0 {
		ui.idle = DefaultIdleLock
	}
	if ui.log == nil {
		ui.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ui.log = ui.log.With("component", "app")
	ui.ctx, ui.stop = context.WithCancel(context.Background())
	ui.lastUsed = ui.now()
	st.Subscribe(ui.changes)
	ui.banner.OnChecklist = ui.ShowChecklist
	ui.banner.OnReconcile = func() { ui.ShowSection("reconcile") }
	ui.banner.OnDismiss = ui.dismissFeed

	w.SetPadded(false)
	if a != nil {
		a.Settings().SetTheme(NewTheme())
	}
	ui.showStart()
	return ui
}

// Close stops the UI's goroutines and waits for them and for any Run in
// flight. It does not close the store or the window. Call it off Fyne's
// goroutine or after the window has closed: a Run in flight delivers its
// result with fyne.Do.
func (ui *UI) Close() {
	ui.stop()
	if ui.stopSync != nil {
		ui.stopSync()
		ui.stopSync = nil
	}
	done := make(chan struct{})
	go func() {
		ui.loops.Wait()
		ui.tasks.Wait()
		close(done)
	}()
	// A goroutine handing a result to a Fyne that has already quit may
	// never return: do not hang the exit on it.
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		ui.log.Warn("close: background work still running")
	}
}

// Session returns the signed-in person, or nil.
func (ui *UI) Session() *store.Session { return ui.session }

// Now returns the UI's clock reading.
func (ui *UI) Now() time.Time { return ui.now() }

// Sync returns the mesh the device syncs over, or nil when it runs alone.
func (ui *UI) Sync() Sync { return ui.sync }

// Store returns the store the UI works on.
func (ui *UI) Store() Store { return ui.st }

// Window returns the UI's window.
func (ui *UI) Window() fyne.Window { return ui.win }

// Logger returns the UI's logger. Never log patient data with it.
func (ui *UI) Logger() *slog.Logger { return ui.log }

// Site returns the site and ward this device belongs to (empty before the
// store has been read).
func (ui *UI) Site() store.SiteInfo { return ui.site }

// Run does work on its own goroutine, so the screen never freezes, then
// calls done (if not nil) with work's error on Fyne's goroutine. Store
// calls belong in work; touching widgets belongs in done. ctx is cancelled
// when the UI closes. Run also counts as activity for the idle lock.
func (ui *UI) Run(work func(ctx context.Context) error, done func(error)) {
	ui.Touch()
	ui.tasks.Add(1)
	go func() {
		defer ui.tasks.Done()
		err := work(ui.ctx)
		if done != nil && ui.ctx.Err() == nil {
			ui.do(func() { done(err) })
		}
	}()
}

// Touch records that someone used the app now, holding off the idle
// lock. Navigation, Run and the built-in screens call it; a screen with
// long typing and no store calls should call it from its OnChanged.
func (ui *UI) Touch() { ui.lastUsed = ui.now() }

// Status returns what the banner shows.
func (ui *UI) Status() Status { return ui.status }

// UpdateStatus changes what the banner shows: sync calls it with the peer
// count, reconciliation with the snapshot time. The ward, user and drill
// mark are the UI's own and are kept.
func (ui *UI) UpdateStatus(f func(s *Status)) {
	s := ui.status
	f(&s)
	s.Ward, s.User, s.Drill = ui.status.Ward, ui.status.User, ui.status.Drill
	ui.setStatus(s)
}

func (ui *UI) setStatus(s Status) {
	s.ITAdmin = ui.session != nil && ui.session.User.Role == lifeboat.RoleITAdmin
	ui.status = s
	ui.banner.Update(s)
}

// setContent shows body below the banner.
func (ui *UI) setContent(body fyne.CanvasObject) {
	ui.body = body
	ui.setStatus(ui.status)
	ui.win.SetContent(container.New(&shellLayout{banner: ui.banner}, ui.banner, body))
}

// Section is a top-level part of the app in the navigation (the sidebar on
// a desktop, the menu on a phone): the ward list, beds, pharmacy, devices.
type Section struct {
	// ID is stable and unique, e.g. "ward", "beds", "pharmacy".
	ID string
	// Title is the name in the navigation, in plain words.
	Title string
	// Icon is shown beside the title; nil for none. Sections register from
	// init, before the app starts: take icons from theme.DefaultTheme().Icon,
	// not theme.XIcon(), which needs a running app.
	Icon fyne.Resource
	// Roles may see the section; nil means everyone.
	Roles []lifeboat.Role
	// Order sorts the navigation, lowest first (the ward list is 10).
	Order int
	// Make builds the section's screen each time it is opened. The screen
	// may implement Reloader to be told when the store changes.
	Make func(ui *UI) fyne.CanvasObject
}

// Allowed reports whether someone with role may open the section.
func (s Section) Allowed(role lifeboat.Role) bool {
	return len(s.Roles) == 0 || slices.Contains(s.Roles, role)
}

// PatientTab is a tab of the patient screen (observations, medicines,
// handover), below the patient's identifiers.
type PatientTab struct {
	ID    string
	Title string
	// Short is the title on a phone (below NarrowWidth), where every tab
	// must fit across the screen; "" uses Title.
	Short string
	Roles []lifeboat.Role // nil: everyone
	Order int             // lowest first; observations are 10
	// Make builds the tab for one patient. It may implement Reloader.
	Make func(ui *UI, patientID string) fyne.CanvasObject
}

// Reloader is implemented by screens that show data from the store. The UI
// calls Reload on Fyne's goroutine when the screen is shown again and after
// every change to the store (a local save, or events from a peer); Reload
// fetches with Run and updates the widgets in done.
type Reloader interface {
	Reload()
}

var (
	sections    []Section
	patientTabs []PatientTab
)

// Register adds a section to the navigation of every UI made after it.
// Call it from an init function in the section's own file, so a new
// section needs no edit to anyone else's. A second section with the same
// ID replaces the first.
func Register(s Section) {
	sections = slices.DeleteFunc(sections, func(o Section) bool { return o.ID == s.ID })
	sections = append(sections, s)
	slices.SortStableFunc(sections, func(a, b Section) int { return a.Order - b.Order })
}

// RegisterPatientTab adds a tab to the patient screen, as Register does
// for sections.
func RegisterPatientTab(t PatientTab) {
	patientTabs = slices.DeleteFunc(patientTabs, func(o PatientTab) bool { return o.ID == t.ID })
	patientTabs = append(patientTabs, t)
	slices.SortStableFunc(patientTabs, func(a, b PatientTab) int { return a.Order - b.Order })
}

// Sections returns the sections the signed-in person may open, in order.
func (ui *UI) Sections() []Section {
	var out []Section
	for _, s := range sections {
		if ui.session != nil && s.Allowed(ui.session.User.Role) {
			out = append(out, s)
		}
	}
	return out
}

// ShowSection opens a section by ID as the root of the navigation.
func (ui *UI) ShowSection(id string) {
	if ui.frame == nil {
		return
	}
	for _, s := range ui.Sections() {
		if s.ID == id {
			ui.Touch()
			ui.log.Debug("show screen", "screen", s.Title)
			ui.frame.showSection(s)
			return
		}
	}
}

// Push shows a screen on top of the current one, with a Back button and
// title above it. Reloaders are reloaded when shown.
func (ui *UI) Push(title string, screen fyne.CanvasObject) {
	if ui.frame == nil {
		return
	}
	ui.Touch()
	ui.log.Debug("show screen", "screen", title)
	ui.frame.push(title, screen)
}

// Back returns to the screen below the current one (on a phone at a
// section's root: to the menu).
func (ui *UI) Back() {
	if ui.frame == nil {
		return
	}
	ui.Touch()
	ui.frame.back()
}

// ShowPatient opens a patient's record on top of the current screen and
// audits the view.
func (ui *UI) ShowPatient(id string) {
	if ui.frame == nil {
		return
	}
	ui.Push("Patient", newPatientScreen(ui, id))
}

// Lock forgets the store's keys and goes back to the unlock screen: the
// ward passphrase is needed again. Any unsaved draft is dropped: a locked
// device shows no patient data.
func (ui *UI) Lock() {
	s := ui.session
	ui.session = nil
	ui.frame = nil
	ui.paused = nil
	ui.hideScreens()
	ui.drafts = map[string]*obsDraft{}
	ui.stopMesh()
	if s != nil {
		st := ui.st
		ui.tasks.Add(1)
		ui.lockw.Add(1)
		go func() {
			defer ui.tasks.Done()
			defer ui.lockw.Done()
			_ = st.SignOut(context.Background(), s) // best effort: audited when possible
			st.Lock()
		}()
	} else {
		ui.st.Lock()
	}
	ui.status.User = ""
	ui.showUnlock()
}

// SwitchUser signs the current person out and shows the person picker,
// without asking for the ward passphrase again.
func (ui *UI) SwitchUser() {
	s := ui.session
	ui.session = nil
	ui.frame = nil
	ui.paused = nil
	ui.status.User = ""
	if s != nil {
		ui.Run(func(ctx context.Context) error { return ui.st.SignOut(ctx, s) }, nil)
	}
	ui.showSignIn()
}

// pausedFrame is a screen stack put aside by the idle lock.
type pausedFrame struct {
	user    string // the person it belongs to
	frame   *frame
	focused fyne.Focusable // the field that had the keyboard, given back on return
}

// lockScreen is the idle lock: the person is signed out (audited) and the
// PIN pad asks them, or whoever comes next, to sign in. The store stays
// unlocked and keeps syncing; the screens are hidden, not shown again
// until the same person's PIN is typed.
func (ui *UI) lockScreen() {
	s := ui.session
	if s == nil {
		return
	}
	ui.paused = &pausedFrame{user: s.User.ID, frame: ui.frame, focused: ui.win.Canvas().Focused()}
	ui.session = nil
	ui.frame = nil
	ui.status.User = ""
	ui.hideScreens()
	ui.Run(func(ctx context.Context) error { return ui.st.SignOut(ctx, s) }, nil)
	ui.showPINWith(s.User, "Locked after "+idleWords(ui.idle)+" without use. What you were typing is kept: type your PIN to carry on where you left off.")
}

// hideScreens closes dialogs and menus over the screens and takes the
// keyboard from them, before the window shows a lock or sign-in screen:
// nothing typed next may reach a hidden form.
func (ui *UI) hideScreens() {
	c := ui.win.Canvas()
	for o := c.Overlays().Top(); o != nil; o = c.Overlays().Top() {
		c.Overlays().Remove(o)
	}
	c.Unfocus()
}

// idleWords says an idle time in words: "5 minutes".
func idleWords(d time.Duration) string {
	if m := int(d.Round(time.Minute) / time.Minute); m >= 1 {
		if m == 1 {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", m)
	}
	return fmt.Sprintf("%d seconds", int(d.Round(time.Second)/time.Second))
}

// signedIn starts the main screens for s, or brings back the ones the
// idle lock put aside if they are s's.
func (ui *UI) signedIn(s *store.Session) {
	ui.session = s
	ui.status.User = s.User.Name
	ui.refreshSync()
	ui.refreshSnapshot()
	if p := ui.paused; p != nil && p.user == s.User.ID {
		ui.paused = nil
		keepFormDrafts(ui, s)
		ui.frame = p.frame
		ui.log.Debug("signed in again after the idle lock", "role", string(s.User.Role))
		ui.setContent(ui.frame.root)
		ui.frame.reload()
		if p.focused != nil { // carry on typing where the lock stopped it
			ui.win.Canvas().Focus(p.focused)
		}
		return
	}
	ui.paused = nil
	ui.frame = newFrame(ui)
	ui.log.Debug("signed in", "role", string(s.User.Role))
	ui.setContent(ui.frame.root)
	if secs := ui.Sections(); len(secs) > 0 {
		ui.frame.showSection(secs[0])
	}
}

// showStart shows the unlock screen, or the person picker if the store is
// already unlocked.
func (ui *UI) showStart() {
	if ui.st.Locked() {
		ui.showUnlock()
		return
	}
	ui.startMesh()
	ui.showSignIn()
}

// watch reloads the screens after the store changes.
func (ui *UI) watch() {
	defer ui.loops.Done()
	for {
		select {
		case <-ui.ctx.Done():
			return
		case <-ui.changes:
			ui.do(ui.reload)
		}
	}
}

// reload tells the visible screens the store changed: the signed-in
// screens, or the person picker (people arrive by sync on a device that
// has just joined the ward).
func (ui *UI) reload() {
	switch {
	case ui.st.Locked():
	case ui.frame != nil:
		ui.frame.reload()
		ui.refreshSnapshot()
	case ui.signIn != nil && ui.body == ui.signIn.body:
		ui.signIn.load()
		ui.refreshSnapshot()
	}
}

// idleLoop locks the screen after IdleLock without use.
func (ui *UI) idleLoop() {
	defer ui.loops.Done()
	t := time.NewTicker(min(ui.idle/4, 15*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ui.ctx.Done():
			return
		case <-t.C:
			ui.do(ui.checkIdle)
		}
	}
}

// checkIdle locks the screen when nobody has used the app for IdleLock
// while someone is signed in.
func (ui *UI) checkIdle() {
	if ui.idle < 0 || ui.st.Locked() || ui.session == nil {
		return
	}
	if ui.now().Sub(ui.lastUsed) >= ui.idle {
		ui.log.Info("idle lock")
		ui.lockScreen()
	}
}
