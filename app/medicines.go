package app

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	RegisterPatientTab(PatientTab{ID: "medicines", Title: "Medicines", Short: "Meds", Order: 20, Make: newMedicinesTab})
}

// medicinesTab is a patient's medicines administration record for today:
// the allergies and weight at the top, then one card per medicine with its
// doses, each due or overdue dose a big button that records the outcome in
// one tap (and one more for a reason). A dose past a warning (a PRN limit,
// an allergy, a second order of the medicine) needs a reason typed for
// each warning; a controlled drug needs its witness and their PIN, and
// writes the register line with the dose.
//
// The MAR moves with the clock: while the tab is on show a ticker reads
// the chart again every marTick and redraws it when a dose's status has
// changed (a 12:00 dose turns from "later" to "due" with nobody touching
// the screen). The ticker stops once the patient's screen is left.
type medicinesTab struct {
	ui      *UI
	id      string
	screen  *Screen
	msg     *widget.Label
	list    *fyne.Container
	chart   store.MedicineChart
	at      time.Time // the clock reading the chart was drawn for
	key     string    // marKey of what is drawn
	patient store.PatientView
	wards   []forms.Ward
	stop    chan struct{} // ends the ticker; nil when none runs
}

// marTick is how often the MAR is checked against the clock while shown
// (tests shorten it).
var marTick = 15 * time.Second

func newMedicinesTab(ui *UI, patientID string) fyne.CanvasObject {
	m := &medicinesTab{ui: ui, id: patientID, msg: errorLabel(), list: container.NewVBox()}
	title := heading("Today's medicines", theme.SizeNameSubHeadingText)
	hint := wrapped("Tap a due or overdue dose to record it. Times are when the dose was due.")
	// The allergy line and weight are on the patient header right above
	// this tab (PatientHeader), and again in every dose dialog: a third
	// copy here would only push the doses off a phone's screen.
	body := container.NewVBox(m.msg, title, hint, m.list)
	m.screen = NewScreen(container.NewVScroll(container.NewPadded(body)), m.load)
	return m.screen
}

// load reads the chart, with the patient and wards the dose dialogs name,
// shows it and starts the ticker.
func (m *medicinesTab) load() {
	var (
		chart   store.MedicineChart
		patient store.PatientView
		wards   []forms.Ward
	)
	now := m.ui.Now()
	m.ui.Run(func(ctx context.Context) (err error) {
		if chart, err = m.ui.Store().MedicineChart(ctx, m.id, now, now); err != nil {
			return err
		}
		if patient, err = m.ui.Store().Patient(ctx, m.id); err != nil {
			return err
		}
		wards, err = m.ui.Store().Wards(ctx)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(m.msg, ErrorText(err))
			return
		}
		setMsg(m.msg, "")
		m.patient, m.wards = patient, wards
		m.show(chart, now)
		m.startTicking()
	})
}

// startTicking starts the goroutine that keeps the MAR in step with the
// clock, unless one runs. It ends when the patient's screen is no longer
// the one on show (a reload, when it comes back, starts it again), or
// the UI closes. While another tab of the patient is shown it reads
// nothing.
func (m *medicinesTab) startTicking() {
	m.ui.pollWhileShown(&m.stop, marTick, m.onTop, func() {
		if m.screen.Visible() {
			m.tick()
		}
	})
}

// onTop reports whether the patient screen holding this tab is the one
// on show to a signed-in person.
func (m *medicinesTab) onTop() bool {
	ui := m.ui
	return ui.session != nil && ui.frame != nil && !ui.st.Locked() && holds(ui.frame.top(), m.screen)
}

// holds reports whether o is root or inside it, through the containers
// a screen is built of (every tab of a set of tabs, shown or not).
func holds(root, o fyne.CanvasObject) bool {
	if root == o {
		return true
	}
	switch x := root.(type) {
	case *Screen:
		return holds(x.content, o)
	case *fyne.Container:
		return slices.ContainsFunc(x.Objects, func(c fyne.CanvasObject) bool { return holds(c, o) })
	case *container.Scroll:
		return holds(x.Content, o)
	case *container.AppTabs:
		return slices.ContainsFunc(x.Items, func(it *container.TabItem) bool { return holds(it.Content, o) })
	}
	return false
}

