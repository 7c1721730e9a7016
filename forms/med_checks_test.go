package forms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lifeboat"
)

func codesOf(ws []DoseWarning) string {
	var cs []string
	for _, w := range ws {
		cs = append(cs, w.Code)
	}
	return strings.Join(cs, ",")
}

// paraOrders are a regular (QDS) and a PRN (4-hourly, 4 g a day) order of
// paracetamol 1 g, and an amoxicillin order, for one patient.
func paraOrders(at time.Time) (regular, prn, amox MedicationOrder) {
	start := at.Add(-48 * time.Hour)
	regular = MedicationOrder{ID: "reg", PatientID: "p1", Drug: "Paracetamol 500 mg tablets", Dose: Units(1), DoseUnit: "g", Route: "oral",
		Frequency: FreqQDS, Start: start, Source: SourceEntered}
	prn = MedicationOrder{ID: "prn", PatientID: "p1", Drug: "paracetamol  500 MG tablets", Dose: Units(1), DoseUnit: "g", Route: "oral",
		PRN: true, MinIntervalHours: Units(4), MaxDailyDose: Units(4), MaxDailyDoseUnit: "g", Start: start, Source: SourceEntered}
	amox = MedicationOrder{ID: "amox", PatientID: "p1", Drug: "Amoxicillin 500 mg capsules", Dose: Units(500), DoseUnit: "mg", Route: "oral",
		Frequency: FreqTDS, Start: start, Source: SourceEntered}
	return
}

func givenRec(id, order string, at time.Time) AdminRecord {
	return AdminRecord{EventID: id, PerformedAt: at, Administration: Administration{OrderID: order, PatientID: "p1", Outcome: OutcomeGiven}}
}

func TestCheckDose(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	regular, prn, amox := paraOrders(at)
	h := func(id, order string, hours float64) AdminRecord {
		return givenRec(id, order, at.Add(time.Duration(hours*float64(time.Hour))))
	}
	stopped := prn
	stopped.Stop = at
	stoppedLater := prn
	stoppedLater.Stop = at.Add(time.Second)
	penicillin := AllergyList{Allergies: []Allergy{{ID: "a1", Substance: "Amoxicillin", Status: AllergyActive}}}
	tests := []struct {
		name    string
		o       MedicationOrder
		orders  []MedicationOrder
		records []AdminRecord
		allergy AllergyList
		want    string
	}{
		{"PRN alone, first dose", prn, []MedicationOrder{prn}, nil, AllergyList{}, ""},
		{"PRN exactly the interval after a regular dose", prn, []MedicationOrder{prn}, []AdminRecord{h("e1", "reg", -4)}, AllergyList{}, ""},
		{"regular dose counts on the PRN order (other order not passed)", prn, []MedicationOrder{prn, regular}, []AdminRecord{h("e1", "reg", -3)}, AllergyList{}, WarnTooSoon},
		{"exactly the maximum across two orders", prn, []MedicationOrder{prn, regular}, []AdminRecord{h("e1", "reg", -20), h("e2", "prn", -16), h("e3", "reg", -12)}, AllergyList{}, ""},
		{"one over the maximum across two orders", prn, []MedicationOrder{prn, regular}, []AdminRecord{h("e1", "reg", -20), h("e2", "prn", -16), h("e3", "reg", -12), h("e4", "prn", -8)}, AllergyList{}, WarnOverDailyMax},
		{"a regular dose not on a passed order is not counted", prn, []MedicationOrder{prn}, []AdminRecord{h("e1", "reg", -1)}, AllergyList{}, ""},
		{"regular dose held to the PRN order's limits", regular, []MedicationOrder{regular, prn}, []AdminRecord{h("e1", "prn", -1)}, AllergyList{}, WarnTooSoon},
		{"regular dose, PRN order stopped at this instant", regular, []MedicationOrder{regular, stopped}, []AdminRecord{h("e1", "prn", -1)}, AllergyList{}, ""},
		{"regular dose, PRN order stops a second later", regular, []MedicationOrder{regular, stoppedLater}, []AdminRecord{h("e1", "prn", -1)}, AllergyList{}, WarnTooSoon},
		{"two regular orders of one medicine", regular, []MedicationOrder{regular, func() MedicationOrder { r := regular; r.ID = "reg2"; r.Frequency = FreqBD; return r }()}, nil, AllergyList{}, WarnDuplicate},
		{"two regular orders, the other stopped", regular, []MedicationOrder{regular, func() MedicationOrder { r := regular; r.ID = "reg2"; r.Stop = at; return r }()}, nil, AllergyList{}, ""},
		{"a PRN dose beside a second PRN order is held to both limits, no duplicate reason", prn, []MedicationOrder{prn, func() MedicationOrder { r := prn; r.ID = "prn2"; return r }()}, []AdminRecord{h("e1", "prn2", -1)}, AllergyList{}, WarnTooSoon},
		{"another medicine's doses do not count", prn, []MedicationOrder{prn, amox}, []AdminRecord{h("e1", "amox", -1)}, AllergyList{}, ""},
		{"allergy", amox, []MedicationOrder{amox}, nil, penicillin, WarnAllergy},
		{"allergy on another medicine", prn, []MedicationOrder{prn, amox}, nil, penicillin, ""},
		{"other patient's order is not a duplicate", prn, []MedicationOrder{prn, func() MedicationOrder { r := regular; r.PatientID = "p2"; return r }()}, nil, AllergyList{}, ""},
		{"other dose unit is not the same medicine", prn, []MedicationOrder{prn, func() MedicationOrder { r := regular; r.DoseUnit = "mg"; return r }()}, nil, AllergyList{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := CheckDose(tt.o, tt.orders, tt.records, tt.allergy, 0, at)
			if got := codesOf(ws); got != tt.want {
				t.Errorf("CheckDose codes = %q, want %q (%+v)", got, tt.want, ws)
			}
			for _, w := range ws {
				if w.Message == "" {
					t.Errorf("warning %s has no words", w.Code)
				}
			}
		})
	}
}

