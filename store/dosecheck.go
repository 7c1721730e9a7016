package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// adminRecords decodes the standing dose records among rs.
func adminRecords(rs []Record) ([]forms.AdminRecord, error) {
	var out []forms.AdminRecord
	for _, r := range rs {
		if !r.Final() {
			continue
		}
		rec := forms.AdminRecord{EventID: r.EventID, Ref: r.Ref, Seen: r.Seen, PerformedAt: r.PerformedAt, Author: r.Author}
		if err := json.Unmarshal(r.Payload, &rec.Administration); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		out = append(out, rec)
	}
	return out, nil
}

// doseFacts is what the dose checks read about one patient.
type doseFacts struct {
	orders    []forms.MedicationOrder
	records   []forms.AdminRecord
	allergies forms.AllergyList
	// fromRegister are the administrations entered on a CD register
	// screen (not from the MAR) as doses of the patient's order of that
	// product: they count toward its limits like any dose given.
	fromRegister []forms.AdminRecord
}

// counted is every dose the limits count: the MAR's and the registers'.
func (f doseFacts) counted() []forms.AdminRecord {
	return append(slices.Clone(f.records), f.fromRegister...)
}

// readDoseFacts reads a patient's orders, standing dose records and active
// allergies (the newest standing record of each: all AllergyWarnings
// needs), inside a transaction or not.
func readDoseFacts(ctx context.Context, x execer, aead cipherAEAD, patientID string) (doseFacts, error) {
	var f doseFacts
	var err error
	if f.orders, err = medOrders(ctx, x, aead, patientID); err != nil {
		return f, err
	}
	rs, err := readRecords(ctx, x, aead, forms.KindMedAdministered, patientID, false)
	if err != nil {
		return f, err
	}
	if f.records, err = adminRecords(rs); err != nil {
		return f, err
	}
	as, err := readRecords(ctx, x, aead, forms.KindAllergyRecorded, patientID, false)
	if err != nil {
		return f, err
	}
	all, err := finalPayloads[forms.Allergy](as)
	if err != nil {
		return f, err
	}
	byID := map[string]int{}
	for _, a := range all { // oldest first: the newest of an ID stands
		if i, ok := byID[a.ID]; ok {
			f.allergies.Allergies[i] = a
			continue
		}
		byID[a.ID] = len(f.allergies.Allergies)
		f.allergies.Allergies = append(f.allergies.Allergies, a)
	}
	reg, err := registerDoses(ctx, x, aead, patientID)
	if err != nil {
		return f, err
	}
	for _, d := range reg {
		if d.Entry.OrderID != "" {
			continue // given from the MAR: its dose is in records
		}
		for _, o := range f.orders {
			if o.CDProduct == nil || forms.RegisterKey(*o.CDProduct, "") != forms.RegisterKey(d.Entry.CDProduct, "") {
				continue
			}
			dose, err := o.DoseFromCD(d.Entry.Quantity)
			if err != nil {
				continue // cannot be counted: the register line still shows on the MAR
			}
			f.fromRegister = append(f.fromRegister, forms.AdminRecord{EventID: d.EventID, Ref: d.ref, PerformedAt: d.At, Author: d.Author,
				Administration: forms.Administration{OrderID: o.ID, PatientID: patientID, Outcome: forms.OutcomeGiven, Dose: dose}})
			break
		}
	}
	return f, nil
}

func (f doseFacts) order(id string) (forms.MedicationOrder, bool) {
	for _, o := range f.orders {
		if o.ID == id {
			return o, true
		}
	}
	return forms.MedicationOrder{}, false
}

// DoseWarnings is the check to run before a dose of a patient's order is
// given at at (dose zero means the dose prescribed): the PRN interval and
// 24-hour maximum across every order of the medicine, a matching allergy,
// and another active order of the medicine (forms.CheckDose). Each
// warning needs an override with a reason (Administration.Overrides)
// before the store records the dose as given.
func (db *DB) DoseWarnings(ctx context.Context, patientID, orderID string, dose forms.Quantity, at time.Time) ([]forms.DoseWarning, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	f, err := readDoseFacts(ctx, db.sql, aead, patientID)
	if err != nil {
		return nil, fmt.Errorf("check dose: %w", err)
	}
	o, ok := f.order(orderID)
	if !ok {
		return nil, fmt.Errorf("check dose: the medicine order was not found for this patient: %w", lifeboat.ErrNotFound)
	}
	return forms.CheckDose(o, f.orders, f.counted(), f.allergies, dose, at), nil
}

