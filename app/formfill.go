package app

import (
	"context"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/assets"
	"lifeboat/forms"
	"lifeboat/store"
)

// formRegistry holds the trust's form definitions: the ones built into
// assets/forms, every version, so a record made on an old version still
// renders as it was entered. Tests may replace it.
var formRegistry = sync.OnceValues(func() (*forms.Registry, error) {
	return forms.LoadDefinitions(assets.Forms, "forms")
})

// DateLayout is how dates are typed and shown: 22-Nov-2026.
const DateLayout = "02-Jan-2006"

// formColumnMax is the widest a form's questions are laid out on a
// desktop: wider lines are hard to read across.
const formColumnMax float32 = 760

// formSelected is the background of a chosen option (NHS pale blue).
var formSelected = color.NRGBA{R: 0xE8, G: 0xF1, B: 0xFA, A: 0xFF}

// formDraft is a half-filled custom form, kept in memory until it is saved
// or discarded (see formDrafts).
type formDraft struct {
	FormID  string
	Version int
	At      string              // the performed time as typed, when the form has no time question of its own
	Text    map[string]string   // field ID -> text as typed (text, numbers, dates, times, NHS numbers)
	Picks   map[string][]string // field ID -> chosen values (choices, yes/no, people)
}

// draftShelf is one UI's form drafts, for the session that typed them.
type draftShelf struct {
	session *store.Session
	byKey   map[string]*formDraft // person/patient/form ID
}

// formDrafts holds half-filled custom forms per UI, in memory only. They
// belong to the session that typed them: leaving the patient or the form
// keeps them, and so does the idle lock when the same person signs in
// again (keepFormDrafts); signing out, switching user or Lock drops them
// (a locked device must not show patient data, and nobody saves another's
// answers under their own name). Only Fyne's goroutine uses it.
var formDrafts = map[*UI]*draftShelf{}

// formDraftsFor returns the signed-in person's drafts on ui.
func formDraftsFor(ui *UI) map[string]*formDraft {
	s := formDrafts[ui]
	if s == nil || s.session != ui.session {
		s = &draftShelf{session: ui.session, byKey: map[string]*formDraft{}}
		formDrafts[ui] = s
	}
	return s.byKey
}

// keepFormDrafts hands the form drafts of the session the idle lock ended
// to s, the same person signed in again.
func keepFormDrafts(ui *UI, s *store.Session) {
	if sh := formDrafts[ui]; sh != nil && sh.session != nil && sh.session.User.ID == s.User.ID {
		sh.session = s
	}
}

// formDraftKey files a form draft under the person, patient and form.
func (ui *UI) formDraftKey(patientID, formID string) string {
	return ui.draftKey(patientID) + "/" + formID
}

// hasFormDraft reports whether the signed-in person has a draft of a form
// for a patient.
func (ui *UI) hasFormDraft(patientID, formID string) bool {
	_, ok := formDraftsFor(ui)[ui.formDraftKey(patientID, formID)]
	return ok
}

// timeField is the question that says when the form was done: the first
// required, always shown, not-future date and time. Without one the form
// asks for the time itself.
func timeField(d *forms.Definition) string {
	for _, f := range d.Fields {
		if f.Type == forms.FieldDateTime && f.Required && f.NotFuture && f.ShowIf == nil {
			return f.ID
		}
	}
	return ""
}

// patientForm reports whether d is filled in on one patient's record: a
// form with a patient question is about the ward (an incident log) and
// says which patient itself.
func patientForm(d *forms.Definition) bool {
	return !slices.ContainsFunc(d.Fields, func(f forms.Field) bool { return f.Type == forms.FieldPatient })
}

