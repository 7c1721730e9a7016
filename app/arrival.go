package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// Sex choices on the new-arrival form, as stored (forms.Patient.Sex).
var sexChoices = []struct{ label, value string }{
	{"Female", "female"}, {"Male", "male"}, {"Other", "other"}, {"Not known", "unknown"},
}

// noBed is the bed choice for a patient admitted without a bed yet.
const noBed = "No bed yet"

// arrivalForm registers a patient who arrives during downtime and admits
// them to this ward: NHS number if known, else a temporary downtime ID.
// As the name, date of birth or NHS number change it looks for records the
// patient may already have (store.PossibleDuplicates) and offers to open
// them instead; the same NHS number as a live record is always refused.
type arrivalForm struct {
	ui *UI

	surname, given, dob, nhs *widget.Entry
	sex, bed                 *widget.Select
	problems                 map[string]*widget.Label // per field
	dupBox                   *fyne.Container
	notDup                   *widget.Check
	save                     *widget.Button
	msg                      *widget.Label

	ward  forms.Ward
	beds  map[string]string // label -> bed ID, free beds only
	cands []store.Candidate
	check uint64 // the newest duplicate check; older answers are dropped
}

// showArrival opens the new-arrival form on top of the ward list.
func (ui *UI) showArrival() {
	f := &arrivalForm{ui: ui, problems: map[string]*widget.Label{}, dupBox: container.NewVBox(), msg: errorLabel()}
	ui.Push("New arrival", f.build())
}

func (f *arrivalForm) build() fyne.CanvasObject {
	field := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(ph)
		e.OnChanged = func(string) { f.ui.Touch(); f.changed() }
		return e
	}
	f.surname = field("Surname")
	f.given = field("First name")
	f.dob = field("Date of birth, DD/MM/YYYY")
	f.nhs = field("NHS number (leave empty if not known)")
	var sexes []string
	for _, s := range sexChoices {
		sexes = append(sexes, s.label)
	}
	f.sex = widget.NewSelect(sexes, func(string) { f.ui.Touch() })
	f.sex.PlaceHolder = "Sex"
	f.bed = widget.NewSelect([]string{noBed}, func(string) { f.ui.Touch() })
	f.bed.PlaceHolder = "Bed"
	f.bed.SetSelected(noBed)
	f.notDup = widget.NewCheck("I have checked: this is a different person", func(bool) { f.ui.Touch() })
	f.notDup.Hide()
	f.save = widget.NewButtonWithIcon("Register and admit", theme.ConfirmIcon(), f.register)
	f.save.Importance = widget.HighImportance

	row := func(label, key string, w fyne.CanvasObject) fyne.CanvasObject {
		p := errorLabel()
		f.problems[key] = p
		return container.NewVBox(widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), w, p)
	}
	intro := wrapped("A patient arriving during downtime. Give the NHS number if it is known; without one the patient gets a temporary downtime ID (DT-…) to write on the wristband, matched to their NHS number once the core system is back.")
	fields := container.NewVBox(
		row("Surname", "surname", f.surname),
		row("First name", "given", f.given),
		row("Date of birth", "birth_date", f.dob),
		row("Sex", "sex", f.sex),
		row("NHS number", "nhs_number", f.nhs),
		row("Bed", "bed", f.bed),
	)
	end := container.NewVBox(f.notDup, f.msg, f.save)
	// The offer of an existing record must be seen while typing: beside
	// the form on a desktop, above its fields on a phone.
	var body fyne.CanvasObject
	if f.ui.narrow() {
		body = container.NewVBox(intro, f.dupBox, fields, end)
	} else {
		body = container.NewVBox(intro, container.NewGridWithColumns(2, container.NewVBox(fields, end), f.dupBox))
	}
	return NewScreen(container.NewVScroll(container.NewPadded(body)), f.load)
}

// load finds this ward and its free beds.
func (f *arrivalForm) load() {
	var board forms.WardBoard
	site := f.ui.Site().Ward
	f.ui.Run(func(ctx context.Context) error {
		wards, err := f.ui.Store().Wards(ctx)
		if err != nil {
			return err
		}
		for _, w := range wards {
			if w.ID == site || w.Name == site {
				board, err = f.ui.Store().BedBoard(ctx, w.ID)
				return err
			}
		}
		if len(wards) > 0 {
			board, err = f.ui.Store().BedBoard(ctx, wards[0].ID)
			return err
		}
		return errors.New("no ward is set up on this device")
	}, func(err error) {
		if err != nil {
			setMsg(f.msg, "No ward is set up on this device yet: ask the IT admin or bed manager to set up the ward first.")
			f.save.Disable()
			return
		}
		f.ward, f.beds = board.Ward, map[string]string{}
		opts := []string{noBed}
		for _, b := range board.Beds {
			if b.State == forms.BedAvailable && len(b.Patients) == 0 {
				f.beds[b.Bed.Label] = b.Bed.ID
				opts = append(opts, b.Bed.Label)
			}
		}
		f.bed.SetOptions(opts)
	})
}

// patient is the form as a patient record, the date of birth as stored.
func (f *arrivalForm) patient() forms.Patient {
	p := forms.Patient{Surname: f.surname.Text, Given: f.given.Text, BirthDate: parseBirthDate(f.dob.Text), NHSNumber: f.nhs.Text}
	for _, s := range sexChoices {
		if s.label == f.sex.Selected {
			p.Sex = s.value
		}
	}
	return forms.NormalizePatient(p)
}

// parseBirthDate reads DD/MM/YYYY (also with dashes or dots, or
// DD-Mmm-YYYY) or YYYY-MM-DD into YYYY-MM-DD; anything else is returned
// as typed, for ValidatePatient to refuse in plain words.
func parseBirthDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02/01/2006", "2/1/2006", "02-01-2006", "02.01.2006", "02-Jan-2006", "2 Jan 2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return s
}

