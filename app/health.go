package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

func init() {
	Register(Section{ID: "health", Title: "Device check", Order: 75,
		Icon:  theme.DefaultTheme().Icon(theme.IconNameInfo),
		Roles: []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RolePharmacist, lifeboat.RoleBedManager, lifeboat.RoleITAdmin},
		Make:  newHealthScreen})
}

// Free space below which the device check warns, and below which it is a
// problem (a day of a busy ward's records is a few MB; backups before an
// upgrade copy the whole store).
const (
	diskLow      = 1 << 30
	diskCritical = 200 << 20
)

// healthLevel is how a check came out.
type healthLevel int

const (
	healthOK healthLevel = iota
	healthWarn
	healthBad
)

var healthChips = map[healthLevel]struct {
	text   string
	bg, fg color.Color
}{
	healthOK:   {"OK", nhsGreen, nhsWhite},
	healthWarn: {"Check", nhsWarmYellow, nhsBlack},
	healthBad:  {"Problem", nhsRed, nhsWhite},
}

// healthItem is one line of the device check.
type healthItem struct {
	What   string
	Level  healthLevel
	Detail string
}

// healthInput is what the device check looks at, gathered off the UI
// thread so the checks themselves are a pure function.
type healthInput struct {
	Now        time.Time
	Free       uint64
	FreeErr    error
	StoreBytes int64
	Device     string
	SiteKeys   int
	// MissedKey: the ward finished changing its sync key without this
	// device (enrolled while the change was under way).
	MissedKey bool
	Sync      *mesh.Status // nil: sync off
	Drill     bool
}

// healthChecks turns what was gathered into the device check's lines.
func healthChecks(in healthInput) []healthItem {
	var out []healthItem
	disk := healthItem{What: "Storage"}
	switch {
	case in.FreeErr != nil:
		disk.Level, disk.Detail = healthWarn, "Free space could not be read on this device."
	case in.Free < diskCritical:
		disk.Level, disk.Detail = healthBad, fmt.Sprintf("Only %s free: new records may fail to save. Ask IT to free space now.", bytesText(in.Free))
	case in.Free < diskLow:
		disk.Level, disk.Detail = healthWarn, fmt.Sprintf("%s free: ask IT to free some space.", bytesText(in.Free))
	default:
		disk.Detail = fmt.Sprintf("%s free.", bytesText(in.Free))
	}
	disk.Detail += fmt.Sprintf(" The ward's records take %s here.", bytesText(uint64(max(in.StoreBytes, 0))))
	out = append(out, disk)

	keys := healthItem{What: "Keys", Detail: fmt.Sprintf("This device's signing key (device %s) and the ward's sync key are present.", in.Device)}
	switch {
	case in.Device == "":
		keys.Level, keys.Detail = healthBad, "This device has no signing key: ask IT to enrol it again."
	case in.SiteKeys == 0:
		keys.Level, keys.Detail = healthBad, "This device has no sync key for the ward: ask IT to enrol it again."
	case in.MissedKey:
		keys.Level, keys.Detail = healthBad, "The ward changed its sync key while this device was being enrolled, and this device did not receive the new one: it can no longer reach the ward. Ask IT to enrol it again."
	}
	out = append(out, keys)

	syncItem := healthItem{What: "Sync"}
	clock := healthItem{What: "Clock", Detail: "Not compared: no other ward device is in reach."}
	switch {
	case in.Sync == nil:
		syncItem.Level, syncItem.Detail = healthWarn, "Sync is off: records made here stay on this device until it syncs with the ward."
		clock.Level = healthWarn
	case len(in.Sync.Peers) == 0:
		syncItem.Level, syncItem.Detail = healthWarn, "No other ward device is in reach. Check the network; records are kept here meanwhile."
		clock.Level = healthWarn
	default:
		st := in.Sync
		syncItem.Detail = fmt.Sprintf("%d other device(s) in reach.", len(st.Peers))
		if st.LastSync.IsZero() {
			syncItem.Detail += " Nothing new received yet."
		} else {
			syncItem.Detail += " Last received " + st.LastSync.Local().Format(DateTimeLayout) + "."
		}
		if st.ToReceive > 0 {
			syncItem.Level = healthWarn
			syncItem.Detail += fmt.Sprintf(" %d records still to receive.", st.ToReceive)
		}
		clock = clockCheck(st)
	}
	out = append(out, syncItem, clock)
	if in.Drill {
		out = append(out, healthItem{What: "Drill", Level: healthWarn, Detail: "This is the training store: nothing here is real or exported."})
	}
	return out
}

