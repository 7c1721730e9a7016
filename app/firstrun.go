package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowFirstRun fills w with what to do on a device with no ward yet: the
// commands that set one up in dataDir. (A first-run screen that creates
// the site, or joins one by enrolment, is still to come.)
func ShowFirstRun(w fyne.Window, dataDir string) {
	b := NewBanner(Status{})
	cmd := func(s string) fyne.CanvasObject {
		e := widget.NewEntry()
		e.SetText(s)
		e.TextStyle = fyne.TextStyle{Monospace: true}
		return e
	}
	body := centred(
		heading("This device has no ward yet", theme.SizeNameHeadingText),
		wrapped("To set up a new ward (the IT team does this once), close Lifeboat and run:"),
		cmd("lifeboat init --data \""+dataDir+"\""),
		wrapped("To try Lifeboat on a made-up demo ward, run this instead, then open Lifeboat again:"),
		cmd("lifeboat demo --data \""+dataDir+"\""),
		wrapped("The demo prints its ward passphrase and PINs."),
	)
	w.SetPadded(false)
	w.SetContent(container.New(&shellLayout{banner: b}, b, body))
}
