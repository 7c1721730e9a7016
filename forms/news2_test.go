package forms

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func obsInt(v int) *int              { return &v }
func obsFloat(v float64) *float64    { return &v }
func obsBool(v bool) *bool           { return &v }
func (n NEWS2) sub(p NEWS2Param) int { return n.Sub[p] }

// normalObs scores 0 in every parameter on scale 1.
func normalObs() Observations {
	return Observations{
		PatientID:     "p1",
		RespRate:      obsInt(16),
		SpO2:          obsInt(98),
		OnOxygen:      obsBool(false),
		Systolic:      obsInt(120),
		Diastolic:     obsInt(80),
		Pulse:         obsInt(70),
		Consciousness: "A",
		TempC:         obsFloat(37.0),
	}
}

func TestScoreNEWS2_RespRateEdges(t *testing.T) {
	tests := []struct{ v, want int }{
		{0, 3}, {8, 3}, {9, 1}, {11, 1}, {12, 0}, {20, 0}, {21, 2}, {24, 2}, {25, 3}, {60, 3},
	}
	for _, tt := range tests {
		o := normalObs()
		o.RespRate = obsInt(tt.v)
		if got := ScoreNEWS2(o, 1).sub(ParamRespRate); got != tt.want {
			t.Errorf("ScoreNEWS2(resp rate %d) sub-score = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestScoreNEWS2_SpO2Scale1Edges(t *testing.T) {
	tests := []struct {
		v    int
		o2   bool
		want int
	}{
		{50, false, 3}, {91, false, 3}, {92, false, 2}, {93, false, 2}, {94, false, 1}, {95, false, 1}, {96, false, 0}, {100, false, 0},
		// On scale 1 oxygen scores only in its own row, never in SpO2.
		{91, true, 3}, {96, true, 0}, {100, true, 0},
	}
	for _, tt := range tests {
		o := normalObs()
		o.SpO2, o.OnOxygen = obsInt(tt.v), obsBool(tt.o2)
		if got := ScoreNEWS2(o, 1).sub(ParamSpO2); got != tt.want {
			t.Errorf("ScoreNEWS2(SpO2 %d, oxygen %v, scale 1) sub-score = %d, want %d", tt.v, tt.o2, got, tt.want)
		}
	}
}

func TestScoreNEWS2_SpO2Scale2Edges(t *testing.T) {
	tests := []struct {
		v    int
		o2   bool
		want int
	}{
		{70, false, 3}, {83, false, 3}, {84, false, 2}, {85, false, 2}, {86, false, 1}, {87, false, 1},
		{88, false, 0}, {92, false, 0}, {93, false, 0}, {97, false, 0}, {100, false, 0},
		{83, true, 3}, {84, true, 2}, {85, true, 2}, {86, true, 1}, {87, true, 1}, {88, true, 0}, {92, true, 0},
		{93, true, 1}, {94, true, 1}, {95, true, 2}, {96, true, 2}, {97, true, 3}, {100, true, 3},
	}
	for _, tt := range tests {
		o := normalObs()
		o.SpO2, o.OnOxygen = obsInt(tt.v), obsBool(tt.o2)
		n := ScoreNEWS2(o, 2)
		if got := n.sub(ParamSpO2); got != tt.want || n.Scale != 2 {
			t.Errorf("ScoreNEWS2(SpO2 %d, oxygen %v, scale 2) sub-score = %d (scale %d), want %d (scale 2)", tt.v, tt.o2, got, n.Scale, tt.want)
		}
	}
}

func TestScoreNEWS2_ScaleChoice(t *testing.T) {
	// 88% on air: 3 on scale 1, 0 on scale 2. Only the caller's scale
	// (the patient's latest setting) counts, not the payload's field.
	tests := []struct {
		scale, payloadScale, wantScale, want int
	}{
		{1, 0, 1, 3},
		{2, 0, 2, 0},
		{0, 2, 1, 3},
		{3, 0, 1, 3},
		{2, 1, 2, 0},
	}
	for _, tt := range tests {
		o := normalObs()
		o.SpO2, o.SpO2Scale = obsInt(88), tt.payloadScale
		n := ScoreNEWS2(o, tt.scale)
		if n.Scale != tt.wantScale || n.sub(ParamSpO2) != tt.want {
			t.Errorf("ScoreNEWS2(SpO2 88, payload scale %d, scale %d) = scale %d sub-score %d, want scale %d sub-score %d",
				tt.payloadScale, tt.scale, n.Scale, n.sub(ParamSpO2), tt.wantScale, tt.want)
		}
	}
}

func TestScoreNEWS2_Scale2NeedsAirOrOxygen(t *testing.T) {
	o := normalObs()
	o.SpO2, o.OnOxygen = obsInt(95), nil
	n := ScoreNEWS2(o, 2)
	if _, ok := n.Score(ParamSpO2); ok || n.Complete {
		t.Errorf("ScoreNEWS2(SpO2 95, air/oxygen unknown, scale 2) = SpO2 scored %v, complete %v, want neither", n.Have[ParamSpO2], n.Complete)
	}
	want := []NEWS2Param{ParamSpO2, ParamAirOxygen}
	if !slices.Equal(n.Missing, want) {
		t.Errorf("ScoreNEWS2(SpO2 95, air/oxygen unknown, scale 2).Missing = %v, want %v", n.Missing, want)
	}
	o.SpO2 = obsInt(90) // 88-92 scores 0 whatever the oxygen
	n = ScoreNEWS2(o, 2)
	if s, ok := n.Score(ParamSpO2); !ok || s != 0 {
		t.Errorf("ScoreNEWS2(SpO2 90, air/oxygen unknown, scale 2) SpO2 = %d, %v, want 0, true", s, ok)
	}
}

func TestScoreNEWS2_AirOxygen(t *testing.T) {
	for _, tt := range []struct {
		o2   bool
		want int
	}{{false, 0}, {true, 2}} {
		o := normalObs()
		o.OnOxygen = obsBool(tt.o2)
		if got := ScoreNEWS2(o, 1).sub(ParamAirOxygen); got != tt.want {
			t.Errorf("ScoreNEWS2(oxygen %v) air/oxygen sub-score = %d, want %d", tt.o2, got, tt.want)
		}
	}
}

func TestScoreNEWS2_SystolicEdges(t *testing.T) {
	tests := []struct{ v, want int }{
		{40, 3}, {90, 3}, {91, 2}, {100, 2}, {101, 1}, {110, 1}, {111, 0}, {219, 0}, {220, 3}, {280, 3},
	}
	for _, tt := range tests {
		o := normalObs()
		o.Systolic, o.Diastolic = obsInt(tt.v), obsInt(30)
		if got := ScoreNEWS2(o, 1).sub(ParamSystolic); got != tt.want {
			t.Errorf("ScoreNEWS2(systolic %d) sub-score = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestScoreNEWS2_PulseEdges(t *testing.T) {
	tests := []struct{ v, want int }{
		{20, 3}, {40, 3}, {41, 1}, {50, 1}, {51, 0}, {90, 0}, {91, 1}, {110, 1}, {111, 2}, {130, 2}, {131, 3}, {200, 3},
	}
	for _, tt := range tests {
		o := normalObs()
		o.Pulse = obsInt(tt.v)
		if got := ScoreNEWS2(o, 1).sub(ParamPulse); got != tt.want {
			t.Errorf("ScoreNEWS2(pulse %d) sub-score = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestScoreNEWS2_Consciousness(t *testing.T) {
	tests := []struct {
		v    string
		want int
		ok   bool
	}{
		{"A", 0, true}, {"a", 0, true}, {" A ", 0, true},
		{"C", 3, true}, {"V", 3, true}, {"P", 3, true}, {"U", 3, true}, {"u", 3, true},
		{"", 0, false}, {"X", 0, false}, {"Alert", 0, false},
	}
	for _, tt := range tests {
		o := normalObs()
		o.Consciousness = tt.v
		got, ok := ScoreNEWS2(o, 1).Score(ParamConsciousness)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ScoreNEWS2(consciousness %q) = %d, %v, want %d, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestScoreNEWS2_TemperatureEdges(t *testing.T) {
	tests := []struct {
		v    float64
		want int
	}{
		{30.0, 3}, {34.9, 3}, {35.0, 3}, {35.04, 3}, {35.1, 1}, {35.06, 1}, {36.0, 1},
		{36.1, 0}, {37.0, 0}, {37.5, 0}, {38.0, 0}, {37.99999, 0},
		{38.1, 1}, {38.09999, 1}, {39.0, 1}, {39.1, 2}, {41.5, 2},
		// Floats that are not exactly the tenth they print as.
		{35.1 + 1e-12, 1}, {35.1 - 1e-12, 1}, {36.1 - 1e-12, 0}, {38.1 - 1e-12, 1}, {39.1 - 1e-12, 2},
		{0.1 + 0.2 + 35.7, 1}, // 36.00000000000001
	}
	for _, tt := range tests {
		o := normalObs()
		o.TempC = obsFloat(tt.v)
		if got := ScoreNEWS2(o, 1).sub(ParamTemperature); got != tt.want {
			t.Errorf("ScoreNEWS2(temperature %v) sub-score = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestScoreNEWS2_Totals(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(o *Observations)
		scale  int
		total  int
		single bool
		band   Band
		freq   time.Duration
		cont   bool
		resp   string
	}{
		{"all normal", func(o *Observations) {}, 1, 0, false, BandNone, 12 * time.Hour, false, "at least every 12 hours"},
		{"total 1", func(o *Observations) { o.Pulse = obsInt(95) }, 1, 1, false, BandLow, 4 * time.Hour, false, "every 4 hours"},
		{"total 4 no 3", func(o *Observations) { o.OnOxygen = obsBool(true); o.RespRate = obsInt(22) }, 1, 4, false, BandLow, 4 * time.Hour, false, "registered nurse"},
		{"single 3 total 3", func(o *Observations) { o.Consciousness = "C" }, 1, 3, true, BandLowMedium, time.Hour, false, "Urgent ward-based response"},
		{"single 3 total 4", func(o *Observations) { o.RespRate = obsInt(8); o.Pulse = obsInt(95) }, 1, 4, true, BandLowMedium, time.Hour, false, "Urgent ward-based response"},
		{"total 5", func(o *Observations) { o.OnOxygen = obsBool(true); o.Pulse = obsInt(115); o.TempC = obsFloat(38.5) }, 1, 5, false, BandMedium, time.Hour, false, "Urgent response"},
		{"total 6 with a 3", func(o *Observations) { o.Systolic = obsInt(90); o.Pulse = obsInt(115); o.TempC = obsFloat(38.5) }, 1, 6, true, BandMedium, time.Hour, false, "Urgent response"},
		{"total 7", func(o *Observations) {
			o.Systolic = obsInt(90)
			o.Pulse = obsInt(115)
			o.SpO2 = obsInt(94)
			o.TempC = obsFloat(38.5)
		}, 1, 7, true, BandHigh, 15 * time.Minute, true, "Emergency response: inform the medical team immediately"},
		{"total 20", func(o *Observations) {
			o.RespRate, o.SpO2, o.OnOxygen, o.Systolic, o.Pulse, o.Consciousness, o.TempC = obsInt(30), obsInt(80), obsBool(true), obsInt(80), obsInt(150), "U", obsFloat(34.0)
		}, 1, 20, true, BandHigh, 15 * time.Minute, true, "continuous monitoring"},
		{"max on scale 2", func(o *Observations) {
			o.RespRate, o.SpO2, o.OnOxygen, o.Systolic, o.Pulse, o.Consciousness, o.TempC = obsInt(30), obsInt(98), obsBool(true), obsInt(80), obsInt(150), "U", obsFloat(34.0)
		}, 2, 20, true, BandHigh, 15 * time.Minute, true, "continuous monitoring"},
		{"scale 2 target range on air", func(o *Observations) { o.SpO2 = obsInt(89) }, 2, 0, false, BandNone, 12 * time.Hour, false, "12 hours"},
		{"scale 2 on oxygen 95", func(o *Observations) { o.SpO2 = obsInt(95); o.OnOxygen = obsBool(true) }, 2, 4, false, BandLow, 4 * time.Hour, false, "4 hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := normalObs()
			tt.edit(&o)
			n := ScoreNEWS2(o, tt.scale)
			if !n.Complete || n.Total != tt.total || n.Partial != tt.total || n.AnySingle3 != tt.single || n.Band != tt.band {
				t.Errorf("ScoreNEWS2(%s) = complete %v total %d single-3 %v band %s, want complete true total %d single-3 %v band %s (sub %v)",
					tt.name, n.Complete, n.Total, n.AnySingle3, n.Band, tt.total, tt.single, tt.band, n.Sub)
			}
			if n.Frequency != tt.freq || n.Continuous != tt.cont {
				t.Errorf("ScoreNEWS2(%s) frequency = %v continuous %v, want %v continuous %v", tt.name, n.Frequency, n.Continuous, tt.freq, tt.cont)
			}
			if !strings.Contains(n.Response, tt.resp) {
				t.Errorf("ScoreNEWS2(%s).Response = %q, want it to contain %q", tt.name, n.Response, tt.resp)
			}
			if len(n.Missing) != 0 {
				t.Errorf("ScoreNEWS2(%s).Missing = %v, want none", tt.name, n.Missing)
			}
		})
	}
}

// TestScoreNEWS2_UKCoreExample scores the readings of the UK Core example
// bundle (reference/ukcore-examples-xml/UKCore-Bundle-NEWS2Observations-
// Example.xml, effective 2018-10-04T14:17:59+01:00). The example scores
// 37.5 C as 1 and totals 6; by the RCP chart 36.1-38.0 C scores 0, so the
// right total is 5 (see reference/README.md). The readings are hard-coded
// here so the test does not depend on parsing XML.
func TestScoreNEWS2_UKCoreExample(t *testing.T) {
	o := Observations{
		RespRate:      obsInt(21),     // 9279-1, breaths/min: 2
		Pulse:         obsInt(95),     // 8867-4, beats/min: 1
		SpO2:          obsInt(93),     // 2708-6, %, scale 1: 2
		OnOxygen:      obsBool(false), // 722742002 breathing room air: 0
		TempC:         obsFloat(37.5), // 8310-5, Cel: 0 (the example says 1)
		Systolic:      obsInt(120),    // 8480-6, mm[Hg]: 0
		Diastolic:     obsInt(60),     // 8462-4
		Consciousness: "A",            // 248234008 mentally alert: 0
	}
	n := ScoreNEWS2(o, 1)
	wantSub := [numNEWS2Params]int{ParamRespRate: 2, ParamSpO2: 2, ParamAirOxygen: 0, ParamSystolic: 0, ParamPulse: 1, ParamConsciousness: 0, ParamTemperature: 0}
	if n.Sub != wantSub {
		t.Errorf("ScoreNEWS2(UK Core example).Sub = %v, want %v", n.Sub, wantSub)
	}
	if !n.Complete || n.Total != 5 || n.Band != BandMedium || n.AnySingle3 {
		t.Errorf("ScoreNEWS2(UK Core example) = complete %v total %d band %s single-3 %v, want complete true total 5 band medium single-3 false",
			n.Complete, n.Total, n.Band, n.AnySingle3)
	}
}

func TestScoreNEWS2_Incomplete(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(o *Observations)
		missing []NEWS2Param
		partial int
		single  bool
		freq    time.Duration
		cont    bool
		resp    []string
	}{
		{"nothing", func(o *Observations) { *o = Observations{} }, NEWS2Params, 0, false, time.Hour, false,
			[]string{"Incomplete observations: record respiration rate, oxygen saturation, air or oxygen, systolic blood pressure, pulse, consciousness and temperature now"}},
		{"no temperature", func(o *Observations) { o.TempC = nil }, []NEWS2Param{ParamTemperature}, 0, false, time.Hour, false,
			[]string{"record temperature now"}},
		{"no consciousness, single 3", func(o *Observations) { o.Consciousness = ""; o.Pulse = obsInt(35) }, []NEWS2Param{ParamConsciousness}, 3, true, time.Hour, false,
			[]string{"record consciousness", "Urgent ward-based response"}},
		{"no pulse, already 7", func(o *Observations) {
			o.Pulse, o.RespRate, o.Systolic, o.OnOxygen = nil, obsInt(26), obsInt(95), obsBool(true)
		}, []NEWS2Param{ParamPulse}, 7, true, 15 * time.Minute, true, []string{"record pulse", "Emergency response"}},
		{"unknown ACVPU letter", func(o *Observations) { o.Consciousness = "Z" }, []NEWS2Param{ParamConsciousness}, 0, false, time.Hour, false, nil},
		{"NaN temperature", func(o *Observations) { o.TempC = obsFloat(obsNaN()) }, []NEWS2Param{ParamTemperature}, 0, false, time.Hour, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := normalObs()
			tt.edit(&o)
			n := ScoreNEWS2(o, 1)
			if n.Complete || n.Total != 0 || n.Band != BandIncomplete {
				t.Errorf("ScoreNEWS2(%s) = complete %v total %d band %s, want complete false total 0 band incomplete", tt.name, n.Complete, n.Total, n.Band)
			}
			if !slices.Equal(n.Missing, tt.missing) || n.Partial != tt.partial || n.AnySingle3 != tt.single {
				t.Errorf("ScoreNEWS2(%s) = missing %v partial %d single-3 %v, want missing %v partial %d single-3 %v",
					tt.name, n.Missing, n.Partial, n.AnySingle3, tt.missing, tt.partial, tt.single)
			}
			if n.Frequency != tt.freq || n.Continuous != tt.cont {
				t.Errorf("ScoreNEWS2(%s) frequency = %v continuous %v, want %v continuous %v", tt.name, n.Frequency, n.Continuous, tt.freq, tt.cont)
			}
			for _, r := range tt.resp {
				if !strings.Contains(n.Response, r) {
					t.Errorf("ScoreNEWS2(%s).Response = %q, want it to contain %q", tt.name, n.Response, r)
				}
			}
		})
	}
}

func TestNextObsDue_Bands(t *testing.T) {
	at := time.Date(2025, 6, 15, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(o *Observations)
		want time.Time
	}{
		{"0: 12 hours", func(o *Observations) {}, at.Add(12 * time.Hour)},
		{"1-4: 4 hours", func(o *Observations) { o.Pulse = obsInt(95) }, at.Add(4 * time.Hour)},
		{"single 3: 1 hour", func(o *Observations) { o.Consciousness = "V" }, at.Add(time.Hour)},
		{"5-6: 1 hour", func(o *Observations) { o.Systolic = obsInt(85); o.OnOxygen = obsBool(true) }, at.Add(time.Hour)},
		{"7+: 15 minutes", func(o *Observations) { o.Systolic = obsInt(85); o.OnOxygen = obsBool(true); o.RespRate = obsInt(22) }, at.Add(15 * time.Minute)},
		{"incomplete: 1 hour", func(o *Observations) { o.Pulse = nil }, at.Add(time.Hour)},
	}
	for _, tt := range tests {
		o := normalObs()
		tt.edit(&o)
		if got := NextObsDue(at, ScoreNEWS2(o, 1)); !got.Equal(tt.want) {
			t.Errorf("NextObsDue(%v, %s) = %v, want %v", at, tt.name, got, tt.want)
		}
	}
	if got := NextObsDue(at, NEWS2{}); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("NextObsDue(%v, NEWS2{}) = %v, want %v", at, got, at.Add(time.Hour))
	}
}

func TestOverdue_Cases(t *testing.T) {
	due := time.Date(2025, 6, 15, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		now, due time.Time
		want     bool
	}{
		{due.Add(-time.Second), due, false},
		{due, due, false},
		{due.Add(time.Second), due, true},
		{due, time.Time{}, false},
	}
	for _, tt := range tests {
		if got := Overdue(tt.now, tt.due); got != tt.want {
			t.Errorf("Overdue(%v, %v) = %v, want %v", tt.now, tt.due, got, tt.want)
		}
	}
}

func TestNEWS2Param_String(t *testing.T) {
	for _, p := range NEWS2Params {
		if s := p.String(); s == "" || s == "unknown parameter" {
			t.Errorf("NEWS2Param(%d).String() = %q, want a name", int(p), s)
		}
	}
	if s := NEWS2Param(99).String(); s != "unknown parameter" {
		t.Errorf("NEWS2Param(99).String() = %q, want %q", s, "unknown parameter")
	}
	if _, ok := (NEWS2{}).Score(NEWS2Param(-1)); ok {
		t.Errorf("NEWS2{}.Score(-1) ok = true, want false")
	}
}

func obsNaN() float64 { z := 0.0; return z / z }
