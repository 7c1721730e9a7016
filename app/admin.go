package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	Register(Section{ID: "admin", Title: "Devices and staff", Order: 80,
		Icon:  theme.DefaultTheme().Icon(theme.IconNameSettings),
		Roles: []lifeboat.Role{lifeboat.RoleITAdmin},
		Make:  newAdminScreen})
}

// adminRoles are the roles an admin may give, in the order offered
// (break-glass is made once, at set-up, and sealed away).
var adminRoles = []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RolePharmacist, lifeboat.RoleBedManager, lifeboat.RoleITAdmin}

// adminScreen is the IT admin's section: the ward's staff (add, deactivate),
// its devices (enrol a new one with a QR code, revoke a lost one) and the
// audit log. Every change is an event or an audit entry.
type adminScreen struct {
	ui  *UI
	msg *widget.Label
	// added says who was just added, so the admin sees the form worked
	// (the list changes below the fold on a phone).
	added   *widget.Label
	staff   *fyne.Container
	devices *fyne.Container
	audit   *auditView
	feed    *feedPanel
}

func newAdminScreen(ui *UI) fyne.CanvasObject {
	a := &adminScreen{ui: ui, msg: errorLabel(), added: wrapped(""), staff: container.NewVBox(), devices: container.NewVBox()}
	a.added.Importance = widget.SuccessImportance
	a.added.TextStyle = fyne.TextStyle{Bold: true}
	a.added.Hide()
	a.audit = newAuditView(ui)
	a.feed = newFeedPanel(ui)
	add := widget.NewButtonWithIcon("Add a person", theme.ContentAddIcon(), a.addPerson)
	add.Importance = widget.HighImportance
	enrol := widget.NewButtonWithIcon("Enrol a device", theme.ContentAddIcon(), func() { showEnrolDialog(ui, a.load) })
	enrol.Importance = widget.HighImportance
	staff := container.NewVBox(a.msg, a.added, newFlow(add),
		wrapped("Everyone who signs in on this ward's devices. A person added here can sign in on every device once it has synced."), a.staff)
	devices := container.NewVBox(newFlow(enrol),
		wrapped("Devices enrolled in this site and what each holds: a ward device holds its wards, not the hospital. Revoke a lost or stolen device: every peer then refuses it, and the site key changes so that it cannot connect again."), a.devices)
	tabs := container.NewAppTabs(
		container.NewTabItem("Staff", container.NewVScroll(container.NewPadded(staff))),
		container.NewTabItem("Devices", container.NewVScroll(container.NewPadded(devices))),
		container.NewTabItem("Audit log", a.audit.content),
		container.NewTabItem("Core system feed", container.NewVScroll(container.NewPadded(a.feed.content))),
	)
	return NewScreen(tabs, a.load)
}

func (a *adminScreen) load() {
	var (
		users []store.User
		devs  []deviceRow
		rots  []lifeboat.KeyRotation
		wards []forms.Ward
	)
	a.ui.Run(func(ctx context.Context) (err error) {
		if users, err = a.ui.Store().Users(ctx); err != nil {
			return err
		}
		if devs, err = loadDevices(ctx, a.ui.Store()); err != nil {
			return err
		}
		if wards, err = a.ui.Store().Wards(ctx); err != nil {
			return err
		}
		rots, err = a.ui.Store().KeyRotations(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(a.msg, ErrorText(err))
			return
		}
		setMsg(a.msg, "")
		a.showStaff(users)
		a.showDevices(devs, rots, wards)
	})
	a.audit.load()
	a.feed.load()
}

func (a *adminScreen) showStaff(users []store.User) {
	a.staff.Objects = nil
	me := a.ui.Session().User.ID
	for _, u := range users {
		name := widget.NewLabel(u.Name)
		name.TextStyle = fyne.TextStyle{Bold: true}
		chips := container.NewHBox(Chip(u.Role.Label(), nhsGrey4, nhsBlack, false))
		if !u.Active {
			chips.Add(Chip("Deactivated", nhsRed, nhsWhite, true))
		}
		if u.ID == me {
			chips.Add(Chip("You", nhsBlue, nhsWhite, true))
		}
		var action fyne.CanvasObject = widget.NewLabel("")
		if u.ID != me && u.Role != lifeboat.RoleBreakGlass {
			user := u
			label, icon := "Deactivate", theme.CancelIcon()
			if !u.Active {
				label, icon = "Reactivate", theme.ConfirmIcon()
			}
			action = widget.NewButtonWithIcon(label, icon, func() { a.setActive(user, !user.Active) })
		}
		a.staff.Add(NewCard(container.NewBorder(nil, nil, nil, container.NewCenter(action), container.NewVBox(name, chips)), nil))
	}
	a.staff.Refresh()
}

