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
	ui.focusFirstField(formWidgets(items)...)
}

// showForm is dialog.ShowForm with the keyboard in its first field (see
// focusFirstField); callback gets true for confirm.
func (ui *UI) showForm(title, confirm, dismiss string, items []*widget.FormItem, callback func(bool)) dialog.Dialog {
	d := dialog.NewForm(title, confirm, dismiss, items, callback, ui.win)
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, 560), 0))
	d.Show()
	ui.focusFirstField(formWidgets(items)...)
	return d
}

// formWidgets returns the input widgets of items, in order.
func formWidgets(items []*widget.FormItem) []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, len(items))
	for _, it := range items {
		objs = append(objs, it.Widget)
	}
	return objs
}

// focusFirstField gives the keyboard to the first field among objs (a
// dialog just shown, its parts in reading order, containers searched
// inside), so what is typed at once goes where the person is looking:
// the first sentence of a handover note was lost when nothing had the
// focus. The field taken is the first visible, enabled one that is an
// empty text entry or a choice. An entry already filled in (a time set to
// now) is passed over, as typing would run into its text; a radio group
// or tick box first means nothing is taken (the choice is made by tapping).
func (ui *UI) focusFirstField(objs ...fyne.CanvasObject) {
	if f := firstField(objs); f != nil {
		ui.win.Canvas().Focus(f)
	}
}

func firstField(objs []fyne.CanvasObject) fyne.Focusable {
	for _, o := range objs {
		if o == nil || !o.Visible() {
			continue
		}
		if d, ok := o.(fyne.Disableable); ok && d.Disabled() {
			continue
		}
		switch x := o.(type) {
		case *focusEntry:
			if x.Text == "" {
				return x
			}
		case *widget.Entry:
			if x.Text == "" {
				return x
			}
		case *widget.Select:
			return x
		case *widget.RadioGroup, *widget.Check:
			return nil
		case *fyne.Container:
			if f := firstField(x.Objects); f != nil {
				return f
			}
		}
	}
	return nil
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
