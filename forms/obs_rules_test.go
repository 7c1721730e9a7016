package forms

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"lifeboat"
)

func TestValidateObservations_Cases(t *testing.T) {
	tests := []struct {
		name string
		edit func(o *Observations)
		want []string // "field:hard|soft:message fragment"
	}{
		{"normal", func(o *Observations) {}, nil},
		{"partial set is fine", func(o *Observations) { o.TempC, o.Pulse, o.Consciousness = nil, nil, "" }, nil},
		{"on oxygen with flow and device", func(o *Observations) {
			o.OnOxygen, o.O2FlowLPM, o.O2Device = obsBool(true), obsFloat(2), "nasal cannula"
		}, nil},
		{"lower-case ACVPU", func(o *Observations) { o.Consciousness = "v" }, nil},
		{"no patient", func(o *Observations) { o.PatientID = "" }, []string{"patient_id:hard:Choose the patient"}},
		{"empty set", func(o *Observations) { *o = Observations{PatientID: "p1"} }, []string{":hard:Record at least one observation"}},
		{"resp rate hard low", func(o *Observations) { o.RespRate = obsInt(-1) }, []string{"resp_rate:hard:Respiratory rate must be between 0 and 80 per minute"}},
		{"resp rate hard high", func(o *Observations) { o.RespRate = obsInt(81) }, []string{"resp_rate:hard:Respiratory rate must be between 0 and 80 per minute"}},
		{"resp rate hard edge ok", func(o *Observations) { o.RespRate = obsInt(80) }, []string{"resp_rate:soft:A respiratory rate of 80 per minute is unusual: check and confirm"}},
		{"resp rate soft low", func(o *Observations) { o.RespRate = obsInt(5) }, []string{"resp_rate:soft:A respiratory rate of 5 per minute is unusual"}},
		{"resp rate soft edges ok", func(o *Observations) { o.RespRate = obsInt(6) }, nil},
		{"resp rate soft high edge ok", func(o *Observations) { o.RespRate = obsInt(40) }, nil},
		{"resp rate soft high", func(o *Observations) { o.RespRate = obsInt(41) }, []string{"resp_rate:soft:unusual"}},
		{"pulse 220", func(o *Observations) { o.Pulse = obsInt(220) }, []string{"pulse:soft:A pulse of 220 per minute is unusual: check and confirm"}},
		{"pulse 200 ok", func(o *Observations) { o.Pulse = obsInt(200) }, nil},
		{"pulse 301", func(o *Observations) { o.Pulse = obsInt(301) }, []string{"pulse:hard:Pulse must be between 0 and 300 per minute"}},
		{"pulse 29", func(o *Observations) { o.Pulse = obsInt(29) }, []string{"pulse:soft:A pulse of 29 per minute"}},
		{"spo2 101", func(o *Observations) { o.SpO2 = obsInt(101) }, []string{"spo2:hard:Oxygen saturation must be between 0 and 100%"}},
		{"spo2 69", func(o *Observations) { o.SpO2 = obsInt(69) }, []string{"spo2:soft:An oxygen saturation of 69% is unusual"}},
		{"spo2 70 ok", func(o *Observations) { o.SpO2 = obsInt(70) }, nil},
		{"systolic 301", func(o *Observations) { o.Systolic = obsInt(301) }, []string{"systolic:hard:Systolic blood pressure must be between 0 and 300 mmHg"}},
		{"systolic 255", func(o *Observations) { o.Systolic = obsInt(255) }, []string{"systolic:soft:A systolic blood pressure of 255 mmHg is unusual"}},
		{"systolic 59", func(o *Observations) { o.Systolic, o.Diastolic = obsInt(59), obsInt(35) }, []string{"systolic:soft:unusual"}},
		{"diastolic equal systolic", func(o *Observations) { o.Diastolic = obsInt(120) }, []string{"diastolic:hard:Diastolic pressure (120 mmHg) must be lower than systolic (120 mmHg)"}},
		{"diastolic above systolic", func(o *Observations) { o.Systolic, o.Diastolic = obsInt(80), obsInt(120) }, []string{"diastolic:hard:must be lower than systolic"}},
		{"diastolic without systolic", func(o *Observations) { o.Systolic = nil }, nil},
		{"diastolic 201", func(o *Observations) { o.Systolic, o.Diastolic = obsInt(250), obsInt(201) }, []string{"diastolic:hard:Diastolic blood pressure must be between 0 and 200 mmHg"}},
		{"temp 45.1", func(o *Observations) { o.TempC = obsFloat(45.1) }, []string{"temp_c:hard:Temperature must be between 20 and 45 °C"}},
		{"temp 19.9", func(o *Observations) { o.TempC = obsFloat(19.9) }, []string{"temp_c:hard:Temperature must be between 20 and 45 °C"}},
		{"temp 33.9", func(o *Observations) { o.TempC = obsFloat(33.9) }, []string{"temp_c:soft:A temperature of 33.9 °C is unusual"}},
		{"temp 41.2", func(o *Observations) { o.TempC = obsFloat(41.2) }, []string{"temp_c:soft:A temperature of 41.2 °C is unusual"}},
		{"temp NaN", func(o *Observations) { o.TempC = obsFloat(math.NaN()) }, []string{"temp_c:hard:Temperature must be a number"}},
		{"temp Inf", func(o *Observations) { o.TempC = obsFloat(math.Inf(1)) }, []string{"temp_c:hard:Temperature must be a number"}},
		{"flow on air", func(o *Observations) { o.O2FlowLPM = obsFloat(2) }, []string{"o2_flow_lpm:hard:Oxygen flow can only be recorded when the patient is on oxygen"}},
		{"flow unknown air", func(o *Observations) { o.OnOxygen, o.O2FlowLPM = nil, obsFloat(2) }, []string{"o2_flow_lpm:hard:only be recorded when the patient is on oxygen"}},
		{"device on air", func(o *Observations) { o.O2Device = "venturi 28%" }, []string{"o2_device:hard:An oxygen device can only be recorded"}},
		{"flow zero", func(o *Observations) { o.OnOxygen, o.O2FlowLPM = obsBool(true), obsFloat(0) }, []string{"o2_flow_lpm:hard:Oxygen flow must be between 0.1 and 70 litres per minute"}},
		{"flow high", func(o *Observations) { o.OnOxygen, o.O2FlowLPM = obsBool(true), obsFloat(40) }, []string{"o2_flow_lpm:soft:An oxygen flow of 40 litres per minute is unusual"}},
		{"flow NaN", func(o *Observations) { o.OnOxygen, o.O2FlowLPM = obsBool(true), obsFloat(math.NaN()) }, []string{"o2_flow_lpm:hard:Oxygen flow must be a number"}},
		{"ACVPU word", func(o *Observations) { o.Consciousness = "alert" }, []string{"consciousness:hard:Consciousness must be one of A (alert), C (new confusion), V (voice), P (pain) or U (unresponsive)"}},
		{"ACVPU GCS", func(o *Observations) { o.Consciousness = "15" }, []string{"consciousness:hard:Consciousness must be one of"}},
		{"scale 3", func(o *Observations) { o.SpO2Scale = 3 }, []string{"spo2_scale:hard:SpO2 scale must be 1 or 2, not 3"}},
		{"several at once", func(o *Observations) {
			o.RespRate, o.Pulse, o.Consciousness, o.O2FlowLPM = obsInt(90), obsInt(250), "Q", obsFloat(1)
		}, []string{"resp_rate:hard:", "pulse:soft:", "o2_flow_lpm:hard:", "consciousness:hard:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := normalObs()
			tt.edit(&o)
			ps := ValidateObservations(o)
			if len(ps) != len(tt.want) {
				t.Fatalf("ValidateObservations(%s) = %q (%d), want %d problems %q", tt.name, ps.Error(), len(ps), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				parts := strings.SplitN(w, ":", 3)
				field, kind, msg := parts[0], parts[1], parts[2]
				p := ps[i]
				if p.Field != field || p.Soft != (kind == "soft") || !strings.Contains(p.Message, msg) {
					t.Errorf("ValidateObservations(%s)[%d] = %+v, want field %q %s containing %q", tt.name, i, p, field, kind, msg)
				}
			}
		})
	}
}

func TestObsLimitFor_Known(t *testing.T) {
	for _, f := range []string{"resp_rate", "spo2", "systolic", "diastolic", "pulse", "temp_c", "o2_flow_lpm"} {
		l, ok := ObsLimitFor(f)
		if !ok || l.Min > l.SoftMin || l.SoftMin > l.SoftMax || l.SoftMax > l.Max {
			t.Errorf("ObsLimitFor(%q) = %+v, %v, want ordered limits", f, l, ok)
		}
	}
	if _, ok := ObsLimitFor("nope"); ok {
		t.Errorf("ObsLimitFor(%q) ok = true, want false", "nope")
	}
}

func TestCurrentSpO2Scale(t *testing.T) {
	set := func(scale int) lifeboat.Event {
		b, _ := json.Marshal(SpO2ScaleSetting{PatientID: "p", Scale: scale, SetBy: "u"})
		return lifeboat.Event{Kind: KindNEWS2Scale, Payload: b}
	}
	junk := lifeboat.Event{Kind: KindNEWS2Scale, Payload: []byte("{")}
	for _, tt := range []struct {
		name string
		evs  []lifeboat.Event
		want int
	}{
		{"none", nil, 1},
		{"set to 2", []lifeboat.Event{set(2)}, 2},
		{"set to 2 then back to 1", []lifeboat.Event{set(2), set(1)}, 1},
		{"an out-of-range setting is ignored", []lifeboat.Event{set(2), set(3)}, 2},
		{"an unreadable setting is ignored", []lifeboat.Event{set(2), junk}, 2},
	} {
		if got := CurrentSpO2Scale(tt.evs); got != tt.want {
			t.Errorf("%s: CurrentSpO2Scale = %d, want %d", tt.name, got, tt.want)
		}
	}
}
