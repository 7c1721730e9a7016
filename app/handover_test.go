package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat/forms"
)

func TestHandover_TasksAndNotes(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
	showTab(t, ui, "Handover")
	mustShow(t, ui, "Chase lactate result", "OVERDUE", "Urgent")

	// A task needs saying what to do: refused in the dialog, nothing saved.
	tap(t, ui, "Add task")
	tap(t, ui, "Save task")
	mustShow(t, ui, "say what needs doing")
	test.Type(entry(t, ui, "What needs doing"), "Repeat potassium")
	test.Type(entry(t, ui, "DD-Mmm-YYYY"), "22-Nov-2026 18:00")
	tap(t, ui, "Save task")
	ho, err := db.PatientHandover(t.Context(), id, forms.ShiftAt(demoNow).End)
	if err != nil {
		t.Fatal(err)
	}
	if len(ho.Tasks) != 2 {
		t.Fatalf("open tasks %+v, want the lactate and the new potassium", ho.Tasks)
	}
	mustShow(t, ui, "Repeat potassium", "Due 22-Nov-2026 18:00")

	// Done: the lactate task leaves the open list on every device.
	for _, o := range objects(ui) {
		if c, ok := o.(*Card); ok && cardShows(c, "Chase lactate result") {
			for _, in := range test.LaidOutObjects(c) {
				if b, ok := in.(*widget.Button); ok && b.Text == "Done" {
					test.Tap(b)
				}
			}
		}
	}
	settle(ui)
	test.Type(entry(t, ui, "Note (optional)"), "lactate 1.8")
	tap(t, ui, "Mark done")
	if ho, _ = db.PatientHandover(t.Context(), id, forms.ShiftAt(demoNow).End); len(ho.Tasks) != 1 || ho.Tasks[0].Title != "Repeat potassium" {
		t.Fatalf("open tasks after done: %+v", ho.Tasks)
	}
	if shows(ui, "Chase lactate result") {
		t.Error("finished task still shown")
	}

	tap(t, ui, "Add note")
	test.Type(entry(t, ui, "Situation"), "Lactate down, plan to step down to ward obs.")
	tap(t, ui, "Save note")
	if ho, _ = db.PatientHandover(t.Context(), id, forms.ShiftAt(demoNow).End); len(ho.Notes) != 2 {
		t.Fatalf("notes %+v, want the demo's and the new one", ho.Notes)
	}
	mustShow(t, ui, "Lactate down, plan to step down to ward obs.", "Nia Nurse")
}

func TestHandover_Golden(t *testing.T) {
	for _, size := range []fyne.Size{desktop, phone} {
		t.Run(sizeName(size), func(t *testing.T) {
			ui, db, _ := newTestUI(t, size)
			openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
			showTab(t, ui, "Handover")
			golden(t, ui, "handover_"+sizeSuffix(size))
		})
	}
}
