package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
)

// showTab selects the patient screen's tab called title.
func showTab(t *testing.T, ui *UI, title string) {
	t.Helper()
	for _, o := range objects(ui) {
		if tabs, ok := o.(*container.AppTabs); ok {
			for _, it := range tabs.Items {
				if it.Text == title {
					tabs.Select(it)
					settle(ui)
					return
				}
			}
		}
	}
	t.Fatalf("no tab %q; screen shows %q", title, texts(ui))
}

func TestMedicines_RecordDueDoseInOneTap(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3 * time.Hour) // 12:00 doses are now due
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	mustShow(t, ui, "Paracetamol 500 mg tablets", "06:00 given", "12:00 due")

	tap(t, ui, "12:00 due")
	tap(t, ui, "Given")
	admins, err := db.Administrations(t.Context(), pid)
	if err != nil {
		t.Fatal(err)
	}
	var got *forms.AdminRecord
	for i, a := range admins {
		if slotLabel(a.Slot) == "12:00" {
			got = &admins[i]
		}
	}
	if got == nil || got.Outcome != forms.OutcomeGiven || got.Author != ui.Session().User.ID || !got.PerformedAt.Equal(clock.Now()) {
		t.Fatalf("stored 12:00 dose = %+v, want given now by Nia Nurse", got)
	}
	mustShow(t, ui, "12:00 given")
}

func TestMedicines_OmittedNeedsAReason(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	showTab(t, ui, "Medicines")
	tap(t, ui, "12:00 due")
	tap(t, ui, "Omitted")
	for _, o := range objects(ui) {
		if r, ok := o.(*widget.RadioGroup); ok {
			r.SetSelected(forms.ReasonNilByMouth.Label())
		}
	}
	tap(t, ui, "Save")
	admins, _ := db.Administrations(t.Context(), pid)
	found := false
	for _, a := range admins {
		found = found || (a.Outcome == forms.OutcomeOmitted && a.ReasonCode == forms.ReasonNilByMouth)
	}
	if !found {
		t.Errorf("no omitted dose with reason nil by mouth among %+v", admins)
	}
	mustShow(t, ui, "12:00 omitted")
}

func TestMedicines_DoubleDoseWarnedBeforeSaving(t *testing.T) {
	ui, db, clock := newTestUI(t, fyne.NewSize(1280, 800))
	clock.Advance(3 * time.Hour)
	pid := openPatient(t, ui, db, "Smith", "SMITH, Richard")
	orders, err := db.MedicationOrders(t.Context(), pid)
	if err != nil || len(orders) == 0 {
		t.Fatal(orders, err)
	}
	before, _ := db.Administrations(t.Context(), pid)
	// The 06:00 dose is already given: recording it again must ask first.
	m := &medicinesTab{ui: ui, id: pid}
	slot := forms.SlotTime(forms.DueSlots(orders[0], demoNow, demoNow.Location())[0].Time)
	m.record(orders[0], slot, forms.OutcomeGiven, "")
	settle(ui)
	mustShow(t, ui, "Already given?", "Giving it again may be a double dose")
	tap(t, ui, "No")
	after, _ := db.Administrations(t.Context(), pid)
	if len(after) != len(before) {
		t.Errorf("doses after answering No = %d, want %d (nothing saved)", len(after), len(before))
	}
}
