package app

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/store"
)

// Sizes of the sign-in screens, in Fyne units: keys big enough for gloved
// fingers, a column narrow enough to read on a desktop.
var (
	pinKeySize    = fyne.NewSize(96, 64)
	lockColumnMax = float32(460)
)

// heading returns a bold label at size n.
func heading(text string, n fyne.ThemeSizeName) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = n
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

// wrapped returns a label that wraps at word boundaries.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// errorLabel returns an empty, red, wrapping label for a screen's error.
func errorLabel() *widget.Label {
	l := wrapped("")
	l.Importance = widget.DangerImportance
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Hide()
	return l
}

// setMsg shows text in an error label, hiding it when text is empty so it
// takes no room.
func setMsg(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// centred puts a column of content in the middle of the screen, no wider
// than lockColumnMax, scrolling when the screen is short.
func centred(objs ...fyne.CanvasObject) fyne.CanvasObject {
	col := container.NewVBox(objs...)
	return container.NewVScroll(container.New(&columnLayout{max: lockColumnMax}, col))
}

// columnLayout centres its one object horizontally at up to max wide.
type columnLayout struct{ max float32 }

func (l *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding() * 3
	w := min(l.max, size.Width-2*pad)
	objs[0].Move(fyne.NewPos((size.Width-w)/2, pad))
	// Twice: wrapped text is only as tall as it needs at the final width.
	objs[0].Resize(fyne.NewSize(w, objs[0].MinSize().Height))
	objs[0].Resize(fyne.NewSize(w, objs[0].MinSize().Height))
}

// gridLayout is a fixed grid of cols columns of cells of one size.
type gridLayout struct {
	cols int
	cell fyne.Size
}

func (l gridLayout) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	gap := theme.Padding()
	for i, o := range objs {
		o.Move(fyne.NewPos(float32(i%l.cols)*(l.cell.Width+gap), float32(i/l.cols)*(l.cell.Height+gap)))
		o.Resize(l.cell)
	}
}

func (l gridLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	gap := theme.Padding()
	rows := (len(objs) + l.cols - 1) / l.cols
	return fyne.NewSize(float32(l.cols)*(l.cell.Width+gap)-gap, float32(rows)*(l.cell.Height+gap)-gap)
}

func (l *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := objs[0].MinSize()
	pad := theme.Padding() * 3
	return fyne.NewSize(m.Width+2*pad, m.Height+2*pad)
}

// showUnlock shows the ward passphrase screen.
func (ui *UI) showUnlock() {
	ui.log.Debug("show screen", "screen", "unlock")
	ui.clearKeys()
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Ward passphrase")
	msg := errorLabel()
	var btn *widget.Button
	unlock := func() {
		if pass.Text == "" {
			setMsg(msg, "Type the ward passphrase first.")
			return
		}
		secret := pass.Text
		btn.Disable()
		btn.SetText("Unlocking…")
		setMsg(msg, "")
		var site store.SiteInfo
		ui.Run(func(ctx context.Context) (err error) {
			ui.lockw.Wait()
			if err := ui.st.Unlock(ctx, secret); err != nil {
				return err
			}
			site, err = ui.st.Site(ctx)
			return err
		}, func(err error) {
			btn.Enable()
			btn.SetText("Unlock")
			if err != nil {
				pass.SetText("")
				setMsg(msg, ErrorText(err))
				return
			}
			ui.site = site
			ui.status.Ward = site.Ward
			ui.status.Drill = site.Drill
			ui.startMesh()
			ui.showSignIn()
		})
	}
	btn = widget.NewButtonWithIcon("Unlock", theme.LoginIcon(), unlock)
	btn.Importance = widget.HighImportance
	pass.OnSubmitted = func(string) { unlock() }
	pass.OnChanged = func(string) { ui.Touch() }

	ui.setContent(centred(
		heading("Unlock this device", theme.SizeNameHeadingText),
		wrapped("Type the ward passphrase from the sealed downtime pack."),
		pass, btn, msg,
	))
	ui.win.Canvas().Focus(pass)
	if ui.site.Ward == "" {
		// The ward's name is readable while locked: show it at once.
		var site store.SiteInfo
		ui.Run(func(ctx context.Context) (err error) {
			site, err = ui.st.Site(ctx)
			return err
		}, func(err error) {
			if err == nil {
				ui.site = site
				ui.status.Ward = site.Ward
				ui.status.Drill = site.Drill
				ui.setStatus(ui.status)
			}
		})
	}
}

