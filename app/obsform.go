package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
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
		return "mmHg (top)"
	case "diastolic":
		return "mmHg (bottom)"
	}
	return f.unit
}

// obsShortLabels are the labels a phone shows beside the fields, where
// there is no room for the long ones; the field shows the unit.
var obsShortLabels = map[string]string{
	"Time taken": "Time", "Respiration rate (breaths/min)": "Resp rate", "SpO2 (%)": "SpO2",
	"Air or oxygen": "Air / O2", "Oxygen flow (L/min)": "O2 flow", "Oxygen device": "O2 device",
	"Systolic BP (mmHg)": "Systolic", "Diastolic BP (mmHg)": "Diastolic", "Pulse (beats/min)": "Pulse",
	"Temperature (°C)": "Temp",
}

// obsForm is the "Record observations" screen for one patient.
type obsForm struct {
	ui      *UI
	id      string
	scale   int
	draft   *obsDraft
	narrow  bool            // phone layout: score as a one-line bar, fields stacked
	content *fyne.Container // header, score, fields and the Save bar
	when    *widget.Select
	at      *widget.Entry // a time typed by hand, shown for "Earlier"
	entries map[string]*widget.Entry
	scores  map[string]*widget.Label
	probs   map[string]*widget.Label
	rows    map[string]fyne.CanvasObject // what to scroll to for a field's problem
	left    map[string]bool              // fields the person has moved on from
	air     *widget.RadioGroup
	acvpu   *widget.RadioGroup
	device  *widget.Entry
	note    *widget.Entry
	header  *PatientHeader
	scroll  *container.Scroll
	oxygen  []fyne.CanvasObject // flow and device rows: shown on oxygen

	chip     *fyne.Container
	band     *widget.Label
	details  *fyne.Container // response and due time; folded on a phone
	more     *widget.Icon    // open or fold, on the phone's score bar
	response *widget.Label
	due      *widget.Label
	msg      *widget.Label
	scaleMsg *widget.Label
	save     *widget.Button
	checked  bool // Save was tried: show every problem as it is fixed
}

// Time choices: the form offers the last obsTimeSpan in obsTimeStep steps
// as a list to pick from (nothing typed: a digit meant for a reading can
// never land in the time), and "Earlier" to type an older time.
const (
	obsTimeStep = 5 * time.Minute
	obsTimeSpan = 6 * time.Hour
	optEarlier  = "Earlier: type the time"
)

// timeChoices are the times offered, newest first: now, then each step
// back over obsTimeSpan, with at (a draft's time) among them if it is not
// already, and optEarlier last.
func timeChoices(now time.Time, at string) []string {
	now = now.Local()
	out := []string{now.Format(DateTimeLayout)}
	t := now.Truncate(obsTimeStep)
	if t.Equal(now) {
		t = t.Add(-obsTimeStep)
	}
	for ; !t.Before(now.Add(-obsTimeSpan)); t = t.Add(-obsTimeStep) {
		out = append(out, t.Format(DateTimeLayout))
	}
	if _, err := time.ParseInLocation(DateTimeLayout, at, time.Local); err == nil && !slices.Contains(out, at) {
		out = append(out, at)
		slices.SortFunc(out, func(a, b string) int {
			ta, _ := time.ParseInLocation(DateTimeLayout, a, time.Local)
			tb, _ := time.ParseInLocation(DateTimeLayout, b, time.Local)
			return tb.Compare(ta)
		})
	}
	return append(out, optEarlier)
}

// showObsForm opens the observation form for a patient, restoring any
// draft.
func (ui *UI) showObsForm(patientID string) {
	screen, first := newObsForm(ui, patientID)
	ui.Push("Record observations", screen)
	// On a desktop the first reading takes the keyboard at once (Tab moves
	// on); a phone waits for a tap rather than popping its keyboard over
	// the score.
	if !ui.narrow() {
		ui.win.Canvas().Focus(first)
	}
	ui.log.Debug("form ready", "form", "observations")
}

