package forms

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var ward7 = Ward{ID: "w7", Name: "Ward 7", Beds: []BedDef{
	{ID: "b1", Label: "Bed 1"}, {ID: "b2", Label: "Bed 2"}, {ID: "b3", Label: "Bed 3"},
	{ID: "b4", Label: "Bed 4"}, {ID: "b5", Label: "Bed 5"}, {ID: "b6", Label: "Bed 6"},
	{ID: "b7", Label: "Bed 7"},
	{ID: "x1", Label: "Escalation 1", Escalation: true}, {ID: "x2", Label: "Escalation 2", Escalation: true},
}}

func TestBedBoard(t *testing.T) {
	states := []BedStateSet{
		{Ward: "w7", Bed: "b2", State: BedOccupied},                       // patient since left
		{Ward: "w7", Bed: "b3", State: BedClosed, Reason: "estates"},      // then reopened below
		{Ward: "w7", Bed: "b3", State: BedAvailable},                      //
		{Ward: "w7", Bed: "b4", State: BedClosed, Reason: "staffing"},     //
		{Ward: "w7", Bed: "b5", State: BedIsolation, Reason: "norovirus"}, //
		{Ward: "w7", Bed: "b6", State: BedCleaning},                       //
		{Ward: "w7", Bed: "b7", State: BedCleaning},                       // but a patient is placed there
		{Ward: "w7", Bed: "x1", State: BedAvailable},                      // escalation bed opened
		{Ward: "w8", Bed: "b1", State: BedClosed, Reason: "other ward"},   // ignored
	}
	placements := []Placement{
		{PatientID: "p1", Ward: "w7", Bed: "b1"},
		{PatientID: "p7", Ward: "w7", Bed: "b7"},
		{PatientID: "p9", Ward: "w7", Bed: ""},   // on the ward, no bed yet
		{PatientID: "p8", Ward: "w7", Bed: "zz"}, // unknown bed
		{PatientID: "p3", Ward: "w8", Bed: "b1"}, // other ward
	}
	board := BedBoard(ward7, states, placements)
	want := map[string]BedState{
		"b1": BedOccupied, "b2": BedCleaning, "b3": BedAvailable, "b4": BedClosed, "b5": BedIsolation,
		"b6": BedCleaning, "b7": BedOccupied, "x1": BedAvailable, "x2": BedClosed,
	}
	for _, v := range board.Beds {
		if v.State != want[v.Bed.ID] {
			t.Errorf("BedBoard() bed %s = %s, want %s", v.Bed.ID, v.State, want[v.Bed.ID])
		}
	}
	if n := board.Beds[6].Note; n != "patient placed in a bed marked cleaning" {
		t.Errorf("BedBoard() bed b7 note = %q, want the mismatch explained", n)
	}
	if len(board.Unbedded) != 2 {
		t.Errorf("BedBoard() unbedded = %v, want p9 and p8", board.Unbedded)
	}

	got := board.Summary()
	wantSum := WardSummary{Ward: "w7", Name: "Ward 7", CoreBeds: 7, EscalationBedsOpen: 1, Closed: 1, Open: 7,
		Occupied: 2, Available: 2, Cleaning: 2, Isolation: 1, OccupancyPct: 28.6}
	if got != wantSum {
		t.Errorf("Summary() = %+v, want %+v", got, wantSum)
	}
	if got.Occupied+got.Available+got.Cleaning+got.Isolation != got.Open {
		t.Errorf("Summary() states add up to %d, want Open %d", got.Occupied+got.Available+got.Cleaning+got.Isolation, got.Open)
	}

	shared := BedBoard(ward7, nil, []Placement{{PatientID: "p1", Ward: "w7", Bed: "b1"}, {PatientID: "p2", Ward: "w7", Bed: "b1"}})
	if v := shared.Beds[0]; v.State != BedOccupied || len(v.Patients) != 2 || v.Note == "" {
		t.Errorf("BedBoard() shared bed = %+v, want occupied by two with a note", v)
	}
}

