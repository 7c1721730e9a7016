package app

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

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

// plans are the built-in continuity plans (assets/plans), parsed once. A
// plan that does not parse is left out: the ones that do are still shown.
var plans = sync.OnceValue(func() []forms.ContinuityPlan {
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

// --- continuity plan ---

// planTab is the continuity plan as a checklist: each phase with its
// progress, each task with who does it and whether it is done.
type planTab struct {
	s       *pharmacyScreen
	content fyne.CanvasObject
	body    *fyne.Container
	plan    forms.ContinuityPlan
}

func newPlanTab(s *pharmacyScreen) *planTab {
	p := &planTab{s: s, body: container.NewVBox()}
	p.content = container.NewVScroll(container.NewPadded(p.body))
	if ps := plans(); len(ps) > 0 {
		p.plan = ps[0]
	}
	return p
}

// planTick is a task's standing tick: the event, who and when.
type planTick struct {
	eventID string
	by      string
	at      time.Time
	note    string
}

func (p *planTab) load() {
	if p.plan.ID == "" {
		p.body.Objects = []fyne.CanvasObject{wrapped("No continuity plan is installed on this device. Ask IT to add one.")}
		p.body.Refresh()
		return
	}
	var (
		prog []forms.PhaseProgress
		rs   []store.Record
		plan = p.plan
	)
	p.s.ui.Run(func(ctx context.Context) (err error) {
		if prog, err = p.s.ui.Store().PlanProgress(ctx, plan); err != nil {
			return err
		}
		rs, err = p.s.ui.Store().Records(ctx, forms.KindPharmacyTaskDone, "plan:"+plan.ID)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(p.s.msg, ErrorText(err))
			return
		}
		ticks := map[string]planTick{}
		for _, r := range rs {
			if !r.Final() {
				continue
			}
			if _, seen := ticks[r.Key]; !seen { // the first tick stands; repeats change nothing
				var d forms.PharmacyTaskDone
				_ = decodeRecord(r, &d)
				ticks[r.Key] = planTick{eventID: r.EventID, by: p.s.userName(r.Author), at: r.PerformedAt, note: d.Note}
			}
		}
		p.show(prog, ticks)
	})
}

func (p *planTab) show(prog []forms.PhaseProgress, ticks map[string]planTick) {
	p.body.Objects = []fyne.CanvasObject{heading(p.plan.Title, theme.SizeNameSubHeadingText)}
	for i, ph := range p.plan.Phases {
		pp := prog[i]
		bar := widget.NewProgressBar()
		bar.Max = float64(max(pp.Total, 1))
		bar.SetValue(float64(pp.Done))
		bar.TextFormatter = func() string { return fmt.Sprintf("%d of %d done", pp.Done, pp.Total) }
		p.body.Add(heading(ph.Title, theme.SizeNameSubHeadingText))
		p.body.Add(bar)
		for _, k := range ph.Tasks {
			t, done := ticks[k.ID]
			p.body.Add(p.taskCard(k, t, done))
		}
	}
	p.body.Refresh()
}

// taskCard is one task: done (green, by whom and when) or open, with a
// Done button big enough for a gloved finger. Tapping it shows the detail.
func (p *planTab) taskCard(k forms.PlanTask, t planTick, done bool) fyne.CanvasObject {
	chips := container.NewHBox()
	if done {
		chips.Add(Chip("Done", nhsGreen, nhsWhite, true))
	} else {
		chips.Add(Chip("To do", nhsWarmYellow, nhsBlack, true))
	}
	chips.Add(Chip(roleWords(k.OwnerRole), nhsWhite, nhsBlack, false))
	title := wrapped(k.Title)
	title.TextStyle = fyne.TextStyle{Bold: true}
	items := []fyne.CanvasObject{chips}
	items = append(items, tight(title)...)
	if done {
		line := "Done " + t.at.Local().Format(DateTimeLayout) + " by " + t.by
		if t.note != "" {
			line += ": " + t.note
		}
		items = append(items, tight(wrapped(line))...)
	}
	body := container.NewVBox(items...)
	var right fyne.CanvasObject
	if !done && p.s.access.edit {
		b := widget.NewButtonWithIcon("Done", theme.ConfirmIcon(), func() { p.tick(k) })
		right = container.NewCenter(b)
	}
	c := NewCard(container.NewPadded(container.NewBorder(nil, nil, nil, right, body)), func() { p.detail(k, t, done) })
	if done {
		c.SetBackground(bedColours[forms.BedAvailable].tile)
	}
	return c
}

// roleWords is a plan's owner role in plain words: "lead_pharmacist" is
// "Lead pharmacist".
func roleWords(r string) string {
	r = strings.ReplaceAll(strings.TrimSpace(r), "_", " ")
	if r == "" {
		return "Anyone"
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

// detail shows a task in full, with what can be done with it.
func (p *planTab) detail(k forms.PlanTask, t planTick, done bool) {
	p.s.ui.Touch()
	var d dialog.Dialog
	items := []fyne.CanvasObject{wrapped(k.Detail), wrapped("Who: " + roleWords(k.OwnerRole))}
	if done {
		items = append(items, wrapped("Done "+t.at.Local().Format(DateTimeLayout)+" by "+t.by+"."))
		if p.s.access.edit {
			items = append(items, widget.NewButton("Not done after all", func() { d.Hide(); p.untick(k, t) }))
		}
	} else if p.s.access.edit {
		b := widget.NewButtonWithIcon("Mark done", theme.ConfirmIcon(), func() { d.Hide(); p.tick(k) })
		b.Importance = widget.HighImportance
		items = append(items, b)
	}
	d = dialog.NewCustom(k.Title, "Close", container.NewVBox(items...), p.s.ui.win)
	resizeDialog(p.s.ui, d, 560)
	d.Show()
}

// tick records a task done, with an optional note and the time it was
// done (shown, and editable: it may have been done before it was ticked).
func (p *planTab) tick(k forms.PlanTask) {
	p.s.ui.Touch()
	f := newFieldForm(p.s.ui)
	note := f.entry("Note", "Note (optional), e.g. site team told 08:10", "note")
	when := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	when.SetText(p.s.ui.Now().Local().Format(DateTimeLayout))
	plan := p.plan
	f.show("Done: "+k.Title, "Mark done", func() (store.Draft, error) {
		at, err := parseWhen(when.Text, p.s.ui.Now())
		if err != nil {
			return store.Draft{}, err
		}
		return store.Draft{Kind: forms.KindPharmacyTaskDone, PerformedAt: at,
			Payload: forms.PharmacyTaskDone{PlanID: plan.ID, TaskID: k.ID, Note: strings.TrimSpace(note.Text)}}, nil
	}, nil)
}

// untick takes a tick back: the tick is entered in error (kept on record,
// no longer counted), with the reason.
func (p *planTab) untick(k forms.PlanTask, t planTick) {
	reason := widget.NewEntry()
	reason.SetPlaceHolder("Reason, e.g. ticked by mistake")
	dialog.ShowForm("Not done: "+k.Title, "Save", "Cancel", []*widget.FormItem{{Text: "Reason", Widget: reason}}, func(ok bool) {
		if !ok {
			return
		}
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			why = "marked not done"
		}
		sess, now := p.s.ui.Session(), p.s.ui.Now()
		p.s.ui.Run(func(ctx context.Context) error {
			_, err := p.s.ui.Store().EnterInError(ctx, sess, t.eventID, why, now)
			return err
		}, p.s.ui.ShowError)
	}, p.s.ui.win)
}

// resizeDialog makes d as wide as the window allows, up to width.
func resizeDialog(ui *UI, d dialog.Dialog, width float32) {
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, width), 0))
}
