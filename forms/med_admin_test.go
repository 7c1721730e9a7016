package forms

import (
	"strings"
	"testing"
	"time"
)

const slot8 = "2025-03-10T08:00:00Z"

func given(order, slot string) Administration {
	return Administration{OrderID: order, PatientID: "p1", Slot: slot, Outcome: OutcomeGiven, Dose: Units(500)}
}

func TestOmissionReason_Label(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range OmissionReasons {
		l := r.Label()
		if l == "" || strings.HasPrefix(l, "unknown") || seen[l] {
			t.Errorf("OmissionReason(%q).Label() = %q, want a distinct plain label", r, l)
		}
		seen[l] = true
	}
	if got := OmissionReason("x").Label(); got != `unknown reason "x"` {
		t.Errorf("OmissionReason(x).Label() = %q, want %q", got, `unknown reason "x"`)
	}
	if got := ReasonNilByMouth.Label(); got != "Nil by mouth" {
		t.Errorf("ReasonNilByMouth.Label() = %q, want %q", got, "Nil by mouth")
	}
}

func TestAdministration_Validate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Administration)
		want string
	}{
		{"given ok", nil, ""},
		{"prn given ok", func(a *Administration) { a.Slot = "" }, ""},
		{"omitted with reason", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeOmitted, 0, ReasonNilByMouth }, ""},
		{"omitted without reason", func(a *Administration) { a.Outcome, a.Dose = OutcomeOmitted, 0 }, "reason_code"},
		{"held with reason", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeHeld, 0, ReasonClinical }, ""},
		{"held without reason", func(a *Administration) { a.Outcome, a.Dose = OutcomeHeld, 0 }, "reason_code"},
		{"refused without reason", func(a *Administration) { a.Outcome, a.Dose = OutcomeRefused, 0 }, ""},
		{"refused with refused", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeRefused, 0, ReasonRefused }, ""},
		{"refused with other reason", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeRefused, 0, ReasonAway }, "reason_code"},
		{"other needs a note", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeOmitted, 0, ReasonOther }, "note"},
		{"other with a note", func(a *Administration) {
			a.Outcome, a.Dose, a.ReasonCode, a.Note = OutcomeOmitted, 0, ReasonOther, "in theatre"
		}, ""},
		{"unknown reason", func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeOmitted, 0, "bored" }, "reason_code"},
		{"given with a reason", func(a *Administration) { a.ReasonCode = ReasonAway }, "reason_code"},
		{"given without dose", func(a *Administration) { a.Dose = 0 }, "dose"},
		{"omitted with dose", func(a *Administration) { a.Outcome, a.ReasonCode = OutcomeOmitted, ReasonAway }, "dose"},
		{"no outcome", func(a *Administration) { a.Outcome = "" }, "outcome"},
		{"unknown outcome", func(a *Administration) { a.Outcome = "spilt" }, "outcome"},
		{"bad slot", func(a *Administration) { a.Slot = "08:00" }, "slot"},
		{"no order or patient", func(a *Administration) { a.OrderID, a.PatientID = "", "" }, "order_id,patient_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := given("o1", slot8)
			if tt.edit != nil {
				tt.edit(&a)
			}
			if got := problemList(a.Validate()); got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAdministration_ValidateFor(t *testing.T) {
	cd := regularOrder("o1", FreqOD)
	cd.Controlled = true
	tests := []struct {
		name string
		o    MedicationOrder
		edit func(*Administration)
		want string
	}{
		{"matches", regularOrder("o1", FreqOD), nil, ""},
		{"other order", regularOrder("o2", FreqOD), nil, "order_id"},
		{"other patient", regularOrder("o1", FreqOD), func(a *Administration) { a.PatientID = "p2" }, "patient_id"},
		{"regular needs slot", regularOrder("o1", FreqOD), func(a *Administration) { a.Slot = "" }, "slot"},
		{"prn has no slot", func() MedicationOrder { o := prnOrder(); o.ID = "o1"; o.Dose = Units(500); return o }(), nil, "slot"},
		{"controlled needs witness", cd, nil, "witness"},
		{"controlled with witness", cd, func(a *Administration) { a.Witness = "RN Smith" }, ""},
		{"controlled omitted needs no witness", cd, func(a *Administration) { a.Outcome, a.Dose, a.ReasonCode = OutcomeOmitted, 0, ReasonAway }, ""},
		{"dose differs", regularOrder("o1", FreqOD), func(a *Administration) { a.Dose = Units(250) }, "dose~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := given("o1", slot8)
			if tt.edit != nil {
				tt.edit(&a)
			}
			if got := problemList(a.ValidateFor(tt.o)); got != tt.want {
				t.Errorf("ValidateFor() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDuplicateSlot(t *testing.T) {
	omitted := Administration{OrderID: "o1", PatientID: "p1", Slot: slot8, Outcome: OutcomeOmitted, ReasonCode: ReasonAway}
	tests := []struct {
		name     string
		existing []Administration
		a        Administration
		want     bool
	}{
		{"nothing recorded", nil, given("o1", slot8), false},
		{"already given", []Administration{given("o1", slot8)}, given("o1", slot8), true},
		{"already given, same instant other offset", []Administration{given("o1", "2025-03-10T09:00:00+01:00")}, given("o1", slot8), true},
		{"already given, recording omitted", []Administration{given("o1", slot8)}, omitted, true},
		{"only omitted before", []Administration{omitted}, given("o1", slot8), false},
		{"other slot", []Administration{given("o1", "2025-03-10T20:00:00Z")}, given("o1", slot8), false},
		{"other order", []Administration{given("o2", slot8)}, given("o1", slot8), false},
		{"prn never duplicate", []Administration{given("o1", "")}, given("o1", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DuplicateSlot(tt.existing, tt.a)
			if ok != tt.want {
				t.Fatalf("DuplicateSlot() = %v, want %v", ok, tt.want)
			}
			if ok && (got.OrderID != tt.a.OrderID || got.Outcome != OutcomeGiven) {
				t.Errorf("DuplicateSlot() record = %+v, want the earlier given dose", got)
			}
		})
	}
}

func adminRec(id, device string, seq uint64, seen VersionVector, a Administration) AdminRecord {
	return AdminRecord{Administration: a, EventID: id, Ref: EventRef{device, seq}, Seen: seen}
}

func TestDoseConflict(t *testing.T) {
	g := given("o1", slot8)
	om := Administration{OrderID: "o1", PatientID: "p1", Slot: slot8, Outcome: OutcomeOmitted, ReasonCode: ReasonAway}
	tests := []struct {
		name string
		a, b AdminRecord
		want bool
	}{
		{"given on two devices while apart", adminRec("e1", "a", 5, VersionVector{"a": 5}, g), adminRec("e2", "b", 3, VersionVector{"b": 3}, g), true},
		{"given and omitted while apart", adminRec("e1", "a", 5, nil, g), adminRec("e2", "b", 3, nil, om), true},
		{"second saw the first", adminRec("e1", "a", 5, nil, g), adminRec("e2", "b", 3, VersionVector{"a": 5}, g), false},
		{"same device twice", adminRec("e1", "a", 5, nil, g), adminRec("e2", "a", 6, nil, g), false},
		{"same event", adminRec("e1", "a", 5, nil, g), adminRec("e1", "a", 5, nil, g), false},
		{"different slots", adminRec("e1", "a", 5, nil, g), adminRec("e2", "b", 3, nil, given("o1", "2025-03-10T20:00:00Z")), false},
		{"prn doses", adminRec("e1", "a", 5, nil, given("o1", "")), adminRec("e2", "b", 3, nil, given("o1", "")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DoseConflict(tt.a, tt.b); got != tt.want {
				t.Errorf("DoseConflict(%v, %v) = %v, want %v", tt.a.Ref, tt.b.Ref, got, tt.want)
			}
			if got := DoseConflict(tt.b, tt.a); got != tt.want {
				t.Errorf("DoseConflict(%v, %v) = %v, want %v (symmetry)", tt.b.Ref, tt.a.Ref, got, tt.want)
			}
		})
	}
}

func TestDoseConflicts(t *testing.T) {
	g := given("o1", slot8)
	om := Administration{OrderID: "o1", PatientID: "p1", Slot: slot8, Outcome: OutcomeOmitted, ReasonCode: ReasonAway}
	recs := []AdminRecord{
		adminRec("e1", "a", 1, nil, g),
		adminRec("e2", "b", 1, nil, g),
		adminRec("e3", "c", 1, VersionVector{"a": 1, "b": 1}, om), // saw both
		adminRec("e4", "a", 2, nil, given("o1", "")),
		adminRec("e5", "b", 2, nil, given("o1", "")),
	}
	got := DoseConflicts(recs)
	if len(got) != 1 || got[0].A.EventID != "e1" || got[0].B.EventID != "e2" || !got[0].DoubleDose || got[0].SlotKey != "o1@"+slot8 {
		t.Errorf("DoseConflicts() = %+v, want one double dose e1/e2", got)
	}
	recs[2].Seen = nil
	got = DoseConflicts(recs)
	if len(got) != 3 || got[1].DoubleDose || got[2].DoubleDose {
		t.Errorf("DoseConflicts() with omitted apart = %d clashes, want 3 (one double dose)", len(got))
	}
}

func TestCheckPRN(t *testing.T) {
	at := time.Date(2025, 3, 10, 14, 0, 0, 0, time.UTC)
	h := func(d float64) PRNDose {
		return PRNDose{At: at.Add(time.Duration(d * float64(time.Hour))), Dose: Units(1000)}
	}
	tests := []struct {
		name     string
		edit     func(*MedicationOrder)
		previous []PRNDose
		dose     Quantity
		want     string
	}{
		{"first dose", nil, nil, 0, ""},
		{"exactly the interval", nil, []PRNDose{h(-4)}, 0, ""},
		{"one minute early", nil, []PRNDose{{at.Add(-4*time.Hour + time.Minute), Units(1000)}}, 0, WarnTooSoon},
		{"later dose already recorded", nil, []PRNDose{h(2)}, 0, WarnTooSoon},
		{"exactly the daily maximum", nil, []PRNDose{h(-20), h(-16), h(-12)}, 0, ""},
		{"one over the daily maximum", nil, []PRNDose{h(-20), h(-16), h(-12), h(-8)}, 0, WarnOverDailyMax},
		{"oldest dose exactly 24h ago drops out", nil, []PRNDose{h(-24), h(-20), h(-16), h(-12)}, 0, ""},
		{"oldest dose just inside 24h", nil, []PRNDose{{at.Add(-24*time.Hour + time.Minute), Units(1000)}, h(-20), h(-16), h(-12)}, 0, WarnOverDailyMax},
		{"back-entry between later doses", nil, []PRNDose{h(-4), h(4), h(8), h(12)}, 0, WarnOverDailyMax},
		{"bigger dose tips over", nil, []PRNDose{h(-20), h(-16), h(-12)}, Units(1500), WarnOverDailyMax},
		{"too soon and over", nil, []PRNDose{h(-20), h(-16), h(-12), h(-1)}, 0, WarnTooSoon + "," + WarnOverDailyMax},
		{"units differ", func(o *MedicationOrder) { o.MaxDailyDose, o.MaxDailyDoseUnit = Units(4), "g" }, nil, 0, WarnUnitMismatch},
		{"half-hour interval kept", func(o *MedicationOrder) { o.MinIntervalHours = MustQuantity("0.5") }, []PRNDose{{at.Add(-30 * time.Minute), Units(1)}}, 0, ""},
		{"half-hour interval broken", func(o *MedicationOrder) { o.MinIntervalHours = MustQuantity("0.5") }, []PRNDose{{at.Add(-29 * time.Minute), Units(1)}}, 0, WarnTooSoon},
		{"no limits", func(o *MedicationOrder) { o.MinIntervalHours, o.MaxDailyDose = 0, 0 }, []PRNDose{h(-1), h(-2), h(-3), h(-4), h(-5)}, 0, ""},
		{"regular order", func(o *MedicationOrder) { o.PRN = false }, []PRNDose{h(-1)}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := prnOrder()
			if tt.edit != nil {
				tt.edit(&o)
			}
			ws := CheckPRN(o, tt.previous, tt.dose, at)
			var codes []string
			for _, w := range ws {
				codes = append(codes, w.Code)
				if w.Message == "" {
					t.Errorf("CheckPRN() warning %s has no message", w.Code)
				}
			}
			if got := strings.Join(codes, ","); got != tt.want {
				t.Errorf("CheckPRN() = %q (%v), want %q", got, ws, tt.want)
			}
		})
	}
	ws := CheckPRN(prnOrder(), []PRNDose{h(-20), h(-16), h(-12), h(-8)}, 0, at)
	if want := "this dose would make 5000 mg in 24 hours; the maximum is 4000 mg"; len(ws) != 1 || ws[0].Message != want {
		t.Errorf("CheckPRN() message = %v, want %q", ws, want)
	}
}

func TestGivenDoses(t *testing.T) {
	prn := prnOrder()
	regular := prnOrder()
	regular.ID, regular.PRN, regular.Frequency, regular.Dose = "reg1", false, FreqQDS, Units(500)
	byName := prnOrder()
	byName.ID, byName.DMDCode, byName.Drug = "name1", "", " PARACETAMOL "
	otherDrug := regularOrder("amox", FreqTDS)
	otherUnit := prnOrder()
	otherUnit.ID, otherUnit.DoseUnit = "unit1", "g"
	otherCode := prnOrder()
	otherCode.ID, otherCode.DMDCode = "code1", "999" // paracetamol in another form
	sameCode := prnOrder()
	sameCode.ID, sameCode.Drug = "brand1", "Panadol"
	ibuprofen := prnOrder()
	ibuprofen.ID, ibuprofen.Drug, ibuprofen.DMDCode = "ibu1", "Ibuprofen", "111"
	at := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	rec := func(order string, outcome Outcome, dose Quantity, patient string) AdminRecord {
		return AdminRecord{Administration: Administration{OrderID: order, PatientID: patient, Outcome: outcome, Dose: dose}, PerformedAt: at}
	}
	records := []AdminRecord{
		rec("prn1", OutcomeGiven, Units(1000), "p1"),
		rec("reg1", OutcomeGiven, 0, "p1"), // dose left blank: the regular order's 500
		rec("reg1", OutcomeOmitted, 0, "p1"),
		rec("name1", OutcomeGiven, Units(1000), "p1"),
		rec("amox", OutcomeGiven, Units(500), "p1"),
		rec("unit1", OutcomeGiven, Units(1), "p1"),
		rec("code1", OutcomeGiven, Units(1000), "p1"),
		rec("prn1", OutcomeGiven, Units(1000), "p2"),
		rec("brand1", OutcomeGiven, Units(1000), "p1"),
		rec("ibu1", OutcomeGiven, Units(400), "p1"),
	}
	got := GivenDoses(prn, []MedicationOrder{regular, byName, otherDrug, otherUnit, otherCode, sameCode, ibuprofen}, records)
	var total Quantity
	for _, d := range got {
		total += d.Dose
	}
	if len(got) != 5 || total != Units(4500) {
		t.Errorf("GivenDoses() = %v, want 5 doses totalling 4500", got)
	}
}
