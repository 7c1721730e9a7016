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
type medicinesTab struct {
	ui    *UI
	id    string
	msg   *widget.Label
	list  *fyne.Container
	chart store.MedicineChart
}

func newMedicinesTab(ui *UI, patientID string) fyne.CanvasObject {
	m := &medicinesTab{ui: ui, id: patientID, msg: errorLabel(), list: container.NewVBox()}
	title := heading("Today's medicines", theme.SizeNameSubHeadingText)
	hint := wrapped("Tap a due or overdue dose to record it. Times are when the dose was due.")
	// The allergy line and weight are on the patient header right above
	// this tab (PatientHeader), and again in every dose dialog: a third
	// copy here would only push the doses off a phone's screen.
	body := container.NewVBox(m.msg, title, hint, m.list)
	return NewScreen(container.NewVScroll(container.NewPadded(body)), m.load)
}

func (m *medicinesTab) load() {
	var chart store.MedicineChart
	now := m.ui.Now()
	m.ui.Run(func(ctx context.Context) (err error) {
		chart, err = m.ui.Store().MedicineChart(ctx, m.id, now, now)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(m.msg, ErrorText(err))
			return
		}
		setMsg(m.msg, "")
		m.show(chart)
	})
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

func (m *medicinesTab) show(chart store.MedicineChart) {
	m.chart = chart
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
	now := m.ui.Now()
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
		allergyChip(m.chart.Allergies),
		wrapped(fmt.Sprintf("%s, due %s. Recorded as done now (%s) by %s.", o.Drug, c.Slot.Time.Local().Format(TimeLayout),
			m.ui.Now().Local().Format(TimeLayout), m.ui.Session().User.Name)),
		given,
		widget.NewButton("Omitted", choose(forms.OutcomeOmitted)),
		widget.NewButton("Refused", choose(forms.OutcomeRefused)),
		widget.NewButton("Held", choose(forms.OutcomeHeld)),
	)
	d = dialog.NewCustom("Record dose", "Cancel", body, m.ui.Window())
	d.Show()
}

// askReason asks why a dose was not given.
func (m *medicinesTab) askReason(o forms.MedicationOrder, slot string, out forms.Outcome) {
	labels := make([]string, len(forms.OmissionReasons))
	byLabel := map[string]forms.OmissionReason{}
	for i, r := range forms.OmissionReasons {
		labels[i] = r.Label()
		byLabel[labels[i]] = r
	}
	pick := widget.NewRadioGroup(labels, nil)
	dialog.ShowCustomConfirm("Why was it "+string(out)+"?", "Save", "Cancel", pick, func(ok bool) {
		if ok {
			m.record(o, slot, out, byLabel[pick.Selected])
		}
	}, m.ui.Window())
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
		prev    forms.Administration
		dup     bool
		ws      []forms.DoseWarning
		users   []store.User
		patient store.PatientView
		wards   []forms.Ward
	)
	m.ui.Run(func(ctx context.Context) (err error) {
		st := m.ui.Store()
		if slot != "" {
			if prev, dup, err = st.DoseAlreadyRecorded(ctx, a); err != nil {
				return err
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
		dialog.ShowConfirm("Already given?", fmt.Sprintf("The %s dose of %s is already recorded as %s. Giving it again may be a double dose. Record it again?",
			slotLabel(slot), o.Drug, prev.Outcome), func(yes bool) {
			if yes {
				next()
			}
		}, m.ui.Window())
	})
}

// giveDialog asks for what a dose needs before it is saved: a reason
// for each warning, typed by the person giving it, and for a controlled
// drug the witness (ward staff or a pharmacist, not the person giving it)
// with their own PIN and the quantity taken from the ward's register,
// whose line is saved with the dose, both or neither. Cancel saves
// nothing.
func (m *medicinesTab) giveDialog(o forms.MedicationOrder, a forms.Administration, at time.Time, ws []forms.DoseWarning, users []store.User, wards []forms.Ward, ward string) {
	f := newFieldForm(m.ui)
	f.box.Add(allergyChip(m.chart.Allergies))
	f.box.Add(wrapped(fmt.Sprintf("%s: %s, given now (%s) by %s.", o.Drug, orderText(o), at.Local().Format(TimeLayout), m.ui.Session().User.Name)))
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
