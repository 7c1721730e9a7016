package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/assets"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

// demoOramorph is the demo ward's controlled-drugs register.
var demoOramorph = forms.CDProduct{Drug: "Oramorph (morphine sulfate)", Form: "oral solution", Strength: "10 mg/5 ml"}

func openPharmacy(t *testing.T, ui *UI) {
	t.Helper()
	signInAs(t, ui, "Phil Pharmacist", "2468")
	ui.ShowSection("pharmacy")
	settle(ui)
}

// tapIn taps the button labelled label inside the card that shows text.
func tapIn(t *testing.T, ui *UI, text, label string) {
	t.Helper()
	for _, o := range objects(ui) {
		if c, ok := o.(*Card); ok && cardShows(c, text) {
			for _, in := range test.LaidOutObjects(c) {
				if b, ok := in.(*widget.Button); ok && b.Text == label {
					test.Tap(b)
					settle(ui)
					return
				}
			}
		}
	}
	t.Fatalf("no %q button in a card showing %q; screen shows %q", label, text, texts(ui))
}

// mustProblem checks each message is shown as a problem (red, in a form).
func mustProblem(t *testing.T, ui *UI, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if !slices.ContainsFunc(objects(ui), func(o fyne.CanvasObject) bool {
			l, ok := o.(*widget.Label)
			return ok && l.Importance == widget.DangerImportance && strings.Contains(l.Text, m)
		}) {
			t.Errorf("no problem %q shown; screen shows %q", m, texts(ui))
		}
	}
}

// tabTitles lists the titles of the pharmacy screen's tabs.
func tabTitles(ui *UI) []string {
	for _, o := range objects(ui) {
		if tabs, ok := o.(*container.AppTabs); ok {
			var out []string
			for _, it := range tabs.Items {
				out = append(out, it.Text)
			}
			return out
		}
	}
	return nil
}