// clockCheck compares this device's clock with its peers' and names the
// device whose clock is off: this one if most peers disagree with it, else
// each peer that disagrees with the rest, and each device whose records
// are held for a clock far ahead.
func clockCheck(st *mesh.Status) healthItem {
	clock := healthItem{What: "Clock"}
	var worst time.Duration
	var off []mesh.PeerStatus
	for _, p := range st.Peers {
		worst = max(worst, p.ClockSkew.Abs())
		if p.ClockSkew.Abs() > mesh.ClockSkewLimit {
			off = append(off, p)
		}
	}
	clock.Detail = "Within a minute of the other ward devices."
	if worst >= time.Minute {
		clock.Detail = fmt.Sprintf("Differs from another ward device by up to %s.", clockGap(worst))
	}
	switch {
	case len(off) == 0:
	case len(st.Peers) >= 2 && 2*len(off) > len(st.Peers):
		clock.Level = healthBad
		clock.Detail = fmt.Sprintf("This device's clock differs from most ward devices (by up to %s). Check this device's date and time settings: times recorded here may be wrong (the order of records is still kept).", clockGap(worst))
	case len(st.Peers) == 1:
		clock.Level = healthBad
		clock.Detail = fmt.Sprintf("This device and device %s differ by %s, and no third device is in reach to tell which is wrong. Check the date and time settings on both.", off[0].Device, clockGap(worst))
	default:
		clock.Level = healthBad
		clock.Detail = ""
		for _, p := range off {
			way := "ahead of"
			if p.ClockSkew < 0 {
				way = "behind"
			}
			clock.Detail += fmt.Sprintf("Device %s's clock is %s %s this device's and the others'. ", p.Device, clockGap(p.ClockSkew.Abs()), way)
		}
		clock.Detail += "Ask IT to check its date and time settings."
	}
	held := map[string]int{}
	var devs []string
	for _, q := range st.Quarantined {
		if errors.Is(q.Err, lifeboat.ErrClockAhead) {
			if held[q.Device] == 0 {
				devs = append(devs, q.Device)
			}
			held[q.Device]++
		}
	}
	sort.Strings(devs)
	for _, d := range devs {
		clock.Level = healthBad
		clock.Detail += fmt.Sprintf(" %d record(s) from device %s are held: they are stamped too far ahead of this device's time (its clock is wrong). They go in once the time catches up, or when IT releases them (lifeboat quarantine).", held[d], d)
	}
	clock.Detail = strings.TrimSpace(clock.Detail)
	return clock
}

// clockGap is a clock difference for people.
func clockGap(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d h", int(math.Round(d.Hours())))
	}
	return fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
}

// bytesText is a size for people.
func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// healthScreen is the device check: storage, keys, sync and clock, and a
// full check of the store on demand.
type healthScreen struct {
	ui     *UI
	msg    *widget.Label
	items  *fyne.Container
	verify *widget.Label
	busy   *widget.ProgressBarInfinite
	check  *widget.Button
	scroll *container.Scroll
}

func newHealthScreen(ui *UI) fyne.CanvasObject {
	h := &healthScreen{ui: ui, msg: errorLabel(), items: container.NewVBox(), verify: wrapped(""), busy: widget.NewProgressBarInfinite()}
	h.busy.Hide()
	h.verify.Hide()
	h.check = widget.NewButtonWithIcon("Check the store now", theme.SearchIcon(), h.verifyStore)
	body := container.NewVBox(h.msg,
		wrapped("Run before a downtime, at each shift change during one, and whenever something seems wrong."),
		h.items, heading("The ward's records on this device", theme.SizeNameSubHeadingText),
		wrapped("Checks every record's signature, the chain of records and the audit log. It can take a minute on a big ward."),
		newFlow(h.check), h.busy, h.verify)
	h.scroll = container.NewVScroll(container.NewPadded(body))
	return NewScreen(h.scroll, h.load)
}