// tick reads the chart at the clock's time now and redraws it if a
// dose's status has moved on. Unlike Run it does not count as use of the
// app: a MAR left open must still lock when idle.
func (m *medicinesTab) tick() {
	ui, now := m.ui, m.ui.Now()
	ui.tasks.Add(1)
	go func() {
		defer ui.tasks.Done()
		chart, err := ui.Store().MedicineChart(ui.ctx, m.id, now, now)
		if ui.ctx.Err() != nil {
			return
		}
		ui.do(func() {
			if err != nil || m.stop == nil {
				return // the next reload or tick shows it
			}
			if marKey(chart, now) != m.key {
				m.show(chart, now)
			}
		})
	}()
}

// marKey sums up what of a chart moves with the clock: each dose's
// status and whether each order is stopped, can be given now or
// duplicates another.
func marKey(c store.MedicineChart, now time.Time) string {
	var b strings.Builder
	b.WriteString(c.MAR.Day.Format(time.DateOnly))
	for _, r := range c.MAR.Rows {
		o := r.Order
		fmt.Fprintf(&b, "|%s %t %t %d:", o.ID, !o.Stop.IsZero() && !now.Before(o.Stop), o.ActiveAt(now), len(forms.DuplicateOrders(o, c.Orders, now)))
		for _, cell := range r.Cells {
			b.WriteString(string(cell.Status) + ",")
		}
	}
	return b.String()
}

// Tints behind the MAR's flags: dark text stays readable on them.
var (
	medPaleRed   = color.NRGBA{R: 0xF9, G: 0xD6, B: 0xD3, A: 0xFF}
	medPaleAmber = color.NRGBA{R: 0xFF, G: 0xF0, B: 0xC8, A: 0xFF}
	medPaleGrey  = color.NRGBA{R: 0xF0, G: 0xF4, B: 0xF5, A: 0xFF}
	medStruckInk = color.NRGBA{R: 0x4C, G: 0x62, B: 0x72, A: 0xFF}
)

// medFlag is a wrapped line of words on a tinted band: an allergy, a
// warning, a stopped order.
func medFlag(text string, bg color.Color, bold bool) fyne.CanvasObject {
	l := wrapped(text)
	l.TextStyle = fyne.TextStyle{Bold: bold}
	r := canvas.NewRectangle(bg)
	r.CornerRadius = 4
	return container.NewStack(r, l)
}

func (m *medicinesTab) name(id string) string {
	if n, ok := m.chart.People[id]; ok {
		return n
	}
	return "someone not known on this device"
}

func (m *medicinesTab) show(chart store.MedicineChart, now time.Time) {
	m.chart, m.at, m.key = chart, now, marKey(chart, now)
	var rows []fyne.CanvasObject
	for _, c := range chart.Conflicts {
		what := "recorded twice with different outcomes"
		if c.DoubleDose {
			what = "recorded as GIVEN twice on devices that were apart: check the patient now"
		}
		rows = append(rows, Chip(fmt.Sprintf("Dose due %s %s", slotLabel(c.A.Slot), what), nhsRed, nhsWhite, true))
	}
	for _, b := range chart.Breaches {
		rows = append(rows, medFlag(m.breachText(b), medPaleRed, true))
	}
	for _, r := range chart.Unwitnessed {
		rows = append(rows, medFlag(fmt.Sprintf("CHECK: a controlled drug given %s by %s has no witness this device knows (ward staff or a pharmacist other than the giver). Check the CD register.",
			r.PerformedAt.Local().Format(DateTimeLayout), m.name(r.Author)), medPaleRed, true))
	}
	if len(chart.MAR.Rows) == 0 {
		rows = append(rows, wrapped("No medicines are recorded for this patient."))
	}
	if coreChart(chart.MAR) {
		rows = append(rows, medFlag("\"Core chart\": due before the patient data time, when the core system's chart recorded doses. Check it there (or on its printout) before giving; tap to record one given on paper.", medPaleGrey, false))
	}
	shown := map[string]bool{}
	for _, r := range chart.MAR.Rows {
		rows = append(rows, m.orderCard(r, shown))
	}
	var other []fyne.CanvasObject
	for _, d := range chart.Register {
		if !shown[d.EventID] && d.Entry.OrderID == "" && sameDay(d.At, chart.MAR.Day) {
			other = append(other, wrapped(m.registerText(d)))
		}
	}
	if len(other) > 0 {
		name := heading("From the controlled-drugs register", theme.SizeNameText)
		name.TextStyle = fyne.TextStyle{Bold: true}
		rows = append(rows, NewCard(container.NewVBox(append([]fyne.CanvasObject{name}, other...)...), nil))
	}
	m.list.Objects = rows
	m.list.Refresh()
}

