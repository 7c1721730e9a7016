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
	orders      map[string]forms.MedicationOrder // snapshot orders by ID, with their stops applied
	orderEvents map[string]string                // order ID -> event ID
	allergies   map[string]knownAllergy          // standing record by allergy ID
	noneKnown   bool
	weights     map[string]bool // weightKey of every weight recorded
	// placedByCensus: the newest admission, transfer or discharge came
	// from a census import, not from someone on the ward.
	placedByCensus bool
}

type knownAllergy struct {
	a     forms.Allergy
	event string
	hlc   lifeboat.HLC
}

func newKnownPatient() *knownPatient {
	return &knownPatient{orders: map[string]forms.MedicationOrder{}, orderEvents: map[string]string{},
		allergies: map[string]knownAllergy{}, weights: map[string]bool{}}
}

// allergyKey is what makes two allergy records the same allergy.
func allergyKey(substance, code string) string {
	return strings.ToLower(strings.Join(strings.Fields(substance), " ")) + "\x00" + code
}

// weightKey is what makes two weights the same measurement.
func weightKey(kg forms.Quantity, at time.Time) string {
	return kg.String() + "@" + at.UTC().Format(time.RFC3339Nano)
}

// importKinds are the kinds loadKnown reads.
var importKinds = []string{lifeboat.KindEnteredInError, forms.KindPatientRegistered, forms.KindPatientAdmitted,
	forms.KindPatientTransferred, forms.KindPatientDischarged, forms.KindMedOrdered, forms.KindMedStopped, KindCensusImported,
	forms.KindAllergyRecorded, forms.KindAllergyNoneKnown, forms.KindWeightRecorded}

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
			kp = newKnownPatient()
			byID[e.Subject] = kp
		}
		kp.reg, kp.regEvent = p, e.ID
	}
	for _, kp := range byID {
		if kp.reg.NHSNumber != "" {
			kn.byNHS[kp.reg.NHSNumber] = kp
		}
	}
	fromCensus := censusEvents(byKind[KindCensusImported])
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
		kp.placedByCensus = fromCensus(e)
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
			if o, ok := kp.orders[s.OrderID]; ok {
				kp.orders[s.OrderID] = forms.ApplyStop(o, s, e.PerformedAt)
			}
		}
	}
	for _, e := range byKind[forms.KindAllergyRecorded] {
		var a forms.Allergy
		kp := byID[e.Subject]
		if kp == nil || cancelled[e.ID] || json.Unmarshal(e.Payload, &a) != nil {
			continue
		}
		if k, ok := kp.allergies[a.ID]; !ok || k.hlc.Compare(e.HLC) < 0 {
			kp.allergies[a.ID] = knownAllergy{a: a, event: e.ID, hlc: e.HLC}
		}
	}
	for _, e := range byKind[forms.KindAllergyNoneKnown] {
		if kp := byID[e.Subject]; kp != nil && !cancelled[e.ID] {
			kp.noneKnown = true
		}
	}
	for _, e := range byKind[forms.KindWeightRecorded] {
		var w forms.Weight
		kp := byID[e.Subject]
		if kp == nil || cancelled[e.ID] || json.Unmarshal(e.Payload, &w) != nil {
			continue
		}
		at := w.MeasuredAt
		if at.IsZero() {
			at = e.PerformedAt
		}
		kp.weights[weightKey(w.Kg, at)] = true
	}
	for _, e := range byKind[KindCensusImported] {
		if ci, ok := forms.CensusAsOf(e); ok && ci.AsOf.After(kn.latest) {
			kn.latest = ci.AsOf
		}
	}
	return kn, nil
}

// censusEvents returns whether an event was appended by a census import:
// each census.imported names how many events its import appended just
// before it, on the same device.
func censusEvents(imports []lifeboat.Event) func(lifeboat.Event) bool {
	type span struct{ from, to uint64 }
	spans := map[string][]span{}
	var scoped []CensusImported
	for _, e := range imports {
		var ci CensusImported
		if json.Unmarshal(e.Payload, &ci) != nil {
			continue
		}
		if len(ci.Spans) > 0 {
			scoped = append(scoped, ci)
			continue
		}
		if ci.Events <= 0 || uint64(ci.Events) >= e.Seq {
			continue
		}
		spans[e.Device] = append(spans[e.Device], span{e.Seq - uint64(ci.Events), e.Seq - 1})
	}
	return func(e lifeboat.Event) bool {
		for _, ci := range scoped {
			if ci.Covers(e) {
				return true
			}
		}
		for _, s := range spans[e.Device] {
			if e.Seq >= s.from && e.Seq <= s.to {
				return true
			}
		}
		return false
	}
}

