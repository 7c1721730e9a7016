package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// Record is one workflow event as its views see it: the envelope fields,
// the status its corrections give it and the payload as recorded.
type Record struct {
	EventID     string
	Kind        string
	Subject     string
	Key         string
	Ref         forms.EventRef      // device and seq
	HLC         lifeboat.HLC        // clock reading when recorded
	PerformedAt time.Time           // when it was done
	RecordedAt  time.Time           // when it was saved
	Author      string              // user ID
	Seen        forms.VersionVector // what the recording device held (kinds in seenKinds)
	Status      string              // final, amended or entered-in-error
	CorrectedBy string
	Payload     json.RawMessage
}

// Final reports whether the record stands (not amended or cancelled).
func (r Record) Final() bool { return r.Status == StatusFinal }

type recordHead struct {
	Device      string              `json:"device"`
	Seq         uint64              `json:"seq"`
	PerformedAt time.Time           `json:"performed_at"`
	RecordedAt  time.Time           `json:"recorded_at"`
	Author      string              `json:"author"`
	Seen        forms.VersionVector `json:"seen,omitempty"`
}

// seenKinds are the kinds whose meaning depends on what the recording
// device had already seen: Append adds its version vector to the payload
// ("seen") so every device can tell concurrent records (a dose given on
// two devices that were apart, a patient moved into two beds) from
// sequential ones (forms.Concurrent).
// They are the kinds forms' registry declares Seen.
var seenKinds = func() map[string]bool {
	seen := map[string]bool{}
	for _, k := range forms.Kinds() {
		if k.Seen {
			seen[k.Kind] = true
		}
	}
	return seen
}()

// recordRule says how one kind is indexed: which subject and key it files
// under (derived from the payload, so the index cannot disagree with it),
// and the rules a local record must pass.
type recordRule func(payload []byte) (subject, key string, validate func() forms.Problems, err error)

func decodeAs[T any](payload []byte) (T, error) {
	var v T
	if err := json.Unmarshal(payload, &v); err != nil {
		return v, fmt.Errorf("%w: %w", lifeboat.ErrInvalid, err)
	}
	return v, nil
}

var recordRules = map[string]recordRule{
	forms.KindMedOrdered: func(b []byte) (string, string, func() forms.Problems, error) {
		o, err := decodeAs[forms.MedicationOrder](b)
		return o.PatientID, o.ID, o.Validate, err
	},
	forms.KindMedStopped: func(b []byte) (string, string, func() forms.Problems, error) {
		s, err := decodeAs[forms.MedicationStop](b)
		return s.PatientID, s.OrderID, nil, err
	},
	forms.KindMedAdministered: func(b []byte) (string, string, func() forms.Problems, error) {
		a, err := decodeAs[forms.Administration](b)
		return a.PatientID, a.OrderID, a.Validate, err
	},
	forms.KindCDEntry: func(b []byte) (string, string, func() forms.Problems, error) {
		e, err := decodeAs[forms.CDEntry](b)
		return CDSubject(e.CDProduct, e.Location), e.ID, e.Validate, err
	},
	forms.KindWardDefined: func(b []byte) (string, string, func() forms.Problems, error) {
		w, err := decodeAs[forms.Ward](b)
		return "ward:" + w.ID, w.ID, w.Validate, err
	},
	forms.KindWardSummary: func(b []byte) (string, string, func() forms.Problems, error) {
		r, err := decodeAs[forms.WardSummaryReport](b)
		return "ward:" + r.Ward, r.Ward, r.Validate, err
	},
	forms.KindBedState: func(b []byte) (string, string, func() forms.Problems, error) {
		s, err := decodeAs[forms.BedStateSet](b)
		return BedSubject(s.Ward, s.Bed), s.Ward, s.Validate, err
	},
	forms.KindHandoverNote: func(b []byte) (string, string, func() forms.Problems, error) {
		n, err := decodeAs[forms.HandoverNote](b)
		return n.PatientID, n.ID, n.Validate, err
	},
	forms.KindHandoverTask: func(b []byte) (string, string, func() forms.Problems, error) {
		k, err := decodeAs[forms.HandoverTask](b)
		return k.PatientID, k.ID, k.Validate, err
	},
	forms.KindHandoverTaskDone: func(b []byte) (string, string, func() forms.Problems, error) {
		d, err := decodeAs[forms.HandoverTaskDone](b)
		return d.PatientID, d.TaskID, nil, err
	},
	forms.KindPharmacyTaskDone: func(b []byte) (string, string, func() forms.Problems, error) {
		d, err := decodeAs[forms.PharmacyTaskDone](b)
		return "plan:" + d.PlanID, d.TaskID, nil, err
	},
	forms.KindPharmacySupply: func(b []byte) (string, string, func() forms.Problems, error) {
		s, err := decodeAs[forms.PharmacySupply](b)
		return s.PatientID, s.ID, s.Validate, err
	},
	forms.KindStockLevel: func(b []byte) (string, string, func() forms.Problems, error) {
		s, err := decodeAs[forms.StockLevel](b)
		return StockSubject(s.Location, s.Item), s.Location, s.Validate, err
	},
	forms.KindFormSubmitted: func(b []byte) (string, string, func() forms.Problems, error) {
		f, err := decodeAs[forms.FormSubmission](b)
		subject := f.PatientID
		if subject == "" {
			subject = "form:" + f.FormID
		}
		return subject, f.FormID, nil, err
	},
	forms.KindPatientAdmitted: func(b []byte) (string, string, func() forms.Problems, error) {
		a, err := decodeAs[forms.Admission](b)
		return a.PatientID, a.Ward, nil, err
	},
	forms.KindPatientTransferred: func(b []byte) (string, string, func() forms.Problems, error) {
		a, err := decodeAs[forms.Transfer](b)
		return a.PatientID, a.Ward, nil, err
	},
	forms.KindAllergyRecorded: func(b []byte) (string, string, func() forms.Problems, error) {
		a, err := decodeAs[forms.Allergy](b)
		return a.PatientID, a.ID, a.Validate, err
	},
	forms.KindAllergyNoneKnown: func(b []byte) (string, string, func() forms.Problems, error) {
		n, err := decodeAs[forms.NoKnownAllergies](b)
		return n.PatientID, "", n.Validate, err
	},
	forms.KindWeightRecorded: func(b []byte) (string, string, func() forms.Problems, error) {
		w, err := decodeAs[forms.Weight](b)
		return w.PatientID, "", w.Validate, err
	},
	forms.KindPatientDischarged: func(b []byte) (string, string, func() forms.Problems, error) {
		a, err := decodeAs[forms.Discharge](b)
		return a.PatientID, "", nil, err
	},
	forms.KindPatientMerged: func(b []byte) (string, string, func() forms.Problems, error) {
		m, err := decodeAs[forms.PatientMerge](b)
		return m.SurvivorID, m.MergedID, m.Validate, err
	},
}

