package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"lifeboat"
	"lifeboat/forms"
)

// ImportResult says what an import did.
type ImportResult struct {
	Counts ImportCounts
	Events int // events appended, the census.imported record included
}

// Import plans a census against what the log already holds and appends
// the whole plan in one transaction. Patients are matched on NHS number:
// a known patient keeps their ID and gets a new registration only when
// their details changed, a move only when their ward or bed changed, and
// only the medicines not already on their snapshot orders. Snapshot orders
// missing from the census are stopped as of the census time. A census
// older than one already imported is refused (lifeboat.ErrConflict).
func Import(ctx context.Context, log Log, app Appender, c Census) (ImportResult, error) {
	kn, err := loadKnown(ctx, log)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", c.Source, err)
	}
	drafts, counts, err := plan(c, kn, func() string { return uuid.Must(uuid.NewV7()).String() })
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", c.Source, err)
	}
	if err := app.AppendAll(ctx, drafts); err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", c.Source, err)
	}
	return ImportResult{Counts: counts, Events: len(drafts)}, nil
}

// known is the part of the log an import compares against.
type known struct {
	byNHS  map[string]*knownPatient
	latest time.Time // newest census as_of imported
}

type knownPatient struct {
	reg         forms.Patient
	regEvent    string
	ward, bed   string
	onWard      bool
	orders      map[string]forms.MedicationOrder // live snapshot orders by ID
	orderEvents map[string]string                // order ID -> event ID
}

// importKinds are the kinds loadKnown reads.
var importKinds = []string{lifeboat.KindEnteredInError, forms.KindPatientRegistered, forms.KindPatientAdmitted,
	forms.KindPatientTransferred, forms.KindPatientDischarged, forms.KindMedOrdered, forms.KindMedStopped, KindCensusImported}