func demoPlan(t *testing.T) forms.ContinuityPlan {
	t.Helper()
	b, err := assets.Plans.ReadFile("plans/pharmacy-continuity.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := forms.ParsePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRegister(t *testing.T, db *store.DB, p forms.CDProduct, location string) []forms.CDLine {
	t.Helper()
	lines, err := db.CDRegister(t.Context(), p, location)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestPharmacy_PlanTickAndUntick(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPharmacy(t, ui)
	mustShow(t, ui, "Pharmacy business continuity", "First hour", "2 of 6 done", "0 of 7 done",
		"Secure controlled-drug keys and registers", "Nurse in charge")

	tapIn(t, ui, "Secure controlled-drug keys", "Done")
	test.Type(entry(t, ui, "Note (optional)"), "all keys with NIC")
	tap(t, ui, "Mark done")
	prog, err := db.PlanProgress(t.Context(), demoPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	if prog[0].Done != 3 || slices.ContainsFunc(prog[0].Open, func(k forms.PlanTask) bool { return k.ID == "secure-cd-keys" }) {
		t.Fatalf("first hour progress %+v, want secure-cd-keys done (3 of 6)", prog[0])
	}
	mustShow(t, ui, "3 of 6 done", "by Phil Pharmacist: all keys with NIC")

	// Ticked by mistake: taken back with a reason, kept on record.
	test.Tap(card(t, ui, "Secure controlled-drug keys"))
	settle(ui)
	tap(t, ui, "Not done after all")
	test.Type(entry(t, ui, "Reason"), "keys not yet found")
	tap(t, ui, "Save")
	if prog, _ = db.PlanProgress(t.Context(), demoPlan(t)); prog[0].Done != 2 {
		t.Fatalf("first hour done = %d after untick, want 2", prog[0].Done)
	}
	mustShow(t, ui, "2 of 6 done")
}

func TestPharmacy_CDAdministrationWithWitness(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPharmacy(t, ui)
	showTab(t, ui, "CD register")
	mustShow(t, ui, "Balance now: 298.75 ml", "Receipt", "Administration", "Out 1.25 ml · balance 298.75 ml", "witness Sam Staff Nurse")

	tap(t, ui, "Add entry")
	choose(t, ui, "Choose the entry type").SetSelected("Administration")
	settle(ui)
	// Nothing filled in: every problem is shown by its field, nothing saved.
	tap(t, ui, "Save entry")
	mustProblem(t, ui, "Quantity must be more than zero", "Choose the patient", "A witness is required for every administration")
	// More than the register holds: refused with the figures.
	test.Type(entry(t, ui, "Quantity"), "300")
	choose(t, ui, "Choose the patient").SetSelected(choose(t, ui, "Choose the patient").Options[0])
	choose(t, ui, "Choose the witness").SetSelected("Nia Nurse")
	test.Type(entry(t, ui, "Witness types their PIN"), "1357")
	tap(t, ui, "Save entry")
	mustProblem(t, ui, "The register holds 298.75: this would leave -1.25")
	if n := len(mustRegister(t, db, demoOramorph, "w7")); n != 2 {
		t.Fatalf("register has %d lines after a refused entry, want 2", n)
	}
	// The witness's PIN must be theirs.
	entry(t, ui, "Quantity").SetText("2.5")
	entry(t, ui, "Witness types their PIN").SetText("0000")
	tap(t, ui, "Save entry")
	mustProblem(t, ui, "That is not Nia Nurse's PIN")
	if n := len(mustRegister(t, db, demoOramorph, "w7")); n != 2 {
		t.Fatalf("register has %d lines after a wrong witness PIN, want 2", n)
	}
	entry(t, ui, "Witness types their PIN").SetText(cli.DemoNursePIN)
	tap(t, ui, "Save entry")

	lines := mustRegister(t, db, demoOramorph, "w7")
	if len(lines) != 3 {
		t.Fatalf("register has %d lines, want 3", len(lines))
	}
	last := lines[2]
	if last.Entry.Type != forms.CDAdministration || last.Entry.Witness != "Nia Nurse" || last.Entry.Quantity != forms.MustQuantity("2.5") ||
		last.Balance != forms.MustQuantity("296.25") || last.Entry.PatientID == "" {
		t.Errorf("new line %+v, want administration of 2.5 witnessed by Nia Nurse leaving 296.25", last)
	}
	if shows(ui, "Witness types their PIN") {
		t.Error("dialog still open after saving")
	}
	mustShow(t, ui, "Balance now: 296.25 ml", "Out 2.5 ml · balance 296.25 ml", "by Phil Pharmacist · witness Nia Nurse")
}

func TestPharmacy_CDCorrectionAndNewRegister(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPharmacy(t, ui)
	showTab(t, ui, "CD register")

	// A correction names the line it puts right and gives a reason.
	tap(t, ui, "Add entry")
	choose(t, ui, "Choose the entry type").SetSelected("Correction")
	settle(ui)
	test.Type(entry(t, ui, "Change"), "-3.75")
	tap(t, ui, "Save entry")
	mustProblem(t, ui, "Say which entry this corrects", "Give the reason for the correction")
	sel := choose(t, ui, "Choose the line it corrects")
	sel.SetSelected(sel.Options[0])
	test.Type(entry(t, ui, "Reason"), "measured short on receipt")
	tap(t, ui, "Save entry")
	lines := mustRegister(t, db, demoOramorph, "w7")
	if len(lines) != 3 || lines[2].Balance != forms.MustQuantity("295") || len(lines[0].CorrectedBy) != 1 {
		t.Fatalf("register after correction: %+v", lines)
	}
	mustShow(t, ui, "Balance now: 295 ml", "Adjust -3.75 ml", "Corrected later", "Corrects line 1")

	// A new register starts with a receipt.
	tap(t, ui, "New register")
	test.Type(entry(t, ui, "Drug"), "Morphine sulfate")
	test.Type(entry(t, ui, "Form"), "ampoules")
	test.Type(entry(t, ui, "Strength"), "10 mg/1 ml")
	test.Type(entry(t, ui, "Ward or pharmacy"), "Pharmacy CD vault")
	test.Type(entry(t, ui, "Quantity"), "50")
	tap(t, ui, "Save entry")
	mustProblem(t, ui, "Enter who supplied it")
	test.Type(entry(t, ui, "Supplied by"), "Alliance wholesale")
	tap(t, ui, "Save entry")
	amp := forms.CDProduct{Drug: "Morphine sulfate", Form: "ampoules", Strength: "10 mg/1 ml"}
	if got := mustRegister(t, db, amp, "Pharmacy CD vault"); len(got) != 1 || got[0].Balance != forms.MustQuantity("50") {
		t.Fatalf("new register %+v, want one receipt of 50", got)
	}
	regs, _ := db.CDRegisters(t.Context())
	if len(regs) < 2 {
		t.Fatalf("registers %q, want the new one too", regs)
	}
	choose(t, ui, "Choose a register").SetSelected("Morphine sulfate ampoules 10 mg/1 ml · Pharmacy CD vault")
	settle(ui)
	mustShow(t, ui, "Balance now: 50 ampoules", "From Alliance wholesale")
}

func TestPharmacy_SupplyLog(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPharmacy(t, ui)
	showTab(t, ui, "Supplies")
	before, _ := db.Supplies(t.Context())
	mustShow(t, ui, "Apixaban 5 mg tablets · 28 tablets", "Supplied by Phil Pharmacist · checked by Priya Patel")

	tap(t, ui, "Record a supply")
	tap(t, ui, "Save supply")
	mustProblem(t, ui, "Choose the patient", "Enter the medicine", "Enter the unit")
	sel := choose(t, ui, "Choose the patient")
	sel.SetSelected(sel.Options[0])
	test.Type(entry(t, ui, "Medicine"), "Apixaban 5 mg tablets")
	test.Type(entry(t, ui, "Quantity"), "14")
	test.Type(entry(t, ui, "Unit"), "tablets")
	// No second check: allowed, but shown first and saved on a second tap.
	tap(t, ui, "Save supply")
	mustProblem(t, ui, "Check: no second check recorded")
	if got, _ := db.Supplies(t.Context()); len(got) != len(before) {
		t.Fatalf("saved before the missing check was confirmed")
	}
	tap(t, ui, "Save supply anyway")
	got, err := db.Supplies(t.Context())
	if err != nil || len(got) != len(before)+1 {
		t.Fatalf("supplies %+v, %v; want one more; screen shows %q", got, err, texts(ui))
	}
	s := got[len(got)-1]
	if s.Drug != "Apixaban 5 mg tablets" || s.Quantity != forms.Units(14) || s.SuppliedBy != "Phil Pharmacist" || s.Ward == "" {
		t.Errorf("supply %+v", s)
	}
	mustShow(t, ui, "Apixaban 5 mg tablets · 14 tablets", "No second check", "Supplied by Phil Pharmacist")
}

func TestPharmacy_Stock(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	openPharmacy(t, ui)
	showTab(t, ui, "Stock")
	mustShow(t, ui, "Insulin aspart 100 units/ml cartridge", "LOW", "3 cartridges (minimum 10)", "OK")

	// Counting an item: its name, place, unit and minimum are filled in.
	test.Tap(card(t, ui, "Enoxaparin 40 mg syringe"))
	settle(ui)
	test.Type(entry(t, ui, "Count now"), "0")
	tap(t, ui, "Save count")
	levels, err := db.Stock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(levels, func(l forms.StockLevel) bool { return l.Item == "Enoxaparin 40 mg syringe" })
	if i < 0 || levels[i].Quantity != 0 || levels[i].Minimum != forms.Units(50) || levels[i].Location != "Pharmacy" {
		t.Fatalf("stock %+v, want enoxaparin counted 0 in Pharmacy", levels)
	}
	mustShow(t, ui, "OUT", "0 syringes (minimum 50)", "1 out of stock")
	if c := card(t, ui, "Enoxaparin 40 mg syringe"); c.bg.FillColor != stockColours[stockOut].tile {
		t.Errorf("an out-of-stock item is drawn %v, want the out tint", c.bg.FillColor)
	}

	// A count cannot be negative: said under the count, nothing saved.
	tap(t, ui, "Record a count")
	test.Type(entry(t, ui, "Item"), "Hydrocortisone 100 mg injection")
	test.Type(entry(t, ui, "Where it is kept"), "Emergency cupboard")
	test.Type(entry(t, ui, "Count now"), "-1")
	test.Type(entry(t, ui, "Unit"), "vials")
	tap(t, ui, "Save count")
	mustProblem(t, ui, "A count cannot be negative")
}

// Ward staff keep their ward's CD register; the rest is pharmacy's.
func TestPharmacy_WardStaffSeeTheCDRegister(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	ui.ShowSection("pharmacy")
	settle(ui)
	if got := tabTitles(ui); !slices.Equal(got, []string{"CD register"}) {
		t.Errorf("ward staff see tabs %q, want only the CD register", got)
	}
	mustShow(t, ui, "Balance now: 298.75")
	button(t, ui, "Add entry")
}

func TestPharmacy_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, _, _ := newTestUI(t, size)
			openPharmacy(t, ui)
			golden(t, ui, "pharmacy_plan_"+sizeSuffix(size))
			showTab(t, ui, "CD register")
			golden(t, ui, "pharmacy_cd_"+sizeSuffix(size))
		})
	}
}

// IT admins see every tab to support staff, and record nothing.
func TestPharmacy_ITAdminReadOnly(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Ada Admin", cli.DemoAdminPIN)
	ui.ShowSection("pharmacy")
	settle(ui)
	if got := tabTitles(ui); !slices.Equal(got, []string{"Plan", "CD register", "Supplies", "Stock"}) {
		t.Errorf("IT admin sees tabs %q, want all four", got)
	}
	mustShow(t, ui, "2 of 6 done")
	for _, tab := range []string{"Plan", "CD register", "Supplies", "Stock"} {
		showTab(t, ui, tab)
		for _, o := range objects(ui) {
			if b, ok := o.(*widget.Button); ok && slices.Contains([]string{"Done", "Add entry", "New register", "Record a supply", "Record a count"}, b.Text) {
				t.Errorf("IT admin is offered %q on the %s tab", b.Text, tab)
			}
		}
	}
}
