package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// formDialog shows a dialog of form items whose save button runs ok; a
// problem ok returns is shown in the dialog in plain words (nothing typed
// is lost) instead of closing it.
func (ui *UI) formDialog(title, save string, items []*widget.FormItem, ok func() error) {
	problem := errorLabel()
	f := widget.NewForm(items...)
	var d dialog.Dialog
	width := min(ui.win.Canvas().Size().Width-24, 560)
	saveBtn := widget.NewButtonWithIcon(save, theme.DocumentSaveIcon(), func() {
		if err := ok(); err != nil {
			setMsg(problem, ErrorText(err))
			d.Resize(fyne.NewSize(width, 0)) // taller now, to show the problem
			return
		}
		d.Hide()
	})
	saveBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(f, problem, container.NewGridWithColumns(2, cancel, saveBtn)), ui.win)
	d.Resize(fyne.NewSize(width, 0))
	d.Show()
}

// appendDraft records d as the signed-in person off the UI thread; a
// failure is shown in plain words.
func (ui *UI) appendDraft(d store.Draft) {
	sess := ui.Session()
	ui.Run(func(ctx context.Context) error {
		_, err := ui.Store().Append(ctx, sess, d)
		return err
	}, func(err error) {
		if err != nil {
			ui.ShowError(err)
		}
	})
}

// confirmSoft saves at once when there are no soft problems; otherwise it
// lists them under title and saves only if the person says they are right.
func (ui *UI) confirmSoft(title string, soft forms.Problems, save func()) {
	if len(soft) == 0 {
		save()
		return
	}
	msgs := make([]string, len(soft))
	for i, p := range soft {
		msgs[i] = "• " + p.Message
	}
	c := dialog.NewConfirm(title, strings.Join(msgs, "\n")+"\n\nAre they right?", func(ok bool) {
		if ok {
			save()
		}
	}, ui.win)
	c.SetConfirmText("Yes, save")
	c.SetDismissText("Go back")
	c.Show()
}

// recordAndBack appends d as the signed-in person with save disabled
// meanwhile; once it is stored, saved runs (drop the draft) and the
// screen goes back. A failure is shown and nothing is dropped.
func (ui *UI) recordAndBack(save *widget.Button, d store.Draft, saved func()) {
	sess := ui.Session()
	save.Disable()
	ui.Run(func(ctx context.Context) error {
		_, err := ui.Store().Append(ctx, sess, d)
		return err
	}, func(err error) {
		save.Enable()
		if err != nil {
			ui.ShowError(err)
			return
		}
		ui.log.Debug("recorded", "kind", d.Kind)
		saved()
		ui.Back()
	})
}
