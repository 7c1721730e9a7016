package app

import (
	"context"
	"io/fs"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/assets"
	"lifeboat/forms"
	"lifeboat/store"
)

// Who sees the Pharmacy section, and what they may do in it:
//
//   - Pharmacists run the continuity plan, the supply log and the stock
//     list, and keep the pharmacy's CD registers: everything.
//   - Ward staff (and the break-glass account, which can do what ward staff
//     can) see only the CD register: wards keep their own registers
//     (DESIGN, "Controlled-drugs register (pharmacy and wards)") and nurses
//     record the administrations, each with a witness. The plan, supply log
//     and stock are the pharmacy's.
//   - IT admins see every tab read-only, to support staff and run drills;
//     they record no clinical entries.
func init() {
	Register(Section{ID: "pharmacy", Title: "Pharmacy", Order: 30,
		Icon: theme.DefaultTheme().Icon(theme.IconNameStorage),
		Roles: []lifeboat.Role{lifeboat.RolePharmacist, lifeboat.RoleWardStaff, lifeboat.RoleITAdmin,
			lifeboat.RoleBreakGlass},
		Make: newPharmacyScreen})
}

// pharmacyAccess is what the signed-in role may see and do here.
type pharmacyAccess struct {
	all  bool // every tab, not just the CD register
	edit bool // record entries
}

func accessFor(r lifeboat.Role) pharmacyAccess {
	switch r {
	case lifeboat.RolePharmacist:
		return pharmacyAccess{all: true, edit: true}
	case lifeboat.RoleITAdmin:
		return pharmacyAccess{all: true}
	}
	return pharmacyAccess{edit: true}
}

// continuityPlans are the built-in continuity plans (assets/plans), parsed once. A
// plan that does not parse is left out: the ones that do are still shown.
var continuityPlans = sync.OnceValue(func() []forms.ContinuityPlan {
	var out []forms.ContinuityPlan
	names, _ := fs.Glob(assets.Plans, "plans/*.json")
	for _, n := range names {
		b, err := fs.ReadFile(assets.Plans, n)
		if err != nil {
			continue
		}
		if p, err := forms.ParsePlan(b); err == nil {
			out = append(out, p)
		}
	}
	return out
})

// pharmacyScreen is the Pharmacy section: the continuity plan, the CD
// registers, the emergency supply log and the critical-medicines stock,
// one tab each.
type pharmacyScreen struct {
	ui     *UI
	access pharmacyAccess
	msg    *widget.Label

	users    map[string]store.User
	patients []store.PatientView
	wards    []forms.Ward

	plan *planTab
	cd   *cdTab
	sup  *supplyTab
	stk  *stockTab
}

func newPharmacyScreen(ui *UI) fyne.CanvasObject {
	s := &pharmacyScreen{ui: ui, msg: errorLabel()}
	if sess := ui.Session(); sess != nil {
		s.access = accessFor(sess.User.Role)
	}
	s.cd = newCDTab(s)
	var items []*container.TabItem
	if s.access.all {
		s.plan = newPlanTab(s)
		s.sup = newSupplyTab(s)
		s.stk = newStockTab(s)
		items = append(items, container.NewTabItem("Plan", s.plan.content))
	}
	items = append(items, container.NewTabItem("CD register", s.cd.content))
	if s.access.all {
		items = append(items, container.NewTabItem("Supplies", s.sup.content), container.NewTabItem("Stock", s.stk.content))
	}
	tabs := container.NewAppTabs(items...)
	return NewScreen(container.NewBorder(s.msg, nil, nil, nil, tabs), s.load)
}

// load reads what every tab shows, then each tab's own data.
func (s *pharmacyScreen) load() {
	var (
		users []store.User
		pts   []store.PatientView
		wards []forms.Ward
	)
	s.ui.Run(func(ctx context.Context) (err error) {
		if users, err = s.ui.Store().Users(ctx); err != nil {
			return err
		}
		if pts, err = s.ui.Store().Patients(ctx, ""); err != nil {
			return err
		}
		wards, err = s.ui.Store().Wards(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(s.msg, ErrorText(err))
			return
		}
		setMsg(s.msg, "")
		s.users = map[string]store.User{}
		for _, u := range users {
			s.users[u.ID] = u
		}
		s.patients, s.wards = pts, wards
		s.cd.load()
		if s.access.all {
			s.plan.load()
			s.sup.load()
			s.stk.load()
		}
	})
}

// userName is a user's name, or a plain placeholder for one not synced.
func (s *pharmacyScreen) userName(id string) string {
	if u, ok := s.users[id]; ok {
		return u.Name
	}
	return "another device's user"
}

// patientName is a patient's name and NHS number, as chosen in a list.
func (s *pharmacyScreen) patientName(id string) string {
	for _, p := range s.patients {
		if p.ID == id {
			return patientLabel(p)
		}
	}
	return "a patient not yet synced to this device"
}

func patientLabel(p store.PatientView) string {
	l := forms.DisplayName(p.Patient)
	if p.NHSNumber != "" {
		l += " · " + forms.FormatNHSNumber(p.NHSNumber)
	}
	return l
}

// wardName is a ward's name for a ward ID, or the text as it is (a
// location may be a pharmacy or a cupboard, not a ward).
func (s *pharmacyScreen) wardName(id string) string {
	for _, w := range s.wards {
		if w.ID == id {
			return w.Name
		}
	}
	return id
}

// resizeDialog makes d as wide as the window allows, up to width.
func resizeDialog(ui *UI, d dialog.Dialog, width float32) {
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, width), 0))
}
