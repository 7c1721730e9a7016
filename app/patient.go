package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	RegisterPatientTab(PatientTab{ID: "obs", Title: "Observations", Short: "Obs", Order: 10, Make: newObsChart})
}

// PatientHeader shows the four core identifiers, always at the top of a
// patient's screens: SURNAME, First name, date of birth and NHS number (or
// temporary ID), with where the patient is; once SetAllergies is called,
// the patient's allergies (allergyChip) and weight under them.
//
// Compact (set before the header is shown) fits it in about half the
// height for a phone or a form that needs the room: the name with the
// NEWS2 chip, the date of birth and NHS number, and where the patient is
// with their weight on one line each, in smaller type, then the allergies.
type PatientHeader struct {
	widget.BaseWidget
	Compact          bool
	name, ids, place *canvas.Text
	news             *fyne.Container
	allergies        *fyne.Container // allergyChip; checkingChip until SetAllergies
	weight           *canvas.Text
	dot              *canvas.Text // between the bed and the weight, when compact
}

// NewPatientHeader returns an empty header; Set fills it.
func NewPatientHeader() *PatientHeader {
	h := &PatientHeader{
		name:      canvas.NewText("", nhsBlack),
		ids:       canvas.NewText("", nhsBlack),
		place:     canvas.NewText("", nhsGrey1),
		news:      container.NewStack(),
		allergies: container.NewStack(),
		weight:    canvas.NewText("", nhsBlack),
		dot:       canvas.NewText("·", nhsGrey1),
	}
	h.name.TextStyle = fyne.TextStyle{Bold: true}
	h.name.TextSize = 24
	h.ids.TextSize = 17
	h.ids.TextStyle = fyne.TextStyle{Bold: true}
	h.place.TextSize = 15
	h.weight.TextSize = 15
	// Until SetAllergies, a grey chip and line of the same height hold
	// their place, so the form under the header does not jump down under
	// a finger when they arrive.
	h.allergies.Objects = []fyne.CanvasObject{checkingChip()}
	h.weight.Text = "Weight …"
	h.ExtendBaseWidget(h)
	return h
}

// SetAllergies shows the patient's allergies and latest weight (weighed
// false: none recorded) under the identifiers.
func (h *PatientHeader) SetAllergies(l forms.AllergyList, w forms.Weight, weighed bool) {
	h.allergies.Objects = []fyne.CanvasObject{allergyChip(l)}
	h.weight.Text = weightText(w, weighed)
	h.Refresh()
}

// Set shows p, its bed's name and latest NEWS2 (nil: none).
func (h *PatientHeader) Set(p store.PatientView, bed string, n *forms.NEWS2) {
	h.name.Text = forms.DisplayName(p.Patient)
	h.ids.Text = identityLine(p.Patient)
	switch p.Status {
	case store.PatientAdmitted:
		if bed == "" {
			bed = "no bed"
		}
		h.place.Text = bed
	case store.PatientDischarged:
		h.place.Text = "Discharged " + p.DischargedAt.Local().Format(DateTimeLayout)
	default:
		h.place.Text = "Not admitted"
	}
	h.news.Objects = []fyne.CanvasObject{NEWS2Chip(n)}
	h.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (h *PatientHeader) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(nhsWhite)
	bg.StrokeColor = nhsBlue
	bg.StrokeWidth = 2
	bg.CornerRadius = 6
	top := container.NewBorder(nil, nil, nil, container.NewCenter(h.news), h.name)
	if h.Compact {
		h.name.TextSize = 20
		h.ids.TextSize = 15
		h.place.TextSize = 14
		h.weight.TextSize = 14
		h.dot.TextSize = 14
		lines := container.New(&closeLayout{}, top, h.ids, newFlow(h.place, h.dot, h.weight))
		return widget.NewSimpleRenderer(container.NewStack(bg, container.NewPadded(container.New(&closeLayout{}, lines, h.allergies))))
	}
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewPadded(container.NewVBox(top, h.ids, h.place, h.allergies, h.weight))))
}

// closeLayout stacks objects like a VBox with a gap of 2 instead of the
// theme's padding: the compact header's lines sit close, as printed.
type closeLayout struct{}

const closeGap float32 = 2

func (closeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var y float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h + closeGap
	}
}

func (closeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		w, h = max(w, m.Width), h+m.Height
		n++
	}
	if n > 1 {
		h += closeGap * float32(n-1)
	}
	return fyne.NewSize(w, h)
}