func TestDuplicateOrders(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	regular, prn, amox := paraOrders(at)
	notYet := prn
	notYet.ID, notYet.Start = "later", at.Add(time.Minute)
	byCode := prn
	byCode.ID, byCode.Drug, byCode.DMDCode = "code", "Panadol", "42109611000001109"
	regCode := regular
	regCode.DMDCode = "42109611000001109"
	if got := DuplicateOrders(regular, []MedicationOrder{regular, prn, amox, notYet}, at); len(got) != 1 || got[0].ID != "prn" {
		t.Errorf("DuplicateOrders = %+v, want the PRN order only (not itself, another drug, or one not started)", got)
	}
	if got := DuplicateOrders(regCode, []MedicationOrder{regCode, byCode}, at); len(got) != 1 {
		t.Errorf("same dm+d code, other name: DuplicateOrders = %+v, want 1", got)
	}
}

func TestUncovered(t *testing.T) {
	ws := []DoseWarning{{Code: WarnTooSoon}, {Code: WarnAllergy}, {Code: WarnAllergy, Message: "second allergy"}}
	tests := []struct {
		name string
		ovs  []DoseOverride
		want string
	}{
		{"none", nil, WarnTooSoon + "," + WarnAllergy + "," + WarnAllergy},
		{"one code covers its warnings", []DoseOverride{{WarnAllergy, "told by patient: mild"}}, WarnTooSoon},
		{"blank reason covers nothing", []DoseOverride{{WarnTooSoon, "  "}, {WarnAllergy, "ok"}}, WarnTooSoon},
		{"all", []DoseOverride{{WarnTooSoon, "pain"}, {WarnAllergy, "ok"}}, ""},
		{"an override for a warning not raised", []DoseOverride{{WarnDuplicate, "x"}}, WarnTooSoon + "," + WarnAllergy + "," + WarnAllergy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codesOf(Uncovered(ws, tt.ovs)); got != tt.want {
				t.Errorf("Uncovered = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLimitBreaches(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	_, prn, _ := paraOrders(at)
	onlyPRN := []MedicationOrder{prn}
	rec := func(id, dev string, seq uint64, seen VersionVector, hours float64, ovs ...DoseOverride) AdminRecord {
		r := givenRec(id, "prn", at.Add(time.Duration(hours*float64(time.Hour))))
		r.Ref, r.Seen, r.Overrides = EventRef{Device: dev, Seq: seq}, seen, ovs
		return r
	}
	tests := []struct {
		name    string
		records []AdminRecord
		want    string // IDs of the flagged doses with their codes
	}{
		{"apart, 4 hours apart exactly", []AdminRecord{rec("a", "d1", 1, VersionVector{"d1": 1}, -4), rec("b", "d2", 1, VersionVector{"d2": 1}, 0)}, ""},
		{"apart, too close", []AdminRecord{rec("a", "d1", 1, VersionVector{"d1": 1}, -3), rec("b", "d2", 1, VersionVector{"d2": 1}, 0)},
			"b:" + WarnTooSoon},
		{"one device, warned and overridden", []AdminRecord{rec("a", "d1", 1, VersionVector{"d1": 1}, -3),
			rec("b", "d1", 2, VersionVector{"d1": 2}, 0, DoseOverride{WarnTooSoon, "pain"})}, ""},
		{"second device saw the first", []AdminRecord{rec("a", "d1", 1, VersionVector{"d1": 1}, -3),
			rec("b", "d2", 1, VersionVector{"d1": 1, "d2": 1}, 0, DoseOverride{WarnTooSoon, "pain"})}, ""},
		{"apart, each within the maximum alone, together over it", []AdminRecord{
			rec("a1", "d1", 1, VersionVector{"d1": 1}, -20), rec("a2", "d1", 2, VersionVector{"d1": 2}, -16), rec("a3", "d1", 3, VersionVector{"d1": 3}, -12),
			rec("b1", "d2", 1, VersionVector{"d2": 1}, -8), rec("b2", "d2", 2, VersionVector{"d2": 2}, -4)},
			"b2:" + WarnOverDailyMax},
		{"apart, together exactly the maximum", []AdminRecord{
			rec("a1", "d1", 1, VersionVector{"d1": 1}, -16), rec("a2", "d1", 2, VersionVector{"d1": 2}, -8),
			rec("b1", "d2", 1, VersionVector{"d2": 1}, -12), rec("b2", "d2", 2, VersionVector{"d2": 2}, -4)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, b := range LimitBreaches(onlyPRN, tt.records) {
				got = append(got, b.Record.EventID+":"+codesOf(b.Warnings))
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("LimitBreaches = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestMedicationOrder_CDQuantity(t *testing.T) {
	tests := []struct {
		name     string
		product  *CDProduct
		doseUnit string
		dose     string
		want     string // "" means refused
	}{
		{"liquid by strength", &CDProduct{"Oramorph", "oral solution", "10 mg/5 ml"}, "mg", "2.5", "1.25"},
		{"liquid, no space", &CDProduct{"Oramorph", "oral solution", "10mg/5ml"}, "mg", "10", "5"},
		{"dose already in ml", &CDProduct{"Oramorph", "oral solution", "10 mg/5 ml"}, "ml", "2.5", "2.5"},
		{"per single ml", &CDProduct{"Morphine", "oral solution", "20 mg/ml"}, "mg", "5", "0.25"},
		{"capsules", &CDProduct{"Oxycodone", "capsules", "5 mg"}, "mg", "10", "2"},
		{"tablet unit singular", &CDProduct{"Oxycodone", "tablets", "5 mg"}, "tablet", "1", "1"},
		{"half a capsule is not exact", &CDProduct{"Oxycodone", "capsules", "5 mg"}, "mg", "2.5", "0.5"},
		{"not a thousandth", &CDProduct{"Oramorph", "oral solution", "3 mg/1 ml"}, "mg", "1", ""},
		{"dose unit not in the strength", &CDProduct{"Oramorph", "oral solution", "10 mg/5 ml"}, "microgram", "500", ""},
		{"liquid strength without volume", &CDProduct{"Oramorph", "oral solution", "10 mg"}, "mg", "5", ""},
		{"ampoules by volume cannot be counted", &CDProduct{"Morphine", "solution for injection", "10 mg/1 ml"}, "mg", "10", ""},
		{"unreadable strength", &CDProduct{"Oramorph", "oral solution", "strong"}, "mg", "5", ""},
		{"no product", nil, "mg", "5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := MedicationOrder{DoseUnit: tt.doseUnit, CDProduct: tt.product}
			q, err := o.CDQuantity(MustQuantity(tt.dose))
			if tt.want == "" {
				if !errors.Is(err, lifeboat.ErrInvalid) {
					t.Errorf("CDQuantity = %s, %v; want refused with ErrInvalid", q, err)
				}
				return
			}
			if err != nil || q != MustQuantity(tt.want) {
				t.Errorf("CDQuantity = %s, %v; want %s", q, err, tt.want)
			}
		})
	}
}

// A stopped order keeps its doses before the stop on the MAR; those at or
// after the stop are gone, so they are never due or overdue.
func TestMARDay_StoppedOrderHasNoDosesFromTheStop(t *testing.T) {
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		stop time.Time
		want []string
	}{
		{"stopped between doses", day.Add(10 * time.Hour), []string{"06:00"}},
		{"stopped at a dose time", day.Add(12 * time.Hour), []string{"06:00"}},
		{"stopped a second after a dose time", day.Add(12*time.Hour + time.Second), []string{"06:00", "12:00"}},
		{"stopped before the day", day.Add(-time.Hour), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := MedicationOrder{ID: "o", PatientID: "p1", Drug: "Paracetamol", Dose: Units(1), DoseUnit: "g", Route: "oral",
				Frequency: FreqQDS, Start: day.Add(-48 * time.Hour), Stop: tt.stop, Source: SourceEntered}
			mar := MARDay([]MedicationOrder{o}, nil, day, day.Add(23*time.Hour))
			var got []string
			for _, r := range mar.Rows {
				for _, c := range r.Cells {
					if c.Status != StatusNone {
						got = append(got, c.Slot.Time.Format("15:04"))
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("doses on the MAR = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMedicationOrder_DoseFromCD(t *testing.T) {
	oramorph := &CDProduct{"Oramorph", "oral solution", "10 mg/5 ml"}
	for _, tt := range []struct {
		name    string
		product *CDProduct
		dose    string
		q       string
		want    string // "" means refused
	}{
		{"1.25 ml is 2.5 mg", oramorph, "2.5", "1.25", "2.5"},
		{"5 ml is 10 mg", oramorph, "2.5", "5", "10"},
		{"to the nearest thousandth", &CDProduct{"Morphine", "oral solution", "3 mg/7 ml"}, "3", "1", "0.429"},
		{"capsules", &CDProduct{"Oxycodone", "capsules", "5 mg"}, "10", "3", "15"},
		{"no product", nil, "2.5", "1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := MedicationOrder{Dose: MustQuantity(tt.dose), DoseUnit: "mg", CDProduct: tt.product}
			got, err := o.DoseFromCD(MustQuantity(tt.q))
			if tt.want == "" {
				if err == nil {
					t.Errorf("DoseFromCD = %s, want refused", got)
				}
				return
			}
			if err != nil || got != MustQuantity(tt.want) {
				t.Errorf("DoseFromCD = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