// breachText says which dose broke a PRN limit once devices that were
// apart synced.
func (m *medicinesTab) breachText(b forms.LimitBreach) string {
	drug := b.Record.OrderID
	for _, o := range m.chart.Orders {
		if o.ID == b.Record.OrderID {
			drug = o.Drug
		}
	}
	var why []string
	for _, w := range b.Warnings {
		why = append(why, w.Message)
	}
	return fmt.Sprintf("CHECK THE PATIENT: %s given %s by %s, on a device apart from the others: %s.", drug,
		b.Record.PerformedAt.Local().Format(DateTimeLayout), m.name(b.Record.Author), strings.Join(why, "; "))
}

// registerText is a register administration as the MAR shows it.
func (m *medicinesTab) registerText(d store.RegisterDose) string {
	e := d.Entry
	return fmt.Sprintf("From the CD register: %s %s %s given %s by %s, witness %s.", e.Quantity, e.Unit(), e.Drug,
		d.At.Local().Format(DateTimeLayout), m.name(d.Author), e.Witness)
}

// doseText is a dose given with who gave it, its witness and any warning
// gone past with the reason.
func (m *medicinesTab) doseText(r forms.AdminRecord) string {
	t := fmt.Sprintf("Given %s by %s", r.PerformedAt.Local().Format(TimeLayout), m.name(r.Author))
	if r.Witness != "" {
		t += ", witness " + m.name(r.Witness)
	}
	for _, ov := range r.Overrides {
		t += fmt.Sprintf(". OVERRIDE: %s — %s", forms.WarningLabel(ov.Code), ov.Reason)
	}
	return t + "."
}

// notGivenText is a dose not given with its reason and note, who
// recorded it and when.
func (m *medicinesTab) notGivenText(r forms.AdminRecord) string {
	t := sentence(string(r.Outcome))
	if r.ReasonCode != "" && r.ReasonCode != forms.ReasonOther {
		t += ", " + strings.ToLower(r.ReasonCode.Label())
	}
	if r.Note != "" {
		t += ": " + r.Note
	}
	return fmt.Sprintf("%s (%s, %s).", t, m.name(r.Author), r.PerformedAt.Local().Format(TimeLayout))
}

// stopText says when an order stopped, who stopped it and why.
func (m *medicinesTab) stopText(o forms.MedicationOrder) string {
	t := "STOPPED at " + o.Stop.Local().Format(DateTimeLayout)
	if s, ok := m.chart.Stops[o.ID]; ok && s.At.Equal(o.Stop) {
		t += " by " + m.name(s.Author)
		if s.Reason != "" {
			t += ": " + s.Reason
		}
	}
	return t + ". Do not give."
}

// struck is text drawn with a line through it, as a stopped order is on a
// paper chart.
func struck(text string) fyne.CanvasObject {
	t := canvas.NewText(text, medStruckInk)
	t.TextSize = theme.TextSize()
	// Indented as a label's text is, the line only as long as the words.
	indent := canvas.NewRectangle(color.Transparent)
	indent.SetMinSize(fyne.NewSize(theme.InnerPadding()-theme.Padding(), theme.TextSize()+2*theme.InnerPadding()))
	return container.NewHBox(indent, strike(t, true))
}

// slotLabel is a dose's scheduled time as HH:MM, or "PRN".
func slotLabel(slot string) string {
	if slot == "" {
		return "PRN"
	}
	if len(slot) >= 16 {
		return slot[11:16]
	}
	return slot
}

