package app

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// FirstRun is what the first-run screen can do on a device with no ward
// yet, besides explaining how IT sets one up.
type FirstRun struct {
	// Enrol joins this device to a ward through an admin device showing an
	// enrolment code, making its store protected by the ward passphrase.
	// Its errors are matched against the enrolment's kinds (mesh.Enrol's,
	// mesh.ErrAlreadyEnrolled), each said in its own words; a Plain error
	// is shown as it is. Nil leaves the Join form out.
	Enrol func(ctx context.Context, j JoinRequest) error
	// Setup makes a new site and ward here, with its first IT admin (what
	// `lifeboat init` does); the app has already checked s. Nil leaves the
	// Set up form out.
	Setup func(ctx context.Context, s store.Setup) error
	// Joined runs on Fyne's goroutine after Enrol or Setup succeeds: it
	// opens the new store in the window.
	Joined func()
}

// JoinRequest is what a person types to enrol a device: the full code
// (LIFEBOAT1:...) or the short code with the admin device's address and
// fingerprint, a name for the device and the ward passphrase.
type JoinRequest struct {
	Code, ShortCode, From, Fingerprint string
	Name, Passphrase                   string
}

// ShowFirstRun fills w with what to do on a device with no ward yet: join
// the ward by enrolment (what most devices do, and the only way on a
// phone), or the commands IT uses to set up a new ward or a demo in
// dataDir.
func ShowFirstRun(w fyne.Window, dataDir string, fr FirstRun) {
	b := NewBanner(Status{})
	cmd := func(s string) fyne.CanvasObject {
		e := widget.NewEntry()
		e.SetText(s)
		e.TextStyle = fyne.TextStyle{Monospace: true}
		return e
	}
	objs := []fyne.CanvasObject{heading("This device has no ward yet", theme.SizeNameHeadingText)}
	var scroll *container.Scroll
	reveal := func(o fyne.CanvasObject) {
		if scroll == nil {
			return
		}
		// Lay out again for the new message first (twice: wrapped text
		// knows its height once it has its width).
		for range 2 {
			scroll.Content.Refresh()
			scroll.Refresh()
		}
		scrollIntoView(scroll, o)
	}
	if fr.Enrol != nil {
		objs = append(objs, joinForm(fr, reveal)...)
	}
	objs = append(objs, heading("Set up a new ward", theme.SizeNameSubHeadingText))
	if fr.Setup != nil {
		objs = append(objs, setupForm(fr)...)
	}
	objs = append(objs,
		wrapped("Or, from a command line (the IT team does this once per ward):"),
		cmd("lifeboat init --data \""+dataDir+"\""),
		wrapped("To try Lifeboat on a made-up demo ward, run this instead, then open Lifeboat again:"),
		cmd("lifeboat demo --data \""+dataDir+"\""),
		wrapped("The demo prints its ward passphrase and PINs."),
	)
	body := centred(objs...)
	scroll, _ = body.(*container.Scroll)
	w.SetPadded(false)
	w.SetContent(container.New(&shellLayout{banner: b}, b, body))
}

