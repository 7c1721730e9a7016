package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
)

// checkStep is one step of the downtime checklist: what to do, in plain
// words, and the screen that does it, if there is one.
type checkStep struct {
	Text string
	// Button opens Section (a section ID), or the ward's printouts when
	// Section is "print"; "" means no button.
	Button, Section string
}

// checklists are the first steps of a downtime for each role, from the
// deployment guide's drill and the pharmacy continuity plan. A role not
// listed (break-glass) gets the ward staff's.
var checklists = map[lifeboat.Role][]checkStep{
	lifeboat.RoleWardStaff: {
		{Text: `Check "Patient data as of" in the banner: anything that changed after that time is not in Lifeboat. Ask at handover what did.`},
		{Text: "Print the ward list, every patient's medicines chart (MAR) and blank charts now, while there is power and a printer.", Button: "Print ward list and charts", Section: "print"},
		{Text: "Record on Lifeboat, not on paper, while a device works: observations, doses given, handover. The ward's other devices get it within seconds."},
		{Text: "If the devices go down too, carry on on the printed charts. They are entered into Lifeboat when the devices are back."},
		{Text: "Leaving a device: press Switch user or Lock."},
	},
	lifeboat.RolePharmacist: {
		{Text: `Open the pharmacy's Plan tab and work through "First hour".`, Button: "Open Pharmacy", Section: "pharmacy"},
		{Text: "Check the controlled-drugs register and the critical stock list."},
		{Text: `Check "Patient data as of" in the banner: orders written after it are not in Lifeboat. Confirm them with the wards.`},
		{Text: "Record supplies and register entries on Lifeboat, not on paper."},
	},
	lifeboat.RoleBedManager: {
		{Text: "Open Beds: check each ward's free, closed and isolation beds.", Button: "Open Beds", Section: "beds"},
		{Text: "Record admissions, transfers and discharges on Lifeboat as they happen, so every ward's devices show them."},
		{Text: `Check "Patient data as of" in the banner: moves after it are not shown. Check with the wards.`},
	},
	lifeboat.RoleITAdmin: {
		{Text: "Run the device check on each ward device: power, storage and the records intact.", Button: "Open Device check", Section: "health"},
		{Text: "Check sync: every ward device should see the others.", Button: "Open Sync", Section: "sync"},
		{Text: "Check the core system feed: when it last pulled, and that it keeps trying, so the census updates as soon as the core system answers.", Button: "Open Devices and staff", Section: "admin"},
		{Text: "Print each ward's list and charts now and at each shift change (lifeboat print)."},
		{Text: "When the core system answers again, send the downtime records back from Reconciliation."},
	},
}

// checklistFor returns the steps for role.
func checklistFor(role lifeboat.Role) []checkStep {
	if steps, ok := checklists[role]; ok {
		return steps
	}
	return checklists[lifeboat.RoleWardStaff]
}

// ShowChecklist shows the first steps of a downtime for the signed-in
// person's role, each with a button to the screen that does it: what the
// banner's "Downtime checklist" opens.
func (ui *UI) ShowChecklist() {
	if ui.session == nil {
		return
	}
	ui.Touch()
	var d dialog.Dialog
	allowed := map[string]bool{"print": true}
	for _, s := range ui.Sections() {
		allowed[s.ID] = true
	}
	box := container.NewVBox(wrapped("The core system is not answering. Lifeboat is the record until it does. First steps for you:"))
	for i, st := range checklistFor(ui.session.User.Role) {
		box.Add(wrapped(fmt.Sprintf("%d. %s", i+1, st.Text)))
		if st.Button == "" || !allowed[st.Section] {
			continue
		}
		section := st.Section
		b := widget.NewButton(st.Button, func() {
			d.Hide()
			if section == "print" {
				ui.showPrint(wardPrints, "")
				return
			}
			ui.ShowSection(section)
		})
		box.Add(container.NewHBox(b))
	}
	size := ui.win.Canvas().Size()
	scroll := container.NewVScroll(box)
	scroll.SetMinSize(fyne.NewSize(min(size.Width-48, 560), min(size.Height-200, 560)))
	d = dialog.NewCustom("Downtime checklist", "Close", scroll, ui.win)
	d.Show()
}