func orderText(o forms.MedicationOrder) string {
	freq := o.Frequency
	if o.PRN {
		freq = "when required"
	} else if freq == "" {
		freq = strings.Join(o.Times, ", ")
	}
	return fmt.Sprintf("%s %s %s, %s", o.Dose, o.DoseUnit, o.Route, freq)
}

func (m *medicinesTab) orderCard(r forms.MARRow, shown map[string]bool) fyne.CanvasObject {
	o := r.Order
	now := m.at
	ended := !o.Stop.IsZero() && !now.Before(o.Stop)
	var head []fyne.CanvasObject
	if ended {
		head = append(head, struck(o.Drug), struck(orderText(o)), medFlag(m.stopText(o), medPaleGrey, true))
	} else {
		name := heading(o.Drug, theme.SizeNameText)
		name.TextStyle = fyne.TextStyle{Bold: true}
		head = append(head, name, wrapped(orderText(o)))
		if !o.Stop.IsZero() {
			head = append(head, wrapped("Stops at "+o.Stop.Local().Format(DateTimeLayout)+"."))
		}
		for _, x := range forms.DuplicateOrders(o, m.chart.Orders, now) {
			head = append(head, medFlag(fmt.Sprintf("Also prescribed as %s: doses on either count toward the limits.", orderText(x)), medPaleAmber, true))
		}
	}
	var notes []string
	if !ended && o.PRN && (o.MinIntervalHours > 0 || o.MaxDailyDose > 0) {
		notes = append(notes, prnLimits(o))
	}
	if o.Controlled {
		notes = append(notes, "Controlled drug: each dose needs a witness.")
	}
	if len(notes) > 0 {
		head = append(head, wrapped(strings.Join(notes, " ")))
	}
	cells := container.NewGridWrap(fyne.NewSize(150, MinTouchTarget))
	var lines []fyne.CanvasObject
	for _, c := range r.Cells {
		if c.Status == forms.StatusNone {
			continue
		}
		if ended && (c.Status == forms.StatusDue || c.Status == forms.StatusOverdue) {
			cells.Add(Chip(c.Slot.Time.Local().Format(TimeLayout)+" stopped", nhsGrey4, nhsBlack, false))
			continue
		}
		cells.Add(m.cellButton(o, c))
		for _, rec := range c.Records {
			if rec.Outcome == forms.OutcomeGiven && (rec.Witness != "" || len(rec.Overrides) > 0) {
				lines = append(lines, wrapped(c.Slot.Time.Local().Format(TimeLayout)+" dose: "+m.doseText(rec)))
			}
			if rec.Outcome != forms.OutcomeGiven && rec.Note != "" {
				lines = append(lines, wrapped(c.Slot.Time.Local().Format(TimeLayout)+" dose: "+m.notGivenText(rec)))
			}
		}
	}
	if o.PRN {
		if o.ActiveAt(now) {
			give := widget.NewButton("Give a dose now", func() { m.record(o, "", forms.OutcomeGiven, "") })
			give.Importance = widget.HighImportance
			cells.Add(give)
		}
		for _, p := range r.PRN {
			cells.Add(Chip("Given "+p.PerformedAt.Local().Format(TimeLayout), nhsGreen, nhsWhite, false))
			lines = append(lines, wrapped(m.doseText(p)))
		}
	}
	for _, d := range m.chart.Register {
		if d.Entry.OrderID == o.ID {
			shown[d.EventID] = true // the dose itself is on the card; the register holds its line
			continue
		}
		if d.Entry.OrderID == "" && o.CDProduct != nil && forms.RegisterKey(*o.CDProduct, "") == forms.RegisterKey(d.Entry.CDProduct, "") &&
			sameDay(d.At, m.chart.MAR.Day) {
			shown[d.EventID] = true
			lines = append(lines, medFlag(m.registerText(d), medPaleGrey, false))
		}
	}
	return NewCard(container.NewVBox(append(append(head, cells), lines...)...), nil)
}

// coreChart reports whether any dose on mar is left to the core chart.
func coreChart(mar forms.MAR) bool {
	for _, r := range mar.Rows {
		for _, c := range r.Cells {
			if c.Status == forms.StatusCoreChart {
				return true
			}
		}
	}
	return false
}

