package forms

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPayloads_JSONRoundTrip checks every event payload of the medicines,
// controlled-drugs, pharmacy, beds and handover workflows: snake_case JSON
// names, and decode(encode(x)) == x.
func TestPayloads_JSONRoundTrip(t *testing.T) {
	when := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	payloads := map[string]any{
		KindMedOrdered:       prnOrder(),
		KindMedStopped:       MedicationStop{OrderID: "o1", PatientID: "p1", Effective: when, Reason: "course complete"},
		KindMedAdministered:  Administration{OrderID: "o1", PatientID: "p1", Slot: slot8, Outcome: OutcomeGiven, Dose: MustQuantity("2.5"), Witness: "u2"},
		KindCDEntry:          func() CDEntry { e := cdEntry("c1", CDCorrection, "-0.5"); e.Corrects = "r1"; return e }(),
		KindPharmacyTaskDone: PharmacyTaskDone{PlanID: "pharmacy-continuity", TaskID: "secure-cd-keys", Note: "keys with NIC"},
		KindPharmacySupply:   PharmacySupply{ID: "s1", PatientID: "p1", Drug: "Apixaban 5 mg tablets", Quantity: Units(56), Unit: "tablets", Ward: "w7", SuppliedBy: "u1", CheckedBy: "u2"},
		KindStockLevel:       StockLevel{Item: "Naloxone", Location: "ED", Quantity: Units(3), Unit: "ampoules", Minimum: Units(5)},
		KindWardDefined:      ward7,
		KindBedState:         BedStateSet{Ward: "w7", Bed: "b1", State: BedClosed, Reason: "estates"},
		KindHandoverNote:     HandoverNote{ID: "n1", PatientID: "p1", Ward: "w7", Text: "settled overnight"},
		KindHandoverTask:     HandoverTask{ID: "t1", PatientID: "p1", Title: "repeat K+", Due: when, Urgent: true},
		KindHandoverTaskDone: HandoverTaskDone{TaskID: "t1", PatientID: "p1", Note: "4.1"},
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for kind, p := range payloads {
		t.Run(kind, func(t *testing.T) {
			checkTags(t, reflect.TypeOf(p), snake)
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatalf("json.Marshal(%s) = %v", kind, err)
			}
			back := reflect.New(reflect.TypeOf(p))
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatalf("json.Unmarshal(%s) = %v", b, err)
			}
			if got := back.Elem().Interface(); !reflect.DeepEqual(got, p) {
				t.Errorf("json round trip of %s = %+v, want %+v", kind, got, p)
			}
		})
	}
	b, _ := json.Marshal(payloads[KindCDEntry])
	if !strings.Contains(string(b), `"drug":"Morphine sulfate"`) || !strings.Contains(string(b), `"adjustment":"-0.5"`) {
		t.Errorf("json.Marshal(CDEntry) = %s, want product fields flattened and adjustment as a decimal string", b)
	}
}

func checkTags(t *testing.T, typ reflect.Type, snake *regexp.Regexp) {
	t.Helper()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			checkTags(t, f.Type, snake)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !snake.MatchString(name) {
			t.Errorf("%s.%s has JSON name %q, want snake_case", typ.Name(), f.Name, name)
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			checkTags(t, f.Type.Elem(), snake)
		}
	}
}
