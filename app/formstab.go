package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	RegisterPatientTab(PatientTab{ID: "forms", Title: "Forms", Order: 40, Make: newFormsTab})
}

// formLists is a forms screen's two lists: the forms that can be filled
// in, and the ones already filled in, newest first, each opened read only.
// A patient's Forms tab lists the forms about one patient (falls risk,
// pressure areas, fluid balance...); the ward's forms screen (patient ID
// empty) lists the forms about the ward, such as the downtime incident
// log, filed under "form:<form ID>".
type formLists struct {
	ui     *UI
	id     string // the patient; empty for the ward's forms
	msg    *widget.Label
	avail  *fyne.Container
	filled *fyne.Container
}

func newFormsTab(ui *UI, patientID string) fyne.CanvasObject {
	return newFormLists(ui, patientID, nil)
}

// showWardForms opens the ward's forms: the forms not about one patient.
func (ui *UI) showWardForms() {
	intro := wrapped("Forms about the ward rather than one patient. The downtime incident log is reported on the trust's incident system when the systems are back.")
	ui.Push("Ward forms", newFormLists(ui, "", intro))
}

// newFormLists returns the screen listing the forms for a patient (or,
// with patientID empty, the ward), with intro (may be nil) above them.
func newFormLists(ui *UI, patientID string, intro fyne.CanvasObject) fyne.CanvasObject {
	l := &formLists{ui: ui, id: patientID, msg: errorLabel(), avail: container.NewVBox(), filled: container.NewVBox()}
	body := container.New(&formsTabLayout{},
		container.NewVBox(heading("Fill in a form", theme.SizeNameSubHeadingText), l.avail),
		container.NewVBox(heading("Filled in", theme.SizeNameSubHeadingText), l.filled))
	top := container.NewVBox(l.msg, body)
	if intro != nil {
		top.Objects = append([]fyne.CanvasObject{intro}, top.Objects...)
	}
	return NewScreen(container.NewVScroll(container.NewPadded(top)), l.load)
}

// offered reports whether d is filled in on this list's screen: forms
// with a patient question on the ward's, the others on a patient's.
func (l *formLists) offered(d *forms.Definition) bool {
	return patientForm(d) == (l.id != "")
}

// formsTabWideWidth is the width from which the tab shows the forms to
// fill in and the ones filled in side by side, so both are in view on a
// desktop; narrower, one is above the other.
const formsTabWideWidth float32 = 900

// formsTabLayout lays out the tab's two lists: side by side when wide,
// stacked when narrow.
type formsTabLayout struct{}

func (formsTabLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	a, b := objs[0], objs[1]
	if size.Width >= formsTabWideWidth {
		gap := theme.Padding() * 2
		w := (size.Width - gap) / 2
		a.Move(fyne.NewPos(0, 0))
		a.Resize(fyne.NewSize(w, a.MinSize().Height))
		b.Move(fyne.NewPos(w+gap, 0))
		b.Resize(fyne.NewSize(w, b.MinSize().Height))
		return
	}
	a.Move(fyne.NewPos(0, 0))
	a.Resize(fyne.NewSize(size.Width, a.MinSize().Height))
	b.Move(fyne.NewPos(0, a.MinSize().Height+theme.Padding()))
	b.Resize(fyne.NewSize(size.Width, b.MinSize().Height))
}

// MinSize is the stacked size: the layout cannot know its width yet, and
// side by side is never taller.
func (formsTabLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, b.Width), a.Height+theme.Padding()+b.Height)
}

func (l *formLists) load() {
	var (
		rs    []store.Record
		users []store.User
	)
	reg, regErr := formRegistry()
	var ward []string // the ward's forms, whose records are filed under them
	if regErr == nil && l.id == "" {
		for _, id := range reg.IDs() {
			if d, err := reg.Latest(id); err == nil && l.offered(d) {
				ward = append(ward, id)
			}
		}
	}
	l.ui.Run(func(ctx context.Context) (err error) {
		if l.id != "" {
			if rs, err = l.ui.Store().FormSubmissions(ctx, l.id); err != nil {
				return err
			}
		}
		for _, id := range ward {
			more, err := l.ui.Store().Records(ctx, forms.KindFormSubmitted, "form:"+id)
			if err != nil {
				return err
			}
			rs = append(rs, more...)
		}
		users, err = l.ui.Store().Users(ctx)
		return err
	}, func(err error) {
		if err == nil {
			err = regErr
		}
		if err != nil {
			setMsg(l.msg, ErrorText(err))
			return
		}
		setMsg(l.msg, "")
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = u.Name
		}
		l.show(reg, decodeFormRecords(rs, reg), names)
	})
}

func (l *formLists) show(reg *forms.Registry, recs []formRecord, users map[string]string) {
	l.avail.Objects = nil
	for _, id := range reg.IDs() {
		d, err := reg.Latest(id)
		if err != nil || !l.offered(d) {
			continue
		}
		title := widget.NewLabel(d.Title)
		title.TextStyle = fyne.TextStyle{Bold: true}
		title.Wrapping = fyne.TextWrapWord
		row := container.NewVBox(title)
		if l.ui.hasFormDraft(l.id, d.ID) {
			row.Add(indented(Chip("Draft kept: tap to carry on", nhsWarmYellow, nhsBlack, true)))
		}
		open := widget.NewIcon(theme.NavigateNextIcon())
		l.avail.Add(NewCard(container.NewBorder(nil, nil, nil, container.NewCenter(open), row), func() { l.ui.showFormFill(l.id, d) }))
	}
	if len(l.avail.Objects) == 0 {
		l.avail.Add(wrapped("No forms are set up on this device."))
	}
	l.avail.Refresh()

	l.filled.Objects = nil
	if len(recs) == 0 {
		if l.id == "" {
			l.filled.Add(wrapped("No ward forms filled in yet."))
		} else {
			l.filled.Add(wrapped("No forms filled in for this patient yet."))
		}
	}
	for _, fr := range recs {
		title := widget.NewLabel(fr.title())
		title.TextStyle = fyne.TextStyle{Bold: true}
		title.Wrapping = fyne.TextWrapWord
		by := users[fr.rec.Author]
		if by == "" {
			by = "another device's user"
		}
		row := container.NewVBox(title, widget.NewLabel(fr.rec.PerformedAt.Local().Format(DateTimeLayout)+" · "+by))
		if s := fr.listSummary(); s != "" {
			row.Add(wrapped(s))
		}
		c := NewCard(row, func() { l.ui.showFormView(fr, users) })
		if s := statusText(fr.rec.Status); s != "" {
			row.Objects = append([]fyne.CanvasObject{indented(Chip(s, nhsRed, nhsWhite, true))}, row.Objects...)
			c.SetBackground(nhsGrey5)
		}
		l.filled.Add(c)
	}
	l.filled.Refresh()
}

// indented lines a chip up with the text of the labels around it.
func indented(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewHBox(container.New(layout.NewCustomPaddedLayout(0, 0, theme.InnerPadding(), 0), o))
}
