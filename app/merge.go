package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// showMerge asks how the person was checked, then merges other into g's
// survivor (refused, with the way forward, when the records disagree on
// who the person is). Ward staff reach it from the patient's flag, the IT
// admin from the back-entry worklist.
func (ui *UI) showMerge(g reconcile.SharedRecords, other forms.Patient) {
	ui.Touch()
	reason := widget.NewEntry()
	reason.SetPlaceHolder("How you checked they are one person")
	items := []*widget.FormItem{
		{Text: "Keep", Widget: wrapped(forms.DisplayName(g.Survivor) + ", born " + forms.FormatBirthDate(g.Survivor.BirthDate) + ", NHS " + forms.FormatNHSNumber(g.NHSNumber))},
		{Text: "Merge in", Widget: wrapped(forms.DisplayName(other) + ", born " + forms.FormatBirthDate(other.BirthDate))},
		{Text: "Checked", Widget: reason},
	}
	ui.formDialog("Merge two records of one patient", "Merge", items, func() error {
		if strings.TrimSpace(reason.Text) == "" {
			return Plain("Say how you checked they are one person: with the patient, their wristband or the core system.")
		}
		sess := ui.Session()
		at := ui.Now()
		ui.Run(func(ctx context.Context) error {
			rs, err := reconStore(ui)
			if err != nil {
				return err
			}
			return reconcile.MergeShared(ctx, rs, reconcile.StoreAppender(ui.Store(), sess), g.Survivor.ID, other.ID, strings.TrimSpace(reason.Text), at)
		}, func(err error) { showReconError(ui, err) })
		return nil
	})
}

// mergeFlag is the patient screen's warning that another record holds the
// patient's NHS number, with a button to merge them.
func (s *patientScreen) mergeFlag() fyne.CanvasObject {
	chip := Chip(sharedNHSWords, nhsRed, nhsWhite, true)
	merge := widget.NewButtonWithIcon("Merge records", theme.ContentPasteIcon(), func() {
		var shared []reconcile.SharedRecords
		s.ui.Run(func(ctx context.Context) (err error) {
			rs, err := reconStore(s.ui)
			if err != nil {
				return err
			}
			shared, err = reconcile.SharedNHS(ctx, rs)
			return err
		}, func(err error) {
			if err != nil {
				showReconError(s.ui, err)
				return
			}
			for _, g := range shared {
				if g.Survivor.ID == s.p.ID && len(g.Others) > 0 {
					s.ui.showMerge(g, g.Others[0])
					return
				}
				for _, o := range g.Others {
					if o.ID == s.p.ID {
						s.ui.showMerge(g, o)
						return
					}
				}
			}
		})
	})
	return container.NewHBox(chip, merge)
}