// sameDay reports whether t falls on the MAR day starting at day.
func sameDay(t, day time.Time) bool {
	return !t.Before(day) && t.Before(day.AddDate(0, 0, 1))
}

// prnLimits is a PRN order's limits in words.
func prnLimits(o forms.MedicationOrder) string {
	var parts []string
	if o.MinIntervalHours > 0 {
		parts = append(parts, fmt.Sprintf("at least %s hours apart", o.MinIntervalHours))
	}
	if o.MaxDailyDose > 0 {
		parts = append(parts, fmt.Sprintf("no more than %s %s in 24 hours", o.MaxDailyDose, o.MaxDailyDoseUnit))
	}
	return "Limits: " + strings.Join(parts, ", ") + "."
}

// cellButton shows one scheduled dose; due and overdue doses record.
func (m *medicinesTab) cellButton(o forms.MedicationOrder, c forms.MARCell) fyne.CanvasObject {
	at := c.Slot.Time.Local().Format(TimeLayout)
	switch c.Status {
	case forms.StatusDue, forms.StatusOverdue:
		label := at + " due"
		if c.Status == forms.StatusOverdue {
			label = at + " OVERDUE"
		}
		b := widget.NewButton(label, func() { m.askOutcome(o, c) })
		b.Importance = widget.WarningImportance
		if c.Status == forms.StatusOverdue {
			b.Importance = widget.DangerImportance
		}
		return b
	case forms.StatusCoreChart:
		// Before the census time the core system's chart holds this
		// dose: not due here, but a dose given then can still be recorded.
		b := widget.NewButton(at+" core chart", func() { m.askOutcome(o, c) })
		b.Importance = widget.LowImportance
		return b
	case forms.StatusUpcoming:
		return Chip(at+" later", nhsGrey5, nhsGrey1, false)
	case forms.StatusConflict:
		return Chip(at+" CONFLICT", nhsRed, nhsWhite, true)
	case forms.StatusGiven:
		return Chip(at+" given", nhsGreen, nhsWhite, false)
	default:
		return Chip(at+" "+string(c.Status), nhsGrey4, nhsBlack, false)
	}
}

// doseHeader is the top of every dose dialog: who the dose is for
// (name, date of birth, NHS number and bed, to check against the
// wristband), the drug, dose and route, and the allergies.
func (m *medicinesTab) doseHeader(o forms.MedicationOrder) fyne.CanvasObject {
	p := m.patient
	name := widget.NewLabel(forms.DisplayName(p.Patient))
	name.TextStyle = fyne.TextStyle{Bold: true}
	if name.Text == "" {
		name.SetText("Patient not known on this device")
	}
	where := identityLine(p.Patient)
	if bed := bedName(m.wards, p.Ward, p.Bed); bed != "" {
		where += "   " + bed
	}
	drug := wrapped(o.Drug)
	drug.TextStyle = fyne.TextStyle{Bold: true}
	freq := o.Frequency
	if o.PRN {
		freq = "when required"
	}
	what := fmt.Sprintf("Dose %s %s   Route %s", o.Dose, o.DoseUnit, o.Route)
	if freq != "" {
		what += "   " + freq
	}
	return container.NewVBox(name, wrapped(where), drug, wrapped(what), allergyChip(m.chart.Allergies))
}

// askOutcome offers the outcomes for a scheduled dose.
func (m *medicinesTab) askOutcome(o forms.MedicationOrder, c forms.MARCell) {
	slot := forms.SlotTime(c.Slot.Time)
	var d dialog.Dialog
	choose := func(out forms.Outcome) func() {
		return func() {
			d.Hide()
			if out == forms.OutcomeGiven {
				m.record(o, slot, out, "")
				return
			}
			m.askReason(o, slot, out)
		}
	}
	given := widget.NewButton("Given", choose(forms.OutcomeGiven))
	given.Importance = widget.HighImportance
	body := container.NewVBox(
		m.doseHeader(o),
		wrapped(fmt.Sprintf("Due %s. Recorded as done now (%s) by %s.", c.Slot.Time.Local().Format(TimeLayout),
			m.ui.Now().Local().Format(TimeLayout), m.ui.Session().User.Name)),
		given,
		widget.NewButton("Omitted", choose(forms.OutcomeOmitted)),
		widget.NewButton("Refused", choose(forms.OutcomeRefused)),
		widget.NewButton("Held", choose(forms.OutcomeHeld)),
	)
	d = dialog.NewCustom("Record dose", "Cancel", body, m.ui.Window())
	d.Resize(fyne.NewSize(min(m.ui.win.Canvas().Size().Width-24, 560), 0))
	d.Show()
}

