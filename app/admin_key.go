package app

import (
	"context"

	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
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

// askAdminPassphrase is withAdminKey's dialog.
func (ui *UI) askAdminPassphrase(sess *store.Session, then func()) {
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Your own admin passphrase")
	ui.formDialog("Your admin passphrase", "Continue", []*widget.FormItem{
		{Text: "Admin passphrase", Widget: pass,
			HintText: "Adding people and enrolling or revoking devices need your own admin passphrase (not the ward passphrase), once until you sign out."},
	}, func() error {
		if pass.Text == "" {
			return forms.Problems{{Field: "passphrase", Message: "Type your admin passphrase."}}
		}
		p := pass.Text
		ui.Run(func(ctx context.Context) error {
			return ui.Store().UnlockAdmin(ctx, sess, p)
		}, func(err error) {
			if err != nil {
				ui.ShowError(err)
				return
			}
			then()
		})
		return nil
	})
}
