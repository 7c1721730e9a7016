package forms

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var day1 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func regularOrder(id, freq string) MedicationOrder {
	return MedicationOrder{
		ID: id, PatientID: "p1", Drug: "Amoxicillin", Dose: Units(500), DoseUnit: "mg",
		Route: "oral", Frequency: freq, Start: day1, Source: SourceEntered,
	}
}

func prnOrder() MedicationOrder {
	return MedicationOrder{
		ID: "prn1", PatientID: "p1", Drug: "Paracetamol", DMDCode: "322236009", Dose: Units(1000), DoseUnit: "mg",
		Route: "oral", PRN: true, MinIntervalHours: Units(4), MaxDailyDose: Units(4000), MaxDailyDoseUnit: "mg",
		Start: day1, Source: SourceSnapshot,
	}
}

// problemList renders ps as "field" for hard and "field~" for soft problems.
func problemList(ps Problems) string {
	var s []string
	for _, p := range ps {
		if p.Soft {
			s = append(s, p.Field+"~")
		} else {
			s = append(s, p.Field)
		}
	}
	return strings.Join(s, ",")
}

func TestMedicationOrder_Validate(t *testing.T) {
	tests := []struct {
		name string
		o    MedicationOrder
		edit func(*MedicationOrder)
		want string
	}{
		{"regular ok", regularOrder("o1", FreqTDS), nil, ""},
		{"times ok", regularOrder("o1", ""), func(o *MedicationOrder) { o.Times = []string{"09:00", "21:00"} }, ""},
		{"prn ok", prnOrder(), nil, ""},
		{"weekly ok", regularOrder("o1", FreqWeekly), nil, ""},
		{"empty", MedicationOrder{}, nil, "id,patient_id,drug,dose,dose_unit,route,source,start,frequency"},
		{"zero dose", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.Dose = 0 }, "dose"},
		{"bad dmd", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.DMDCode = "12a" }, "dmd_code"},
		{"snapshot without dmd", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.Source = SourceSnapshot }, "dmd_code~"},
		{"bad source", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.Source = "fax" }, "source"},
		{"stop before start", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.Stop = day1 }, "stop"},
		{"frequency and times", regularOrder("o1", FreqOD), func(o *MedicationOrder) { o.Times = []string{"08:00"} }, "times"},
		{"unknown frequency", regularOrder("o1", "Q4H"), nil, "frequency"},
		{"lower-case frequency", regularOrder("o1", "bd"), nil, "frequency"},
		{"bad times", regularOrder("o1", ""), func(o *MedicationOrder) { o.Times = []string{"8:00", "24:00", "12:60", "09:00", "09:00"} }, "times[0],times[1],times[2],times[4]"},
		{"regular without frequency", regularOrder("o1", ""), nil, "frequency"},
		{"prn without limits", prnOrder(), func(o *MedicationOrder) { o.MinIntervalHours, o.MaxDailyDose = 0, 0 }, "prn~"},
		{"max without unit", prnOrder(), func(o *MedicationOrder) { o.MaxDailyDoseUnit = "" }, "max_daily_dose_unit"},
		{"max in other unit", prnOrder(), func(o *MedicationOrder) { o.MaxDailyDoseUnit = "g" }, "max_daily_dose_unit~"},
		{"negative limits", prnOrder(), func(o *MedicationOrder) { o.MinIntervalHours, o.MaxDailyDose = -1, -1 }, "min_interval_hours,max_daily_dose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			if tt.edit != nil {
				tt.edit(&o)
			}
			if got := problemList(o.Validate()); got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMedicationOrder_JSON(t *testing.T) {
	o := prnOrder()
	o.MinIntervalHours = MustQuantity("0.5")
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"min_interval_hours":"0.5"`, `"dose":"1000"`, `"start":"2025-03-10T00:00:00Z"`, `"dmd_code":"322236009"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("json.Marshal(order) = %s, want it to contain %s", b, want)
		}
	}
	if strings.Contains(string(b), `"stop"`) {
		t.Errorf("json.Marshal(order) = %s, want no stop for an open-ended order", b)
	}
	var back MedicationOrder
	if err := json.Unmarshal(b, &back); err != nil || back.MinIntervalHours != o.MinIntervalHours || !back.Start.Equal(o.Start) || !back.Stop.IsZero() {
		t.Errorf("json round trip = %+v, %v, want %+v", back, err, o)
	}
}

func TestApplyStop(t *testing.T) {
	at := day1.Add(50 * time.Hour)
	later := day1.Add(80 * time.Hour)
	tests := []struct {
		name     string
		stop     time.Time
		s        MedicationStop
		want     time.Time
		activeAt time.Time
		active   bool
	}{
		{"open order stops at performed_at", time.Time{}, MedicationStop{OrderID: "o1"}, at, at.Add(-time.Second), true},
		{"stop is exclusive", time.Time{}, MedicationStop{OrderID: "o1"}, at, at, false},
		{"effective time wins", time.Time{}, MedicationStop{OrderID: "o1", Effective: later}, later, at, true},
		{"never extends", at, MedicationStop{OrderID: "o1", Effective: later}, at, at, false},
		{"brings forward", later, MedicationStop{OrderID: "o1"}, at, at, false},
		{"other order ignored", time.Time{}, MedicationStop{OrderID: "o2"}, time.Time{}, later, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := regularOrder("o1", FreqOD)
			o.Stop = tt.stop
			got := ApplyStop(o, tt.s, at)
			if !got.Stop.Equal(tt.want) {
				t.Errorf("ApplyStop().Stop = %v, want %v", got.Stop, tt.want)
			}
			if a := got.ActiveAt(tt.activeAt); a != tt.active {
				t.Errorf("ActiveAt(%v) = %v, want %v", tt.activeAt, a, tt.active)
			}
		})
	}
}
