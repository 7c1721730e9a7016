package forms

import (
	"fmt"
	"slices"
	"strings"

	"lifeboat"
)

// KindBedState is the event kind of a bed's state being set; payload
// BedStateSet, subject "bed:<ward>/<bed>".
const KindBedState = "bed.state"

// BedState is what a bed board shows for a bed.
type BedState string

// The bed states.
const (
	// BedAvailable: open, clean, empty and ready for a patient.
	BedAvailable BedState = "available"
	// BedOccupied: a patient is in the bed. It follows from an admission
	// or transfer in, and is not set by hand on an empty bed.
	BedOccupied BedState = "occupied"
	// BedCleaning: empty and waiting to be cleaned, as after a patient
	// leaves (discharge or transfer out).
	BedCleaning BedState = "cleaning"
	// BedClosed: not in use (staffing, estates, or an escalation bed not
	// opened). A closed core bed is not an open bed.
	BedClosed BedState = "closed"
	// BedIsolation: empty and held for infection control (a side room kept
	// for a patient who needs isolation, or a bay shut to admissions during
	// an outbreak). It stays an open bed but takes no general admission.
	BedIsolation BedState = "isolation"
)

// BedStates lists the states in display order.
var BedStates = []BedState{BedAvailable, BedOccupied, BedCleaning, BedClosed, BedIsolation}

// bedTransitions is the allowed-transition table: from -> to -> allowed.
// Anything missing is refused with the reason in bedRefusals.
var bedTransitions = map[BedState][]BedState{
	BedAvailable: {BedOccupied, BedCleaning, BedClosed, BedIsolation},
	BedOccupied:  {BedCleaning},
	BedCleaning:  {BedAvailable, BedClosed, BedIsolation},
	BedClosed:    {BedAvailable, BedCleaning, BedIsolation},
	BedIsolation: {BedOccupied, BedCleaning, BedClosed},
}

// CanTransition returns nil if a bed may go from one state to another, or
// an error wrapping lifeboat.ErrInvalid whose message says why not in plain
// words. The table:
//
//	available -> occupied, cleaning, closed, isolation
//	occupied  -> cleaning                      (the patient left; clean before reuse)
//	cleaning  -> available, closed, isolation
//	closed    -> available, cleaning, isolation
//	isolation -> occupied, cleaning, closed   (the patient it was held for arrives)
//
// Setting a bed to the state it is already in is refused too, so two
// people do not each think they changed it.
func CanTransition(from, to BedState) error {
	if !slices.Contains(BedStates, from) {
		return fmt.Errorf("unknown bed state %q: %w", string(from), lifeboat.ErrInvalid)
	}
	if !slices.Contains(BedStates, to) {
		return fmt.Errorf("unknown bed state %q: %w", string(to), lifeboat.ErrInvalid)
	}
	if slices.Contains(bedTransitions[from], to) {
		return nil
	}
	var why string
	switch {
	case from == to:
		why = fmt.Sprintf("the bed is already %s", to)
	case from == BedOccupied:
		why = "the bed has a patient: discharge or move the patient first (the bed then needs cleaning)"
	case to == BedOccupied && from == BedCleaning:
		why = "the bed is waiting to be cleaned: mark it available first"
	case to == BedOccupied && from == BedClosed:
		why = "the bed is closed: open it first"
	case to == BedAvailable && from == BedIsolation:
		why = "the bed must be cleaned after isolation: mark it cleaning first"
	default:
		why = fmt.Sprintf("a bed cannot go from %s to %s", from, to)
	}
	return fmt.Errorf("%s: %w", why, lifeboat.ErrInvalid)
}

// BedStateSet is the payload of bed.state: a person sets a bed's state.
// Reason is required for closed and isolation (the sitrep asks why).
type BedStateSet struct {
	Ward   string   `json:"ward"`
	Bed    string   `json:"bed"`
	State  BedState `json:"state"`
	Reason string   `json:"reason,omitempty"`
}

// Validate lists what is wrong with s on its own; CanTransition checks it
// against the bed's current state.
func (s BedStateSet) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(s.Ward) == "" {
		hard("ward", "choose the ward")
	}
	if strings.TrimSpace(s.Bed) == "" {
		hard("bed", "choose the bed")
	}
	switch {
	case s.State == "":
		hard("state", "choose the bed state")
	case !slices.Contains(BedStates, s.State):
		hard("state", fmt.Sprintf("unknown bed state %q", string(s.State)))
	case (s.State == BedClosed || s.State == BedIsolation) && strings.TrimSpace(s.Reason) == "":
		hard("reason", fmt.Sprintf("give the reason the bed is %s", s.State))
	}
	return ps
}