// formFill is the screen that fills in one custom form for a patient (or,
// with no patient, for the ward), built from the definition's fields:
// answers shown and hidden as show_if rules say, computed scores worked
// out as answers change, problems under the question they are about.
type formFill struct {
	ui    *UI
	id    string // the patient; empty for a ward form
	def   *forms.Definition
	draft *formDraft
	at    string // timeField(def)

	header   *PatientHeader
	ward     *widget.Label // a ward form's ward, in place of the patient header
	rows     map[string]fyne.CanvasObject
	probs    map[string]*widget.Label
	computed map[string]*widget.Label
	options  map[string]*optionList
	persons  map[string]*widget.Select
	users    []store.User
	patients map[string]*widget.Select // a ward form's patient questions
	onWard   []patientChoice
	msg      *widget.Label
	save     *widget.Button
	scroll   *container.Scroll
	checked  bool // Save was tried: show problems as they are fixed
}

// showFormFill opens form d for a patient (or, with patientID empty, for
// the ward), restoring any draft.
func (ui *UI) showFormFill(patientID string, d *forms.Definition) {
	ui.Push(d.Title, newFormFill(ui, patientID, d))
	ui.log.Debug("form ready", "form", d.ID)
}

func newFormFill(ui *UI, patientID string, d *forms.Definition) fyne.CanvasObject {
	drafts := formDraftsFor(ui)
	key := ui.formDraftKey(patientID, d.ID)
	dr, ok := drafts[key]
	if !ok || dr.Version != d.Version {
		dr = &formDraft{FormID: d.ID, Version: d.Version, Text: map[string]string{}, Picks: map[string][]string{}}
	}
	drafts[key] = dr
	f := &formFill{
		ui: ui, id: patientID, def: d, draft: dr, at: timeField(d),
		header: NewPatientHeader(),
		rows:   map[string]fyne.CanvasObject{}, probs: map[string]*widget.Label{},
		computed: map[string]*widget.Label{}, options: map[string]*optionList{}, persons: map[string]*widget.Select{},
		patients: map[string]*widget.Select{}, msg: errorLabel(),
	}
	now := ui.Now().Local().Format(DateTimeLayout)
	if !ok {
		if f.at == "" {
			dr.At = now
		} else {
			dr.Text[f.at] = now
		}
	}

	var scroll *container.Scroll
	follow := func(o fyne.CanvasObject) func() {
		return func() {
			if scroll != nil {
				scrollIntoView(scroll, o)
			}
		}
	}
	form := container.NewVBox()
	if patientID == "" {
		// A ward form is about no one patient: it says so where a
		// patient's form has the patient's header, and scrolls away (the
		// banner above names the ward too).
		f.ward = wrapped("")
		f.ward.TextStyle = fyne.TextStyle{Bold: true}
		form.Add(f.ward)
	}
	if d.Description != "" {
		form.Add(wrapped(d.Description))
	}
	if slices.ContainsFunc(d.Fields, func(f forms.Field) bool { return f.Required }) {
		form.Add(wrapped("Questions marked * must be answered."))
	}
	if f.at == "" {
		at := newFocusEntry(false, nil)
		at.gained = follow(at)
		at.SetPlaceHolder("DD-Mmm-YYYY HH:MM")
		at.SetText(dr.At)
		at.OnChanged = func(s string) { dr.At = s; f.update() }
		form.Add(heading("Time done", theme.SizeNameText))
		form.Add(wrapped("Filled in with the time you opened this form. Change it if you did this earlier."))
		form.Add(at)
		form.Add(f.problem("performed_at"))
	}
	for i := range d.Fields {
		fld := &d.Fields[i]
		row := container.NewVBox(heading(fieldTitle(fld), theme.SizeNameText))
		if fld.ID == f.at {
			row.Add(wrapped("Filled in with the time you opened this form. Change it if you did this earlier."))
		} else if fld.Help != "" {
			row.Add(wrapped(fld.Help))
		}
		row.Add(f.input(fld, follow))
		row.Add(f.problem(fld.ID))
		f.rows[fld.ID] = row
		form.Add(row)
	}

	f.save = widget.NewButtonWithIcon("Save form", theme.DocumentSaveIcon(), f.trySave)
	f.save.Importance = widget.HighImportance
	discard := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), f.discard)
	form.Add(widget.NewSeparator())
	form.Add(f.msg)
	form.Add(container.NewBorder(nil, nil, discard, nil, f.save))

	scroll = container.NewVScroll(container.New(&columnLayout{max: formColumnMax}, form))
	f.scroll = scroll
	var top fyne.CanvasObject
	if patientID != "" {
		top = container.NewPadded(f.header)
	}
	content := container.NewBorder(top, nil, nil, nil, scroll)
	f.update()
	return NewScreen(content, f.load)
}