// CDSubject is the event subject of a controlled-drugs register: one per
// drug (with form and strength) per location.
func CDSubject(p forms.CDProduct, location string) string {
	return "cd:" + forms.RegisterKey(p, location)
}

// BedSubject is the event subject of a bed.
func BedSubject(ward, bed string) string { return "bed:" + ward + "/" + bed }

// StockSubject is the event subject of a stock item at a location.
func StockSubject(location, item string) string { return "stock:" + location + "/" + item }

// SubjectFor returns the subject a workflow event of kind must carry,
// derived from its payload ("" if the kind has no rule).
func SubjectFor(kind string, payload []byte) (string, error) {
	rule, ok := recordRules[kind]
	if !ok {
		return "", nil
	}
	subject, _, _, err := rule(payload)
	return subject, err
}

var recordKinds = func() []string {
	var ks []string
	for k := range recordRules {
		ks = append(ks, k)
	}
	return ks
}()

var recordsView = &projector{
	name:   "records",
	kinds:  recordKinds,
	tables: []string{"p_records"},
	patientSubject: func(kind string) bool {
		switch kind {
		case forms.KindMedOrdered, forms.KindMedStopped, forms.KindMedAdministered, forms.KindHandoverNote,
			forms.KindHandoverTask, forms.KindHandoverTaskDone, forms.KindPharmacySupply,
			forms.KindAllergyRecorded, forms.KindAllergyNoneKnown, forms.KindWeightRecorded:
			return true
		}
		return false
	},
	check: func(e *lifeboat.Event) error {
		subject, _, _, err := recordRules[e.Kind](e.Payload)
		if err != nil {
			return err
		}
		if subject == "" || subject != e.Subject {
			return fmt.Errorf("the record belongs under %q, not %q: %w", subject, e.Subject, lifeboat.ErrInvalid)
		}
		return nil
	},
	validate: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		_, _, validate, _ := recordRules[e.Kind](e.Payload)
		if validate != nil {
			if ps := validate().Hard(); len(ps) > 0 {
				return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, ps)
			}
		}
		return validateWorkflow(ctx, t, e)
	},
	row: recordRow,
	apply: func(ctx context.Context, t *txn, e *lifeboat.Event) error {
		r, err := t.row("records", recordRow, e)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `INSERT INTO p_records (event_id, kind, subject, key, performed_at, hlc_wall, hlc_logical, device, status, corrected_by, sealed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT (event_id) DO NOTHING`,
			e.ID, e.Kind, r.subject, r.key, e.PerformedAt.UnixMilli(), e.HLC.Wall, int64(e.HLC.Logical), e.Device, StatusFinal, r.sealed)
		return err
	},
	correct: func(ctx context.Context, t *txn, target *lifeboat.Event, status, by string) error {
		_, err := t.exec(ctx, "UPDATE p_records SET status = ?, corrected_by = ? WHERE event_id = ?", status, by, target.ID)
		return err
	},
	digest: func(ctx context.Context, t *txn, w func(row ...any)) error {
		return digestRows(ctx, t, "p_records", `SELECT event_id, kind, subject, key, performed_at, hlc_wall, hlc_logical, device,
			status, corrected_by, sealed FROM p_records ORDER BY event_id`, w)
	},
}

