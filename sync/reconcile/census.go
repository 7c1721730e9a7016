package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"lifeboat"
	"lifeboat/forms"
)

// KindCensusImported records that a census snapshot was imported
// (declared in forms' kind registry).
const KindCensusImported = forms.KindCensusImported

// CensusImported is the payload of census.imported (see forms).
type CensusImported = forms.CensusImported

// ImportCounts says what an import changed (see forms).
type ImportCounts = forms.ImportCounts

// Census is a parsed snapshot, ready to plan.
type Census struct {
	Source   string    // file name or URL it came from
	AsOf     time.Time // when the core system's data was taken
	Patients []CensusPatient
}

// CensusPatient is one patient in a census. Ward empty means registered
// but not on a ward.
type CensusPatient struct {
	Line       int    // CSV line or FHIR entry number, for messages
	NHSNumber  string // 10 digits
	Surname    string
	Given      string
	BirthDate  string // YYYY-MM-DD
	Sex        string // male, female, other, unknown or empty
	Ward       string
	Bed        string
	AdmittedAt time.Time // zero: use the snapshot time
	Medicines  []CensusMedicine
}

// CensusMedicine is one active medicine from the core system.
type CensusMedicine struct {
	Line      int
	Drug      string
	DMDCode   string
	Dose      forms.Quantity
	DoseUnit  string
	Route     string
	Frequency string // a forms frequency code; empty with PRN
	PRN       bool
}

// RowError is one problem with one row (CSV line) or entry (FHIR bundle).
type RowError struct {
	Line int    // 1-based; 0 for the input as a whole
	Unit string // "line" or "entry"
	Msg  string
}

func (e RowError) String() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s %d: %s", e.Unit, e.Line, e.Msg)
}