// fieldTitle is a question as shown: its label, its unit, and whether it
// must be answered.
func fieldTitle(f *forms.Field) string {
	t := f.Label
	if f.Unit != "" && f.Type != forms.FieldComputed {
		t += " (" + f.Unit + ")"
	}
	if f.Required {
		t += " *"
	}
	return t
}

// input builds the widget that answers one field.
func (f *formFill) input(fld *forms.Field, follow func(fyne.CanvasObject) func()) fyne.CanvasObject {
	id := fld.ID
	dr := f.draft
	entry := func(ph string, multi bool) *focusEntry {
		e := newFocusEntry(multi, nil)
		e.gained = follow(e)
		if multi {
			e.Wrapping = noteWrap
			e.SetMinRowsVisible(2)
		}
		e.SetPlaceHolder(ph)
		e.SetText(dr.Text[id])
		e.OnChanged = func(s string) { dr.Text[id] = s; f.update() }
		return e
	}
	switch fld.Type {
	case forms.FieldText:
		return entry("Type the answer", true)
	case forms.FieldNumber, forms.FieldInteger:
		ph := "Number"
		if fld.Type == forms.FieldInteger {
			ph = "Whole number"
		}
		if fld.Unit != "" {
			ph += ", " + fld.Unit
		}
		return entry(ph, false)
	case forms.FieldDate:
		return entry("DD-Mmm-YYYY", false)
	case forms.FieldTime:
		return entry("HH:MM", false)
	case forms.FieldDateTime:
		return entry("DD-Mmm-YYYY HH:MM", false)
	case forms.FieldNHSNumber:
		return entry("NHS number, 10 digits", false)
	case forms.FieldChoice, forms.FieldMultiChoice:
		var opts []option
		for _, c := range fld.Choices {
			o := option{value: c.Value, label: c.Label}
			if c.Score != nil {
				o.note = "Score " + formatNumber(*c.Score)
			}
			opts = append(opts, o)
		}
		l := newOptionList(opts, fld.Type == forms.FieldMultiChoice, 1, func(vals []string) { dr.Picks[id] = vals; f.update() })
		l.set(dr.Picks[id])
		f.options[id] = l
		return l.box
	case forms.FieldYesNo:
		l := newOptionList([]option{{value: "yes", label: "Yes"}, {value: "no", label: "No"}}, false, 2,
			func(vals []string) { dr.Picks[id] = vals; f.update() })
		l.set(dr.Picks[id])
		f.options[id] = l
		return l.box
	case forms.FieldPerson:
		s := f.idSelect(id, "Choose a person", func(name string) string {
			for _, u := range f.users {
				if u.Name == name {
					return u.ID
				}
			}
			return ""
		})
		f.persons[id] = s
		if _, ok := dr.Picks[id]; !ok && fld.Required && f.ui.session != nil {
			// The person filling the form in is usually the one who did it:
			// shown, and changed with one tap when not.
			dr.Picks[id] = []string{f.ui.session.User.ID}
		}
		return s
	case forms.FieldPatient:
		if f.id != "" {
			return wrapped("This patient")
		}
		s := f.idSelect(id, "Choose a patient on this ward", func(label string) string {
			for _, p := range f.onWard {
				if p.label == label {
					return p.id
				}
			}
			return ""
		})
		f.patients[id] = s
		return s
	case forms.FieldComputed:
		l := widget.NewLabel("")
		l.TextStyle = fyne.TextStyle{Bold: true}
		l.SizeName = theme.SizeNameSubHeadingText
		l.Wrapping = fyne.TextWrapWord
		f.computed[id] = l
		return l
	}
	return wrapped("This question cannot be answered on this device.")
}

