package forms

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"lifeboat"
)

var summaryAt = time.Date(2026, 11, 22, 14, 5, 0, 0, time.UTC)

// good is a consistent summary: 10 core beds, 2 closed, 1 escalation bed
// open, so 9 open: 6 occupied, 1 available, 1 cleaning, 1 isolation.
func goodSummary() WardSummaryReport {
	return WardSummaryReport{WardSummary: WardSummary{Ward: "w7", Name: "Ward 7", CoreBeds: 10, Closed: 2, EscalationBedsOpen: 1,
		Open: 9, Occupied: 6, Available: 1, Cleaning: 1, Isolation: 1, OccupancyPct: 66.7}, AsOf: summaryAt}
}

func TestWardSummaryReport_Validate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *WardSummaryReport)
		field  string // the field of the first problem; "" for none
	}{
		{"consistent", func(r *WardSummaryReport) {}, ""},
		{"empty ward, nothing open", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", Name: "Ward 1"}
		}, ""},
		{"every core bed closed", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: 4, Closed: 4}
		}, ""},
		{"only escalation beds open", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: 2, Closed: 2, EscalationBedsOpen: 3, Open: 3, Occupied: 3, OccupancyPct: 100}
		}, ""},
		{"counts at the limit", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: MaxWardBeds, Open: MaxWardBeds, Available: MaxWardBeds}
		}, ""},
		{"no name is fine", func(r *WardSummaryReport) { r.Name = "" }, ""},
		{"no ward", func(r *WardSummaryReport) { r.Ward = "" }, "ward"},
		{"blank ward", func(r *WardSummaryReport) { r.Ward = "  " }, "ward"},
		{"overlong ward", func(r *WardSummaryReport) { r.Ward = string(make([]byte, 201)) }, "ward"},
		{"no time", func(r *WardSummaryReport) { r.AsOf = time.Time{} }, "as_of"},
		{"negative core beds", func(r *WardSummaryReport) { r.CoreBeds = -1 }, "core_beds"},
		{"negative escalation", func(r *WardSummaryReport) { r.EscalationBedsOpen = -1 }, "escalation_beds_open"},
		{"negative closed", func(r *WardSummaryReport) { r.Closed = -1 }, "closed"},
		{"negative open", func(r *WardSummaryReport) { r.Open = -1 }, "open"},
		{"negative occupied", func(r *WardSummaryReport) { r.Occupied = -1 }, "occupied"},
		{"negative available", func(r *WardSummaryReport) { r.Available = -1 }, "available"},
		{"negative cleaning", func(r *WardSummaryReport) { r.Cleaning = -1 }, "cleaning"},
		{"negative isolation", func(r *WardSummaryReport) { r.Isolation = -1 }, "isolation"},
		{"count over the limit", func(r *WardSummaryReport) { r.CoreBeds = MaxWardBeds + 1 }, "core_beds"},
		{"more closed than core beds", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: 2, Closed: 3, Open: -1}
		}, "open"}, // the negative open bed count is found first
		{"more closed than core beds, escalation making up", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: 2, Closed: 3, EscalationBedsOpen: 1, Open: 0}
		}, "closed"},
		{"open not core less closed plus escalation", func(r *WardSummaryReport) { r.Open = 10; r.Available = 2; r.OccupancyPct = 60 }, "open"},
		{"states add up to less than open", func(r *WardSummaryReport) { r.Available = 0 }, "open"},
		{"states add up to more than open", func(r *WardSummaryReport) { r.Isolation = 2 }, "open"},
		{"occupancy not occupied over open", func(r *WardSummaryReport) { r.OccupancyPct = 66.6 }, "occupancy_pct"},
		{"occupancy with nothing open", func(r *WardSummaryReport) {
			r.WardSummary = WardSummary{Ward: "w1", CoreBeds: 1, Closed: 1, OccupancyPct: 100}
		}, "occupancy_pct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodSummary()
			tt.change(&r)
			ps := r.Validate()
			switch {
			case tt.field == "" && len(ps) > 0:
				t.Errorf("Validate(%+v) = %v, want no problem", r, ps)
			case tt.field != "" && (len(ps) == 0 || ps[0].Field != tt.field || ps[0].Soft):
				t.Errorf("Validate(%+v) = %+v, want a hard problem with %s first", r, ps, tt.field)
			}
		})
	}
}

// Every summary a real bed board gives passes Validate: a device never
// refuses its own count.
func TestWardSummaryReport_ValidateBoardSummaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	states := BedStates
	for i := range 500 {
		w := Ward{ID: "w", Name: "W"}
		var sets []BedStateSet
		var places []Placement
		for b := range rng.IntN(30) {
			id := fmt.Sprintf("b%d", b)
			w.Beds = append(w.Beds, BedDef{ID: id, Label: id, Escalation: rng.IntN(4) == 0})
			if rng.IntN(2) == 0 {
				sets = append(sets, BedStateSet{Ward: "w", Bed: id, State: states[rng.IntN(len(states))]})
			}
			if rng.IntN(3) == 0 {
				places = append(places, Placement{PatientID: fmt.Sprintf("p%d", b), Ward: "w", Bed: id})
			}
		}
		r := WardSummaryReport{WardSummary: BedBoard(w, sets, places).Summary(), AsOf: summaryAt}
		if ps := r.Validate(); len(ps) > 0 {
			t.Fatalf("board %d: Validate(%+v) = %v", i, r, ps)
		}
	}
}

