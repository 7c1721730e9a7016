package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// obsDraft is a half-filled observation form, kept in memory per person
// and patient (UI.drafts) until it is saved or discarded: leaving the
// patient, opening another or switching user keeps it (for the person who
// typed it, so nobody saves another's readings under their own name);
// locking or quitting drops it.
type obsDraft struct {
	At     string            // the performed time as typed
	Values map[string]string // field key -> text as typed
	Air    string            // "", optAir or optOxygen
	ACVPU  string            // one of acvpuOptions, or ""
}

// The choices on the form, as shown.
const (
	optAir    = "Air"
	optOxygen = "Oxygen"
)

var acvpuOptions = []string{"A  Alert", "C  New confusion", "V  Voice", "P  Pain", "U  Unresponsive"}

// obsField is one number on the observation form.
type obsField struct {
	key, label, unit string
	param            forms.NEWS2Param
	scored           bool
	decimal          bool
}

var obsFields = []obsField{
	{"resp_rate", "Respiration rate", "breaths/min", forms.ParamRespRate, true, false},
	{"spo2", "SpO2", "%", forms.ParamSpO2, true, false},
	{"o2_flow_lpm", "Oxygen flow (if on oxygen)", "L/min", 0, false, true},
	{"systolic", "Systolic BP", "mmHg", forms.ParamSystolic, true, false},
	{"diastolic", "Diastolic BP", "mmHg", 0, false, false},
	{"pulse", "Pulse", "beats/min", forms.ParamPulse, true, false},
	{"temp_c", "Temperature", "°C", forms.ParamTemperature, true, true},
}

// placeholder is the hint inside a field: its unit, and for blood
// pressure which number it is.
func placeholder(f obsField) string {
	switch f.key {
	case "systolic":
		return "mmHg (top number)"
	case "diastolic":
		return "mmHg (bottom number)"
	}
	return f.unit
}

// obsForm is the "Record observations" screen for one patient.
type obsForm struct {
	ui      *UI
	id      string
	scale   int
	draft   *obsDraft
	at      *widget.Entry
	entries map[string]*widget.Entry
	scores  map[string]*widget.Label
	probs   map[string]*widget.Label
	air     *widget.RadioGroup
	acvpu   *widget.RadioGroup
	device  *widget.Entry
	note    *widget.Entry
	header  *PatientHeader

	chip     *fyne.Container
	band     *widget.Label
	response *widget.Label
	due      *widget.Label
	msg      *widget.Label
	scaleMsg *widget.Label
	save     *widget.Button
	checked  bool // Save was tried: show problems as they are fixed
}

// showObsForm opens the observation form for a patient, restoring any
// draft.
func (ui *UI) showObsForm(patientID string) {
	screen, first := newObsForm(ui, patientID)
	ui.Push("Record observations", screen)
	// On a desktop the first reading takes the keyboard at once (Tab moves
	// on); a phone waits for a tap rather than popping its keyboard over
	// the score.
	if ui.win.Canvas().Size().Width >= NarrowWidth {
		ui.win.Canvas().Focus(first)
	}
	ui.log.Debug("form ready", "form", "observations")
}

