package app

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
)

// The kinds of device the scope chooser offers, as the admin reads them.
// Each makes one shape of subscription (see scopeChooser.Subscription).
const (
	holdWards = "Chosen wards"           // the wards ticked, and the pharmacy if ticked
	holdAll   = "Every ward (reads all)" // lifeboat.ScopeAll
	holdRelay = "Site relay"             // every scope forwarded sealed, none read
	holdSite  = "Bed manager (site only)"
)

// holdKinds is the order the chooser offers them.
var holdKinds = []string{holdWards, holdAll, holdRelay, holdSite}

// holdAbout says what each kind holds, under the choice: the choices
// themselves stay short enough for a phone.
var holdAbout = map[string]string{
	holdWards: "Reads and records in the wards ticked below (and the pharmacy's stock, if ticked). A ward PC, laptop or phone: give it the fewest wards its users need.",
	holdAll:   "Reads and records in every ward and the pharmacy, now and later. Only for a device that really serves the whole hospital: a lost one exposes every ward.",
	holdRelay: "Forwards every ward's records sealed, for the wards' devices to catch up from, and reads none of them. For an always-on relay PC (lifeboat serve).",
	holdSite:  "Holds the site only: staff, devices and each ward's bed counts, no patients. For a bed manager's device.",
}

// scopeChooser asks what a device holds: the wards it serves (and the
// pharmacy), every ward, a site relay's sealed copy of every ward, or the
// site alone. Enrolling a device and changing one's scopes share it.
type scopeChooser struct {
	kind     *widget.RadioGroup
	about    *widget.Label
	wards    []lifeboat.Scope // one a check, in the order shown
	checks   []*widget.Check
	pharmacy *widget.Check
	picks    *fyne.Container // the ticks, shown for holdWards only
	content  fyne.CanvasObject
	onChange func() // after the kind changes (the dialog fits its new height)
}

// newScopeChooser offers the site's wards, with cur's choices made (nil:
// nothing chosen). A ward cur names that the site has no layout for is
// offered too, ticked, so a change never drops it unseen.
func newScopeChooser(ui *UI, wards []forms.Ward, cur lifeboat.Subscription) *scopeChooser {
	c := &scopeChooser{about: wrapped("")}
	box := container.NewVBox()
	if !ui.narrow() {
		box = container.NewGridWithColumns(2)
	}
	add := func(s lifeboat.Scope, label string) {
		c.wards = append(c.wards, s)
		ch := widget.NewCheck(label, func(bool) { ui.Touch() })
		c.checks = append(c.checks, ch)
		box.Add(ch)
	}
	for _, w := range wards {
		add(lifeboat.WardScope(w.ID), wardLabel(w))
	}
	for _, s := range cur {
		if _, ok := s.Ward(); ok && !slices.Contains(c.wards, s) {
			add(s, s.Label())
		}
	}
	c.pharmacy = widget.NewCheck("Pharmacy: stock and supplies", func(bool) { ui.Touch() })
	var list fyne.CanvasObject = box
	if len(c.checks) == 0 {
		list = wrapped("No ward is set up yet: set up the ward first, or choose another kind of device.")
	}
	c.picks = container.NewVBox(widget.NewLabelWithStyle("Wards", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), list, c.pharmacy)
	c.kind = widget.NewRadioGroup(holdKinds, func(k string) {
		ui.Touch()
		c.show(k)
		if c.onChange != nil {
			c.onChange()
		}
	})
	c.set(cur)
	c.content = container.NewVBox(c.kind, c.about, c.picks)
	return c
}

// wardLabel is how the chooser and the devices list name a ward.
func wardLabel(w forms.Ward) string {
	if w.Name != "" {
		return w.Name
	}
	return lifeboat.WardScope(w.ID).Label()
}

// set makes the choices sub stands for.
func (c *scopeChooser) set(sub lifeboat.Subscription) {
	var kind string
	switch {
	case len(sub) == 0:
	case slices.Contains(sub, lifeboat.ScopeAll):
		kind = holdAll
	case slices.Contains(sub, lifeboat.Forward(lifeboat.ScopeAll)):
		kind = holdRelay
	case !slices.ContainsFunc(sub, func(s lifeboat.Scope) bool { return s != lifeboat.ScopeSite }):
		kind = holdSite
	default:
		kind = holdWards
		for i, s := range c.wards {
			c.checks[i].SetChecked(slices.Contains(sub, s))
		}
		c.pharmacy.SetChecked(slices.Contains(sub, lifeboat.ScopePharmacy))
	}
	c.kind.SetSelected(kind)
	c.show(kind)
}

// show explains kind and shows the ward ticks only when they count.
func (c *scopeChooser) show(kind string) {
	setMsg(c.about, holdAbout[kind])
	if kind == holdWards {
		c.picks.Show()
	} else {
		c.picks.Hide()
	}
}

