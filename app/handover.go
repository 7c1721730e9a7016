package app

import (
	"context"
	"fmt"
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

func init() {
	RegisterPatientTab(PatientTab{ID: "handover", Title: "Handover", Order: 30, Make: newHandoverTab})
}

// handoverTab is a patient's handover: the open tasks carried to the next
// shift (overdue and urgent first), then the notes, newest first. Staff
// add notes and tasks and tick tasks done; every one is an event, so the
// next shift on any device sees them.
type handoverTab struct {
	ui    *UI
	id    string
	ward  string
	msg   *widget.Label
	tasks *fyne.Container
	notes *fyne.Container
	users map[string]string
}

func newHandoverTab(ui *UI, patientID string) fyne.CanvasObject {
	h := &handoverTab{ui: ui, id: patientID, msg: errorLabel(), tasks: container.NewVBox(), notes: container.NewVBox()}
	addNote := widget.NewButtonWithIcon("Add note", theme.DocumentCreateIcon(), h.addNote)
	addTask := widget.NewButtonWithIcon("Add task", theme.ContentAddIcon(), h.addTask)
	addNote.Importance = widget.HighImportance
	body := container.NewVBox(h.msg, newFlow(addNote, addTask),
		heading("Open tasks for the next shift", theme.SizeNameSubHeadingText), h.tasks,
		heading("Notes", theme.SizeNameSubHeadingText), h.notes)
	return NewScreen(container.NewVScroll(container.NewPadded(body)), h.load)
}

func (h *handoverTab) load() {
	var (
		ho    store.Handover
		p     store.PatientView
		users []store.User
		now   = h.ui.Now()
	)
	h.ui.Run(func(ctx context.Context) (err error) {
		if p, err = h.ui.Store().Patient(ctx, h.id); err != nil {
			return err
		}
		if users, err = h.ui.Store().Users(ctx); err != nil {
			return err
		}
		ho, err = h.ui.Store().PatientHandover(ctx, h.id, forms.ShiftAt(now.Local()).End)
		return err
	}, func(err error) {
		if err != nil {
			setMsg(h.msg, ErrorText(err))
			return
		}
		setMsg(h.msg, "")
		h.ward = p.Ward
		h.users = map[string]string{}
		for _, u := range users {
			h.users[u.ID] = u.Name
		}
		h.show(ho)
	})
}

func (h *handoverTab) show(ho store.Handover) {
	h.tasks.Objects = nil
	if len(ho.Tasks) == 0 {
		h.tasks.Add(wrapped("No open tasks."))
	}
	for _, t := range ho.Tasks {
		h.tasks.Add(h.taskCard(t))
	}
	h.tasks.Refresh()

	h.notes.Objects = nil
	if len(ho.Notes) == 0 {
		h.notes.Add(wrapped("No handover notes yet."))
	}
	for i := len(ho.Notes) - 1; i >= 0; i-- {
		n := ho.Notes[i]
		by := widget.NewLabel(n.At.Local().Format(DateTimeLayout) + " · " + h.userName(n.Author))
		by.TextStyle = fyne.TextStyle{Bold: true}
		h.notes.Add(NewCard(container.NewVBox(by, wrapped(n.Text)), nil))
	}
	h.notes.Refresh()
}

func (h *handoverTab) userName(id string) string {
	if n, ok := h.users[id]; ok {
		return n
	}
	return "another device's user"
}

// taskCard is one open task: overdue and urgent marked, with a Done
// button big enough for a gloved finger.
func (h *handoverTab) taskCard(t forms.CarriedTask) fyne.CanvasObject {
	chips := container.NewHBox()
	// Overdue now (CarryOver's Overdue is as of the shift's end).
	if !t.Due.IsZero() && t.Due.Before(h.ui.Now()) {
		chips.Add(Chip("OVERDUE", nhsRed, nhsWhite, true))
	}
	if t.Urgent {
		chips.Add(Chip("Urgent", nhsWarmYellow, nhsBlack, true))
	}
	title := widget.NewLabel(t.Title)
	title.Wrapping = fyne.TextWrapWord
	title.TextStyle = fyne.TextStyle{Bold: true}
	due := "No due time"
	if !t.Due.IsZero() {
		due = "Due " + t.Due.Local().Format(DateTimeLayout)
	}
	task := t.HandoverTask
	done := widget.NewButtonWithIcon("Done", theme.ConfirmIcon(), func() { h.finish(task) })
	return NewCard(container.NewBorder(nil, nil, nil, container.NewCenter(done), container.NewVBox(chips, title, widget.NewLabel(due))), nil)
}

// finish records a task done, with an optional note.
func (h *handoverTab) finish(t forms.HandoverTask) {
	h.ui.Touch()
	note := widget.NewEntry()
	note.SetPlaceHolder("Note (optional), e.g. result 4.1")
	h.ui.showForm("Done: "+t.Title, "Mark done", "Cancel", []*widget.FormItem{{Text: "Note", Widget: note}}, func(ok bool) {
		if ok {
			h.ui.appendDraft(store.Draft{Kind: forms.KindHandoverTaskDone, Subject: h.id, PerformedAt: h.ui.Now(),
				Payload: forms.HandoverTaskDone{TaskID: t.ID, PatientID: h.id, Note: strings.TrimSpace(note.Text)}})
		}
	})
}

// addNote asks for a handover note.
func (h *handoverTab) addNote() {
	h.ui.Touch()
	text := widget.NewMultiLineEntry()
	text.SetPlaceHolder("Situation, background, assessment, recommendation")
	text.Wrapping = noteWrap
	text.SetMinRowsVisible(5)
	h.ui.formDialog("Handover note", "Save note", []*widget.FormItem{{Text: "Note", Widget: text}}, func() error {
		n := forms.HandoverNote{ID: uuid.Must(uuid.NewV7()).String(), PatientID: h.id, Ward: h.ward, Text: strings.TrimSpace(text.Text)}
		if ps := n.Validate(); len(ps) > 0 {
			return ps
		}
		h.ui.appendDraft(store.Draft{Kind: forms.KindHandoverNote, Subject: h.id, PerformedAt: h.ui.Now(), Payload: n})
		return nil
	})
}

// addTask asks for a task: what, when it is due (optional), urgent.
func (h *handoverTab) addTask() {
	h.ui.Touch()
	title := widget.NewEntry()
	title.SetPlaceHolder("What needs doing, e.g. repeat potassium")
	due := widget.NewEntry()
	due.SetPlaceHolder("HH:MM or DD-Mmm-YYYY HH:MM, or leave empty")
	urgent := widget.NewCheck("Urgent", nil)
	h.ui.formDialog("Handover task", "Save task", []*widget.FormItem{
		{Text: "Task", Widget: title},
		{Text: "Due", Widget: due, HintText: "e.g. " + h.ui.Now().Add(2*time.Hour).Local().Format(DateTimeLayout)},
		{Text: "", Widget: urgent},
	}, func() error {
		k := forms.HandoverTask{ID: uuid.Must(uuid.NewV7()).String(), PatientID: h.id, Ward: h.ward, Title: strings.TrimSpace(title.Text), Urgent: urgent.Checked}
		if s := strings.TrimSpace(due.Text); s != "" {
			t, err := dueTime(s, h.ui.Now())
			if err != nil {
				return forms.Problems{{Field: "due", Message: "Type the due time as HH:MM (the next one to come) or DD-Mmm-YYYY HH:MM, or leave it empty."}}
			}
			k.Due = t
		}
		if ps := k.Validate(); len(ps) > 0 {
			return ps
		}
		h.ui.appendDraft(store.Draft{Kind: forms.KindHandoverTask, Subject: h.id, PerformedAt: h.ui.Now(), Payload: k})
		return nil
	})
}

// dueTime reads when a task is due: a date and time (DateTimeLayout), or
// a clock time alone ("12:00"), which means the next time the ward's clock
// shows it at or after now: today if still to come, else tomorrow (a task
// due "02:00" typed at 23:00 is due in three hours, not yesterday).
func dueTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.ParseInLocation(DateTimeLayout, s, time.Local); err == nil {
		return t, nil
	}
	c, err := time.ParseInLocation("15:04", s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("read due time %q: %w", s, err)
	}
	n := now.In(time.Local)
	t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), 0, 0, time.Local)
	if t.Before(n.Truncate(time.Minute)) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, c.Hour(), c.Minute(), 0, 0, time.Local)
	}
	return t, nil
}
