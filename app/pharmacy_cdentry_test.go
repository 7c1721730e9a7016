package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
	"lifeboat/store"
)

// openCDEntry opens the Add entry dialog of the ward's register as the
// pharmacist, for an administration.
func openCDEntry(t *testing.T, size fyne.Size) (*UI, *store.DB) {
	t.Helper()
	ui, db, _ := newTestUI(t, size)
	openPharmacy(t, ui)
	showTab(t, ui, "CD register")
	tap(t, ui, "Add entry")
	choose(t, ui, "Choose the entry type").SetSelected("Administration")
	settle(ui)
	return ui, db
}

// besideEntry is the text of the label drawn right of the entry with
// placeholder ph, on its line.
func besideEntry(t *testing.T, ui *UI, ph string) string {
	t.Helper()
	relayout(ui)
	e := entry(t, ui, ph)
	d := fyne.CurrentApp().Driver()
	ep := d.AbsolutePositionForObject(e)
	for _, o := range objects(ui) {
		l, ok := o.(*widget.Label)
		if !ok {
			continue
		}
		lp := d.AbsolutePositionForObject(l)
		if lp.X >= ep.X+e.Size().Width-1 && lp.Y < ep.Y+e.Size().Height && lp.Y+l.Size().Height > ep.Y {
			return l.Text
		}
	}
	return ""
}

func TestCDEntry_UnitBesideTheQuantity(t *testing.T) {
	ui, _ := openCDEntry(t, phone)
	if got := besideEntry(t, ui, "Quantity"); got != "ml" {
		t.Errorf("beside the quantity: %q, want ml (the register is of an oral solution)", got)
	}
	choose(t, ui, "Choose the entry type").SetSelected("Correction")
	settle(ui)
	if got := besideEntry(t, ui, "Change"); got != "ml" {
		t.Errorf("beside the change to the balance: %q, want ml", got)
	}
	tap(t, ui, "Cancel")

	// A new register's unit follows the form as it is typed.
	tap(t, ui, "New register")
	test.Type(entry(t, ui, "Form"), "ampoules")
	if got := besideEntry(t, ui, "Quantity"); got != "ampoules" {
		t.Errorf("beside a new register's quantity: %q, want ampoules", got)
	}
}

// Patients are offered by name, each with the bed, those on a ward first.
func TestCDEntry_PatientsSortedWithTheirBeds(t *testing.T) {
	ui, db := openCDEntry(t, desktop)
	opts := choose(t, ui, "Choose the patient").Options
	pts, err := db.Patients(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	wards, _ := db.Wards(t.Context())
	var admitted []string
	for _, p := range pts {
		if p.Status != store.PatientAdmitted {
			continue
		}
		name := forms.DisplayName(p.Patient)
		admitted = append(admitted, name)
		bed, ok := wards[slices.IndexFunc(wards, func(w forms.Ward) bool { return w.ID == p.Ward })].Bed(p.Bed)
		if !ok {
			continue
		}
		if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, name+" · "+bed.Label+" · ") }) {
			t.Errorf("no choice %q with its bed %s among %q", name, bed.Label, opts)
		}
	}
	if len(opts) < len(admitted) || len(admitted) < 2 {
		t.Fatalf("%d choices for %d admitted patients", len(opts), len(admitted))
	}
	names := make([]string, len(admitted))
	for i, o := range opts[:len(admitted)] {
		names[i] = strings.ToUpper(strings.SplitN(o, " · ", 2)[0])
	}
	if !slices.IsSorted(names) {
		t.Errorf("patients offered in the order %q, want by name", names)
	}
	// The choice is repeated in full under the list (cut short on a phone).
	choose(t, ui, "Choose the patient").SetSelected(opts[0])
	settle(ui)
	if !slices.ContainsFunc(objects(ui), func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && l.Text == opts[0] && l.Wrapping != fyne.TextWrapOff
	}) {
		t.Errorf("the chosen patient %q is not shown in full", opts[0])
	}
}

// Only people who may witness a controlled drug are offered: ward staff
// and pharmacists, not IT admins or bed managers, not the person
// recording.
func TestCDEntry_OnlyEligibleWitnessesOffered(t *testing.T) {
	ui, db := openCDEntry(t, desktop)
	opts := choose(t, ui, "Choose the witness").Options
	users, err := db.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]bool{}
	for _, u := range users {
		want := u.Active && slices.Contains(store.WitnessRoles, u.Role) && u.ID != ui.Session().User.ID
		roles[string(u.Role)] = true
		if got := slices.Contains(opts, u.Name); got != want {
			t.Errorf("witness %s (%s) offered = %v, want %v", u.Name, u.Role, got, want)
		}
	}
	for _, r := range []string{"it_admin", "bed_manager", "ward_staff"} {
		if !roles[r] {
			t.Errorf("the demo has no %s to check against", r)
		}
	}
}

// A wrong witness PIN is said under the PIN field, in view in the dialog,
// on a phone and a desktop (the goldens pharmacy_cdentry_*).
func TestCDEntry_WrongWitnessPINShownByTheField(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db := openCDEntry(t, size)
			test.Type(entry(t, ui, "Quantity"), "2.5")
			pick := choose(t, ui, "Choose the patient")
			pick.SetSelected(pick.Options[0])
			choose(t, ui, "Choose the witness").SetSelected("Nia Nurse")
			test.Type(entry(t, ui, "Witness types their PIN"), "0000")
			tap(t, ui, "Save entry")
			mustProblem(t, ui, "That is not Nia Nurse's PIN")
			mustSeeProblem(t, ui, "That is not Nia Nurse's PIN")
			if n := len(mustRegister(t, db, demoOramorph, "w7")); n != 2 {
				t.Fatalf("register has %d lines after a wrong PIN, want 2", n)
			}
			golden(t, ui, "pharmacy_cdentry_"+sizeSuffix(size))
		})
	}
}

// mustSeeProblem checks the problem label holding msg is drawn inside the
// scroller it is in and inside the window.
func mustSeeProblem(t *testing.T, ui *UI, msg string) {
	t.Helper()
	relayout(ui)
	d := fyne.CurrentApp().Driver()
	var label *widget.Label
	for _, o := range objects(ui) {
		if l, ok := o.(*widget.Label); ok && l.Importance == widget.DangerImportance && strings.Contains(l.Text, msg) {
			label = l
		}
	}
	if label == nil {
		t.Fatalf("no problem %q", msg)
	}
	top := d.AbsolutePositionForObject(label).Y
	bottom := top + label.Size().Height
	if win := ui.win.Canvas().Size().Height; top < 0 || bottom > win {
		t.Errorf("problem %q drawn at y %v-%v, outside the window (height %v)", msg, top, bottom, win)
	}
	for _, o := range objects(ui) {
		sc, ok := o.(*container.Scroll)
		if !ok || !contains(sc.Content, label) {
			continue
		}
		st := d.AbsolutePositionForObject(sc).Y
		if top < st || bottom > st+sc.Size().Height {
			t.Errorf("problem %q at y %v-%v is scrolled out of the form's view %v-%v", msg, top, bottom, st, st+sc.Size().Height)
		}
		return
	}
}
