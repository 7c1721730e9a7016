package forms

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"lifeboat"
)

func TestCanTransition(t *testing.T) {
	// Every pair of states: "" means allowed, otherwise a word of the refusal.
	tests := []struct {
		from, to BedState
		refusal  string
	}{
		{BedAvailable, BedAvailable, "already available"},
		{BedAvailable, BedOccupied, ""},
		{BedAvailable, BedCleaning, ""},
		{BedAvailable, BedClosed, ""},
		{BedAvailable, BedIsolation, ""},
		{BedOccupied, BedAvailable, "discharge or move the patient first"},
		{BedOccupied, BedOccupied, "already occupied"},
		{BedOccupied, BedCleaning, ""},
		{BedOccupied, BedClosed, "discharge or move the patient first"},
		{BedOccupied, BedIsolation, "discharge or move the patient first"},
		{BedCleaning, BedAvailable, ""},
		{BedCleaning, BedOccupied, "waiting to be cleaned"},
		{BedCleaning, BedCleaning, "already cleaning"},
		{BedCleaning, BedClosed, ""},
		{BedCleaning, BedIsolation, ""},
		{BedClosed, BedAvailable, ""},
		{BedClosed, BedOccupied, "the bed is closed: open it first"},
		{BedClosed, BedCleaning, ""},
		{BedClosed, BedClosed, "already closed"},
		{BedClosed, BedIsolation, ""},
		{BedIsolation, BedAvailable, "cleaned after isolation"},
		{BedIsolation, BedOccupied, ""},
		{BedIsolation, BedCleaning, ""},
		{BedIsolation, BedClosed, ""},
		{BedIsolation, BedIsolation, "already isolation"},
		{"", BedAvailable, "unknown bed state"},
		{BedAvailable, "blocked", "unknown bed state"},
	}
	for _, tt := range tests {
		err := CanTransition(tt.from, tt.to)
		switch {
		case tt.refusal == "" && err != nil:
			t.Errorf("CanTransition(%s, %s) = %v, want nil", tt.from, tt.to, err)
		case tt.refusal != "" && (err == nil || !strings.Contains(err.Error(), tt.refusal) || !errors.Is(err, lifeboat.ErrInvalid)):
			t.Errorf("CanTransition(%s, %s) = %v, want ErrInvalid containing %q", tt.from, tt.to, err, tt.refusal)
		}
	}
	if got := len(tests) - 2; got != len(BedStates)*len(BedStates) {
		t.Errorf("transition cases = %d, want every pair (%d)", got, len(BedStates)*len(BedStates))
	}
}

