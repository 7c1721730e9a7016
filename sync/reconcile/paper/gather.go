package paper

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// DocPatient is a patient's MAR and observation chart together.
const DocPatient = "patient"

// Docs are the documents a printout can be, in help order.
var Docs = []string{DocWard, DocPatient, DocMAR, DocObs, DocBeds, DocBlankObs, DocBlankMAR}

// PerPatient reports whether doc is printed per patient (so one patient
// may be chosen).
func PerPatient(doc string) bool { return doc != DocWard && doc != DocBeds }

// Source is what Gather reads: *store.DB and the app's store satisfy it.
type Source interface {
	Site(ctx context.Context) (store.SiteInfo, error)
	Wards(ctx context.Context) ([]forms.Ward, error)
	Patients(ctx context.Context, ward string) ([]store.PatientView, error)
	BedBoard(ctx context.Context, wardID string) (forms.WardBoard, error)
	Users(ctx context.Context) ([]store.User, error)
	Observations(ctx context.Context, patientID string) ([]store.ObsView, error)
	MedicineChart(ctx context.Context, patientID string, day, now time.Time) (store.MedicineChart, error)
	Events(ctx context.Context, subject, kind string) ([]lifeboat.Event, error)
}

// Job is what a printout is made from (Gather reads it from a store).
type Job struct {
	Header   Header
	Board    forms.WardBoard
	Patients []Patient // in bed order
	ByID     map[string]store.PatientView
}

// Gather reads what a printout needs from the store: the ward (by
// ID or name, else the device's own), its bed board, and its admitted
// patients in bed order with their charts, or the one patient named by
// ID, NHS number or temporary ID.
func Gather(ctx context.Context, db Source, wardArg, patientArg string, now time.Time) (Job, error) {
	var job Job
	site, err := db.Site(ctx)
	if err != nil {
		return job, fmt.Errorf("print: %w", err)
	}
	wards, err := db.Wards(ctx)
	if err != nil {
		return job, fmt.Errorf("print: %w", err)
	}
	all, err := db.Patients(ctx, "")
	if err != nil {
		return job, fmt.Errorf("print: %w", err)
	}
	job.ByID = map[string]store.PatientView{}
	for _, p := range all {
		job.ByID[p.ID] = p
	}
	var chosen []store.PatientView
	if patientArg != "" {
		p, ok := findPatient(all, patientArg)
		if !ok {
			return job, fmt.Errorf("no patient with ID, NHS number or temporary ID %q on this device", patientArg)
		}
		chosen = []store.PatientView{p}
		if wardArg == "" && p.Ward != "" {
			wardArg = p.Ward
		}
	}
	w, err := pickWard(wards, wardArg, site.Ward)
	if err != nil {
		return job, err
	}
	if job.Board, err = db.BedBoard(ctx, w.ID); err != nil {
		return job, fmt.Errorf("print: %w", err)
	}
	bedAt := map[string]int{}
	labels := map[string]string{}
	for i, b := range w.Beds {
		bedAt[b.ID], labels[b.ID] = i, b.Label
	}
	if patientArg == "" {
		for _, p := range all {
			if p.Status == store.PatientAdmitted && p.Ward == w.ID {
				chosen = append(chosen, p)
			}
		}
		order := func(p store.PatientView) int {
			if i, ok := bedAt[p.Bed]; ok {
				return i
			}
			return len(bedAt)
		}
		slices.SortStableFunc(chosen, func(a, b store.PatientView) int { return order(a) - order(b) })
	}
	users, err := db.Users(ctx)
	if err != nil {
		return job, fmt.Errorf("print: %w", err)
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	job.Header = Header{SiteID: site.SiteID, Site: site.SiteName, WardID: w.ID, Ward: w.Name, PrintedAt: now, Drill: site.Drill, Names: names}
	for _, v := range chosen {
		p := Patient{PatientView: v, Scale: 1}
		if v.Ward == w.ID {
			p.BedLabel = labels[v.Bed]
		}
		if p.Obs, err = db.Observations(ctx, v.ID); err != nil {
			return job, fmt.Errorf("print: %w", err)
		}
		if p.Scale, err = spo2Scale(ctx, db, v.ID); err != nil {
			return job, err
		}
		chart, err := db.MedicineChart(ctx, v.ID, now, now)
		if err != nil {
			return job, fmt.Errorf("print: %w", err)
		}
		p.MAR, p.Allergies, p.Weight, p.HasWeight, p.Stops = chart.MAR, chart.Allergies, chart.Weight, chart.HasWeight, chart.Stops
		job.Patients = append(job.Patients, p)
	}
	return job, nil
}

// findPatient finds a patient by internal ID, NHS number (spaces and
// dashes allowed) or temporary ID.
func findPatient(all []store.PatientView, q string) (store.PatientView, bool) {
	q = strings.TrimSpace(q)
	nhs, nhsErr := forms.ParseNHSNumber(q)
	for _, p := range all {
		if p.ID == q || (nhsErr == nil && p.NHSNumber == nhs) || (p.TempID != "" && strings.EqualFold(p.TempID, q)) {
			return p, true
		}
	}
	return store.PatientView{}, false
}

// pickWard finds the ward named by arg (ID or name), else the one named
// as this device's ward, else the only ward.
func pickWard(wards []forms.Ward, arg, deviceWard string) (forms.Ward, error) {
	names := make([]string, len(wards))
	for i, w := range wards {
		names[i] = fmt.Sprintf("%s (%s)", w.ID, w.Name)
	}
	find := func(s string) (forms.Ward, bool) {
		for _, w := range wards {
			if strings.EqualFold(w.ID, s) || strings.EqualFold(w.Name, s) {
				return w, true
			}
		}
		return forms.Ward{}, false
	}
	if arg != "" {
		if w, ok := find(arg); ok {
			return w, nil
		}
		if len(wards) == 0 {
			return forms.Ward{}, fmt.Errorf("no ward %q: no wards are set up on this device yet", arg)
		}
		return forms.Ward{}, fmt.Errorf("no ward %q: choose one of %s", arg, strings.Join(names, ", "))
	}
	if w, ok := find(deviceWard); ok {
		return w, nil
	}
	switch len(wards) {
	case 0:
		return forms.Ward{}, fmt.Errorf("no wards are set up on this device yet: nothing to print")
	case 1:
		return wards[0], nil
	}
	return forms.Ward{}, fmt.Errorf("say which ward: one of %s", strings.Join(names, ", "))
}

// spo2Scale is the patient's SpO2 scale (forms.CurrentSpO2Scale).
func spo2Scale(ctx context.Context, db Source, patientID string) (int, error) {
	evs, err := db.Events(ctx, patientID, forms.KindNEWS2Scale)
	if err != nil {
		return 0, fmt.Errorf("print: %w", err)
	}
	return forms.CurrentSpO2Scale(evs), nil
}

// Render adds doc (one of Docs) to book.
func (job Job) Render(book *Book, doc string) {
	switch doc {
	case DocWard:
		book.WardList(job.Patients)
	case DocBeds:
		book.BedBoard(job.Board, job.ByID)
	}
	if !PerPatient(doc) {
		return
	}
	for _, p := range job.Patients {
		switch doc {
		case DocPatient:
			book.MAR(p)
			book.ObsChart(p)
		case DocMAR:
			book.MAR(p)
		case DocObs:
			book.ObsChart(p)
		case DocBlankObs:
			book.BlankObs(p)
		case DocBlankMAR:
			book.BlankMAR(p)
		}
	}
}
