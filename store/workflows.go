package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// validateWorkflow applies the rules that need what is already recorded:
// a controlled-drugs entry may not take a register below zero, a bed may
// only change state as the transition table allows, and a dose must name
// an order of the patient it is given to and pass the dose checks
// (validateDose).
func validateWorkflow(ctx context.Context, t *txn, e *lifeboat.Event) error {
	switch e.Kind {
	case forms.KindCDEntry:
		var entry forms.CDEntry
		if err := decodePayload(e, &entry); err != nil {
			return err
		}
		lines, err := cdLedger(ctx, t, t.aead, e.Subject)
		if err != nil {
			return err
		}
		var balance forms.Quantity
		if len(lines) > 0 {
			balance = lines[len(lines)-1].Balance
		}
		if _, err := forms.ApplyCD(balance, entry); err != nil {
			return err
		}
	case forms.KindBedState:
		var set forms.BedStateSet
		if err := decodePayload(e, &set); err != nil {
			return err
		}
		board, err := bedBoard(ctx, t, t.aead, set.Ward)
		if err != nil {
			return err
		}
		for _, b := range board.Beds {
			if b.Bed.ID == set.Bed {
				return forms.CanTransition(b.State, set.State)
			}
		}
		return fmt.Errorf("ward %s has no bed %s: %w", set.Ward, set.Bed, lifeboat.ErrInvalid)
	case forms.KindMedAdministered:
		return validateDose(ctx, t, e)
	case forms.KindWeightRecorded:
		return validateWeight(e)
	}
	return nil
}

// medOrders returns a patient's orders as they stand: amended orders
// replaced, cancelled ones dropped, stops applied.
func medOrders(ctx context.Context, x execer, aead cipherAEAD, patientID string) ([]forms.MedicationOrder, error) {
	rs, err := readRecords(ctx, x, aead, forms.KindMedOrdered, patientID, false)
	if err != nil {
		return nil, err
	}
	orders, err := finalPayloads[forms.MedicationOrder](rs)
	if err != nil {
		return nil, err
	}
	stopRecs, err := readRecords(ctx, x, aead, forms.KindMedStopped, patientID, false)
	if err != nil {
		return nil, err
	}
	// The newest standing version of each order wins.
	byID := map[string]int{}
	var out []forms.MedicationOrder
	for _, o := range orders {
		if i, ok := byID[o.ID]; ok {
			out[i] = o
			continue
		}
		byID[o.ID] = len(out)
		out = append(out, o)
	}
	for _, r := range stopRecs {
		if !r.Final() {
			continue
		}
		var s forms.MedicationStop
		if err := json.Unmarshal(r.Payload, &s); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		if i, ok := byID[s.OrderID]; ok {
			out[i] = forms.ApplyStop(out[i], s, r.PerformedAt)
		}
	}
	return out, nil
}

// MedicationOrders returns a patient's medicine orders as they stand.
func (db *DB) MedicationOrders(ctx context.Context, patientID string) ([]forms.MedicationOrder, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	return medOrders(ctx, db.sql, aead, patientID)
}

// Administrations returns every standing dose record for a patient with
// what each recording device had seen (for double-dose checks).
func (db *DB) Administrations(ctx context.Context, patientID string) ([]forms.AdminRecord, error) {
	rs, err := db.Records(ctx, forms.KindMedAdministered, patientID)
	if err != nil {
		return nil, err
	}
	return adminRecords(rs)
}

// MAR returns a patient's medicines administration record for the day
// containing day, with each slot's status as of now.
func (db *DB) MAR(ctx context.Context, patientID string, day, now time.Time) (forms.MAR, error) {
	orders, err := db.MedicationOrders(ctx, patientID)
	if err != nil {
		return forms.MAR{}, fmt.Errorf("read MAR: %w", err)
	}
	admins, err := db.Administrations(ctx, patientID)
	if err != nil {
		return forms.MAR{}, fmt.Errorf("read MAR: %w", err)
	}
	asOf, err := censusAsOf(ctx, db.sql, db)
	if err != nil {
		return forms.MAR{}, fmt.Errorf("read MAR: %w", err)
	}
	mar := forms.MARDay(orders, admins, day, now)
	mar.CoreChartBefore(asOf)
	return mar, nil
}

// censusAsOf is the "data as of" time of the newest census imported (by
// clock order; Import refuses an older census after a newer one), zero if
// none: the MAR leaves snapshot doses before it to the core system's chart.
func censusAsOf(ctx context.Context, x execer, db *DB) (time.Time, error) {
	aead, err := db.keys()
	if err != nil {
		return time.Time{}, err
	}
	evs, err := queryEvents(ctx, x, aead, eventCols+"WHERE kind = ? ORDER BY hlc_wall DESC, hlc_logical DESC, device DESC LIMIT 1", forms.KindCensusImported)
	if err != nil || len(evs) == 0 {
		return time.Time{}, err
	}
	ci, _ := forms.CensusAsOf(evs[0])
	return ci.AsOf, nil
}

