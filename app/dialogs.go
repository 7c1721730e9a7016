package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/store"
)

// formDialog shows a dialog of form items whose save button runs ok; a
// problem ok returns is shown in the dialog in plain words (nothing typed
// is lost) instead of closing it.
func (ui *UI) formDialog(title, save string, items []*widget.FormItem, ok func() error) {
	problem := errorLabel()
	f := widget.NewForm(items...)
	var d dialog.Dialog
	saveBtn := widget.NewButtonWithIcon(save, theme.DocumentSaveIcon(), func() {
		if err := ok(); err != nil {
			setMsg(problem, ErrorText(err))
			return
		}
		d.Hide()
	})
	saveBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(f, problem, container.NewGridWithColumns(2, cancel, saveBtn)), ui.win)
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, 560), 0))
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
