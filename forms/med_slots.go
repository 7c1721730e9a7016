package forms

import (
	"fmt"
	"slices"
	"time"
)

// RoundTimes maps a frequency code to the ward-local clock times ("HH:MM")
// of its doses: the ward's drug-round table. A trust overrides it per ward
// by giving only the codes it changes; any code missing from a RoundTimes
// falls back to the defaults. Check an override with Validate when it is
// loaded: Slots skips a time it cannot read.
//
// The defaults follow common NHS drug-round practice (four rounds at 06, 12,
// 18 and 22, with the morning round at 08 for once-daily and twice-daily
// medicines):
//
//	OD    08:00
//	MANE  08:00
//	ON    22:00
//	BD    08:00 20:00
//	TDS   08:00 14:00 22:00
//	QDS   06:00 12:00 18:00 22:00
//	WEEKLY  the OD time, on the weekday the order starts
type RoundTimes map[string][]string

var defaultRounds = RoundTimes{
	FreqOD:   {"08:00"},
	FreqMANE: {"08:00"},
	FreqON:   {"22:00"},
	FreqBD:   {"08:00", "20:00"},
	FreqTDS:  {"08:00", "14:00", "22:00"},
	FreqQDS:  {"06:00", "12:00", "18:00", "22:00"},
}

// DefaultRoundTimes returns a fresh copy of the default drug-round table,
// safe to change.
func DefaultRoundTimes() RoundTimes {
	r := make(RoundTimes, len(defaultRounds))
	for k, v := range defaultRounds {
		r[k] = slices.Clone(v)
	}
	return r
}

// Validate reports the first code or time in r that Slots cannot use.
func (r RoundTimes) Validate() error {
	for code, times := range r {
		if _, ok := defaultRounds[code]; !ok {
			return fmt.Errorf("round times: unknown frequency %q", code)
		}
		if len(times) == 0 {
			return fmt.Errorf("round times: frequency %s has no times", code)
		}
		for _, s := range times {
			if _, err := clockMinutes(s); err != nil {
				return fmt.Errorf("round times %s: %w", code, err)
			}
		}
	}
	return nil
}

func (r RoundTimes) times(code string) []string {
	if t, ok := r[code]; ok {
		return t
	}
	return defaultRounds[code]
}

// Slot is one scheduled dose of a regular order. Its identity is the order
// ID and the scheduled instant (Key); two devices compute the same key for
// the same dose, which is what lets a double dose be detected across the
// ward.
type Slot struct {
	OrderID   string
	PatientID string
	Time      time.Time // scheduled instant, in the ward's location
}

// SlotTime formats a scheduled instant the way Administration.Slot stores
// it: RFC 3339 in UTC, to the second ("2025-03-01T08:00:00Z").
func SlotTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Key is the slot's stable identity: "<order ID>@<SlotTime>".
func (s Slot) Key() string { return s.OrderID + "@" + SlotTime(s.Time) }

// DueSlots returns the scheduled doses of o on the calendar day of day in
// loc, with the default round times (see RoundTimes). See RoundTimes.Slots.
func DueSlots(o MedicationOrder, day time.Time, loc *time.Location) []Slot {
	return RoundTimes(nil).Slots(o, day, loc)
}

// Slots returns the scheduled doses of o on the calendar day of day in loc
// (nil loc means UTC), earliest first: one per round time of o's frequency,
// or per entry of o.Times, that falls within Start <= t < Stop. A PRN order
// has no slots. Clock times are ward-local wall-clock times, so a dose at
// 08:00 stays at 08:00 across a change to or from summer time.
func (r RoundTimes) Slots(o MedicationOrder, day time.Time, loc *time.Location) []Slot {
	if o.PRN {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := day.In(loc).Date()
	var clocks []string
	switch {
	case len(o.Times) > 0:
		clocks = o.Times
	case o.Frequency == FreqWeekly:
		if time.Date(y, m, d, 0, 0, 0, 0, loc).Weekday() != o.Start.In(loc).Weekday() {
			return nil
		}
		clocks = r.times(FreqOD)
	default:
		clocks = r.times(o.Frequency)
	}
	var slots []Slot
	for _, c := range clocks {
		mins, err := clockMinutes(c)
		if err != nil {
			continue
		}
		t := time.Date(y, m, d, mins/60, mins%60, 0, 0, loc)
		if !o.ActiveAt(t) {
			continue
		}
		slots = append(slots, Slot{OrderID: o.ID, PatientID: o.PatientID, Time: t})
	}
	slices.SortFunc(slots, func(a, b Slot) int { return a.Time.Compare(b.Time) })
	return slices.CompactFunc(slots, func(a, b Slot) bool { return a.Time.Equal(b.Time) })
}