// DoseLimitBreaches lists a patient's doses given that break a PRN limit
// only because of doses given on devices that were apart: each is shown
// on the MAR until a person reviews it (forms.LimitBreaches).
func (db *DB) DoseLimitBreaches(ctx context.Context, patientID string) ([]forms.LimitBreach, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	f, err := readDoseFacts(ctx, db.sql, aead, patientID)
	if err != nil {
		return nil, fmt.Errorf("check doses: %w", err)
	}
	return forms.LimitBreaches(f.orders, f.counted()), nil
}

// validateDose is the store's own check of a dose recorded on this
// device, whatever screen or command made it: the order stands for the
// patient and the dose fits it (ValidateFor); a dose given is not given
// at or after the order's stop (performed_at decides), every warning
// CheckDose raises is covered by an override with a reason, and a
// controlled drug's witness is a known, active person of an eligible role
// other than the person giving it.
func validateDose(ctx context.Context, t *txn, e *lifeboat.Event) error {
	var a forms.Administration
	if err := decodePayload(e, &a); err != nil {
		return err
	}
	f, err := readDoseFacts(ctx, t, t.aead, a.PatientID)
	if err != nil {
		return err
	}
	o, ok := f.order(a.OrderID)
	if !ok {
		return fmt.Errorf("the medicine order was not found for this patient: %w", lifeboat.ErrNotFound)
	}
	if ps := a.ValidateFor(o).Hard(); len(ps) > 0 {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, ps)
	}
	if a.Outcome != forms.OutcomeGiven {
		return nil
	}
	if !o.Stop.IsZero() && !e.PerformedAt.Before(o.Stop) {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, forms.Problems{{Field: "performed_at",
			Message: fmt.Sprintf("%s was stopped at %s: a dose cannot be given after the stop", o.Drug, o.Stop.Format("15:04 on 02-Jan"))}})
	}
	ws := forms.CheckDose(o, f.orders, f.counted(), f.allergies, a.Dose, e.PerformedAt)
	if left := forms.Uncovered(ws, a.Overrides); len(left) > 0 {
		var words []string
		for _, w := range left {
			words = append(words, w.Message)
		}
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, forms.Problems{{Field: "overrides",
			Message: "give a reason to go past each warning: " + strings.Join(words, "; ")}})
	}
	if o.Controlled {
		return checkDoseWitness(ctx, t, a.Witness, e.Author)
	}
	return nil
}

// WitnessRoles are the roles that may witness a controlled drug given:
// people who work on the ward. The shared break-glass account names
// nobody, so it cannot witness.
var WitnessRoles = []lifeboat.Role{lifeboat.RoleWardStaff, lifeboat.RolePharmacist}

// checkDoseWitness checks a controlled-drug witness (a user ID) against
// the people this store knows: a remote device's word is not enough.
func checkDoseWitness(ctx context.Context, t *txn, witness, author string) error {
	refuse := func(msg string) error {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, forms.Problems{{Field: "witness", Message: msg}})
	}
	if witness == author {
		return refuse("the witness must be someone other than the person giving the dose")
	}
	var sealed []byte
	err := t.QueryRowContext(ctx, "SELECT sealed FROM users WHERE id = ?", witness).Scan(&sealed)
	if isNoRows(err) {
		return refuse("the witness is not a person known on this device")
	}
	if err != nil {
		return fmt.Errorf("check witness: %w", err)
	}
	plain, err := t.open(sealed, "users", witness)
	if err != nil {
		return fmt.Errorf("check witness: %w", err)
	}
	var u lifeboat.UserRecord
	if err := json.Unmarshal(plain, &u); err != nil {
		return fmt.Errorf("check witness: %w", lifeboat.ErrCorrupt)
	}
	if !u.Active {
		return refuse("the witness's account is disabled: choose another witness")
	}
	for _, r := range WitnessRoles {
		if u.Role == r {
			return nil
		}
	}
	return refuse("the witness's role may not witness a controlled drug: choose ward staff or a pharmacist")
}

// RegisterDose is a controlled-drugs register administration to a
// patient, as the MAR shows it beside the doses.
type RegisterDose struct {
	Entry   forms.CDEntry
	EventID string
	At      time.Time // performed_at
	Author  string    // user ID
	ref     forms.EventRef
}

// RegisterDoses lists the administrations in every controlled-drugs
// register to a patient, oldest first: those given from the MAR
// (Entry.OrderID set) and those entered on the register screen.
func (db *DB) RegisterDoses(ctx context.Context, patientID string) ([]RegisterDose, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	return registerDoses(ctx, db.sql, aead, patientID)
}

