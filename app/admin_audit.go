package app

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/store"
)

// auditPage is how many audit entries are read at a time.
const auditPage = 50

// auditActions are the audit log's actions in words; others are shown as
// recorded.
var auditActions = map[string]string{
	"site.created":             "Set up the site",
	"device.joined_site":       "This device joined the site",
	"store.unlocked":           "Unlocked with the ward passphrase",
	"store.unlocked_pin":       "Unlocked with a PIN",
	"store.unlock_failed":      "Wrong ward passphrase",
	"user.sign_in":             "Signed in",
	"user.break_glass_sign_in": "Break-glass sign-in",
	"user.sign_in_failed":      "Wrong PIN",
	"user.sign_out":            "Signed out",
	"user.pin_changed":         "Changed their PIN",
	"patient.viewed":           "Opened a patient record",
	"break_glass.recorded":     "Recorded under break-glass",
	"data.exported":            "Exported records",
	"admin.user_added":         "Added a person",
	"admin.user_changed":       "Changed a person's access",
	"admin.device_enrolled":    "Enrolled a device",
	"admin.device_revoked":     "Revoked a device",
	"admin.passphrase_changed": "Changed the ward passphrase",
}

// auditView is the audit log, newest first, a page at a time, with a
// check of its hash chain. It shows who did what and when; the entries
// name patients by ID only.
type auditView struct {
	ui      *UI
	content fyne.CanvasObject
	msg     *widget.Label
	ok      *widget.Label
	list    *fyne.Container
	more    *widget.Button
	oldest  int64
	names   map[string]string
}

func newAuditView(ui *UI) *auditView {
	v := &auditView{ui: ui, msg: errorLabel(), ok: wrapped(""), list: container.NewVBox()}
	v.ok.Importance = widget.SuccessImportance
	v.ok.TextStyle = fyne.TextStyle{Bold: true}
	v.ok.Hide()
	v.more = widget.NewButton("Show older entries", func() { v.page(v.oldest) })
	check := widget.NewButtonWithIcon("Check the log is intact", theme.ConfirmIcon(), v.verify)
	v.content = container.NewVScroll(container.NewPadded(container.NewVBox(v.msg, v.ok, newFlow(check),
		wrapped("Every sign-in, record opened, export and admin change on this device, newest first."), v.list, v.more)))
	return v
}

// load shows the newest page.
func (v *auditView) load() {
	v.list.Objects = nil
	v.page(0)
}

// page adds the entries before seq before (0: the newest).
func (v *auditView) page(before int64) {
	var (
		entries []store.AuditEntry
		users   []store.User
	)
	v.ui.Run(func(ctx context.Context) (err error) {
		if users, err = v.ui.Store().Users(ctx); err != nil {
			return err
		}
		entries, err = v.ui.Store().AuditLog(ctx, before, auditPage)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(v.msg, ErrorText(err))
			return
		}
		v.names = map[string]string{}
		for _, u := range users {
			v.names[u.ID] = u.Name
		}
		for _, e := range entries {
			v.list.Add(v.row(e))
			v.oldest = e.Seq
		}
		if len(entries) < auditPage {
			v.more.Hide()
		} else {
			v.more.Show()
		}
		v.list.Refresh()
	})
}

func (v *auditView) row(e store.AuditEntry) fyne.CanvasObject {
	what := auditActions[e.Action]
	if what == "" {
		what = e.Action
	}
	who := "this device"
	if e.Actor != "" {
		if who = v.names[e.Actor]; who == "" {
			who = "user " + e.Actor
		}
	}
	line := widget.NewLabel(e.At.Local().Format(DateTimeLayout) + " · " + what)
	line.TextStyle = fyne.TextStyle{Bold: true}
	line.Wrapping = fyne.TextWrapWord // a long action must not widen a phone's window
	detail := []string{"By " + who}
	if e.Subject != "" {
		if n, ok := v.names[e.Subject]; ok {
			detail = append(detail, "about "+n)
		} else {
			detail = append(detail, "about "+e.Subject)
		}
	}
	if e.Detail != "" {
		detail = append(detail, e.Detail)
	}
	return container.NewVBox(line, wrapped(strings.Join(detail, " · ")+"  (#"+strconv.FormatInt(e.Seq, 10)+")"))
}

// verify checks the audit log's hash chain.
func (v *auditView) verify() {
	v.ui.Touch()
	v.ui.Run(func(ctx context.Context) error {
		return v.ui.Store().VerifyAudit(ctx)
	}, func(err error) {
		if err != nil {
			v.ui.log.Warn("audit check failed", "kind", errorKind(err))
			setMsg(v.ok, "")
			setMsg(v.msg, "The audit log has been altered or damaged. Tell IT: run `lifeboat verify` on this device.")
			return
		}
		setMsg(v.msg, "")
		setMsg(v.ok, "The audit log is intact: no entry has been changed or removed.")
	})
}