// addPerson asks for a name, a role and a PIN (twice).
func (a *adminScreen) addPerson() {
	a.ui.Touch()
	name := widget.NewEntry()
	name.SetPlaceHolder("Full name, e.g. Sam Staff-Nurse")
	role := widget.NewSelect(nil, nil)
	labels := map[string]lifeboat.Role{}
	for _, r := range adminRoles {
		role.Options = append(role.Options, r.Label())
		labels[r.Label()] = r
	}
	role.PlaceHolder = "Choose a role"
	pin, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pin.SetPlaceHolder("4 to 8 digits")
	again.SetPlaceHolder("The same PIN again")
	adminPass, adminAgain := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	adminPass.SetPlaceHolder("IT admins only: 12 characters or more")
	adminAgain.SetPlaceHolder("The same admin passphrase again")
	a.ui.formDialog("Add a person", "Add", []*widget.FormItem{
		{Text: "Name", Widget: name},
		{Text: "Role", Widget: role},
		{Text: "PIN", Widget: pin, HintText: "They can change it after signing in."},
		{Text: "PIN again", Widget: again},
		{Text: "Admin passphrase", Widget: adminPass, HintText: "For an IT admin only: their own passphrase, which they type to add people or enrol devices. Let them type it."},
		{Text: "Passphrase again", Widget: adminAgain},
	}, func() error {
		var ps forms.Problems
		n := strings.TrimSpace(name.Text)
		if n == "" {
			ps = append(ps, forms.Problem{Field: "name", Message: "Type the person's full name."})
		}
		r, ok := labels[role.Selected]
		if !ok {
			ps = append(ps, forms.Problem{Field: "role", Message: "Choose their role."})
		}
		if err := store.CheckPIN(pin.Text); err != nil {
			ps = append(ps, forms.Problem{Field: "pin", Message: "The PIN must be 4 to 8 digits, not a run like 1234 or 1111."})
		} else if pin.Text != again.Text {
			ps = append(ps, forms.Problem{Field: "pin", Message: "The two PINs are different: type them again."})
		}
		if ok && r == lifeboat.RoleITAdmin {
			if err := store.CheckAdminPassphrase(adminPass.Text); err != nil {
				ps = append(ps, forms.Problem{Field: "admin passphrase", Message: "An IT admin needs an admin passphrase of their own, 12 characters or more."})
			} else if adminPass.Text != adminAgain.Text {
				ps = append(ps, forms.Problem{Field: "admin passphrase", Message: "The two admin passphrases are different: type them again."})
			}
		}
		if len(ps) > 0 {
			return ps
		}
		sess, p, ap := a.ui.Session(), pin.Text, adminPass.Text
		setMsg(a.added, "")
		a.ui.withAdminKey(func() {
			a.ui.Run(func(ctx context.Context) error {
				if r == lifeboat.RoleITAdmin {
					_, err := a.ui.Store().NewAdmin(ctx, sess, n, p, ap)
					return err
				}
				_, err := a.ui.Store().NewUser(ctx, sess, n, r, p)
				return err
			}, func(err error) {
				if err != nil {
					a.ui.ShowError(err)
					return
				}
				setMsg(a.added, addedText(n, r))
				a.load()
			})
		})
		return nil
	})
}

// addedText says a person was added and when they can sign in elsewhere.
func addedText(name string, r lifeboat.Role) string {
	role := r.Label()
	if r != lifeboat.RoleITAdmin { // "IT" stays upper case
		role = strings.ToLower(role)
	}
	return "Added " + name + " (" + role + "). They can sign in on every device once it syncs."
}

func (a *adminScreen) setActive(u store.User, active bool) {
	a.ui.Touch()
	do := func() {
		a.ui.withAdminKey(func() {
			sess := a.ui.Session()
			a.ui.Run(func(ctx context.Context) error {
				return a.ui.Store().SetUserActive(ctx, sess, u.ID, active)
			}, func(err error) {
				if err != nil {
					a.ui.ShowError(err)
				}
			})
		})
	}
	if active {
		do()
		return
	}
	dialog.ShowConfirm("Deactivate "+u.Name+"?",
		"They will no longer be able to sign in on any of the ward's devices. What they recorded stays.",
		func(ok bool) {
			if ok {
				do()
			}
		}, a.ui.win)
}

// errNotSyncing is why a device cannot be enrolled from here.
var errNotSyncing = Plain("This device is not syncing with the ward, so a new device could not fetch the ward's records from it: start Lifeboat here with --bind or --join (see the deployment guide), or enrol from the ward PC.")