// askReason asks why a dose was not given, in a form that stays open
// until it is right: no reason chosen is said in place, and "Other (see
// note)" needs the note, saved with the dose. A dose refused has its
// reason already; its note is optional.
func (m *medicinesTab) askReason(o forms.MedicationOrder, slot string, out forms.Outcome) {
	f := newFieldForm(m.ui)
	f.box.Add(m.doseHeader(o))
	f.box.Add(wrapped(fmt.Sprintf("Due %s. Recorded as %s now (%s) by %s.", slotLabel(slot), out,
		m.ui.Now().Local().Format(TimeLayout), m.ui.Session().User.Name)))
	var pick *widget.RadioGroup
	byLabel := map[string]forms.OmissionReason{}
	if out != forms.OutcomeRefused {
		var labels []string
		for _, r := range forms.OmissionReasons {
			if r == forms.ReasonRefused {
				continue // that is the outcome Refused
			}
			labels = append(labels, r.Label())
			byLabel[r.Label()] = r
		}
		pick = widget.NewRadioGroup(labels, nil)
		f.add("Why was it "+string(out)+"?", pick, "reason_code")
	}
	note := widget.NewMultiLineEntry()
	note.Wrapping = noteWrap
	note.SetMinRowsVisible(2)
	note.OnChanged = func(string) { m.ui.Touch() }
	noteRow := f.add("Note", note, "note")
	if pick != nil {
		note.SetPlaceHolder("What happened, e.g. patient in theatre until 14:00")
		noteRow.box.Hide()
		pick.OnChanged = func(label string) {
			m.ui.Touch()
			if byLabel[label] == forms.ReasonOther {
				noteRow.box.Show()
				f.fit()
				m.ui.win.Canvas().Focus(note)
			} else {
				noteRow.box.Hide()
				f.fit()
			}
		}
	} else {
		note.SetPlaceHolder("Optional, e.g. says it makes them drowsy")
	}
	build := func() (store.Draft, error) {
		a := forms.Administration{OrderID: o.ID, PatientID: m.id, Slot: slot, Outcome: out}
		if pick != nil {
			a.ReasonCode = byLabel[pick.Selected]
		} else {
			a.ReasonCode = forms.ReasonRefused
		}
		if noteRow.box.Visible() {
			a.Note = strings.TrimSpace(note.Text)
		}
		var ps forms.Problems
		for _, p := range a.ValidateFor(o) {
			switch {
			case p.Soft:
			case p.Field == "reason_code":
				ps = append(ps, forms.Problem{Field: p.Field, Message: "Choose why it was " + string(out) + "."})
			case p.Field == "note":
				ps = append(ps, forms.Problem{Field: p.Field, Message: "Type the reason in the note: it goes on the chart with the dose."})
			default:
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			return store.Draft{}, ps
		}
		return store.Draft{Kind: forms.KindMedAdministered, PerformedAt: m.ui.Now(), Payload: a}, nil
	}
	f.show("Dose "+string(out), "Save", build, nil)
}

// record saves an outcome. A dose given goes through give: the checks
// first, then the dialog if anything needs a reason or a witness.
func (m *medicinesTab) record(o forms.MedicationOrder, slot string, out forms.Outcome, reason forms.OmissionReason) {
	if out == forms.OutcomeGiven {
		m.give(o, slot)
		return
	}
	a := forms.Administration{OrderID: o.ID, PatientID: m.id, Slot: slot, Outcome: out, ReasonCode: reason}
	m.save(a, m.ui.Now(), nil)
}

// save records a (and extra, in the same transaction).
func (m *medicinesTab) save(a forms.Administration, at time.Time, extra []store.Draft) {
	sess := m.ui.Session()
	m.ui.Run(func(ctx context.Context) error {
		_, err := m.ui.Store().AppendAll(ctx, sess, append([]store.Draft{{Kind: forms.KindMedAdministered, PerformedAt: at, Payload: a}}, extra...))
		return err
	}, func(err error) {
		if err != nil {
			m.ui.ShowError(err)
		}
	})
}

// give records a dose of o given now (slot empty for PRN): warning first
// if the same scheduled dose is already recorded as given on any device
// this one has heard from, then asking for a reason for each dose warning
// (store.DoseWarnings) and, for a controlled drug, the witness. A dose
// with neither is saved in one tap.
func (m *medicinesTab) give(o forms.MedicationOrder, slot string) {
	a := forms.Administration{OrderID: o.ID, PatientID: m.id, Slot: slot, Outcome: forms.OutcomeGiven, Dose: o.Dose}
	at := m.ui.Now()
	var (
		prev    forms.AdminRecord
		dup     bool
		ws      []forms.DoseWarning
		users   []store.User
		patient store.PatientView
		wards   []forms.Ward
	)
	m.ui.Run(func(ctx context.Context) (err error) {
		st := m.ui.Store()
		if slot != "" {
			if _, dup, err = st.DoseAlreadyRecorded(ctx, a); err != nil {
				return err
			}
		}
		if dup { // who gave it and when, for the warning
			recs, err := st.Administrations(ctx, m.id)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if r.Outcome == forms.OutcomeGiven && r.SlotKey() == a.SlotKey() {
					prev = r
				}
			}
		}
		if ws, err = st.DoseWarnings(ctx, m.id, o.ID, a.Dose, at); err != nil {
			return err
		}
		if o.Controlled {
			if users, err = st.Users(ctx); err != nil {
				return err
			}
			if patient, err = st.Patient(ctx, m.id); err != nil {
				return err
			}
			if wards, err = st.Wards(ctx); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			m.ui.ShowError(err)
			return
		}
		next := func() {
			if len(ws) == 0 && !o.Controlled {
				m.save(a, at, nil)
				return
			}
			m.giveDialog(o, a, at, ws, users, wards, patient.Ward)
		}
		if !dup {
			next()
			return
		}
		m.warnDoubleDose(o, slot, prev, next)
	})
}