// patientScreen is one patient's record: the header, actions and tabs.
type patientScreen struct {
	ui      *UI
	id      string
	header  *PatientHeader
	actions *fyne.Container
	msg     *widget.Label
	tabs    []fyne.CanvasObject
	p       store.PatientView
	wards   []forms.Ward
	viewed  bool
	flags   *fyne.Container // record-level warnings: NHS number shared, merged
	narrow  bool            // phone: compact header, one row of actions
}

// newPatientScreen builds a patient's record and audits the view.
func newPatientScreen(ui *UI, id string) fyne.CanvasObject {
	s := &patientScreen{ui: ui, id: id, header: NewPatientHeader(), actions: newFlow(), msg: errorLabel(), flags: newFlow(),
		narrow: ui.narrow()}
	s.header.Compact = s.narrow
	record := widget.NewButtonWithIcon("Record observations", theme.ContentAddIcon(), func() { ui.showObsForm(id) })
	record.Importance = widget.HighImportance
	var items []*container.TabItem
	for _, t := range patientTabs {
		if ui.session == nil || !slices.Contains(t.Roles, ui.session.User.Role) && len(t.Roles) > 0 {
			continue
		}
		obj := t.Make(ui, id)
		s.tabs = append(s.tabs, obj)
		title := t.Title
		if t.Short != "" && ui.narrow() {
			title = t.Short
		}
		items = append(items, container.NewTabItem(title, obj))
	}
	var body fyne.CanvasObject = widget.NewLabel("")
	switch len(items) {
	case 0:
	case 1:
		body = items[0].Content
	default:
		body = container.NewAppTabs(items...)
	}
	s.actions.Add(record)
	s.flags.Hide()
	top := container.NewVBox(s.header, s.flags, s.actions, s.msg)
	return NewScreen(container.NewBorder(container.NewPadded(top), nil, nil, nil, body), s.load)
}

func (s *patientScreen) load() {
	var (
		p     store.PatientView
		row   WardRow
		wards []forms.Ward
		aw    allergyWeight
	)
	first := !s.viewed
	s.viewed = true
	sess := s.ui.Session()
	now := s.ui.Now()
	s.ui.Run(func(ctx context.Context) error {
		var err error
		if p, err = s.ui.Store().Patient(ctx, s.id); err != nil {
			return err
		}
		if first && sess != nil {
			if err := s.ui.Store().RecordView(ctx, sess, s.id); err != nil {
				return err
			}
		}
		if p.MergedInto != "" { // opened by an old ID: show the record it is now part of
			if p, err = s.ui.Store().Patient(ctx, p.MergedInto); err != nil {
				return err
			}
		}
		row.Patient = p
		if err := loadObsSummary(ctx, s.ui.Store(), &row, now); err != nil {
			return err
		}
		if aw, err = loadAllergyWeight(ctx, s.ui.Store(), s.id); err != nil {
			return err
		}
		shared, err := sharedNHS(ctx, s.ui.Store())
		if err != nil {
			return err
		}
		row.SharedNHS = shared[p.ID]
		wards, err = s.ui.Store().Wards(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(s.msg, ErrorText(err))
			return
		}
		s.p, s.wards = p, wards
		s.header.Set(p, bedName(wards, p.Ward, p.Bed), row.Latest)
		s.header.SetAllergies(aw.list, aw.weight, aw.weighed)
		s.showFlags(row)
		s.showActions()
	})
	for _, t := range s.tabs {
		if r, ok := t.(Reloader); ok && !first {
			r.Reload()
		}
	}
}

// showFlags shows the record-level warnings under the header.
func (s *patientScreen) showFlags(r WardRow) {
	s.flags.RemoveAll()
	if r.Check {
		// The newest set has an impossible reading: no score is shown
		// above, and this says why.
		s.flags.Add(Chip(news2CheckWords+": newest set not possible, see the chart", nhsWarmYellow, nhsBlack, true))
	}
	if r.SharedNHS {
		s.flags.Add(s.mergeFlag())
	}
	for _, m := range r.Patient.Merged {
		s.flags.Add(Chip("Merged in: "+forms.DisplayName(m)+", "+forms.PatientIdentifier(m), nhsGrey4, nhsBlack, false))
	}
	if len(s.flags.Objects) == 0 {
		s.flags.Hide() // takes no room under the header
		return
	}
	s.flags.Show()
	s.flags.Refresh()
}

