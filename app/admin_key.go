package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/store"
)

// withAdminKey runs then once the signed-in IT admin's personal key is
// open: at once if it is, else after they type their admin passphrase.
// Adding people and enrolling or revoking devices are signed with that
// key, so a stolen device (or a PIN seen over a shoulder) cannot make
// them. The key stays open until they sign out or the device locks.
func (ui *UI) withAdminKey(then func()) {
	sess := ui.Session()
	if sess == nil {
		ui.ShowError(Plain(MsgNotAllowed))
		return
	}
	if sess.AdminUnlocked() {
		then()
		return
	}
	// Shown once the current callback returns: a form dialog that asks
	// for it closes itself afterwards, and Fyne's overlay stack would
	// take this one down with it.
	ui.do(func() { ui.askAdminPassphrase(sess, then) })
}

// askAdminPassphrase is withAdminKey's dialog. It stays open while the
// passphrase is checked (about a second: the key's Argon2id cost is high
// on purpose) and says there if it is wrong, keeping what was typed.
func (ui *UI) askAdminPassphrase(sess *store.Session, then func()) {
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Your own admin passphrase")
	problem := errorLabel()
	var d dialog.Dialog
	var cont *widget.Button
	submit := func() {
		if pass.Text == "" {
			setMsg(problem, "Type your admin passphrase.")
			return
		}
		p := pass.Text
		cont.Disable()
		cont.SetText("Checking…")
		ui.Run(func(ctx context.Context) error {
			return ui.Store().UnlockAdmin(ctx, sess, p)
		}, func(err error) {
			cont.Enable()
			cont.SetText("Continue")
			switch {
			case errors.Is(err, store.ErrWrongSecret):
				setMsg(problem, "That is not your admin passphrase. Check it (it is not the ward passphrase) and try again.")
			case err != nil:
				setMsg(problem, ErrorText(err))
			default:
				d.Hide()
				then()
			}
		})
	}
	pass.OnSubmitted = func(string) { submit() }
	cont = widget.NewButtonWithIcon("Continue", theme.ConfirmIcon(), submit)
	cont.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	body := container.NewVBox(
		wrapped("Adding people and enrolling or revoking devices need your own admin passphrase (not the ward passphrase). Lifeboat asks once, until you sign out."),
		pass, problem, container.NewGridWithColumns(2, cancel, cont))
	d = dialog.NewCustomWithoutButtons("Your admin passphrase", body, ui.win)
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, 520), 0))
	d.Show()
	ui.win.Canvas().Focus(pass)
}