// medKey is what makes two snapshot orders the same medicine as
// prescribed: everything but when it starts and stops.
func medKey(o forms.MedicationOrder) string {
	return strings.Join([]string{strings.ToLower(o.Drug), o.DMDCode, o.Dose.String(), strings.ToLower(o.DoseUnit),
		strings.ToLower(o.Route), o.Frequency, strings.Join(o.Times, " "), fmt.Sprint(o.PRN), o.MinIntervalHours.String(),
		o.MaxDailyDose.String(), strings.ToLower(o.MaxDailyDoseUnit), fmt.Sprint(o.Controlled), o.Notes}, "\x00")
}

// liveAt reports whether o has not stopped by t.
func liveAt(o forms.MedicationOrder, t time.Time) bool { return o.Stop.IsZero() || o.Stop.After(t) }

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
			kp = newKnownPatient()
			kp.reg = p
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
		// Orders: a census medicine matching a snapshot order (live ones
		// first) keeps it; one the census stops stops it; the rest are new.
		ids := make([]string, 0, len(kp.orders))
		for id := range kp.orders {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int {
			la, lb := liveAt(kp.orders[a], at), liveAt(kp.orders[b], at)
			if la != lb {
				if la {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		keep := map[string]bool{}
		for _, m := range cp.Medicines {
			o := m.order("", p.ID, at)
			match := ""
			for _, id := range ids {
				if !keep[id] && medKey(kp.orders[id]) == medKey(o) {
					match = id
					break
				}
			}
			if match != "" {
				old := kp.orders[match]
				switch {
				case o.Stop.IsZero() && !liveAt(old, at):
					match = "" // stopped here, in force again in the core system: a new order
				case !o.Stop.IsZero() && (old.Stop.IsZero() || o.Stop.Before(old.Stop)):
					keep[match] = true
					ds = append(ds, Draft{Kind: forms.KindMedStopped, Subject: p.ID, PerformedAt: at,
						Payload: forms.MedicationStop{OrderID: match, PatientID: p.ID, Effective: o.Stop, Reason: "stopped in the census as of " + at.Format(time.RFC3339)}})
					n.StoppedMedicines++
					continue
				default:
					keep[match] = true
					continue
				}
			}
			o.ID = newID()
			keep[o.ID] = true
			ds = append(ds, Draft{Kind: forms.KindMedOrdered, Subject: p.ID, PerformedAt: at, Payload: o})
			n.Medicines++
		}
		slices.Sort(ids)
		for _, id := range ids {
			if !keep[id] && liveAt(kp.orders[id], at) {
				ds = append(ds, Draft{Kind: forms.KindMedStopped, Subject: p.ID, PerformedAt: at,
					Payload: forms.MedicationStop{OrderID: id, PatientID: p.ID, Effective: at, Reason: "not in the census as of " + at.Format(time.RFC3339)}})
				n.StoppedMedicines++
			}
		}
		ds = planAllergies(ds, &n, cp, kp, p.ID, at, newID)
	}
	ds, err := planDischarges(ds, &n, c, kn, at)
	if err != nil {
		return nil, ImportCounts{}, err
	}
	n.LeftOut = c.LeftOut
	ci := CensusImported{Source: c.Source, AsOf: at, Counts: n, Events: len(ds)}
	ds = append(ds, Draft{Kind: KindCensusImported, Subject: "census", PerformedAt: at,
		Payload: ci, PayloadFrom: func(done []lifeboat.Event) any {
			ci.Spans = forms.SpansOf(done)
			return ci
		}})
	return ds, n, nil
}

// planDischarges discharges, as of the census time, each patient an
// earlier census put on a ward this census covers and who is not in it:
// the core system discharged them (or moved them to a ward this census
// does not cover) while the feed was watching. A patient whose place was
// last recorded on Lifeboat stays where the ward put them.
//
// A census that would send home more than half of them (and more than
// MaxQuietDischarges) is refused whole: an empty or cut-short answer from
// a core system coming back from a restore must not empty the wards.
func planDischarges(ds []Draft, n *ImportCounts, c Census, kn *known, at time.Time) ([]Draft, error) {
	if len(c.Covers) == 0 && !c.CoversAll {
		return ds, nil
	}
	in := make(map[string]bool, len(c.Patients))
	for _, cp := range c.Patients {
		in[cp.NHSNumber] = true
	}
	nhs := make([]string, 0, len(kn.byNHS))
	for k := range kn.byNHS {
		nhs = append(nhs, k)
	}
	slices.Sort(nhs)
	placed := 0
	for _, k := range nhs {
		kp := kn.byNHS[k]
		if !kp.onWard || !kp.placedByCensus || !c.covers(kp.ward) {
			continue
		}
		placed++
		if in[k] {
			continue
		}
		ds = append(ds, Draft{Kind: forms.KindPatientDischarged, Subject: kp.reg.ID, PerformedAt: at,
			Payload: forms.Discharge{PatientID: kp.reg.ID, Destination: "left the wards the core system's census covers"}})
		n.Discharges++
	}
	if n.Discharges > MaxQuietDischarges && 2*n.Discharges > placed {
		return nil, fmt.Errorf("this census would send home %d of the %d patients an earlier census put on the wards it covers: not imported, as an answer cut short (a core system restoring) would empty the wards; the wards keep the census they have: check the core system's answer: %w",
			n.Discharges, placed, lifeboat.ErrInvalid)
	}
	return ds, nil
}

// MaxQuietDischarges is how many patients a census may send home at
// once whatever the ward's size; beyond it, at most half of them.
const MaxQuietDischarges = 5

// planAllergies adds a patient's allergies, "no known allergies" and
// weights from the census: an allergy already on record (same substance
// and code) is amended only if it came from a census and the core system
// changed it (an allergy entered during downtime stands); "no known
// allergies" only if nothing says otherwise; a weight only if that
// measurement is not on record.
func planAllergies(ds []Draft, n *ImportCounts, cp CensusPatient, kp *knownPatient, pid string, at time.Time, newID func() string) []Draft {
	byKey := map[string]knownAllergy{}
	aids := make([]string, 0, len(kp.allergies))
	for id := range kp.allergies {
		aids = append(aids, id)
	}
	slices.Sort(aids)
	for _, id := range aids {
		k := kp.allergies[id]
		key := allergyKey(k.a.Substance, k.a.Code)
		if old, ok := byKey[key]; !ok || old.a.Source == forms.SourceSnapshot {
			byKey[key] = k
		}
	}
	active := false
	for _, k := range kp.allergies {
		active = active || k.a.Status == forms.AllergyActive
	}
	for _, ca := range cp.Allergies {
		a := forms.Allergy{PatientID: pid, Substance: ca.Substance, Code: ca.Code, Reaction: ca.Reaction, Severity: ca.Severity,
			Status: ca.Status, Source: forms.SourceSnapshot, Note: ca.Note}
		d := Draft{Kind: forms.KindAllergyRecorded, Subject: pid, PerformedAt: at}
		key := allergyKey(a.Substance, a.Code)
		if k, ok := byKey[key]; ok {
			if k.a.Source != forms.SourceSnapshot {
				continue
			}
			a.ID = k.a.ID
			if a == k.a {
				continue
			}
			d.Corrects = k.event
		} else {
			a.ID = newID()
		}
		d.Payload = a
		byKey[key] = knownAllergy{a: a}
		active = active || a.Status == forms.AllergyActive
		ds = append(ds, d)
		n.Allergies++
	}
	if cp.NoKnownAllergies && !kp.noneKnown && !active {
		ds = append(ds, Draft{Kind: forms.KindAllergyNoneKnown, Subject: pid, PerformedAt: at,
			Payload: forms.NoKnownAllergies{PatientID: pid, Note: cp.NoKnownNote}})
		n.NoKnownAllergies++
	}
	for _, w := range cp.Weights {
		when := w.MeasuredAt
		if when.IsZero() {
			when = at
		}
		if kp.weights[weightKey(w.Kg, when)] {
			continue
		}
		kp.weights[weightKey(w.Kg, when)] = true
		ds = append(ds, Draft{Kind: forms.KindWeightRecorded, Subject: pid, PerformedAt: when,
			Payload: forms.Weight{PatientID: pid, Kg: w.Kg, MeasuredAt: w.MeasuredAt}})
		n.Weights++
	}
	return ds
}