// joinForm is the Join a ward form: the code IT shows on an enrolled
// device, this device's name and the ward passphrase (twice). reveal
// scrolls an object of the form into view.
func joinForm(fr FirstRun, reveal func(fyne.CanvasObject)) []fyne.CanvasObject {
	code := widget.NewEntry()
	code.SetPlaceHolder("LIFEBOAT1:… or XXXX-XXXX-XXXX-XXXX")
	from := widget.NewEntry()
	from.SetPlaceHolder("Admin device address, e.g. 10.1.7.20:7947")
	fp := widget.NewEntry()
	fp.SetPlaceHolder("16-letter fingerprint shown beside the short code")
	name := widget.NewEntry()
	name.SetPlaceHolder("This device's name, e.g. Ward 7 phone 2")
	pass, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pass.SetPlaceHolder("Ward passphrase (from the sealed card)")
	again.SetPlaceHolder("Ward passphrase again")
	msg := errorLabel()
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	// The short code needs the address and fingerprint; the full code
	// carries them.
	shortOnly := container.NewVBox(from, fp)
	shortOnly.Hide()
	code.OnChanged = func(s string) {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "LIFEBOAT1:") || strings.TrimSpace(s) == "" {
			shortOnly.Hide()
		} else {
			shortOnly.Show()
		}
	}
	var (
		join *widget.Button
		tail *fyne.Container // the message and the button, kept in view together
	)
	join = widget.NewButtonWithIcon("Join the ward", theme.LoginIcon(), func() {
		req := JoinRequest{Name: strings.TrimSpace(name.Text), Passphrase: pass.Text}
		c := strings.TrimSpace(code.Text)
		if strings.HasPrefix(strings.ToUpper(c), "LIFEBOAT1:") {
			req.Code = c
		} else {
			req.ShortCode, req.From, req.Fingerprint = c, strings.TrimSpace(from.Text), strings.TrimSpace(fp.Text)
		}
		var ps forms.Problems
		switch {
		case c == "":
			ps = append(ps, forms.Problem{Field: "code", Message: "Type or paste the enrolment code IT shows on the ward PC."})
		case req.ShortCode != "" && (req.From == "" || req.Fingerprint == ""):
			ps = append(ps, forms.Problem{Field: "code", Message: "With the short code, also type the admin device's address and fingerprint shown beside it."})
		}
		if req.Name == "" {
			ps = append(ps, forms.Problem{Field: "name", Message: "Give this device a name IT will recognise."})
		}
		if len([]rune(pass.Text)) < store.MinPassphraseLen {
			ps = append(ps, forms.Problem{Field: "passphrase", Message: "The ward passphrase is at least 12 characters: copy it from the sealed card."})
		} else if pass.Text != again.Text {
			ps = append(ps, forms.Problem{Field: "passphrase", Message: "The two passphrases are different: type them again."})
		}
		if len(ps) > 0 {
			setMsg(msg, ErrorText(ps))
			reveal(tail)
			return
		}
		setMsg(msg, "")
		join.Disable()
		progress.Show()
		progress.Start()
		go func() {
			err := fr.Enrol(context.Background(), req)
			fyne.Do(func() {
				progress.Stop()
				progress.Hide()
				if err != nil {
					setMsg(msg, joinErrorText(err, req))
					reveal(tail)
					join.Enable()
					return
				}
				join.Enable()
				if fr.Joined != nil {
					fr.Joined()
				}
			})
		}()
	})
	join.Importance = widget.HighImportance
	// The message goes just above the button, and both are scrolled into
	// view when it is shown: on a phone a long message pushed Join below
	// the fold.
	tail = container.NewVBox(msg, progress, join)
	return []fyne.CanvasObject{
		heading("Join a ward", theme.SizeNameSubHeadingText),
		wrapped("Ask IT to show an enrolment code on the ward PC (Devices and staff, then Enrol a device), then type it here."),
		code, shortOnly, name, pass, again, tail,
	}
}

// joinErrorText says why joining failed in plain words, one reason per
// kind of failure: before this every failure read "Could not reach the
// admin device", a mistyped code included.
func joinErrorText(err error, req JoinRequest) string {
	var plain Plain
	var off *mesh.ClockOffError
	at := "the admin device"
	if a := joinAddr(req); a != "" {
		at += " at " + a
	}
	switch {
	case err == nil:
		return ""
	case errors.As(err, &plain):
		// ParseEnrolment's words, written for a command line.
		s := sentence(strings.TrimSpace(string(plain)))
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		return s
	case errors.Is(err, mesh.ErrAlreadyEnrolled):
		return "This device already belongs to a ward. Close Lifeboat and open it again to sign in."
	case errors.As(err, &off):
		way := "ahead of"
		if off.Off > 0 {
			way = "behind"
		}
		return "This device's clock is " + clockGap(off.Off.Abs()) + " " + way + " the admin device's: records made with a wrong clock would be held back. " +
			"Set this device's date and time (automatic is best), then tap Join again: the same code still works."
	case errors.Is(err, mesh.ErrInviteExpired):
		return "That code has expired: codes last 10 minutes. Ask IT to show a new one. (If it was only just shown, check this device's date and time.)"
	case errors.Is(err, mesh.ErrInviteUsed):
		return "The admin device does not know that code. Check it letter by letter against the admin device and try again; if it was already used for another device, ask IT for a new one."
	case errors.Is(err, mesh.ErrWrongDevice):
		return "The device that answered at " + joinAddr(req) + " is not the one showing this code. Check the address and the fingerprint beside the code."
	case errors.Is(err, mesh.ErrEnrolRefused):
		return "The admin device refused to enrol this device. Ask IT to check the admin device, then try again with a new code."
	case errors.Is(err, mesh.ErrUnreachable):
		return "Could not reach " + at + ". Check the address and port (as shown beside the code, e.g. 10.1.7.20:7947), that it is still showing the code, and that both devices are on the ward network."
	}
	return ErrorText(err)
}