// newObsForm returns the form and its first reading's entry.
func newObsForm(ui *UI, patientID string) (fyne.CanvasObject, fyne.Focusable) {
	d, ok := ui.drafts[ui.draftKey(patientID)]
	if !ok {
		d = &obsDraft{At: ui.Now().Local().Format(DateTimeLayout), Values: map[string]string{}}
	}
	f := &obsForm{
		ui: ui, id: patientID, scale: 1, draft: d,
		entries: map[string]*widget.Entry{}, scores: map[string]*widget.Label{}, probs: map[string]*widget.Label{},
		header: NewPatientHeader(),
		chip:   container.NewStack(), band: heading("", theme.SizeNameSubHeadingText),
		response: wrapped(""), due: wrapped(""), msg: errorLabel(),
		scaleMsg: wrapped("SpO2 is scored on scale 2 for this patient (set by a clinician for hypercapnic respiratory failure)."),
	}
	ui.drafts[ui.draftKey(patientID)] = d

	f.band.Wrapping = fyne.TextWrapWord
	var scroll *container.Scroll // set below; entries scroll into it when focused
	follow := func(o fyne.CanvasObject) func() {
		return func() {
			if scroll != nil {
				scrollIntoView(scroll, o)
			}
		}
	}
	at := newFocusEntry(false, nil)
	at.gained = follow(at)
	f.at = &at.Entry
	f.at.SetText(d.At)
	f.at.OnChanged = func(s string) { d.At = s; f.update() }
	form := container.NewVBox(
		heading("Time taken", theme.SizeNameSubHeadingText),
		wrapped("Filled in with the time you opened this form. Change it if you took the observations earlier."),
		at, f.problem("performed_at"),
	)
	var first *focusEntry
	for _, fld := range obsFields {
		fe := newFocusEntry(false, nil)
		if first == nil {
			first = fe
		}
		fe.gained = follow(fe)
		e := &fe.Entry
		e.SetPlaceHolder(placeholder(fld))
		e.SetText(d.Values[fld.key])
		key := fld.key
		e.OnChanged = func(s string) { d.Values[key] = s; f.update() }
		f.entries[key] = e
		score := widget.NewLabel("")
		score.TextStyle = fyne.TextStyle{Bold: true}
		f.scores[key] = score
		label := heading(fld.label+" ("+fld.unit+")", theme.SizeNameText)
		form.Add(label)
		form.Add(container.NewBorder(nil, nil, nil, score, fe))
		form.Add(f.problem(key))
		if key == "spo2" {
			f.air = widget.NewRadioGroup([]string{optAir, optOxygen}, func(s string) { d.Air = s; f.update() })
			f.air.Horizontal = true
			f.air.SetSelected(d.Air)
			f.scores["on_oxygen"] = widget.NewLabel("")
			f.scores["on_oxygen"].TextStyle = fyne.TextStyle{Bold: true}
			form.Add(heading("Air or oxygen", theme.SizeNameText))
			form.Add(container.NewBorder(nil, nil, nil, f.scores["on_oxygen"], f.air))
			form.Add(f.problem("on_oxygen"))
		}
		if key == "o2_flow_lpm" {
			dev := newFocusEntry(false, nil)
			dev.gained = follow(dev)
			f.device = &dev.Entry
			f.device.SetPlaceHolder("Oxygen device, e.g. nasal cannula")
			f.device.SetText(d.Values["o2_device"])
			f.device.OnChanged = func(s string) { d.Values["o2_device"] = s; f.update() }
			form.Add(dev)
			form.Add(f.problem("o2_device"))
		}
	}
	f.acvpu = widget.NewRadioGroup(acvpuOptions, func(s string) { d.ACVPU = s; f.update() })
	f.acvpu.SetSelected(d.ACVPU)
	f.scores["consciousness"] = widget.NewLabel("")
	f.scores["consciousness"].TextStyle = fyne.TextStyle{Bold: true}
	form.Add(heading("Consciousness (ACVPU)", theme.SizeNameText))
	form.Add(container.NewBorder(nil, nil, nil, f.scores["consciousness"], f.acvpu))
	form.Add(f.problem("consciousness"))
	note := newFocusEntry(true, nil)
	note.gained = follow(note)
	f.note = &note.Entry
	f.note.SetPlaceHolder("Note (optional)")
	f.note.Wrapping = fyne.TextWrapWord
	f.note.SetText(d.Values["note"])
	f.note.OnChanged = func(s string) { d.Values["note"] = s; f.update() }
	form.Add(note)

	f.save = widget.NewButtonWithIcon("Save observations", theme.DocumentSaveIcon(), f.trySave)
	f.save.Importance = widget.HighImportance
	discard := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), f.discard)
	form.Add(f.msg)
	form.Add(container.NewBorder(nil, nil, discard, nil, f.save))

	f.scaleMsg.Hide()
	f.scaleMsg.Importance = widget.WarningImportance
	score := container.NewVBox(container.NewHBox(f.chip), f.band, f.scaleMsg, f.response, f.due)
	scroll = container.NewVScroll(container.NewPadded(form))
	content := container.New(&obsLayout{}, container.NewPadded(f.header),
		container.NewPadded(container.NewVBox(score, widget.NewSeparator())), scroll)
	f.update()
	return NewScreen(content, f.load), first
}