// ImportError lists every problem found in an input. Nothing is imported
// when there is one. It wraps lifeboat.ErrInvalid.
type ImportError struct {
	Source string
	Rows   []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import %s: %d problems, nothing imported", e.Source, len(e.Rows))
	for _, r := range e.Rows {
		b.WriteString("\n  ")
		b.WriteString(r.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, lifeboat.ErrInvalid) true.
func (e *ImportError) Unwrap() error { return lifeboat.ErrInvalid }

// CSV columns (see docs/census-csv.md).
var (
	csvRequired = []string{"nhs_number", "surname", "given", "birth_date"}
	csvOptional = []string{"sex", "ward", "bed", "admitted_at", "drug", "dmd_code", "dose", "dose_unit", "route", "frequency"}
	patientCols = []string{"surname", "given", "birth_date", "sex", "ward", "bed", "admitted_at"}
)

// MaxCensusRows bounds a census file, so a wrong file cannot exhaust memory.
const MaxCensusRows = 100_000

// ParseCensusCSV reads a census CSV (see docs/census-csv.md). Every row
// problem is collected; if there is any, the error is an *ImportError and
// the census is empty.
func ParseCensusCSV(r io.Reader, source string, asOf time.Time) (Census, error) {
	c := Census{Source: source, AsOf: asOf}
	var errs []RowError
	bad := func(line int, format string, args ...any) {
		errs = append(errs, RowError{Line: line, Unit: "line", Msg: fmt.Sprintf(format, args...)})
	}
	if asOf.IsZero() {
		bad(0, "the time the data is as of is required")
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty")
		}
		bad(1, "cannot read the header: %v", err)
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, k := range append(append([]string{}, csvRequired...), csvOptional...) {
			known = known || k == h
		}
		switch {
		case !known:
			bad(1, "unknown column %q", h)
		case col[h] != 0:
			bad(1, "column %q appears twice", h)
		}
		col[h] = i + 1
	}
	for _, k := range csvRequired {
		if col[k] == 0 {
			bad(1, "missing column %q", k)
		}
	}
	if len(errs) > 0 {
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	byNHS := map[string]int{}
	for rows := 0; ; rows++ {
		rec, err := cr.Read()
		line := 0
		if err == nil && len(rec) > 0 {
			line, _ = cr.FieldPos(0)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "%v", pe.Err)
				continue
			}
			bad(line, "%v", err)
			break
		}
		if rows >= MaxCensusRows {
			bad(line, "more than %d rows", MaxCensusRows)
			break
		}
		get := func(k string) string {
			if i := col[k]; i > 0 && i <= len(rec) {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		nhs, err := forms.ParseNHSNumber(get("nhs_number"))
		if err != nil {
			bad(line, "%s", nhsReason(get("nhs_number"), err))
			continue
		}
		p := CensusPatient{Line: line, NHSNumber: nhs, Surname: get("surname"), Given: get("given"),
			BirthDate: get("birth_date"), Sex: strings.ToLower(get("sex")), Ward: get("ward"), Bed: get("bed")}
		if s := get("admitted_at"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				bad(line, "admitted_at %q is not a date and time like 2026-11-21T14:30:00Z", s)
			}
			p.AdmittedAt = t.UTC()
		}
		if i, seen := byNHS[nhs]; seen {
			// A repeated NHS number carries another medicine; its patient
			// columns must be blank or the same as on the first row.
			first := c.Patients[i]
			for _, k := range patientCols {
				if v := get(k); v != "" && v != patientField(first, k) && !(k == "sex" && strings.EqualFold(v, first.Sex)) {
					bad(line, "%s %q differs from line %d (%q) for NHS number %s", k, v, first.Line, patientField(first, k), forms.FormatNHSNumber(nhs))
				}
			}
		} else {
			for _, m := range checkPatient(p) {
				bad(line, "%s", m)
			}
			byNHS[nhs] = len(c.Patients)
			c.Patients = append(c.Patients, p)
		}
		if get("drug") == "" {
			for _, k := range []string{"dmd_code", "dose", "dose_unit", "route", "frequency"} {
				if get(k) != "" {
					bad(line, "%s is given but drug is empty", k)
				}
			}
			continue
		}
		m := CensusMedicine{Line: line, Drug: get("drug"), DMDCode: get("dmd_code"), DoseUnit: get("dose_unit"), Route: get("route")}
		if d := get("dose"); d == "" {
			bad(line, "dose is empty")
		} else if q, err := forms.ParseQuantity(d); err != nil {
			bad(line, "dose %q is not a number like 500 or 2.5", d)
		} else if q <= 0 {
			bad(line, "dose %s must be more than zero", d)
		} else {
			m.Dose = q
		}
		if msg := setFrequency(&m, get("frequency")); msg != "" {
			bad(line, "%s", msg)
		}
		for _, msg := range checkMedicine(m) {
			bad(line, "%s", msg)
		}
		i := byNHS[nhs]
		c.Patients[i].Medicines = append(c.Patients[i].Medicines, m)
	}
	if len(errs) > 0 {
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	return c, nil
}

func patientField(p CensusPatient, k string) string {
	switch k {
	case "surname":
		return p.Surname
	case "given":
		return p.Given
	case "birth_date":
		return p.BirthDate
	case "sex":
		return p.Sex
	case "ward":
		return p.Ward
	case "bed":
		return p.Bed
	case "admitted_at":
		if p.AdmittedAt.IsZero() {
			return ""
		}
		return p.AdmittedAt.Format(time.RFC3339)
	}
	return ""
}

// nhsReason words an NHS number problem for a row message.
func nhsReason(raw string, err error) string {
	if strings.TrimSpace(raw) == "" {
		return "NHS number is empty"
	}
	msg := err.Error()
	msg = strings.TrimSuffix(msg, ": "+lifeboat.ErrInvalid.Error())
	msg = strings.TrimSuffix(msg, ": please re-check it")
	return msg
}

var sexes = map[string]bool{"": true, "male": true, "female": true, "other": true, "unknown": true}

// checkPatient lists what is wrong with a census patient's own fields.
func checkPatient(p CensusPatient) []string {
	var ms []string
	if p.Surname == "" {
		ms = append(ms, "surname is empty")
	}
	if p.Given == "" {
		ms = append(ms, "given name is empty")
	}
	if p.BirthDate == "" {
		ms = append(ms, "birth_date is empty")
	} else if d, err := time.Parse(time.DateOnly, p.BirthDate); err != nil {
		ms = append(ms, fmt.Sprintf("birth_date %q is not a date like 1948-02-11", p.BirthDate))
	} else if d.Year() < 1880 {
		ms = append(ms, fmt.Sprintf("birth_date %s is before 1880", p.BirthDate))
	}
	if !sexes[p.Sex] {
		ms = append(ms, fmt.Sprintf("sex %q is not male, female, other or unknown", p.Sex))
	}
	if p.Bed != "" && p.Ward == "" {
		ms = append(ms, "bed is given but ward is empty")
	}
	return ms
}

var frequencies = []string{forms.FreqOD, forms.FreqMANE, forms.FreqON, forms.FreqBD, forms.FreqTDS, forms.FreqQDS, forms.FreqWeekly}

// setFrequency reads a frequency code or PRN into m.
func setFrequency(m *CensusMedicine, f string) string {
	f = strings.ToUpper(strings.TrimSpace(f))
	switch f {
	case "":
		return "frequency is empty (OD, MANE, ON, BD, TDS, QDS, WEEKLY or PRN)"
	case "PRN":
		m.PRN = true
		return ""
	}
	for _, k := range frequencies {
		if k == f {
			m.Frequency = f
			return ""
		}
	}
	return fmt.Sprintf("frequency %q is not OD, MANE, ON, BD, TDS, QDS, WEEKLY or PRN", f)
}

// checkMedicine lists the hard problems forms finds with the order m
// would become.
func checkMedicine(m CensusMedicine) []string {
	o := m.order("x", "x", time.Unix(1, 0))
	var ms []string
	for _, p := range o.Validate() {
		if !p.Soft && p.Field != "dose" {
			ms = append(ms, strings.ToLower(p.Message[:1])+p.Message[1:]+" ("+p.Field+")")
		}
	}
	return ms
}

// order is the snapshot medication order m becomes.
func (m CensusMedicine) order(id, patientID string, start time.Time) forms.MedicationOrder {
	return forms.MedicationOrder{ID: id, PatientID: patientID, Drug: m.Drug, DMDCode: m.DMDCode, Dose: m.Dose,
		DoseUnit: m.DoseUnit, Route: m.Route, Frequency: m.Frequency, PRN: m.PRN, Start: start, Source: forms.SourceSnapshot}
}