// idSelect is a choice among named people or patients whose answer to
// question id is the chosen one's ID (idOf maps a shown label to it).
func (f *formFill) idSelect(id, placeholder string, idOf func(label string) string) *widget.Select {
	s := widget.NewSelect(nil, func(label string) {
		f.draft.Picks[id] = nil
		if v := idOf(label); v != "" {
			f.draft.Picks[id] = []string{v}
		}
		f.update()
	})
	s.PlaceHolder = placeholder
	return s
}

// problem returns the label for one field's problems, under the field.
func (f *formFill) problem(id string) *widget.Label {
	l := errorLabel()
	f.probs[id] = l
	return l
}

// load reads the patient (for the header) or, for a ward form, the
// patients on the ward a patient question may name, and the people a
// person question may name.
func (f *formFill) load() {
	var (
		p     store.PatientView
		wards []forms.Ward
		users []store.User
		rows  []WardRow
		aw    allergyWeight
	)
	ward := f.ui.Site().Ward
	f.ui.Run(func(ctx context.Context) (err error) {
		if f.id != "" {
			if p, err = f.ui.Store().Patient(ctx, f.id); err != nil {
				return err
			}
			if aw, err = loadAllergyWeight(ctx, f.ui.Store(), f.id); err != nil {
				return err
			}
		} else if rows, err = wardPatients(ctx, f.ui.Store(), ward); err != nil {
			return err
		}
		if wards, err = f.ui.Store().Wards(ctx); err != nil {
			return err
		}
		users, err = f.ui.Store().Users(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(f.msg, ErrorText(err))
			return
		}
		if f.id != "" {
			f.header.Set(p, bedName(wards, p.Ward, p.Bed), nil)
			f.header.SetAllergies(aw.list, aw.weight, aw.weighed)
			f.header.news.Hide()
		} else {
			f.ward.SetText("A ward form for " + wardName(wards, ward) + ", not on one patient's record.")
			f.showPatients(rows)
		}
		f.users = f.users[:0]
		var names []string
		for _, u := range users {
			if u.Active {
				f.users = append(f.users, u)
				names = append(names, u.Name)
			}
		}
		for id, s := range f.persons {
			s.SetOptions(names)
			picked := f.draft.Picks[id]
			s.ClearSelected()
			for _, u := range f.users {
				if len(picked) > 0 && u.ID == picked[0] {
					s.SetSelected(u.Name)
				}
			}
		}
		f.update()
	})
}

