package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// idsTab matches each patient known only by a temporary downtime ID
// (DT-<device>-<n>) to their NHS number once the core system is back: the
// suggestions are patients with the same date of birth or name; a person
// checks the core system and confirms, which is recorded as an event.
type idsTab struct {
	ui      *UI
	content fyne.CanvasObject

	intro *widget.Label
	list  *fyne.Container
	msg   *widget.Label
}

func newIDsTab(ui *UI) *idsTab {
	t := &idsTab{ui: ui, intro: wrapped(""), list: container.NewVBox(), msg: errorLabel()}
	body := container.NewVBox(
		heading("Temporary IDs", theme.SizeNameSubHeadingText),
		t.intro, t.msg, t.list,
	)
	t.content = container.NewVScroll(container.NewPadded(body))
	return t
}

// load reads the temporary-ID patients and their suggested matches.
func (t *idsTab) load() {
	var temps []reconcile.TempPatient
	t.ui.Run(func(ctx context.Context) error {
		rs, err := reconStore(t.ui)
		if err != nil {
			return err
		}
		temps, err = reconcile.TempMatches(ctx, rs)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(t.msg, reconcileText(err))
			return
		}
		setMsg(t.msg, "")
		t.show(temps)
	})
}

func (t *idsTab) show(temps []reconcile.TempPatient) {
	t.list.RemoveAll()
	if len(temps) == 0 {
		t.intro.SetText("Every patient has an NHS number: no temporary downtime IDs are waiting to be matched.")
		return
	}
	t.intro.SetText(fmt.Sprintf("%s admitted during downtime without an NHS number. "+
		"Find each one in the core system, check name and date of birth, then confirm their NHS number. "+
		"The suggestions are patients already known here with the same date of birth or name.", plural(len(temps), "patient")))
	for _, tp := range temps {
		t.list.Add(t.patientCard(tp))
	}
}

// patientCard is one temporary-ID patient with their suggested matches
// and a box to type the NHS number found in the core system.
func (t *idsTab) patientCard(tp reconcile.TempPatient) fyne.CanvasObject {
	name := heading(forms.DisplayName(tp.Patient), theme.SizeNameText)
	rows := []fyne.CanvasObject{name, wrapped(identityLine(tp.Patient))}
	if len(tp.Suggestions) == 0 {
		rows = append(rows, wrapped("No likely matches among the patients known here."))
	} else {
		rows = append(rows, wrapped("Possible matches, likeliest first:"))
	}
	for _, s := range tp.Suggestions {
		sug := s
		who := forms.DisplayName(forms.Patient{Surname: s.Surname, Given: s.Given})
		text := wrapped(fmt.Sprintf("%s, born %s, NHS %s: %s", who, forms.FormatBirthDate(s.BirthDate), forms.FormatNHSNumber(s.NHSNumber), s.Why))
		b := widget.NewButtonWithIcon("Confirm NHS "+forms.FormatNHSNumber(s.NHSNumber), theme.ConfirmIcon(), func() {
			t.confirm(tp, sug.NHSNumber, who)
		})
		rows = append(rows, NewCard(container.NewVBox(text, newFlow(b)), nil))
	}
	nhs := widget.NewEntry()
	nhs.SetPlaceHolder("NHS number from the core system")
	nhs.OnChanged = func(string) { t.ui.Touch() }
	problem := errorLabel()
	typed := widget.NewButton("Confirm", func() {
		digits, err := forms.ParseNHSNumber(nhs.Text)
		if err != nil {
			setMsg(problem, "An NHS number has 10 digits and a valid check digit. Check it against the core system and type it again.")
			return
		}
		setMsg(problem, "")
		who := ""
		for _, s := range tp.Suggestions {
			if s.NHSNumber == digits {
				who = forms.DisplayName(forms.Patient{Surname: s.Surname, Given: s.Given})
			}
		}
		t.confirm(tp, digits, who)
	})
	rows = append(rows, wrapped("Or type the NHS number found in the core system:"), container.NewBorder(nil, nil, nil, typed, nhs), problem)
	return NewCard(container.NewVBox(rows...), nil)
}

// confirm asks once more, then records the NHS number for the patient:
// an amended registration, so the export matches the core patient.
func (t *idsTab) confirm(tp reconcile.TempPatient, nhs, who string) {
	t.ui.Touch()
	what := fmt.Sprintf("Record that %s (%s, born %s) has NHS number %s?", forms.DisplayName(tp.Patient), tp.TempID,
		forms.FormatBirthDate(tp.BirthDate), forms.FormatNHSNumber(nhs))
	if who != "" {
		what += fmt.Sprintf(" That is the NHS number of %s here, so the two records will be merged: everything recorded under %s will show on %s's record. Nothing is deleted and %s stays findable.",
			who, tp.TempID, who, tp.TempID)
	}
	what += " Only confirm once you have checked it in the core system."
	msg := wrapped(what)
	d := dialog.NewCustomConfirm("Confirm NHS number", "Confirm", "Cancel", msg, func(ok bool) {
		if !ok {
			return
		}
		sess := t.ui.Session()
		t.ui.Run(func(ctx context.Context) error {
			rs, err := reconStore(t.ui)
			if err != nil {
				return err
			}
			_, err = reconcile.ConfirmMatch(ctx, rs, reconcile.StoreAppender(t.ui.Store(), sess), tp.ID, nhs, t.ui.Now())
			return err
		}, func(err error) {
			if err != nil {
				showReconError(t.ui, err)
				return
			}
			if who != "" {
				dialog.ShowInformation("Records merged", fmt.Sprintf("%s (%s) is now part of %s's record.", forms.DisplayName(tp.Patient), tp.TempID, who), t.ui.win)
			}
		})
	}, t.ui.win)
	d.Resize(fyne.NewSize(min(t.ui.win.Canvas().Size().Width-24, 460), 0))
	d.Show()
}