// newObsForm returns the form and its first reading's entry. On a phone
// the patient header is compact, the score is a one-line bar that opens
// on a tap, and the fields are stacked; on a desktop the score stands
// beside the fields, which sit beside their labels so the whole set,
// ACVPU included, is in view at 1280x800. Save and Discard stay at the
// bottom of the window on both: the fields scroll above them.
func newObsForm(ui *UI, patientID string) (fyne.CanvasObject, fyne.Focusable) {
	d, ok := ui.drafts[ui.draftKey(patientID)]
	if !ok {
		d = &obsDraft{At: ui.Now().Local().Format(DateTimeLayout), Values: map[string]string{}}
	}
	f := &obsForm{
		ui: ui, id: patientID, scale: 1, draft: d, narrow: ui.narrow(),
		entries: map[string]*widget.Entry{}, scores: map[string]*widget.Label{}, probs: map[string]*widget.Label{},
		rows: map[string]fyne.CanvasObject{}, left: map[string]bool{},
		header: NewPatientHeader(),
		chip:   container.NewStack(), band: heading("", theme.SizeNameSubHeadingText),
		response: wrapped(""), due: wrapped(""), msg: errorLabel(),
		scaleMsg: wrapped("SpO2 is scored on scale 2 for this patient (set by a clinician for hypercapnic respiratory failure)."),
	}
	f.header.Compact = true // the form needs the room; name, NHS number, bed and allergies stay
	ui.drafts[ui.draftKey(patientID)] = d

	f.band.Wrapping = fyne.TextWrapWord
	follow := func(o fyne.CanvasObject) func() {
		return func() {
			if f.scroll != nil {
				scrollIntoView(f.scroll, o)
			}
		}
	}
	leave := func(key string) func() {
		return func() { f.left[key] = true; f.update() }
	}
	form := container.New(layout.NewFormLayout())
	// add puts a labelled row on the form, the label beside the field (a
	// short one on a phone, where the unit is in the field).
	add := func(label string, content fyne.CanvasObject) []fyne.CanvasObject {
		if short, ok := obsShortLabels[label]; ok && f.narrow {
			label = short
		}
		l := widget.NewLabel(label)
		l.TextStyle = fyne.TextStyle{Bold: true}
		form.Add(l)
		form.Add(content)
		return []fyne.CanvasObject{l, content}
	}

	at := newFocusEntry(false, nil)
	at.gained = follow(at)
	at.lost = leave("performed_at")
	f.at = &at.Entry
	f.at.SetPlaceHolder("DD-Mmm-YYYY HH:MM")
	f.at.OnChanged = func(s string) { d.At = s; f.update() }
	choices := timeChoices(ui.Now(), d.At)
	f.when = widget.NewSelect(choices, func(s string) {
		if s == optEarlier {
			f.at.SetText(d.At)
			at.Show()
			ui.win.Canvas().Focus(at)
			return
		}
		at.Hide()
		d.At = s
		f.update()
	})
	f.when.PlaceHolder = "Time taken"
	if slices.Contains(choices, d.At) {
		f.when.Selected = d.At
		at.Hide()
	} else { // a typed time kept in the draft
		f.when.Selected = optEarlier
		f.at.SetText(d.At)
	}
	timeRow := container.NewVBox(f.when, at, f.problem("performed_at"))
	f.rows["performed_at"] = timeRow
	add("Time taken", timeRow)

	var first *focusEntry
	var bp fyne.CanvasObject // the systolic field, until the diastolic joins it
	for _, fld := range obsFields {
		fe := newFocusEntry(false, nil)
		if first == nil {
			first = fe
		}
		fe.gained = follow(fe)
		fe.lost = leave(fld.key)
		if !fld.decimal {
			fe.keys = digitKeys
		}
		e := &fe.Entry
		e.SetPlaceHolder(placeholder(fld))
		e.SetText(d.Values[fld.key])
		key := fld.key
		e.OnChanged = func(s string) { d.Values[key] = s; f.update() }
		f.entries[key] = e
		score := widget.NewLabel("")
		score.TextStyle = fyne.TextStyle{Bold: true}
		f.scores[key] = score
		cell := container.NewBorder(nil, nil, nil, score, fe)
		row := container.NewVBox(cell, f.problem(key))
		f.rows[key] = row
		switch {
		case key == "o2_flow_lpm":
			f.oxygen = append(f.oxygen, add("Oxygen flow ("+fld.unit+")", row)...)
		case key == "systolic" && !f.narrow:
			bp = fe // on a desktop both pressures take one row
		case key == "diastolic" && !f.narrow:
			// Top and bottom number side by side as they are said ("120
			// over 80"), the systolic's score after both, where every
			// other row has its score (diastolic is not scored).
			pair := container.NewBorder(nil, nil, nil, f.scores["systolic"], container.NewGridWithColumns(2, bp, fe))
			row = container.NewVBox(pair, f.probs["systolic"], f.probs["diastolic"])
			f.rows["systolic"], f.rows["diastolic"] = row, row
			add("Blood pressure (mmHg)", row)
		default:
			add(fld.label+" ("+fld.unit+")", row)
		}
		if key == "spo2" {
			f.air = widget.NewRadioGroup([]string{optAir, optOxygen}, func(s string) { d.Air = s; f.showOxygen(); f.update() })
			f.air.Horizontal = !f.narrow // a phone has no room beside the label
			f.air.SetSelected(d.Air)
			f.scores["on_oxygen"] = widget.NewLabel("")
			f.scores["on_oxygen"].TextStyle = fyne.TextStyle{Bold: true}
			row := container.NewVBox(container.NewBorder(nil, nil, nil, f.scores["on_oxygen"], f.air), f.problem("on_oxygen"))
			f.rows["on_oxygen"] = row
			add("Air or oxygen", row)
		}
		if key == "o2_flow_lpm" {
			dev := newFocusEntry(false, nil)
			dev.gained = follow(dev)
			dev.lost = leave("o2_device")
			f.device = &dev.Entry
			f.device.SetPlaceHolder("e.g. nasal cannula")
			f.device.SetText(d.Values["o2_device"])
			f.device.OnChanged = func(s string) { d.Values["o2_device"] = s; f.update() }
			row := container.NewVBox(dev, f.problem("o2_device"))
			f.rows["o2_device"] = row
			f.oxygen = append(f.oxygen, add("Oxygen device", row)...)
		}
	}
	// A phone lists ACVPU with each letter's meaning; a desktop puts the
	// five letters in one row with the meanings under them, so the whole
	// set fits above the fold.
	options := acvpuOptions
	if !f.narrow {
		options = nil
		for _, o := range acvpuOptions {
			options = append(options, o[:1])
		}
	}
	f.acvpu = widget.NewRadioGroup(options, func(s string) {
		d.ACVPU = ""
		for _, o := range acvpuOptions {
			if s != "" && o[:1] == s[:1] {
				d.ACVPU = o
			}
		}
		f.update()
	})
	f.acvpu.Horizontal = !f.narrow
	for _, o := range options {
		if d.ACVPU != "" && o[:1] == d.ACVPU[:1] {
			f.acvpu.SetSelected(o)
		}
	}
	f.scores["consciousness"] = widget.NewLabel("")
	f.scores["consciousness"].TextStyle = fyne.TextStyle{Bold: true}
	var acvpu fyne.CanvasObject
	if f.narrow {
		acvpu = container.NewVBox(
			container.NewBorder(nil, nil, nil, f.scores["consciousness"], heading("Consciousness (ACVPU)", theme.SizeNameText)),
			f.acvpu, f.problem("consciousness"))
	} else {
		legend := widget.NewLabel("Alert, new Confusion, responds to Voice, to Pain, Unresponsive")
		legend.SizeName = theme.SizeNameCaptionText
		legend.Wrapping = fyne.TextWrapWord
		acvpu = container.NewVBox(container.NewBorder(nil, nil, nil, f.scores["consciousness"], f.acvpu), legend,
			f.problem("consciousness"))
		add("Consciousness (ACVPU)", acvpu)
	}
	f.rows["consciousness"] = acvpu
	note := newFocusEntry(true, nil)
	note.gained = follow(note)
	f.note = &note.Entry
	f.note.SetPlaceHolder("Note (optional)")
	f.note.Wrapping = noteWrap
	f.note.SetText(d.Values["note"])
	f.note.OnChanged = func(s string) { d.Values["note"] = s; f.update() }
	fields := container.NewVBox(form, note)
	if f.narrow { // the five choices with their meaning, under the form
		fields = container.NewVBox(form, acvpu, note)
	}

	f.save = widget.NewButtonWithIcon("Save observations", theme.DocumentSaveIcon(), f.trySave)
	f.save.Importance = widget.HighImportance
	discard := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), f.discard)
	bar := container.NewVBox(widget.NewSeparator(), f.msg, container.NewBorder(nil, nil, discard, nil, f.save))

	f.scaleMsg.Hide()
	f.scaleMsg.Importance = widget.WarningImportance
	f.details = container.NewVBox(f.response, f.due)
	var score fyne.CanvasObject
	if f.narrow {
		// One line: the score and its band; a tap opens the response and
		// the due time under it.
		f.more = widget.NewIcon(theme.MenuDropDownIcon())
		f.band.SizeName = theme.SizeNameText
		f.band.Wrapping = fyne.TextWrapOff // one line, cut short rather than taller
		f.band.Truncation = fyne.TextTruncateEllipsis
		line := container.NewBorder(nil, nil, container.NewCenter(f.chip), container.NewCenter(f.more), f.band)
		f.details.Hide()
		score = container.NewVBox(NewCard(line, f.toggleDetails), f.details, f.scaleMsg)
	} else {
		score = container.NewVBox(container.NewHBox(f.chip), f.band, f.scaleMsg, f.details, widget.NewSeparator())
	}
	f.scroll = container.NewVScroll(container.NewPadded(fields))
	f.content = container.New(&obsLayout{narrow: f.narrow}, container.NewPadded(f.header), container.NewPadded(score), f.scroll,
		container.NewPadded(bar))
	f.showOxygen()
	f.update()
	return NewScreen(f.content, f.load), first
}