// warnDoubleDose says the scheduled dose is already recorded as given,
// by whom and when, before it can be recorded again. Cancel is the
// highlighted choice; nothing has the keyboard, so a Return or Space
// typed at 3 a.m. records nothing.
func (m *medicinesTab) warnDoubleDose(o forms.MedicationOrder, slot string, prev forms.AdminRecord, again func()) {
	var d dialog.Dialog
	cancel := widget.NewButtonWithIcon("Cancel: do not give", theme.CancelIcon(), func() { d.Hide() })
	cancel.Importance = widget.HighImportance
	record := widget.NewButton("Record it again", func() {
		d.Hide()
		again()
	})
	who := fmt.Sprintf("The %s dose is already recorded as %s by %s at %s.", slotLabel(slot), prev.Outcome,
		m.name(prev.Author), prev.PerformedAt.Local().Format(DateTimeLayout))
	body := container.NewVBox(
		m.doseHeader(o),
		medFlag(who, medPaleRed, true),
		wrapped("Giving it again may be a double dose. Check the patient and ask whoever gave it before recording it again."),
		cancel, record, // one above the other: both read in full on a phone
	)
	d = dialog.NewCustomWithoutButtons("Already given?", body, m.ui.Window())
	d.Resize(fyne.NewSize(min(m.ui.win.Canvas().Size().Width-24, 560), 0))
	d.Show()
}