func TestBedStateSet_Validate(t *testing.T) {
	tests := []struct {
		s    BedStateSet
		want string
	}{
		{BedStateSet{Ward: "w7", Bed: "b1", State: BedCleaning}, ""},
		{BedStateSet{Ward: "w7", Bed: "b1", State: BedClosed, Reason: "staffing"}, ""},
		{BedStateSet{Ward: "w7", Bed: "b1", State: BedClosed}, "reason"},
		{BedStateSet{Ward: "w7", Bed: "b1", State: BedIsolation, Reason: " "}, "reason"},
		{BedStateSet{Ward: "w7", Bed: "b1", State: "blocked"}, "state"},
		{BedStateSet{}, "ward,bed,state"},
	}
	for _, tt := range tests {
		if got := problemList(tt.s.Validate()); got != tt.want {
			t.Errorf("BedStateSet(%+v).Validate() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func mv(id, dev string, seq uint64, seen VersionVector, patient, ward, bed string) Move {
	return Move{EventID: id, Ref: EventRef{dev, seq}, Seen: seen, PatientID: patient, Ward: ward, Bed: bed}
}

func placeList(ps []Placement) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s@%s/%s", p.PatientID, p.Ward, p.Bed))
	}
	return strings.Join(s, " ")
}

func TestPlacements(t *testing.T) {
	tests := []struct {
		name  string
		moves []Move
		want  string
	}{
		{"admit", []Move{mv("e1", "a", 1, nil, "p1", "w7", "b1")}, "p1@w7/b1"},
		{"admit then transfer on one device", []Move{mv("e1", "a", 1, nil, "p1", "w7", "b1"), mv("e2", "a", 2, nil, "p1", "w8", "b3")}, "p1@w8/b3"},
		{"transfer on a device that saw the admission", []Move{mv("e1", "a", 1, nil, "p1", "w7", "b1"), mv("e2", "b", 1, VersionVector{"a": 1}, "p1", "w7", "b2")}, "p1@w7/b2"},
		{"discharge", []Move{mv("e1", "a", 1, nil, "p1", "w7", "b1"), mv("e2", "a", 2, nil, "p1", "", "")}, "p1@/"},
		{"transfers made apart both stay", []Move{
			mv("e1", "a", 1, nil, "p1", "w7", "b1"),
			mv("e2", "a", 2, nil, "p1", "w7", "b2"),
			mv("e3", "b", 1, VersionVector{"a": 1}, "p1", "w7", "b5"),
		}, "p1@w7/b2 p1@w7/b5"},
		{"discharge and transfer made apart", []Move{
			mv("e1", "a", 1, nil, "p1", "w7", "b1"),
			mv("e2", "a", 2, nil, "p1", "", ""),
			mv("e3", "b", 1, VersionVector{"a": 1}, "p1", "w8", "b1"),
		}, "p1@/ p1@w8/b1"},
		{"a later move that saw both resolves it", []Move{
			mv("e1", "a", 1, nil, "p1", "w7", "b2"),
			mv("e2", "b", 1, nil, "p1", "w7", "b5"),
			mv("e3", "c", 1, VersionVector{"a": 1, "b": 1}, "p1", "w7", "b5"),
		}, "p1@w7/b5"},
		{"same event twice", []Move{mv("e1", "a", 1, nil, "p1", "w7", "b1"), mv("e1", "a", 1, nil, "p1", "w7", "b1")}, "p1@w7/b1"},
		{"patients kept apart", []Move{mv("e1", "a", 1, nil, "p2", "w7", "b1"), mv("e2", "a", 2, nil, "p1", "w7", "b2")}, "p1@w7/b2 p2@w7/b1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := placeList(Placements(tt.moves)); got != tt.want {
				t.Errorf("Placements() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBedConflicts(t *testing.T) {
	pl := func(patient, ward, bed, ev string) Placement {
		return Placement{PatientID: patient, Ward: ward, Bed: bed, EventID: ev}
	}
	tests := []struct {
		name string
		in   []Placement
		want string
	}{
		{"none", []Placement{pl("p1", "w7", "b1", "e1"), pl("p2", "w7", "b2", "e2")}, ""},
		{"patient in two beds", []Placement{pl("p1", "w7", "b1", "e1"), pl("p1", "w7", "b2", "e2")}, "patient_two_places p1 [p1@w7/b1 p1@w7/b2]"},
		{"patient placed and discharged", []Placement{pl("p1", "", "", "e1"), pl("p1", "w8", "b1", "e2")}, "patient_two_places p1 [p1@/ p1@w8/b1]"},
		{"same place twice is no conflict", []Placement{pl("p1", "w7", "b1", "e1"), pl("p1", "w7", "b1", "e2")}, ""},
		{"bed with two patients", []Placement{pl("p2", "w7", "b1", "e2"), pl("p1", "w7", "b1", "e1")}, "bed_shared w7/b1 [p1@w7/b1 p2@w7/b1]"},
		{"patients on a ward without beds", []Placement{pl("p1", "w7", "", "e1"), pl("p2", "w7", "", "e2")}, ""},
		{"discharged patients", []Placement{pl("p1", "", "", "e1"), pl("p2", "", "", "e2")}, ""},
		{"both kinds", []Placement{pl("p1", "w7", "b1", "e1"), pl("p1", "w7", "b2", "e2"), pl("p2", "w7", "b2", "e3")},
			"patient_two_places p1 [p1@w7/b1 p1@w7/b2]; bed_shared w7/b2 [p1@w7/b2 p2@w7/b2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range BedConflicts(tt.in) {
				who := c.PatientID
				if c.Kind == ConflictBedShared {
					who = c.Ward + "/" + c.Bed
				}
				got = append(got, fmt.Sprintf("%s %s [%s]", c.Kind, who, placeList(c.Placements)))
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("BedConflicts() = %q, want %q", g, tt.want)
			}
		})
	}
}

func TestWard_Validate(t *testing.T) {
	ok := Ward{ID: "w7", Name: "Ward 7", Beds: []BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "e1", Label: "Escalation 1", Escalation: true}}}
	if ps := ok.Validate(); len(ps) != 0 {
		t.Errorf("Validate() = %v, want none", ps)
	}
	bad := Ward{Beds: []BedDef{{ID: "b1", Label: "Bed 1"}, {ID: "b1", Label: "bed 1 "}, {}}}
	if got, want := problemList(bad.Validate()), "id,name,beds[1].id,beds[1].label,beds[2].id,beds[2].label"; got != want {
		t.Errorf("Validate() = %q, want %q", got, want)
	}
	if b, found := ok.Bed("e1"); !found || !b.Escalation {
		t.Errorf("Bed(e1) = %+v, %v, want the escalation bed", b, found)
	}
	if _, found := ok.Bed("zz"); found {
		t.Errorf("Bed(zz) found, want not found")
	}
}
