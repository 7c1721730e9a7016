package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

func init() {
	Register(Section{ID: "sync", Title: "Sync", Order: 70,
		Icon:  theme.DefaultTheme().Icon(theme.IconNameViewRefresh),
		Roles: []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RolePharmacist, lifeboat.RoleBedManager, lifeboat.RoleITAdmin},
		Make:  newSyncScreen})
}

// maxQuarantineShown bounds the refused events listed: the newest are
// the ones to act on, and hundreds of cards would bury the rest.
const maxQuarantineShown = 50

// syncScreenPoll is how often the Sync screen reads the mesh while shown
// (tests shorten it).
var syncScreenPoll = syncPoll

// syncScreen is the Sync section: whether this device syncs, with whom,
// how far behind it is, and what it refused or holds back for review. It
// polls the mesh every syncScreenPoll while it is on screen.
type syncScreen struct {
	ui     *UI
	screen *Screen
	body   *fyne.Container
	names  map[string]string // device ID -> name from its enrolment
	self   string            // this device's ID, once read
	stop   chan struct{}     // closes the poll goroutine; nil when none runs
	st     *mesh.Status      // the mesh's state as last read; nil when sync is off

	review // the store's quarantine and what was done to it here
}

func newSyncScreen(ui *UI) fyne.CanvasObject {
	s := &syncScreen{ui: ui, body: container.NewStack(), names: map[string]string{}, review: review{retried: map[string]string{}}}
	s.screen = NewScreen(container.NewVScroll(container.NewPadded(s.body)), s.reload)
	return s.screen
}

// reload reads device names and the quarantine from the store, shows the
// mesh's state now and (re)starts polling it.
func (s *syncScreen) reload() {
	s.poll()
	s.startPolling()
	var (
		names          map[string]string
		self           string
		qs             []lifeboat.Quarantined
		flags          []store.AuthorityFlag
		people         map[string]string
		records        []store.RecordFlag
		patients       map[string]string
		namesErr, qErr error
	)
	s.ui.Run(func(ctx context.Context) error {
		qs, qErr = s.ui.Store().Quarantined(ctx)
		if fs, err := s.ui.Store().AuthorityReview(ctx); err == nil && len(fs) > 0 {
			flags = fs
			people = map[string]string{}
			us, _ := s.ui.Store().Users(ctx)
			for _, u := range us {
				people[u.ID] = u.Name
			}
		}
		if fs, err := s.ui.Store().RecordReview(ctx); err == nil && len(fs) > 0 {
			records = fs
			patients = map[string]string{}
			for _, f := range fs {
				if p, err := s.ui.Store().Patient(ctx, f.Subject); err == nil {
					patients[f.Subject] = forms.DisplayName(p.Patient)
				}
			}
		}
		devs, err := loadDevices(ctx, s.ui.Store())
		if err != nil {
			namesErr = err
			return nil
		}
		names = map[string]string{}
		for _, d := range devs {
			if d.Self {
				self = d.ID
			}
			if d.Name != "" {
				names[d.ID] = d.Name
			}
		}
		return nil
	}, func(error) {
		if namesErr != nil {
			// Names are a nicety: IDs are shown without them.
			s.ui.log.Warn("read device names", "err", namesErr)
		} else {
			s.names, s.self = names, self
		}
		if qErr != nil {
			s.ui.log.Warn("read quarantine", "kind", errorKind(qErr))
		}
		s.setQuarantine(qs, qErr)
		s.flags, s.people = flags, people
		s.records, s.patients = records, patients
		s.render()
	})
}

// poll reads the mesh's state off Fyne's goroutine and shows it. It does
// not count as use of the app (unlike Run): a screen left open must still
// lock when idle.
func (s *syncScreen) poll() {
	sy := s.ui.Sync()
	if sy == nil {
		s.st = nil
		s.render()
		return
	}
	ui := s.ui
	ui.tasks.Add(1)
	go func() {
		defer ui.tasks.Done()
		st := sy.Status()
		if ui.ctx.Err() != nil {
			return
		}
		ui.do(func() {
			if ui.Sync() != sy { // sync stopped or restarted meanwhile
				s.poll()
				return
			}
			s.st = &st
			s.render()
		})
	}()
}

// render shows the mesh's state as last read (or that sync is off) with
// what needs review (see reviewView).
func (s *syncScreen) render() {
	var o fyne.CanvasObject
	if s.st == nil {
		off := syncOffView().(*fyne.Container)
		if r := s.reviewView(nil, nil, 0); r != nil {
			off.Add(r)
		}
		o = off
	} else {
		o = statusView(*s.st, s.names, s.reviewView(s.st.Held, s.st.Quarantined, s.st.QuarantinedTotal))
	}
	s.body.Objects = []fyne.CanvasObject{o}
	s.body.Refresh()
}