// DoseAlreadyRecorded is the check to run before recording a dose: the
// same order and slot already recorded as given, on any device this one
// has heard from.
func (db *DB) DoseAlreadyRecorded(ctx context.Context, a forms.Administration) (forms.Administration, bool, error) {
	recs, err := db.Administrations(ctx, a.PatientID)
	if err != nil {
		return forms.Administration{}, false, err
	}
	existing := make([]forms.Administration, len(recs))
	for i, r := range recs {
		existing[i] = r.Administration
	}
	prev, dup := forms.DuplicateSlot(existing, a)
	return prev, dup, nil
}

// DoseConflicts lists doses of a patient recorded twice on devices that
// were apart: each must be shown until a person resolves it.
func (db *DB) DoseConflicts(ctx context.Context, patientID string) ([]forms.DoseClash, error) {
	recs, err := db.Administrations(ctx, patientID)
	if err != nil {
		return nil, err
	}
	return forms.DoseConflicts(recs), nil
}

func cdLedger(ctx context.Context, x execer, aead cipherAEAD, subject string) ([]forms.CDLine, error) {
	rs, err := readRecords(ctx, x, aead, forms.KindCDEntry, subject, false)
	if err != nil {
		return nil, err
	}
	entries, err := finalPayloads[forms.CDEntry](rs)
	if err != nil {
		return nil, err
	}
	lines, err := forms.Ledger(entries)
	if err != nil && len(lines) == 0 {
		return nil, err
	}
	return lines, nil // line problems are shown on the lines, never hidden
}

// CDRegister returns one controlled-drugs register with its running
// balance, in the order entries were recorded. Lines that are wrong (a
// negative balance after devices that were apart both recorded the last
// ampoule) carry their Problem.
func (db *DB) CDRegister(ctx context.Context, p forms.CDProduct, location string) ([]forms.CDLine, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	return cdLedger(ctx, db.sql, aead, CDSubject(p, location))
}

