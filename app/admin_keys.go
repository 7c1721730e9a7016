package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
)

// siteKeyCard says where the ward is with the latest change of its site
// key (made with each revocation), naming the devices it waits for; nil
// when the key has never changed. A device that missed a change (it was
// enrolled while one was under way) is told to enrol again.
func siteKeyCard(rots []lifeboat.KeyRotation, devs []deviceRow) fyne.CanvasObject {
	if len(rots) == 0 {
		return nil
	}
	names := map[string]string{}
	for _, d := range devs {
		if d.Name != "" {
			names[d.ID] = d.Name
		} else {
			names[d.ID] = "Device " + d.ID
		}
		if d.Self {
			names[d.ID] = "this device"
		}
	}
	r := rots[len(rots)-1]
	title := widget.NewLabel("Site key")
	title.TextStyle = fyne.TextStyle{Bold: true}
	var chip fyne.CanvasObject
	var text string
	waiting := make([]string, len(r.Waiting))
	for i, d := range r.Waiting {
		waiting[i] = names[d]
		if waiting[i] == "" {
			waiting[i] = "Device " + d
		}
	}
	when := "Changed " + r.At.Local().Format(DateTimeLayout)
	if r.Revoked != "" {
		who := names[r.Revoked]
		if who == "" {
			who = "Device " + r.Revoked
		}
		when += " when " + who + " was revoked"
		if r.Reason != "" {
			when += " (" + r.Reason + ")"
		}
	}
	when += ". "
	switch r.Step {
	case "install":
		chip = Chip("Changing", nhsWarmYellow, nhsBlack, true)
		text = when + "Waiting for " + strings.Join(waiting, ", ") + " to receive the new key. Until then the ward keeps the old one: switch these devices on and connect them to the ward network, or revoke any that are lost."
	case "use":
		chip = Chip("Changing", nhsWarmYellow, nhsBlack, true)
		text = when + "Every device has the new key; waiting for " + strings.Join(waiting, ", ") + " to switch to it."
	default:
		chip = Chip("Changed", nhsGreen, nhsWhite, true)
		text = when + "Every device uses the new key and the old one is retired: a revoked device can no longer connect."
	}
	for _, x := range rots {
		if x.Missed && x.Step == "done" {
			chip = Chip("Enrol again", nhsRed, nhsWhite, true)
			text = "This device was enrolled while the site key was changing and did not receive the new key: it can no longer reach the ward. Enrol it again from an admin device."
		}
	}
	return NewCard(container.NewVBox(title, container.NewHBox(chip), wrapped(text)), nil)
}
