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

// formsTab is a patient's custom forms: the trust's forms that can be
// filled in for them (falls risk, pressure areas, fluid balance...), and
// the ones already filled in, newest first, each opened read only.
type formsTab struct {
	ui     *UI
	id     string
	msg    *widget.Label
	avail  *fyne.Container
	filled *fyne.Container
}

func newFormsTab(ui *UI, patientID string) fyne.CanvasObject {
	t := &formsTab{ui: ui, id: patientID, msg: errorLabel(), avail: container.NewVBox(), filled: container.NewVBox()}
	body := container.New(&formsTabLayout{},
		container.NewVBox(heading("Fill in a form", theme.SizeNameSubHeadingText), t.avail),
		container.NewVBox(heading("Filled in", theme.SizeNameSubHeadingText), t.filled))
	return NewScreen(container.NewVScroll(container.NewPadded(container.NewVBox(t.msg, body))), t.load)
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

func (t *formsTab) load() {
	var (
		rs    []store.Record
		users []store.User
	)
	reg, regErr := formRegistry()
	t.ui.Run(func(ctx context.Context) (err error) {
		if rs, err = t.ui.Store().FormSubmissions(ctx, t.id); err != nil {
			return err
		}
		users, err = t.ui.Store().Users(ctx)
		return err
	}, func(err error) {
		if err == nil {
			err = regErr
		}
		if err != nil {
			setMsg(t.msg, ErrorText(err))
			return
		}
		setMsg(t.msg, "")
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = u.Name
		}
		t.show(reg, decodeFormRecords(rs, reg), names)
	})
}

func (t *formsTab) show(reg *forms.Registry, recs []formRecord, users map[string]string) {
	t.avail.Objects = nil
	for _, id := range reg.IDs() {
		d, err := reg.Latest(id)
		if err != nil || !patientForm(d) {
			continue
		}
		title := widget.NewLabel(d.Title)
		title.TextStyle = fyne.TextStyle{Bold: true}
		title.Wrapping = fyne.TextWrapWord
		row := container.NewVBox(title)
		if t.ui.hasFormDraft(t.id, d.ID) {
			row.Add(indented(Chip("Draft kept: tap to carry on", nhsWarmYellow, nhsBlack, true)))
		}
		open := widget.NewIcon(theme.NavigateNextIcon())
		t.avail.Add(NewCard(container.NewBorder(nil, nil, nil, container.NewCenter(open), row), func() { t.ui.showFormFill(t.id, d) }))
	}
	if len(t.avail.Objects) == 0 {
		t.avail.Add(wrapped("No forms are set up on this device."))
	}
	t.avail.Refresh()

	t.filled.Objects = nil
	if len(recs) == 0 {
		t.filled.Add(wrapped("No forms filled in for this patient yet."))
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
		if s := fr.summary(); s != "" {
			row.Add(wrapped(s))
		}
		c := NewCard(row, func() { t.ui.showFormView(fr, users) })
		if s := statusText(fr.rec.Status); s != "" {
			row.Objects = append([]fyne.CanvasObject{indented(Chip(s, nhsRed, nhsWhite, true))}, row.Objects...)
			c.SetBackground(nhsGrey5)
		}
		t.filled.Add(c)
	}
	t.filled.Refresh()
}

// indented lines a chip up with the text of the labels around it.
func indented(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewHBox(container.New(layout.NewCustomPaddedLayout(0, 0, theme.InnerPadding(), 0), o))
}
