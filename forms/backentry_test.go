package forms

import (
	"encoding/json"
	"testing"
	"time"

	"lifeboat"
)

// TestCensusAsOf: a census record's data time is believed up to the
// record's own performed time and clock, never past them; a payload that
// is not a census (or has no time) is not one.
func TestCensusAsOf(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	hlc := lifeboat.HLC{Wall: at.Add(time.Minute).UnixMilli()}
	ev := func(asOf time.Time, performed time.Time, h lifeboat.HLC) lifeboat.Event {
		p, _ := json.Marshal(CensusImported{Source: "feed", AsOf: asOf})
		return lifeboat.Event{Kind: KindCensusImported, PerformedAt: performed, HLC: h, Payload: p}
	}
	tests := []struct {
		name string
		e    lifeboat.Event
		want time.Time
		ok   bool
	}{
		{"as of before both", ev(at.Add(-time.Hour), at, hlc), at.Add(-time.Hour), true},
		{"as of at its performed time", ev(at, at, hlc), at, true},
		{"as of a second after its performed time", ev(at.Add(time.Second), at, hlc), at, true},
		{"as of 2099, performed now", ev(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), at, hlc), at, true},
		{"performed in 2099 too: the clock bounds it", ev(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), hlc), at.Add(time.Minute), true},
		{"no time", ev(time.Time{}, at, hlc), time.Time{}, false},
		{"not JSON", lifeboat.Event{Payload: []byte("{")}, time.Time{}, false},
	}
	for _, tt := range tests {
		c, ok := CensusAsOf(tt.e)
		if ok != tt.ok || !c.AsOf.Equal(tt.want) {
			t.Errorf("%s: CensusAsOf = %s, %v; want %s, %v", tt.name, c.AsOf, ok, tt.want, tt.ok)
		}
	}
}
