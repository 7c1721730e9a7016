package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

func init() {
	RegisterPatientTab(PatientTab{ID: "medicines", Title: "Medicines", Short: "Meds", Order: 20, Make: newMedicinesTab})
}

// medicinesTab is a patient's medicines administration record for today:
// one card per medicine with its doses, each due or overdue dose a big
// button that records the outcome in one tap (and one more for a reason).
type medicinesTab struct {
	ui   *UI
	id   string
	msg  *widget.Label
	list *fyne.Container
}

func newMedicinesTab(ui *UI, patientID string) fyne.CanvasObject {
	m := &medicinesTab{ui: ui, id: patientID, msg: errorLabel(), list: container.NewVBox()}
	title := heading("Today's medicines", theme.SizeNameSubHeadingText)
	hint := wrapped("Tap a due or overdue dose to record it. Times are when the dose was due.")
	body := container.NewVBox(m.msg, title, hint, m.list)
	return NewScreen(container.NewVScroll(container.NewPadded(body)), m.load)
}

func (m *medicinesTab) load() {
	var (
		mar       forms.MAR
		conflicts []forms.DoseClash
	)
	now := m.ui.Now()
	m.ui.Run(func(ctx context.Context) (err error) {
		if mar, err = m.ui.Store().MAR(ctx, m.id, now, now); err != nil {
			return err
		}
		conflicts, err = m.ui.Store().DoseConflicts(ctx, m.id)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(m.msg, ErrorText(err))
			return
		}
		setMsg(m.msg, "")
		m.show(mar, conflicts)
	})
}

func (m *medicinesTab) show(mar forms.MAR, conflicts []forms.DoseClash) {
	var rows []fyne.CanvasObject
	for _, c := range conflicts {
		what := "recorded twice with different outcomes"
		if c.DoubleDose {
			what = "recorded as GIVEN twice on devices that were apart: check the patient now"
		}
		rows = append(rows, Chip(fmt.Sprintf("Dose due %s %s", slotLabel(c.A.Slot), what), nhsRed, nhsWhite, true))
	}
	if len(mar.Rows) == 0 {
		rows = append(rows, wrapped("No medicines are recorded for this patient."))
	}
	for _, r := range mar.Rows {
		rows = append(rows, m.orderCard(r))
	}
	m.list.Objects = rows
	m.list.Refresh()
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

func (m *medicinesTab) orderCard(r forms.MARRow) fyne.CanvasObject {
	name := heading(r.Order.Drug, theme.SizeNameText)
	name.TextStyle = fyne.TextStyle{Bold: true}
	cells := container.NewGridWrap(fyne.NewSize(150, MinTouchTarget))
	for _, c := range r.Cells {
		if c.Status == forms.StatusNone {
			continue
		}
		cells.Add(m.cellButton(r.Order, c))
	}
	if r.Order.PRN {
		o := r.Order
		give := widget.NewButton("Give a dose now", func() { m.record(o, "", forms.OutcomeGiven, "") })
		give.Importance = widget.HighImportance
		cells.Add(give)
		for _, p := range r.PRN {
			cells.Add(Chip("Given "+p.PerformedAt.Local().Format(TimeLayout), nhsGreen, nhsWhite, false))
		}
	}
	return NewCard(container.NewVBox(name, wrapped(orderText(r.Order)), cells), nil)
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

// record saves an outcome, warning first if the same dose is already
// recorded as given on any device this one has heard from.
func (m *medicinesTab) record(o forms.MedicationOrder, slot string, out forms.Outcome, reason forms.OmissionReason) {
	a := forms.Administration{OrderID: o.ID, PatientID: m.id, Slot: slot, Outcome: out, ReasonCode: reason}
	if out == forms.OutcomeGiven {
		a.Dose = o.Dose
	}
	sess := m.ui.Session()
	at := m.ui.Now()
	save := func() {
		m.ui.Run(func(ctx context.Context) error {
			_, err := m.ui.Store().Append(ctx, sess, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: at, Payload: a})
			return err
		}, func(err error) {
			if err != nil {
				m.ui.ShowError(err)
			}
		})
	}
	if out != forms.OutcomeGiven || slot == "" {
		save()
		return
	}
	var prev forms.Administration
	var dup bool
	m.ui.Run(func(ctx context.Context) (err error) {
		prev, dup, err = m.ui.Store().DoseAlreadyRecorded(ctx, a)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			m.ui.ShowError(err)
		case dup:
			dialog.ShowConfirm("Already given?", fmt.Sprintf("The %s dose of %s is already recorded as %s. Giving it again may be a double dose. Record it again?",
				slotLabel(slot), o.Drug, prev.Outcome), func(yes bool) {
				if yes {
					save()
				}
			}, m.ui.Window())
		default:
			save()
		}
	})
}