// name is a device's name from its enrolment, or its ID ("this device"
// for this one when it has no name: a founding device has no enrolment).
// id may name one of a device's chains (lifeboat.ChainOf): it is the
// device's name either way.
func (s *syncScreen) name(id string) string {
	id = lifeboat.DeviceOf(id)
	if id == s.self && s.names[id] == "" {
		return "this device"
	}
	return deviceName(s.names, id)
}

func deviceName(names map[string]string, id string) string {
	id = lifeboat.DeviceOf(id)
	if n := names[id]; n != "" {
		return n
	}
	return "Device " + id
}

func (s *syncScreen) admin() bool {
	sess := s.ui.Session()
	return sess != nil && sess.User.Role == lifeboat.RoleITAdmin
}

// shown reports whether the screen is the one on show.
func (s *syncScreen) shown() bool {
	return s.ui.frame != nil && s.ui.session != nil && s.ui.frame.top() == s.screen
}

// startPolling starts a goroutine that refreshes the screen every
// syncScreenPoll until the screen is no longer on show (the next reload, when
// it comes back, starts it again) or the UI closes.
func (s *syncScreen) startPolling() {
	s.ui.pollWhileShown(&s.stop, syncScreenPoll, s.shown, s.poll)
}

// confirmRelease asks before letting in the events held back from a
// device, then releases them.
func (s *syncScreen) confirmRelease(device, name string) {
	s.ui.Touch()
	dialog.ShowConfirm("Let in the records held from "+name+"?",
		"Only do this once you have checked with the ward that the corrections and cancellations from this device are genuine. "+
			"Its records will then be applied on this device.",
		func(ok bool) {
			if !ok {
				return
			}
			sy := s.ui.Sync()
			if sy == nil {
				s.ui.ShowError(Plain("Sync is off on this device, so there is nothing to let in. Start sync and try again."))
				return
			}
			sess := s.ui.Session()
			s.ui.Run(func(ctx context.Context) error {
				// Audited first: a release that cannot be recorded is not made.
				if err := s.ui.Store().RecordRelease(ctx, sess, device); err != nil {
					return err
				}
				sy.Release(device)
				return nil
			}, func(err error) {
				s.ui.ShowError(err)
				s.poll()
			})
		}, s.ui.win)
}

// syncOffView explains a device that does not sync, in plain words.
func syncOffView() fyne.CanvasObject {
	return container.NewVBox(
		heading("Sync is off on this device", theme.SizeNameSubHeadingText),
		wrapped("This device keeps every record made on it. It shares them with the ward's other devices, and receives theirs, the next time it syncs."),
		wrapped("Keep recording as usual. Nothing is lost while sync is off."),
		heading("Turning sync on", theme.SizeNameText),
		wrapped("This is a job for IT. They either start Lifeboat on this device with --join and the sync address of a ward device "+
			"(shown on that device's Sync screen), or enrol this device from one that syncs (Devices and staff, then Enrol a device)."),
	)
}

// statusView shows a mesh's state: this device, the overall state, a
// card per peer, then review (what needs review, see reviewView) and the
// refused devices. names maps device IDs to names (missing ones are shown
// by ID).
func statusView(st mesh.Status, names map[string]string, review fyne.CanvasObject) fyne.CanvasObject {
	name := func(id string) string { return deviceName(names, id) }
	out := container.NewVBox()

	// This device.
	me := container.NewVBox(bold("This device"))
	if n := names[st.Device]; n != "" {
		me.Objects[0] = bold(n)
		me.Add(container.NewHBox(Chip("This device", nhsBlue, nhsWhite, true)))
	}
	me.Add(wrapped("ID " + st.Device))
	me.Add(wrapped("Sync address " + st.Addr))
	out.Add(NewCard(me, nil))

	// Overall state.
	if st.Synced() {
		out.Add(heading("Up to date", theme.SizeNameSubHeadingText))
	} else {
		out.Add(heading("Receiving: "+count(st.ToReceive, "event", "events")+" to go", theme.SizeNameSubHeadingText))
		bar := newProgressBar()
		bar.SetValue(st.Progress())
		out.Add(bar)
	}
	if st.LastSync.IsZero() {
		out.Add(wrapped("Nothing received from another device yet."))
	} else {
		out.Add(wrapped("Last sync " + st.LastSync.Local().Format(DateTimeLayout)))
	}

	// Peers.
	out.Add(heading("Devices in reach ("+strconv.Itoa(len(st.Peers))+")", theme.SizeNameText))
	if len(st.Peers) == 0 {
		out.Add(wrapped("No other ward device is in reach yet. They appear here when they are switched on and on the same network."))
	}
	for _, p := range st.Peers {
		out.Add(peerCard(p, name))
	}

	if review != nil {
		out.Add(review)
	}

	// Refused devices.
	if len(st.RefusedPeers) > 0 {
		out.Add(heading("Devices refused", theme.SizeNameText))
		for _, d := range sortedKeys(st.RefusedPeers) {
			out.Add(NewCard(container.NewVBox(
				bold(name(d)),
				container.NewHBox(Chip("Not syncing", nhsRed, nhsWhite, true)),
				wrapped(peerReasonText(st.RefusedPeers[d])),
			), nil))
		}
	}
	return out
}

