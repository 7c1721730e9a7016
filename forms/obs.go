package forms

import (
	"encoding/json"

	"lifeboat"
)

// Event kinds for observations.
const (
	KindObsRecorded = "obs.recorded"       // payload Observations
	KindNEWS2Scale  = "obs.spo2_scale_set" // payload SpO2ScaleSetting
)

// Observations is the payload of obs.recorded: one set of vital signs taken
// at the event's performed_at time. A nil field was not measured; NEWS2 can
// only total a complete set.
type Observations struct {
	PatientID     string   `json:"patient_id"`
	RespRate      *int     `json:"resp_rate,omitempty"`     // breaths per minute
	SpO2          *int     `json:"spo2,omitempty"`          // percent
	SpO2Scale     int      `json:"spo2_scale,omitempty"`    // 1 or 2; 2 only if set for the patient
	OnOxygen      *bool    `json:"on_oxygen,omitempty"`     // false means room air
	O2FlowLPM     *float64 `json:"o2_flow_lpm,omitempty"`   // litres per minute, when on oxygen
	O2Device      string   `json:"o2_device,omitempty"`     // e.g. nasal cannula, venturi 28%
	Systolic      *int     `json:"systolic,omitempty"`      // mmHg
	Diastolic     *int     `json:"diastolic,omitempty"`     // mmHg
	Pulse         *int     `json:"pulse,omitempty"`         // beats per minute
	Consciousness string   `json:"consciousness,omitempty"` // ACVPU: A, C, V, P or U
	TempC         *float64 `json:"temp_c,omitempty"`        // degrees Celsius, one decimal
	Note          string   `json:"note,omitempty"`
}

// SpO2ScaleSetting is the payload of obs.spo2_scale_set: a clinician sets
// (or clears) SpO2 scale 2 for a patient with confirmed hypercapnic
// respiratory failure. Scoring uses scale 1 unless the latest setting says 2.
type SpO2ScaleSetting struct {
	PatientID string `json:"patient_id"`
	Scale     int    `json:"scale"` // 1 or 2
	SetBy     string `json:"set_by"`
	Reason    string `json:"reason,omitempty"`
}

// CurrentSpO2Scale is the scale the newest of a patient's obs.spo2_scale_set
// events (in log order) sets: 1 when there is none or none is readable.
// Scale 2 is set by a clinician, never guessed.
func CurrentSpO2Scale(settings []lifeboat.Event) int {
	scale := 1
	for _, e := range settings {
		var s SpO2ScaleSetting
		if json.Unmarshal(e.Payload, &s) == nil && (s.Scale == 1 || s.Scale == 2) {
			scale = s.Scale
		}
	}
	return scale
}
