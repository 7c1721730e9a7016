package forms

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event kinds for handover; the subject is the patient.
const (
	KindHandoverNote     = "handover.note"      // payload HandoverNote
	KindHandoverTask     = "handover.task"      // payload HandoverTask
	KindHandoverTaskDone = "handover.task_done" // payload HandoverTaskDone
)

// HandoverNote is the payload of handover.note: free text about a patient
// for the next shift (SBAR style or the ward's own).
type HandoverNote struct {
	ID        string `json:"id"`
	PatientID string `json:"patient_id"`
	Ward      string `json:"ward,omitempty"`
	Text      string `json:"text"`
}

// HandoverTask is the payload of handover.task: something outstanding for a
// patient ("repeat potassium at 18:00", "chase CT report"). Due is zero
// when it has no deadline. A later task event with the same ID amends it.
type HandoverTask struct {
	ID        string    `json:"id"`
	PatientID string    `json:"patient_id"`
	Ward      string    `json:"ward,omitempty"`
	Title     string    `json:"title"`
	Due       time.Time `json:"due,omitzero"`
	Urgent    bool      `json:"urgent,omitempty"`
}

// HandoverTaskDone is the payload of handover.task_done: the task is
// finished. Who and when are the event's author and performed_at.
type HandoverTaskDone struct {
	TaskID    string `json:"task_id"`
	PatientID string `json:"patient_id"` // whose task it was: the record's subject
	Note      string `json:"note,omitempty"`
}

// Validate lists what is wrong with n.
func (n HandoverNote) Validate() Problems {
	var ps Problems
	if strings.TrimSpace(n.ID) == "" {
		ps = append(ps, Problem{Field: "id", Message: "note has no ID"})
	}
	if strings.TrimSpace(n.PatientID) == "" {
		ps = append(ps, Problem{Field: "patient_id", Message: "choose the patient"})
	}
	if strings.TrimSpace(n.Text) == "" {
		ps = append(ps, Problem{Field: "text", Message: "write the note"})
	}
	return ps
}

// Validate lists what is wrong with k.
func (k HandoverTask) Validate() Problems {
	var ps Problems
	if strings.TrimSpace(k.ID) == "" {
		ps = append(ps, Problem{Field: "id", Message: "task has no ID"})
	}
	if strings.TrimSpace(k.PatientID) == "" {
		ps = append(ps, Problem{Field: "patient_id", Message: "choose the patient"})
	}
	if strings.TrimSpace(k.Title) == "" {
		ps = append(ps, Problem{Field: "title", Message: "say what needs doing"})
	}
	return ps
}

// Default shift times: day 07:30-19:30, night 19:30-07:30, ward-local wall
// clock (the common NHS two-shift long-day pattern).
const (
	DefaultDayStart   = 7*time.Hour + 30*time.Minute
	DefaultNightStart = 19*time.Hour + 30*time.Minute
)

// ShiftPattern is a ward's two shifts, as wall-clock offsets from midnight:
// the day shift runs [DayStart, NightStart) and the night shift the rest,
// across midnight. The zero value is not valid; use DefaultShifts or set
// both and call Validate.
type ShiftPattern struct {
	DayStart   time.Duration
	NightStart time.Duration
}

// DefaultShifts is the default pattern: day 07:30-19:30, night 19:30-07:30.
var DefaultShifts = ShiftPattern{DayStart: DefaultDayStart, NightStart: DefaultNightStart}

// Validate reports a pattern ShiftAt cannot use: starts must be whole
// minutes with 0 <= DayStart < NightStart < 24h.
func (p ShiftPattern) Validate() error {
	if p.DayStart < 0 || p.NightStart >= 24*time.Hour || p.DayStart >= p.NightStart {
		return fmt.Errorf("shift pattern %v-%v: day must start before night, within one day", p.DayStart, p.NightStart)
	}
	if p.DayStart%time.Minute != 0 || p.NightStart%time.Minute != 0 {
		return fmt.Errorf("shift pattern %v-%v: shifts start on whole minutes", p.DayStart, p.NightStart)
	}
	return nil
}

// Shift names.
const (
	ShiftDay   = "day"
	ShiftNight = "night"
)

// Shift is one worked shift: [Start, End) in the ward's location.
type Shift struct {
	Name  string // ShiftDay or ShiftNight
	Start time.Time
	End   time.Time
}

// ShiftAt returns the default-pattern shift that t falls in (see
// ShiftPattern.ShiftAt).
func ShiftAt(t time.Time) Shift { return DefaultShifts.ShiftAt(t) }

// ShiftAt returns the shift that t falls in, in t's location. A start time
// belongs to the shift it starts (07:30 is day). Shift edges are wall-clock
// times, so on the nights the clocks change a night shift is an hour longer
// or shorter, as worked.
func (p ShiftPattern) ShiftAt(t time.Time) Shift {
	y, m, d := t.Date()
	at := func(days int, off time.Duration) time.Time {
		return time.Date(y, m, d+days, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, t.Location())
	}
	switch dayStart, nightStart := at(0, p.DayStart), at(0, p.NightStart); {
	case t.Before(dayStart):
		return Shift{Name: ShiftNight, Start: at(-1, p.NightStart), End: dayStart}
	case t.Before(nightStart):
		return Shift{Name: ShiftDay, Start: dayStart, End: nightStart}
	default:
		return Shift{Name: ShiftNight, Start: nightStart, End: at(1, p.DayStart)}
	}
}

// CarriedTask is an open task handed to the next shift.
type CarriedTask struct {
	HandoverTask
	// Overdue is set when the task had a due time before the shift ended
	// (due exactly at the end is not yet overdue: the next shift starts on it).
	Overdue bool
}

// CarryOver returns the tasks still open at shiftEnd (no task_done for
// them), to carry to the next shift: overdue first, then urgent, then by due
// time (no due time last), patient and ID. When tasks repeats an ID, the
// later one (an amendment) is used.
func CarryOver(tasks []HandoverTask, done []HandoverTaskDone, shiftEnd time.Time) []CarriedTask {
	finished := map[string]bool{}
	for _, d := range done {
		finished[d.TaskID] = true
	}
	latest := map[string]int{}
	for i, k := range tasks {
		latest[k.ID] = i
	}
	var out []CarriedTask
	for i, k := range tasks {
		if latest[k.ID] != i || finished[k.ID] {
			continue
		}
		out = append(out, CarriedTask{HandoverTask: k, Overdue: !k.Due.IsZero() && k.Due.Before(shiftEnd)})
	}
	slices.SortStableFunc(out, func(a, b CarriedTask) int {
		switch {
		case a.Overdue != b.Overdue:
			return boolFirst(a.Overdue)
		case a.Urgent != b.Urgent:
			return boolFirst(a.Urgent)
		case a.Due.IsZero() != b.Due.IsZero():
			return boolFirst(!a.Due.IsZero())
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return cmpStrings(a.PatientID, b.PatientID, a.ID, b.ID)
	})
	return out
}

// boolFirst orders the true one first: -1 if a is true, else 1.
func boolFirst(a bool) int {
	if a {
		return -1
	}
	return 1
}