// joinAddr is the admin device's address the person asked to join
// through: typed beside the short code, or the first the full code names.
func joinAddr(req JoinRequest) string {
	if req.From != "" {
		return req.From
	}
	if iv, err := mesh.DecodeInvite(strings.TrimSpace(req.Code)); err == nil && len(iv.Addrs) > 0 {
		return iv.Addrs[0]
	}
	return ""
}

// setupForm is the Set up a new ward form, behind a button: the site and
// ward, the first IT admin and their PIN, the break-glass PIN and the ward
// passphrase (twice each).
func setupForm(fr FirstRun) []fyne.CanvasObject {
	site, ward, admin := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	site.SetPlaceHolder("Site (hospital) name, e.g. St Elsewhere General")
	ward.SetPlaceHolder("Ward name, e.g. Ward 7B")
	admin.SetPlaceHolder("Your full name (the first IT admin)")
	pin, pin2, glass := widget.NewPasswordEntry(), widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pin.SetPlaceHolder("Your PIN (4 to 8 digits)")
	pin2.SetPlaceHolder("Your PIN again")
	glass.SetPlaceHolder("Break-glass PIN (for the sealed card)")
	pass, pass2 := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pass.SetPlaceHolder("New ward passphrase (12 characters or more)")
	pass2.SetPlaceHolder("New ward passphrase again")
	adminPass, adminPass2 := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	adminPass.SetPlaceHolder("Your own admin passphrase (12+ characters, not the ward's)")
	adminPass2.SetPlaceHolder("Your admin passphrase again")
	msg := errorLabel()
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	var create *widget.Button
	create = widget.NewButtonWithIcon("Set up the ward", theme.ConfirmIcon(), func() {
		s := store.Setup{SiteName: strings.TrimSpace(site.Text), Ward: strings.TrimSpace(ward.Text), AdminName: strings.TrimSpace(admin.Text),
			AdminPIN: pin.Text, BreakGlassPIN: glass.Text, Passphrase: pass.Text, AdminPassphrase: adminPass.Text}
		var problems []string
		if err := s.Check(); err != nil {
			for _, line := range strings.Split(strings.TrimPrefix(err.Error(), "invalid: "), "\n") {
				problems = append(problems, sentence(strings.TrimSuffix(strings.TrimSpace(line), ": invalid"))+".")
			}
		}
		if glass.Text == "" {
			problems = append(problems, "Choose a break-glass PIN: it goes on the sealed card for emergencies.")
		}
		if pin.Text != pin2.Text {
			problems = append(problems, "The two PINs are different: type them again.")
		}
		if pass.Text != pass2.Text {
			problems = append(problems, "The two passphrases are different: type them again.")
		}
		if adminPass.Text != adminPass2.Text {
			problems = append(problems, "The two admin passphrases are different: type them again.")
		}
		if len(problems) > 0 {
			setMsg(msg, strings.Join(problems, "\n"))
			return
		}
		setMsg(msg, "")
		create.Disable()
		progress.Show()
		progress.Start()
		go func() {
			err := fr.Setup(context.Background(), s)
			fyne.Do(func() {
				progress.Stop()
				progress.Hide()
				create.Enable()
				if err != nil {
					setMsg(msg, ErrorText(err))
					return
				}
				if fr.Joined != nil {
					fr.Joined()
				}
			})
		}()
	})
	create.Importance = widget.HighImportance
	fields := container.NewVBox(site, ward, admin, pin, pin2, adminPass, adminPass2, glass, pass, pass2, msg, progress, create)
	fields.Hide()
	var open *widget.Button
	open = widget.NewButtonWithIcon("Set up a new ward on this device", theme.ContentAddIcon(), func() {
		open.Hide()
		fields.Show()
	})
	return []fyne.CanvasObject{
		wrapped("For the first device of a new ward (IT does this once): this device becomes the ward's first device and you its first IT admin."),
		open, fields,
	}
}