// toggleDetails opens or folds the phone's score details.
func (f *obsForm) toggleDetails() {
	if f.details.Visible() {
		f.details.Hide()
		f.more.SetResource(theme.MenuDropDownIcon())
	} else {
		f.details.Show()
		f.more.SetResource(theme.MenuDropUpIcon())
	}
	f.ui.win.Content().Refresh()
}

// showOxygen shows the flow and device rows when the patient is on oxygen
// (or something is already typed in them): on air they cannot be recorded.
func (f *obsForm) showOxygen() {
	on := f.draft.Air == optOxygen || strings.TrimSpace(f.draft.Values["o2_flow_lpm"]) != "" ||
		strings.TrimSpace(f.draft.Values["o2_device"]) != ""
	for _, o := range f.oxygen {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
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
		f.content.Refresh() // lay out again if a long allergy line made the header taller
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
	switch {
	case n.Complete:
		f.band.SetText(strings.ToUpper(BandText(n)[:1]) + BandText(n)[1:])
	case f.narrow:
		f.band.SetText("") // the chip says "incomplete" on the one line there is
	default:
		f.band.SetText("Not complete yet")
	}
	f.response.SetText(n.Response)
	if at, err := parseWhen(f.draft.At, f.ui.Now()); err == nil {
		f.due.SetText("Next observations due by " + forms.NextObsDue(at, n).Local().Format(TimeLayout) +
			" (within " + plainDuration(n.Frequency) + ")")
	} else {
		f.due.SetText("")
	}
	// Problems show as the readings are typed: every one once Save was
	// tried; before that, those of a field the person has moved on from,
	// or whose reading is already too high (more digits cannot mend it).
	all := f.validate(o, ps)
	if !f.checked {
		all = slices.DeleteFunc(all, func(p forms.Problem) bool { return !f.showsEarly(p.Field) })
	}
	f.showProblems(all)
	if all.HasHard() {
		f.band.SetText("Check the readings marked in red")
		if f.narrow {
			f.band.SetText("Readings in red")
		}
	}
}

// showsEarly reports whether a field's problems show before Save: it holds
// a reading and the person has moved on from it, or it is above the usual
// range already.
func (f *obsForm) showsEarly(key string) bool {
	if key == "performed_at" {
		return f.left[key]
	}
	typed := strings.TrimSpace(f.draft.Values[key])
	if typed == "" {
		return false
	}
	if f.left[key] {
		return true
	}
	lim, ok := forms.ObsLimitFor(key)
	v, err := strconv.ParseFloat(strings.Replace(typed, ",", ".", 1), 64)
	return ok && err == nil && v > lim.SoftMax
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
	if f.checked && ps.HasHard() {
		rest = append(rest, "Put right the problems marked in red, then save.")
	}
	setMsg(f.msg, strings.Join(rest, "\n"))
}

// firstProblem returns the row of the first field, top to bottom, with a
// problem, or nil.
func (f *obsForm) firstProblem(ps forms.Problems) fyne.CanvasObject {
	for _, key := range obsFormOrder {
		if len(ps.For(key)) > 0 {
			if r := f.rows[key]; r != nil && r.Visible() {
				return r
			}
		}
	}
	return nil
}

// obsFormOrder is the fields' order on the form, top to bottom.
var obsFormOrder = []string{"performed_at", "resp_rate", "spo2", "on_oxygen", "o2_flow_lpm", "o2_device",
	"systolic", "diastolic", "pulse", "temp_c", "consciousness"}

// trySave saves, after the person confirms any unusual readings.
func (f *obsForm) trySave() {
	f.checked = true
	o, parse := f.read()
	ps := f.validate(o, parse)
	f.showProblems(ps)
	if ps.HasHard() {
		// Show the first problem: on a phone it may be a screen away.
		if r := f.firstProblem(ps.Hard()); r != nil {
			f.ui.win.Content().Refresh()
			scrollIntoView(f.scroll, r)
		}
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

// obsScoreWidth is the score column's width on a desktop.
const obsScoreWidth float32 = 320

// obsLayout lays out the form's four parts: the patient header (always on
// top), the score, the scrolling fields and the Save bar (always at the
// bottom). Narrow: header, score bar, fields, Save stacked. Wide: header,
// then fields and Save on the left and the score on the right.
type obsLayout struct {
	narrow bool
}

func (l *obsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	header, score, fields, bar := objs[0], objs[1], objs[2], objs[3]
	hh, bh := header.MinSize().Height, bar.MinSize().Height
	header.Move(fyne.NewPos(0, 0))
	header.Resize(fyne.NewSize(size.Width, hh))
	if !l.narrow {
		fw := size.Width - obsScoreWidth
		fields.Move(fyne.NewPos(0, hh))
		fields.Resize(fyne.NewSize(fw, max(0, size.Height-hh-bh)))
		bar.Move(fyne.NewPos(0, size.Height-bh))
		bar.Resize(fyne.NewSize(fw, bh))
		score.Move(fyne.NewPos(fw, hh))
		score.Resize(fyne.NewSize(obsScoreWidth, min(score.MinSize().Height, size.Height-hh)))
		return
	}
	sh := score.MinSize().Height
	score.Move(fyne.NewPos(0, hh))
	score.Resize(fyne.NewSize(size.Width, sh))
	fields.Move(fyne.NewPos(0, hh+sh))
	fields.Resize(fyne.NewSize(size.Width, max(0, size.Height-hh-sh-bh)))
	bar.Move(fyne.NewPos(0, size.Height-bh))
	bar.Resize(fyne.NewSize(size.Width, bh))
}

func (l *obsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	header, score, bar := objs[0].MinSize(), objs[1].MinSize(), objs[3].MinSize()
	// The fields scroll: they ask for no height of their own. Beside them
	// on a desktop the score is cut to the window rather than growing it
	// (its wrapped text asks for its height at its narrowest) past the
	// screen, which would put Save out of sight.
	if !l.narrow {
		return fyne.NewSize(max(header.Width, score.Width+bar.Width), header.Height+bar.Height)
	}
	return fyne.NewSize(max(header.Width, score.Width, bar.Width), header.Height+score.Height+bar.Height)
}
