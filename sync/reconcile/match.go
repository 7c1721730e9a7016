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

// registrations returns the newest standing registration of each live
// patient (records merged into another are left out: their survivor
// stands for them) and the ID of that registration event.
func registrations(ctx context.Context, log Log) (map[string]forms.Patient, map[string]string, error) {
	k, err := readKnown(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	for id := range k.into {
		delete(k.ps, id)
	}
	return k.ps, k.last, nil
}

// patientLog is what the log says of every patient: the newest standing
// registration (ps, with its event ID in last), when each was first
// registered, and for each record merged away its survivor (into).
type patientLog struct {
	ps    map[string]forms.Patient
	last  map[string]string
	first map[string]lifeboat.HLC
	into  map[string]string
}

func readKnown(ctx context.Context, log Log) (patientLog, error) {
	eie, err := log.EventsOfKind(ctx, lifeboat.KindEnteredInError)
	if err != nil {
		return patientLog{}, fmt.Errorf("read corrections: %w", err)
	}
	cancelled := map[string]bool{}
	for _, e := range eie {
		cancelled[e.Corrects] = true
	}
	regs, err := log.EventsOfKind(ctx, forms.KindPatientRegistered)
	if err != nil {
		return patientLog{}, fmt.Errorf("read patients: %w", err)
	}
	k := patientLog{ps: map[string]forms.Patient{}, last: map[string]string{}, first: map[string]lifeboat.HLC{}}
	for _, e := range regs {
		var p forms.Patient
		if cancelled[e.ID] || json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		k.ps[e.Subject], k.last[e.Subject] = p, e.ID
		if _, ok := k.first[e.Subject]; !ok {
			k.first[e.Subject] = e.HLC
		}
	}
	mes, err := log.EventsOfKind(ctx, forms.KindPatientMerged)
	if err != nil {
		return patientLog{}, fmt.Errorf("read merges: %w", err)
	}
	var ms []forms.PatientMerge
	for _, e := range mes {
		var m forms.PatientMerge
		if cancelled[e.ID] || json.Unmarshal(e.Payload, &m) != nil {
			continue
		}
		ms = append(ms, m)
	}
	k.into = forms.MergeRoots(ms)
	return k, nil
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
// system). When no other live record holds that number it is an amended
// patient.registered keeping the patient's ID and temporary ID; later
// exports then match the core patient on the NHS number. When another
// live record already holds it, the two are merged (patient.merged, the
// record holding the number survives): every event of the temporary
// record then reads as the survivor's, nothing is deleted and the
// temporary ID stays findable. Never two live records with one NHS
// number: a merge that is not safe (forms.MergeProblems: a different
// date of birth or name) is refused with the way forward, as is a number
// already shared by two records (merge those first). It returns the
// patient as they now stand (the survivor after a merge).
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
	var holders []forms.Patient
	for id, k := range ps {
		if d, err := forms.ParseNHSNumber(k.NHSNumber); id != patientID && err == nil && d == digits {
			holders = append(holders, k)
		}
	}
	switch len(holders) {
	case 0:
		p.NHSNumber = digits
		d := Draft{Kind: forms.KindPatientRegistered, Subject: patientID, PerformedAt: at, Corrects: last[patientID], Payload: p}
		if err := app.AppendAll(ctx, []Draft{d}); err != nil {
			return forms.Patient{}, fmt.Errorf("confirm match: %w", err)
		}
		return p, nil
	case 1:
	default:
		return forms.Patient{}, fmt.Errorf("confirm match: %w", forms.Problems{{Field: "nhs_number", Message: fmt.Sprintf(
			"NHS number %s is already held by %d records here: merge those first (Worklist, records to merge), then match this one",
			forms.FormatNHSNumber(digits), len(holders))}})
	}
	survivor := holders[0]
	if err := mergeRecords(ctx, app, survivor, p, digits, "temporary ID "+p.TempID+" matched to NHS number "+forms.FormatNHSNumber(digits)+" in the core system", at); err != nil {
		return forms.Patient{}, fmt.Errorf("confirm match: %w", err)
	}
	return survivor, nil
}

// mergeRecords checks and records merging merged into survivor.
func mergeRecords(ctx context.Context, app Appender, survivor, merged forms.Patient, nhs, reason string, at time.Time) error {
	if ps := forms.MergeProblems(survivor, merged, nhs); len(ps) > 0 {
		return ps
	}
	m := forms.PatientMerge{SurvivorID: survivor.ID, MergedID: merged.ID, NHSNumber: nhs, TempID: merged.TempID, Reason: reason}
	return app.AppendAll(ctx, []Draft{{Kind: forms.KindPatientMerged, Subject: survivor.ID, PerformedAt: at, Payload: m}})
}

// SharedRecords is a set of live records holding one NHS number: one
// person registered twice (most often on both sides of a network split).
// Survivor is the record registered first, which every device picks the
// same; Others are merged into it.
type SharedRecords struct {
	NHSNumber string
	Survivor  forms.Patient
	Others    []forms.Patient
}

// SharedNHS lists every NHS number held by more than one live record, by
// number. Each is a merge task on the back-entry worklist.
func SharedNHS(ctx context.Context, log Log) ([]SharedRecords, error) {
	k, err := readKnown(ctx, log)
	if err != nil {
		return nil, err
	}
	var live []forms.Patient
	for id, p := range k.ps {
		if _, gone := k.into[id]; !gone {
			p.ID = id
			live = append(live, p)
		}
	}
	slices.SortFunc(live, func(a, b forms.Patient) int {
		return cmp.Or(k.first[a.ID].Compare(k.first[b.ID]), strings.Compare(a.ID, b.ID))
	})
	var out []SharedRecords
	for nhs, g := range forms.SharedNHSNumbers(live) {
		out = append(out, SharedRecords{NHSNumber: nhs, Survivor: g[0], Others: g[1:]})
	}
	slices.SortFunc(out, func(a, b SharedRecords) int { return strings.Compare(a.NHSNumber, b.NHSNumber) })
	return out, nil
}

// MergeShared merges the live record mergedID into survivorID, two
// records holding one NHS number, after a person checked they are one
// patient (reason says how). It refuses, with the way forward, when they
// do not hold the same number or disagree on who the person is
// (forms.MergeProblems).
func MergeShared(ctx context.Context, log Log, app Appender, survivorID, mergedID, reason string, at time.Time) error {
	ps, _, err := registrations(ctx, log)
	if err != nil {
		return fmt.Errorf("merge records: %w", err)
	}
	s, ok1 := ps[survivorID]
	m, ok2 := ps[mergedID]
	if !ok1 || !ok2 {
		return fmt.Errorf("merge records: %w", lifeboat.ErrNotFound)
	}
	sd, err1 := forms.ParseNHSNumber(s.NHSNumber)
	md, err2 := forms.ParseNHSNumber(m.NHSNumber)
	if err1 != nil || err2 != nil || sd != md {
		return fmt.Errorf("merge records: %w", forms.Problems{{Field: "nhs_number",
			Message: "These records do not hold the same NHS number: match a temporary ID on the Temp IDs tab instead"}})
	}
	if err := mergeRecords(ctx, app, s, m, sd, reason, at); err != nil {
		return fmt.Errorf("merge records: %w", err)
	}
	return nil
}