func (h *healthScreen) load() {
	in := healthInput{Now: h.ui.Now(), Drill: h.ui.Site().Drill}
	if s := h.ui.Sync(); s != nil {
		st := s.Status()
		in.Sync = &st
	}
	h.ui.Run(func(ctx context.Context) (err error) {
		if in.Device, err = h.ui.Store().Device(ctx); err != nil {
			return err
		}
		keys, err := h.ui.Store().SiteKeys(ctx)
		if err != nil {
			return err
		}
		in.SiteKeys = len(keys)
		rots, err := h.ui.Store().KeyRotations(ctx)
		if err != nil {
			return err
		}
		for _, r := range rots {
			in.MissedKey = in.MissedKey || (r.Missed && r.Step == "done")
		}
		path := h.ui.Store().Path()
		in.Free, in.FreeErr = diskFree(filepath.Dir(path))
		for _, p := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(p); err == nil {
				in.StoreBytes += fi.Size()
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			setMsg(h.msg, ErrorText(err))
			return
		}
		setMsg(h.msg, "")
		h.items.Objects = nil
		for _, it := range healthChecks(in) {
			c := healthChips[it.Level]
			title := widget.NewLabel(it.What)
			title.TextStyle = fyne.TextStyle{Bold: true}
			h.items.Add(NewCard(container.NewVBox(container.NewHBox(Chip(c.text, c.bg, c.fg, true), title), wrapped(it.Detail)), nil))
		}
		h.items.Refresh()
	})
}

// maxVerifyLines is how many of the store check's problems the screen
// lists; `lifeboat verify` lists them all.
const maxVerifyLines = 20

// verifyStore runs the store's full check on a goroutine and shows what
// it found below the button, scrolled into view: the check is below the
// fold on a laptop, and a result nobody sees is no check.
func (h *healthScreen) verifyStore() {
	h.ui.Touch()
	h.check.Disable()
	h.busy.Show()
	h.busy.Start()
	h.verify.Importance = widget.MediumImportance
	h.verify.TextStyle = fyne.TextStyle{}
	h.verify.SetText("Checking every record…")
	h.verify.Show()
	h.scroll.Refresh()
	h.scroll.ScrollToBottom()
	var rep store.VerifyReport
	var took time.Duration
	h.ui.Run(func(ctx context.Context) (err error) {
		start := time.Now()
		rep, err = h.ui.Store().Verify(ctx)
		took = time.Since(start)
		return err
	}, func(err error) {
		h.check.Enable()
		h.busy.Stop()
		h.busy.Hide()
		h.verify.Importance = widget.SuccessImportance
		if err != nil {
			h.verify.Importance = widget.DangerImportance
		} else if !rep.OK() {
			h.ui.log.Warn("store check found problems", "count", len(rep.Problems))
			h.verify.Importance = widget.DangerImportance
		}
		h.verify.SetText(verifyText(rep, err, h.ui.Now(), took))
		h.verify.TextStyle = fyne.TextStyle{Bold: true}
		h.verify.Show()
		h.verify.Refresh()
		h.scroll.Refresh() // lay out the result before scrolling to it
		h.scroll.ScrollToBottom()
	})
}

// verifyText is the store check's result for people: when it ran, how
// many records it read and how long it took, or each problem it found
// (where and what: record numbers, never patient data).
func verifyText(rep store.VerifyReport, err error, at time.Time, took time.Duration) string {
	when := "Checked at " + at.Local().Format("15:04") + " in " + durationWords(took)
	switch {
	case err != nil:
		return "The store could not be checked: " + ErrorText(err)
	case rep.OK():
		return fmt.Sprintf("%s: all %d records and the audit log are intact. Nothing is damaged or altered.", when, rep.Events)
	}
	lines := []string{fmt.Sprintf("%s: %d problem(s) found in %d records. Stop using this device for new records and tell IT.", when, len(rep.Problems), rep.Events)}
	for i, p := range rep.Problems {
		if i == maxVerifyLines {
			lines = append(lines, fmt.Sprintf("… and %d more (lifeboat verify lists them all).", len(rep.Problems)-maxVerifyLines))
			break
		}
		lines = append(lines, "• "+p.String())
	}
	return strings.Join(lines, "\n")
}

// durationWords is how long something took, for people.
func durationWords(d time.Duration) string {
	if d < time.Second {
		return "under a second"
	}
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
}