// values turns what is typed and chosen into the values forms.Validate
// takes, with a problem for each answer typed in a way it cannot read.
func (f *formFill) values() (map[string]any, forms.Problems) {
	vals := map[string]any{}
	var ps forms.Problems
	loc := f.ui.Now().Location()
	for i := range f.def.Fields {
		fld := &f.def.Fields[i]
		id := fld.ID
		text := strings.TrimSpace(f.draft.Text[id])
		picks := f.draft.Picks[id]
		switch fld.Type {
		case forms.FieldText, forms.FieldNHSNumber, forms.FieldTime:
			if text != "" {
				vals[id] = text
			}
		case forms.FieldNumber, forms.FieldInteger:
			if text == "" {
				continue
			}
			if x, err := strconv.ParseFloat(strings.Replace(text, ",", ".", 1), 64); err == nil {
				vals[id] = x
			} else {
				vals[id] = text // forms says it must be a number
			}
		case forms.FieldDate:
			if text == "" {
				continue
			}
			t, err := time.ParseInLocation(DateLayout, text, loc)
			if err != nil {
				ps = append(ps, forms.Problem{Field: id, Message: "Type " + fld.Label + " as DD-Mmm-YYYY, for example " + f.ui.Now().Local().Format(DateLayout) + "."})
				continue
			}
			vals[id] = t.Format("2006-01-02")
		case forms.FieldDateTime:
			if text == "" {
				continue
			}
			t, err := time.ParseInLocation(DateTimeLayout, text, time.Local)
			if err != nil {
				ps = append(ps, forms.Problem{Field: id, Message: "Type " + fld.Label + " as DD-Mmm-YYYY HH:MM, for example " + f.ui.Now().Local().Format(DateTimeLayout) + "."})
				continue
			}
			vals[id] = t.Format(time.RFC3339)
		case forms.FieldChoice, forms.FieldPerson:
			if len(picks) > 0 {
				vals[id] = picks[0]
			}
		case forms.FieldMultiChoice:
			if len(picks) > 0 {
				list := make([]any, len(picks))
				for i, p := range picks {
					list[i] = p
				}
				vals[id] = list
			}
		case forms.FieldYesNo:
			if len(picks) > 0 {
				vals[id] = picks[0] == "yes"
			}
		case forms.FieldPatient:
			if f.id != "" {
				vals[id] = f.id
			} else if len(picks) > 0 {
				vals[id] = picks[0] // the patient on the ward chosen
			}
		}
	}
	return vals, ps
}

// patientChoice is a patient a ward form's patient question may name.
type patientChoice struct {
	id, label string
}