// giveDialog asks for what a dose needs before it is saved: a reason
// for each warning, typed by the person giving it, and for a controlled
// drug the witness (ward staff or a pharmacist, not the person giving it)
// with their own PIN and the quantity taken from the ward's register,
// whose line is saved with the dose, both or neither. Cancel saves
// nothing.
func (m *medicinesTab) giveDialog(o forms.MedicationOrder, a forms.Administration, at time.Time, ws []forms.DoseWarning, users []store.User, wards []forms.Ward, ward string) {
	f := newFieldForm(m.ui)
	f.box.Add(m.doseHeader(o))
	f.box.Add(wrapped(fmt.Sprintf("Given now (%s) by %s.", at.Local().Format(TimeLayout), m.ui.Session().User.Name)))
	reasons := make([]*widget.Entry, len(ws))
	for i, w := range ws {
		f.box.Add(medFlag("Warning: "+sentence(w.Message)+".", medPaleRed, true))
		reasons[i] = f.entry("Reason to give it anyway", "Why this dose is right for the patient", "override_"+w.Code)
	}
	var witness *widget.Select
	var pin, qty *widget.Entry
	var witnesses []store.User
	if o.Controlled {
		me := m.ui.Session().User.ID
		for _, u := range users {
			if u.ID != me && u.Active && slices.Contains(store.WitnessRoles, u.Role) {
				witnesses = append(witnesses, u)
			}
		}
		slices.SortFunc(witnesses, func(a, b store.User) int { return strings.Compare(a.Name, b.Name) })
		var names []string
		for _, u := range witnesses {
			names = append(names, u.Name)
		}
		witness = widget.NewSelect(names, nil)
		witness.PlaceHolder = "Choose the witness"
		f.add("Witness", witness, "witness")
		pin = widget.NewPasswordEntry()
		pin.SetPlaceHolder("Witness types their PIN")
		f.add("Witness PIN", pin, "witness_pin")
		if o.CDProduct != nil {
			p := *o.CDProduct
			label := fmt.Sprintf("Taken from the register (%s)", p.Unit())
			qty = f.entry(label, "Quantity, e.g. 1.25", "quantity")
			if q, err := o.CDQuantity(a.Dose); err == nil {
				qty.SetText(q.String())
			}
			f.box.Add(wrapped(fmt.Sprintf("Register: %s %s %s at %s.", p.Drug, p.Form, p.Strength, wardName(wards, ward))))
		} else {
			f.box.Add(wrapped("This order does not name its register: record the dose in the CD register too."))
		}
	}
	var witnessID, witnessName string
	build := func() (store.Draft, error) {
		var ps forms.Problems
		rec := a
		rec.Overrides = nil
		for i, w := range ws {
			r := strings.TrimSpace(reasons[i].Text)
			if r == "" {
				ps = append(ps, forms.Problem{Field: "override_" + w.Code, Message: "Say why you are giving it anyway, or cancel."})
				continue
			}
			rec.Overrides = append(rec.Overrides, forms.DoseOverride{Code: w.Code, Reason: r})
		}
		f.extra = nil
		if o.Controlled {
			witnessID, witnessName = "", witness.Selected
			for _, u := range witnesses {
				if u.Name == witness.Selected {
					witnessID = u.ID
				}
			}
			if witnessID == "" {
				ps = append(ps, forms.Problem{Field: "witness", Message: "Choose who is witnessing."})
			} else if pin.Text == "" {
				ps = append(ps, forms.Problem{Field: "witness_pin", Message: "The witness types their PIN to confirm."})
			}
			rec.Witness = witnessID
			if o.CDProduct != nil {
				var q forms.Quantity
				ps = append(ps, quantityProblem(qty.Text, "quantity", &q)...)
				if q <= 0 && !slices.ContainsFunc(ps, func(p forms.Problem) bool { return p.Field == "quantity" }) {
					ps = append(ps, forms.Problem{Field: "quantity", Message: "Type the quantity taken from the register."})
				}
				e := forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: *o.CDProduct, Location: ward, Type: forms.CDAdministration,
					Quantity: q, PatientID: m.id, Witness: witnessName, OrderID: o.ID}
				f.extra = []store.Draft{{Kind: forms.KindCDEntry, PerformedAt: at, Payload: e}}
			}
		}
		if len(ps) > 0 {
			return store.Draft{}, ps
		}
		return store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at, Payload: rec}, nil
	}
	before := func(ctx context.Context) error {
		if witnessID == "" {
			return nil
		}
		return checkWitness(ctx, m.ui.Store(), witnessID, witnessName, pin.Text)
	}
	f.show("Give "+o.Drug, "Give dose", build, before)
}