// peerCard is one live peer.
func peerCard(p mesh.PeerStatus, name func(string) string) fyne.CanvasObject {
	info := container.NewVBox(bold(name(p.Device)))
	if p.SkewWarning {
		info.Add(container.NewHBox(Chip("Clock differs by "+skewMinutes(p.ClockSkew), nhsRed, nhsWhite, true)))
	}
	info.Add(wrapped("ID " + p.Device + " · address " + p.Addr))
	heard := "Not heard from yet"
	if !p.LastHeard.IsZero() {
		heard = "Last heard " + p.LastHeard.Local().Format(DateTimeLayout)
	}
	synced := "nothing received from it yet"
	if !p.LastSync.IsZero() {
		synced = "last sync " + p.LastSync.Local().Format(DateTimeLayout)
	}
	info.Add(wrapped(heard + " · " + synced))
	if p.Ahead > 0 {
		info.Add(wrapped("Holds " + count(p.Ahead, "event", "events") + " this device does not have yet"))
	} else {
		info.Add(wrapped("Holds nothing this device lacks"))
	}
	info.Add(wrapped(skewText(p.ClockSkew)))
	return NewCard(info, nil)
}

func bold(text string) *widget.Label {
	l := wrapped(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

// count is "1 event", "2 events".
func count(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatUint(n, 10) + " " + many
}

// skewMinutes is a clock difference in whole minutes, at least 1.
func skewMinutes(d time.Duration) string {
	m := max(1, int(math.Round(math.Abs(d.Minutes()))))
	return strconv.Itoa(m) + " min"
}

// skewText says how a peer's clock compares with this device's. Times
// recorded on a device with a wrong clock look out of order on a chart.
func skewText(d time.Duration) string {
	abs := d.Abs()
	switch {
	case abs < time.Second:
		return "Clock matches this device"
	case abs < time.Minute:
		return fmt.Sprintf("Clock %d s %s this device", int(abs.Seconds()), aheadBehind(d))
	}
	return "Clock " + skewMinutes(d) + " " + aheadBehind(d) + " this device"
}

func aheadBehind(d time.Duration) string {
	if d > 0 {
		return "ahead of"
	}
	return "behind"
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// reasons are the refusals and holds the mesh knows, in plain words. The
// mesh's own reasons are technical (and a peer could put anything in
// them), so they are never shown as they are.
var reasons = []struct {
	err  error
	text string
}{
	{mesh.ErrFlood, "Many corrections or cancellations came from this device in a short time, more than a ward makes. " +
		"Its records are held back until IT has checked them: a broken or stolen device could otherwise wipe out the ward's record."},
	{store.ErrUnknownDevice, "It was made on a device that is not enrolled at this site."},
	{store.ErrRevokedDevice, "It was made on a device after that device was revoked."},
	{store.ErrBadSignature, "Its signature does not check out: it may have been altered on the way."},
	{store.ErrFork, "It does not fit that device's earlier records: the device may have been restored from an old copy."},
	{lifeboat.ErrPermission, "The device that made it was not allowed to."},
	{lifeboat.ErrConflict, "It clashes with a record this device already has."},
	{lifeboat.ErrCorrupt, "It arrived damaged."},
	{lifeboat.ErrInvalid, "It is not a record this version of Lifeboat accepts."},
}

// reasonText is why an event was refused or a device held, in plain
// words, from its error (when known) or its reason text.
func reasonText(err error, reason string) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) || strings.Contains(reason, r.err.Error()) {
			return r.text
		}
	}
	return "It could not be checked. Tell IT if this keeps happening."
}

// peerReasons are why the mesh refuses a device, in plain words.
var peerReasons = []struct {
	err  error
	text string
}{
	{mesh.ErrUnknownPeer, "It is not enrolled at this site. If it is a ward device, IT can enrol it from Devices and staff."},
	{mesh.ErrRevokedPeer, "It has been revoked (lost, stolen or retired)."},
	{mesh.ErrKeyMismatch, "Its key does not match the one it was enrolled with: it may be a different device using the same ID."},
}

// peerReasonText is why a device was refused, in plain words.
func peerReasonText(reason string) string {
	for _, r := range peerReasons {
		if strings.Contains(reason, r.err.Error()) {
			return r.text
		}
	}
	return "It did not identify itself as a device of this site. Tell IT."
}