// Subscription is what the choices make, or the problem (in plain words)
// that there is no choice: a device is never given every scope by default.
func (c *scopeChooser) Subscription() (lifeboat.Subscription, error) {
	switch c.kind.Selected {
	case holdAll:
		return lifeboat.Subscription{lifeboat.ScopeAll}, nil
	case holdRelay:
		return lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}, nil
	case holdSite:
		return lifeboat.Subscription{lifeboat.ScopeSite}, nil
	case holdWards:
		var sub lifeboat.Subscription
		for i, ch := range c.checks {
			if ch.Checked {
				sub = append(sub, c.wards[i])
			}
		}
		if c.pharmacy.Checked {
			sub = append(sub, lifeboat.ScopePharmacy)
		}
		if len(sub) == 0 {
			return nil, forms.Problems{{Field: "wards", Message: "Tick the wards the device serves (or the pharmacy), or choose another kind of device."}}
		}
		return sub, nil
	}
	return nil, forms.Problems{{Field: "scopes", Message: "Choose what the device holds: chosen wards, every ward, a site relay or a bed manager's site only."}}
}

// holdsText says in plain words what sub holds, naming wards as the
// site's layouts do ("Ward 7 - Acute Medicine, Pharmacy and the site").
func holdsText(sub lifeboat.Subscription, wards []forms.Ward) string {
	names := map[lifeboat.Scope]string{}
	for _, w := range wards {
		names[lifeboat.WardScope(w.ID)] = wardLabel(w)
	}
	name := func(s lifeboat.Scope) string {
		if n, ok := names[s]; ok {
			return n
		}
		return s.Label()
	}
	switch {
	case len(sub) == 0, slices.Contains(sub, lifeboat.ScopeAll):
		return "every ward, the pharmacy and the site (reads all)"
	case slices.Equal(sub, lifeboat.Subscription{lifeboat.Forward(lifeboat.ScopeAll)}):
		return "every ward and the pharmacy sealed (forwards them, reads none) and the site"
	}
	var parts []string
	for _, s := range sub {
		switch f, fwd := s.Forwarded(); {
		case s == lifeboat.ScopeSite:
		case fwd && f == lifeboat.ScopeAll:
			parts = append(parts, "every ward sealed (forwarded, not read)")
		case fwd:
			parts = append(parts, name(f)+" sealed (forwarded, not read)")
		default:
			parts = append(parts, name(s))
		}
	}
	if len(parts) == 0 {
		return "the site only (staff, devices and bed counts; no patients)"
	}
	return strings.Join(parts, ", ") + " and the site"
}

// chooseScopes shows the scope chooser in a dialog titled title over
// the site's wards (read first, off Fyne's goroutine, with what this
// device holds), with cur's choice made; intro says what the choice is
// for. ok runs with the subscription once one is chosen; with none the
// dialog stays and says so.
func chooseScopes(ui *UI, title, intro, save string, cur func(wards []forms.Ward, mine lifeboat.Subscription) lifeboat.Subscription, ok func(lifeboat.Subscription, []forms.Ward)) {
	var (
		wards []forms.Ward
		mine  lifeboat.Subscription
	)
	ui.Run(func(ctx context.Context) (err error) {
		if wards, err = ui.Store().Wards(ctx); err != nil {
			return err
		}
		mine, err = ui.Store().Subscription(ctx)
		return err
	}, func(err error) {
		if err != nil {
			ui.ShowError(err)
			return
		}
		c := newScopeChooser(ui, wards, cur(wards, mine))
		problem := errorLabel()
		var d dialog.Dialog
		body := container.NewVScroll(container.NewVBox(wrapped(intro), c.content))
		var foot *fyne.Container
		fit := func() {
			// As tall as what it holds, up to the window: a hospital's
			// forty wards scroll, its buttons and problem stay in reach.
			size := ui.win.Canvas().Size()
			full := fyne.NewSize(min(size.Width-24, 720), min(size.Height-24, 900))
			d.Resize(full)
			want := body.Content.MinSize().Height + foot.MinSize().Height + dialogChrome
			d.Resize(fyne.NewSize(full.Width, min(full.Height, want)))
		}
		c.onChange = fit
		saveBtn := widget.NewButtonWithIcon(save, theme.ConfirmIcon(), func() {
			sub, err := c.Subscription()
			if err != nil {
				setMsg(problem, ErrorText(err))
				fit()
				return
			}
			d.Hide()
			ok(sub, wards)
		})
		saveBtn.Importance = widget.HighImportance
		cancel := widget.NewButton("Cancel", func() { d.Hide() })
		foot = container.NewVBox(problem, container.NewGridWithColumns(2, cancel, saveBtn))
		d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, foot, nil, nil, body), ui.win)
		d.Show()
		fit()
	})
}

// dialogChrome is the height a custom dialog adds around its content:
// its title and padding.
const dialogChrome = 120

// thisWard is the ward this device is on (its site's ward, by ID or name)
// if it reads that ward: the default for a device enrolled from a ward's
// device. Nil (no default) on a relay or a bed manager's device.
func thisWard(here string, wards []forms.Ward, mine lifeboat.Subscription) lifeboat.Subscription {
	for _, w := range wards {
		if s := lifeboat.WardScope(w.ID); here != "" && (w.ID == here || w.Name == here) && mine.Reads(s) {
			return lifeboat.Subscription{s}
		}
	}
	return nil
}
