package reconcile

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Suggestion is a known patient who may be a temporary-ID patient.
type Suggestion struct {
	PatientID string
	NHSNumber string
	Surname   string
	Given     string
	BirthDate string
	Score     int    // higher is likelier: date of birth 2, surname 2, first name 1
	Why       string // e.g. "same date of birth and surname"
}

// TempPatient is a patient still known only by a temporary downtime ID,
// with the known patients they may be, best first.
type TempPatient struct {
	forms.Patient
	Suggestions []Suggestion
}

// registrations returns the newest standing registration of each patient.
func registrations(ctx context.Context, log Log) (map[string]forms.Patient, map[string]string, error) {
	eie, err := log.EventsOfKind(ctx, lifeboat.KindEnteredInError)
	if err != nil {
		return nil, nil, fmt.Errorf("read corrections: %w", err)
	}
	cancelled := map[string]bool{}
	for _, e := range eie {
		cancelled[e.Corrects] = true
	}
	regs, err := log.EventsOfKind(ctx, forms.KindPatientRegistered)
	if err != nil {
		return nil, nil, fmt.Errorf("read patients: %w", err)
	}
	ps, last := map[string]forms.Patient{}, map[string]string{}
	for _, e := range regs {
		var p forms.Patient
		if cancelled[e.ID] || json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		ps[e.Subject], last[e.Subject] = p, e.ID
	}
	return ps, last, nil
}

// TempMatches lists every patient with a temporary ID and no NHS number,
// with suggested matches among patients who have one: same date of birth,
// or same surname and first name. Names compare without case or spaces.
func TempMatches(ctx context.Context, log Log) ([]TempPatient, error) {
	ps, _, err := registrations(ctx, log)
	if err != nil {
		return nil, err
	}
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	var out []TempPatient
	for _, p := range ps {
		if p.NHSNumber != "" {
			continue
		}
		tp := TempPatient{Patient: p}
		for _, k := range ps {
			if k.NHSNumber == "" {
				continue
			}
			var s Suggestion
			var why []string
			if k.BirthDate == p.BirthDate {
				s.Score += 2
				why = append(why, "date of birth")
			}
			if norm(k.Surname) == norm(p.Surname) {
				s.Score += 2
				why = append(why, "surname")
			}
			if norm(k.Given) == norm(p.Given) {
				s.Score++
				why = append(why, "first name")
			}
			if k.BirthDate != p.BirthDate && s.Score < 3 {
				continue
			}
			s.PatientID, s.NHSNumber, s.Surname, s.Given, s.BirthDate = k.ID, k.NHSNumber, k.Surname, k.Given, k.BirthDate
			s.Why = "same " + strings.Join(why, " and ")
			tp.Suggestions = append(tp.Suggestions, s)
		}
		slices.SortFunc(tp.Suggestions, func(a, b Suggestion) int {
			return cmp.Or(b.Score-a.Score, strings.Compare(a.NHSNumber, b.NHSNumber))
		})
		out = append(out, tp)
	}
	slices.SortFunc(out, func(a, b TempPatient) int { return strings.Compare(a.TempID, b.TempID) })
	return out, nil
}

// ConfirmMatch records that the temporary-ID patient patientID is the
// person with NHS number nhs (checked by a person against the core
// system): an amended patient.registered keeping the patient's ID and
// temporary ID. Later exports then match the core patient on the NHS number.
func ConfirmMatch(ctx context.Context, log Log, app Appender, patientID, nhs string, at time.Time) (forms.Patient, error) {
	digits, err := forms.ParseNHSNumber(nhs)
	if err != nil {
		return forms.Patient{}, fmt.Errorf("confirm match: %w", err)
	}
	ps, last, err := registrations(ctx, log)
	if err != nil {
		return forms.Patient{}, fmt.Errorf("confirm match: %w", err)
	}
	p, ok := ps[patientID]
	if !ok {
		return forms.Patient{}, fmt.Errorf("confirm match: patient %s: %w", patientID, lifeboat.ErrNotFound)
	}
	if p.NHSNumber != "" {
		return forms.Patient{}, fmt.Errorf("confirm match: patient already has NHS number %s: %w", forms.FormatNHSNumber(p.NHSNumber), lifeboat.ErrConflict)
	}
	p.NHSNumber = digits
	d := Draft{Kind: forms.KindPatientRegistered, Subject: patientID, PerformedAt: at, Corrects: last[patientID], Payload: p}
	if err := app.AppendAll(ctx, []Draft{d}); err != nil {
		return forms.Patient{}, fmt.Errorf("confirm match: %w", err)
	}
	return p, nil
}