// wardPatientLabel is a patient as a ward form's patient question offers and
// shows them: "SURNAME, Given (Bed 4, 943 476 5919)", bed left out when
// empty. The bed and the NHS number (or temporary ID) tell apart two
// patients of the same name.
func wardPatientLabel(p forms.Patient, bed string) string {
	id := forms.PatientIdentifier(p)
	if p.NHSNumber == "" && id != "" {
		id = "Temp ID " + id
	}
	var in []string
	for _, s := range []string{bed, id} {
		if s != "" {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return forms.DisplayName(p)
	}
	return forms.DisplayName(p) + " (" + strings.Join(in, ", ") + ")"
}

// showPatients offers the ward's patients to the patient questions, in
// bed order. A patient chosen in a draft who has left the ward since is
// no longer chosen: the answer must be one the person can see.
func (f *formFill) showPatients(rows []WardRow) {
	f.onWard = f.onWard[:0]
	labels := make([]string, 0, len(rows))
	for _, r := range rows {
		c := patientChoice{id: r.Patient.ID, label: wardPatientLabel(r.Patient.Patient, r.BedName)}
		f.onWard = append(f.onWard, c)
		labels = append(labels, c.label)
	}
	for id, s := range f.patients {
		picked := f.draft.Picks[id]
		f.draft.Picks[id] = nil
		s.SetOptions(labels)
		s.ClearSelected()
		for _, c := range f.onWard {
			if len(picked) > 0 && c.id == picked[0] {
				s.SetSelected(c.label)
			}
		}
	}
}

// wardName is the name of ward (an ID or name) as the ward list shows it.
func wardName(wards []forms.Ward, ward string) string {
	for _, w := range wards {
		if w.ID == ward || w.Name == ward {
			return w.Name
		}
	}
	if ward == "" {
		return "All wards"
	}
	return ward
}

// performedAt is when the form was done, as typed.
func (f *formFill) performedAt() (time.Time, error) {
	text := f.draft.At
	if f.at != "" {
		text = f.draft.Text[f.at]
	}
	t, err := parseWhen(text, f.ui.Now())
	if ps, ok := err.(forms.Problems); ok && f.at != "" {
		// The form's own time question is the time done: its problem goes
		// under that question.
		moved := make(forms.Problems, len(ps))
		for i, p := range ps {
			p.Field = f.at
			moved[i] = p
		}
		return t, moved
	}
	return t, err
}

// validate checks every answer and the time done.
func (f *formFill) validate(vals map[string]any, typed forms.Problems) forms.Problems {
	ps := typed
	if _, err := f.performedAt(); err != nil {
		if p, ok := err.(forms.Problems); ok {
			ps = append(ps, p...)
		}
	}
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Field] = true
	}
	for _, p := range forms.Validate(f.def, vals, f.ui.Now()) {
		if !seen[p.Field] || p.Field == "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// update shows and hides questions, works out the computed ones and, once
// Save has been tried, shows the problems, as answers change.
func (f *formFill) update() {
	f.ui.Touch()
	vals, typed := f.values()
	vis := f.def.Visible(vals)
	for id, row := range f.rows {
		if vis[id] {
			row.Show()
		} else {
			row.Hide()
		}
	}
	out, _ := forms.Compute(f.def, vals)
	for id, l := range f.computed {
		fld, _ := f.def.Field(id)
		if v, ok := out[id]; ok {
			l.SetText(formatNumber(v) + unitSuffix(fld.Unit))
		} else {
			l.SetText("Not complete yet: answer the questions it uses")
		}
	}
	if f.checked {
		f.showProblems(f.validate(vals, typed))
	}
}

// showProblems puts each problem under its question; problems with no
// question on the form go above the Save button.
func (f *formFill) showProblems(ps forms.Problems) {
	for id, l := range f.probs {
		var msgs []string
		for _, p := range ps.For(id) {
			msgs = append(msgs, p.Message)
		}
		l.Importance = widget.DangerImportance
		if len(ps.For(id).Hard()) == 0 {
			l.Importance = widget.WarningImportance
		}
		setMsg(l, strings.Join(msgs, "\n"))
	}
	var rest []string
	for _, p := range ps {
		if _, ok := f.probs[p.Field]; !ok {
			rest = append(rest, p.Message)
		}
	}
	if ps.HasHard() {
		rest = append(rest, "Put right the problems marked in red, then save.")
	}
	setMsg(f.msg, strings.Join(rest, "\n"))
}

// showFirstProblem scrolls the first question with a problem into view:
// Save is at the bottom of a long form, the question may be far above.
func (f *formFill) showFirstProblem(ps forms.Problems) {
	var first fyne.CanvasObject
	if len(ps.For("performed_at").Hard()) > 0 {
		first = f.probs["performed_at"]
	}
	for i := range f.def.Fields {
		if id := f.def.Fields[i].ID; first == nil && len(ps.For(id).Hard()) > 0 {
			first = f.rows[id]
		}
	}
	if first == nil {
		return
	}
	f.scroll.Refresh() // lay the problems out before measuring
	scrollToTop(f.scroll, first)
}

// scrollToTop scrolls s so o (inside s's content) starts near the top of
// the view, as far as the content allows: the question, then its problem.
func scrollToTop(s *container.Scroll, o fyne.CanvasObject) {
	app := fyne.CurrentApp()
	if app == nil || s.Content == nil {
		return
	}
	d := app.Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
	y := min(top-theme.Padding()*2, s.Content.Size().Height-s.Size().Height)
	s.ScrollToOffset(fyne.NewPos(s.Offset.X, max(0, y)))
}

// trySave saves the form, after the person confirms any unusual answers.
func (f *formFill) trySave() {
	f.checked = true
	vals, typed := f.values()
	ps := f.validate(vals, typed)
	f.showProblems(ps)
	if ps.HasHard() {
		f.showFirstProblem(ps)
		return
	}
	at, _ := f.performedAt()
	sub := forms.NewSubmission(f.def, f.id, vals)
	f.ui.confirmSoft("Check these answers", ps.Soft(), func() {
		f.ui.recordAndBack(f.save, store.Draft{Kind: forms.KindFormSubmitted, Subject: f.id, PerformedAt: at, Payload: sub}, func() {
			delete(formDraftsFor(f.ui), f.ui.formDraftKey(f.id, f.def.ID))
		})
	})
}

// discard drops the draft after asking.
func (f *formFill) discard() {
	dialog.ShowConfirm("Discard this form?", "Nothing you entered on it will be saved.", func(ok bool) {
		if ok {
			delete(formDraftsFor(f.ui), f.ui.formDraftKey(f.id, f.def.ID))
			f.ui.Back()
		}
	}, f.ui.win)
}

// formatNumber shows a number as people write it: 4, 1.5, -250.
func formatNumber(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

func unitSuffix(unit string) string {
	if unit == "" {
		return ""
	}
	return " " + unit
}

// option is one answer offered by an optionList.
type option struct {
	value, label string
	note         string // e.g. "Score 2", shown at the right
}

// optionList offers answers as full-width cards, big enough for a gloved
// finger and wrapping long labels on a phone: one may be chosen (a radio
// list), or many (a checklist). Tapping a chosen single answer again
// clears it.
type optionList struct {
	opts     []option
	multi    bool
	chosen   map[string]bool
	cards    []*Card
	icons    []*widget.Icon
	labels   []*widget.Label
	box      *fyne.Container
	onChange func(values []string)
}

func newOptionList(opts []option, multi bool, cols int, onChange func([]string)) *optionList {
	l := &optionList{opts: opts, multi: multi, chosen: map[string]bool{}, onChange: onChange}
	var objs []fyne.CanvasObject
	for i, o := range opts {
		icon := widget.NewIcon(nil)
		label := wrapped(o.label)
		var right fyne.CanvasObject
		if o.note != "" {
			n := canvas.NewText(o.note, nhsGrey1)
			n.TextSize = 13
			right = container.NewCenter(n)
		}
		c := NewCard(container.NewBorder(nil, nil, container.NewCenter(icon), right, label), func() { l.toggle(i) })
		l.cards, l.icons, l.labels = append(l.cards, c), append(l.icons, icon), append(l.labels, label)
		objs = append(objs, c)
	}
	if cols > 1 {
		l.box = container.NewGridWithColumns(cols, objs...)
	} else {
		l.box = container.NewVBox(objs...)
	}
	l.show()
	return l
}

// toggle chooses or clears option i.
func (l *optionList) toggle(i int) {
	v := l.opts[i].value
	if !l.multi {
		was := l.chosen[v]
		clear(l.chosen)
		l.chosen[v] = !was
	} else {
		l.chosen[v] = !l.chosen[v]
	}
	l.show()
	if l.onChange != nil {
		l.onChange(l.values())
	}
}

// set chooses values (those not offered are ignored).
func (l *optionList) set(values []string) {
	clear(l.chosen)
	for _, v := range values {
		l.chosen[v] = true
	}
	l.show()
}

// values lists the chosen values in the order offered.
func (l *optionList) values() []string {
	var out []string
	for _, o := range l.opts {
		if l.chosen[o.value] {
			out = append(out, o.value)
		}
	}
	return out
}

func (l *optionList) show() {
	for i, o := range l.opts {
		on := l.chosen[o.value]
		var res fyne.Resource
		switch {
		case l.multi && on:
			res = theme.CheckButtonCheckedIcon()
		case l.multi:
			res = theme.CheckButtonIcon()
		case on:
			res = theme.RadioButtonCheckedIcon()
		default:
			res = theme.RadioButtonIcon()
		}
		l.icons[i].SetResource(res)
		bg := color.Color(nhsWhite)
		if on {
			bg = formSelected
		}
		l.cards[i].SetBackground(bg)
		l.labels[i].TextStyle = fyne.TextStyle{Bold: on}
		l.labels[i].Refresh()
	}
}
