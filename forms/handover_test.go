package forms

import (
	"strings"
	"testing"
	"time"
)

func TestShiftAt(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	d := func(day, h, m int) time.Time { return time.Date(2025, 3, day, h, m, 0, 0, london) }
	tests := []struct {
		name       string
		at         time.Time
		want       string
		start, end time.Time
	}{
		{"day start belongs to day", d(10, 7, 30), ShiftDay, d(10, 7, 30), d(10, 19, 30)},
		{"midday", d(10, 12, 0), ShiftDay, d(10, 7, 30), d(10, 19, 30)},
		{"a minute before night", d(10, 19, 29), ShiftDay, d(10, 7, 30), d(10, 19, 30)},
		{"night start belongs to night", d(10, 19, 30), ShiftNight, d(10, 19, 30), d(11, 7, 30)},
		{"before midnight", d(10, 23, 59), ShiftNight, d(10, 19, 30), d(11, 7, 30)},
		{"after midnight", d(11, 3, 0), ShiftNight, d(10, 19, 30), d(11, 7, 30)},
		{"a minute before day", d(11, 7, 29), ShiftNight, d(10, 19, 30), d(11, 7, 30)},
		{"month end", time.Date(2025, 4, 1, 2, 0, 0, 0, london), ShiftNight, d(31, 19, 30), time.Date(2025, 4, 1, 7, 30, 0, 0, london)},
		{"clocks go forward overnight", d(30, 4, 0), ShiftNight, d(29, 19, 30), d(30, 7, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ShiftAt(tt.at)
			if got.Name != tt.want || !got.Start.Equal(tt.start) || !got.End.Equal(tt.end) {
				t.Errorf("ShiftAt(%v) = %s %v-%v, want %s %v-%v", tt.at, got.Name, got.Start, got.End, tt.want, tt.start, tt.end)
			}
		})
	}
	if s := ShiftAt(d(30, 4, 0)); s.End.Sub(s.Start) != 11*time.Hour {
		t.Errorf("night of the clock change lasts %v, want 11h", s.End.Sub(s.Start))
	}
	early := ShiftPattern{DayStart: 7 * time.Hour, NightStart: 19 * time.Hour}
	if s := early.ShiftAt(d(10, 7, 15)); s.Name != ShiftDay || !s.End.Equal(d(10, 19, 0)) {
		t.Errorf("ShiftAt(07:15) with 07:00/19:00 = %s ending %v, want day ending 19:00", s.Name, s.End)
	}
}

func TestShiftPattern_Validate(t *testing.T) {
	tests := []struct {
		p  ShiftPattern
		ok bool
	}{
		{DefaultShifts, true},
		{ShiftPattern{0, 12 * time.Hour}, true},
		{ShiftPattern{}, false},
		{ShiftPattern{20 * time.Hour, 8 * time.Hour}, false},
		{ShiftPattern{8 * time.Hour, 24 * time.Hour}, false},
		{ShiftPattern{-time.Hour, 8 * time.Hour}, false},
		{ShiftPattern{8*time.Hour + time.Second, 20 * time.Hour}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("ShiftPattern(%v).Validate() = %v, want ok %v", tt.p, err, tt.ok)
		}
	}
}

func TestCarryOver(t *testing.T) {
	end := time.Date(2025, 3, 10, 19, 30, 0, 0, time.UTC)
	tasks := []HandoverTask{
		{ID: "t1", PatientID: "p1", Title: "bloods", Due: end.Add(-2 * time.Hour)},
		{ID: "t2", PatientID: "p1", Title: "chase CT"},
		{ID: "t3", PatientID: "p2", Title: "repeat K+", Due: end},
		{ID: "t4", PatientID: "p2", Title: "done already", Due: end.Add(-time.Hour)},
		{ID: "t5", PatientID: "p3", Title: "fluid balance", Due: end.Add(3 * time.Hour)},
		{ID: "t6", PatientID: "p3", Title: "review", Urgent: true},
		{ID: "t2", PatientID: "p1", Title: "chase CT report", Due: end.Add(time.Hour)}, // amended
	}
	done := []HandoverTaskDone{{TaskID: "t4"}, {TaskID: "unknown"}}
	var got []string
	for _, c := range CarryOver(tasks, done, end) {
		s := c.ID
		if c.Overdue {
			s += "!"
		}
		got = append(got, s)
	}
	if g, want := strings.Join(got, " "), "t1! t6 t3 t2 t5"; g != want {
		t.Errorf("CarryOver() = %q, want %q", g, want)
	}
	if got := CarryOver(nil, nil, end); len(got) != 0 {
		t.Errorf("CarryOver(nil) = %v, want none", got)
	}
}

func TestHandover_Validate(t *testing.T) {
	if got := problemList(HandoverNote{}.Validate()); got != "id,patient_id,text" {
		t.Errorf("HandoverNote{}.Validate() = %q, want id,patient_id,text", got)
	}
	if got := problemList(HandoverTask{}.Validate()); got != "id,patient_id,title" {
		t.Errorf("HandoverTask{}.Validate() = %q, want id,patient_id,title", got)
	}
	if got := (HandoverTask{ID: "t", PatientID: "p", Title: "x"}).Validate(); len(got) != 0 {
		t.Errorf("HandoverTask.Validate() = %v, want none", got)
	}
	if got := (HandoverNote{ID: "n", PatientID: "p", Text: "x"}).Validate(); len(got) != 0 {
		t.Errorf("HandoverNote.Validate() = %v, want none", got)
	}
}
