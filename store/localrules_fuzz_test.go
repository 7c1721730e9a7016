package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// FuzzContentRules: a peer's payload reaches the content rules (from
// RecordReview and the observation chart) whatever it holds. A rule never
// panics, gives the same verdict every time (every device must flag the
// same records), and a local record it faults is refused as invalid.
func FuzzContentRules(f *testing.F) {
	f.Add(forms.KindObsRecorded, []byte(`{"patient_id":"p","spo2":150,"resp_rate":18}`))
	f.Add(forms.KindObsRecorded, []byte(`{"patient_id":"p","temp_c":1e309}`))
	f.Add(forms.KindObsRecorded, []byte(`{"patient_id":"p","systolic":90,"diastolic":120,"o2_flow_lpm":-1}`))
	f.Add(forms.KindObsRecorded, []byte(`{"patient_id":""}`))
	f.Add(forms.KindPatientRegistered, []byte(`{"id":"p","surname":"A","given":"B","birth_date":"2000-01-01","nhs_number":"1234567890"}`))
	f.Add(forms.KindPatientRegistered, []byte(`{"id":"p","nhs_number":"943 476 5919"}`))
	f.Add(forms.KindPatientRegistered, []byte(`{"nhs_number":12}`))
	f.Add(forms.KindPatientRegistered, []byte(`[`))
	kinds := []string{forms.KindObsRecorded, forms.KindPatientRegistered}
	f.Fuzz(func(t *testing.T, kind string, payload []byte) {
		if !slices.Contains(kinds, kind) {
			kind = kinds[len(payload)%len(kinds)]
		}
		e := lifeboat.Event{ID: "e", Kind: kind, Subject: "p", RecordedAt: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC), Payload: payload}
		ps := contentRules[kind](&e)
		again := contentRules[kind](&e)
		if !slices.Equal(ps, again) {
			t.Fatalf("verdict changed: %v then %v", ps, again)
		}
		for _, p := range ps {
			if p.Soft || p.Message == "" {
				t.Fatalf("a content rule gave a soft or empty problem: %+v", p)
			}
		}
		err := checkContent(&e)
		if (err != nil) != (len(ps) > 0) {
			t.Fatalf("checkContent = %v with problems %v", err, ps)
		}
		if err != nil && !errors.Is(err, lifeboat.ErrInvalid) {
			t.Fatalf("checkContent = %v, want ErrInvalid", err)
		}
	})
}
