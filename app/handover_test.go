package app

import (
	"testing"
	"time"

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
	test.Type(entry(t, ui, "HH:MM or DD-Mmm-YYYY"), "22-Nov-2026 18:00")
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

// A nurse types the clock time alone: "12:00" is the next 12:00 to come
// (it was refused, "Type the due time as DD-Mmm-YYYY HH:MM").
func TestHandover_TaskDueAtAClockTime(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	id := openPatient(t, ui, db, "nowak", "NOWAK, Piotr")
	showTab(t, ui, "Handover")
	tap(t, ui, "Add task")
	test.Type(entry(t, ui, "What needs doing"), "Repeat potassium")
	test.Type(entry(t, ui, "HH:MM or DD-Mmm-YYYY"), "12:00")
	tap(t, ui, "Save task")
	want := time.Date(demoNow.Year(), demoNow.Month(), demoNow.Day(), 12, 0, 0, 0, time.Local)
	ho, err := db.PatientHandover(t.Context(), id, forms.ShiftAt(demoNow).End)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range ho.Tasks {
		if k.Title == "Repeat potassium" {
			found = k.Due.Equal(want)
		}
	}
	if !found {
		t.Fatalf("tasks %+v: want Repeat potassium due %s", ho.Tasks, want)
	}
	mustShow(t, ui, "Due "+want.Format(DateTimeLayout))
}

func TestDueTime(t *testing.T) {
	now := time.Date(2026, 11, 22, 23, 0, 30, 0, time.Local)
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.Local) }
	for _, c := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "23:30", want: day(22, 23, 30)},
		{in: "23:00", want: day(22, 23, 0)}, // this minute: still to come
		{in: "22:59", want: day(23, 22, 59)},
		{in: "02:00", want: day(23, 2, 0)},
		{in: "00:00", want: day(23, 0, 0)},
		{in: "24-Nov-2026 08:15", want: day(24, 8, 15)},
		{in: "24:00", bad: true},
		{in: "12.00", bad: true},
		{in: "noon", bad: true},
	} {
		got, err := dueTime(c.in, now)
		if c.bad {
			if err == nil {
				t.Errorf("dueTime(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("dueTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