// signInScreen is the person picker while it is on screen: the UI
// reloads it when the store changes, so a device that has just joined the
// ward lists its staff as they arrive by sync.
type signInScreen struct {
	body fyne.CanvasObject // what setContent showed
	load func()
}

// showSignIn shows the person picker: everyone active on this ward. With
// nobody yet (a device that has just joined, before its first sync) it
// says what it is waiting for, and fills in as people arrive.
func (ui *UI) showSignIn() {
	ui.log.Debug("show screen", "screen", "sign in")
	ui.clearKeys()
	list := container.NewVBox()
	msg := errorLabel()
	waiting := wrapped("")
	waiting.Hide()
	body := centred(
		heading("Who are you?", theme.SizeNameHeadingText),
		wrapped("Tap your name, then type your PIN."),
		waiting, list, msg,
	)
	ui.setContent(body)
	var shown []store.User // the people listed
	listed := false
	load := func() {
		var users []store.User
		site := ui.site
		ui.Run(func(ctx context.Context) (err error) {
			if site.Ward == "" {
				if site, err = ui.st.Site(ctx); err != nil {
					return err
				}
			}
			users, err = ui.st.Users(ctx)
			return err
		}, func(err error) {
			if ui.body != body {
				return // another screen since
			}
			if err != nil {
				setMsg(msg, ErrorText(err))
				return
			}
			setMsg(msg, "")
			ui.site = site
			ui.status.Ward = site.Ward
			ui.status.Drill = site.Drill
			ui.setStatus(ui.status)
			var active []store.User
			for _, u := range users {
				if u.Active {
					active = append(active, u)
				}
			}
			if listed && slices.EqualFunc(active, shown, func(a, b store.User) bool {
				return a.ID == b.ID && a.Name == b.Name && a.Role == b.Role
			}) {
				return // unchanged: keep the buttons under the person's finger
			}
			listed, shown = true, active
			list.Objects = nil
			for _, u := range active {
				b := widget.NewButtonWithIcon(u.Name+"  ·  "+u.Role.Label(), theme.AccountIcon(), func() { ui.showPIN(u) })
				b.Alignment = widget.ButtonAlignLeading
				list.Add(b)
			}
			list.Refresh()
			if len(active) == 0 {
				waiting.SetText(ui.waitingForStaff())
				waiting.Show()
			} else {
				waiting.Hide()
			}
		})
	}
	ui.signIn = &signInScreen{body: body, load: load}
	// The banner's census time and core system state first, then the
	// names: the outage strip arriving after them would push every name
	// down under a finger on its way to tap one.
	ui.refreshSnapshot(load)
}

// waitingForStaff says why the sign-in list is empty: the staff list has
// not arrived from the ward yet (or cannot, with sync off).
func (ui *UI) waitingForStaff() string {
	if ui.startSync == nil && ui.sync == nil {
		return "This device has no staff list yet, and sync is off: it arrives when the device syncs with the ward. Ask IT."
	}
	from := "the ward's other devices"
	if ui.staffFrom != "" {
		from = ui.staffFrom
	}
	return "Waiting for the ward's staff list from " + from + "… Your name appears here once it has arrived; keep this device on the ward network."
}

// showPIN shows the PIN pad for u (and, for the break-glass account, the
// reason it is being used, which is audited).
func (ui *UI) showPIN(u store.User) { ui.showPINWith(u, "") }