func TestOccupancyPct(t *testing.T) {
	tests := []struct {
		occ, open int
		want      float64
	}{
		{0, 0, 0}, {0, 10, 0}, {10, 10, 100}, {1, 3, 33.3}, {2, 3, 66.7}, {1, 8, 12.5}, {1, 16, 6.3}, {12, 10, 120},
	}
	for _, tt := range tests {
		if got := occupancyPct(tt.occ, tt.open); got != tt.want {
			t.Errorf("occupancyPct(%d, %d) = %v, want %v", tt.occ, tt.open, got, tt.want)
		}
	}
}

func TestSiteRollup(t *testing.T) {
	a := WardSummary{Ward: "w7", CoreBeds: 10, Closed: 2, EscalationBedsOpen: 1, Open: 9, Occupied: 9, OccupancyPct: 100}
	b := WardSummary{Ward: "w8", CoreBeds: 20, Open: 20, Occupied: 10, Available: 8, Cleaning: 1, Isolation: 1, OccupancyPct: 50}
	got := SiteRollup([]WardSummary{a, b})
	want := WardSummary{Ward: "site", Name: "Site total", CoreBeds: 30, EscalationBedsOpen: 1, Closed: 2, Open: 29,
		Occupied: 19, Available: 8, Cleaning: 1, Isolation: 1, OccupancyPct: 65.5}
	if got != want {
		t.Errorf("SiteRollup() = %+v, want %+v (not the mean of 100 and 50)", got, want)
	}
	if got := SiteRollup(nil); got.Open != 0 || got.OccupancyPct != 0 {
		t.Errorf("SiteRollup(nil) = %+v, want zero counts", got)
	}
}

func TestSitrep_WriteCSV(t *testing.T) {
	wards := []WardCapacity{
		{WardSummary: WardSummary{Ward: "w7", Name: "Ward 7", CoreBeds: 10, Closed: 2, EscalationBedsOpen: 1, Open: 9, Occupied: 9, OccupancyPct: 100}},
		{WardSummary: WardSummary{Ward: "w8", Name: "=HYPERLINK(\"x\")", CoreBeds: 20, Open: 20, Occupied: 10, Available: 8, Cleaning: 1, Isolation: 1, OccupancyPct: 50},
			FromSummary: true, AsOf: time.Date(2025, 3, 10, 14, 5, 0, 0, time.FixedZone("BST", 3600))},
		{WardSummary: WardSummary{Ward: "w9", Name: "Ward 9"}, NoSummary: true},
	}
	r := Sitrep(time.Date(2025, 3, 10, 23, 59, 0, 0, time.UTC), wards)
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatalf("WriteCSV() = %v", err)
	}
	want := "date,ward,name,core_beds,escalation_beds_open,closed,open,occupied,available,cleaning,isolation,occupancy_pct,as_of\n" +
		"2025-03-10,w7,Ward 7,10,1,2,9,9,0,0,0,100.0,\n" +
		"2025-03-10,w8,\"'=HYPERLINK(\"\"x\"\")\",20,0,0,20,10,8,1,1,50.0,2025-03-10T13:05:00Z\n" +
		"2025-03-10,w9,Ward 9,,,,,,,,,,no summary yet\n" +
		"2025-03-10,site,Site total,30,1,2,29,19,8,1,1,65.5,\n"
	if buf.String() != want {
		t.Errorf("WriteCSV() =\n%s\nwant\n%s", buf.String(), want)
	}
	if len(r.Wards) != 3 || cap(r.Wards) != cap(wards) {
		t.Errorf("WriteCSV changed the report's wards")
	}
	b, _ := json.Marshal(r.Site)
	if !bytes.Contains(b, []byte(`"occupancy_pct":65.5`)) {
		t.Errorf("json.Marshal(site) = %s, want occupancy_pct 65.5", b)
	}
}