// problem returns the label for one field's problems, under the field.
func (f *obsForm) problem(key string) *widget.Label {
	l := errorLabel()
	l.Hide()
	f.probs[key] = l
	return l
}

// load reads the patient (for the header) and their SpO2 scale.
func (f *obsForm) load() {
	var (
		p     store.PatientView
		wards []forms.Ward
		scale int
		aw    allergyWeight
	)
	f.ui.Run(func(ctx context.Context) (err error) {
		if p, err = f.ui.Store().Patient(ctx, f.id); err != nil {
			return err
		}
		if aw, err = loadAllergyWeight(ctx, f.ui.Store(), f.id); err != nil {
			return err
		}
		if wards, err = f.ui.Store().Wards(ctx); err != nil {
			return err
		}
		scale, err = spo2Scale(ctx, f.ui.Store(), f.id)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(f.msg, ErrorText(err))
			return
		}
		f.scale = scale
		if scale == 2 {
			f.scaleMsg.Show()
		}
		f.header.Set(p, bedName(wards, p.Ward, p.Bed), nil)
		f.header.SetAllergies(aw.list, aw.weight, aw.weighed)
		f.header.news.Hide()
		f.update()
	})
}

// read turns what is typed into observations, with a problem for each
// field that is not a number.
func (f *obsForm) read() (forms.Observations, forms.Problems) {
	o := forms.Observations{PatientID: f.id, SpO2Scale: f.scale}
	var ps forms.Problems
	ints := map[string]**int{"resp_rate": &o.RespRate, "spo2": &o.SpO2, "systolic": &o.Systolic, "diastolic": &o.Diastolic, "pulse": &o.Pulse}
	floats := map[string]**float64{"temp_c": &o.TempC, "o2_flow_lpm": &o.O2FlowLPM}
	for _, fld := range obsFields {
		s := strings.TrimSpace(f.draft.Values[fld.key])
		if s == "" {
			continue
		}
		if fld.decimal {
			v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
			if err != nil {
				ps = append(ps, forms.Problem{Field: fld.key, Message: fld.label + " must be a number, e.g. 37.2"})
				continue
			}
			*floats[fld.key] = &v
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			ps = append(ps, forms.Problem{Field: fld.key, Message: fld.label + " must be a whole number"})
			continue
		}
		*ints[fld.key] = &v
	}
	switch f.draft.Air {
	case optAir:
		o.OnOxygen = new(false)
	case optOxygen:
		o.OnOxygen = new(true)
	}
	if f.draft.ACVPU != "" {
		o.Consciousness = f.draft.ACVPU[:1]
	}
	o.O2Device = strings.TrimSpace(f.draft.Values["o2_device"])
	o.Note = strings.TrimSpace(f.draft.Values["note"])
	return o, ps
}

// update rescores the form as it is filled in.
func (f *obsForm) update() {
	f.ui.Touch()
	o, ps := f.read()
	n := forms.ScoreNEWS2(o, f.scale)
	for _, fld := range append(obsFields, obsField{key: "on_oxygen", param: forms.ParamAirOxygen, scored: true}, obsField{key: "consciousness", param: forms.ParamConsciousness, scored: true}) {
		l, ok := f.scores[fld.key]
		if !ok || !fld.scored {
			continue
		}
		if s, ok := n.Score(fld.param); ok {
			l.SetText(fmt.Sprintf("Score %d", s))
		} else {
			l.SetText("")
		}
	}
	f.chip.Objects = []fyne.CanvasObject{NEWS2Chip(&n)}
	f.chip.Refresh()
	if n.Complete {
		f.band.SetText(strings.ToUpper(BandText(n)[:1]) + BandText(n)[1:])
	} else {
		f.band.SetText("Not complete yet")
	}
	f.response.SetText(n.Response)
	if at, err := parseWhen(f.draft.At, f.ui.Now()); err == nil {
		f.due.SetText("Next observations due by " + forms.NextObsDue(at, n).Local().Format(TimeLayout) +
			" (within " + plainDuration(n.Frequency) + ")")
	} else {
		f.due.SetText("")
	}
	if f.checked {
		f.showProblems(f.validate(o, ps))
	}
}