// changed runs the duplicate check for what is typed now, off the UI
// thread; an answer to an older check is dropped.
func (f *arrivalForm) changed() {
	p := f.patient()
	f.check++
	n := f.check
	if strings.TrimSpace(p.Surname) == "" && p.NHSNumber == "" {
		f.showDuplicates(nil)
		return
	}
	var cands []store.Candidate
	f.ui.Run(func(ctx context.Context) (err error) {
		cands, err = f.ui.Store().PossibleDuplicates(ctx, p)
		return err
	}, func(err error) {
		if n != f.check {
			return
		}
		if err != nil {
			setMsg(f.msg, ErrorText(err))
			return
		}
		f.showDuplicates(cands)
	})
}

// showDuplicates lists the records the patient may already have, each
// with a button to open it instead of registering.
func (f *arrivalForm) showDuplicates(cands []store.Candidate) {
	f.cands = cands
	f.dupBox.RemoveAll()
	if len(cands) == 0 {
		f.notDup.Hide()
		f.notDup.SetChecked(false)
		f.dupBox.Refresh()
		return
	}
	p := f.patient()
	same := sameNHS(cands, p.NHSNumber)
	title := "Is this the same person? Open their record instead of registering them again."
	if same != nil {
		title = fmt.Sprintf("NHS number %s is already %s's: open their record. A second record with one NHS number is never made.",
			forms.FormatNHSNumber(p.NHSNumber), forms.DisplayName(same.Patient.Patient))
	}
	t := heading(title, theme.SizeNameText)
	t.Importance = widget.DangerImportance
	f.dupBox.Add(t)
	for _, c := range cands {
		c := c
		where := "not on a ward"
		if c.Patient.Status == store.PatientAdmitted {
			where = "on the ward list"
		}
		text := wrapped(fmt.Sprintf("%s — %s, %s: %s", forms.DisplayName(c.Patient.Patient), identityLine(c.Patient.Patient), where, c.Reason))
		open := widget.NewButtonWithIcon("Open record of "+forms.DisplayName(c.Patient.Patient), theme.NavigateNextIcon(), func() {
			f.ui.Back()
			f.ui.ShowPatient(c.Patient.ID)
		})
		f.dupBox.Add(NewCard(container.NewVBox(text, newFlow(open)), nil))
	}
	if same != nil {
		f.notDup.Hide()
	} else {
		f.notDup.Show()
	}
	f.dupBox.Refresh()
}

// sameNHS is the candidate holding nhs, or nil.
func sameNHS(cands []store.Candidate, nhs string) *store.Candidate {
	if nhs == "" {
		return nil
	}
	for i, c := range cands {
		if c.Patient.NHSNumber == nhs {
			return &cands[i]
		}
	}
	return nil
}

// register checks the form, asks about soft problems, then records the
// patient and their admission together.
func (f *arrivalForm) register() {
	f.ui.Touch()
	p := f.patient()
	check := p
	if check.NHSNumber == "" {
		check.TempID = forms.FormatTempID("CHECK", 1) // the real one is given on saving
	}
	ps := forms.ValidatePatient(check, f.ui.Now())
	if f.sex.Selected == "" {
		ps = append(ps, forms.Problem{Field: "sex", Message: "Choose the patient's sex (Not known if it is not known)"})
	}
	f.showProblems(ps.Hard())
	if ps.HasHard() {
		setMsg(f.msg, "Check the details marked above.")
		return
	}
	if sameNHS(f.cands, p.NHSNumber) != nil {
		setMsg(f.msg, "This NHS number already has a record: open it above.")
		return
	}
	if len(f.cands) > 0 && !f.notDup.Checked {
		setMsg(f.msg, "This patient may already have a record: open it above, or tick that you have checked this is a different person.")
		return
	}
	setMsg(f.msg, "")
	f.ui.confirmSoft("Check the details", ps.Soft(), func() { f.saveArrival(p) })
}

func (f *arrivalForm) saveArrival(p forms.Patient) {
	a := store.Arrival{Patient: p, Ward: f.ward.ID, Bed: f.beds[f.bed.Selected], Reason: "Arrived during downtime", NotDuplicate: f.notDup.Checked}
	sess := f.ui.Session()
	at := f.ui.Now()
	var saved forms.Patient
	f.save.Disable()
	f.ui.Run(func(ctx context.Context) (err error) {
		saved, err = f.ui.Store().RegisterArrival(ctx, sess, a, at)
		return err
	}, func(err error) {
		f.save.Enable()
		var dup *store.DuplicateError
		var ps forms.Problems
		switch {
		case errors.As(err, &dup):
			f.showDuplicates(dup.Candidates)
			setMsg(f.msg, "This patient may already have a record: open it above.")
			return
		case errors.As(err, &ps):
			f.showProblems(ps)
			setMsg(f.msg, "Check the details marked above.")
			return
		case err != nil:
			setMsg(f.msg, ErrorText(err))
			return
		}
		f.ui.log.Debug("patient registered", "temp_id", saved.TempID != "")
		f.ui.Back()
		f.ui.ShowPatient(saved.ID)
	})
}

// showProblems puts each problem under its field.
func (f *arrivalForm) showProblems(ps forms.Problems) {
	for field, l := range f.problems {
		var msgs []string
		for _, p := range ps.For(field) {
			msgs = append(msgs, p.Message)
		}
		if field == "nhs_number" {
			for _, p := range ps.For("temp_id") {
				msgs = append(msgs, p.Message)
			}
		}
		setMsg(l, strings.Join(msgs, "\n"))
	}
}
