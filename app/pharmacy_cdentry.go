package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// entryDialog adds a line to the register shown, or (newReg) starts a new
// register with its first line.
func (c *cdTab) entryDialog(newReg bool) {
	c.s.ui.Touch()
	reg := c.current()
	balance := c.balance()
	rows := slices.Clone(c.rows)
	if newReg {
		reg, balance, rows = cdReg{}, 0, nil
	}
	f := newFieldForm(c.s.ui)
	var drug, form, strength, location *widget.Entry
	if newReg {
		drug = f.entry("Drug", "Drug, e.g. morphine sulfate", "drug")
		form = f.entry("Form", "Form, e.g. oral solution, ampoules", "form")
		strength = f.entry("Strength", "Strength, e.g. 10 mg/5 ml", "strength")
		location = f.entry("Held at", "Ward or pharmacy, e.g. CD vault", "location")
	} else {
		f.box.Add(wrapped(c.label(reg) + ". Balance now " + balance.String() + "."))
	}
	var typeWords []string
	for _, t := range cdTypes {
		if !newReg || t.t == forms.CDReceipt {
			typeWords = append(typeWords, t.words)
		}
	}
	kind := widget.NewSelect(typeWords, nil)
	kind.PlaceHolder = "Choose the entry type"
	f.add("Entry", kind, "type")
	// The unit is beside every quantity: 2.5 ml and 2.5 ampoules are not
	// the same dose. A new register's unit follows its form as typed.
	unit := func() string { return reg.product.Unit() }
	if newReg {
		unit = func() string { return forms.CDProduct{Form: form.Text}.Unit() }
	}
	qty, qtyUnit := unitEntry("Quantity, e.g. 2.5", unit())
	qty.OnChanged = func(string) { f.ui.Touch() }
	qtyRow := f.add("Quantity", qty.row, "quantity")

	// Patients by name, each with their bed, as on the ward list.
	pts := slices.Clone(c.s.patients)
	slices.SortStableFunc(pts, func(a, b store.PatientView) int {
		if ai, bi := a.Status == store.PatientAdmitted, b.Status == store.PatientAdmitted; ai != bi {
			if ai {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToUpper(forms.DisplayName(a.Patient)), strings.ToUpper(forms.DisplayName(b.Patient)))
	})
	var ptLabels []string
	for _, p := range pts {
		ptLabels = append(ptLabels, c.patientChoice(p, reg.location))
	}
	// The choice in full under the list: a phone cuts the list short.
	chosen := wrapped("")
	chosen.Hide()
	patient := widget.NewSelect(ptLabels, func(l string) {
		f.ui.Touch()
		chosen.SetText(l)
		chosen.Show()
		f.fit()
	})
	patient.PlaceHolder = "Choose the patient"
	ptRow := f.add("Patient", container.NewVBox(patient, chosen), "patient_id")
	from := f.entry("From", "Supplied by, e.g. Pharmacy", "from")
	fromRow := f.rows[len(f.rows)-1]
	to := f.entry("To", "Returned to, e.g. Pharmacy", "to")
	toRow := f.rows[len(f.rows)-1]

	var lineLabels []string
	for i, r := range rows {
		lineLabels = append(lineLabels, fmt.Sprintf("Line %d: %s %s %s", i+1, r.at.Local().Format(DateTimeLayout), cdTypeWords(r.line.Entry.Type), r.line.Change))
	}
	corrects := widget.NewSelect(lineLabels, nil)
	corrects.PlaceHolder = "Choose the line it corrects"
	corrRow := f.add("Corrects", corrects, "corrects")
	adjust, adjUnit := unitEntry("Change, e.g. -5 or +5", unit())
	adjust.OnChanged = func(string) { f.ui.Touch() }
	adjRow := f.add("Change to the balance", adjust.row, "adjustment")
	if newReg {
		form.OnChanged = func(string) {
			f.ui.Touch()
			qtyUnit.SetText(unit())
			adjUnit.SetText(unit())
		}
	}
	reason := f.entry("Reason", "Reason, e.g. spilt, expired", "reason")
	reasonRow := f.rows[len(f.rows)-1]

	when := f.entry("When", "DD-Mmm-YYYY HH:MM", "performed_at")
	when.SetText(c.s.ui.Now().Local().Format(DateTimeLayout))

	// The witness is a second person at the device who confirms with
	// their own PIN, so a name cannot be put down without them: ward
	// staff or a pharmacist (store.WitnessRoles), not an IT admin or a
	// bed manager, and not the person recording. Last in the form, right
	// above Save, so a wrong PIN is said where the witness is looking.
	me := c.s.ui.Session().User.ID
	var witnesses []store.User
	for _, u := range c.s.users {
		if u.ID != me && u.Active && slices.Contains(store.WitnessRoles, u.Role) {
			witnesses = append(witnesses, u)
		}
	}
	slices.SortFunc(witnesses, func(a, b store.User) int { return strings.Compare(a.Name, b.Name) })
	var wNames []string
	for _, u := range witnesses {
		wNames = append(wNames, u.Name)
	}
	witness := widget.NewSelect(wNames, nil)
	witness.PlaceHolder = "Choose the witness"
	f.add("Witness", witness, "witness")
	pin := widget.NewPasswordEntry()
	pin.SetPlaceHolder("Witness types their PIN")
	f.add("Witness PIN", pin, "witness_pin")

	entryType := func() forms.CDEntryType {
		for _, t := range cdTypes {
			if t.words == kind.Selected {
				return t.t
			}
		}
		return ""
	}
	showIf := func(r *formRow, on bool) {
		if on {
			r.box.Show()
		} else {
			r.box.Hide()
		}
	}
	kind.OnChanged = func(string) {
		t := entryType()
		showIf(qtyRow, t != forms.CDCorrection)
		showIf(ptRow, t == forms.CDAdministration)
		showIf(fromRow, t == forms.CDReceipt)
		showIf(toRow, t == forms.CDReturn)
		showIf(corrRow, t == forms.CDCorrection)
		showIf(adjRow, t == forms.CDCorrection)
		showIf(reasonRow, t == forms.CDDestruction || t == forms.CDCorrection)
		f.box.Refresh()
		f.fit()
	}
	if newReg {
		kind.SetSelected(cdTypes[0].words)
	} else {
		kind.OnChanged("")
	}

	var witnessID string
	build := func() (store.Draft, error) {
		var ps forms.Problems
		e := forms.CDEntry{ID: uuid.Must(uuid.NewV7()).String(), CDProduct: reg.product, Location: reg.location, Type: entryType(),
			From: strings.TrimSpace(from.Text), To: strings.TrimSpace(to.Text), Reason: strings.TrimSpace(reason.Text)}
		if newReg {
			e.CDProduct = forms.CDProduct{Drug: strings.TrimSpace(drug.Text), Form: strings.TrimSpace(form.Text), Strength: strings.TrimSpace(strength.Text)}
			e.Location = strings.TrimSpace(location.Text)
		}
		switch e.Type {
		case forms.CDCorrection:
			if s := strings.TrimSpace(adjust.Text); s != "" {
				q, err := forms.ParseQuantity(s)
				if err != nil {
					ps = append(ps, forms.Problem{Field: "adjustment", Message: "Type the change as a number: -5 takes 5 off the balance, +5 adds 5."})
				}
				e.Adjustment = q
			}
			if i := slices.Index(lineLabels, corrects.Selected); i >= 0 {
				e.Corrects = rows[i].line.Entry.ID
			}
		default:
			if s := strings.TrimSpace(qty.Text); s != "" {
				q, err := forms.ParseQuantity(s)
				if err != nil {
					ps = append(ps, forms.Problem{Field: "quantity", Message: "Type the quantity as a number, for example 2.5 (a leading 0 before a point: 0.5)."})
				}
				e.Quantity = q
			}
		}
		if e.Type == forms.CDAdministration {
			if i := slices.Index(ptLabels, patient.Selected); i >= 0 {
				e.PatientID = pts[i].ID
			}
		}
		witnessID = ""
		if i := slices.Index(wNames, witness.Selected); i >= 0 {
			e.Witness, witnessID = witnesses[i].Name, witnesses[i].ID
			if pin.Text == "" {
				ps = append(ps, forms.Problem{Field: "witness_pin", Message: "The witness types their PIN to confirm."})
			}
		} else if pin.Text != "" {
			ps = append(ps, forms.Problem{Field: "witness", Message: "Choose who is witnessing."})
		}
		at, err := parseWhen(when.Text, c.s.ui.Now())
		var wp forms.Problems
		if errors.As(err, &wp) {
			ps = append(ps, wp...)
		}
		ps = appendNew(ps, e.Validate())
		if len(ps) == 0 {
			// Never below zero: say so here, with the figures, rather
			// than have the store refuse it.
			if next := balance + e.Change(); next < 0 {
				field := "quantity"
				if e.Type == forms.CDCorrection {
					field = "adjustment"
				}
				ps = append(ps, forms.Problem{Field: field, Message: fmt.Sprintf(
					"The register holds %s: this would leave %s. Count the stock; if the balance is wrong, record a correction first.", balance, next)})
			}
		}
		if len(ps) > 0 {
			return store.Draft{}, ps
		}
		return store.Draft{Kind: forms.KindCDEntry, PerformedAt: at, Payload: e}, nil
	}
	before := func(ctx context.Context) error {
		if witnessID == "" {
			return nil
		}
		return checkWitness(ctx, c.s.ui.Store(), witnessID, witness.Selected, pin.Text)
	}
	title := "Add to the register"
	if newReg {
		title = "New controlled-drugs register"
	}
	f.show(title, "Save entry", build, before)
}

// patientChoice is a patient as offered for an administration: name, bed
// (with the ward when it is not the register's) and NHS number.
func (c *cdTab) patientChoice(p store.PatientView, location string) string {
	l := forms.DisplayName(p.Patient)
	switch {
	case p.Status != store.PatientAdmitted:
		l += " · not on a ward"
	case p.Ward == location:
		if w := slices.IndexFunc(c.s.wards, func(w forms.Ward) bool { return w.ID == p.Ward }); w >= 0 {
			if b, ok := c.s.wards[w].Bed(p.Bed); ok {
				l += " · " + b.Label
				break
			}
		}
		l += " · no bed"
	default:
		if bed := bedName(c.s.wards, p.Ward, p.Bed); bed != "" {
			l += " · " + bed
		}
	}
	if p.NHSNumber != "" {
		l += " · " + forms.FormatNHSNumber(p.NHSNumber)
	}
	return l
}

// quantityField is an entry with its unit beside it.
type quantityField struct {
	*widget.Entry
	row fyne.CanvasObject
}

// unitEntry returns an entry for a quantity with the unit label beside it.
func unitEntry(placeholder, unit string) (quantityField, *widget.Label) {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	u := widget.NewLabel(unit)
	u.TextStyle = fyne.TextStyle{Bold: true}
	return quantityField{Entry: e, row: container.NewBorder(nil, nil, nil, u, e)}, u
}

// checkWitness confirms the witness is at the device: their PIN signs
// them in (audited, and counted towards their lockout like any wrong
// PIN) and straight out again. A wrong PIN is a problem on the PIN field.
func checkWitness(ctx context.Context, st Store, userID, name, pin string) error {
	ws, err := st.SignIn(ctx, userID, pin, "")
	var out *store.LockedOutError
	switch {
	case errors.As(err, &out) || errors.Is(err, store.ErrLockedOut):
		return forms.Problems{{Field: "witness_pin", Message: ErrorText(err)}}
	case errors.Is(err, store.ErrWrongSecret):
		return forms.Problems{{Field: "witness_pin", Message: "That is not " + name + "'s PIN. Ask them to type it again."}}
	case errors.Is(err, lifeboat.ErrPermission):
		return forms.Problems{{Field: "witness", Message: name + "'s account is disabled: choose another witness."}}
	case err != nil:
		return err
	}
	return st.SignOut(ctx, ws)
}
