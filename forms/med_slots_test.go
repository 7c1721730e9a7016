package forms

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/London for the summer-time cases on any machine
)

func clocks(slots []Slot, loc *time.Location) string {
	var s []string
	for _, x := range slots {
		s = append(s, x.Time.In(loc).Format("15:04"))
	}
	return strings.Join(s, " ")
}

func TestDueSlots(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2025, 3, 10, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		edit func(*MedicationOrder)
		freq string
		day  time.Time
		want string
	}{
		{"OD", nil, FreqOD, day1, "08:00"},
		{"MANE", nil, FreqMANE, day1, "08:00"},
		{"ON", nil, FreqON, day1, "22:00"},
		{"BD", nil, FreqBD, day1, "08:00 20:00"},
		{"TDS", nil, FreqTDS, day1, "08:00 14:00 22:00"},
		{"QDS", nil, FreqQDS, day1, "06:00 12:00 18:00 22:00"},
		{"explicit times sorted and deduplicated", func(o *MedicationOrder) { o.Times = []string{"21:00", "09:00", "09:00"} }, "", day1, "09:00 21:00"},
		{"bad explicit time skipped", func(o *MedicationOrder) { o.Times = []string{"9am", "10:00"} }, "", day1, "10:00"},
		{"unknown frequency has none", nil, "Q4H", day1, ""},
		{"PRN has none", func(o *MedicationOrder) { o.PRN = true }, FreqQDS, day1, ""},
		{"start mid-day", func(o *MedicationOrder) { o.Start = at(12, 0) }, FreqQDS, day1, "12:00 18:00 22:00"},
		{"start just after a slot", func(o *MedicationOrder) { o.Start = at(12, 1) }, FreqQDS, day1, "18:00 22:00"},
		{"stop is exclusive", func(o *MedicationOrder) { o.Stop = at(18, 0) }, FreqQDS, day1, "06:00 12:00"},
		{"stop just after a slot", func(o *MedicationOrder) { o.Stop = at(18, 0).Add(time.Second) }, FreqQDS, day1, "06:00 12:00 18:00"},
		{"before start day", nil, FreqBD, day1.AddDate(0, 0, -1), ""},
		{"day given late in the day", nil, FreqBD, at(23, 59), "08:00 20:00"},
		{"weekly on its weekday", nil, FreqWeekly, day1.AddDate(0, 0, 7), "08:00"},
		{"weekly off its weekday", nil, FreqWeekly, day1.AddDate(0, 0, 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := regularOrder("o1", tt.freq)
			if tt.edit != nil {
				tt.edit(&o)
			}
			if got := clocks(DueSlots(o, tt.day, time.UTC), time.UTC); got != tt.want {
				t.Errorf("DueSlots(%s, %s) = %q, want %q", tt.freq, tt.day.Format(time.DateOnly), got, tt.want)
			}
		})
	}

	// Across the change to summer time (30 March 2025 in London) the round
	// stays at ward clock times, one hour earlier in UTC.
	o := regularOrder("o1", FreqQDS)
	o.Start = time.Date(2025, 3, 1, 0, 0, 0, 0, london)
	for _, c := range []struct {
		day     time.Time
		utc     string
		wardLoc string
	}{
		{time.Date(2025, 3, 29, 12, 0, 0, 0, london), "06:00 12:00 18:00 22:00", "06:00 12:00 18:00 22:00"},
		{time.Date(2025, 3, 30, 12, 0, 0, 0, london), "05:00 11:00 17:00 21:00", "06:00 12:00 18:00 22:00"},
	} {
		slots := DueSlots(o, c.day, london)
		if got := clocks(slots, time.UTC); got != c.utc {
			t.Errorf("DueSlots(QDS, %s, London) in UTC = %q, want %q", c.day.Format(time.DateOnly), got, c.utc)
		}
		if got := clocks(slots, london); got != c.wardLoc {
			t.Errorf("DueSlots(QDS, %s, London) = %q, want %q", c.day.Format(time.DateOnly), got, c.wardLoc)
		}
	}
	if got := clocks(DueSlots(regularOrder("o1", FreqOD), day1, nil), time.UTC); got != "08:00" {
		t.Errorf("DueSlots(OD, nil location) = %q, want 08:00 UTC", got)
	}
}

func TestRoundTimes_Slots(t *testing.T) {
	r := RoundTimes{FreqBD: {"09:00", "21:00"}}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	tests := []struct {
		freq, want string
	}{
		{FreqBD, "09:00 21:00"},
		{FreqTDS, "08:00 14:00 22:00"}, // falls back to the default
	}
	for _, tt := range tests {
		if got := clocks(r.Slots(regularOrder("o1", tt.freq), day1, time.UTC), time.UTC); got != tt.want {
			t.Errorf("Slots(%s) = %q, want %q", tt.freq, got, tt.want)
		}
	}
	d := DefaultRoundTimes()
	d[FreqOD][0] = "10:00"
	if got := clocks(DueSlots(regularOrder("o1", FreqOD), day1, time.UTC), time.UTC); got != "08:00" {
		t.Errorf("DueSlots(OD) after editing a DefaultRoundTimes copy = %q, want 08:00", got)
	}
}

func TestRoundTimes_Validate(t *testing.T) {
	for _, r := range []RoundTimes{{"Q4H": {"08:00"}}, {FreqOD: nil}, {FreqBD: {"08:00", "8pm"}}} {
		if err := r.Validate(); err == nil {
			t.Errorf("Validate(%v) = nil, want error", r)
		}
	}
	if err := DefaultRoundTimes().Validate(); err != nil {
		t.Errorf("DefaultRoundTimes().Validate() = %v, want nil", err)
	}
}

func TestSlot_Key(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	s := DueSlots(regularOrder("o1", FreqOD), time.Date(2025, 7, 1, 0, 0, 0, 0, london), london)[0]
	if got, want := s.Key(), "o1@2025-07-01T07:00:00Z"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	a := Administration{OrderID: "o1", Slot: "2025-07-01T08:00:00+01:00"}
	if got := a.SlotKey(); got != s.Key() {
		t.Errorf("SlotKey() of an offset time = %q, want %q", got, s.Key())
	}
	for _, slot := range []string{"", "08:00", "2025-07-01 08:00"} {
		if got := (Administration{OrderID: "o1", Slot: slot}).SlotKey(); got != "" {
			t.Errorf("SlotKey() of slot %q = %q, want empty", slot, got)
		}
	}
}