func registerDoses(ctx context.Context, x execer, aead cipherAEAD, patientID string) ([]RegisterDose, error) {
	rs, err := readRecords(ctx, x, aead, forms.KindCDEntry, "*", false)
	if err != nil {
		return nil, fmt.Errorf("read register doses: %w", err)
	}
	var out []RegisterDose
	for _, r := range rs {
		if !r.Final() {
			continue
		}
		var e forms.CDEntry
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		if e.Type == forms.CDAdministration && e.PatientID == patientID {
			out = append(out, RegisterDose{Entry: e, EventID: r.EventID, At: r.PerformedAt, Author: r.Author, ref: r.Ref})
		}
	}
	return out, nil
}

// OrderStop is who stopped an order, when it took effect and why.
type OrderStop struct {
	At     time.Time // when the stop takes effect
	Author string    // user ID
	Reason string
}

// MedicineChart is everything the Medicines tab and the printed MAR show
// for one patient on one day.
type MedicineChart struct {
	MAR       forms.MAR
	Orders    []forms.MedicationOrder // every order as it stands, for duplicates
	Conflicts []forms.DoseClash       // one scheduled dose recorded on devices that were apart
	Breaches  []forms.LimitBreach     // PRN limits broken by doses given on devices that were apart
	Register  []RegisterDose          // controlled-drugs register administrations to the patient
	Stops     map[string]OrderStop    // by order ID
	Allergies forms.AllergyList
	Weight    forms.Weight
	HasWeight bool
	People    map[string]string // user ID -> name, for authors and witnesses
	// Unwitnessed are controlled-drug doses given whose witness this
	// device cannot vouch for (missing, unknown, the giver, or a role
	// that may not witness): a peer's record is kept, and flagged.
	Unwitnessed []forms.AdminRecord
}

// MedicineChart reads a patient's medicines for the day containing day,
// as they stand at now.
func (db *DB) MedicineChart(ctx context.Context, patientID string, day, now time.Time) (MedicineChart, error) {
	var c MedicineChart
	aead, err := db.keys()
	if err != nil {
		return c, err
	}
	f, err := readDoseFacts(ctx, db.sql, aead, patientID)
	if err != nil {
		return c, fmt.Errorf("read medicines: %w", err)
	}
	c.Orders = f.orders
	c.MAR = forms.MARDay(f.orders, f.records, day, now)
	asOf, err := censusAsOf(ctx, db.sql, db)
	if err != nil {
		return c, fmt.Errorf("read medicines: %w", err)
	}
	c.MAR.CoreChartBefore(asOf)
	c.Conflicts = forms.DoseConflicts(f.records)
	c.Breaches = forms.LimitBreaches(f.orders, f.counted())
	if c.Register, err = registerDoses(ctx, db.sql, aead, patientID); err != nil {
		return c, err
	}
	stops, err := db.Records(ctx, forms.KindMedStopped, patientID)
	if err != nil {
		return c, fmt.Errorf("read medicines: %w", err)
	}
	c.Stops = map[string]OrderStop{}
	for _, r := range stops {
		if !r.Final() {
			continue
		}
		var s forms.MedicationStop
		if err := json.Unmarshal(r.Payload, &s); err != nil {
			return c, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		at := s.Effective
		if at.IsZero() {
			at = r.PerformedAt
		}
		if prev, ok := c.Stops[s.OrderID]; !ok || at.Before(prev.At) {
			c.Stops[s.OrderID] = OrderStop{At: at, Author: r.Author, Reason: s.Reason}
		}
	}
	if c.Allergies, err = db.Allergies(ctx, patientID); err != nil {
		return c, err
	}
	if c.Weight, c.HasWeight, err = db.LatestWeight(ctx, patientID); err != nil {
		return c, err
	}
	us, err := db.Users(ctx)
	if err != nil {
		return c, err
	}
	c.People = make(map[string]string, len(us))
	role := map[string]lifeboat.Role{}
	for _, u := range us {
		c.People[u.ID] = u.Name
		role[u.ID] = u.Role
	}
	controlled := map[string]bool{}
	for _, o := range f.orders {
		controlled[o.ID] = o.Controlled
	}
	for _, r := range f.records {
		if r.Outcome != forms.OutcomeGiven || !controlled[r.OrderID] {
			continue
		}
		if rl, ok := role[r.Witness]; !ok || r.Witness == r.Author || !slices.Contains(WitnessRoles, rl) {
			c.Unwitnessed = append(c.Unwitnessed, r)
		}
	}
	return c, nil
}