// recordRow files a record under the subject and key its kind's rule
// gives and seals its envelope fields with the payload as recorded.
func recordRow(aead cipherAEAD, e *lifeboat.Event) (viewRow, error) {
	subject, key, _, err := recordRules[e.Kind](e.Payload)
	if err != nil {
		return viewRow{}, err
	}
	var seen struct {
		Seen forms.VersionVector `json:"seen"`
	}
	if seenKinds[e.Kind] {
		_ = json.Unmarshal(e.Payload, &seen) // absent in records from older versions
	}
	head, err := json.Marshal(recordHead{Device: e.Device, Seq: e.Seq, PerformedAt: e.PerformedAt, RecordedAt: e.RecordedAt, Author: e.Author, Seen: seen.Seen})
	if err != nil {
		return viewRow{}, err
	}
	plain := make([]byte, 0, len(head)+len(e.Payload)+24)
	plain = append(plain, `{"head":`...)
	plain = append(plain, head...)
	plain = append(plain, `,"payload":`...)
	plain = append(plain, e.Payload...)
	plain = append(plain, '}')
	return viewRow{subject: subject, key: key, sealed: seal(aead, plain, ad("p_records", e.ID))}, nil
}

// records reads the rows of kind filed under subject (or under key when
// byKey), oldest first by clock.
func (db *DB) records(ctx context.Context, kind, value string, byKey bool) ([]Record, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, err
	}
	return readRecords(ctx, db.sql, aead, kind, value, byKey)
}

func readRecords(ctx context.Context, x execer, aead cipherAEAD, kind, value string, byKey bool) ([]Record, error) {
	col := "subject"
	if byKey {
		col = "key"
	}
	// A patient's records include those of every record merged into
	// theirs (patient.merged): the merged record's doses, orders and notes
	// follow the survivor.
	values := []string{value}
	if !byKey && value != "*" && kind != forms.KindPatientMerged {
		var err error
		if values, err = patientIDs(ctx, x, aead, value); err != nil {
			return nil, err
		}
	}
	q := `SELECT event_id, kind, subject, key, hlc_wall, hlc_logical, status, corrected_by, sealed FROM p_records
		WHERE kind = ? AND ` + col + ` IN (` + inList(len(values)) + `) ORDER BY hlc_wall, hlc_logical, device`
	args := []any{kind}
	for _, v := range values {
		args = append(args, v)
	}
	if value == "*" {
		q = strings.Replace(q, "AND "+col+" IN (?)", "", 1)
		args = args[:1]
	}
	rows, err := x.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s records: %w", kind, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var sealed []byte
		if err := rows.Scan(&r.EventID, &r.Kind, &r.Subject, &r.Key, &r.HLC.Wall, &r.HLC.Logical, &r.Status, &r.CorrectedBy, &sealed); err != nil {
			return nil, fmt.Errorf("read %s records: %w", kind, err)
		}
		plain, err := open(aead, sealed, ad("p_records", r.EventID))
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", r.EventID, err)
		}
		var row struct {
			Head    recordHead      `json:"head"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(plain, &row); err != nil {
			return nil, fmt.Errorf("read record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		h := row.Head
		r.Ref = forms.EventRef{Device: h.Device, Seq: h.Seq}
		r.PerformedAt, r.RecordedAt, r.Author, r.Seen, r.Payload = h.PerformedAt, h.RecordedAt, h.Author, h.Seen, row.Payload
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s records: %w", kind, err)
	}
	return out, nil
}

// Records returns the records of kind filed under subject ("*" for all),
// oldest first, including amended and cancelled ones (see Record.Status).
func (db *DB) Records(ctx context.Context, kind, subject string) ([]Record, error) {
	return db.records(ctx, kind, subject, false)
}

// RecordsByKey returns the records of kind filed under key (an order, a
// ward, a task, a form), oldest first.
func (db *DB) RecordsByKey(ctx context.Context, kind, key string) ([]Record, error) {
	return db.records(ctx, kind, key, true)
}

// finalPayloads decodes the payloads of the records that stand.
func finalPayloads[T any](rs []Record) ([]T, error) {
	var out []T
	for _, r := range rs {
		if !r.Final() {
			continue
		}
		var v T
		if err := json.Unmarshal(r.Payload, &v); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.EventID, lifeboat.ErrCorrupt)
		}
		out = append(out, v)
	}
	return out, nil
}