// validate checks the time and the readings.
func (f *obsForm) validate(o forms.Observations, ps forms.Problems) forms.Problems {
	if _, err := parseWhen(f.draft.At, f.ui.Now()); err != nil {
		if p, ok := err.(forms.Problems); ok {
			ps = append(ps, p...)
		}
	}
	typed := map[string]bool{}
	for _, p := range ps {
		typed[p.Field] = true
	}
	for _, p := range forms.ValidateObservations(o) {
		if !typed[p.Field] || p.Field == "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// showProblems puts each problem under its field; problems with no field
// (or a field not on the form) go above the Save button.
func (f *obsForm) showProblems(ps forms.Problems) {
	for key, l := range f.probs {
		var msgs []string
		for _, p := range ps.For(key) {
			msgs = append(msgs, p.Message)
		}
		l.SetText(strings.Join(msgs, "\n"))
		l.Importance = widget.DangerImportance
		if len(ps.For(key).Hard()) == 0 {
			l.Importance = widget.WarningImportance
		}
		if len(msgs) > 0 {
			l.Show()
		} else {
			l.Hide()
		}
		l.Refresh()
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

// trySave saves, after the person confirms any unusual readings.
func (f *obsForm) trySave() {
	f.checked = true
	o, parse := f.read()
	ps := f.validate(o, parse)
	f.showProblems(ps)
	if ps.HasHard() {
		return
	}
	at, _ := parseWhen(f.draft.At, f.ui.Now())
	f.ui.confirmSoft("Check these readings", ps.Soft(), func() {
		f.ui.recordAndBack(f.save, store.Draft{Kind: forms.KindObsRecorded, Subject: f.id, PerformedAt: at, Payload: o}, func() {
			delete(f.ui.drafts, f.ui.draftKey(f.id))
		})
	})
}

// discard drops the draft after asking.
func (f *obsForm) discard() {
	dialog.ShowConfirm("Discard these observations?", "Nothing you typed here will be saved.", func(ok bool) {
		if ok {
			delete(f.ui.drafts, f.ui.draftKey(f.id))
			f.ui.Back()
		}
	}, f.ui.win)
}

// draftKey files a draft under the signed-in person and the patient.
func (ui *UI) draftKey(patientID string) string {
	if ui.session == nil {
		return "/" + patientID
	}
	return ui.session.User.ID + "/" + patientID
}

// obsWideWidth is the width from which the observation form puts the
// NEWS2 score beside the fields instead of above them, so the score, the
// response and the due time stay in view while the fields scroll.
const obsWideWidth float32 = 900

// obsScoreWidth is the score column's width on a wide screen.
const obsScoreWidth float32 = 360

// obsLayout lays out the form's three parts: the patient header (always
// on top), the score, and the scrolling fields. Narrow: header, score,
// fields stacked. Wide: header, then fields on the left and the score on
// the right.
type obsLayout struct{}

func (obsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	header, score, fields := objs[0], objs[1], objs[2]
	hh := header.MinSize().Height
	header.Move(fyne.NewPos(0, 0))
	header.Resize(fyne.NewSize(size.Width, hh))
	if size.Width >= obsWideWidth {
		fw := size.Width - obsScoreWidth
		fields.Move(fyne.NewPos(0, hh))
		fields.Resize(fyne.NewSize(fw, size.Height-hh))
		score.Move(fyne.NewPos(fw, hh))
		score.Resize(fyne.NewSize(obsScoreWidth, min(score.MinSize().Height, size.Height-hh)))
		return
	}
	sh := score.MinSize().Height
	score.Move(fyne.NewPos(0, hh))
	score.Resize(fyne.NewSize(size.Width, sh))
	fields.Move(fyne.NewPos(0, hh+sh))
	fields.Resize(fyne.NewSize(size.Width, max(0, size.Height-hh-sh)))
}

func (obsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	header, score, fields := objs[0].MinSize(), objs[1].MinSize(), objs[2].MinSize()
	return fyne.NewSize(max(header.Width, score.Width, fields.Width), header.Height+score.Height+fields.Height)
}