// showPINWith is showPIN with a note above the pad ("" for none): why the
// PIN is being asked for.
func (ui *UI) showPINWith(u store.User, note string) {
	ui.log.Debug("show screen", "screen", "PIN")
	ui.Touch()
	var pin []byte
	dots := heading("", theme.SizeNameHeadingText)
	dots.Alignment = fyne.TextAlignCenter
	dots.Wrapping = fyne.TextWrapOff
	msg := errorLabel()
	var reason *widget.Entry
	showDots := func() {
		if len(pin) == 0 {
			dots.SetText("Enter your PIN")
			return
		}
		dots.SetText(strings.Repeat("● ", len(pin)))
	}
	var signIn *widget.Button
	add := func(d byte) {
		ui.Touch()
		if len(pin) < 8 {
			pin = append(pin, d)
		}
		showDots()
	}
	del := func() {
		ui.Touch()
		if len(pin) > 0 {
			pin = pin[:len(pin)-1]
		}
		showDots()
	}
	submit := func() {
		why := ""
		if reason != nil {
			why = strings.TrimSpace(reason.Text)
			if why == "" {
				setMsg(msg, "Say why you are using the break-glass account. Every use is checked.")
				return
			}
		}
		if len(pin) < 4 {
			setMsg(msg, "Your PIN has at least 4 digits.")
			return
		}
		typed := string(pin)
		pin = pin[:0]
		showDots()
		setMsg(msg, "")
		signIn.Disable()
		var s *store.Session
		ui.Run(func(ctx context.Context) (err error) {
			s, err = ui.st.SignIn(ctx, u.ID, typed, why)
			return err
		}, func(err error) {
			signIn.Enable()
			if err != nil {
				setMsg(msg, ErrorText(err))
				return
			}
			ui.clearKeys()
			ui.signedIn(s)
		})
	}

	keys := container.New(gridLayout{cols: 3, cell: pinKeySize})
	for _, d := range "123456789" {
		keys.Add(ui.pinKey(string(d), func() { add(byte(d)) }))
	}
	keys.Add(ui.pinKey("Clear", func() { pin = pin[:0]; showDots() }))
	keys.Add(ui.pinKey("0", func() { add('0') }))
	keys.Add(ui.pinKey("Delete", del))

	signIn = widget.NewButtonWithIcon("Sign in", theme.LoginIcon(), submit)
	signIn.Importance = widget.HighImportance
	other := widget.NewButton("Not you? Choose someone else", ui.showSignIn)

	objs := []fyne.CanvasObject{heading(u.Name, theme.SizeNameHeadingText), wrapped(u.Role.Label())}
	if note != "" {
		objs = append(objs, wrapped(note))
	}
	if u.Role == lifeboat.RoleBreakGlass {
		reason = widget.NewMultiLineEntry()
		reason.SetPlaceHolder("Why are you using break-glass? (required)")
		reason.Wrapping = noteWrap
		reason.SetMinRowsVisible(2)
		objs = append(objs, wrapped("Break-glass: every use is recorded and checked."), reason)
	}
	objs = append(objs, dots, container.NewCenter(keys), signIn, msg, other)
	showDots()
	ui.setContent(centred(objs...))

	// Desktop keyboards type digits straight into the pad.
	c := ui.win.Canvas()
	c.SetOnTypedRune(func(r rune) {
		if r >= '0' && r <= '9' {
			add(byte(r))
		}
	})
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyBackspace:
			del()
		case fyne.KeyReturn, fyne.KeyEnter:
			submit()
		}
	})
}

// pinKey is one big key of the PIN pad.
func (ui *UI) pinKey(label string, tap func()) fyne.CanvasObject {
	b := widget.NewButton(label, tap)
	if len(label) == 1 {
		b.Importance = widget.LowImportance
		return container.NewStack(canvasBox(), b)
	}
	return b
}

// clearKeys stops the window's keyboard going to the PIN pad.
func (ui *UI) clearKeys() {
	c := ui.win.Canvas()
	c.SetOnTypedRune(nil)
	c.SetOnTypedKey(nil)
}

// canvasBox is the white face of a PIN key.
func canvasBox() fyne.CanvasObject {
	r := canvas.NewRectangle(nhsWhite)
	r.StrokeColor = nhsGrey3
	r.StrokeWidth = 1
	r.CornerRadius = 8
	return r
}
