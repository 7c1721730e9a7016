package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"lifeboat/forms"
	"lifeboat/store"
)

// loadWards is how many other wards a loaded demo site has; each has
// loadBeds beds, all occupied.
const (
	loadWards = 30
	loadBeds  = 24
)

// addLoad grows a demo store by about n events, as a whole site's week of
// downtime relayed to this ward: loadWards other wards, each full of
// made-up patients with an order each, then observation sets and handover
// notes round-robin across
// them, four-hourly, back from now. It is for measuring launch time and
// memory with a big store (make bench); the demo ward itself is unchanged.
func addLoad(ctx context.Context, db *store.DB, admin, s *store.Session, n int, now time.Time) error {
	const batch = 2000
	var drafts []store.Draft
	written := 0
	flush := func() error {
		if len(drafts) == 0 {
			return nil
		}
		if _, err := db.AppendAll(ctx, s, drafts); err != nil {
			return fmt.Errorf("add load: %w", err)
		}
		written += len(drafts)
		drafts = drafts[:0]
		return nil
	}
	add := func(kind, subject string, at time.Time, payload any) error {
		drafts = append(drafts, store.Draft{Kind: kind, Subject: subject, PerformedAt: at, Payload: payload})
		if len(drafts) == batch {
			return flush()
		}
		return nil
	}

	start := now.Add(-7 * 24 * time.Hour).Truncate(time.Hour)
	type bedPatient struct{ id, ward string }
	var patients []bedPatient
	for w := 1; w <= loadWards; w++ {
		ward := forms.Ward{ID: fmt.Sprintf("load-w%d", w), Name: fmt.Sprintf("Ward %d (site)", w)}
		for b := 1; b <= loadBeds; b++ {
			ward.Beds = append(ward.Beds, forms.BedDef{ID: fmt.Sprintf("b%d", b), Label: fmt.Sprintf("Bed %d", b)})
		}
		// Wards come with the census, which an IT admin imports.
		if err := flush(); err != nil {
			return err
		}
		if _, err := db.Append(ctx, admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: start, Payload: ward}); err != nil {
			return fmt.Errorf("add load: %w", err)
		}
		written++
		for b := 1; b <= loadBeds && written+len(drafts)+4 < n; b++ {
			k := len(patients)
			id := uuid.Must(uuid.NewV7()).String()
			p := forms.Patient{ID: id, NHSNumber: demoNHS(1000 + k), Surname: fmt.Sprintf("Loadtest%d", k), Given: "Pat",
				BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 30+k%60, 1+k%12, 1+k%28), Sex: []string{"female", "male"}[k%2]}
			order := forms.MedicationOrder{ID: uuid.Must(uuid.NewV7()).String(), PatientID: id, Drug: "Paracetamol 500 mg tablets",
				Dose: forms.MustQuantity("1"), DoseUnit: "g", Route: "oral", Frequency: "QDS", Start: start, Source: forms.SourceSnapshot}
			for _, e := range []struct {
				kind    string
				payload any
			}{
				{forms.KindPatientRegistered, p},
				{forms.KindPatientAdmitted, forms.Admission{PatientID: id, Ward: ward.ID, Bed: fmt.Sprintf("b%d", b), Reason: "Acute medical take"}},
				{forms.KindMedOrdered, order},
			} {
				if err := add(e.kind, id, start, e.payload); err != nil {
					return err
				}
			}
			patients = append(patients, bedPatient{id, ward.ID})
		}
	}
	if len(patients) == 0 {
		return flush()
	}
	for i := 0; written+len(drafts) < n; i++ {
		p := patients[i%len(patients)]
		round := i / len(patients)
		at := start.Add(time.Duration(round)*4*time.Hour + time.Duration(i%len(patients))*time.Second)
		if at.After(now) {
			at = now.Add(-time.Duration(i%3600) * time.Second)
		}
		var err error
		if i%3 < 2 {
			err = add(forms.KindObsRecorded, p.id, at, demoObs(p.id, i%3, round%6, 6))
		} else {
			err = add(forms.KindHandoverNote, p.id, at, forms.HandoverNote{ID: uuid.Must(uuid.NewV7()).String(), PatientID: p.id,
				Ward: p.ward, Text: "Settled; observations stable. Eating and drinking."})
		}
		if err != nil {
			return err
		}
	}
	return flush()
}