// Move is one change of a patient's place, from the event envelope and
// the payload of patient.admitted (Ward, Bed), patient.transferred (Ward,
// Bed) or patient.discharged (Ward and Bed empty).
type Move struct {
	EventID   string
	Ref       EventRef
	Seen      VersionVector // the recording device's version vector at the time
	PatientID string
	Ward      string // empty: discharged
	Bed       string // empty: on the ward without a bed
}

// Placement is where one patient is, as far as one line of events says.
// Ward empty means discharged. A patient normally has one placement;
// devices that moved the patient while apart leave several (BedConflicts).
type Placement struct {
	PatientID string
	Ward      string
	Bed       string
	EventID   string
	Ref       EventRef
}

// Placements replays moves (in recorded HLC order) and returns every
// patient's current placements, sorted by patient, ward and bed. A move
// replaces the patient's placements it happened after (its device had seen
// them); placements made concurrently on devices that were apart all stay,
// so a conflict is shown, never merged away (DESIGN.md section 6).
func Placements(moves []Move) []Placement {
	heads := map[string][]Move{}
	for _, m := range moves {
		old := heads[m.PatientID]
		keep := old[:0:0]
		for _, h := range old {
			if !HappenedBefore(h.Ref, m.Ref, m.Seen) && h.Ref != m.Ref {
				keep = append(keep, h)
			}
		}
		heads[m.PatientID] = append(keep, m)
	}
	var out []Placement
	for _, hs := range heads {
		for _, h := range hs {
			out = append(out, Placement{PatientID: h.PatientID, Ward: h.Ward, Bed: h.Bed, EventID: h.EventID, Ref: h.Ref})
		}
	}
	slices.SortFunc(out, comparePlacement)
	return out
}

func comparePlacement(a, b Placement) int {
	return cmpStrings(a.PatientID, b.PatientID, a.Ward, b.Ward, a.Bed, b.Bed, a.EventID, b.EventID)
}

// cmpStrings compares pairs (a1, b1, a2, b2, ...) in turn.
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// Kinds of BedConflict.
const (
	ConflictPatientTwoPlaces = "patient_two_places" // one patient in two beds (or placed and discharged)
	ConflictBedShared        = "bed_shared"         // one bed holding two patients
)

// BedConflict is a disagreement about where patients are, for a person to
// resolve with a new move or bed event.
type BedConflict struct {
	Kind       string
	PatientID  string // ConflictPatientTwoPlaces
	Ward, Bed  string // ConflictBedShared
	Placements []Placement
}

// BedConflicts finds every patient with more than one distinct place
// (ward and bed, discharged counting as a place) and every bed holding more
// than one patient. Conflicts come patient conflicts first, each kind
// sorted.
func BedConflicts(placements []Placement) []BedConflict {
	ps := slices.Clone(placements)
	slices.SortFunc(ps, comparePlacement)
	var out []BedConflict
	for i := 0; i < len(ps); {
		j := i
		places := map[[2]string]bool{}
		for ; j < len(ps) && ps[j].PatientID == ps[i].PatientID; j++ {
			places[[2]string{ps[j].Ward, ps[j].Bed}] = true
		}
		if len(places) > 1 {
			out = append(out, BedConflict{Kind: ConflictPatientTwoPlaces, PatientID: ps[i].PatientID, Placements: slices.Clone(ps[i:j])})
		}
		i = j
	}
	slices.SortFunc(ps, func(a, b Placement) int {
		return cmpStrings(a.Ward, b.Ward, a.Bed, b.Bed, a.PatientID, b.PatientID, a.EventID, b.EventID)
	})
	for i := 0; i < len(ps); {
		j := i
		patients := map[string]bool{}
		for ; j < len(ps) && ps[j].Ward == ps[i].Ward && ps[j].Bed == ps[i].Bed; j++ {
			patients[ps[j].PatientID] = true
		}
		if ps[i].Ward != "" && ps[i].Bed != "" && len(patients) > 1 {
			out = append(out, BedConflict{Kind: ConflictBedShared, Ward: ps[i].Ward, Bed: ps[i].Bed, Placements: slices.Clone(ps[i:j])})
		}
		i = j
	}
	return out
}
