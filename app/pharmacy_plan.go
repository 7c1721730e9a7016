package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

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
	if ps := continuityPlans(); len(ps) > 0 {
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
		p.body.Add(heading(ph.Title, theme.SizeNameSubHeadingText))
		p.body.Add(progress(pp.Done, pp.Total))
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
	p.s.ui.showForm("Not done: "+k.Title, "Save", "Cancel", []*widget.FormItem{{Text: "Reason", Widget: reason}}, func(ok bool) {
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
	})
}

// progress is "3 of 6 done" above a bar (the words beside the bar, not
// on it: see newProgressBar).
func progress(done, total int) fyne.CanvasObject {
	bar := newProgressBar()
	bar.Max = float64(max(total, 1))
	bar.SetValue(float64(done))
	return container.NewVBox(widget.NewLabel(fmt.Sprintf("%d of %d done", done, total)), bar)
}