// CDRegisters lists the subjects of every register that has entries.
func (db *DB) CDRegisters(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT DISTINCT subject FROM p_records WHERE kind = ? ORDER BY subject", forms.KindCDEntry)
	if err != nil {
		return nil, fmt.Errorf("list registers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// wards returns every ward's newest standing definition, by name.
func wards(ctx context.Context, x execer, aead cipherAEAD) ([]forms.Ward, error) {
	rs, err := readRecords(ctx, x, aead, forms.KindWardDefined, "*", false)
	if err != nil {
		return nil, err
	}
	defs, err := finalPayloads[forms.Ward](rs)
	if err != nil {
		return nil, err
	}
	byID := map[string]forms.Ward{}
	for _, w := range defs {
		byID[w.ID] = w // oldest first: the newest stays
	}
	out := make([]forms.Ward, 0, len(byID))
	for _, w := range byID {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Wards lists the wards defined at this site.
func (db *DB) Wards(ctx context.Context) ([]forms.Ward, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	return wards(ctx, db.sql, aead)
}

// timedMove is a move with its clock reading.
type timedMove struct {
	forms.Move
	hlc lifeboat.HLC
}

func placements(ms []timedMove) []forms.Placement {
	plain := make([]forms.Move, len(ms))
	for i, m := range ms {
		plain[i] = m.Move
	}
	return forms.Placements(plain)
}

// moves reads every standing admission, transfer and discharge, in clock
// order, for forms.Placements.
func moves(ctx context.Context, x execer, aead cipherAEAD) ([]timedMove, error) {
	var recs []Record
	for _, k := range []string{forms.KindPatientAdmitted, forms.KindPatientTransferred, forms.KindPatientDischarged} {
		rs, err := readRecords(ctx, x, aead, k, "*", false)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rs...)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if c := recs[i].HLC.Compare(recs[j].HLC); c != 0 {
			return c < 0
		}
		return recs[i].Ref.Device < recs[j].Ref.Device
	})
	var out []timedMove
	for _, r := range recs {
		if !r.Final() {
			continue
		}
		var p struct {
			PatientID string `json:"patient_id"`
			Ward      string `json:"ward"`
			Bed       string `json:"bed"`
		}
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		if r.Kind == forms.KindPatientDischarged {
			p.Ward, p.Bed = "", ""
		}
		out = append(out, timedMove{forms.Move{EventID: r.EventID, Ref: r.Ref, Seen: r.Seen, PatientID: p.PatientID, Ward: p.Ward, Bed: p.Bed}, r.HLC})
	}
	return out, nil
}

func bedBoard(ctx context.Context, x execer, aead cipherAEAD, wardID string) (forms.WardBoard, error) {
	ws, err := wards(ctx, x, aead)
	if err != nil {
		return forms.WardBoard{}, err
	}
	var w forms.Ward
	for _, cand := range ws {
		if cand.ID == wardID {
			w = cand
		}
	}
	if w.ID == "" {
		return forms.WardBoard{}, fmt.Errorf("ward %q is not defined: %w", wardID, lifeboat.ErrNotFound)
	}
	rs, err := readRecords(ctx, x, aead, forms.KindBedState, wardID, true)
	if err != nil {
		return forms.WardBoard{}, err
	}
	ms, err := moves(ctx, x, aead)
	if err != nil {
		return forms.WardBoard{}, err
	}
	states, err := bedTimeline(rs, ms, wardID)
	if err != nil {
		return forms.WardBoard{}, err
	}
	return forms.BedBoard(w, states, placements(ms)), nil
}

// bedTimeline merges the bed states people set with those moves imply: a
// patient placed in a bed makes it occupied; a patient leaving it (moved
// or discharged) leaves it needing cleaning, so it is never offered as
// available until someone says it is clean. Clock order throughout, so
// the result is the same on every device.
func bedTimeline(recorded []Record, ms []timedMove, wardID string) ([]forms.BedStateSet, error) {
	type stamped struct {
		hlc    lifeboat.HLC
		device string
		set    forms.BedStateSet
	}
	var all []stamped
	for _, r := range recorded {
		if !r.Final() {
			continue
		}
		var set forms.BedStateSet
		if err := json.Unmarshal(r.Payload, &set); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		all = append(all, stamped{r.HLC, r.Ref.Device, set})
	}
	where := map[string][2]string{} // patient -> ward, bed
	for _, m := range ms {
		if prev, ok := where[m.PatientID]; ok && prev[0] == wardID && prev[1] != "" && (prev[0] != m.Ward || prev[1] != m.Bed) {
			all = append(all, stamped{m.hlc, m.Ref.Device, forms.BedStateSet{Ward: wardID, Bed: prev[1], State: forms.BedCleaning}})
		}
		if m.Ward == wardID && m.Bed != "" {
			all = append(all, stamped{m.hlc, m.Ref.Device, forms.BedStateSet{Ward: wardID, Bed: m.Bed, State: forms.BedOccupied}})
		}
		where[m.PatientID] = [2]string{m.Ward, m.Bed}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if c := all[i].hlc.Compare(all[j].hlc); c != 0 {
			return c < 0
		}
		return all[i].device < all[j].device
	})
	out := make([]forms.BedStateSet, len(all))
	for i, st := range all {
		out[i] = st.set
	}
	return out, nil
}

// BedBoard returns a ward's bed board: each bed's state and patient. For
// a ward this device does not hold the records of, it returns an error
// wrapping ErrWardNotHeld: a board drawn from the layout alone would show
// every bed free.
func (db *DB) BedBoard(ctx context.Context, wardID string) (forms.WardBoard, error) {
	aead, err := db.keys()
	if err != nil {
		return forms.WardBoard{}, err
	}
	sub, err := db.Subscription(ctx)
	if err != nil {
		return forms.WardBoard{}, fmt.Errorf("read bed board: %w", err)
	}
	if !sub.Reads(lifeboat.WardScope(wardID)) {
		return forms.WardBoard{}, fmt.Errorf("bed board of %s: %w", wardID, ErrWardNotHeld)
	}
	return bedBoard(ctx, db.sql, aead, wardID)
}

// BedConflicts lists patients placed in two beds and beds holding two
// patients after devices that were apart both moved someone.
func (db *DB) BedConflicts(ctx context.Context) ([]forms.BedConflict, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	ms, err := moves(ctx, db.sql, aead)
	if err != nil {
		return nil, err
	}
	return forms.BedConflicts(placements(ms)), nil
}

// SiteCapacity returns each ward's capacity and the site roll-up. A ward
// whose bed and patient records this device holds is counted from its
// live bed board; any other ward shows its newest ward summary (the
// counts a device that holds it recorded, FromSummary, with the time
// they describe), or NoSummary when none has arrived yet. The roll-up
// adds up the wards with counts.
func (db *DB) SiteCapacity(ctx context.Context) ([]forms.WardCapacity, forms.WardSummary, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, forms.WardSummary{}, err
	}
	sub, err := db.Subscription(ctx)
	if err != nil {
		return nil, forms.WardSummary{}, fmt.Errorf("read site capacity: %w", err)
	}
	sb, err := readSiteBoards(ctx, db.sql, aead, sub)
	if err != nil {
		return nil, forms.WardSummary{}, fmt.Errorf("read site capacity: %w", err)
	}
	cs := sb.capacity()
	return cs, forms.SiteRollup(forms.Summaries(cs)), nil
}

// Sitrep returns the daily sitrep-style capacity summary, its wards as
// SiteCapacity counts them.
func (db *DB) Sitrep(ctx context.Context, date time.Time) (forms.SitrepReport, error) {
	cs, _, err := db.SiteCapacity(ctx)
	if err != nil {
		return forms.SitrepReport{}, err
	}
	return forms.Sitrep(date, cs), nil
}

// Handover is a patient's handover: notes, and the tasks still open at
// the end of the shift (carried over).
type Handover struct {
	Notes []HandoverNote
	Tasks []forms.CarriedTask
}

// HandoverNote is a note with who wrote it and when.
type HandoverNote struct {
	forms.HandoverNote
	EventID string
	Author  string
	At      time.Time
}

// PatientHandover returns a patient's handover as of shiftEnd.
func (db *DB) PatientHandover(ctx context.Context, patientID string, shiftEnd time.Time) (Handover, error) {
	var h Handover
	notes, err := db.Records(ctx, forms.KindHandoverNote, patientID)
	if err != nil {
		return h, err
	}
	for _, r := range notes {
		if !r.Final() {
			continue
		}
		n := HandoverNote{EventID: r.EventID, Author: r.Author, At: r.PerformedAt}
		if err := json.Unmarshal(r.Payload, &n.HandoverNote); err != nil {
			return h, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		h.Notes = append(h.Notes, n)
	}
	taskRecs, err := db.Records(ctx, forms.KindHandoverTask, patientID)
	if err != nil {
		return h, err
	}
	tasks, err := finalPayloads[forms.HandoverTask](taskRecs)
	if err != nil {
		return h, err
	}
	// A later task event with the same ID amends it.
	latest := map[string]int{}
	var current []forms.HandoverTask
	for _, t := range tasks {
		if i, ok := latest[t.ID]; ok {
			current[i] = t
			continue
		}
		latest[t.ID] = len(current)
		current = append(current, t)
	}
	doneRecs, err := db.Records(ctx, forms.KindHandoverTaskDone, patientID)
	if err != nil {
		return h, err
	}
	done, err := finalPayloads[forms.HandoverTaskDone](doneRecs)
	if err != nil {
		return h, err
	}
	h.Tasks = forms.CarryOver(current, done, shiftEnd)
	return h, nil
}

// PlanProgress returns how far through the continuity plan the pharmacy is.
func (db *DB) PlanProgress(ctx context.Context, plan forms.ContinuityPlan) ([]forms.PhaseProgress, error) {
	rs, err := db.Records(ctx, forms.KindPharmacyTaskDone, "plan:"+plan.ID)
	if err != nil {
		return nil, err
	}
	done, err := finalPayloads[forms.PharmacyTaskDone](rs)
	if err != nil {
		return nil, err
	}
	return forms.Progress(plan, done), nil
}

// Supplies returns the emergency-supply and dispensing log, oldest first.
func (db *DB) Supplies(ctx context.Context) ([]forms.PharmacySupply, error) {
	rs, err := db.Records(ctx, forms.KindPharmacySupply, "*")
	if err != nil {
		return nil, err
	}
	return finalPayloads[forms.PharmacySupply](rs)
}

// Stock returns the critical-medicines stock list: the latest count of
// each item at each location, those below their minimum first.
func (db *DB) Stock(ctx context.Context) ([]forms.StockLevel, error) {
	rs, err := db.Records(ctx, forms.KindStockLevel, "*")
	if err != nil {
		return nil, err
	}
	levels, err := finalPayloads[forms.StockLevel](rs)
	if err != nil {
		return nil, err
	}
	return forms.StockList(levels), nil
}

// FormSubmissions returns the custom forms filled in for a patient (or,
// with patientID empty, those about no patient), oldest first.
func (db *DB) FormSubmissions(ctx context.Context, patientID string) ([]Record, error) {
	if patientID == "" {
		return nil, fmt.Errorf("form submissions: give a patient: %w", lifeboat.ErrInvalid)
	}
	rs, err := db.Records(ctx, forms.KindFormSubmitted, patientID)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if !strings.HasPrefix(r.Subject, "form:") {
			out = append(out, r)
		}
	}
	return out, nil
}
