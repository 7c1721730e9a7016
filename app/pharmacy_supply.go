package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"lifeboat/forms"
	"lifeboat/store"
)

// supplyTab is the emergency supply and dispensing log, newest first,
// with the way to record a supply.
type supplyTab struct {
	s       *pharmacyScreen
	content fyne.CanvasObject
	list    *fyne.Container
}

func newSupplyTab(s *pharmacyScreen) *supplyTab {
	t := &supplyTab{s: s, list: container.NewVBox()}
	items := []fyne.CanvasObject{wrapped("Every medicine supplied during downtime, for back-entry into the pharmacy system.")}
	if s.access.edit {
		add := widget.NewButtonWithIcon("Record a supply", theme.ContentAddIcon(), t.addDialog)
		add.Importance = widget.HighImportance
		items = append(items, newFlow(add))
	}
	items = append(items, t.list)
	t.content = container.NewVScroll(container.NewPadded(container.NewVBox(items...)))
	return t
}

type supplyRow struct {
	sup forms.PharmacySupply
	at  time.Time
}

func (t *supplyTab) load() {
	var rs []store.Record
	t.s.ui.Run(func(ctx context.Context) (err error) {
		rs, err = t.s.ui.Store().Records(ctx, forms.KindPharmacySupply, "*")
		return err
	}, func(err error) {
		if err != nil {
			setMsg(t.s.msg, ErrorText(err))
			return
		}
		var rows []supplyRow
		for _, r := range rs {
			var s forms.PharmacySupply
			if r.Final() && decodeRecord(r, &s) == nil {
				rows = append(rows, supplyRow{s, r.PerformedAt})
			}
		}
		slices.SortStableFunc(rows, func(a, b supplyRow) int { return b.at.Compare(a.at) })
		t.show(rows)
	})
}

func (t *supplyTab) show(rows []supplyRow) {
	t.list.Objects = nil
	if len(rows) == 0 {
		t.list.Add(wrapped("No supplies recorded yet."))
	}
	for _, r := range rows {
		s := r.sup
		title := wrapped(s.Drug + " · " + s.Quantity.String() + " " + s.Unit)
		title.TextStyle = fyne.TextStyle{Bold: true}
		items := tight(
			widget.NewLabel(r.at.Local().Format(DateTimeLayout)+" · "+t.s.wardName(s.Ward)),
			title,
			wrapped(t.s.patientName(s.PatientID)),
		)
		check := "checked by " + s.CheckedBy
		if len(s.Validate().Soft()) > 0 {
			items = append([]fyne.CanvasObject{container.NewHBox(Chip("No second check", nhsWarmYellow, nhsBlack, true))}, items...)
			check = "no independent second check"
		}
		line := "Supplied by " + s.SuppliedBy + " · " + check
		if s.Note != "" {
			line += " · " + s.Note
		}
		items = append(items, tight(wrapped(line))...)
		t.list.Add(NewCard(container.NewPadded(container.NewVBox(items...)), nil))
	}
	t.list.Refresh()
}

// addDialog records a supply: patient, medicine, quantity, ward, who
// supplied it and who checked it.
func (t *supplyTab) addDialog() {
	t.s.ui.Touch()
	f := newFieldForm(t.s.ui)
	var ptLabels []string
	for _, p := range t.s.patients {
		ptLabels = append(ptLabels, patientLabel(p))
	}
	patient := widget.NewSelect(ptLabels, nil)
	patient.PlaceHolder = "Choose the patient"
	f.add("Patient", patient, "patient_id")
	drug := f.entry("Medicine", "Medicine, form and strength as labelled", "drug")
	qty := f.entry("Quantity", "Quantity, e.g. 28", "quantity")
	unit := f.entry("Unit", "Unit, e.g. tablets, ml", "unit")
	ward := f.entry("Ward", "Ward it went to", "ward")
	supplied := f.entry("Supplied by", "Who supplied it", "supplied_by")
	supplied.SetText(t.s.ui.Session().User.Name)
	checked := f.entry("Checked by", "Who did the second (accuracy) check", "checked_by")
	note := f.entry("Note", "Note (optional)", "note")
	when := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	when.SetText(t.s.ui.Now().Local().Format(DateTimeLayout))
	patient.OnChanged = func(string) {
		if i := slices.Index(ptLabels, patient.Selected); i >= 0 && ward.Text == "" {
			ward.SetText(t.s.wardName(t.s.patients[i].Ward))
		}
	}
	f.show("Record a supply", "Save supply", func() (store.Draft, error) {
		var ps forms.Problems
		s := forms.PharmacySupply{ID: uuid.Must(uuid.NewV7()).String(), Drug: strings.TrimSpace(drug.Text), Unit: strings.TrimSpace(unit.Text),
			Ward: strings.TrimSpace(ward.Text), SuppliedBy: strings.TrimSpace(supplied.Text), CheckedBy: strings.TrimSpace(checked.Text),
			Note: strings.TrimSpace(note.Text)}
		if i := slices.Index(ptLabels, patient.Selected); i >= 0 {
			s.PatientID = t.s.patients[i].ID
		}
		ps = append(ps, quantityProblem(qty.Text, "quantity", &s.Quantity)...)
		at, err := parseWhen(when.Text, t.s.ui.Now())
		var wp forms.Problems
		if errors.As(err, &wp) {
			ps = append(ps, wp...)
		}
		ps = appendNew(ps, s.Validate())
		if ps.HasHard() {
			return store.Draft{}, ps
		}
		// Soft problems come back with the record, to be saved once seen.
		return store.Draft{Kind: forms.KindPharmacySupply, PerformedAt: at, Payload: s}, ps.Err()
	}, nil)
}