func loadKnown(ctx context.Context, log Log) (*known, error) {
	byKind := map[string][]lifeboat.Event{}
	for _, k := range importKinds {
		evs, err := log.EventsOfKind(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		byKind[k] = evs
	}
	cancelled := map[string]bool{}
	for _, e := range byKind[lifeboat.KindEnteredInError] {
		cancelled[e.Corrects] = true
	}
	kn := &known{byNHS: map[string]*knownPatient{}}
	byID := map[string]*knownPatient{}
	for _, e := range byKind[forms.KindPatientRegistered] {
		if cancelled[e.ID] {
			continue
		}
		var p forms.Patient
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		kp := byID[e.Subject]
		if kp == nil {
			kp = &knownPatient{orders: map[string]forms.MedicationOrder{}, orderEvents: map[string]string{}}
			byID[e.Subject] = kp
		}
		kp.reg, kp.regEvent = p, e.ID
	}
	for _, kp := range byID {
		if kp.reg.NHSNumber != "" {
			kn.byNHS[kp.reg.NHSNumber] = kp
		}
	}
	var moves []lifeboat.Event
	for _, k := range []string{forms.KindPatientAdmitted, forms.KindPatientTransferred, forms.KindPatientDischarged} {
		moves = append(moves, byKind[k]...)
	}
	slices.SortStableFunc(moves, func(a, b lifeboat.Event) int { return a.HLC.Compare(b.HLC) })
	for _, e := range moves {
		kp := byID[e.Subject]
		if kp == nil || cancelled[e.ID] {
			continue
		}
		switch e.Kind {
		case forms.KindPatientAdmitted:
			var a forms.Admission
			if json.Unmarshal(e.Payload, &a) == nil {
				kp.ward, kp.bed, kp.onWard = a.Ward, a.Bed, true
			}
		case forms.KindPatientTransferred:
			var t forms.Transfer
			if json.Unmarshal(e.Payload, &t) == nil {
				kp.ward, kp.bed, kp.onWard = t.Ward, t.Bed, true
			}
		case forms.KindPatientDischarged:
			kp.ward, kp.bed, kp.onWard = "", "", false
		}
	}
	for _, e := range byKind[forms.KindMedOrdered] {
		var o forms.MedicationOrder
		if cancelled[e.ID] || json.Unmarshal(e.Payload, &o) != nil || o.Source != forms.SourceSnapshot {
			continue
		}
		if kp := byID[o.PatientID]; kp != nil {
			kp.orders[o.ID] = o
			kp.orderEvents[o.ID] = e.ID
		}
	}
	for _, e := range byKind[forms.KindMedStopped] {
		var s forms.MedicationStop
		if cancelled[e.ID] || json.Unmarshal(e.Payload, &s) != nil {
			continue
		}
		if kp := byID[s.PatientID]; kp != nil {
			delete(kp.orders, s.OrderID)
		}
	}
	for _, e := range byKind[KindCensusImported] {
		var ci CensusImported
		if json.Unmarshal(e.Payload, &ci) == nil && ci.AsOf.After(kn.latest) {
			kn.latest = ci.AsOf
		}
	}
	return kn, nil
}

// medKey is what makes two snapshot orders the same medicine.
func medKey(o forms.MedicationOrder) string {
	return strings.Join([]string{strings.ToLower(o.Drug), o.DMDCode, o.Dose.String(), strings.ToLower(o.DoseUnit),
		strings.ToLower(o.Route), o.Frequency, fmt.Sprint(o.PRN)}, "\x00")
}

// plan turns a census into drafts; newID makes patient and order IDs.
func plan(c Census, kn *known, newID func() string) ([]Draft, ImportCounts, error) {
	if c.AsOf.IsZero() {
		return nil, ImportCounts{}, fmt.Errorf("the time the data is as of is required: %w", lifeboat.ErrInvalid)
	}
	if !kn.latest.IsZero() && c.AsOf.Before(kn.latest) {
		return nil, ImportCounts{}, fmt.Errorf("this census is as of %s, older than the one already imported (as of %s): %w",
			c.AsOf.Format(time.RFC3339), kn.latest.Format(time.RFC3339), lifeboat.ErrConflict)
	}
	at := c.AsOf.UTC()
	var ds []Draft
	var n ImportCounts
	for _, cp := range c.Patients {
		n.Patients++
		p := forms.Patient{NHSNumber: cp.NHSNumber, Surname: cp.Surname, Given: cp.Given, BirthDate: cp.BirthDate, Sex: cp.Sex}
		kp := kn.byNHS[cp.NHSNumber]
		switch {
		case kp == nil:
			p.ID = newID()
			ds = append(ds, Draft{Kind: forms.KindPatientRegistered, Subject: p.ID, PerformedAt: at, Payload: p})
			n.NewPatients++
			kp = &knownPatient{reg: p, orders: map[string]forms.MedicationOrder{}}
		case kp.reg.Surname != p.Surname || kp.reg.Given != p.Given || kp.reg.BirthDate != p.BirthDate || (p.Sex != "" && kp.reg.Sex != p.Sex):
			p.ID, p.TempID = kp.reg.ID, kp.reg.TempID
			if p.Sex == "" {
				p.Sex = kp.reg.Sex
			}
			ds = append(ds, Draft{Kind: forms.KindPatientRegistered, Subject: p.ID, PerformedAt: at, Corrects: kp.regEvent, Payload: p})
			n.UpdatedPatients++
		default:
			p.ID = kp.reg.ID
		}
		if cp.Ward != "" {
			switch {
			case !kp.onWard:
				when := at
				if !cp.AdmittedAt.IsZero() && !cp.AdmittedAt.After(at) {
					when = cp.AdmittedAt
				}
				ds = append(ds, Draft{Kind: forms.KindPatientAdmitted, Subject: p.ID, PerformedAt: when,
					Payload: forms.Admission{PatientID: p.ID, Ward: cp.Ward, Bed: cp.Bed}})
				n.Admissions++
			case kp.ward != cp.Ward || kp.bed != cp.Bed:
				ds = append(ds, Draft{Kind: forms.KindPatientTransferred, Subject: p.ID, PerformedAt: at,
					Payload: forms.Transfer{PatientID: p.ID, FromWard: kp.ward, FromBed: kp.bed, Ward: cp.Ward, Bed: cp.Bed}})
				n.Transfers++
			}
		}
		have := map[string]string{} // medKey -> order ID
		for id, o := range kp.orders {
			have[medKey(o)] = id
		}
		keep := map[string]bool{}
		for _, m := range cp.Medicines {
			o := m.order("", p.ID, at)
			if id, ok := have[medKey(o)]; ok {
				keep[id] = true
				continue
			}
			o.ID = newID()
			have[medKey(o)] = o.ID
			keep[o.ID] = true
			ds = append(ds, Draft{Kind: forms.KindMedOrdered, Subject: p.ID, PerformedAt: at, Payload: o})
			n.Medicines++
		}
		ids := make([]string, 0, len(kp.orders))
		for id := range kp.orders {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if !keep[id] {
				ds = append(ds, Draft{Kind: forms.KindMedStopped, Subject: p.ID, PerformedAt: at,
					Payload: forms.MedicationStop{OrderID: id, PatientID: p.ID, Effective: at, Reason: "not in the census as of " + at.Format(time.RFC3339)}})
				n.StoppedMedicines++
			}
		}
	}
	ds = append(ds, Draft{Kind: KindCensusImported, Subject: "census", PerformedAt: at,
		Payload: CensusImported{Source: c.Source, AsOf: at, Counts: n, Events: len(ds)}})
	return ds, n, nil
}