// bedName is the ward's name for a bed.
func bedName(wards []forms.Ward, ward, bed string) string {
	for _, w := range wards {
		if w.ID == ward {
			if b, ok := w.Bed(bed); ok {
				return b.Label + ", " + w.Name
			}
			if bed == "" {
				return w.Name
			}
		}
	}
	return bed
}

// showActions offers admit, or transfer and discharge, and print: as
// buttons on a desktop; on a phone under one "More" button beside Record
// observations, so the actions take one row and the tab keeps the room.
func (s *patientScreen) showActions() {
	s.actions.Objects = s.actions.Objects[:1] // Record observations stays
	var items []*fyne.MenuItem
	if s.p.Status == store.PatientAdmitted {
		items = append(items,
			// The bed board's move: free beds only, an isolation bed asks why.
			fyne.NewMenuItemWithIcon("Transfer", theme.MailForwardIcon(), func() {
				s.ui.moveDialog("Transfer "+forms.DisplayName(s.p.Patient), s.id, s.p.Ward, s.p.Bed)
			}),
			fyne.NewMenuItemWithIcon("Discharge", theme.LogoutIcon(), s.discharge))
	} else {
		items = append(items, fyne.NewMenuItemWithIcon("Admit", theme.LoginIcon(), func() { s.ui.admitDialog("Admit "+forms.DisplayName(s.p.Patient), s.id) }))
	}
	items = append(items, fyne.NewMenuItemWithIcon("Print", theme.DocumentPrintIcon(), func() { s.ui.showPrint(patientPrints, s.id) }))
	if s.narrow {
		var more *widget.Button
		more = widget.NewButtonWithIcon("More", theme.MoreVerticalIcon(), func() {
			s.ui.Touch()
			m := widget.NewPopUpMenu(fyne.NewMenu("", items...), s.ui.win.Canvas())
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(more)
			m.ShowAtPosition(pos.AddXY(0, more.Size().Height))
		})
		s.actions.Add(more)
	} else {
		for _, it := range items {
			s.actions.Add(widget.NewButtonWithIcon(it.Label, it.Icon, it.Action))
		}
	}
	s.actions.Refresh()
}

// discharge records the patient leaving the ward.
func (s *patientScreen) discharge() {
	s.ui.Touch()
	dest := widget.NewEntry()
	dest.SetPlaceHolder("e.g. home, care home, another hospital")
	at := widget.NewEntry()
	at.SetText(s.ui.Now().Local().Format(DateTimeLayout))
	items := []*widget.FormItem{
		{Text: "Going to", Widget: dest},
		{Text: "When", Widget: at, HintText: "DD-Mmm-YYYY HH:MM"},
	}
	s.ui.showForm("Discharge "+forms.DisplayName(s.p.Patient), "Discharge", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		when, err := parseWhen(at.Text, s.ui.Now())
		if err != nil {
			s.ui.ShowError(err)
			return
		}
		s.save(store.Draft{Kind: forms.KindPatientDischarged, Subject: s.id, PerformedAt: when,
			Payload: forms.Discharge{PatientID: s.id, Destination: strings.TrimSpace(dest.Text)}})
	})
}

func (s *patientScreen) save(d store.Draft) {
	sess := s.ui.Session()
	s.ui.Run(func(ctx context.Context) error {
		_, err := s.ui.Store().Append(ctx, sess, d)
		return err
	}, s.ui.ShowError)
}

// parseWhen reads a performed time typed as DD-Mmm-YYYY HH:MM in local
// time. It must not be in the future: care is recorded after it happens.
func parseWhen(text string, now time.Time) (time.Time, error) {
	t, err := time.ParseInLocation(DateTimeLayout, strings.TrimSpace(text), time.Local)
	if err != nil {
		return time.Time{}, forms.Problems{{Field: "performed_at", Message: "Type the time as DD-Mmm-YYYY HH:MM, for example " + now.Local().Format(DateTimeLayout) + "."}}
	}
	if t.After(now.Add(store.MaxFutureSkew)) {
		return time.Time{}, forms.Problems{{Field: "performed_at", Message: "The time cannot be in the future."}}
	}
	return t, nil
}

// plainDuration is a duration as staff say it: "1 hour", "12 hours",
// "15 minutes".
func plainDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// narrow reports whether the window is phone-width (below NarrowWidth).
func (ui *UI) narrow() bool { return ui.win.Canvas().Size().Width < NarrowWidth }