// The time a summary describes is believed only up to the event's own
// performed time and clock; an invalid payload is no summary at all.
func TestWardSummaryOf(t *testing.T) {
	ev := func(r WardSummaryReport, performed time.Time, hlc time.Time) lifeboat.Event {
		b, _ := json.Marshal(r)
		return lifeboat.Event{Kind: KindWardSummary, PerformedAt: performed, HLC: lifeboat.HLC{Wall: hlc.UnixMilli()}, Payload: b}
	}
	good := goodSummary()
	ahead := good
	ahead.AsOf = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := good
	bad.Occupied = 7
	tests := []struct {
		name   string
		e      lifeboat.Event
		want   time.Time
		wantOK bool
	}{
		{"as recorded", ev(good, summaryAt.Add(time.Second), summaryAt.Add(time.Second)), summaryAt, true},
		{"dated past its performed time", ev(ahead, summaryAt, summaryAt.Add(time.Minute)), summaryAt, true},
		{"dated past its clock", ev(ahead, summaryAt.Add(time.Hour), summaryAt.Add(time.Minute)), summaryAt.Add(time.Minute), true},
		{"counts that do not add up", ev(bad, summaryAt, summaryAt), time.Time{}, false},
		{"not JSON", lifeboat.Event{Payload: []byte("{")}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := WardSummaryOf(tt.e)
			if ok != tt.wantOK || !got.AsOf.Equal(tt.want) {
				t.Errorf("WardSummaryOf() = %v, %v; want as of %v, %v", got.AsOf, ok, tt.want, tt.wantOK)
			}
			if ok && !got.SameCounts(good) {
				t.Errorf("WardSummaryOf() counts = %+v, want %+v", got.WardSummary, good.WardSummary)
			}
		})
	}
}

// Wards with no summary are left out of the site's sums, not added as
// wards of no beds.
func TestSummaries_LeaveOutWardsWithNoCounts(t *testing.T) {
	cs := []WardCapacity{
		{WardSummary: goodSummary().WardSummary},
		{WardSummary: WardSummary{Ward: "w9", Name: "Ward 9"}, NoSummary: true},
		{WardSummary: WardSummary{Ward: "w8", CoreBeds: 1, Open: 1, Occupied: 1, OccupancyPct: 100}, FromSummary: true, AsOf: summaryAt},
	}
	got := Summaries(cs)
	if len(got) != 2 || got[0].Ward != "w7" || got[1].Ward != "w8" {
		t.Fatalf("Summaries() = %+v, want w7 and w8", got)
	}
	if site := Sitrep(summaryAt, cs).Site; site.Open != 10 || site.Occupied != 7 {
		t.Errorf("Sitrep().Site = %+v, want 10 open, 7 occupied", site)
	}
}

// FuzzWardSummaryOf: a ward.summary payload from a peer never panics the
// decoder; one it accepts adds up (Validate), is dated no later than the
// event, and encodes and decodes to the same report.
func FuzzWardSummaryOf(f *testing.F) {
	good, _ := json.Marshal(goodSummary())
	for _, seed := range []string{
		string(good), `{}`, `{"ward":"w1","as_of":"2026-11-22T14:05:00Z"}`,
		`{"ward":"w1","core_beds":-1,"as_of":"2026-11-22T14:05:00Z"}`,
		`{"ward":"w1","core_beds":2,"open":2,"available":2,"as_of":"2099-01-01T00:00:00Z","seen":{"A":3}}`,
		`{"ward":"w1","occupancy_pct":1e308}`, `[]`, `null`, `{"ward":`,
	} {
		f.Add([]byte(seed), summaryAt.UnixMilli())
	}
	f.Fuzz(func(t *testing.T, payload []byte, wall int64) {
		e := lifeboat.Event{Kind: KindWardSummary, PerformedAt: summaryAt, HLC: lifeboat.HLC{Wall: wall}, Payload: payload}
		r, ok := WardSummaryOf(e)
		if !ok {
			return
		}
		if ps := r.Validate(); len(ps) > 0 {
			t.Fatalf("WardSummaryOf(%s) accepted %+v, which Validate refuses: %v", payload, r, ps)
		}
		if r.AsOf.After(summaryAt) {
			t.Fatalf("WardSummaryOf(%s) as of %v, after the event's performed time %v", payload, r.AsOf, summaryAt)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal %+v: %v", r, err)
		}
		var back WardSummaryReport
		if err := json.Unmarshal(b, &back); err != nil || !back.SameCounts(r) || !back.AsOf.Equal(r.AsOf) {
			t.Fatalf("round trip of %+v = %+v, %v", r, back, err)
		}
	})
}
